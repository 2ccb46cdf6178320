package leapsome

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"trinetsync/internal/fault"
	lsandbox "trinetsync/internal/sandbox/leapsome"
)

func TestPaging(t *testing.T) {
	tests := []struct {
		name          string
		people        int
		scim          bool
		wantEmployees int
		wantSCIM      int
	}{
		{"no people", 0, false, 1, 0},
		{"one page exactly", 1000, false, 1, 0},
		{"one more than a page", 1001, false, 2, 0},
		{"one SCIM page exactly", 5000, true, 5, 1},
		{"one more than a SCIM page", 5001, true, 6, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, lsandbox.Options{})
			ids := e.seed(tt.people)
			cfg := e.config()
			if !tt.scim {
				cfg.SCIMToken = ""
			}
			c, _ := newClient(t, cfg)
			dir, err := c.Directory(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			got := make([]string, len(dir.People))
			for i, p := range dir.People {
				got[i] = p.ID
				if tt.scim && (p.SCIM == nil || p.SCIM.Birthday != "1990-01-02") {
					t.Fatalf("person %s: SCIM = %+v, want the SCIM record merged", p.ID, p.SCIM)
				}
				if !tt.scim && p.SCIM != nil {
					t.Fatalf("person %s: SCIM record without SCIM configured", p.ID)
				}
			}
			if !slices.Equal(got, ids) {
				t.Fatalf("read %d people, want %d in the sandbox's order", len(got), len(ids))
			}
			if dir.SCIM != tt.scim {
				t.Fatalf("Directory.SCIM = %v, want %v", dir.SCIM, tt.scim)
			}
			if n := e.calls("employees"); n != tt.wantEmployees {
				t.Errorf(`Calls("employees") = %d, want %d`, n, tt.wantEmployees)
			}
			if n := e.calls("scim-users"); n != tt.wantSCIM {
				t.Errorf(`Calls("scim-users") = %d, want %d`, n, tt.wantSCIM)
			}
			if n := e.calls("token"); n != 1 {
				t.Errorf(`Calls("token") = %d, want 1`, n)
			}
		})
	}
}

func TestTokenExpiresWhilePaging(t *testing.T) {
	e := newEnv(t, lsandbox.Options{})
	e.seed(2500)
	// The first page announces 2,500 people: pages 2 and 3 are fetched at
	// once, and the token expires as they arrive (page 2 expires it once
	// page 3 is in, and page 3 is let on only then), so both meet the
	// expired token however the two requests are scheduled.
	var first2, first3 atomic.Bool
	arrived3, expired := make(chan struct{}), make(chan struct{})
	e.setHook(func(r *http.Request) {
		if r.URL.Path != "/v1/employees" {
			return
		}
		switch r.URL.Query().Get("page") {
		case "2":
			if first2.CompareAndSwap(false, true) {
				select {
				case <-arrived3:
				case <-time.After(10 * time.Second):
					t.Error("page 3 was not asked for while page 2 was: the pages are not fetched at once")
				}
				e.sb.ExpireTokens()
				close(expired)
			}
		case "3":
			if first3.CompareAndSwap(false, true) {
				close(arrived3)
				select {
				case <-expired:
				case <-time.After(10 * time.Second):
					t.Error("page 2 was not asked for while page 3 was: the pages are not fetched at once")
				}
			}
		}
	})
	cfg := e.config()
	cfg.SCIMToken = ""
	c, _ := newClient(t, cfg)
	dir, err := c.Directory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(dir.People) != 2500 {
		t.Fatalf("read %d people, want 2500", len(dir.People))
	}
	for i, p := range dir.People {
		if want := fmt.Sprintf("%024x", i+1); p.ID != want {
			t.Fatalf("person %d is %s, want %s: the pages out of order", i, p.ID, want)
		}
	}
	// Both refusals renew the token once between them.
	if n := e.calls("token"); n != 2 {
		t.Errorf(`Calls("token") = %d, want 2 (renewed once)`, n)
	}
	// Page 1; pages 2 and 3 (both refused); pages 2 and 3 again.
	if n := e.calls("employees"); n != 5 {
		t.Errorf(`Calls("employees") = %d, want 5`, n)
	}
	if n := e.status(http.StatusUnauthorized); n != 2 {
		t.Errorf("401 answers = %d, want 2", n)
	}
}

func TestTokenSharedAcrossClients(t *testing.T) {
	e := newEnv(t, lsandbox.Options{})
	e.seed(3)
	for range 3 {
		c, _ := newClient(t, e.config())
		if _, err := c.Directory(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.calls("token"); n != 1 {
		t.Fatalf(`Calls("token") = %d, want 1: one token per credential`, n)
	}
	// CheckToken never trusts the cache: a revoked secret must be noticed.
	c, _ := newClient(t, e.config())
	if err := c.CheckToken(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := e.calls("token"); n != 2 {
		t.Fatalf(`Calls("token") after CheckToken = %d, want 2`, n)
	}
}

func TestConcurrentRenewalDoesNotStampede(t *testing.T) {
	e := newEnv(t, lsandbox.Options{})
	e.seed(2)
	cfg := e.config()
	cfg.SCIMToken = ""
	c, _ := newClient(t, cfg)
	if err := c.CheckToken(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.sb.ExpireTokens()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			if _, err := c.Directory(t.Context()); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := e.calls("token"); n != 2 {
		t.Fatalf(`Calls("token") = %d, want 2: 16 refused calls share one renewal`, n)
	}
}

func TestCredentialsRejected(t *testing.T) {
	tests := []struct {
		name      string
		mutate    func(*Config)
		check     func(*Client, context.Context) error
		wantField string
		wantCalls map[string]int
	}{
		{"bad secret on connect", func(c *Config) { c.APISecret = "wrong" }, (*Client).CheckToken, fieldAPISecret, nil},
		{"bad secret on sync", func(c *Config) { c.APISecret = "wrong" }, directoryErr, fieldAPISecret, nil},
		{"bad SCIM token on connect", func(c *Config) { c.SCIMToken = "wrong" }, (*Client).CheckSCIM, fieldSCIMToken, nil},
		{"bad SCIM token on sync", func(c *Config) { c.SCIMToken = "wrong" }, directoryErr, fieldSCIMToken, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, lsandbox.Options{})
			e.seed(2)
			cfg := e.config()
			tt.mutate(&cfg)
			c, w := newClient(t, cfg)
			err := tt.check(c, t.Context())
			if !errors.Is(err, fault.ErrAuth) {
				t.Fatalf("err = %v, want fault.ErrAuth", err)
			}
			if f := fault.FieldOf(err); f != tt.wantField {
				t.Fatalf("field = %q, want %q", f, tt.wantField)
			}
			if len(w.Waits()) != 0 {
				t.Fatalf("rejected credentials were retried: %v", w.Waits())
			}
			for _, secret := range []string{cfg.APISecret, cfg.SCIMToken} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error %q reveals a credential", err)
				}
			}
		})
	}
}

func directoryErr(c *Client, ctx context.Context) error {
	_, err := c.Directory(ctx)
	return err
}

func TestSCIMCheck(t *testing.T) {
	e := newEnv(t, lsandbox.Options{})
	e.seed(3)
	c, _ := newClient(t, e.config())
	if err := c.CheckSCIM(t.Context()); err != nil {
		t.Fatal(err)
	}
	cfg := e.config()
	cfg.SCIMToken = ""
	c, _ = newClient(t, cfg)
	if err := c.CheckSCIM(t.Context()); fault.FieldOf(err) != fieldSCIMToken {
		t.Fatalf("CheckSCIM without token = %v, want an error naming %s", err, fieldSCIMToken)
	}
}

func TestFaults(t *testing.T) {
	const retries = 5
	tests := []struct {
		name      string
		faults    lsandbox.Faults
		wantErr   error // nil: the read succeeds
		wantWaits []time.Duration
		wantCalls int // calls to faults.Endpoint; 0 = not checked
	}{
		{"429 with Retry-After then success", lsandbox.Faults{Endpoint: "employees", Throttle: 2, RetryAfter: 3},
			nil, []time.Duration{3 * time.Second, 3 * time.Second}, 3},
		{"429 without Retry-After then success", lsandbox.Faults{Endpoint: "employees", Throttle: 2}, nil, nil, 3},
		{"500 then success", lsandbox.Faults{Endpoint: "employees", ServerErrors: 3}, nil, nil, 4},
		{"dropped connection then success", lsandbox.Faults{Endpoint: "employees", Drop: 2}, nil, nil, 0},
		{"token 500 then success", lsandbox.Faults{Endpoint: "token", ServerErrors: 2}, nil, nil, 3},
		{"SCIM 429 then success", lsandbox.Faults{Endpoint: "scim-users", Throttle: 2}, nil, nil, 3},
		{"SCIM dropped connection then success", lsandbox.Faults{Endpoint: "scim-users", Drop: 1}, nil, nil, 0},
		{"persistent 429", lsandbox.Faults{Endpoint: "employees", Throttle: 100}, fault.ErrThrottled, nil, retries + 1},
		{"persistent 500", lsandbox.Faults{Endpoint: "work-locations", ServerErrors: 100}, fault.ErrTransient, nil, retries + 1},
		{"persistent dropped connection", lsandbox.Faults{Endpoint: "scim-users", Drop: 100}, fault.ErrTransient, nil, 0},
		{"persistent token 500", lsandbox.Faults{Endpoint: "token", ServerErrors: 100}, fault.ErrTransient, nil, retries + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, lsandbox.Options{})
			e.seed(3)
			e.sb.SetFaults(e.tenant.ID, tt.faults)
			cfg := e.config()
			cfg.MaxRetries = retries
			c, w := newClient(t, cfg)
			dir, err := c.Directory(t.Context())
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Directory: %v", err)
			case tt.wantErr == nil && len(dir.People) != 3:
				t.Fatalf("read %d people, want 3", len(dir.People))
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil && len(w.Waits()) != retries {
				t.Errorf("waited %d times, want %d retries", len(w.Waits()), retries)
			}
			if tt.wantWaits != nil && !slices.Equal(w.Waits(), tt.wantWaits) {
				t.Errorf("waits = %v, want %v (Retry-After honoured)", w.Waits(), tt.wantWaits)
			}
			for _, d := range w.Waits() {
				if tt.wantWaits == nil && d > cfg.MaxDelay {
					t.Errorf("wait %v longer than MaxDelay %v", d, cfg.MaxDelay)
				}
			}
			if tt.wantCalls > 0 {
				if n := e.calls(tt.faults.Endpoint); n != tt.wantCalls {
					t.Errorf("Calls(%q) = %d, want %d", tt.faults.Endpoint, n, tt.wantCalls)
				}
			}
		})
	}
}

func TestRetryBudget(t *testing.T) {
	e := newEnv(t, lsandbox.Options{})
	e.sb.SetFaults(e.tenant.ID, lsandbox.Faults{Endpoint: "employees", Throttle: 100, RetryAfter: 30})
	cfg := e.config()
	cfg.MaxElapsed = time.Minute
	c, w := newClient(t, cfg)
	_, err := c.Directory(t.Context())
	if !errors.Is(err, fault.ErrThrottled) {
		t.Fatalf("err = %v, want fault.ErrThrottled", err)
	}
	// A Retry-After longer than the whole budget is not waited for at all.
	cfg.MaxElapsed = 10 * time.Second
	c2, w2 := newClient(t, cfg)
	e.sb.SetFaults(e.tenant.ID, lsandbox.Faults{Endpoint: "employees", Throttle: 100, RetryAfter: 30})
	if _, err := c2.Directory(t.Context()); !errors.Is(err, fault.ErrThrottled) {
		t.Fatalf("err = %v, want fault.ErrThrottled", err)
	}
	if len(w2.Waits()) != 0 {
		t.Fatalf("waited %v beyond a 10s budget", w2.Waits())
	}
	if len(w.Waits()) == 0 {
		t.Fatal("a Retry-After within the budget was not waited for")
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	e := newEnv(t, lsandbox.Options{})
	e.sb.SetFaults(e.tenant.ID, lsandbox.Faults{Endpoint: "employees", ServerErrors: 100})
	ctx, cancel := context.WithCancel(t.Context())
	c, err := New(e.config())
	if err != nil {
		t.Fatal(err)
	}
	var waits atomic.Int32
	c.sleep = func(ctx context.Context, d time.Duration) error {
		if waits.Add(1) == 2 {
			cancel()
		}
		return ctx.Err()
	}
	_, err = c.Directory(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := e.calls("employees"); n != 2 {
		t.Fatalf(`Calls("employees") = %d, want 2: no call after cancellation`, n)
	}
}

func TestRateLimitsRespected(t *testing.T) {
	// Against a sandbox that answers 429 beyond 20 requests/s (Content) and
	// 30/s (SCIM) per tenant, the client's own limiters, shared by every
	// Client of the tenant, must keep every call within the limits.
	tests := []struct {
		name    string
		people  int
		readers int // concurrent Directory calls, each its own Client
		scim    bool
	}{
		{"20 pages", 20000, 1, false},
		{"30 readers at once", 1, 30, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, lsandbox.Options{EnforceRateLimits: true})
			e.seed(tt.people)
			cfg := e.config()
			cfg.ContentRPS, cfg.SCIMRPS = 0, 0 // Leapsome's documented limits
			cfg.Shared = NewShared(Limits{})   // held by every reader's client, as app.APIClients does
			if !tt.scim {
				cfg.SCIMToken = ""
			}
			var wg sync.WaitGroup
			errs := make(chan error, tt.readers)
			for range tt.readers {
				c, _ := newClient(t, cfg)
				wg.Go(func() {
					if _, err := c.Directory(t.Context()); err != nil {
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if n := e.status(http.StatusTooManyRequests); n != 0 {
				t.Fatalf("the sandbox answered 429 %d times", n)
			}
			pages := (tt.people + contentPageSize - 1) / contentPageSize
			if n := e.calls("employees"); n != pages*tt.readers {
				t.Fatalf(`Calls("employees") = %d, want %d`, n, pages*tt.readers)
			}
		})
	}
}

func TestRequestsMatchOpenAPI(t *testing.T) {
	e := newEnv(t, lsandbox.Options{})
	e.seed(1001)
	c, _ := newClient(t, e.config())
	if err := c.CheckToken(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckSCIM(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Directory(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, op := range []string{"getToken", "listEmployees", "listWorkLocations", "getUsers"} {
		if e.ops[op] == 0 {
			t.Errorf("no %s request was validated", op)
		}
	}
	// The validator itself must be able to fail.
	bad, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/v1/employees?page=0&pageSize=5000", nil)
	bad.Header.Set("Authorization", "Bearer x")
	if _, err := validateRequest(t, bad); err == nil {
		t.Error("validator accepted page=0&pageSize=5000")
	}
	noAuth, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/scim/v1/Users?count=6000", nil)
	if _, err := validateRequest(t, noAuth); err == nil {
		t.Error("validator accepted a SCIM request without token and count=6000")
	}
}

func TestNothingSecretInLogsOrErrors(t *testing.T) {
	e := newEnv(t, lsandbox.Options{})
	if err := e.sb.PutEmployee(e.tenant.ID, lsandbox.Employee{
		ID: "aaaaaaaaaaaaaaaaaaaaaaaa", Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace",
		Birthday: "1815-12-10", Gender: "female", CustomAttributes: map[string]any{"SSN": "123-45-6789"},
	}); err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	cfg := e.config()
	cfg.Logger = logs.logger()
	// Faults on every endpoint make the client log retries; drops on the
	// token call produce the transport errors that quote URLs.
	e.sb.SetFaults(e.tenant.ID, lsandbox.Faults{Drop: 2, Throttle: 2, ServerErrors: 2})
	c, _ := newClient(t, cfg)
	if _, err := c.Directory(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.sb.SetFaults(e.tenant.ID, lsandbox.Faults{Endpoint: "token", Drop: 100})
	err := c.CheckToken(t.Context())
	if !errors.Is(err, fault.ErrTransient) {
		t.Fatalf("err = %v, want fault.ErrTransient", err)
	}
	out := logs.String() + err.Error()
	if !strings.Contains(logs.String(), "leapsome retry") {
		t.Fatal("expected retry logs to inspect")
	}
	tok, terr := c.token(t.Context(), "", false)
	if terr != nil {
		t.Fatal(terr)
	}
	for _, secret := range []string{cfg.APISecret, cfg.SCIMToken, tok, "1815-12-10", "123-45-6789", "ada@example.com", "Lovelace"} {
		if strings.Contains(out, secret) {
			t.Errorf("logs or errors contain %q", secret)
		}
	}
}
