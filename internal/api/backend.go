package api

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

// Backend is what the HTTP edge needs from the service layer: one method per
// operation. Tenant ids reach it already validated and authorized. Errors are
// classified with internal/fault; see errorFor for how each class is answered.
type Backend interface {
	Fields(ctx context.Context) (Catalog, error)

	Connect(ctx context.Context, tenant string, req ConnectRequest) (Connection, error)
	Connection(ctx context.Context, tenant string) (Connection, error)
	Disconnect(ctx context.Context, tenant string) error

	Settings(ctx context.Context, tenant string) (provision.Settings, error)
	PutSettings(ctx context.Context, tenant string, s provision.Settings) (provision.Settings, error)

	// Trigger answers the queued or running manual run with the same flags, or
	// a new queued run. A tenant that is not connected (or revoked) is
	// ErrNotConnected.
	Trigger(ctx context.Context, tenant string, req TriggerRequest) (provision.Run, error)
	Runs(ctx context.Context, tenant string, p Page) ([]provision.Run, string, error)
	Run(ctx context.Context, tenant, syncID string) (provision.Run, error)
	// Plan lists the run's plan: every person whose action is not unchanged.
	Plan(ctx context.Context, tenant, syncID string, p Page) ([]provision.PlanItem, string, error)
	// Drift lists the run's people with drift (a dry run's; any action,
	// unchanged included), with their drift: the plan's opt-in ?drift=true.
	Drift(ctx context.Context, tenant, syncID string, p Page) ([]provision.PlanItem, string, error)
	// Issues lists the issues of syncID, or, when syncID is empty, of the
	// latest finished run that is not skipped; IssuePage.SyncID is empty when
	// there is none yet.
	Issues(ctx context.Context, tenant, syncID string, p Page) (IssuePage, error)
	// Person explains one person; a person the service knows nothing of (no
	// link, no hire, no run that touched them) is fault.NotFound.
	Person(ctx context.Context, tenant, userID string) (Person, error)

	// Hires lists the hire ledger; state "" means pending and unknown.
	Hires(ctx context.Context, tenant string, state provision.HireState, p Page) ([]provision.HireEntry, string, error)
	// ReleaseHire deletes an unknown hire: pending → fault.Conflict, none →
	// fault.NotFound.
	ReleaseHire(ctx context.Context, tenant, userID string) error

	// Links lists the links of the tenant's current TriNet company.
	Links(ctx context.Context, tenant string, p Page) ([]provision.Link, string, error)
	// SetLink sets an admin's link of userID to employeeID, or with employeeID
	// "" the decision to keep the person out. An employee TriNet does not list
	// in the current company is fault.NotFound; a terminated one, or one linked
	// to another person, fault.Conflict; a tenant not connected ErrNotConnected.
	SetLink(ctx context.Context, tenant, userID, employeeID string) (provision.Link, error)
	// DeleteLink drops a person's link or decision; none → fault.NotFound.
	DeleteLink(ctx context.Context, tenant, userID string) error

	// Audit lists the admin actions on the tenant, newest first.
	Audit(ctx context.Context, tenant string, p Page) ([]AuditEntry, string, error)
}

// AuditEntry is one admin action: who (the token's sub), what, when, in
// which request, and what about (never a secret's value).
type AuditEntry struct {
	At        time.Time
	Actor     string
	Action    string
	RequestID string
	Details   map[string]any
}

// ErrNotConnected is returned (wrapped or not) by Backend.Trigger for a tenant
// that is not connected or was revoked; it is answered 409 not_connected. It is
// of class fault.Conflict, so errors.Is(err, fault.ErrConflict) holds as well.
// An error of class fault.CredentialsRevoked is answered the same way.
var ErrNotConnected = fault.New(fault.Conflict, "the tenant is not connected to TriNet: authorize it first")

// Page asks for one page of a list. Limit is within 1..MaxLimit; NextToken is
// the opaque token of the previous page or "". A token the backend cannot read
// should be fault.Invalid("nextToken", …).
type Page struct {
	Limit     int
	NextToken string
}

// Paging bounds, as in docs/openapi.yaml.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Catalog is the body of GET /v1/fields: the engine's field catalog is its
// one wire type, so what the engine knows and what the API serves cannot
// drift apart.
type Catalog = provision.Catalog

// CatalogTarget is one TriNet target that can be mapped. Codes is nil when the
// target takes free text.
type CatalogTarget = provision.Target

// ConnectRequest carries a tenant's credentials. It is never logged.
type ConnectRequest struct {
	TriNet   TriNetCredentials
	Leapsome LeapsomeCredentials
}

// TriNetCredentials are the TriNet API application's credentials.
type TriNetCredentials struct {
	CompanyID    string
	ClientID     string
	ClientSecret string
}

// LeapsomeCredentials are Leapsome's API secret and optional SCIM token.
type LeapsomeCredentials struct {
	APISecret string
	SCIMToken string // "" when none
}

// ConnectionStatus is a tenant's connection state.
type ConnectionStatus string

const (
	StatusNotConnected ConnectionStatus = "not_connected"
	StatusConnected    ConnectionStatus = "connected"
	StatusRevoked      ConnectionStatus = "revoked"
)

// Connection is what GET …/connection shows. Empty strings and zero times are
// answered as null. It never carries a secret.
type Connection struct {
	Status         ConnectionStatus
	CompanyID      string
	ClientIDMasked string
	SCIMConfigured bool
	ConnectedAt    time.Time
	RevokedAt      time.Time
	LastRun        *provision.Run
	NextRunAt      time.Time
	Backoff        *Backoff
}

// Backoff is a tenant's back-off after repeated failed runs.
type Backoff struct {
	Until    time.Time
	Reason   string
	Failures int
}

// TriggerRequest is the body of POST …/syncs, checked for shape: ids are
// printable and at most MaxTriggerPeople, each once; People is nil or not
// empty and comes without OnlyFailed; ApproveCreates are among People when
// People is given; Settings comes with DryRun only. What the ids and the
// settings mean is the Backend's to check.
type TriggerRequest struct {
	DryRun         bool
	ConfirmCreates bool
	// People, when not nil, makes the run a subset run of these people.
	People []string
	// OnlyFailed makes the run a subset run of the people with error items in
	// the latest finished full run.
	OnlyFailed bool
	// ApproveCreates are people to create even with auto-create off, outside
	// the mass-create brake.
	ApproveCreates []string
	// Settings, on a dry run, are planned with instead of the saved ones,
	// which stay as they are.
	Settings *provision.Settings
}

// MaxTriggerPeople bounds people and approveCreates in a trigger (a run
// record holds them).
const MaxTriggerPeople = 1000

// Person is what GET …/people/{userId} explains about one person.
type Person struct {
	UserID string
	// Email and Name as the latest run that touched the person read them
	// from Leapsome (or the link's or hire's e-mail); "" when unknown.
	Email, Name string
	// Link is the person's link (or keep-out decision) in the current
	// TriNet company; Hire their hire ledger entry there. nil when none.
	Link *provision.Link
	Hire *provision.HireEntry
	// Latest is the person's plan in the latest real run that planned them,
	// else in the latest dry run that did; nil when no run did.
	Latest *PersonPlan
	// History is the runs that touched the person, dry runs included, newest
	// first.
	History []PersonRun
}

// PersonPlan is one person's plan item in a run, with the run's issues
// about them.
type PersonPlan struct {
	SyncID string
	At     time.Time // when the run started
	Item   provision.PlanItem
	Issues []provision.Issue
}

// PersonRun is one run that touched a person.
type PersonRun struct {
	SyncID string
	At     time.Time // when the run started
	Action provision.Action
	Code   string
	DryRun bool // a dry run: it planned the person and wrote nothing
}

// PersonHistoryLength is how many runs Person.History holds at most.
const PersonHistoryLength = 20

// IssuePage is one page of a run's issues.
type IssuePage struct {
	SyncID    string // "" when no run has finished yet
	Items     []provision.Issue
	NextToken string
}

// CatalogFrom is c as GET /v1/fields serves it: a target without codes has
// codes null (free text), and sources are a list, never null. c is not
// changed.
func CatalogFrom(c provision.Catalog) Catalog {
	out := Catalog{Targets: make([]CatalogTarget, len(c.Targets)), Sources: c.Sources}
	if out.Sources == nil {
		out.Sources = []string{}
	}
	for i, t := range c.Targets {
		if len(t.Codes) == 0 {
			t.Codes = nil
		}
		out.Targets[i] = t
	}
	return out
}

// String shows which credentials a request carries, never their secrets, so a
// ConnectRequest printed or logged by mistake leaks nothing.
func (r ConnectRequest) String() string {
	set := func(v string) string {
		if v == "" {
			return "(none)"
		}
		return "(set)"
	}
	return fmt.Sprintf("ConnectRequest{TriNet: company %s, client %s, secret %s; Leapsome: API secret %s, SCIM token %s}",
		r.TriNet.CompanyID, r.TriNet.ClientID, set(r.TriNet.ClientSecret), set(r.Leapsome.APISecret), set(r.Leapsome.SCIMToken))
}

// GoString is String, for %#v.
func (r ConnectRequest) GoString() string { return r.String() }

// LogValue keeps the secrets out of structured logs.
func (r ConnectRequest) LogValue() slog.Value { return slog.StringValue(r.String()) }
