package provision

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"trinetsync/internal/fault"
)

// DefaultConcurrency bounds how many people one run writes at once. The TriNet
// client has its own per-company rate limit; this only bounds goroutines and
// open requests.
const DefaultConcurrency = 8

// Config configures an Engine.
type Config struct {
	Concurrency int              // people written at once; default DefaultConcurrency
	Now         func() time.Time // default time.Now; "today" is its UTC date
	Logger      *slog.Logger     // default slog.Default()
}

// Engine runs syncs. It holds no per-tenant state and is safe for concurrent use.
type Engine struct {
	conc int
	now  func() time.Time
	log  *slog.Logger
}

// New returns an Engine.
func New(cfg Config) *Engine {
	e := &Engine{conc: cfg.Concurrency, now: cfg.Now, log: cfg.Logger}
	if e.conc <= 0 {
		e.conc = DefaultConcurrency
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	return e
}

// Input is one run (or one continuation of a run) of one tenant.
type Input struct {
	TenantID, SyncID string
	// CompanyID is the TriNet company Company reads and writes: only its
	// links and hires are read, and every link and hire is made in it.
	CompanyID      string
	Settings       Settings // effective settings (see EffectiveSettings)
	SCIMConfigured bool
	DryRun         bool
	ConfirmCreates bool
	// Subset, when not nil, makes the run a subset run of these Leapsome
	// people (see PlanInput.Only); an empty subset plans nobody.
	Subset []string
	// Approve are people an admin approved by name (see PlanInput.Approve).
	Approve []string

	People  PeopleSource
	Company Company
	Links   LinkStore
	Ledger  Ledger

	// Cursor is the Result.Cursor of the invocation this one continues; empty
	// for the first.
	Cursor string
	// Deadline: no person is started at or after it (zero = none). At least one
	// person is processed per invocation, so continuations always progress.
	Deadline time.Time
}

// Result is what one invocation did.
type Result struct {
	Counts Counts
	// Plan holds the items of the people this invocation covered, by user id.
	Plan []PlanItem
	// Issues of those people; the first invocation of a run also carries the
	// run's tenant-level issues (no user id), ahead of them.
	Issues []Issue
	// Cursor is non-empty when the invocation stopped before the end: run again
	// with it to continue.
	Cursor string
	// ErrorPeople counts the people with at least one error issue. It is more
	// than Counts.Errors when an update went ahead without the field at fault
	// (action update, error issue): such a run is partial too.
	ErrorPeople int
	// FoundUnknown counts the hires this invocation moved to unknown from a
	// ledger entry an earlier run left (submitted by an invocation that
	// stopped before TriNet's answer, or linked to an employee TriNet no
	// longer lists). Their outcome is as unknown as a lost answer's and is
	// announced the same way; a hire whose answer this invocation lost is
	// not counted here (the TriNet client's observer sees that one).
	FoundUnknown int
}

// Run reads both sides, plans, and (unless DryRun) writes, person by person.
//
// Continuation: people are processed in user-id order. When the deadline stops
// an invocation, Result.Cursor names the first person not started, plus the
// managers that were hired ahead of their turn (a manager is hired before their
// report even when their id sorts later). A continuation re-reads everything,
// plans everyone again (what was done plans as unchanged or pending, because
// links and the hire ledger were written), and applies and reports only the
// people from the cursor on that were not reported yet, so the invocations'
// results add up to one account of the run.
//
// Run fails only when the run as a whole cannot proceed: a read of Leapsome,
// TriNet, the links or the ledger failed (the error keeps its fault class), or
// the input is malformed. A person's failure is that person's issue.
func (e *Engine) Run(ctx context.Context, in Input) (Result, error) {
	if err := checkInput(in); err != nil {
		return Result{}, err
	}
	cur, err := parseCursor(in.Cursor)
	if err != nil {
		return Result{}, err
	}
	if in.Cursor != "" && cur.Company != "" && cur.Company != in.CompanyID {
		return Result{}, ErrCompanyChanged
	}
	started := e.now()
	var (
		dir    Directory
		comp   CompanyData
		links  []Link
		hires  []HireEntry
		g, gtx = errgroup.WithContext(ctx)
	)
	g.Go(func() (err error) {
		dir, err = in.People.Directory(gtx)
		return wrapRead(err, "read Leapsome people")
	})
	g.Go(func() (err error) {
		comp.Employees, err = in.Company.Employees(gtx)
		return wrapRead(err, "read TriNet employees")
	})
	g.Go(func() (err error) {
		comp.Departments, err = in.Company.Departments(gtx)
		return wrapRead(err, "read TriNet departments")
	})
	g.Go(func() (err error) {
		comp.Locations, err = in.Company.Locations(gtx)
		return wrapRead(err, "read TriNet locations")
	})
	g.Go(func() (err error) {
		links, err = in.Links.Links(gtx, in.TenantID, in.CompanyID)
		return wrapRead(err, "read links")
	})
	g.Go(func() (err error) {
		hires, err = in.Ledger.Hires(gtx, in.TenantID, in.CompanyID)
		return wrapRead(err, "read hire ledger")
	})
	if err := g.Wait(); err != nil {
		return Result{}, err
	}
	links, hires = ofCompany(links, in.CompanyID, linkCompany), ofCompany(hires, in.CompanyID, hireCompany)
	tenantLinks := 0
	if countLinks(links) < MassCreateMinLinks {
		// Only a tenant with few links in this company may be one that has
		// just moved here from another: the brake holds it all the same.
		if tenantLinks, err = in.Links.CountLinks(ctx, in.TenantID, MassCreateMinLinks); err != nil {
			return Result{}, wrapRead(err, "count links")
		}
	}

	planned := Plan(PlanInput{
		Settings: in.Settings, Directory: dir, Company: comp, Links: links, Hires: hires, TenantLinks: tenantLinks,
		Now: started, ConfirmCreates: in.ConfirmCreates, Only: setOf(in.Subset, in.Subset != nil), Approve: setOf(in.Approve, false),
		DryRun: in.DryRun,
	})
	x := newExecutor(e, in, planned.Steps, cur)
	if in.DryRun {
		x.dryRun()
	} else {
		x.apply(ctx)
	}
	res := x.result()
	if cur.From == "" && len(planned.Issues) > 0 {
		// Tenant-level issues belong to the run, not to a person: the first
		// invocation reports them and continuations do not repeat them.
		res.Issues = append(slices.Clip(planned.Issues), res.Issues...)
		res.Counts.Warnings += counts(nil, planned.Issues).Warnings
	}
	e.log.LogAttrs(ctx, slog.LevelInfo, "sync planned and applied",
		slog.String("tenant", in.TenantID), slog.String("syncId", in.SyncID), slog.Bool("dryRun", in.DryRun), slog.Bool("subset", in.Subset != nil),
		slog.Int("people", len(planned.Steps)), slog.Int("covered", len(res.Plan)), slog.Bool("continues", res.Cursor != ""),
		slog.Int("created", res.Counts.Created), slog.Int("updated", res.Counts.Updated), slog.Int("linked", res.Counts.Linked),
		slog.Int("errors", res.Counts.Errors), slog.Int("warnings", res.Counts.Warnings),
		slog.Duration("took", e.now().Sub(started)))
	return res, nil
}

// setOf is ids as a set; nil when there are none, unless empty is wanted as
// an empty set.
func setOf(ids []string, keepEmpty bool) map[string]bool {
	if len(ids) == 0 && !keepEmpty {
		return nil
	}
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// ofCompany drops what another company's entries a store may have handed
// over: their employee ids would name strangers here. An entry without a
// company is taken as the current company's.
func ofCompany[T any](items []T, company string, of func(*T) string) []T {
	return slices.DeleteFunc(items, func(it T) bool {
		c := of(&it)
		return c != "" && c != company
	})
}

func linkCompany(l *Link) string      { return l.CompanyID }
func hireCompany(h *HireEntry) string { return h.CompanyID }

// countLinks counts links to an employee (not an admin's "keep out").
func countLinks(links []Link) int {
	n := 0
	for _, l := range links {
		if !l.Excluded() {
			n++
		}
	}
	return n
}

func checkInput(in Input) error {
	switch {
	case in.TenantID == "":
		return fault.Invalid("tenantId", "is required")
	case in.CompanyID == "":
		return fault.Invalid("companyId", "is required")
	case in.People == nil:
		return fault.Invalid("people", "is required")
	case in.Company == nil:
		return fault.Invalid("company", "is required")
	case in.Links == nil:
		return fault.Invalid("links", "is required")
	case in.Ledger == nil:
		return fault.Invalid("ledger", "is required")
	}
	return nil
}

// wrapRead names the read that failed, keeping the adapter's class; an
// unclassified error is taken as transient, since the run can be retried.
func wrapRead(err error, what string) error {
	if err == nil {
		return nil
	}
	if _, ok := fault.ClassOf(err); ok {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fault.Wrap(fault.Transient, err, "%s", what)
}

// cursor is where a continuation resumes.
type cursor struct {
	From string   `json:"f"`           // first user id not started
	Done []string `json:"d,omitempty"` // user ids at or after From already reported
	// Company is the TriNet company the run started in: a continuation in
	// another (the tenant reconnected meanwhile) is not this run's.
	Company string `json:"c,omitempty"`
}

// ErrCompanyChanged is Run's error for a continuation whose tenant is now
// connected to another TriNet company than the run started in: the people
// the run has done were another company's employees, so it ends there.
var ErrCompanyChanged = fault.New(fault.Conflict, "the tenant was connected to another TriNet company while the run went on")

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseCursor(s string) (cursor, error) {
	var c cursor
	if s == "" {
		return c, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.From == "" {
		return cursor{}, fault.Invalid("cursor", "is not a cursor this engine returned")
	}
	return c, nil
}

// counts tallies items and warning issues.
func counts(items []PlanItem, issues []Issue) Counts {
	var c Counts
	for _, it := range items {
		switch it.Action {
		case ActionCreate:
			c.Created++
		case ActionUpdate:
			c.Updated++
		case ActionLink:
			c.Linked++
		case ActionUnchanged:
			c.Unchanged++
		case ActionSuggest:
			c.Suggested++
		case ActionPending:
			c.Pending++
		case ActionHeld:
			c.Held++
		case ActionError:
			c.Errors++
		case ActionExcluded:
			c.Excluded++
		}
	}
	for _, is := range issues {
		if is.Severity == SeverityWarning {
			c.Warnings++
		}
	}
	return c
}
