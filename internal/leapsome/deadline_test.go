package leapsome

import (
	"context"
	"errors"
	"testing"
	"time"

	"trinetsync/internal/fault"
	lsandbox "trinetsync/internal/sandbox/leapsome"
)

// The deadline rule (issue 10) on the Leapsome side: each attempt gets
// min(request timeout, time left before the deadline), and a retry whose wait
// would reach the deadline is not made.

func TestAttemptTimeout(t *testing.T) {
	e := newEnv(t, lsandbox.Options{})
	e.seed(3)
	cfg := e.config()
	cfg.RequestTimeout = 50 * time.Millisecond
	c, w := newClient(t, cfg)
	if err := c.CheckToken(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.sb.SetFaults(e.tenant.ID, lsandbox.Faults{Endpoint: "work-locations", Latency: time.Minute})
	_, err := c.Directory(t.Context())
	if !errors.Is(err, fault.ErrTransient) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a transient timeout", err)
	}
	if n := e.calls("work-locations"); n != defaultMaxRetries+1 || len(w.Waits()) != defaultMaxRetries {
		t.Fatalf("calls = %d, waits %d; want every attempt cut at the request timeout and retried", n, len(w.Waits()))
	}
}

func TestNoRetryPastDeadline(t *testing.T) {
	e := newEnv(t, lsandbox.Options{})
	e.seed(3)
	c, w := newClient(t, e.config())
	e.sb.SetFaults(e.tenant.ID, lsandbox.Faults{Endpoint: "employees", Throttle: 100, RetryAfter: 5})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	_, err := c.Directory(ctx)
	if !errors.Is(err, fault.ErrThrottled) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the 429's class, not a cancellation", err)
	}
	if ctx.Err() != nil || len(w.Waits()) != 0 || e.calls("employees") != 1 {
		t.Fatalf("waited %v over %d calls (deadline passed: %v); want one call and no wait", w.Waits(), e.calls("employees"), ctx.Err() != nil)
	}
}
