package trinet

// Tests against the project's TriNet sandbox over real HTTP.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
	"trinetsync/internal/retry"
	sandbox "trinetsync/internal/sandbox/trinet"
)

const co = "CJ6"

type env struct {
	sb     *sandbox.Server
	srv    *httptest.Server
	id     string
	secret string
	mu     sync.Mutex
	offs   map[int]int // employees offset → requests
	hook   func(r *http.Request)
	// shared is the token cache and pacers of every client the test builds,
	// as app.APIClients holds them for a process.
	shared *Shared
}

// newEnv starts a sandbox with one company whose credentials are unique to
// the test.
func newEnv(t *testing.T, opts sandbox.Options) *env {
	t.Helper()
	e := &env{sb: sandbox.New(opts), id: "client-" + t.Name(), secret: "secret-" + t.Name(), offs: map[int]int{},
		shared: NewShared(Pacing{RPS: 10000})}
	err := e.sb.AddCompany(sandbox.Company{
		ID: co, Name: "Acme Inc", ClientID: e.id, ClientSecret: e.secret,
		Departments: []sandbox.Department{{ID: "D100", Name: "Engineering"}, {ID: "D200", Name: "Sales"}},
		Locations:   []sandbox.Location{{ID: "SF1", Name: "San Francisco", Country: "US"}, {ID: "TO1", Name: "Toronto", Country: "CA"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/employees") && r.Method == http.MethodGet {
			off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
			e.mu.Lock()
			e.offs[off]++
			e.mu.Unlock()
		}
		if e.hook != nil {
			e.hook(r)
		}
		e.sb.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) client(t *testing.T, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		BaseURL: e.srv.URL, CompanyID: co, ClientID: e.id, ClientSecret: e.secret, Shared: e.shared,
		BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond, Logger: quietLogger(),
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) seed(t testing.TB, n int) []string {
	ids := make([]string, 0, n)
	for i := range n {
		emp, err := e.sb.PutEmployee(co, sandbox.Employee{
			FirstName: "First" + strconv.Itoa(i), LastName: "Last", WorkEmail: fmt.Sprintf("p%d@example.com", i),
			StartDate: "2024-01-08", Gender: "F", Title: "Engineer", StandardHours: "40", DeptID: "D100", LocationID: "SF1",
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, emp.ID)
	}
	return ids
}

func today() string { return time.Now().UTC().Format(dateLayout) }

func TestEmployeesPaging(t *testing.T) {
	tests := []struct {
		n     int
		calls int // employees requests: page 1, then windows of 2, 4, 8, …
	}{
		{0, 1},
		{1, 1},
		{100, 1},
		{101, 3},
		{250, 3},
		{1000, 15}, // pages 1 | 2-3 | 4-7 | 8-15: four round trips for ten pages
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.n), func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			want := e.seed(t, tt.n)
			got, err := e.client(t, nil).Employees(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			ids := make([]string, len(got))
			for i, emp := range got {
				ids[i] = emp.ID
			}
			if !reflect.DeepEqual(ids, want) && !(len(ids) == 0 && len(want) == 0) {
				t.Fatalf("got %d employees %v…, want %d in TriNet's order", len(ids), head(ids), len(want))
			}
			if c := e.sb.Calls(co); c["employees"] != tt.calls || c["token"] != 1 {
				t.Fatalf("calls = %v, want %d employees and 1 token", c, tt.calls)
			}
			for off, n := range e.offs {
				if n != 1 || (off-1)%pageLimit != 0 {
					t.Fatalf("offset %d requested %d times", off, n)
				}
			}
			for off := 1; off <= tt.n; off += pageLimit {
				if e.offs[off] != 1 {
					t.Fatalf("page at offset %d not fetched", off)
				}
			}
		})
	}
}

func head(s []string) []string { return s[:min(3, len(s))] }

func TestEmployeeRecordIsMapped(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	boss, _ := e.sb.PutEmployee(co, sandbox.Employee{FirstName: "Grace", LastName: "Hopper", StartDate: "2020-01-01"})
	_, _ = e.sb.PutEmployee(co, sandbox.Employee{
		FirstName: "Ada", MiddleName: "K", LastName: "Lovelace", Gender: "F", BirthDate: "1990-12-10",
		Ethnicity: "WHITE", MaritalStatus: "S", Country: "US", Status: "T", StartDate: "2024-01-08",
		Title: "Engineer", EmployeeType: "F", FLSACode: "T", StandardHours: "37.5",
		WorkEmail: "ada@example.com", WorkPhone: "+14155550100", CustomGroupA: "GA", CustomGroupB: "GB",
		LocationID: "SF1", DeptID: "D100", SupervisorID: boss.ID,
	})
	_, _ = e.sb.PutEmployee(co, sandbox.Employee{FirstName: "Pending", LastName: "Hire", StartDate: "2024-01-08", ApprovalStatus: "I"})
	got, err := e.client(t, nil).Employees(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d employees, want 2 (the pending hire is not listed)", len(got))
	}
	want := provision.Employee{
		ID: got[1].ID, FirstName: "Ada", MiddleName: "K", LastName: "Lovelace", Gender: "F", BirthDate: "1990-12-10",
		Ethnicity: "WHITE", MaritalStatus: "S", Country: "US", Status: "T", StartDate: "2024-01-08",
		Title: "Engineer", EmployeeType: "F", FLSACode: "T", StandardHours: "37.5",
		WorkEmail: "ada@example.com", WorkPhone: "+14155550100", CustomGroupA: "GA", CustomGroupB: "GB",
		LocationID: "SF1", LocationName: "San Francisco", DeptID: "D100", DeptName: "Engineering", SupervisorID: boss.ID,
	}
	if got[1] != want {
		t.Fatalf("got  %+v\nwant %+v", got[1], want)
	}
}

func TestCompanyLookups(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	c := e.client(t, nil)
	ctx := context.Background()
	org, err := c.OrgDetails(ctx)
	if err != nil || org != (OrgDetails{CompanyID: co, CompanyName: "Acme Inc"}) {
		t.Fatalf("org = %+v, %v", org, err)
	}
	deps, err := c.Departments(ctx)
	if err != nil || !reflect.DeepEqual(deps, []provision.Department{{ID: "D100", Name: "Engineering"}, {ID: "D200", Name: "Sales"}}) {
		t.Fatalf("departments = %+v, %v", deps, err)
	}
	locs, err := c.Locations(ctx)
	if err != nil || !reflect.DeepEqual(locs, []provision.Location{{ID: "SF1", Name: "San Francisco", Country: "US"}, {ID: "TO1", Name: "Toronto", Country: "CA"}}) {
		t.Fatalf("locations = %+v, %v", locs, err)
	}
	if n := e.sb.Calls(co)["token"]; n != 1 {
		t.Fatalf("token calls = %d, want 1: the token is cached across calls", n)
	}
}

func TestTokenSharedAndNotStampeded(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	// Many Client values of one credential, called at once.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		c := e.client(t, nil)
		wg.Go(func() {
			_, err := c.OrgDetails(context.Background())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if c := e.sb.Calls(co); c["token"] != 1 || c["org-details"] != 20 {
		t.Fatalf("calls = %v, want 1 token for 20 calls", c)
	}
}

func TestTokenRenewedBeforeExpiry(t *testing.T) {
	e := newEnv(t, sandbox.Options{}) // tokens live 3600 s, reported as "3599"
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	c := e.client(t, func(c *Config) { c.Now = clock })
	ctx := context.Background()
	steps := []struct {
		advance time.Duration
		tokens  int
	}{
		{0, 1},
		{3500 * time.Second, 1},
		{40 * time.Second, 2}, // 3540 s: inside the 60 s safety margin of 3599
		{10 * time.Second, 2},
	}
	for i, s := range steps {
		advance(s.advance)
		if _, err := c.OrgDetails(ctx); err != nil {
			t.Fatal(err)
		}
		if n := e.sb.Calls(co)["token"]; n != s.tokens {
			t.Fatalf("step %d: token calls = %d, want %d", i, n, s.tokens)
		}
	}
	if n := e.sb.Calls(co)["org-details"]; n != len(steps) {
		t.Fatalf("org-details calls = %d, want %d: a renewal before expiry costs no 401", n, len(steps))
	}
}

func TestTokenExpiresWhilePaging(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	want := e.seed(t, 750)
	var once sync.Once
	e.hook = func(r *http.Request) {
		if r.URL.Query().Get("offset") == "201" {
			once.Do(e.sb.ExpireTokens)
		}
	}
	got, err := e.client(t, nil).Employees(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d employees, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i] {
			t.Fatalf("employee %d = %s, want %s", i, got[i].ID, want[i])
		}
	}
	if n := e.sb.Calls(co)["token"]; n != 2 {
		t.Fatalf("token calls = %d, want 2 (one renewal)", n)
	}
}

func TestCredentialErrors(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	if err := e.sb.AddCompany(sandbox.Company{ID: "XY1", Name: "Other", ClientID: "other-" + t.Name(), ClientSecret: "x"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		mod  func(*Config)
		want error
	}{
		{"wrong secret", func(c *Config) { c.ClientSecret = "wrong" }, fault.ErrAuth},
		{"unknown client", func(c *Config) { c.ClientID = "nobody" }, fault.ErrAuth},
		{"another company", func(c *Config) { c.CompanyID = "XY1" }, fault.ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.client(t, tt.mod).OrgDetails(context.Background())
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "wrong") || strings.Contains(err.Error(), e.secret) {
				t.Fatalf("error carries the secret: %v", err)
			}
		})
	}
}

func TestFaultsOnReads(t *testing.T) {
	tests := []struct {
		name     string
		faults   sandbox.Faults
		want     error // nil: success
		calls    int
		minFirst time.Duration // the first wait at least
	}{
		{"429 with Retry-After then success", sandbox.Faults{Throttle: 1, RetryAfter: 2}, nil, 2, 2 * time.Second},
		{"429 without Retry-After then success", sandbox.Faults{Throttle: 2}, nil, 3, 0},
		{"500 then success", sandbox.Faults{ServerErrors: 1}, nil, 2, 0},
		{"dropped connection then success", sandbox.Faults{Drop: 1}, nil, 2, 0},
		{"persistent 500", sandbox.Faults{ServerErrors: 100}, fault.ErrTransient, defaultMaxRetries + 1, 0},
		{"persistent 429", sandbox.Faults{Throttle: 100, RetryAfter: 1}, fault.ErrThrottled, defaultMaxRetries + 1, time.Second},
		{"persistent drop", sandbox.Faults{Drop: 100}, fault.ErrTransient, defaultMaxRetries + 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			var s retry.Recorder
			c := e.client(t, func(c *Config) { c.Sleep = s.Sleep })
			f := tt.faults
			f.Endpoint = "departments"
			e.sb.SetFaults(co, f)
			deps, err := c.Departments(context.Background())
			if tt.want == nil && (err != nil || len(deps) != 2) {
				t.Fatalf("got %v, %v; want success", deps, err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if n := e.sb.Calls(co)["departments"]; n < tt.calls || (tt.faults.Drop == 0 && n != tt.calls) {
				// The transport itself may repeat a GET on a dropped
				// keep-alive connection, so drops only bound from below.
				t.Fatalf("calls = %d, want %d", n, tt.calls)
			}
			if len(s.Waits()) != tt.calls-1 && tt.faults.Drop == 0 {
				t.Fatalf("waits = %v, want %d", s.Waits(), tt.calls-1)
			}
			if tt.minFirst > 0 && (len(s.Waits()) == 0 || s.Waits()[0] < tt.minFirst) {
				t.Fatalf("waits = %v, want the first >= %v (Retry-After)", s.Waits(), tt.minFirst)
			}
		})
	}
}

func TestRetryTimeIsBounded(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	var s retry.Recorder
	c := e.client(t, func(c *Config) { c.Sleep = s.Sleep; c.MaxElapsed = 5 * time.Second })
	// A Retry-After longer than the whole budget is not waited for.
	e.sb.SetFaults(co, sandbox.Faults{Throttle: 100, RetryAfter: 30, Endpoint: "locations"})
	_, err := c.Locations(context.Background())
	if !errors.Is(err, fault.ErrThrottled) {
		t.Fatalf("err = %v, want throttled", err)
	}
	if n := e.sb.Calls(co)["locations"]; n != 1 || len(s.Waits()) != 0 {
		t.Fatalf("calls = %d, waits = %v; want one call and no wait", n, s.Waits())
	}
}

func TestContextCancellationStopsRetries(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	waiting := make(chan struct{}, 1)
	c := e.client(t, func(c *Config) {
		c.BaseDelay, c.MaxDelay, c.MaxElapsed = time.Hour, time.Hour, 2*time.Hour
		// The real wait, announced: the test cancels once the client is in it.
		c.Sleep = func(ctx context.Context, d time.Duration) error {
			waiting <- struct{}{}
			<-ctx.Done()
			return ctx.Err()
		}
	})
	e.sb.SetFaults(co, sandbox.Faults{ServerErrors: 100, Endpoint: "org-details"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := c.OrgDetails(ctx); done <- err }()
	select {
	case <-waiting:
	case err := <-done:
		t.Fatalf("the call ended before waiting to retry: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the client never waited to retry")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || !errors.Is(err, fault.ErrTransient) {
			t.Fatalf("err = %v, want a transient error wrapping context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancellation did not stop the retry wait")
	}
	if n := e.sb.Calls(co)["org-details"]; n != 1 {
		t.Fatalf("calls = %d, want 1", n)
	}
}

func hireOf(start string) provision.Hire {
	return provision.Hire{
		FirstName: "Ada", LastName: "Lovelace", Gender: "F", Ethnicity: "WHITE", BirthDate: "1990-12-10",
		Country: "US", NationalID: "123456789", Address1: "1 Main St", City: "Austin", State: "TX",
		PostalCode: "78701", AddressCountry: "US", StartDate: start, EmployeeType: "F", Title: "Engineer",
		LocationID: "SF1", WorkEmail: "ada@example.com", WorkPhone: "+14155550100", StandardHours: "40",
		DeptID: "D100", FLSACode: "T",
	}
}

func hires(e *env) (writes int, applied int) {
	for _, w := range e.sb.Writes(co) {
		if w.Endpoint == "hire" {
			writes++
		}
	}
	for _, emp := range e.sb.Employees(co) {
		if emp.ApprovalStatus == "I" {
			applied++
		}
	}
	return writes, applied
}

func TestHireFaults(t *testing.T) {
	tests := []struct {
		name    string
		faults  sandbox.Faults
		want    error
		posts   int
		applied int
	}{
		{"success", sandbox.Faults{}, nil, 1, 1},
		{"500 is unknown and not resent", sandbox.Faults{ServerErrors: 1}, fault.ErrOutcomeUnknown, 1, 0},
		{"lost response is unknown, applied once", sandbox.Faults{LoseHireResponse: 1}, fault.ErrOutcomeUnknown, 1, 1},
		{"dropped connection is unknown", sandbox.Faults{Drop: 1}, fault.ErrOutcomeUnknown, 1, 0},
		{"429 is retried and applied once", sandbox.Faults{Throttle: 2, RetryAfter: 1}, nil, 3, 1},
		{"persistent 429 is throttled, never applied", sandbox.Faults{Throttle: 100}, fault.ErrThrottled, defaultMaxRetries + 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			var s retry.Recorder
			c := e.client(t, func(c *Config) { c.Sleep = s.Sleep })
			f := tt.faults
			f.Endpoint = "hire"
			e.sb.SetFaults(co, f)
			res, err := c.Hire(context.Background(), hireOf(today()))
			if tt.want == nil {
				if err != nil || len(res.EmployeeID) != 8 || res.ApprovalStatus != "I" {
					t.Fatalf("got %+v, %v; want a pending hire", res, err)
				}
			} else if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "123456789") {
				t.Fatalf("error carries the SSN: %v", err)
			}
			if n := e.sb.Calls(co)["hire"]; n != tt.posts {
				t.Fatalf("hire POSTs = %d, want %d", n, tt.posts)
			}
			if _, applied := hires(e); applied != tt.applied {
				t.Fatalf("applied hires = %d, want %d", applied, tt.applied)
			}
		})
	}
}

func TestHireTimeoutIsUnknown(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	c := e.client(t, func(c *Config) { c.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond} })
	if _, err := c.OrgDetails(context.Background()); err != nil { // token first, fast
		t.Fatal(err)
	}
	e.sb.SetFaults(co, sandbox.Faults{Latency: 5 * time.Second, Endpoint: "hire"})
	_, err := c.Hire(context.Background(), hireOf(today()))
	if !errors.Is(err, fault.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want outcome unknown", err)
	}
	if n := e.sb.Calls(co)["hire"]; n != 1 {
		t.Fatalf("hire POSTs = %d, want 1", n)
	}
}

func TestHireBody(t *testing.T) {
	start := today()
	tests := []struct {
		name string
		hire provision.Hire
		want string
	}{
		{"full", hireOf(start), `{"approvalStatus":"I",
			"name":{"firstName":"Ada","lastName":"Lovelace"},
			"biographicalInfo":{"gender":"F","ethnicity":"WHITE","birthDate":"1990-12-10","country":"US","nationalId":"123456789"},
			"homeContact":{"address1":"1 Main St","city":"Austin","state":"TX","postalCode":"78701","country":"US"},
			"employmentInfo":{"startDate":"` + start + `","reasonCode":"HIR","employeeType":"F","regularTemporary":"R",
				"businessTitle":"Engineer","locationId":"SF1","workEmail":"ada@example.com","workPhone":"+14155550100",
				"standardHoursPerWeek":40,"homeDepartment":{"deptId":"D100"},"compliance":{"flsaCode":"T"}}}`},
		{"minimal", provision.Hire{FirstName: "Bo", MiddleName: "Q", LastName: "Li", StartDate: start, RegularTemporary: "T", StandardHours: "37.5"},
			`{"approvalStatus":"I","name":{"firstName":"Bo","middleName":"Q","lastName":"Li"},
			"employmentInfo":{"startDate":"` + start + `","reasonCode":"HIR","regularTemporary":"T","standardHoursPerWeek":37.5}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			if _, err := e.client(t, nil).Hire(context.Background(), tt.hire); err != nil {
				t.Fatal(err)
			}
			w := e.sb.Writes(co)
			if len(w) != 1 || w[0].Method != http.MethodPost || w[0].Path != "/v1/hire/CJ6/employees" {
				t.Fatalf("writes = %+v", w)
			}
			assertJSON(t, w[0].Body, tt.want)
		})
	}
}

func assertJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("sent body is not JSON: %v", err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("sent %s\nwant %s", got, want)
	}
}

func TestHireRejected(t *testing.T) {
	old := time.Now().UTC().AddDate(0, 0, -4).Format(dateLayout)
	tests := []struct {
		name  string
		mod   func(*provision.Hire)
		field string
	}{
		{"start date too old", func(h *provision.Hire) { h.StartDate = old }, "hireDate"},
		{"gender not M or F", func(h *provision.Hire) { h.Gender = "X" }, "gender"},
		{"unknown department", func(h *provision.Hire) { h.DeptID = "NOPE" }, "department"},
		{"hours not a number", func(h *provision.Hire) { h.StandardHours = "forty" }, "standardHours"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			h := hireOf(today())
			tt.mod(&h)
			_, err := e.client(t, nil).Hire(context.Background(), h)
			if !errors.Is(err, fault.ErrValidation) || fault.FieldOf(err) != tt.field {
				t.Fatalf("err = %v (field %q), want validation of %s", err, fault.FieldOf(err), tt.field)
			}
			if strings.Contains(err.Error(), "123456789") || strings.Contains(err.Error(), "1990-12-10") {
				t.Fatalf("error carries personal data: %v", err)
			}
			if _, applied := hires(e); applied != 0 {
				t.Fatal("a rejected hire was applied")
			}
		})
	}
}

func TestUpdatesSendOnlyGivenFields(t *testing.T) {
	fixed := time.Date(2026, 11, 30, 23, 30, 0, 0, time.FixedZone("PST", -8*3600)) // 2026-12-01 in UTC
	tests := []struct {
		name     string
		call     func(*Client, string) error
		endpoint string
		path     string
		want     string // "" = nothing sent
	}{
		{"names always whole", func(c *Client, id string) error {
			return c.UpdateNames(context.Background(), id, provision.NamesUpdate{FirstName: "Ada", LastName: "King"})
		}, "names", "/v1/identity/CJ6/%s/names",
			`{"effectiveDate":"2026-12-01","nameType":"PRI","firstName":"Ada","middleName":"","lastName":"King"}`},
		{"personals gender only", func(c *Client, id string) error {
			return c.UpdatePersonals(context.Background(), id, provision.PersonalsUpdate{EffectiveDate: "2026-11-29", Gender: "M"})
		}, "personals", "/v1/identity/CJ6/%s/personals", `{"effectiveDate":"2026-11-29","gender":"M"}`},
		{"personals all", func(c *Client, id string) error {
			return c.UpdatePersonals(context.Background(), id, provision.PersonalsUpdate{Gender: "F", BirthDate: "1991-01-02",
				Ethnicity: "ASIAN", Country: "CA", MaritalStatus: "M"})
		}, "personals", "/v1/identity/CJ6/%s/personals",
			`{"effectiveDate":"2026-12-01","gender":"F","birthDate":"1991-01-02","ethnicity":"ASIAN","country":"CA","maritalStatus":"M"}`},
		{"jobs location only", func(c *Client, id string) error {
			return c.UpdateJobs(context.Background(), id, provision.JobsUpdate{LocationID: "TO1"})
		}, "jobs", "/v1/manage-employee/CJ6/%s/jobs", `{"effectiveDate":"2026-12-01","employeeTransfer":{"locationId":"TO1"}}`},
		{"jobs group B and title", func(c *Client, id string) error {
			return c.UpdateJobs(context.Background(), id, provision.JobsUpdate{Title: "Lead", GroupB: "B7"})
		}, "jobs", "/v1/manage-employee/CJ6/%s/jobs", `{"effectiveDate":"2026-12-01","businessTitle":"Lead","optionalGrouping":{"groupB":"B7"}}`},
		{"jobs all", func(c *Client, id string) error {
			return c.UpdateJobs(context.Background(), id, provision.JobsUpdate{Title: "Lead", DeptID: "D200", WorkPhone: "+14155550111",
				LocationID: "TO1", GroupA: "A1", GroupB: "B1"})
		}, "jobs", "/v1/manage-employee/CJ6/%s/jobs", `{"effectiveDate":"2026-12-01","businessTitle":"Lead","deptId":"D200",
			"workPhone":"+14155550111","employeeTransfer":{"locationId":"TO1"},"optionalGrouping":{"groupA":"A1","groupB":"B1"}}`},
		{"empty personals sends nothing", func(c *Client, id string) error {
			return c.UpdatePersonals(context.Background(), id, provision.PersonalsUpdate{EffectiveDate: "2026-12-01"})
		}, "personals", "", ""},
		{"empty jobs sends nothing", func(c *Client, id string) error {
			return c.UpdateJobs(context.Background(), id, provision.JobsUpdate{})
		}, "jobs", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			id := e.seed(t, 1)[0]
			c := e.client(t, func(c *Config) { c.Now = func() time.Time { return fixed } })
			if err := tt.call(c, id); err != nil {
				t.Fatal(err)
			}
			w := e.sb.Writes(co)
			if tt.want == "" {
				if len(w) != 0 {
					t.Fatalf("writes = %+v, want none", w)
				}
				return
			}
			if len(w) != 1 || w[0].Method != http.MethodPut || w[0].Path != fmt.Sprintf(tt.path, id) || w[0].Status != http.StatusOK {
				t.Fatalf("writes = %+v", w)
			}
			assertJSON(t, w[0].Body, tt.want)
		})
	}
}

func TestUpdateErrors(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	id := e.seed(t, 1)[0]
	pending, _ := e.sb.PutEmployee(co, sandbox.Employee{FirstName: "P", LastName: "H", StartDate: "2024-01-08", ApprovalStatus: "I"})
	c := e.client(t, nil)
	ctx := context.Background()
	tests := []struct {
		name  string
		err   error
		want  error
		field string
	}{
		{"pending hire", c.UpdateJobs(ctx, pending.ID, provision.JobsUpdate{Title: "X"}), fault.ErrNotFound, ""},
		{"unknown id", c.UpdateNames(ctx, "99999999", provision.NamesUpdate{FirstName: "A", LastName: "B"}), fault.ErrNotFound, ""},
		{"unknown department", c.UpdateJobs(ctx, id, provision.JobsUpdate{DeptID: "NOPE"}), fault.ErrValidation, "department"},
		{"bad gender", c.UpdatePersonals(ctx, id, provision.PersonalsUpdate{Gender: "X"}), fault.ErrValidation, "gender"},
		{"no last name", c.UpdateNames(ctx, id, provision.NamesUpdate{FirstName: "A"}), fault.ErrValidation, "lastName"},
		{"no employee id", c.UpdateJobs(ctx, "", provision.JobsUpdate{Title: "X"}), fault.ErrValidation, "employeeId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.want) {
				t.Fatalf("err = %v, want %v", tt.err, tt.want)
			}
			if tt.field != "" && fault.FieldOf(tt.err) != tt.field {
				t.Fatalf("field = %q, want %q (%v)", fault.FieldOf(tt.err), tt.field, tt.err)
			}
		})
	}
}

func BenchmarkEmployees10000(b *testing.B) {
	sb := sandbox.New(sandbox.Options{})
	if err := sb.AddCompany(sandbox.Company{ID: co, Name: "Big", ClientID: "bench", ClientSecret: "bench"}); err != nil {
		b.Fatal(err)
	}
	for i := range 10000 {
		_, _ = sb.PutEmployee(co, sandbox.Employee{FirstName: "F" + strconv.Itoa(i), LastName: "L", StartDate: "2024-01-08",
			WorkEmail: fmt.Sprintf("p%d@example.com", i), Title: "Engineer", StandardHours: "40", Gender: "F", BirthDate: "1990-01-01"})
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, CompanyID: co, ClientID: "bench", ClientSecret: "bench", RPS: 1e6, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		got, err := c.Employees(context.Background())
		if err != nil || len(got) != 10000 {
			b.Fatalf("got %d, %v", len(got), err)
		}
	}
}
