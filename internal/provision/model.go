package provision

import "log/slog"

// The values the engine reads from and writes to the two outside systems. The
// Leapsome and TriNet clients translate their wire formats to and from these
// types; nothing here is shaped by JSON.

// Person is one Leapsome person as the Leapsome client read it, before any
// scope decision or normalisation. Empty strings mean absent or null.
type Person struct {
	ID              string // Employee.id, the stable key
	Email           string
	FirstName       string
	MiddleName      string
	LastName        string
	DisplayedName   string
	Status          string // account status: created, active, invited, removed, ...
	LifecycleStatus string // hired, active, leave, offboarding, terminated, ...
	ManagerID       string // manager.id
	StartDate       string // as Leapsome sent it, e.g. 2024-01-08T00:00:00.000Z
	EndDate         string
	Phone           string
	Title           string
	Departments     []string // department names, in Leapsome's order
	Teams           []string // team names, in Leapsome's order
	WorkLocationID  string
	WorkLocation    string // the work location's name
	// CustomAttributes by the name the admin typed; numbers are formatted as
	// Leapsome sent them, nulls are left out.
	CustomAttributes map[string]string
	// SCIM is the person's SCIM record, nil when SCIM is not configured or the
	// SCIM API has no user with this id.
	SCIM *SCIMUser
}

// SCIMUser holds what only Leapsome's SCIM API carries.
type SCIMUser struct {
	Gender         string // male, female, diverse, ...
	Birthday       string // YYYY-MM-DD
	EmploymentType string // internal, external
	LegalName      string // name.formatted
	Active         bool
}

// WorkLocation is a Leapsome work location; Country is free text ("Germany").
type WorkLocation struct {
	ID      string
	Name    string
	Status  string
	Country string
}

// Directory is everything read from Leapsome for one tenant.
type Directory struct {
	People    []Person
	Locations []WorkLocation
	// SCIM is true when the SCIM API was read (a SCIM token is configured).
	SCIM bool
	// Anomalies are the odd data the client tolerated rather than failing the
	// read: records it skipped and values it read as absent. They are kept so
	// that the admin is told which person's data was not synced and why, not
	// only the service's log. Nil when Leapsome sent nothing odd.
	Anomalies []Anomaly
}

// The Leapsome listings an Anomaly can come from.
const (
	ListEmployees     = "employees"
	ListSCIMUsers     = "scimUsers"
	ListWorkLocations = "workLocations"
)

// Anomaly is one piece of odd data in what Leapsome sent: a record left out,
// or a field of a kept record read as absent because of its type. It names
// where the oddity is, never the value, because values may be personal data.
type Anomaly struct {
	// List is the listing the record came from (ListEmployees, ListSCIMUsers,
	// ListWorkLocations): the same field name means different things in each.
	List string
	// UserID is the person's id (employees and SCIM users); "" when the record
	// had no usable id, and for work locations.
	UserID string
	// LocationID is the work location's id (work locations only), so that the
	// people at that location can be told.
	LocationID string
	// Field is the Leapsome field as the listing names it ("title",
	// "customAttributes.Employee type", "departments[0].name"); "" when the
	// whole record was skipped.
	Field string
	// Reason says in plain words what was wrong; never the value.
	Reason string
}

// Anomaly reasons the Leapsome client gives, so that the engine can tell a
// record it lost from one it only saw twice.
const (
	ReasonWrongType = "the value is not of the type Leapsome documents, so it was read as absent"
	ReasonNotObject = "a record that is not an object"
	ReasonNoID      = "a record without an id"
	ReasonDuplicate = "a record repeated by paging; the first copy was kept"
)

// Employee is one TriNet employee as listed by TriNet. Empty strings mean absent.
type Employee struct {
	ID            string
	FirstName     string // primary name
	MiddleName    string
	LastName      string
	Gender        string
	BirthDate     string // YYYY-MM-DD
	Ethnicity     string
	MaritalStatus string
	Country       string
	Status        string // employmentStatus: A, T, D, L, P, S, U
	StartDate     string
	Title         string // businessTitle
	EmployeeType  string
	FLSACode      string
	StandardHours string
	WorkEmail     string
	WorkPhone     string
	CustomGroupA  string
	CustomGroupB  string
	LocationID    string
	LocationName  string
	DeptID        string
	DeptName      string
	SupervisorID  string
}

// Department is a TriNet department.
type Department struct {
	ID   string
	Name string
}

// Location is a TriNet work location.
type Location struct {
	ID      string
	Name    string
	Country string
}

// CompanyData is everything read from TriNet for one tenant.
type CompanyData struct {
	Employees   []Employee
	Departments []Department
	Locations   []Location
}

// Hire is a new-hire request. Empty fields are not sent. It carries the SSN
// (NationalID) and other personal data: it is never logged or stored.
type Hire struct {
	FirstName        string
	MiddleName       string
	LastName         string
	Gender           string
	Ethnicity        string
	BirthDate        string
	Country          string
	NationalID       string
	Address1         string
	Address2         string
	City             string
	State            string
	PostalCode       string
	AddressCountry   string
	StartDate        string
	EmployeeType     string
	RegularTemporary string
	Title            string
	SupervisorID     string
	LocationID       string
	WorkEmail        string
	WorkPhone        string
	StandardHours    string // hours per week, decimal
	DeptID           string
	FLSACode         string
}

// HireResult is TriNet's answer to a hire; EmployeeID may be empty.
type HireResult struct {
	EmployeeID     string
	ApprovalStatus string
}

// NamesUpdate always carries the whole name.
type NamesUpdate struct {
	EffectiveDate string
	FirstName     string
	MiddleName    string
	LastName      string
}

// PersonalsUpdate sends only its non-empty fields.
type PersonalsUpdate struct {
	EffectiveDate string
	Gender        string
	BirthDate     string
	Ethnicity     string
	Country       string
	MaritalStatus string
}

// JobsUpdate sends only its non-empty fields.
type JobsUpdate struct {
	EffectiveDate string
	Title         string
	DeptID        string
	WorkPhone     string
	LocationID    string
	GroupA        string
	GroupB        string
}

// String names the person a hire is for and nothing personal beyond that, so
// a Hire printed or logged by mistake carries no SSN, birth date or address.
func (h Hire) String() string {
	return "Hire{" + h.FirstName + " " + h.LastName + ", starting " + h.StartDate + "}"
}

// GoString is String, for %#v.
func (h Hire) GoString() string { return h.String() }

// LogValue keeps personal data out of structured logs.
func (h Hire) LogValue() slog.Value { return slog.StringValue(h.String()) }
