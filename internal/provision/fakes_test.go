package provision

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"trinetsync/internal/fault"
)

// In-memory implementations of the engine's ports, for unit tests. The TriNet
// fake follows the profile's rules that matter to the engine: pending hires are
// not listed, updates of pending or unknown ids are 404, nothing is idempotent.

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

type memPeople struct {
	dir Directory
	err error
}

func (m *memPeople) Directory(context.Context) (Directory, error) {
	if m.err != nil {
		return Directory{}, m.err
	}
	d := m.dir
	d.People = append([]Person(nil), m.dir.People...)
	return d, nil
}

type write struct {
	Call       string // hire, names, personals, jobs
	EmployeeID string
	Hire       Hire
	Names      NamesUpdate
	Personals  PersonalsUpdate
	Jobs       JobsUpdate
}

type memCompany struct {
	mu       sync.Mutex
	emps     map[string]*Employee
	pending  map[string]bool // hires not yet approved: not listed
	depts    []Department
	locs     []Location
	writes   []write
	nextID   int
	hireErrs []error // consumed per hire: nil → success
	// hireApplied: when a hire error is returned, was it applied anyway (lost answer)?
	hireApplied []bool
	updateErr   map[string]error // per call name
	noHireID    bool
	readErr     error
	// onHire runs before a hire is applied; a test uses it to stop at a point.
	onHire func(h Hire)
}

func newMemCompany() *memCompany {
	return &memCompany{
		emps:    map[string]*Employee{},
		pending: map[string]bool{},
		depts:   []Department{{ID: "D100", Name: "Engineering"}, {ID: "D200", Name: "Sales"}},
		locs:    []Location{{ID: "SF1", Name: "San Francisco", Country: "US"}, {ID: "BER", Name: "Berlin", Country: "DE"}},
		nextID:  1000,
	}
}

func (c *memCompany) put(e Employee) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.Status == "" {
		e.Status = "A"
	}
	c.emps[e.ID] = &e
}

func (c *memCompany) approve(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, id)
}

func (c *memCompany) get(id string) Employee {
	c.mu.Lock()
	defer c.mu.Unlock()
	return *c.emps[id]
}

func (c *memCompany) Writes() []write {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]write(nil), c.writes...)
}

func (c *memCompany) hires() []write {
	var out []write
	for _, w := range c.Writes() {
		if w.Call == "hire" {
			out = append(out, w)
		}
	}
	return out
}

func (c *memCompany) Employees(context.Context) ([]Employee, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.readErr != nil {
		return nil, c.readErr
	}
	var out []Employee
	for id, e := range c.emps {
		if !c.pending[id] {
			out = append(out, *e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (c *memCompany) Departments(context.Context) ([]Department, error) { return c.depts, nil }
func (c *memCompany) Locations(context.Context) ([]Location, error)     { return c.locs, nil }

func (c *memCompany) Hire(_ context.Context, h Hire) (HireResult, error) {
	if c.onHire != nil {
		c.onHire(h)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes = append(c.writes, write{Call: "hire", Hire: h})
	var err error
	applied := true
	if len(c.hireErrs) > 0 {
		err, c.hireErrs = c.hireErrs[0], c.hireErrs[1:]
		applied = false
		if len(c.hireApplied) > 0 {
			applied, c.hireApplied = c.hireApplied[0], c.hireApplied[1:]
		}
	}
	if !applied {
		return HireResult{}, err
	}
	c.nextID++
	id := fmt.Sprintf("%08d", c.nextID)
	c.emps[id] = &Employee{
		ID: id, FirstName: h.FirstName, MiddleName: h.MiddleName, LastName: h.LastName, Gender: h.Gender,
		BirthDate: h.BirthDate, Ethnicity: h.Ethnicity, Country: h.Country, Status: "A", StartDate: h.StartDate,
		Title: h.Title, EmployeeType: h.EmployeeType, FLSACode: h.FLSACode, StandardHours: h.StandardHours,
		WorkEmail: h.WorkEmail, WorkPhone: h.WorkPhone, LocationID: h.LocationID, DeptID: h.DeptID, SupervisorID: h.SupervisorID,
	}
	c.pending[id] = true
	if err != nil {
		return HireResult{}, err
	}
	if c.noHireID {
		return HireResult{ApprovalStatus: "I"}, nil
	}
	return HireResult{EmployeeID: id, ApprovalStatus: "I"}, nil
}

func (c *memCompany) update(call, id string, w write, apply func(e *Employee)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	w.Call, w.EmployeeID = call, id
	c.writes = append(c.writes, w)
	if err := c.updateErr[call]; err != nil {
		return err
	}
	e, ok := c.emps[id]
	if !ok || c.pending[id] {
		return fault.New(fault.NotFound, "employee not found")
	}
	apply(e)
	return nil
}

func (c *memCompany) UpdateNames(_ context.Context, id string, u NamesUpdate) error {
	return c.update("names", id, write{Names: u}, func(e *Employee) {
		e.FirstName, e.MiddleName, e.LastName = u.FirstName, u.MiddleName, u.LastName
	})
}

func (c *memCompany) UpdatePersonals(_ context.Context, id string, u PersonalsUpdate) error {
	return c.update("personals", id, write{Personals: u}, func(e *Employee) {
		set(&e.Gender, u.Gender)
		set(&e.BirthDate, u.BirthDate)
		set(&e.Ethnicity, u.Ethnicity)
		set(&e.Country, u.Country)
		set(&e.MaritalStatus, u.MaritalStatus)
	})
}

func (c *memCompany) UpdateJobs(_ context.Context, id string, u JobsUpdate) error {
	return c.update("jobs", id, write{Jobs: u}, func(e *Employee) {
		set(&e.Title, u.Title)
		set(&e.DeptID, u.DeptID)
		set(&e.WorkPhone, u.WorkPhone)
		set(&e.LocationID, u.LocationID)
		set(&e.CustomGroupA, u.GroupA)
		set(&e.CustomGroupB, u.GroupB)
	})
}

func set(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

type memLinks struct {
	mu    sync.Mutex
	links map[string]Link // by user
	err   error
}

func newMemLinks() *memLinks { return &memLinks{links: map[string]Link{}} }

func (m *memLinks) Links(context.Context, string, string) ([]Link, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Link
	for _, l := range m.links {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out, nil
}

func (m *memLinks) PutLink(_ context.Context, _ string, l Link) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	for u, x := range m.links {
		if x.EmployeeID == l.EmployeeID && u != l.UserID {
			return fault.New(fault.Conflict, "employee already linked")
		}
	}
	m.links[l.UserID] = l
	return nil
}

func (m *memLinks) MoveLink(ctx context.Context, tenant string, l Link, from string) error {
	m.mu.Lock()
	if old, ok := m.links[from]; ok && old.EmployeeID == l.EmployeeID {
		delete(m.links, from)
	}
	m.mu.Unlock()
	return m.PutLink(ctx, tenant, l)
}

func (m *memLinks) CountLinks(_ context.Context, _ string, atMost int) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return min(len(m.links), atMost), nil
}

func (m *memLinks) get(user string) (Link, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.links[user]
	return l, ok
}

type memLedger struct {
	mu      sync.Mutex
	entries map[string]HireEntry
	// failCreate / failUpdate make the next such call fail (a crash or outage).
	failCreate error
	failUpdate error
}

func newMemLedger() *memLedger { return &memLedger{entries: map[string]HireEntry{}} }

func (m *memLedger) Hires(context.Context, string, string) ([]HireEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []HireEntry
	for _, e := range m.entries {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out, nil
}

func (m *memLedger) CreateHire(_ context.Context, _ string, e HireEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failCreate != nil {
		return m.failCreate
	}
	// One entry per person and company; an entry without a company is the current company's.
	if old, ok := m.entries[e.UserID]; ok && (old.CompanyID == "" || old.CompanyID == e.CompanyID) {
		return fault.New(fault.Conflict, "hire exists")
	}
	m.entries[e.UserID] = e
	return nil
}

func (m *memLedger) UpdateHire(_ context.Context, _ string, e HireEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failUpdate != nil {
		return m.failUpdate
	}
	if _, ok := m.entries[e.UserID]; !ok {
		return fault.New(fault.NotFound, "no hire")
	}
	m.entries[e.UserID] = e
	return nil
}

func (m *memLedger) DeleteHire(_ context.Context, _, _ string, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, user)
	return nil
}

func (m *memLedger) get(user string) (HireEntry, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[user]
	return e, ok
}

// fixture is one tenant: Leapsome people, a TriNet company, links and ledger.
type fixture struct {
	people  *memPeople
	company *memCompany
	links   *memLinks
	ledger  *memLedger
	now     time.Time
}

var testNow = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

func newFixture() *fixture {
	return &fixture{
		people: &memPeople{dir: Directory{Locations: []WorkLocation{
			{ID: "wl-sf", Name: "San Francisco", Country: "United States"},
			{ID: "wl-ber", Name: "Berlin", Country: "Germany"},
		}}},
		company: newMemCompany(),
		links:   newMemLinks(),
		ledger:  newMemLedger(),
		now:     testNow,
	}
}

func (f *fixture) addPerson(p Person) {
	if p.Status == "" {
		p.Status = "active"
	}
	if p.LifecycleStatus == "" {
		p.LifecycleStatus = "active"
	}
	f.people.dir.People = append(f.people.dir.People, p)
}

func (f *fixture) setPerson(id string, edit func(p *Person)) {
	for i := range f.people.dir.People {
		if f.people.dir.People[i].ID == id {
			edit(&f.people.dir.People[i])
			return
		}
	}
	panic("no person " + id)
}

func (f *fixture) input(s Settings) Input {
	return Input{
		TenantID: "acme", SyncID: "sync-1", CompanyID: "CJ6", Settings: s,
		People: f.people, Company: f.company, Links: f.links, Ledger: f.ledger,
	}
}

func (f *fixture) engine() *Engine {
	return New(Config{Now: func() time.Time { return f.now }, Concurrency: 4, Logger: slog.New(slog.DiscardHandler)})
}

// autoCreate returns the default settings with auto-create on.
func autoCreate(scim bool) Settings {
	s := DefaultSettings(scim)
	s.AutoCreateNewHires = true
	return s
}

// person is a typical in-scope Leapsome person in San Francisco.
func person(id, first, last, email string) Person {
	return Person{
		ID: id, Email: email, FirstName: first, LastName: last,
		Status: "active", LifecycleStatus: "active",
		StartDate: testNow.Format(time.DateOnly) + "T00:00:00.000Z",
		Title:     "Engineer", Departments: []string{"Engineering"},
		WorkLocationID: "wl-sf", WorkLocation: "San Francisco", Phone: "+14155550100",
	}
}

// employee is the TriNet employee that person(...) maps to exactly.
func employee(id, first, last, email string) Employee {
	return Employee{
		ID: id, FirstName: first, LastName: last, WorkEmail: email, Status: "A",
		Title: "Engineer", DeptID: "D100", LocationID: "SF1", Country: "US", WorkPhone: "+14155550100",
	}
}

func itemOf(res Result, user string) PlanItem {
	for _, it := range res.Plan {
		if it.UserID == user {
			return it
		}
	}
	return PlanItem{}
}

func issuesOf(res Result, user string) []Issue {
	var out []Issue
	for _, is := range res.Issues {
		if is.UserID == user {
			out = append(out, is)
		}
	}
	return out
}

func hasCodeIssue(res Result, user, code string) bool {
	for _, is := range issuesOf(res, user) {
		if is.Code == code {
			return true
		}
	}
	return false
}

func fieldNames(it PlanItem) []string {
	var out []string
	for _, f := range it.Fields {
		out = append(out, f.Field)
	}
	sort.Strings(out)
	return out
}
