// Package pacing spaces the calls a client makes to one API account so that
// they stay under the account's rate limit, and finds that limit when nobody
// publishes it (TriNet does not), in the spirit of TCP congestion control.
//
// A Pacer admits one attempt at a time, evenly spaced at its current rate,
// except for an initial window of calls admitted at once (TCP's initial
// window: one second's worth at the start rate, as a fixed limiter's burst
// would allow).
//
// Slow start: from Config.Start, each success of a call that had to wait for
// its slot (or would have, but for the initial window) adds up to one round
// trip's worth of rate, so the rate doubles per round trip while demand
// lasts, until the server refuses a call (HTTP 429) or the ceiling is
// reached.
//
// A refusal ends slow start and cuts the rate to Beta times the flight of
// the last second — the calls sent, less the refused ones as they come in —
// the rate-based form of TCP's "half the flight size": the rate asked for
// may be far above what got through. A later refusal cuts to Beta times the
// rate, or times what got through in the last second when that is lower
// (never below Beta² of the rate: a count spanning a pause reads low). A
// refusal of a call sent before the latest cut says nothing new (it saw the
// old rate) and does not cut again.
//
// A Retry-After pauses every other call until it has passed or the refused
// call, back from waiting it out, goes first.
//
// A fixed pace (a documented limit, such as Leapsome's) may have a burst: at
// most Burst calls in any span of Burst intervals (plus BurstMargin of it),
// a sliding window rather than a bucket, so that with a second's worth no
// second ever holds more calls than the rate, however the server counts
// them. A refusal ends the burst: the calls are evenly spaced from then on.
//
// After a cut the rate follows CUBIC's curve: back to the rate cut from
// within CubicK, a plateau there, then a slowly steeper probe above it until
// the next refusal. Growth needs demand: only calls that waited for their
// slot raise the rate, and never above twice the rate accepted in the last
// second. The rate never leaves [Floor, Ceiling].
package pacing

import (
	"context"
	"math"
	"sync"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/retry"
)

// Tuning of the adaptive pace (ours; docs/performance.md shows what they
// measure against the TriNet sandbox's limits).
const (
	// Beta is the share of the accepted rate kept after a refusal. CUBIC
	// uses 0.7; a pacer that cuts from the accepted rate, not the asked one,
	// can cut less.
	Beta = 0.9
	// CubicK is how long the rate takes to climb back to the accepted rate
	// after a cut (and a Retry-After pause).
	CubicK = 10 * time.Second
	// minRoundTrip floors the round trip that slow start grows by, so that
	// a loopback answer does not add thousands of requests per second.
	minRoundTrip = 10 * time.Millisecond
	// recheck bounds one wait for a slot, so that a waiting call sees a rate
	// raised meanwhile instead of keeping a slot computed at the old one.
	recheck = 10 * time.Millisecond
	// window is how far back the accepted rate is counted, in slots.
	window     = time.Second
	windowSlot = 100 * time.Millisecond
	// BurstMargin widens a burst's span (by this share of it), so that the
	// next burst, sent a span after the last, still arrives more than a
	// second after it when the network delays the earlier calls more than
	// the later ones by up to that much: 250 ms at 20 calls a second, whose
	// rate it takes down to 16 a second over several seconds.
	BurstMargin = 0.25
	// maxBurst bounds the admissions a burst remembers.
	maxBurst = 1000
)

// cubicC makes the curve reach the accepted rate CubicK after a cut.
var cubicC = (1 - Beta) / math.Pow(CubicK.Seconds(), 3)

// Config sets up a Pacer. Rates are requests per second.
type Config struct {
	// Start is the rate before anything is known (TRINET_RPS).
	Start float64
	// Floor and Ceiling bound the rate; zero takes Start/10 and 50×Start.
	// Floor == Ceiling == Start is a fixed pace (Leapsome's documented limits)
	// with no initial window: requests evenly spaced from the first.
	Floor   float64
	Ceiling float64
	// Burst, for a fixed pace only, lets calls go together: at most Burst
	// of them in any span of Burst/Start seconds widened by BurstMargin.
	// Zero or one: evenly spaced. An adaptive pace ignores it (its initial
	// window plays that part). A refusal (429) ends it for good: the server
	// counts otherwise, or someone else spends the same budget.
	Burst int
	// Now and Sleep are the clock; defaults time.Now and retry.Sleep.
	// Benchmarks may run the clock faster than the wall clock.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Fixed is the Config of a pace that does not adapt.
func Fixed(rps float64) Config { return Config{Start: rps, Floor: rps, Ceiling: rps} }

// Pacer paces the calls to one account. It implements retry.Gate and is
// safe for concurrent use.
type Pacer struct {
	floor, ceiling float64
	now            func() time.Time
	sleep          func(context.Context, time.Duration) error

	mu        sync.Mutex
	rate      float64
	slowStart bool
	last      time.Time // when the latest attempt was admitted (its slot)
	touched   time.Time // when the pacer was made or last admitted a call
	paused    time.Time // no attempt before this, but a refused call's own retry
	cutAt     time.Time // the latest cut
	curveFrom time.Time // where the curve's clock starts (after the pause)
	wMax      float64   // the accepted rate at the latest cut
	accepted  counter   // successes
	sent      counter   // admissions
	exiting   bool      // refusals of the flight that ended slow start still come in
	waiting   int
	window    int // calls the initial window still admits at once
	// burst, for a fixed pace with a burst, holds when each of the latest
	// len(burst) calls was admitted; burstAt is the oldest. nil: none.
	burst   []time.Time
	burstAt int
	span    time.Duration // a burst's window
	stats   Stats
}

// Stats counts what a Pacer did.
type Stats struct {
	Rate     float64 // requests per second now
	Admitted int     // attempts admitted
	Refused  int     // attempts the server refused for rate (429)
	Cuts     int     // times the rate was cut
}

// New returns a Pacer; a non-positive Start is a configuration error of the
// caller and is read as one request per second.
func New(cfg Config) *Pacer {
	start := cfg.Start
	if !(start > 0) || math.IsInf(start, 0) {
		start = 1
	}
	p := &Pacer{floor: cfg.Floor, ceiling: cfg.Ceiling, now: cfg.Now, sleep: cfg.Sleep, slowStart: true}
	if !(p.floor > 0) {
		p.floor = start / 10
	}
	if !(p.ceiling > 0) {
		p.ceiling = start * 50
	}
	p.floor = min(p.floor, start)
	p.ceiling = max(p.ceiling, start)
	p.rate = start
	if p.floor < p.ceiling {
		p.window = max(1, int(math.Ceil(start)))
	} else if b := min(cfg.Burst, maxBurst); b > 1 {
		p.burst = make([]time.Time, b)
		p.span = time.Duration(float64(b) * float64(interval(start)) * (1 + BurstMargin))
	}
	if p.now == nil {
		p.now = time.Now
	}
	p.touched = p.now()
	if p.sleep == nil {
		p.sleep = retry.Sleep
	}
	return p
}

func interval(rate float64) time.Duration {
	return time.Duration(float64(time.Second) / rate)
}

// Admit implements retry.Gate: it waits for the next slot at the current
// rate (and, unless exempt, for a Retry-After pause to end). It fails at
// once with fault.Throttled when the slot, counting the calls waiting
// before this one, would come at or after ctx's deadline.
func (p *Pacer) Admit(ctx context.Context, exempt bool) (retry.Admission, error) {
	p.mu.Lock()
	p.waiting++
	waited := false
	for {
		now := p.now()
		step := interval(p.rate)
		at := now
		if p.burst != nil {
			// The slot frees a span after the oldest admission it remembers.
			if oldest := p.burst[p.burstAt]; !oldest.IsZero() {
				at = oldest.Add(p.span)
			}
		} else if !p.last.IsZero() {
			at = p.last.Add(step)
		}
		if exempt {
			// A refused call back from its own Retry-After ends the pause:
			// it is what the pause waited for.
			p.paused = time.Time{}
		} else if p.paused.After(at) {
			at = p.paused
		}
		if p.window > 0 && !p.paused.After(now) {
			// The window's calls go at once, the first included; one that
			// would have waited without it shows demand.
			p.window--
			if at.After(now) {
				at, waited = now, true
			}
		}
		if !at.After(now) {
			// Keep the cadence when the wake-up was a little late; after a
			// quiet spell the next slot is simply now.
			if now.Sub(at) < step {
				p.last = at
			} else {
				p.last = now
			}
			if p.burst != nil {
				// When it really went: a late wake-up must not let the next
				// span start early.
				p.burst[p.burstAt] = now
				p.burstAt = (p.burstAt + 1) % len(p.burst)
			}
			p.waiting--
			p.touched = now
			p.sent.add(now)
			p.stats.Admitted++
			a := &admission{p: p, sent: now, paced: waited}
			p.mu.Unlock()
			return a, nil
		}
		eta := p.eta(now, at, step)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= eta {
			p.waiting--
			rate := p.rate
			p.mu.Unlock()
			return nil, fault.New(fault.Throttled, "client-side pace of %.3g requests/s: no slot before the deadline", rate)
		}
		d := min(at.Sub(now), recheck)
		p.mu.Unlock()
		err := p.sleep(ctx, d)
		p.mu.Lock()
		waited = true
		if err != nil {
			p.waiting--
			p.mu.Unlock()
			return nil, fault.Wrap(fault.Transient, err, "cancelled while waiting for a slot")
		}
	}
}

// eta is how long the latest caller waits for its slot: the calls already
// waiting go first, one step each, or, in a burst, a remembered slot each.
func (p *Pacer) eta(now, at time.Time, step time.Duration) time.Duration {
	ahead := p.waiting - 1
	if p.burst == nil {
		return at.Sub(now) + time.Duration(ahead)*step
	}
	n := len(p.burst)
	slot := p.burst[(p.burstAt+ahead)%n]
	if slot.IsZero() {
		slot = now.Add(-p.span)
	}
	return max(slot.Add(time.Duration(1+ahead/n)*p.span).Sub(now), at.Sub(now))
}

type admission struct {
	p     *Pacer
	sent  time.Time
	paced bool // the call waited for its slot: demand was at the rate
}

// Done implements retry.Admission.
func (a *admission) Done(r retry.Attempt) {
	p := a.p
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	switch {
	case r.Throttled:
		p.stats.Refused++
		// The server refused within the burst it was thought to allow:
		// from now on the calls are evenly spaced.
		p.burst = nil
		if r.RetryAfter > 0 {
			p.paused = maxTime(p.paused, now.Add(r.RetryAfter))
		}
		if a.sent.Before(p.cutAt) {
			if p.exiting {
				// One more of the flight that ended slow start was refused:
				// it did not get through either.
				p.wMax = max(p.wMax-1/window.Seconds(), p.floor)
				p.rate = p.clamp(Beta * p.wMax)
			}
			return
		}
		p.cut(now)
	case r.Err == nil:
		if !a.sent.Before(p.cutAt) {
			p.exiting = false
		}
		p.accepted.add(now)
		if a.paced {
			p.grow(now, now.Sub(a.sent))
		}
	}
}

func (p *Pacer) cut(now time.Time) {
	p.window = 0
	est := p.rate
	if p.slowStart {
		// The rate asked for may be far above what got through: cut from
		// the flight of the last second less this refusal, and less each
		// refusal of the same flight still to come (TCP: half the flight
		// size). Counting successes instead would miss those in flight.
		est = min(est, p.sent.rate(now)-1/window.Seconds())
		p.exiting = true
	} else if acc := p.accepted.rate(now); acc < est {
		// What got through is the better measure, but a count spanning a
		// Retry-After pause reads low: it may lower the rate cut from by at
		// most another Beta.
		est = max(acc, Beta*est)
	}
	p.wMax = max(est, p.floor)
	p.rate = p.clamp(Beta * p.wMax)
	p.slowStart = false
	p.cutAt = now
	p.curveFrom = maxTime(now, p.paused)
	p.stats.Cuts++
}

func (p *Pacer) grow(now time.Time, roundTrip time.Duration) {
	if p.slowStart {
		step := 1 / max(roundTrip, minRoundTrip).Seconds()
		p.rate = p.clamp(p.rate + min(step, p.rate))
		return
	}
	t := now.Sub(p.curveFrom).Seconds()
	if t < 0 {
		return
	}
	target := p.wMax * (1 + cubicC*math.Pow(t-CubicK.Seconds(), 3))
	// Growth needs demand: never more than twice what got through lately.
	target = min(target, max(p.rate, 2*p.accepted.rate(now)))
	if target > p.rate {
		p.rate = p.clamp(target)
	}
}

func (p *Pacer) clamp(r float64) float64 { return min(max(r, p.floor), p.ceiling) }

// Stats returns what the pacer did so far.
func (p *Pacer) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Rate = p.rate
	return s
}

// IdleSince says whether nothing waits and nothing was admitted since t (nor
// was the pacer made since): a pacer idle that long may be dropped, and its
// rate is learned again.
func (p *Pacer) IdleSince(t time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waiting == 0 && p.touched.Before(t) && !p.paused.After(t)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// counter counts successes over the last window in slots.
type counter struct {
	slots [int(window / windowSlot)]int
	head  time.Time // start of the newest slot
	i     int
}

func (c *counter) roll(now time.Time) {
	if c.head.IsZero() || now.Sub(c.head) >= window+windowSlot {
		c.slots = [len(c.slots)]int{}
		c.head, c.i = now, 0
		return
	}
	for now.Sub(c.head) >= windowSlot {
		c.i = (c.i + 1) % len(c.slots)
		c.slots[c.i] = 0
		c.head = c.head.Add(windowSlot)
	}
}

func (c *counter) add(now time.Time) {
	c.roll(now)
	c.slots[c.i]++
}

// rate is the successes of the last window per second.
func (c *counter) rate(now time.Time) float64 {
	c.roll(now)
	n := 0
	for _, v := range c.slots {
		n += v
	}
	return float64(n) / window.Seconds()
}
