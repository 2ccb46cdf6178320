package retry

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"trinetsync/internal/fault"
)

func transient() Attempt { return Attempt{Err: fault.New(fault.Transient, "HTTP 500"), Retry: true} }

func throttled(after time.Duration) Attempt {
	return Attempt{Err: fault.New(fault.Throttled, "HTTP 429"), Retry: true, RetryAfter: after, Throttled: true}
}

// script answers the attempts in order, the last one from then on.
func script(n *int, as ...Attempt) func(context.Context) Attempt {
	return func(context.Context) Attempt {
		a := as[min(*n, len(as)-1)]
		*n++
		return a
	}
}

func TestDo(t *testing.T) {
	final := Attempt{Err: fault.Invalid("x", "rejected")}
	tests := []struct {
		name     string
		attempts []Attempt
		want     error // nil: success
		calls    int
		waits    []time.Duration // nil: not checked, only counted
		nwaits   int
	}{
		{"success at once", []Attempt{{}}, nil, 1, nil, 0},
		{"transient then success", []Attempt{transient(), transient(), {}}, nil, 3, nil, 2},
		{"a final failure is not repeated", []Attempt{final}, fault.ErrValidation, 1, nil, 0},
		{"retries run out with the last class", []Attempt{transient(), throttled(0)}, fault.ErrThrottled, 7, nil, 6},
		{"Retry-After is a floor under the backoff", []Attempt{throttled(3 * time.Second), {}}, nil, 2, []time.Duration{3 * time.Second}, 1},
		{"a renewal is not a retry, once", []Attempt{{Err: fault.New(fault.Auth, "401"), Again: true}, {}}, nil, 2, nil, 0},
		{"a second renewal is final", []Attempt{{Err: fault.New(fault.Auth, "401"), Again: true}}, fault.ErrAuth, 2, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w Recorder
			n := 0
			p := &Policy{BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond, Sleep: w.Sleep}
			err := p.Do(context.Background(), "test", script(&n, tt.attempts...))
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if n != tt.calls {
				t.Fatalf("attempts = %d, want %d", n, tt.calls)
			}
			got := w.Waits()
			if len(got) != tt.nwaits {
				t.Fatalf("waits = %v, want %d", got, tt.nwaits)
			}
			for i, d := range tt.waits {
				if got[i] != d {
					t.Fatalf("wait %d = %v, want %v", i, got[i], d)
				}
			}
			for _, d := range got {
				if tt.waits == nil && d > 4*time.Millisecond {
					t.Fatalf("wait %v beyond MaxDelay", d)
				}
			}
		})
	}
}

// TestDeadlineRule: a retry whose wait would reach ctx's deadline is not
// made; the call fails at once with the last failure's class.
func TestDeadlineRule(t *testing.T) {
	var w Recorder
	n := 0
	p := &Policy{Sleep: w.Sleep}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := p.Do(ctx, "test", script(&n, throttled(5*time.Second)))
	if !errors.Is(err, fault.ErrThrottled) || n != 1 || len(w.Waits()) != 0 {
		t.Fatalf("err = %v after %d attempts and waits %v; want throttled after one attempt, no wait", err, n, w.Waits())
	}
	if ctx.Err() != nil {
		t.Fatal("the call ran into its deadline instead of returning before it")
	}
}

// TestRequestTimeout: each attempt's context ends at the request timeout or
// at ctx's deadline, whichever is first.
func TestRequestTimeout(t *testing.T) {
	tests := []struct {
		name     string
		timeout  time.Duration
		deadline time.Duration // 0: none
		want     time.Duration
	}{
		{"the request timeout", 3 * time.Second, 0, 3 * time.Second},
		{"the deadline, when sooner", 30 * time.Second, 2 * time.Second, 2 * time.Second},
		{"the request timeout, when sooner", time.Second, time.Minute, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			var left time.Duration
			p := &Policy{RequestTimeout: tt.timeout}
			_ = p.Do(ctx, "test", func(actx context.Context) Attempt {
				dl, ok := actx.Deadline()
				if !ok {
					t.Fatal("attempt without a deadline")
				}
				left = time.Until(dl)
				return Attempt{}
			})
			if left > tt.want || left < tt.want-time.Second/2 {
				t.Fatalf("attempt had %v, want about %v", left, tt.want)
			}
		})
	}
}

func TestBudget(t *testing.T) {
	var w Recorder
	n := 0
	p := &Policy{Sleep: w.Sleep, MaxElapsed: 10 * time.Second}
	err := p.Do(context.Background(), "test", script(&n, throttled(30*time.Second)))
	if !errors.Is(err, fault.ErrThrottled) || n != 1 || len(w.Waits()) != 0 {
		t.Fatalf("err = %v, %d attempts, waits %v; want no wait beyond the budget", err, n, w.Waits())
	}
}

func TestCancelWhileWaiting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	p := &Policy{Sleep: func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }}
	err := p.Do(ctx, "test", script(&n, transient()))
	if !errors.Is(err, context.Canceled) || !errors.Is(err, fault.ErrTransient) || n != 1 {
		t.Fatalf("err = %v after %d attempts; want transient wrapping context.Canceled after one", err, n)
	}
}

// gate admits attempts and records what it heard; from the refuseFrom-th
// admission on (1-based; 0 never) it refuses with its own Throttled error.
type gate struct {
	refuseFrom int
	exempts    []bool
	reported   []Attempt
}

func (g *gate) Admit(_ context.Context, exempt bool) (Admission, error) {
	g.exempts = append(g.exempts, exempt)
	if g.refuseFrom > 0 && len(g.exempts) >= g.refuseFrom {
		return nil, fault.New(fault.Throttled, "no slot")
	}
	return g, nil
}

func (g *gate) Done(a Attempt) { g.reported = append(g.reported, a) }

func TestGate(t *testing.T) {
	t.Run("every attempt is admitted and reported; a refused call's retry is exempt", func(t *testing.T) {
		var w Recorder
		g := &gate{}
		n := 0
		p := &Policy{Sleep: w.Sleep, Gate: g}
		if err := p.Do(context.Background(), "test", script(&n, throttled(time.Second), transient(), Attempt{})); err != nil {
			t.Fatal(err)
		}
		if len(g.reported) != 3 || !g.reported[0].Throttled || g.reported[2].Err != nil {
			t.Fatalf("reported %+v", g.reported)
		}
		if want := []bool{false, true, false}; len(g.exempts) != 3 || g.exempts[1] != want[1] || g.exempts[0] || g.exempts[2] {
			t.Fatalf("exempt = %v, want %v", g.exempts, want)
		}
	})
	t.Run("no slot for the first attempt: nothing sent, the gate's class", func(t *testing.T) {
		g := &gate{refuseFrom: 1}
		n := 0
		err := (&Policy{Gate: g}).Do(context.Background(), "test", script(&n, Attempt{}))
		if !errors.Is(err, fault.ErrThrottled) || n != 0 {
			t.Fatalf("err = %v, %d attempts", err, n)
		}
	})
	t.Run("no slot for a retry: the last failure's class", func(t *testing.T) {
		var w Recorder
		g := &gate{refuseFrom: 2}
		n := 0
		err := (&Policy{Gate: g, Sleep: w.Sleep}).Do(context.Background(), "test", script(&n, transient()))
		if !errors.Is(err, fault.ErrTransient) || n != 1 {
			t.Fatalf("err = %v, %d attempts; want the 500's class after one", err, n)
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		h    string
		want time.Duration
	}{
		{"", 0}, {"2", 2 * time.Second}, {" 0 ", 0}, {"-1", 0}, {"soon", 0}, {"1.5", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"86400", MaxRetryAfter},
		{"99999999999999999999999", MaxRetryAfter},
		{"-99999999999999999999999", 0},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), MaxRetryAfter},
	}
	for _, tt := range tests {
		if got := ParseRetryAfter(tt.h, now); got != tt.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.h, got, tt.want)
		}
	}
}

func TestSleep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	if err := Sleep(ctx, 0); err != nil {
		t.Fatalf("Sleep(0) = %v", err)
	}
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep on a cancelled context = %v", err)
	}
}

// deadlineGate records the deadline each admission was asked within.
type deadlineGate struct{ left []time.Duration }

func (g *deadlineGate) Admit(ctx context.Context, _ bool) (Admission, error) {
	dl, _ := ctx.Deadline()
	g.left = append(g.left, time.Until(dl))
	return g, nil
}

func (g *deadlineGate) Done(Attempt) {}

// TestGateWithinBudget: the gate is asked for a slot within the call's
// budget, so a pause longer than the budget is refused at once rather than
// waited out.
func TestGateWithinBudget(t *testing.T) {
	g := &deadlineGate{}
	n := 0
	p := &Policy{Gate: g, MaxElapsed: 10 * time.Second}
	if err := p.Do(context.Background(), "test", script(&n, Attempt{})); err != nil {
		t.Fatal(err)
	}
	if len(g.left) != 1 || g.left[0] > 10*time.Second || g.left[0] < 9*time.Second {
		t.Fatalf("gate asked within %v, want the 10 s budget", g.left)
	}
}

func TestNoRetries(t *testing.T) {
	n := 0
	err := (&Policy{MaxRetries: -1}).Do(context.Background(), "test", script(&n, transient()))
	if !errors.Is(err, fault.ErrTransient) || n != 1 {
		t.Fatalf("err = %v after %d attempts, want one attempt", err, n)
	}
}

// TestMultiplier: the backoff grows by the policy's multiplier; each wait
// lies within ±50 % of base × multiplier^k.
func TestMultiplier(t *testing.T) {
	for _, m := range []float64{0, 2, 3} { // 0: the default, 1.5
		var w Recorder
		n := 0
		p := &Policy{MaxRetries: 4, BaseDelay: 100 * time.Millisecond, Multiplier: m, MaxDelay: time.Hour, MaxElapsed: time.Hour, Sleep: w.Sleep}
		if err := p.Do(context.Background(), "test", script(&n, transient())); !errors.Is(err, fault.ErrTransient) {
			t.Fatalf("multiplier %v: err = %v", m, err)
		}
		want := m
		if want == 0 {
			want = 1.5
		}
		for k, d := range w.Waits() {
			mid := 100 * time.Millisecond
			for range k {
				mid = time.Duration(float64(mid) * want)
			}
			if d < mid/2 || d > mid*3/2 {
				t.Errorf("multiplier %v: wait %d = %s, want within 50 %% of %s", m, k, d, mid)
			}
		}
	}
}

// seen records what an Observer hears.
type seen struct {
	mu    sync.Mutex
	calls []string // "service retried throttled"
}

func (s *seen) Attempted(service string, retried bool, a Attempt) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, fmtSeen(service, retried, a.Throttled))
}

func fmtSeen(service string, retried, throttled bool) string {
	out := service
	if retried {
		out += " retry"
	}
	if throttled {
		out += " 429"
	}
	return out
}

// TestObserverHearsEveryAttempt: a context's observer hears each attempt,
// which ones are retries (a token renewal is not one) and which were
// throttled; a context without one costs nothing.
func TestObserverHearsEveryAttempt(t *testing.T) {
	w := &Recorder{}
	p := &Policy{Service: "trinet", Sleep: w.Sleep}
	obs := &seen{}
	ctx := WithObserver(context.Background(), obs)
	renew := Attempt{Err: fault.New(fault.Auth, "HTTP 401"), Again: true}
	n := 0
	if err := p.Do(ctx, "employees", script(&n, renew, throttled(time.Second), transient(), Attempt{})); err != nil {
		t.Fatal(err)
	}
	// The try after the renewal is the first real one: its 429 is not a retry.
	want := []string{"trinet", "trinet 429", "trinet retry", "trinet retry"}
	if len(obs.calls) != len(want) {
		t.Fatalf("observer heard %v, want %v", obs.calls, want)
	}
	for i := range want {
		if obs.calls[i] != want[i] {
			t.Fatalf("observer heard %v, want %v", obs.calls, want)
		}
	}
	n = 0
	if err := p.Do(context.Background(), "employees", script(&n, transient(), Attempt{})); err != nil {
		t.Fatal(err)
	}
	if len(obs.calls) != len(want) {
		t.Fatalf("a context without the observer reported: %v", obs.calls)
	}
}
