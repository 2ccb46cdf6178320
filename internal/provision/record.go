package provision

import "time"

// The records the engine keeps through the store and reports through the API.

// Settings is a tenant's sync configuration.
type Settings struct {
	AutoCreateNewHires   bool      `json:"autoCreateNewHires"`
	MassCreateMaxPercent int       `json:"massCreateMaxPercent"`
	Mappings             []Mapping `json:"mappings"`
	// Schedule is the tenant's cadence of scheduled runs; nil is the default
	// (every 10 minutes, not paused). Runs ignore it: it is the scheduler's.
	Schedule *Schedule `json:"schedule,omitempty"`
}

// Schedule is when the scheduler runs a tenant.
type Schedule struct {
	// Interval is a multiple of 10 minutes up to 24h, as Go writes durations
	// ("30m", "1h30m", "24h"); "" is DefaultInterval.
	Interval string `json:"interval"`
	// Paused stops scheduled runs only: manual triggers still run.
	Paused bool `json:"paused"`
}

// Mapping maps one Leapsome source to one TriNet target.
type Mapping struct {
	Target   string            `json:"target"`
	Source   string            `json:"source"`
	ValueMap map[string]string `json:"valueMap,omitempty"`
}

// LinkOrigin says how a link was made.
type LinkOrigin string

const (
	OriginEmail  LinkOrigin = "email"  // matched by work email
	OriginHire   LinkOrigin = "hire"   // the employee this service hired for the person
	OriginManual LinkOrigin = "manual" // set by an admin (PUT …/links/{userId})
)

// Link ties a Leapsome person to the one TriNet employee they are, in one
// TriNet company: employee ids are numbered per company, so a link means
// nothing outside the company it was made in. A manual link with no
// EmployeeID is an admin's decision to keep the person out of the sync.
type Link struct {
	UserID     string
	EmployeeID string // "" only for an admin's "keep out" decision
	CompanyID  string // the TriNet company the link was made in
	Origin     LinkOrigin
	// Email is the work email the link was made on (the TriNet employee's);
	// "" for a "keep out" decision.
	Email    string
	LinkedAt time.Time
}

// Excluded reports whether l is an admin's decision to keep the person out.
func (l Link) Excluded() bool { return l.EmployeeID == "" }

// HireState is a hire ledger entry's state.
type HireState string

const (
	HireSubmitted HireState = "submitted" // written before the POST
	HirePending   HireState = "pending"   // TriNet accepted it; awaiting approval
	HireUnknown   HireState = "unknown"   // outcome unknown; never resent
	HireLinked    HireState = "linked"    // TriNet lists the employee; kept so nobody is hired twice
)

// HireEntry is one hire ledger entry, in the TriNet company the hire was sent
// to. A cleared hire (4xx) is deleted.
type HireEntry struct {
	UserID      string
	CompanyID   string
	Email       string
	State       HireState
	EmployeeID  string // empty when TriNet gave none
	SubmittedAt time.Time
	SyncID      string
}

// Action is what a run does with one person.
type Action string

const (
	ActionCreate    Action = "create"
	ActionUpdate    Action = "update"
	ActionLink      Action = "link"
	ActionUnchanged Action = "unchanged"
	ActionSuggest   Action = "suggest"
	ActionPending   Action = "pending"
	ActionHeld      Action = "held"
	ActionError     Action = "error"
	ActionExcluded  Action = "excluded"
)

// FieldChange is one target field of a plan item. Sensitive fields carry no values.
type FieldChange struct {
	Field     string `json:"field"`
	From      string `json:"from,omitempty"`
	To        string `json:"to,omitempty"`
	Sensitive bool   `json:"sensitive,omitempty"`
}

// PlanItem is the one action a run takes for one Leapsome person.
type PlanItem struct {
	UserID string        `json:"userId"`
	Email  string        `json:"email"`
	Name   string        `json:"name,omitempty"`
	Action Action        `json:"action"`
	Code   string        `json:"code"` // behind suggest, pending, held, error, excluded; else empty
	Fields []FieldChange `json:"fields"`
	// Drift lists, in a dry run, the targets the service never writes to this
	// linked person (new-hire-only ones) whose value in TriNet differs from
	// what Leapsome would send: an admin fixes them in TriNet by hand where
	// Leapsome is right. Nil otherwise. It changes no action: an unchanged
	// person with drift is in the run's drift listing, not its plan.
	Drift []FieldChange `json:"drift,omitempty"`
}

// Severity of an issue.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Issue is a per-person (or, with empty UserID, per-tenant) error or warning.
// Message tells the admin what to fix in Leapsome and never carries personal data
// such as an SSN or a birth date.
type Issue struct {
	UserID   string   `json:"userId"`
	Email    string   `json:"email"`
	Name     string   `json:"name"`
	Severity Severity `json:"severity"`
	Code     string   `json:"code"`
	Field    string   `json:"field"`
	Message  string   `json:"message"`
}

// Counts of one run: each of the first nine counts one action; Warnings counts
// warning issues.
type Counts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Linked    int `json:"linked"`
	Unchanged int `json:"unchanged"`
	Suggested int `json:"suggested"`
	Pending   int `json:"pending"`
	Held      int `json:"held"`
	Errors    int `json:"errors"`
	Excluded  int `json:"excluded"`
	Warnings  int `json:"warnings"`
}

// Add adds o to c, for runs continued over several invocations.
func (c *Counts) Add(o Counts) {
	c.Created += o.Created
	c.Updated += o.Updated
	c.Linked += o.Linked
	c.Unchanged += o.Unchanged
	c.Suggested += o.Suggested
	c.Pending += o.Pending
	c.Held += o.Held
	c.Errors += o.Errors
	c.Excluded += o.Excluded
	c.Warnings += o.Warnings
}

// Subset reports whether r covers only some people (People or OnlyFailed):
// it counts only them, leaves everyone else's links and ledger entries as
// they are, does not count toward or clear the tenant's back-off, and is not
// the latest finished run the errors page shows.
func (r Run) Subset() bool { return len(r.People) > 0 || r.OnlyFailed }

// RunStatus is a run's state.
type RunStatus string

const (
	RunQueued    RunStatus = "queued"
	RunRunning   RunStatus = "running"
	RunSucceeded RunStatus = "succeeded"
	RunPartial   RunStatus = "partial"
	RunFailed    RunStatus = "failed"
	RunSkipped   RunStatus = "skipped"
)

// Final reports whether no further state follows s.
func (s RunStatus) Final() bool {
	return s == RunSucceeded || s == RunPartial || s == RunFailed || s == RunSkipped
}

// Trigger says what started a run.
type Trigger string

const (
	TriggerSchedule Trigger = "schedule"
	TriggerManual   Trigger = "manual"
)

// RunError is why a run failed as a whole.
type RunError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Run is one sync of one tenant.
type Run struct {
	TenantID       string
	SyncID         string
	Trigger        Trigger
	DryRun         bool
	ConfirmCreates bool
	// People, when set, makes the run a subset run of these Leapsome people
	// only (the others are neither planned nor counted).
	People []string
	// OnlyFailed makes the run a subset run of the people with error issues
	// in run FailedOf, the latest finished full run when it was triggered
	// ("" when there was none: the subset is empty).
	OnlyFailed bool
	FailedOf   string
	// ApproveCreates are people an admin approved by name: each is created
	// if the plan would suggest them, and none is held by the brake.
	ApproveCreates []string
	// Preview, set on dry runs only, are settings the run plans with instead
	// of the saved ones, which it leaves as they are.
	Preview    *Settings
	Status     RunStatus
	CreatedAt  time.Time
	StartedAt  time.Time // zero while unset
	FinishedAt time.Time // zero while unset
	Counts     Counts
	Error      *RunError
	// Cursor is where a continued run resumes; empty when none is pending.
	Cursor string
	// ErrorPeople counts the people with at least one error issue (an update
	// that went ahead without its faulty field counts here but not in
	// Counts.Errors); any makes the run partial.
	ErrorPeople int
	// LeaseUntil is when the lease of a running run expires (renewed at each
	// continuation); a run whose lease expired long ago is abandoned.
	LeaseUntil time.Time
}
