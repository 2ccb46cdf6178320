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

// LinkStore keeps a tenant's links. PutLink fails with fault.Conflict when the
// employee is already linked to another person.
type LinkStore interface {
	Links(ctx context.Context, tenantID string) ([]Link, error)
	PutLink(ctx context.Context, tenantID string, l Link) error
}

// Ledger keeps a tenant's hire ledger. CreateHire fails with fault.Conflict when
// the person already has an entry.
type Ledger interface {
	Hires(ctx context.Context, tenantID string) ([]HireEntry, error)
	CreateHire(ctx context.Context, tenantID string, e HireEntry) error
	UpdateHire(ctx context.Context, tenantID string, e HireEntry) error
	DeleteHire(ctx context.Context, tenantID, userID string) error
}
