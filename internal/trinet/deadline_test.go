package trinet

import (
	"context"
	"errors"
	"testing"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/retry"
	sandbox "trinetsync/internal/sandbox/trinet"
)

// The deadline rule (issue 10): every attempt gets min(request timeout, time
// left before the caller's deadline); a retry whose wait would reach the
// deadline is not made, so the caller gets the last failure, with its class,
// while it still has time to record it; a hire whose request was never
// written is never reported as an unknown outcome.

// TestAttemptTimeout: a slow answer ends each attempt at the request
// timeout, and the attempts are retried like any transient failure.
func TestAttemptTimeout(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	var s retry.Recorder
	c := e.client(t, func(c *Config) { c.RequestTimeout = 50 * time.Millisecond; c.Sleep = s.Sleep })
	e.sb.SetFaults(co, sandbox.Faults{Latency: time.Minute, Endpoint: "departments"})
	_, err := c.Departments(context.Background())
	if !errors.Is(err, fault.ErrTransient) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a transient timeout", err)
	}
	if n := e.sb.Calls(co)["departments"]; n != defaultMaxRetries+1 {
		t.Fatalf("calls = %d, want every attempt cut at the request timeout and retried (%d)", n, defaultMaxRetries+1)
	}
}

// TestAttemptBoundedByDeadline: with a long request timeout, the caller's
// deadline ends the attempt, and nothing is retried after it.
func TestAttemptBoundedByDeadline(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	c := e.client(t, func(c *Config) { c.RequestTimeout = time.Hour })
	if _, err := c.OrgDetails(context.Background()); err != nil { // the token first
		t.Fatal(err)
	}
	e.sb.SetFaults(co, sandbox.Faults{Latency: time.Minute, Endpoint: "locations"})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Locations(ctx)
	if !errors.Is(err, fault.ErrTransient) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a transient error at the deadline", err)
	}
	if n := e.sb.Calls(co)["locations"]; n != 1 {
		t.Fatalf("calls = %d, want 1", n)
	}
}

// TestNoRetryPastDeadline: a 429 whose Retry-After reaches past the deadline
// ends the call at once with fault.Throttled; the caller's context is still
// alive for its bookkeeping. Likewise a backoff after a 5xx.
func TestNoRetryPastDeadline(t *testing.T) {
	tests := []struct {
		name   string
		faults sandbox.Faults
		delay  time.Duration // the retry wait without Retry-After
		want   error
	}{
		{"429 with a Retry-After past the deadline", sandbox.Faults{Throttle: 100, RetryAfter: 5}, time.Millisecond, fault.ErrThrottled},
		{"5xx with a backoff past the deadline", sandbox.Faults{ServerErrors: 100}, 10 * time.Second, fault.ErrTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			c := e.client(t, func(c *Config) { c.BaseDelay, c.MaxDelay = tt.delay, tt.delay })
			f := tt.faults
			f.Endpoint = "departments"
			e.sb.SetFaults(co, f)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_, err := c.Departments(ctx)
			if !errors.Is(err, tt.want) || errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want %v from the last answer, not a cancellation", err, tt.want)
			}
			if ctx.Err() != nil {
				t.Fatal("the call waited into its deadline instead of returning before it")
			}
			if n := e.sb.Calls(co)["departments"]; n != 1 {
				t.Fatalf("calls = %d, want 1", n)
			}
		})
	}
}

// TestHireNeverWrittenIsNotUnknown: a hire that the deadline stops before
// its request is written — waiting for the pace, for a retry after a 429,
// or for the token — is a failure the engine may clear (never
// fault.OutcomeUnknown) and reached TriNet at most as a refused request;
// only a written request without an answer is unknown.
func TestHireNeverWrittenIsNotUnknown(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, e *env, c *Client)
		want    error
		posts   int
		unknown bool
	}{
		{"no slot before the deadline", func(t *testing.T, e *env, c *Client) {
			// One call a minute: the hire's slot is after the deadline.
			slow := NewShared(Pacing{RPS: 1.0 / 60})
			*c = *e.client(t, func(cfg *Config) { cfg.Shared = slow })
			if _, err := c.OrgDetails(context.Background()); err != nil {
				t.Fatal(err)
			}
		}, fault.ErrThrottled, 0, false},
		{"429 with a Retry-After past the deadline", func(t *testing.T, e *env, c *Client) {
			e.sb.SetFaults(co, sandbox.Faults{Throttle: 100, RetryAfter: 30, Endpoint: "hire"})
		}, fault.ErrThrottled, 1, false},
		{"the token comes after the deadline", func(t *testing.T, e *env, c *Client) {
			// Past the hire's deadline; short, since the token request goes
			// on for the callers that may come after this one.
			e.sb.SetFaults(co, sandbox.Faults{Latency: 2 * time.Second, Endpoint: "token"})
		}, fault.ErrTransient, 0, false},
		{"written, then no answer before the deadline", func(t *testing.T, e *env, c *Client) {
			if _, err := c.OrgDetails(context.Background()); err != nil {
				t.Fatal(err)
			}
			e.sb.SetFaults(co, sandbox.Faults{Latency: time.Minute, Endpoint: "hire"})
		}, fault.ErrOutcomeUnknown, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			c := e.client(t, nil)
			tt.setup(t, e, c)
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, err := c.Hire(ctx, hireOf(today()))
			if !errors.Is(err, tt.want) || errors.Is(err, fault.ErrOutcomeUnknown) != tt.unknown {
				t.Fatalf("err = %v, want %v (outcome unknown: %v)", err, tt.want, tt.unknown)
			}
			if n := e.sb.Calls(co)["hire"]; n != tt.posts {
				t.Fatalf("hire POSTs = %d, want %d", n, tt.posts)
			}
			if _, applied := hires(e); applied != 0 {
				t.Fatalf("applied hires = %d, want 0", applied)
			}
		})
	}
}
