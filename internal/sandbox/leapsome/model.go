package leapsome

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"trinetsync/internal/fault"
)

// Tenant is one Leapsome organisation. SCIMToken "" means the tenant has no
// SCIM token: the SCIM API refuses every token for it.
type Tenant struct {
	ID        string `json:"id"`
	APISecret string `json:"apiSecret"`
	SCIMToken string `json:"scimToken,omitempty"`
}

// Ref points at another object (a manager, department, team or work location).
type Ref struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// Employee is one person as the sandbox stores them. The JSON tags are the
// admin surface's; the Content API and SCIM shapes are rendered from it.
type Employee struct {
	ID            string `json:"id,omitempty"`
	Email         string `json:"email,omitempty"`
	FirstName     string `json:"firstName,omitempty"`
	MiddleName    string `json:"middleName,omitempty"`
	LastName      string `json:"lastName,omitempty"`
	DisplayedName string `json:"displayedName,omitempty"`
	// Status is the account status; "" is stored as "active".
	Status          string `json:"status,omitempty"`
	LifecycleStatus string `json:"lifecycleStatus,omitempty"`
	Manager         *Ref   `json:"manager,omitempty"`
	// StartDate and EndDate are RFC 3339 ("2024-01-08T00:00:00.000Z") or "";
	// a plain date ("2024-01-08") is accepted and stored as midnight UTC.
	StartDate        string         `json:"startDate,omitempty"`
	EndDate          string         `json:"endDate,omitempty"`
	Phone            string         `json:"phone,omitempty"`
	Title            string         `json:"title,omitempty"`
	Departments      []Ref          `json:"departments,omitempty"`
	Teams            []Ref          `json:"teams,omitempty"`
	WorkLocation     *Ref           `json:"workLocation,omitempty"`
	CustomAttributes map[string]any `json:"customAttributes,omitempty"`

	// SCIM-only data (the enterprise extension).
	Gender         string `json:"gender,omitempty"`         // male, female, diverse
	Birthday       string `json:"birthday,omitempty"`       // YYYY-MM-DD
	EmploymentType string `json:"employmentType,omitempty"` // internal, external
	LegalName      string `json:"legalName,omitempty"`      // SCIM name.formatted
}

// WorkLocation is one of a tenant's work locations. Country is free text as
// Leapsome admins type it ("United States"), not a code.
type WorkLocation struct {
	ID                     string `json:"id,omitempty"`
	Name                   string `json:"name,omitempty"`
	Status                 string `json:"status,omitempty"` // active (default), inactive
	Country                string `json:"country,omitempty"`
	Street                 string `json:"street,omitempty"`
	Zip                    string `json:"zip,omitempty"`
	City                   string `json:"city,omitempty"`
	AdministrativeDivision string `json:"administrativeDivision,omitempty"`
}

// The enumerations of Leapsome's Content API document.
var (
	accountStatuses   = []string{"created", "active", "invited", "removed", "deactivated", "preBoardingInvited", "preBoardingActive"}
	lifecycleStatuses = []string{"hired", "active", "leave", "offboarding", "terminated", "deactivated", "notSet", "preBoarding"}
	genders           = []string{"male", "female", "diverse"}
	employmentTypes   = []string{"internal", "external"}
	locationStatuses  = []string{"active", "inactive"}
)

var objectID = regexp.MustCompile(`^[0-9a-f]{24}$`)

const wireTime = "2006-01-02T15:04:05.000Z"

// derivedID gives a stable 24-hex id for an object the caller named but did
// not number (a department or team typed by name), so that the same name
// gets the same id in every listing and every run.
func derivedID(tenantID, kind, name string) string {
	sum := sha1.Sum([]byte(tenantID + "\x00" + kind + "\x00" + strings.ToLower(strings.TrimSpace(name))))
	return hex.EncodeToString(sum[:12])
}

// normalizeTime accepts RFC 3339 or a plain date and returns the Content API's
// form (UTC, milliseconds) so that listings are uniform whatever was stored.
func normalizeTime(field, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC().Format(wireTime), nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t.Format(wireTime), nil
	}
	return "", fault.Invalid(field, "want an RFC 3339 date-time or YYYY-MM-DD")
}

func checkEnum(field, v string, allowed []string) error {
	if v == "" || slices.Contains(allowed, v) {
		return nil
	}
	return fault.Invalid(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
}

// normalizeEmployee validates e and fills what the sandbox derives: the
// default status, ids of refs given by name, and uniform dates. locations
// resolves a work location named without an id.
func normalizeEmployee(tenantID string, e Employee, locations map[string]WorkLocation) (Employee, error) {
	if e.ID != "" && !objectID.MatchString(e.ID) {
		return e, fault.Invalid("id", "want 24 lower-case hex digits")
	}
	if e.Email != "" && (strings.ContainsAny(e.Email, " \t\r\n") || strings.Count(e.Email, "@") != 1) {
		return e, fault.Invalid("email", "not an email address")
	}
	if e.Status == "" {
		e.Status = "active"
	}
	if err := checkEnum("status", e.Status, accountStatuses); err != nil {
		return e, err
	}
	if err := checkEnum("lifecycleStatus", e.LifecycleStatus, lifecycleStatuses); err != nil {
		return e, err
	}
	if err := checkEnum("gender", e.Gender, genders); err != nil {
		return e, err
	}
	if err := checkEnum("employmentType", e.EmploymentType, employmentTypes); err != nil {
		return e, err
	}
	if e.Birthday != "" {
		if _, err := time.Parse(time.DateOnly, e.Birthday); err != nil {
			return e, fault.Invalid("birthday", "want YYYY-MM-DD")
		}
	}
	var err error
	if e.StartDate, err = normalizeTime("startDate", e.StartDate); err != nil {
		return e, err
	}
	if e.EndDate, err = normalizeTime("endDate", e.EndDate); err != nil {
		return e, err
	}
	if e.Manager != nil {
		m := *e.Manager
		if !objectID.MatchString(m.ID) {
			return e, fault.Invalid("manager.id", "want 24 lower-case hex digits")
		}
		e.Manager = &m
	}
	if e.Departments, err = normalizeRefs(tenantID, "departments", e.Departments); err != nil {
		return e, err
	}
	if e.Teams, err = normalizeRefs(tenantID, "teams", e.Teams); err != nil {
		return e, err
	}
	if e.WorkLocation != nil {
		w := *e.WorkLocation
		switch {
		case w.ID == "" && w.Name == "":
			return e, fault.Invalid("workLocation", "needs an id or a name")
		case w.ID == "":
			w.ID = derivedID(tenantID, "work-location", w.Name)
			for _, l := range locations {
				if strings.EqualFold(l.Name, w.Name) {
					w.ID = l.ID
					break
				}
			}
		case !objectID.MatchString(w.ID):
			return e, fault.Invalid("workLocation.id", "want 24 lower-case hex digits")
		}
		e.WorkLocation = &w
	}
	if e.CustomAttributes != nil {
		attrs := make(map[string]any, len(e.CustomAttributes))
		for k, v := range e.CustomAttributes {
			switch v.(type) {
			case nil, string, bool, float64, float32, int, int64, json.Number:
			default:
				return e, fault.Invalid("customAttributes."+k, "want a string, number, boolean or null")
			}
			attrs[k] = v
		}
		e.CustomAttributes = attrs
	}
	return e, nil
}

func normalizeRefs(tenantID, field string, refs []Ref) ([]Ref, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	out := make([]Ref, len(refs))
	for i, r := range refs {
		switch {
		case strings.TrimSpace(r.Name) == "":
			return nil, fault.Invalid(fmt.Sprintf("%s[%d].name", field, i), "required")
		case r.ID == "":
			r.ID = derivedID(tenantID, field, r.Name)
		case !objectID.MatchString(r.ID):
			return nil, fault.Invalid(fmt.Sprintf("%s[%d].id", field, i), "want 24 lower-case hex digits")
		}
		out[i] = r
	}
	return out, nil
}

func normalizeWorkLocation(w WorkLocation) (WorkLocation, error) {
	if !objectID.MatchString(w.ID) {
		return w, fault.Invalid("id", "want 24 lower-case hex digits")
	}
	if strings.TrimSpace(w.Name) == "" {
		return w, fault.Invalid("name", "required")
	}
	if w.Status == "" {
		w.Status = "active"
	}
	return w, checkEnum("status", w.Status, locationStatuses)
}

// clone returns a deep copy so that callers never share the sandbox's state.
func (e Employee) clone() Employee {
	if e.Manager != nil {
		m := *e.Manager
		e.Manager = &m
	}
	if e.WorkLocation != nil {
		w := *e.WorkLocation
		e.WorkLocation = &w
	}
	e.Departments = slices.Clone(e.Departments)
	e.Teams = slices.Clone(e.Teams)
	e.CustomAttributes = maps.Clone(e.CustomAttributes)
	return e
}

func (e Employee) fullName() string {
	return strings.Join(slices.DeleteFunc([]string{e.FirstName, e.MiddleName, e.LastName}, func(s string) bool { return s == "" }), " ")
}
