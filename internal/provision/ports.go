package provision

import "context"

// The small interfaces the engine reads and writes through. The TriNet and
// Leapsome clients and the DynamoDB store implement them; tests may use
// in-memory implementations.

// PeopleSource reads everything the engine needs from a tenant's Leapsome.
type PeopleSource interface {
	Directory(ctx context.Context) (Directory, error)
}

// CompanyReader reads a tenant's TriNet company.
type CompanyReader interface {
	Employees(ctx context.Context) ([]Employee, error)
	Departments(ctx context.Context) ([]Department, error)
	Locations(ctx context.Context) ([]Location, error)
}

// CompanyWriter writes to a tenant's TriNet company. Hire must never be repeated
// by its implementation when the outcome is unknown: it then returns an error of
// class fault.OutcomeUnknown.
type CompanyWriter interface {
	Hire(ctx context.Context, h Hire) (HireResult, error)
	UpdateNames(ctx context.Context, employeeID string, u NamesUpdate) error
	UpdatePersonals(ctx context.Context, employeeID string, u PersonalsUpdate) error
	UpdateJobs(ctx context.Context, employeeID string, u JobsUpdate) error
}

// Company is a tenant's TriNet company, read and written.
type Company interface {
	CompanyReader
	CompanyWriter
}

// LinkStore keeps a tenant's links, per TriNet company: a company's links are
// never read in another (employee ids are numbered per company).
type LinkStore interface {
	// Links returns the links made in company companyID only.
	Links(ctx context.Context, tenantID, companyID string) ([]Link, error)
	// PutLink stores l in l.CompanyID, replacing the person's link there. It
	// fails with fault.Conflict when the employee is linked to another person.
	PutLink(ctx context.Context, tenantID string, l Link) error
	// MoveLink stores l like PutLink, taking the employee over from the person
	// fromUserID (a re-created Leapsome account), whose link is dropped. The
	// employee linked to anyone else is fault.Conflict.
	MoveLink(ctx context.Context, tenantID string, l Link, fromUserID string) error
	// CountLinks counts the tenant's links in every company, up to atMost (it
	// may stop counting there): the mass-create brake asks whether a tenant is
	// established, and a tenant that just moved to another company is.
	CountLinks(ctx context.Context, tenantID string, atMost int) (int, error)
}

// Ledger keeps a tenant's hire ledger, per TriNet company: a hire sent to one
// company is never read in another. CreateHire fails with fault.Conflict when
// the person already has an entry in e.CompanyID.
type Ledger interface {
	Hires(ctx context.Context, tenantID, companyID string) ([]HireEntry, error)
	CreateHire(ctx context.Context, tenantID string, e HireEntry) error
	UpdateHire(ctx context.Context, tenantID string, e HireEntry) error
	DeleteHire(ctx context.Context, tenantID, companyID, userID string) error
}
