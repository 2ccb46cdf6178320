package provision_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/leapsome"
	"trinetsync/internal/provision"
	leapsb "trinetsync/internal/sandbox/leapsome"
	trinetsb "trinetsync/internal/sandbox/trinet"
	"trinetsync/internal/trinet"
)

// End to end over HTTP: the engine with the real TriNet and Leapsome clients
// against the two sandboxes. Links and the ledger are in memory (the store has
// its own tests against dynalite).

type links struct {
	mu sync.Mutex
	m  map[string]provision.Link
}

func (l *links) Links(context.Context, string, string) ([]provision.Link, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []provision.Link
	for _, x := range l.m {
		out = append(out, x)
	}
	return out, nil
}

func (l *links) PutLink(_ context.Context, _ string, x provision.Link) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for u, y := range l.m {
		if y.EmployeeID == x.EmployeeID && u != x.UserID {
			return fault.New(fault.Conflict, "linked")
		}
	}
	l.m[x.UserID] = x
	return nil
}

func (l *links) MoveLink(ctx context.Context, tenant string, x provision.Link, from string) error {
	l.mu.Lock()
	if old, ok := l.m[from]; ok && old.EmployeeID == x.EmployeeID {
		delete(l.m, from)
	}
	l.mu.Unlock()
	return l.PutLink(ctx, tenant, x)
}

func (l *links) CountLinks(_ context.Context, _ string, atMost int) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return min(len(l.m), atMost), nil
}

type ledger struct {
	mu sync.Mutex
	m  map[string]provision.HireEntry
}

func (l *ledger) Hires(context.Context, string, string) ([]provision.HireEntry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []provision.HireEntry
	for _, x := range l.m {
		out = append(out, x)
	}
	return out, nil
}

func (l *ledger) CreateHire(_ context.Context, _ string, e provision.HireEntry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.m[e.UserID]; ok {
		return fault.New(fault.Conflict, "exists")
	}
	l.m[e.UserID] = e
	return nil
}

func (l *ledger) UpdateHire(_ context.Context, _ string, e provision.HireEntry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.m[e.UserID] = e
	return nil
}

func (l *ledger) DeleteHire(_ context.Context, _, _ string, u string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, u)
	return nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type world struct {
	t      *testing.T
	clock  *clock
	tn     *trinetsb.Server
	ls     *leapsb.Server
	people *leapsome.Client
	comp   *trinet.Client
	links  *links
	ledger *ledger
	engine *provision.Engine
	wlSF   string
	tnURL  string
}

const (
	co     = "CJ6"
	tenant = "acme"
)

func hexID(n int) string { return fmt.Sprintf("%024x", n) }

func newWorld(t *testing.T) *world {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC)}
	w := &world{t: t, clock: c, links: &links{m: map[string]provision.Link{}}, ledger: &ledger{m: map[string]provision.HireEntry{}}}
	w.tn = trinetsb.New(trinetsb.Options{Now: c.Now})
	w.ls = leapsb.New(leapsb.Options{Now: c.Now})
	tnSrv := httptest.NewServer(w.tn)
	lsSrv := httptest.NewServer(w.ls)
	t.Cleanup(tnSrv.Close)
	t.Cleanup(lsSrv.Close)
	w.tnURL = tnSrv.URL
	must(t, w.tn.AddCompany(trinetsb.Company{ID: co, Name: "Acme", ClientID: "client-" + t.Name(), ClientSecret: "secret",
		Departments: []trinetsb.Department{{ID: "D100", Name: "Engineering"}, {ID: "D200", Name: "Sales"}},
		Locations:   []trinetsb.Location{{ID: "SF1", Name: "San Francisco", Country: "US"}}}))
	must(t, w.ls.AddTenant(leapsb.Tenant{ID: tenant, APISecret: "ls-secret", SCIMToken: "scim-token"}))
	w.wlSF = hexID(900)
	must(t, w.ls.PutWorkLocation(tenant, leapsb.WorkLocation{ID: w.wlSF, Name: "San Francisco", Country: "United States"}))
	var err error
	w.comp, err = trinet.New(trinet.Config{BaseURL: tnSrv.URL, CompanyID: co, ClientID: "client-" + t.Name(), ClientSecret: "secret",
		RPS: 1000, Now: c.Now, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxElapsed: time.Second})
	must(t, err)
	w.people, err = leapsome.New(leapsome.Config{BaseURL: lsSrv.URL + "/v1", SCIMURL: lsSrv.URL + "/scim/v1",
		APISecret: "ls-secret", SCIMToken: "scim-token", Now: c.Now, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond,
		// Leapsome's reads wait for their documented pace (20 requests/s); on a
		// loaded machine a second is not always enough for a run's pages, and
		// no test here injects a Leapsome fault that a long budget would slow.
		MaxElapsed: 30 * time.Second})
	must(t, err)
	w.engine = provision.New(provision.Config{Now: c.Now, Concurrency: 4, Logger: slog.New(slog.DiscardHandler)})
	return w
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (w *world) person(n int, first, last, email string) leapsb.Employee {
	return leapsb.Employee{ID: hexID(n), Email: email, FirstName: first, LastName: last, Status: "active", LifecycleStatus: "active",
		StartDate: w.clock.Now().Format("2006-01-02"), Title: "Engineer", Phone: "(415) 555-0100",
		Departments: []leapsb.Ref{{ID: hexID(800), Name: "Engineering"}}, WorkLocation: &leapsb.Ref{ID: w.wlSF, Name: "San Francisco"},
		Gender: "female", Birthday: "1990-12-10", EmploymentType: "internal"}
}

func (w *world) run(s provision.Settings) provision.Result {
	w.t.Helper()
	res, err := w.engine.Run(context.Background(), provision.Input{TenantID: tenant, SyncID: fmt.Sprintf("s-%d", w.clock.Now().UnixNano()),
		CompanyID: co, Settings: s, SCIMConfigured: true, People: w.people, Company: w.comp, Links: w.links, Ledger: w.ledger})
	must(w.t, err)
	return res
}

func item(res provision.Result, user string) provision.PlanItem {
	for _, it := range res.Plan {
		if it.UserID == user {
			return it
		}
	}
	return provision.PlanItem{}
}

func settings() provision.Settings {
	s := provision.DefaultSettings(true)
	s.AutoCreateNewHires = true
	s.Mappings = append(s.Mappings,
		provision.Mapping{Target: "employeeType", Source: "customAttributes.Employee type", ValueMap: map[string]string{"Full time": "F"}},
		provision.Mapping{Target: "ssn", Source: "customAttributes.SSN"},
		provision.Mapping{Target: "address1", Source: "customAttributes.Street"},
		provision.Mapping{Target: "city", Source: "customAttributes.City"},
		provision.Mapping{Target: "postalCode", Source: "customAttributes.ZIP"},
		provision.Mapping{Target: "maritalStatus", Source: "customAttributes.Marital"},
		provision.Mapping{Target: "customGroupA", Source: "customAttributes.Cost center"},
	)
	return s
}

// TestSandboxSeedRowsAndFAQ walks the seed article over HTTP: new hire created
// pending with exactly the new-hire fields; a department edited in TriNet is
// overwritten; a future starter is created and linked once listed; terminated
// people are not touched; a second sync writes nothing.
func TestSandboxSeedRowsAndFAQ(t *testing.T) {
	w := newWorld(t)
	attrs := map[string]any{"Employee type": "Full time", "SSN": "123-45-6789", "Street": "1 Main St", "City": "Austin",
		"ZIP": "78701", "Marital": "M", "Cost center": "CC-7"}
	ada := w.person(1, "Ada", "Lovelace", "ada@example.com")
	ada.StartDate = w.clock.Now().AddDate(0, 0, 14).Format("2006-01-02") // a future starter (FAQ 4)
	ada.CustomAttributes = attrs
	grace := w.person(2, "Grace", "Hopper", "grace@example.com")
	grace.CustomAttributes = attrs
	grace.Title = "Rear Admiral"
	tom := w.person(3, "Tom", "Gone", "tom@example.com")
	tom.LifecycleStatus = "terminated"
	tom.Title = "Changed after leaving"
	kim := w.person(4, "Kim", "Diverse", "kim@example.com")
	kim.Gender = "diverse"
	for _, p := range []leapsb.Employee{ada, grace, tom, kim} {
		must(t, w.ls.PutEmployee(tenant, p))
	}
	// Grace exists in TriNet; someone moved her to Sales by hand (FAQ 2).
	_, err := w.tn.PutEmployee(co, trinetsb.Employee{ID: "00000100", FirstName: "Grace", LastName: "Hopper", Gender: "F", BirthDate: "1990-12-10",
		Country: "US", StartDate: "2020-01-06", Title: "Engineer", WorkEmail: "GRACE@example.com", WorkPhone: "+14155550100",
		LocationID: "SF1", DeptID: "D200", EmployeeType: "F", ApprovalStatus: "A"})
	must(t, err)
	_, err = w.tn.PutEmployee(co, trinetsb.Employee{ID: "00000101", FirstName: "Tom", LastName: "Gone", Title: "Engineer",
		WorkEmail: "tom@example.com", StartDate: "2020-01-06", DeptID: "D100", LocationID: "SF1", ApprovalStatus: "A"})
	must(t, err)

	res := w.run(settings())
	for user, want := range map[string]provision.Action{hexID(1): provision.ActionCreate, hexID(2): provision.ActionLink,
		hexID(3): provision.ActionExcluded, hexID(4): provision.ActionError} {
		if got := item(res, user); got.Action != want {
			t.Errorf("%s: %+v (issues %+v)", user, got, res.Issues)
		}
	}
	if it := item(res, hexID(4)); it.Code != provision.CodeUnsupportedGender {
		t.Errorf("kim %+v", it)
	}

	// Ada: one pending hire with exactly the new-hire fields.
	var hires []trinetsb.Employee
	for _, e := range w.tn.Employees(co) {
		if e.ApprovalStatus == "I" {
			hires = append(hires, e)
		}
	}
	if len(hires) != 1 {
		t.Fatalf("pending hires %+v", hires)
	}
	h := hires[0]
	want := trinetsb.Employee{ID: h.ID, FirstName: "Ada", LastName: "Lovelace", Gender: "F", BirthDate: "1990-12-10", Country: "US",
		StartDate: ada.StartDate, Title: "Engineer", EmployeeType: "F", WorkEmail: "ada@example.com", WorkPhone: "+14155550100",
		LocationID: "SF1", DeptID: "D100", Address1: "1 Main St", City: "Austin", PostalCode: "78701", NationalID: "123456789",
		ApprovalStatus: "I"}
	h.Status = "" // the sandbox's default
	if h != want {
		t.Errorf("hire\n got %+v\nwant %+v", h, want)
	}
	for _, wr := range w.tn.Writes(co) {
		if wr.Endpoint == "hire" {
			for _, never := range []string{"maritalStatus", "groupA", "customGroupA", "CC-7"} {
				if strings.Contains(string(wr.Body), never) {
					t.Errorf("hire carries %s: %s", never, wr.Body)
				}
			}
		}
	}
	// Grace: department overwritten, update-only fields written, new-hire-only not.
	g, _ := w.tn.Employee(co, "00000100")
	if g.DeptID != "D100" || g.Title != "Rear Admiral" || g.MaritalStatus != "M" || g.CustomGroupA != "CC-7" || g.NationalID != "" || g.Address1 != "" {
		t.Errorf("grace %+v", g)
	}
	// Tom: terminated in Leapsome, left alone in TriNet (FAQ 5).
	if tm, _ := w.tn.Employee(co, "00000101"); tm.Title != "Engineer" {
		t.Errorf("tom %+v", tm)
	}
	e, _ := w.ledger.m[hexID(1)]
	if e.State != provision.HirePending || e.EmployeeID != h.ID {
		t.Fatalf("ledger %+v", e)
	}

	// Second sync: nothing changed, nothing written.
	writes := len(w.tn.Writes(co))
	res = w.run(settings())
	if n := len(w.tn.Writes(co)); n != writes {
		t.Fatalf("second sync wrote %d calls: %+v", n-writes, w.tn.Writes(co)[writes:])
	}
	if it := item(res, hexID(1)); it.Action != provision.ActionPending || it.Code != provision.CodePendingApproval {
		t.Errorf("ada %+v", it)
	}
	if it := item(res, hexID(2)); it.Action != provision.ActionUnchanged {
		t.Errorf("grace %+v", it)
	}

	// Approved, and the start date comes: TriNet lists Ada, the engine links her.
	must(t, w.tn.Approve(co, h.ID))
	w.clock.Advance(15 * 24 * time.Hour)
	res = w.run(settings())
	if it := item(res, hexID(1)); it.Action != provision.ActionLink {
		t.Fatalf("ada after approval %+v %+v", it, res.Issues)
	}
	if w.links.m[hexID(1)].EmployeeID != h.ID {
		t.Fatalf("link %+v", w.links.m[hexID(1)])
	}
	writes = len(w.tn.Writes(co))
	w.run(settings())
	if n := len(w.tn.Writes(co)); n != writes {
		t.Fatalf("steady state wrote: %+v", w.tn.Writes(co)[writes:])
	}
	if got := w.tn.Calls(co)["hire"]; got != 1 {
		t.Fatalf("hire calls %d", got)
	}
}

// TestSandboxLostHireResponse: TriNet applies the hire but the answer is lost.
// The person is reported hire_outcome_unknown and never hired again.
func TestSandboxLostHireResponse(t *testing.T) {
	w := newWorld(t)
	must(t, w.ls.PutEmployee(tenant, w.person(1, "Ada", "Lovelace", "ada@example.com")))
	w.tn.SetFaults(co, trinetsb.Faults{LoseHireResponse: 1})
	res := w.run(settings())
	if it := item(res, hexID(1)); it.Action != provision.ActionPending || it.Code != provision.CodeHireOutcomeUnknown {
		t.Fatalf("%+v %+v", it, res.Issues)
	}
	res = w.run(settings())
	if it := item(res, hexID(1)); it.Code != provision.CodeHireOutcomeUnknown || w.tn.Calls(co)["hire"] != 1 {
		t.Fatalf("%+v calls %v", it, w.tn.Calls(co))
	}
	var id string
	for _, e := range w.tn.Employees(co) {
		id = e.ID
	}
	must(t, w.tn.Approve(co, id))
	res = w.run(settings())
	if it := item(res, hexID(1)); it.Action != provision.ActionLink || w.links.m[hexID(1)].EmployeeID != id {
		t.Fatalf("%+v", it)
	}
	if len(w.tn.Employees(co)) != 1 {
		t.Fatal("hired twice")
	}
}

// refusePosts is a transport whose POSTs never get a connection (the hire
// cannot reach TriNet) while reads go through: a state the sandbox cannot
// put a real listener in between one call and the next.
type refusePosts struct{ next http.RoundTripper }

func (r refusePosts) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return r.next.RoundTrip(req)
}

// TestSandboxHireNotSent: a hire that certainly did not reach TriNet, or
// that TriNet certainly did not apply (throttled past the client's retries,
// no connection), leaves no ledger entry and no employee; the person gets
// the error trinet_unavailable, and the next sync hires them exactly once
// without an admin's release.
func TestSandboxHireNotSent(t *testing.T) {
	tests := []struct {
		name  string
		setup func(w *world) (undo func())
	}{
		{"throttled past the retries", func(w *world) func() {
			w.tn.SetFaults(co, trinetsb.Faults{Throttle: 1000, Endpoint: "hire"})
			return func() { w.tn.SetFaults(co, trinetsb.Faults{}) }
		}},
		{"no connection for the POST", func(w *world) func() {
			good := w.comp
			bad, err := trinet.New(trinet.Config{BaseURL: w.tnURL, CompanyID: co, ClientID: "client-" + w.t.Name(), ClientSecret: "secret",
				RPS: 1000, Now: w.clock.Now, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxElapsed: time.Second,
				HTTPClient: &http.Client{Transport: refusePosts{next: http.DefaultTransport}}})
			must(w.t, err)
			w.comp = bad
			return func() { w.comp = good }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			must(t, w.ls.PutEmployee(tenant, w.person(1, "Ada", "Lovelace", "ada@example.com")))
			undo := tt.setup(w)
			res := w.run(settings())
			if it := item(res, hexID(1)); it.Action != provision.ActionError || it.Code != provision.CodeTriNetUnavailable {
				t.Fatalf("%+v %+v", it, res.Issues)
			}
			if len(res.Issues) != 1 || res.Issues[0].Severity != provision.SeverityError || res.ErrorPeople != 1 {
				t.Fatalf("issues %+v: want one error item", res.Issues)
			}
			if _, ok := w.ledger.m[hexID(1)]; ok || len(w.tn.Employees(co)) != 0 {
				t.Fatal("a hire not sent leaves no entry and no employee")
			}
			undo()
			res = w.run(settings())
			if it := item(res, hexID(1)); it.Action != provision.ActionCreate || len(w.tn.Employees(co)) != 1 {
				t.Fatalf("%+v", it)
			}
		})
	}
}

func TestSandboxDryRun(t *testing.T) {
	w := newWorld(t)
	must(t, w.ls.PutEmployee(tenant, w.person(1, "Ada", "Lovelace", "ada@example.com")))
	res, err := w.engine.Run(context.Background(), provision.Input{TenantID: tenant, SyncID: "dry", CompanyID: co, Settings: settings(),
		SCIMConfigured: true, DryRun: true, People: w.people, Company: w.comp, Links: w.links, Ledger: w.ledger})
	must(t, err)
	if it := item(res, hexID(1)); it.Action != provision.ActionCreate {
		t.Fatalf("%+v", it)
	}
	if len(w.tn.Writes(co)) != 0 || len(w.ledger.m) != 0 || len(w.links.m) != 0 {
		t.Fatal("dry run wrote")
	}
	b, _ := json.Marshal(res.Plan)
	if strings.Contains(string(b), "1990-12-10") {
		t.Fatalf("plan carries the birth date: %s", b)
	}
}
