package trinet

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Options configures a Server.
type Options struct {
	Now      func() time.Time // default time.Now; "today" is the UTC date of Now()
	TokenTTL time.Duration    // default 3600s; expires_in is reported as a string
	// Limit is every company's rate limit until SetLimit changes it; the
	// zero Limit enforces none.
	Limit Limit
	// LimitClock is the clock the rate limits run on (default time.Now), apart
	// from Now, which is the calendar. A benchmark may run it faster than the
	// wall clock, with the client's pacer on the same clock, to measure a
	// long stretch of paced calls in a short time.
	LimitClock func() time.Time
}

// Limit is a company's enforced rate limit, as TriNet's gateway would keep
// it: a token bucket refilled at RPS per second holding at most Burst tokens
// (default one second's worth). An API call (token calls excepted) that finds
// the bucket empty is answered 429 with Retry-After: the whole seconds until
// a token is there, at least one.
type Limit struct {
	RPS   float64 `json:"rps"`
	Burst int     `json:"burst"`
}

// LimitStats counts a company's calls that met its limit.
type LimitStats struct {
	Allowed int `json:"allowed"`
	Refused int `json:"refused"`
}

// Department is a company department as TriNet lists it.
type Department struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Location is a company work location as TriNet lists it.
type Location struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Country string `json:"country"`
}

// Company is one TriNet company (tenant) with its API credentials.
type Company struct {
	ID           string       `json:"id"`
	Name         string       `json:"name"`
	ClientID     string       `json:"clientId"`
	ClientSecret string       `json:"clientSecret"`
	Departments  []Department `json:"departments"`
	Locations    []Location   `json:"locations"`
}

// Employee is TriNet's record of one person, flattened.
type Employee struct {
	ID             string `json:"id"`
	FirstName      string `json:"firstName"`
	MiddleName     string `json:"middleName"`
	LastName       string `json:"lastName"`
	Gender         string `json:"gender"`
	BirthDate      string `json:"birthDate"`
	Ethnicity      string `json:"ethnicity"`
	MaritalStatus  string `json:"maritalStatus"`
	Country        string `json:"country"`
	Status         string `json:"status"` // employmentStatus; default "A"
	StartDate      string `json:"startDate"`
	Title          string `json:"title"`
	EmployeeType   string `json:"employeeType"`
	FLSACode       string `json:"flsaCode"`
	StandardHours  string `json:"standardHours"`
	WorkEmail      string `json:"workEmail"`
	WorkPhone      string `json:"workPhone"`
	CustomGroupA   string `json:"customGroupA"`
	CustomGroupB   string `json:"customGroupB"`
	LocationID     string `json:"locationId"`
	DeptID         string `json:"deptId"`
	SupervisorID   string `json:"supervisorId"`
	Address1       string `json:"address1"`
	Address2       string `json:"address2"`
	City           string `json:"city"`
	State          string `json:"state"`
	PostalCode     string `json:"postalCode"`
	AddressCountry string `json:"addressCountry"`
	NationalID     string `json:"nationalId"`
	ApprovalStatus string `json:"approvalStatus"` // "I" = pending new hire (not listed, updates 404); "" or "A" = approved
}

func (e *Employee) pending() bool { return e.ApprovalStatus == approvalPending }

const approvalPending = "I"

// Faults makes the next API calls of one company misbehave. Counters
// decrement per affected call; Latency applies to every call while set.
type Faults struct {
	Latency          time.Duration // added to every API call
	Throttle         int           // the next N API calls answer 429
	RetryAfter       int           // seconds, sent as Retry-After with those 429s (0 = no header)
	ServerErrors     int           // the next N API calls answer 500
	Drop             int           // the next N API calls: connection closed without a response (hijack + close)
	LoseHireResponse int           // the next N hire POSTs are APPLIED, then the connection is dropped
	Endpoint         string        // if set, faults apply only to this endpoint name (see Calls)
}

// Write is one POST or PUT the API received (token calls excluded).
type Write struct {
	Method   string          `json:"method"`
	Path     string          `json:"path"`
	Endpoint string          `json:"endpoint"`
	Body     json.RawMessage `json:"body"`
	// Status is the HTTP status the sandbox decided on; 0 when the call was
	// dropped before being handled (Faults.Drop). A hire whose response was
	// lost (Faults.LoseHireResponse) keeps the status it would have had.
	Status int       `json:"status"`
	At     time.Time `json:"at"`
}

// Server is the sandbox: an http.Handler serving TriNet's API and the admin
// surface, with all state in memory. It is safe for concurrent use.
type Server struct {
	now      func() time.Time
	limitNow func() time.Time
	ttl      time.Duration
	limit    Limit // for new companies
	reqID    atomic.Uint64
	mux      *http.ServeMux

	mu        sync.Mutex
	companies map[string]*company
	byClient  map[string]*company // client id → company
	tokens    map[string]*token
}

type company struct {
	Company
	depts     map[string]Department
	locs      map[string]Location
	employees map[string]*Employee
	order     []string // employee ids, sorted: the list's stable order
	nextID    int
	faults    Faults
	writes    []*Write
	calls     map[string]int
	limit     Limit
	bucket    *rate.Limiter // nil: no limit
	limited   LimitStats
}

type token struct {
	companyID string
	expires   time.Time
}

// New returns an empty sandbox.
func New(opts Options) *Server {
	s := &Server{
		now:       opts.Now,
		limitNow:  opts.LimitClock,
		ttl:       opts.TokenTTL,
		limit:     opts.Limit,
		companies: map[string]*company{},
		byClient:  map[string]*company{},
		tokens:    map[string]*token{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.limitNow == nil {
		s.limitNow = time.Now
	}
	s.mux = s.routes()
	if s.ttl <= 0 {
		s.ttl = 3600 * time.Second
	}
	return s
}

// ErrNotFound is returned by the Go API for an unknown company or employee.
var ErrNotFound = errors.New("trinet sandbox: not found")

// AddCompany registers a company and its credentials. Company ids and
// client ids are unique across the sandbox, because a client id identifies
// the company on the token call.
func (s *Server) AddCompany(c Company) error {
	switch {
	case c.ID == "":
		return errors.New("trinet sandbox: company id is required")
	case c.ClientID == "" || c.ClientSecret == "":
		return fmt.Errorf("trinet sandbox: company %q: client id and secret are required", c.ID)
	}
	co := &company{
		Company:   c,
		depts:     map[string]Department{},
		locs:      map[string]Location{},
		employees: map[string]*Employee{},
		nextID:    1,
		calls:     map[string]int{},
	}
	co.Departments = append([]Department(nil), c.Departments...)
	co.Locations = append([]Location(nil), c.Locations...)
	for _, d := range c.Departments {
		if d.ID == "" {
			return fmt.Errorf("trinet sandbox: company %q: department %q has no id", c.ID, d.Name)
		}
		if _, dup := co.depts[d.ID]; dup {
			return fmt.Errorf("trinet sandbox: company %q: duplicate department id %q", c.ID, d.ID)
		}
		co.depts[d.ID] = d
	}
	for _, l := range c.Locations {
		if l.ID == "" {
			return fmt.Errorf("trinet sandbox: company %q: location %q has no id", c.ID, l.Name)
		}
		if _, dup := co.locs[l.ID]; dup {
			return fmt.Errorf("trinet sandbox: company %q: duplicate location id %q", c.ID, l.ID)
		}
		co.locs[l.ID] = l
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.companies[c.ID]; dup {
		return fmt.Errorf("trinet sandbox: company %q already exists", c.ID)
	}
	if _, dup := s.byClient[c.ClientID]; dup {
		return fmt.Errorf("trinet sandbox: client id of company %q is already used by another company", c.ID)
	}
	if err := co.setLimit(s.limit); err != nil {
		return fmt.Errorf("trinet sandbox: company %q: %w", c.ID, err)
	}
	s.companies[c.ID] = co
	s.byClient[c.ClientID] = co
	return nil
}

// SetLimit enforces l on the company's API calls from now on, with a full
// bucket; the zero Limit lifts it.
func (s *Server) SetLimit(companyID string, l Limit) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	co, ok := s.companies[companyID]
	if !ok {
		return fmt.Errorf("company %q: %w", companyID, ErrNotFound)
	}
	return co.setLimit(l)
}

// LimitOf returns the company's limit and what it did since the counters
// were last reset.
func (s *Server) LimitOf(companyID string) (Limit, LimitStats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	co, ok := s.companies[companyID]
	if !ok {
		return Limit{}, LimitStats{}
	}
	return co.limit, co.limited
}

func (co *company) setLimit(l Limit) error {
	if l.RPS < 0 || math.IsNaN(l.RPS) || math.IsInf(l.RPS, 0) || l.Burst < 0 {
		return errors.New("limit: rps and burst must not be negative")
	}
	if l.RPS == 0 {
		co.limit, co.bucket = Limit{}, nil
		return nil
	}
	if l.Burst == 0 {
		l.Burst = max(1, int(math.Ceil(l.RPS)))
	}
	co.limit = l
	co.bucket = rate.NewLimiter(rate.Limit(l.RPS), l.Burst)
	return nil
}

// overLimit takes a token from the company's bucket; without one it says
// how many whole seconds (at least one) until there is one.
func (s *Server) overLimit(co *company) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if co.bucket == nil {
		return 0, false
	}
	now := s.limitNow()
	if co.bucket.AllowN(now, 1) {
		co.limited.Allowed++
		return 0, false
	}
	co.limited.Refused++
	r := co.bucket.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	r.CancelAt(now)
	return max(1, int(math.Ceil(wait.Seconds()))), true
}

// PutEmployee stores e as a TriNet admin would, replacing any record with
// the same id and bypassing the API's validation (so tests can seed odd
// data). An empty ID gets a new 8-digit id; an empty Status becomes "A".
func (s *Server) PutEmployee(companyID string, e Employee) (Employee, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	co, ok := s.companies[companyID]
	if !ok {
		return Employee{}, fmt.Errorf("company %q: %w", companyID, ErrNotFound)
	}
	if e.Status == "" {
		e.Status = "A"
	}
	co.put(&e)
	return e, nil
}

// put stores e, assigning an id when it has none. Callers hold s.mu.
func (co *company) put(e *Employee) {
	if e.ID == "" {
		for {
			e.ID = fmt.Sprintf("%08d", co.nextID)
			co.nextID++
			if _, taken := co.employees[e.ID]; !taken {
				break
			}
		}
	} else if n, err := strconv.Atoi(e.ID); err == nil && n >= co.nextID {
		co.nextID = n + 1
	}
	if _, exists := co.employees[e.ID]; !exists {
		i := sort.SearchStrings(co.order, e.ID)
		co.order = append(co.order, "")
		copy(co.order[i+1:], co.order[i:])
		co.order[i] = e.ID
	}
	stored := *e
	co.employees[e.ID] = &stored
}

// Employee returns any employee of the company, pending hires included.
func (s *Server) Employee(companyID, id string) (Employee, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	co, ok := s.companies[companyID]
	if !ok {
		return Employee{}, false
	}
	e, ok := co.employees[id]
	if !ok {
		return Employee{}, false
	}
	return *e, true
}

// Employees returns every employee of the company, pending included, by id.
func (s *Server) Employees(companyID string) []Employee {
	s.mu.Lock()
	defer s.mu.Unlock()
	co, ok := s.companies[companyID]
	if !ok {
		return nil
	}
	out := make([]Employee, 0, len(co.order))
	for _, id := range co.order {
		out = append(out, *co.employees[id])
	}
	return out
}

// RemoveEmployee deletes an employee record, as a TriNet admin who removes a
// duplicate or a hire keyed in error would: TriNet no longer lists it, and
// it cannot be a supervisor. Its id is never given out again.
func (s *Server) RemoveEmployee(companyID, employeeID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	co, ok := s.companies[companyID]
	if !ok {
		return fmt.Errorf("company %q: %w", companyID, ErrNotFound)
	}
	if _, ok := co.employees[employeeID]; !ok {
		return fmt.Errorf("company %q employee %q: %w", companyID, employeeID, ErrNotFound)
	}
	delete(co.employees, employeeID)
	if i := sort.SearchStrings(co.order, employeeID); i < len(co.order) && co.order[i] == employeeID {
		co.order = append(co.order[:i], co.order[i+1:]...)
	}
	return nil
}

// Approve turns a pending hire into an approved one, as the company's HR
// Authorizer would in TriNet. Approving an approved employee changes nothing.
func (s *Server) Approve(companyID, employeeID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	co, ok := s.companies[companyID]
	if !ok {
		return fmt.Errorf("company %q: %w", companyID, ErrNotFound)
	}
	e, ok := co.employees[employeeID]
	if !ok {
		return fmt.Errorf("company %q employee %q: %w", companyID, employeeID, ErrNotFound)
	}
	e.ApprovalStatus = "A"
	return nil
}

// SetFaults replaces the company's faults (an unknown company is ignored).
func (s *Server) SetFaults(companyID string, f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if co, ok := s.companies[companyID]; ok {
		co.faults = f
	}
}

// Writes returns every POST/PUT the company's API received (token calls
// excluded), in order of arrival, rejected ones too.
func (s *Server) Writes(companyID string) []Write {
	s.mu.Lock()
	defer s.mu.Unlock()
	co, ok := s.companies[companyID]
	if !ok {
		return nil
	}
	out := make([]Write, len(co.writes))
	for i, w := range co.writes {
		out[i] = *w
	}
	return out
}

// Calls returns the number of API calls per endpoint name: "token",
// "org-details", "departments", "locations", "employees", "hire", "names",
// "personals", "jobs".
func (s *Server) Calls(companyID string) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	if co, ok := s.companies[companyID]; ok {
		for k, v := range co.calls {
			out[k] = v
		}
	}
	return out
}

// ExpireTokens makes every token issued so far expired.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		// The zero time is before any clock reading, even an injected one
		// that moves backwards.
		t.expires = time.Time{}
	}
}

// ResetCounters forgets the company's calls, writes and limit counts.
func (s *Server) ResetCounters(companyID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if co, ok := s.companies[companyID]; ok {
		co.calls = map[string]int{}
		co.writes = nil
		co.limited = LimitStats{}
	}
}

func (s *Server) today() string { return s.now().UTC().Format(time.DateOnly) }
