// Package retry is the one way the service repeats a call that failed in a
// way that may pass: TriNet, Leapsome, SQS, Secrets Manager and DynamoDB
// calls alike (the store's batch writes, a run's final state, the engine's
// ledger writes).
//
// One policy: exponential backoff with jitter (cenkalti/backoff/v5), bounded
// by a number of retries and a time budget; a server's Retry-After (seconds
// or an HTTP date, capped at MaxRetryAfter) is a floor under the wait. One
// deadline rule: each attempt gets at most the policy's request timeout and
// never more than the time left before the caller's deadline, and a retry
// whose wait would reach the deadline is not made: the caller gets the last
// failure, with its class, at once instead of a cancellation later. The
// policy never decides what may be repeated: the caller's attempt says so
// (a hire that may have reached TriNet is never sent twice).
package retry

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"

	"trinetsync/internal/fault"
)

// MaxRetryAfter caps a server's Retry-After. A longer one (or a date far
// ahead) is read as this long, which every caller's budget then refuses to
// wait: the call fails at once with its class instead of sleeping for hours.
const MaxRetryAfter = 5 * time.Minute

// Policy is how one kind of call is retried. The zero value of each knob
// has a default (see Do); a Policy is read-only once in use and may be
// shared by concurrent calls.
type Policy struct {
	// MaxRetries is how many times a call is repeated after its first
	// attempt (default 6; negative: never).
	MaxRetries int
	// BaseDelay is the first backoff interval, multiplied by Multiplier
	// (with ±50 % jitter) after each retry up to MaxDelay (defaults 250 ms,
	// 1.5 and 8 s).
	BaseDelay  time.Duration
	Multiplier float64
	MaxDelay   time.Duration
	// MaxElapsed bounds the time one call may spend, waits included
	// (default 60 s); a wait that would pass it is not made.
	MaxElapsed time.Duration
	// RequestTimeout bounds each attempt (default 30 s); ctx's deadline, if
	// sooner, bounds it instead.
	RequestTimeout time.Duration
	// Now and Sleep are the clock (defaults time.Now and Sleep). Tests
	// replace Sleep to see the waits without spending them.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Gate, when set, admits every attempt (a client-side rate limit) and
	// hears how it went.
	Gate Gate
	// Service names the upstream in messages and logs ("trinet").
	Service string
	// Logger gets one debug line per retry; default slog.Default().
	Logger *slog.Logger
}

// Defaults of a Policy's zero knobs.
const (
	DefaultMaxRetries     = 6
	DefaultBaseDelay      = 250 * time.Millisecond
	DefaultMaxDelay       = 8 * time.Second
	DefaultMaxElapsed     = 60 * time.Second
	DefaultRequestTimeout = 30 * time.Second
)

// Attempt is what one try of a call came to.
type Attempt struct {
	// Err is nil when the call succeeded. It carries its fault class.
	Err error
	// Retry says the failure may pass and the request may be sent again.
	Retry bool
	// RetryAfter is the server's Retry-After (see ParseRetryAfter): the
	// next attempt waits at least this long.
	RetryAfter time.Duration
	// Throttled says the server refused the attempt for its rate (HTTP
	// 429): the gate slows down.
	Throttled bool
	// Again repeats the attempt at once, not counted as a retry: a refused
	// access token was renewed. The attempt itself allows this once.
	Again bool
}

// Gate paces the attempts of calls to one API account. It is defined here,
// where it is used; internal/pacing implements it.
type Gate interface {
	// Admit waits until one attempt may be sent. exempt says the call has
	// just waited out a Retry-After of its own, so a pause that its refusal
	// set does not hold it again. Admit fails at once, with class
	// fault.Throttled, when no slot comes before ctx's deadline.
	Admit(ctx context.Context, exempt bool) (Admission, error)
}

// Admission is one admitted attempt; Done reports how it went.
type Admission interface {
	Done(a Attempt)
}

// Do runs attempt until it succeeds, fails for good, or the policy ends the
// call; the policy's Service and name prefix its own messages ("trinet
// departments").
// attempt gets a context bounded by the request timeout; it must classify
// its failure (fault classes) and say whether it may be repeated.
//
// The error is attempt's last, with its class: wrapped with the number of
// attempts when the retries or the budget ran out, or when the next wait
// would reach ctx's deadline. A cancellation while waiting keeps the last
// failure's class and wraps the context's cause. A gate that cannot admit
// the first attempt before the deadline gives its own fault.Throttled
// error: nothing was sent.
func (p *Policy) Do(ctx context.Context, name string, attempt func(ctx context.Context) Attempt) error {
	now, sleep := p.Now, p.Sleep
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = Sleep
	}
	maxRetries := max(or(p.MaxRetries, DefaultMaxRetries), 0)
	budget := or(p.MaxElapsed, DefaultMaxElapsed)
	timeout := or(p.RequestTimeout, DefaultRequestTimeout)
	base := or(p.BaseDelay, DefaultBaseDelay)
	bo := &backoff.ExponentialBackOff{
		InitialInterval:     base,
		RandomizationFactor: backoff.DefaultRandomizationFactor,
		Multiplier:          or(p.Multiplier, backoff.DefaultMultiplier),
		MaxInterval:         max(or(p.MaxDelay, DefaultMaxDelay), base),
	}
	bo.Reset()

	if p.Service != "" {
		name = p.Service + " " + name
	}
	start := now()
	obs := observerOf(ctx)
	var last Attempt
	exempt, renewed := false, false
	for n, again := 1, false; ; n++ {
		var adm Admission
		if p.Gate != nil {
			var err error
			if adm, err = p.admit(ctx, budget-now().Sub(start), exempt); err != nil {
				if last.Err == nil {
					class, _ := fault.ClassOf(err)
					return fault.Wrap(or(class, fault.Throttled), err, "%s: not sent", name)
				}
				if ctx.Err() != nil {
					return cancelled(ctx, name, last.Err)
				}
				return gaveUp(last.Err, n-1, "no slot before the deadline")
			}
		}
		last = p.run(ctx, timeout, attempt)
		if adm != nil {
			adm.Done(last)
		}
		if obs != nil {
			obs.Attempted(p.Service, n > 1 && !renewed, last)
		}
		renewed = false
		if last.Err == nil {
			return nil
		}
		if last.Again && !again {
			again = true // a renewal is not a retry
			renewed = true
			n--
			exempt = false
			continue
		}
		if !last.Retry {
			return last.Err
		}
		if ctx.Err() != nil {
			return cancelled(ctx, name, last.Err)
		}
		if n > maxRetries {
			return gaveUp(last.Err, n, "")
		}
		wait := min(bo.NextBackOff(), bo.MaxInterval)
		wait = max(wait, min(last.RetryAfter, MaxRetryAfter))
		t := now()
		if t.Sub(start)+wait > budget {
			return gaveUp(last.Err, n, "retry time spent")
		}
		// Deadlines are wall-clock times, whatever clock the policy keeps.
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= wait {
			return gaveUp(last.Err, n, "the deadline comes before the next retry")
		}
		p.logger().LogAttrs(ctx, slog.LevelDebug, strings.TrimSpace(p.Service+" retry"),
			slog.String("call", name), slog.Int("attempt", n), slog.Duration("wait", wait),
			slog.String("class", classOf(last.Err)))
		if err := sleep(ctx, wait); err != nil {
			return cancelled(ctx, name, last.Err)
		}
		// Only a 429 sets a pause (its own) that this call has now waited out.
		exempt = last.Throttled && last.RetryAfter > 0
	}
}

// Observer hears of every attempt a policy makes under a context that
// carries it (WithObserver): a run's metrics count the calls to each
// upstream, its throttled answers, its retries and its hires whose outcome
// is unknown, whichever client made them. service is the policy's Service;
// retried is true for an attempt after the first (a renewal of the access
// token is not a retry). It is called from the caller's goroutine, possibly
// from several at once.
type Observer interface {
	Attempted(service string, retried bool, a Attempt)
}

type observerKey struct{}

// WithObserver returns a context whose calls report their attempts to o. It
// travels with the context, as net/http/httptrace's hooks do, so the clients
// built for a run need no knowledge of who is counting.
func WithObserver(ctx context.Context, o Observer) context.Context {
	return context.WithValue(ctx, observerKey{}, o)
}

func observerOf(ctx context.Context) Observer {
	o, _ := ctx.Value(observerKey{}).(Observer)
	return o
}

// admit asks the gate for a slot within the budget left as well as ctx's
// deadline: a slot past either is refused at once.
func (p *Policy) admit(ctx context.Context, left time.Duration, exempt bool) (Admission, error) {
	gctx, cancel := context.WithTimeout(ctx, max(left, 0))
	defer cancel()
	return p.Gate.Admit(gctx, exempt)
}

// run makes one attempt under the request timeout. The timeout is a
// context, so it also bounds reading the answer, and ctx's deadline, when
// sooner, wins by itself.
func (p *Policy) run(ctx context.Context, timeout time.Duration, attempt func(context.Context) Attempt) Attempt {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return attempt(actx)
}

func (p *Policy) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.Default()
}

// gaveUp keeps err's class; why, when set, says what ended the retries.
func gaveUp(err error, attempts int, why string) error {
	class, ok := fault.ClassOf(err)
	if !ok {
		class = fault.Transient
	}
	if why != "" {
		return fault.Wrap(class, err, "gave up after %d attempts (%s)", attempts, why)
	}
	return fault.Wrap(class, err, "gave up after %d attempts", attempts)
}

// cancelled is the error of a call whose context ended between attempts:
// the last failure's class, the context's cause kept for errors.Is.
func cancelled(ctx context.Context, name string, last error) error {
	class, ok := fault.ClassOf(last)
	if !ok {
		class = fault.Transient
	}
	return fault.Wrap(class, context.Cause(ctx), "%s: cancelled while retrying after: %s", name, last)
}

func classOf(err error) string {
	if c, ok := fault.ClassOf(err); ok {
		return c.String()
	}
	return "unclassified"
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// ParseRetryAfter reads a Retry-After header as RFC 9110 allows it: a
// number of seconds or an HTTP date. Anything else, a negative number or a
// date already past is no wait; a wait longer than MaxRetryAfter is capped.
func ParseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.ParseInt(h, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		if s >= int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		return time.Duration(s) * time.Second
	} else if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(h, "-") {
		return MaxRetryAfter
	}
	if t, ok := parseHTTPDate(h); ok && t.After(now) {
		return min(t.Sub(now), MaxRetryAfter)
	}
	return 0
}

// httpDateLayouts are the three forms of an HTTP date (RFC 9110 §5.6.7), as
// net/http reads them; this package stays free of net/http so that the
// engine, which must not import it, can use the policy too.
var httpDateLayouts = []string{
	"Mon, 02 Jan 2006 15:04:05 GMT", // IMF-fixdate
	time.RFC850,
	time.ANSIC,
}

func parseHTTPDate(h string) (time.Time, bool) {
	for _, layout := range httpDateLayouts {
		if t, err := time.Parse(layout, h); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Sleep waits d, or until ctx ends (then it returns ctx's cause). It is the
// service's one context-aware sleep.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Recorder is a Sleep that records the waits asked of it instead of spending
// them (ending early only when ctx has ended), for tests that check a
// policy's waits.
type Recorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

// Sleep records d.
func (r *Recorder) Sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.waits = append(r.waits, d)
	r.mu.Unlock()
	return ctx.Err()
}

// Waits are the waits recorded so far, in order.
func (r *Recorder) Waits() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.waits)
}
