package leapsome

import (
	"net/http"
	"slices"
	"strings"
)

// Content API wire shapes, named as in Leapsome's Content API document.
// Fields the document does not mark nullable are left out when empty; the
// nullable ones (workLocation, the work location's address) are sent as null.

type wireRef struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

type wireEmployee struct {
	ID               string         `json:"id"`
	Email            string         `json:"email,omitempty"`
	Firstname        string         `json:"firstname,omitempty"`
	Middlename       string         `json:"middlename,omitempty"`
	Lastname         string         `json:"lastname,omitempty"`
	Fullname         string         `json:"fullname,omitempty"`
	DisplayedName    string         `json:"displayedName,omitempty"`
	Status           string         `json:"status,omitempty"`
	LifecycleStatus  string         `json:"lifecycleStatus,omitempty"`
	Manager          *wireRef       `json:"manager,omitempty"`
	StartDate        string         `json:"startDate,omitempty"`
	EndDate          string         `json:"endDate,omitempty"`
	Phone            string         `json:"phone,omitempty"`
	Title            string         `json:"title,omitempty"`
	Teams            []wireRef      `json:"teams,omitempty"`
	Departments      []wireRef      `json:"departments,omitempty"`
	WorkLocation     *wireRef       `json:"workLocation"`
	CustomAttributes map[string]any `json:"customAttributes,omitempty"`
}

type wireWorkLocation struct {
	ID                     string  `json:"id"`
	Name                   string  `json:"name,omitempty"`
	Status                 string  `json:"status,omitempty"`
	Country                *string `json:"country"`
	Street                 *string `json:"street"`
	Zip                    *string `json:"zip"`
	City                   *string `json:"city"`
	AdministrativeDivision *string `json:"administrativeDivision"`
}

type wireMeta struct {
	Page       int `json:"page"`
	PageSize   int `json:"pageSize"`
	TotalCount int `json:"totalCount"`
}

type wireList[T any] struct {
	Data []T      `json:"data"`
	Meta wireMeta `json:"meta"`
}

func (s *Server) apiInfo(w http.ResponseWriter, _ *http.Request, _ call) {
	writeJSON(w, http.StatusOK, map[string]string{"name": "Leapsome API", "version": "1.0.1"})
}

func (s *Server) token(w http.ResponseWriter, _ *http.Request, c call) {
	tok, err := s.issueToken(c.tenantID)
	if err != nil {
		writeContentError(w, http.StatusInternalServerError, "could not issue a token")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "expiresIn": int(s.ttl.Seconds())})
}

// Paging defaults and bounds from the Content API document.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
	maxLocationPage = 1000
)

func (s *Server) listEmployees(w http.ResponseWriter, r *http.Request, c call) {
	page, msg := intParam(r, "page", 1, 1, -1)
	size := 0
	if msg == "" {
		size, msg = intParam(r, "pageSize", defaultPageSize, 1, maxPageSize)
	}
	if msg != "" {
		writeContentError(w, http.StatusBadRequest, msg)
		return
	}
	s.writeEmployees(w, r, c, page, size)
}

func (s *Server) writeEmployees(w http.ResponseWriter, r *http.Request, c call, page, size int) {
	q := r.URL.Query()
	status, email, id := q.Get("status"), q.Get("email"), q.Get("employeeId")
	name := strings.ToLower(q.Get("displayedName"))
	if status != "" && !slices.Contains(accountStatuses, status) {
		writeContentError(w, http.StatusBadRequest, "status must be one of "+strings.Join(accountStatuses, ", "))
		return
	}
	if id != "" && !objectID.MatchString(id) {
		writeContentError(w, http.StatusBadRequest, "employeeId must be 24 lower-case hex digits")
		return
	}
	email = strings.ToLower(strings.TrimSpace(email))

	s.mu.Lock()
	t, ok := s.tenants[c.tenantID]
	if !ok {
		s.mu.Unlock()
		writeContentError(w, http.StatusUnauthorized, "authorization failed")
		return
	}
	var match []*person
	for _, p := range t.sortedPeople() {
		if (status == "" || p.Status == status) &&
			(email == "" || strings.ToLower(p.Email) == email) &&
			(id == "" || p.ID == id) &&
			(name == "" || strings.Contains(strings.ToLower(p.displayed()), name)) {
			match = append(match, p)
		}
	}
	lo, hi := window(len(match), pageOffset(page, size), size)
	out := wireList[wireEmployee]{Data: make([]wireEmployee, 0, hi-lo), Meta: wireMeta{Page: page, PageSize: size, TotalCount: len(match)}}
	for _, p := range match[lo:hi] {
		out.Data = append(out.Data, t.render(p))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// pageOffset is (page-1)*size without overflow: a page far past the end
// simply gives an empty page.
func pageOffset(page, size int) int {
	if page-1 > (1<<31)/size {
		return 1 << 31
	}
	return (page - 1) * size
}

func (p *person) displayed() string {
	if p.DisplayedName != "" {
		return p.DisplayedName
	}
	return p.fullName()
}

// render builds the Content API's view of p. Manager and work-location names
// come from the current records, as Leapsome resolves them when it answers.
func (t *tenant) render(p *person) wireEmployee {
	e := wireEmployee{
		ID: p.ID, Email: p.Email,
		Firstname: p.FirstName, Middlename: p.MiddleName, Lastname: p.LastName,
		Fullname: p.fullName(), DisplayedName: p.DisplayedName,
		Status: p.Status, LifecycleStatus: p.LifecycleStatus,
		StartDate: p.StartDate, EndDate: p.EndDate, Phone: p.Phone, Title: p.Title,
		Teams: wireRefs(p.Teams), Departments: wireRefs(p.Departments),
	}
	if p.Manager != nil {
		e.Manager = &wireRef{ID: p.Manager.ID, Name: t.managerName(p.Manager)}
	}
	if p.WorkLocation != nil {
		e.WorkLocation = &wireRef{ID: p.WorkLocation.ID, Name: t.locationName(p.WorkLocation)}
	}
	if len(p.CustomAttributes) > 0 {
		e.CustomAttributes = p.CustomAttributes
	}
	return e
}

func (t *tenant) managerName(m *Ref) string {
	if mp, ok := t.people[m.ID]; ok {
		if n := mp.fullName(); n != "" {
			return n
		}
	}
	return m.Name
}

// locationName is the current name of the work location ref points at, or
// the name the person was stored with when the tenant has no such location.
func (t *tenant) locationName(ref *Ref) string {
	if l, ok := t.locations[ref.ID]; ok {
		return l.Name
	}
	return ref.Name
}

func wireRefs(refs []Ref) []wireRef {
	if len(refs) == 0 {
		return nil
	}
	out := make([]wireRef, len(refs))
	for i, r := range refs {
		out[i] = wireRef(r)
	}
	return out
}

func (s *Server) listWorkLocations(w http.ResponseWriter, r *http.Request, c call) {
	page, msg := intParam(r, "page", 1, 1, maxLocationPage)
	size := 0
	if msg == "" {
		size, msg = intParam(r, "pageSize", defaultPageSize, 1, maxPageSize)
	}
	status := r.URL.Query().Get("status")
	if msg == "" && status != "" && !slices.Contains(locationStatuses, status) {
		msg = "status must be one of " + strings.Join(locationStatuses, ", ")
	}
	if msg != "" {
		writeContentError(w, http.StatusBadRequest, msg)
		return
	}
	s.mu.Lock()
	var all []WorkLocation
	if t, ok := s.tenants[c.tenantID]; ok {
		for _, l := range t.sortedLocations() {
			if status == "" || l.Status == status {
				all = append(all, l)
			}
		}
	}
	s.mu.Unlock()
	lo, hi := window(len(all), pageOffset(page, size), size)
	out := wireList[wireWorkLocation]{Data: make([]wireWorkLocation, 0, hi-lo), Meta: wireMeta{Page: page, PageSize: size, TotalCount: len(all)}}
	for _, l := range all[lo:hi] {
		out.Data = append(out.Data, wireWorkLocation{
			ID: l.ID, Name: l.Name, Status: l.Status,
			Country: nullable(l.Country), Street: nullable(l.Street), Zip: nullable(l.Zip),
			City: nullable(l.City), AdministrativeDivision: nullable(l.AdministrativeDivision),
		})
	}
	writeJSON(w, http.StatusOK, out)
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
