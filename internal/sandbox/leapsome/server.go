package leapsome

import (
	"cmp"
	"crypto/rand"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"golang.org/x/time/rate"

	"trinetsync/internal/fault"
)

// Options configure a Server.
type Options struct {
	// Now is the sandbox's clock (token expiry, rate limits, SCIM meta);
	// default time.Now.
	Now func() time.Time
	// TokenTTL is how long a Content API token lives; default 18000s, as Leapsome.
	TokenTTL time.Duration
	// EnforceRateLimits switches on Leapsome's documented limits per tenant:
	// 20 requests/s on the Content API and 30 requests/s on SCIM, beyond → 429.
	EnforceRateLimits bool
}

// Documented limits of the two APIs (requests per second, per tenant).
const (
	contentRPS = 20
	scimRPS    = 30
)

// Endpoint names, as counted by Calls and selected by Faults.Endpoint.
const (
	EndpointToken         = "token"
	EndpointEmployees     = "employees"
	EndpointWorkLocations = "work-locations"
	EndpointSCIMUsers     = "scim-users"
	EndpointAPIInfo       = "api-info"
)

// Server is the sandbox: an http.Handler serving /v1, /scim/v1 and /_admin/.
// It is safe for concurrent use.
type Server struct {
	now               func() time.Time
	ttl               time.Duration
	enforceRateLimits bool
	signingKey        []byte
	mux               *http.ServeMux

	mu       sync.Mutex
	tenants  map[string]*tenant
	bySecret map[string]string // API secret → tenant id
	byToken  map[string]string // SCIM token → tenant id
	tokens   map[string]issued // Content API token → its tenant and expiry
	nextID   uint64
}

type tenant struct {
	Tenant
	people    map[string]*person
	locations map[string]WorkLocation
	faults    Faults
	calls     map[string]int
	content   *rate.Limiter
	scim      *rate.Limiter
}

type person struct {
	Employee
	created, modified time.Time
	version           int
}

type issued struct {
	tenantID string
	expires  time.Time
}

// New returns an empty sandbox.
func New(opts Options) *Server {
	s := &Server{
		now:               opts.Now,
		ttl:               opts.TokenTTL,
		enforceRateLimits: opts.EnforceRateLimits,
		signingKey:        make([]byte, 32),
		tenants:           map[string]*tenant{},
		bySecret:          map[string]string{},
		byToken:           map[string]string{},
		tokens:            map[string]issued{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.ttl <= 0 {
		s.ttl = 18000 * time.Second
	}
	_, _ = rand.Read(s.signingKey) // never fails (crypto/rand panics rather than return an error)
	s.mux = s.routes()
	return s
}

// ServeHTTP serves the Content API, SCIM and the admin surface.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// AddTenant registers a tenant. Its id, API secret and SCIM token (if any)
// must be unique across the sandbox, because requests are routed by them.
func (s *Server) AddTenant(t Tenant) error {
	if strings.TrimSpace(t.ID) == "" {
		return fault.Invalid("id", "required")
	}
	if t.APISecret == "" {
		return fault.Invalid("apiSecret", "required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tenants[t.ID]; ok {
		return fault.New(fault.Conflict, "tenant %q exists", t.ID)
	}
	if _, ok := s.bySecret[t.APISecret]; ok {
		return fault.New(fault.Conflict, "API secret already used by another tenant")
	}
	if _, ok := s.byToken[t.SCIMToken]; ok && t.SCIMToken != "" {
		return fault.New(fault.Conflict, "SCIM token already used by another tenant")
	}
	s.tenants[t.ID] = &tenant{
		Tenant:    t,
		people:    map[string]*person{},
		locations: map[string]WorkLocation{},
		calls:     map[string]int{},
		content:   rate.NewLimiter(contentRPS, contentRPS),
		scim:      rate.NewLimiter(scimRPS, scimRPS),
	}
	s.bySecret[t.APISecret] = t.ID
	if t.SCIMToken != "" {
		s.byToken[t.SCIMToken] = t.ID
	}
	return nil
}

func (s *Server) tenant(id string) (*tenant, error) {
	t, ok := s.tenants[id]
	if !ok {
		return nil, fault.New(fault.NotFound, "tenant %q not found", id)
	}
	return t, nil
}

// PutEmployee inserts or replaces a person by ID; an empty ID gets a new
// 24-hex id (use CreateEmployee to learn it). Refs given by name only get
// stable ids derived from the name; a work location named without an id is
// resolved among the tenant's work locations.
func (s *Server) PutEmployee(tenantID string, e Employee) error {
	_, err := s.CreateEmployee(tenantID, e)
	return err
}

// CreateEmployee is PutEmployee returning the stored person, with its
// assigned id and normalised fields.
func (s *Server) CreateEmployee(tenantID string, e Employee) (Employee, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.tenant(tenantID)
	if err != nil {
		return Employee{}, err
	}
	e, err = normalizeEmployee(tenantID, e.clone(), t.locations)
	if err != nil {
		return Employee{}, err
	}
	if e.ID == "" {
		e.ID = s.newID(t)
	}
	now := s.now().UTC()
	p, ok := t.people[e.ID]
	if !ok {
		p = &person{created: now}
		t.people[e.ID] = p
	}
	p.Employee = e
	p.modified = now
	p.version++
	return e.clone(), nil
}

// newID numbers people in creation order, so that a fresh sandbox seeded the
// same way gives the same ids (demo output and tests stay reproducible).
func (s *Server) newID(t *tenant) string {
	for {
		s.nextID++
		id := fmt.Sprintf("65a1b2c3%016x", s.nextID)
		if _, taken := t.people[id]; !taken {
			return id
		}
	}
}

// DeleteEmployee removes a person entirely (as if never in Leapsome).
func (s *Server) DeleteEmployee(tenantID, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.tenant(tenantID)
	if err != nil {
		return err
	}
	if _, ok := t.people[id]; !ok {
		return fault.New(fault.NotFound, "employee %q not found", id)
	}
	delete(t.people, id)
	return nil
}

// Employees returns a tenant's people ordered by id (nil for an unknown tenant).
func (s *Server) Employees(tenantID string) []Employee {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tenants[tenantID]
	if !ok {
		return nil
	}
	out := make([]Employee, 0, len(t.people))
	for _, p := range t.sortedPeople() {
		out = append(out, p.Employee.clone())
	}
	return out
}

// Employee returns one person.
func (s *Server) Employee(tenantID, id string) (Employee, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tenants[tenantID]
	if !ok {
		return Employee{}, false
	}
	p, ok := t.people[id]
	if !ok {
		return Employee{}, false
	}
	return p.Employee.clone(), true
}

func (t *tenant) sortedPeople() []*person {
	ps := slices.Collect(maps.Values(t.people))
	slices.SortFunc(ps, func(a, b *person) int { return cmp.Compare(a.ID, b.ID) })
	return ps
}

func (t *tenant) sortedLocations() []WorkLocation {
	ls := slices.Collect(maps.Values(t.locations))
	slices.SortFunc(ls, func(a, b WorkLocation) int { return cmp.Compare(a.ID, b.ID) })
	return ls
}

// PutWorkLocation inserts or replaces a work location by ID (24 hex digits).
func (s *Server) PutWorkLocation(tenantID string, w WorkLocation) error {
	w, err := normalizeWorkLocation(w)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.tenant(tenantID)
	if err != nil {
		return err
	}
	t.locations[w.ID] = w
	return nil
}

// WorkLocations returns a tenant's work locations ordered by id.
func (s *Server) WorkLocations(tenantID string) []WorkLocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tenants[tenantID]
	if !ok {
		return nil
	}
	return t.sortedLocations()
}

// Faults are injected into a tenant's next API calls (admin calls excluded).
// Counters mean "the next N calls" and are consumed in the order Latency
// (every call), Drop, Throttle, ServerErrors; each affected call uses one.
type Faults struct {
	Latency      time.Duration // added to every API call
	Throttle     int           // the next N calls answer 429
	RetryAfter   int           // seconds, sent as Retry-After with those 429s (0 = no header)
	ServerErrors int           // the next N calls answer 500
	Drop         int           // the next N calls: connection closed without a response
	Endpoint     string        // if set, faults apply only to this endpoint (names as in Calls)
}

// SetFaults replaces a tenant's faults; an unknown tenant is ignored.
func (s *Server) SetFaults(tenantID string, f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tenants[tenantID]; ok {
		t.faults = f
	}
}

// Calls returns how many API calls a tenant made per endpoint: "token",
// "employees", "work-locations", "scim-users" (and "api-info"). Every call
// that names the tenant's credentials counts, rejected ones included.
func (s *Server) Calls(tenantID string) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tenants[tenantID]
	if !ok {
		return map[string]int{}
	}
	return maps.Clone(t.calls)
}

// ResetCalls zeroes a tenant's call counters.
func (s *Server) ResetCalls(tenantID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tenants[tenantID]; ok {
		clear(t.calls)
	}
}

// ExpireTokens makes every Content API token issued so far expire now.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, v := range s.tokens {
		v.expires = now
		s.tokens[k] = v
	}
}

// issueToken returns a JWT-shaped token; the sandbox trusts only its own
// table of issued tokens, so the signature is for realism, not for checking.
func (s *Server) issueToken(tenantID string) (string, error) {
	now := s.now()
	claims := jwt.RegisteredClaims{
		Issuer:    "leapsome-sandbox",
		Subject:   tenantID,
		ID:        uuid.NewString(),
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(s.ttl)),
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.signingKey)
	if err != nil {
		return "", fault.Wrap(fault.Transient, err, "signing token")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[tok] = issued{tenantID: tenantID, expires: now.Add(s.ttl)}
	return tok, nil
}
