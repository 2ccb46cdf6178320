package pacing

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/retry"
)

// The tests run in a synctest bubble: time is the bubble's fake clock, which
// moves only when every goroutine waits, so minutes of pacing take
// milliseconds and every figure is the same on every machine.

// bucket is a server's rate limit as the TriNet sandbox enforces it: a token
// bucket of rate r and burst b, answering 429 with Retry-After in whole
// seconds (at least one) when empty.
type bucket struct {
	mu     sync.Mutex
	r      float64
	b      float64
	tokens float64
	at     time.Time
	ok     int
	no     int
}

func newBucket(r float64) *bucket { return &bucket{r: r, b: r, tokens: r, at: time.Now()} }

func (k *bucket) take() (bool, time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := time.Now()
	k.tokens = min(k.b, k.tokens+k.r*now.Sub(k.at).Seconds())
	k.at = now
	if k.tokens >= 1 {
		k.tokens--
		k.ok++
		return true, 0
	}
	k.no++
	return false, time.Duration(math.Ceil((1-k.tokens)/k.r)) * time.Second
}

// pause waits d on the bubble's clock.
func pause(d time.Duration) {
	t := time.NewTimer(d)
	<-t.C
}

// simulate makes calls calls through workers goroutines, each call one
// retried request of the given round trip against limit (nil: no limit). It
// returns the time taken.
func simulate(t *testing.T, p *Pacer, limit *bucket, workers, calls int, roundTrip time.Duration) time.Duration {
	t.Helper()
	pol := &retry.Policy{Gate: p, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, MaxElapsed: time.Hour, MaxRetries: 20}
	start := time.Now()
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed error
	for range workers {
		wg.Go(func() {
			for range jobs {
				err := pol.Do(context.Background(), "sim", func(context.Context) retry.Attempt {
					pause(roundTrip / 2)
					ok, after := true, time.Duration(0)
					if limit != nil {
						ok, after = limit.take()
					}
					pause(roundTrip / 2)
					if !ok {
						return retry.Attempt{Err: fault.New(fault.Throttled, "429"), Retry: true, RetryAfter: after, Throttled: true}
					}
					return retry.Attempt{}
				})
				if err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
				}
			}
		})
	}
	for i := range calls {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if failed != nil {
		t.Fatalf("a call failed: %v", failed)
	}
	return time.Since(start)
}

// TestPaceFindsTheLimit: against a server limit R unknown to the client, the
// whole run takes at most 1.15 × calls/R with at most 3 % of the calls
// refused, from a start rate below, at or above R.
func TestPaceFindsTheLimit(t *testing.T) {
	tests := []struct {
		limit, start float64
		roundTrip    time.Duration
		calls        int
	}{
		{5, 10, 20 * time.Millisecond, 1100},
		{20, 10, 20 * time.Millisecond, 1100},
		{50, 10, 20 * time.Millisecond, 1100},
		{50, 10, time.Millisecond, 1100},
		{5, 2, 200 * time.Millisecond, 1100},
		{50, 200, 100 * time.Millisecond, 3000},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("R=%g start=%g rtt=%v", tt.limit, tt.start, tt.roundTrip), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := New(Config{Start: tt.start})
				k := newBucket(tt.limit)
				took := simulate(t, p, k, 8, tt.calls, tt.roundTrip)
				ratio := took.Seconds() / (float64(tt.calls) / tt.limit)
				refused := float64(k.no) / float64(k.ok+k.no)
				t.Logf("took %v = %.3f × calls/R; refused %d (%.2f %%); %+v", took, ratio, k.no, 100*refused, p.Stats())
				if ratio > 1.15 {
					t.Errorf("took %.3f × calls/R, want at most 1.15", ratio)
				}
				if refused > 0.03 {
					t.Errorf("refused %.2f %% of calls, want at most 3 %%", 100*refused)
				}
			})
		})
	}
}

// TestSlowStartReachesDemand: with no limit, a pacer starting at 10/s lets
// eight workers of 20 ms round trips run at their own speed within a few
// round trips: 1,000 calls take at most 1.2 × the time 8 at a time need.
func TestSlowStartReachesDemand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Config{Start: 10})
		took := simulate(t, p, nil, 8, 1000, 20*time.Millisecond)
		floor := time.Duration(math.Ceil(1000.0/8)) * 20 * time.Millisecond
		if ratio := took.Seconds() / floor.Seconds(); ratio > 1.2 {
			t.Fatalf("took %v = %.2f × the unpaced %v; rate %+v", took, ratio, floor, p.Stats())
		}
		if p.Stats().Cuts != 0 {
			t.Fatalf("cut without a refusal: %+v", p.Stats())
		}
	})
}

// TestPaceFollowsALowerLimit: when the server's limit drops while calls run,
// the pacer follows it down and stays near it.
func TestPaceFollowsALowerLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Config{Start: 10})
		k := newBucket(50)
		simulate(t, p, k, 8, 1000, 20*time.Millisecond)
		k.mu.Lock()
		k.r, k.b, k.ok, k.no = 10, 10, 0, 0
		k.mu.Unlock()
		took := simulate(t, p, k, 8, 600, 20*time.Millisecond)
		if ratio := took.Seconds() / (600.0 / 10); ratio > 1.15 || float64(k.no) > 0.03*600 {
			t.Fatalf("after the drop: %.3f × calls/R, %d refused; %+v", ratio, k.no, p.Stats())
		}
	})
}

// TestRateStaysWithinBounds: refusals never push the rate below the floor,
// and successes never lift it above the ceiling.
func TestRateStaysWithinBounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Config{Start: 10, Floor: 4, Ceiling: 40})
		for range 50 {
			a, err := p.Admit(context.Background(), true)
			if err != nil {
				t.Fatal(err)
			}
			pause(time.Millisecond)
			a.Done(retry.Attempt{Err: fault.New(fault.Throttled, "429"), Throttled: true, Retry: true})
		}
		if s := p.Stats(); s.Rate != 4 || s.Cuts != 50 {
			t.Fatalf("after 50 refusals: %+v, want the floor of 4/s", s)
		}
		simulate(t, p, nil, 8, 2000, 20*time.Millisecond)
		if s := p.Stats(); s.Rate != 40 {
			t.Fatalf("after 2,000 successes: %+v, want the ceiling of 40/s", s)
		}
	})
}

// TestFixedPace: a fixed pace spaces calls at its rate and neither grows
// nor shrinks.
func TestFixedPace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Fixed(20))
		took := simulate(t, p, nil, 8, 201, time.Millisecond)
		if took < 10*time.Second || took > 10*time.Second+50*time.Millisecond {
			t.Fatalf("201 calls at 20/s took %v, want 10 s", took)
		}
		a, _ := p.Admit(context.Background(), false)
		a.Done(retry.Attempt{Err: fault.New(fault.Throttled, "429"), Throttled: true})
		if s := p.Stats(); s.Rate != 20 {
			t.Fatalf("rate %+v, want 20 whatever happens", s)
		}
	})
}

// TestRetryAfterPausesTheOthers: a refusal with Retry-After holds every other
// call until it has passed, but not the refused call's own retry, which has
// waited it out already; that retry, back early, ends the pause.
func TestRetryAfterPausesTheOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Config{Start: 1000})
		refuse := func() time.Time {
			a, _ := p.Admit(context.Background(), false)
			a.Done(retry.Attempt{Err: fault.New(fault.Throttled, "429"), Throttled: true, RetryAfter: 2 * time.Second})
			return time.Now()
		}
		refusedAt := refuse()
		if _, err := p.Admit(context.Background(), false); err != nil || time.Since(refusedAt) != 2*time.Second {
			t.Fatalf("another call was admitted %v after the refusal (err %v), want after the 2 s Retry-After", time.Since(refusedAt), err)
		}
		refusedAt = refuse()
		admitted := make(chan time.Duration)
		go func() {
			_, _ = p.Admit(context.Background(), false)
			admitted <- time.Since(refusedAt)
		}()
		pause(500 * time.Millisecond)
		if _, err := p.Admit(context.Background(), true); err != nil {
			t.Fatal(err)
		}
		if d := <-admitted; d < 500*time.Millisecond || d > 510*time.Millisecond {
			t.Fatalf("the waiting call was admitted %v after the refusal, want right after the refused call's retry at 500ms", d)
		}
	})
}

// TestStaleRefusalDoesNotCutAgain: refusals of calls sent before a cut saw
// the old rate; only the first of a burst cuts.
func TestStaleRefusalDoesNotCutAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Config{Start: 1000})
		var inFlight []retry.Admission
		for range 5 {
			a, _ := p.Admit(context.Background(), false)
			inFlight = append(inFlight, a)
		}
		pause(time.Millisecond)
		for _, a := range inFlight {
			a.Done(retry.Attempt{Err: fault.New(fault.Throttled, "429"), Throttled: true})
		}
		if s := p.Stats(); s.Cuts != 1 || s.Refused != 5 {
			t.Fatalf("%+v, want one cut for five refusals in flight together", s)
		}
	})
}

// TestNoGrowthWithoutDemand: calls that never wait for a slot say nothing
// about the limit and do not raise the rate.
func TestNoGrowthWithoutDemand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Config{Start: 10})
		for range 100 {
			a, _ := p.Admit(context.Background(), false)
			a.Done(retry.Attempt{})
			pause(time.Second)
		}
		if s := p.Stats(); s.Rate != 10 {
			t.Fatalf("rate %v after 100 calls a second apart, want the start of 10/s", s.Rate)
		}
	})
}

// TestAdmitRespectsTheDeadline: a slot that would come at or after ctx's
// deadline is refused at once, as fault.Throttled, without waiting.
func TestAdmitRespectsTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Fixed(1))
		if _, err := p.Admit(context.Background(), false); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := p.Admit(ctx, false)
		if !errors.Is(err, fault.ErrThrottled) || time.Since(start) != 0 {
			t.Fatalf("err = %v after %v, want fault.Throttled at once", err, time.Since(start))
		}
		// With time enough, the same call waits for its slot.
		ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel2()
		if _, err := p.Admit(ctx2, false); err != nil || time.Since(start) != time.Second {
			t.Fatalf("err = %v after %v, want the slot one second on", err, time.Since(start))
		}
		// A cancelled wait is a transient failure carrying the cause.
		ctx3, cancel3 := context.WithCancel(context.Background())
		go func() { pause(100 * time.Millisecond); cancel3() }()
		if _, err := p.Admit(ctx3, false); !errors.Is(err, context.Canceled) || !errors.Is(err, fault.ErrTransient) {
			t.Fatalf("err = %v, want a transient error wrapping context.Canceled", err)
		}
	})
}

// TestInitialWindow: the first ceil(Start) calls go at once, the first
// included; then the calls are spaced at the rate. A fixed pace has none.
func TestInitialWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Config{Start: 2.5})
		start := time.Now()
		for i := range 4 {
			if _, err := p.Admit(context.Background(), false); err != nil {
				t.Fatal(err)
			}
			want := time.Duration(0)
			if i == 3 {
				want = 400 * time.Millisecond
			}
			if got := time.Since(start); got != want {
				t.Fatalf("call %d admitted after %v, want %v", i+1, got, want)
			}
		}
		f := New(Fixed(2.5))
		start = time.Now()
		_, _ = f.Admit(context.Background(), false)
		_, _ = f.Admit(context.Background(), false)
		if got := time.Since(start); got != 400*time.Millisecond {
			t.Fatalf("a fixed pace admitted its second call after %v, want 400ms", got)
		}
	})
}

// TestFixedPaceBurst: a fixed pace with a burst of a second's worth lets
// that many calls go at once, never more than the rate in any second (with
// BurstMargin to spare), against a server bucket of the same rate and burst
// refuses nothing, and a refusal ends the burst for good.
func TestFixedPaceBurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Config{Start: 20, Floor: 20, Ceiling: 20, Burst: 20})
		var admitted []time.Duration
		var mu sync.Mutex
		start := time.Now()
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 25 {
					a, err := p.Admit(context.Background(), false)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					admitted = append(admitted, time.Since(start))
					mu.Unlock()
					pause(time.Millisecond)
					a.Done(retry.Attempt{})
				}
			})
		}
		wg.Wait()
		if len(admitted) != 200 {
			t.Fatalf("%d calls admitted, want 200", len(admitted))
		}
		slices.Sort(admitted)
		// Eight callers a millisecond apart: the first twenty go within 2 ms.
		if admitted[19] > 2*time.Millisecond || admitted[20] != 1250*time.Millisecond {
			t.Fatalf("calls 20 and 21 admitted after %v and %v, want at once and 1.25 s on (the span widened by BurstMargin)", admitted[19], admitted[20])
		}
		for i := range admitted {
			j := i
			for j < len(admitted) && admitted[j]-admitted[i] < 1250*time.Millisecond {
				j++
			}
			if j-i > 20 {
				t.Fatalf("%d calls admitted within 1.25 s from %v, want at most 20", j-i, admitted[i])
			}
		}
		if last := admitted[len(admitted)-1]; last < 9*1250*time.Millisecond || last > 9*1250*time.Millisecond+10*time.Millisecond {
			t.Fatalf("200 calls took %v, want 10 bursts 1.25 s apart", last)
		}

		// Against a token bucket of 20/s holding 20 (the Leapsome sandbox's
		// limit), nothing is refused.
		q := New(Config{Start: 20, Floor: 20, Ceiling: 20, Burst: 20})
		limit := newBucket(20)
		simulate(t, q, limit, 8, 201, 20*time.Millisecond)
		if limit.no != 0 || q.Stats().Refused != 0 {
			t.Fatalf("%d calls refused by a bucket of the same rate and burst, want none", limit.no)
		}

		// A refusal: the next calls are evenly spaced, 50 ms apart.
		a, _ := q.Admit(context.Background(), false)
		a.Done(retry.Attempt{Err: fault.New(fault.Throttled, "429"), Throttled: true})
		pause(2 * time.Second)
		from := time.Now()
		for i := range 4 {
			if _, err := q.Admit(context.Background(), false); err != nil {
				t.Fatal(err)
			}
			if got, want := time.Since(from), time.Duration(max(i, 0))*50*time.Millisecond; got != want {
				t.Fatalf("call %d after the refusal admitted after %v, want %v (evenly spaced)", i+1, got, want)
			}
		}
	})
}

// TestBurstDeadline: a call whose turn in the burst comes after ctx's
// deadline is refused at once; one whose turn comes before waits for it.
func TestBurstDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Config{Start: 2, Floor: 2, Ceiling: 2, Burst: 2})
		for range 2 {
			if _, err := p.Admit(context.Background(), false); err != nil {
				t.Fatal(err)
			}
		}
		// The next slot is 1.25 s away.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := p.Admit(ctx, false); !errors.Is(err, fault.ErrThrottled) {
			t.Fatalf("err = %v, want fault.Throttled at once", err)
		}
		ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel2()
		start := time.Now()
		if _, err := p.Admit(ctx2, false); err != nil || time.Since(start) != 1250*time.Millisecond {
			t.Fatalf("err = %v after %v, want the slot 1.25 s on", err, time.Since(start))
		}
	})
}
