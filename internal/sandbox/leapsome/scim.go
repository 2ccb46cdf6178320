package leapsome

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// SCIM wire shapes, as in Leapsome's SCIM document (RFC 7643 names).

const (
	schemaUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	schemaEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	schemaList       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	maxSCIMCount     = 5000
)

type scimName struct {
	// givenName and familyName are required by the document, so they are
	// always sent, if need be empty.
	GivenName  string `json:"givenName"`
	FamilyName string `json:"familyName"`
	Formatted  string `json:"formatted,omitempty"`
}

type scimEmail struct {
	Primary bool   `json:"primary"`
	Type    string `json:"type"`
	Value   string `json:"value"`
}

type scimValue struct {
	Value string `json:"value"`
}

type scimMeta struct {
	Created      string `json:"created"`
	Location     string `json:"location"`
	Version      string `json:"version"`
	LastModified string `json:"lastModified"`
}

type scimUser struct {
	Schemas     []string       `json:"schemas"`
	ID          string         `json:"id"`
	UserName    string         `json:"userName"`
	Name        scimName       `json:"name"`
	DisplayName string         `json:"displayName,omitempty"`
	Title       string         `json:"title,omitempty"`
	Active      bool           `json:"active"`
	Emails      []scimEmail    `json:"emails,omitempty"`
	Groups      []scimValue    `json:"groups,omitempty"`
	Manager     *scimValue     `json:"manager,omitempty"`
	Enterprise  map[string]any `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,omitempty"`
	Meta        scimMeta       `json:"meta"`
}

type scimList struct {
	Schemas      []string   `json:"schemas"`
	TotalResults int        `json:"totalResults"`
	ItemsPerPage int        `json:"itemsPerPage"`
	StartIndex   int        `json:"startIndex"`
	Resources    []scimUser `json:"Resources"`
}

// userNameFilter is the one filter Leapsome supports: userName eq "value".
var userNameFilter = regexp.MustCompile(`(?i)^\s*userName\s+eq\s+(?:"([^"]*)"|(\S+))\s*$`)

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, c call) {
	start, msg := intParam(r, "startIndex", 1, 1, -1)
	count := 0
	if msg == "" {
		count, msg = intParam(r, "count", maxSCIMCount, 0, maxSCIMCount)
	}
	var userName string
	filtered := false
	if f := r.URL.Query().Get("filter"); msg == "" && f != "" {
		m := userNameFilter.FindStringSubmatch(f)
		if m == nil {
			msg = `filter: only 'userName eq "value"' is supported`
		} else {
			userName, filtered = strings.ToLower(m[1]+m[2]), true
		}
	}
	if msg != "" {
		writeSCIMError(w, http.StatusBadRequest, msg)
		return
	}
	base := baseURL(r)
	s.mu.Lock()
	t, ok := s.tenants[c.tenantID]
	if !ok {
		s.mu.Unlock()
		writeSCIMError(w, http.StatusForbidden, "Invalid token passed")
		return
	}
	var match []*person
	for _, p := range t.sortedPeople() {
		if !filtered || strings.ToLower(p.Email) == userName {
			match = append(match, p)
		}
	}
	lo, hi := window(len(match), start-1, count)
	out := scimList{
		Schemas:      []string{schemaList},
		TotalResults: len(match),
		StartIndex:   start,
		Resources:    make([]scimUser, 0, hi-lo),
	}
	for _, p := range match[lo:hi] {
		out.Resources = append(out.Resources, t.scimUser(p, base))
	}
	s.mu.Unlock()
	// RFC 7644 §3.4.2: itemsPerPage is the number of resources in this page.
	out.ItemsPerPage = len(out.Resources)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, c call) {
	id := r.PathValue("id")
	base := baseURL(r)
	s.mu.Lock()
	t, ok := s.tenants[c.tenantID]
	var p *person
	if ok {
		p, ok = t.people[id]
	}
	if !ok {
		s.mu.Unlock()
		writeSCIMError(w, http.StatusNotFound, "Resource not found")
		return
	}
	u := t.scimUser(p, base)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, u)
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/scim/v1"
}

// scimUser renders p as Leapsome's SCIM API shows a user. A person without
// an email still has a userName (empty), since the document requires one.
func (t *tenant) scimUser(p *person, base string) scimUser {
	u := scimUser{
		Schemas:     []string{schemaUser, schemaEnterprise},
		ID:          p.ID,
		UserName:    p.Email,
		Name:        scimName{GivenName: p.FirstName, FamilyName: p.LastName, Formatted: p.LegalName},
		DisplayName: p.displayed(),
		Title:       p.Title,
		// Leapsome's "active" is the account being usable, not the lifecycle.
		Active: p.Status != "removed" && p.Status != "deactivated",
		Meta: scimMeta{
			Created:      p.created.Format(time.RFC3339),
			Location:     base + "/Users/" + p.ID,
			Version:      fmt.Sprintf("W/\"%d\"", p.version),
			LastModified: p.modified.Format(time.RFC3339),
		},
	}
	if p.Email != "" {
		u.Emails = []scimEmail{{Primary: true, Type: "work", Value: p.Email}}
	}
	for _, team := range p.Teams {
		u.Groups = append(u.Groups, scimValue{Value: team.ID})
	}
	ext := map[string]any{}
	if p.Manager != nil {
		u.Manager = &scimValue{Value: p.Manager.ID}
		ext["manager"] = map[string]string{"managerId": p.Manager.ID, "displayName": t.managerName(p.Manager)}
	}
	if len(p.Departments) > 0 {
		ext["department"] = p.Departments[0].Name
	}
	if p.WorkLocation != nil {
		ext["location"] = t.locationName(p.WorkLocation)
	}
	for _, kv := range [...]struct{ key, v string }{
		{"startDate", dateOf(p.StartDate)}, {"endDate", dateOf(p.EndDate)}, {"birthday", p.Birthday},
		{"gender", p.Gender}, {"employmentType", p.EmploymentType},
	} {
		if kv.v != "" {
			ext[kv.key] = kv.v
		}
	}
	// SCIM keys custom attributes by attribute id, not by name.
	for name, v := range p.CustomAttributes {
		if v != nil {
			ext[CustomAttributeID(t.ID, name)] = fmt.Sprint(v)
		}
	}
	if len(ext) > 0 {
		u.Enterprise = ext
	}
	return u
}

// dateOf turns a stored date-time into SCIM's YYYY-MM-DD.
func dateOf(v string) string {
	if len(v) >= len(time.DateOnly) {
		return v[:len(time.DateOnly)]
	}
	return v
}

// CustomAttributeID is the 24-hex id under which SCIM shows the tenant's
// custom attribute called name (the Content API keys it by name).
func CustomAttributeID(tenantID, name string) string {
	return derivedID(tenantID, "custom-attribute", name)
}
