package api_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"trinetsync/internal/api"
	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

// memBackend is the in-memory stand-in for the service layer (internal/app,
// not yet written): enough behaviour to exercise every route, plus error
// injection per operation for the error-mapping tests.
type memBackend struct {
	mu      sync.Mutex
	tenants map[string]*memTenant
	fail    map[string]error // operation name → error to return
	panicOn string           // operation name that panics
	catalog func() api.Catalog
	seq     int

	// What the last calls received, for tests of request parsing.
	lastConnect  api.ConnectRequest
	lastCaller   api.Principal
	lastSettings provision.Settings
	lastPage     api.Page
	lastState    provision.HireState
	lastSyncID   string
	// lastRequestID is the request id the last Connect saw on its context.
	lastRequestID string
	lastTrigger   api.TriggerRequest
	lastUserID    string
}

type memTenant struct {
	conn     api.Connection
	settings *provision.Settings
	runs     []provision.Run // newest first
	plans    map[string][]provision.PlanItem
	drifts   map[string][]provision.PlanItem // a dry run's people with drift
	issues   map[string][]provision.Issue
	hires    []provision.HireEntry
	links    []provision.Link // by user id
	audit    []api.AuditEntry // newest first
	// employees are the TriNet employees of the current company, id → terminated.
	employees map[string]bool
}

var (
	t0 = time.Date(2025, 11, 30, 8, 0, 0, 0, time.UTC)
	// A non-UTC zone, to check that answers are converted to UTC.
	cet = time.FixedZone("CET", 3600)
)

func newMemBackend() *memBackend {
	b := &memBackend{tenants: map[string]*memTenant{}, fail: map[string]error{}}
	demo := b.tenant("demo")
	demo.conn = api.Connection{
		Status: api.StatusConnected, CompanyID: "CJ6", ClientIDMasked: "ab…yz", SCIMConfigured: true,
		ConnectedAt: t0.Add(-24 * time.Hour), NextRunAt: t0.Add(10 * time.Minute),
	}
	finished := provision.Run{
		TenantID: "demo", SyncID: "sched-20251130t075000z-demo", Trigger: provision.TriggerSchedule,
		Status: provision.RunPartial, CreatedAt: t0.Add(-10 * time.Minute),
		StartedAt: t0.Add(-10 * time.Minute).In(cet), FinishedAt: t0.Add(-9 * time.Minute),
		Counts: provision.Counts{Created: 1, Updated: 2, Errors: 1, Excluded: 1, Warnings: 2},
	}
	failed := provision.Run{
		TenantID: "demo", SyncID: "sched-20251130t074000z-demo", Trigger: provision.TriggerSchedule,
		Status: provision.RunFailed, CreatedAt: t0.Add(-20 * time.Minute), StartedAt: t0.Add(-20 * time.Minute),
		FinishedAt: t0.Add(-20 * time.Minute),
		Error:      &provision.RunError{Code: "credentials_revoked", Message: "The TriNet credentials were deleted."},
	}
	queued := provision.Run{
		TenantID: "demo", SyncID: "manual-0001", Trigger: provision.TriggerManual, DryRun: true,
		Status: provision.RunQueued, CreatedAt: t0,
	}
	demo.runs = []provision.Run{queued, finished, failed}
	demo.conn.LastRun = &finished
	demo.plans["sched-20251130t075000z-demo"] = []provision.PlanItem{
		{UserID: "u1", Email: "ada@example.com", Action: provision.ActionCreate, Fields: []provision.FieldChange{
			{Field: "firstName", To: "Ada"}, {Field: "lastName", To: "Lovelace"},
			{Field: "birthDate", From: "1990-01-01", To: "1990-12-10", Sensitive: true},
		}},
		{UserID: "u2", Email: "grace@example.com", Action: provision.ActionUpdate, Fields: []provision.FieldChange{
			{Field: "jobTitle", From: "Engineer", To: "Rear Admiral"},
		}},
		{UserID: "u3", Action: provision.ActionExcluded, Code: "missing_email"},
		{UserID: "u4", Email: "x@example.com", Action: provision.ActionError, Code: "unsupported_gender",
			Fields: []provision.FieldChange{{Field: "gender", Sensitive: true}}},
	}
	demo.issues["sched-20251130t075000z-demo"] = []provision.Issue{
		{UserID: "u4", Email: "x@example.com", Name: "X Y", Severity: provision.SeverityError,
			Code: "unsupported_gender", Field: "gender", Message: "Only Male or Female can be sent to TriNet."},
		{Severity: provision.SeverityWarning, Code: "scim_unavailable", Message: "No SCIM token: gender and birth date are not synced.",
			Email: "should-not-show@example.com"},
		{UserID: "u3", Severity: provision.SeverityWarning, Code: "missing_email", Message: "Add a work email in Leapsome."},
	}
	// A dry run: its plan lists no unchanged person (an update keeps its
	// drift); its people with drift, unchanged ones included, are listed apart,
	// a sensitive drift without values.
	updated := provision.PlanItem{UserID: "u1", Email: "ada@example.com", Action: provision.ActionUpdate,
		Fields: []provision.FieldChange{{Field: "jobTitle", From: "Engineer", To: "Lead"}},
		Drift:  []provision.FieldChange{{Field: "workEmail", From: "ada@old.example.com", To: "ada@example.com"}}}
	demo.plans["manual-0001"] = []provision.PlanItem{updated}
	demo.drifts["manual-0001"] = []provision.PlanItem{updated,
		{UserID: "u2", Email: "grace@example.com", Action: provision.ActionUnchanged, Fields: []provision.FieldChange{},
			Drift: []provision.FieldChange{{Field: "hireDate", From: "2024-01-08", To: "2024-02-01"},
				{Field: "address1", From: "1 Old St", To: "2 New St", Sensitive: true}}},
	}
	demo.hires = []provision.HireEntry{
		{UserID: "u9", Email: "new@example.com", State: provision.HirePending, EmployeeID: "00001234",
			SubmittedAt: t0.Add(-time.Hour), SyncID: "manual-0000"},
		{UserID: "u10", Email: "lost@example.com", State: provision.HireUnknown, SubmittedAt: t0.Add(-2 * time.Hour),
			SyncID: "manual-0000"},
	}
	demo.employees = map[string]bool{"00001001": false, "00001002": false, "00001003": true, "00001007": false, "00001008": false}
	demo.links = []provision.Link{ // by user id
		{UserID: "64d0c0de0000000000000008", EmployeeID: "00001007", CompanyID: "CJ6", Origin: provision.OriginHire, Email: "liam@example.com", LinkedAt: t0},
		{UserID: "u1", EmployeeID: "00001001", CompanyID: "CJ6", Origin: provision.OriginEmail, Email: "ada@example.com", LinkedAt: t0.Add(-time.Hour).In(cet)},
		{UserID: "u5", CompanyID: "CJ6", Origin: provision.OriginManual, LinkedAt: t0},
	}
	demo.audit = []api.AuditEntry{
		{At: t0.In(cet), Actor: "ops@example.com", Action: "link_set", RequestID: "req-3",
			Details: map[string]any{"userId": "u5", "employeeId": nil, "companyId": "CJ6"}},
		{At: t0.Add(-time.Hour), Actor: "leapsome-ui", Action: "settings_changed", RequestID: "req-2",
			Details: map[string]any{"changed": []any{"autoCreateNewHires", "mappings.jobTitle"}}},
		{At: t0.Add(-24 * time.Hour), Actor: "ops@example.com", Action: "connected", RequestID: "req-1"},
	}
	b.tenant("acme") // never connected
	slow := b.tenant("slow")
	slow.conn = api.Connection{
		Status: api.StatusRevoked, CompanyID: "XY1", ClientIDMasked: "cd…wx",
		ConnectedAt: t0.Add(-72 * time.Hour), RevokedAt: t0.Add(-time.Hour).In(cet), NextRunAt: t0.Add(4 * time.Hour),
		Backoff: &api.Backoff{Until: t0.Add(4 * time.Hour), Reason: "credentials_revoked", Failures: 5},
	}
	return b
}

func (b *memBackend) tenant(id string) *memTenant {
	t, ok := b.tenants[id]
	if !ok {
		t = &memTenant{conn: api.Connection{Status: api.StatusNotConnected},
			plans: map[string][]provision.PlanItem{}, drifts: map[string][]provision.PlanItem{}, issues: map[string][]provision.Issue{}}
		b.tenants[id] = t
	}
	return t
}

func (b *memBackend) enter(op string) error {
	if b.panicOn == op {
		panic("boom in " + op)
	}
	return b.fail[op]
}

// page cuts items by an integer-offset token, as a store would by key.
func page[T any](items []T, p api.Page) ([]T, string, error) {
	start := 0
	if p.NextToken != "" {
		n, err := strconv.Atoi(p.NextToken)
		if err != nil || n < 0 || n > len(items) {
			return nil, "", fault.Invalid("nextToken", "is not a token this service gave out")
		}
		start = n
	}
	end := min(start+p.Limit, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next, nil
}

func (b *memBackend) Fields(ctx context.Context) (api.Catalog, error) {
	if err := b.enter("Fields"); err != nil {
		return api.Catalog{}, err
	}
	if b.catalog != nil {
		return b.catalog(), nil
	}
	return api.Catalog{
		Targets: []api.CatalogTarget{
			{Target: "firstName", Label: "Every sync", Mode: "every_sync", Required: true},
			{Target: "gender", Label: "Every sync", Mode: "every_sync", Codes: []string{"M", "F"}},
			{Target: "workEmail", Label: "New hire only", Mode: "new_hire_only", Codes: []string{}},
			{Target: "maritalStatus", Label: "Profile updates", Mode: "update_only", Codes: []string{"S", "M", "D", "W", "H", "U"}},
		},
		Sources: []string{"firstname", "lastname", "email", "scim.gender"},
	}, nil
}

func (b *memBackend) Connect(ctx context.Context, tenant string, req api.ConnectRequest) (api.Connection, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastConnect = req
	b.lastCaller, _ = api.PrincipalFrom(ctx)
	b.lastRequestID = api.RequestIDFrom(ctx)
	if err := b.enter("Connect"); err != nil {
		return api.Connection{}, err
	}
	t := b.tenant(tenant)
	t.conn = api.Connection{Status: api.StatusConnected, CompanyID: req.TriNet.CompanyID,
		ClientIDMasked: req.TriNet.ClientID[:2] + "…", SCIMConfigured: req.Leapsome.SCIMToken != "",
		ConnectedAt: t0, NextRunAt: t0.Add(10 * time.Minute), LastRun: t.conn.LastRun}
	return t.conn, nil
}

func (b *memBackend) Connection(ctx context.Context, tenant string) (api.Connection, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.enter("Connection"); err != nil {
		return api.Connection{}, err
	}
	return b.tenant(tenant).conn, nil
}

func (b *memBackend) Disconnect(ctx context.Context, tenant string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.enter("Disconnect"); err != nil {
		return err
	}
	t := b.tenant(tenant)
	t.conn = api.Connection{Status: api.StatusNotConnected, LastRun: t.conn.LastRun}
	t.settings = nil
	return nil
}

func (b *memBackend) Settings(ctx context.Context, tenant string) (provision.Settings, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.enter("Settings"); err != nil {
		return provision.Settings{}, err
	}
	if s := b.tenant(tenant).settings; s != nil {
		return *s, nil
	}
	return provision.Settings{MassCreateMaxPercent: 20, Mappings: []provision.Mapping{
		{Target: "firstName", Source: "firstname"}, {Target: "lastName", Source: "lastname"},
	}}, nil
}

func (b *memBackend) PutSettings(ctx context.Context, tenant string, s provision.Settings) (provision.Settings, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastSettings = s
	if err := b.enter("PutSettings"); err != nil {
		return provision.Settings{}, err
	}
	for i, m := range s.Mappings {
		if m.Source == "nonsense" {
			return provision.Settings{}, fault.Invalid(fmt.Sprintf("mappings[%d].source", i), "unknown source %q", m.Source)
		}
	}
	b.tenant(tenant).settings = &s
	return s, nil
}

func (b *memBackend) Trigger(ctx context.Context, tenant string, req api.TriggerRequest) (provision.Run, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.enter("Trigger"); err != nil {
		return provision.Run{}, err
	}
	b.lastTrigger = req
	t := b.tenant(tenant)
	if t.conn.Status != api.StatusConnected {
		return provision.Run{}, fmt.Errorf("trigger %s: %w", tenant, api.ErrNotConnected)
	}
	plain := req.People == nil && !req.OnlyFailed && req.ApproveCreates == nil && req.Settings == nil
	for _, r := range t.runs {
		if plain && r.Trigger == provision.TriggerManual && !r.Status.Final() && r.DryRun == req.DryRun && r.ConfirmCreates == req.ConfirmCreates {
			return r, nil
		}
	}
	b.seq++
	r := provision.Run{TenantID: tenant, SyncID: fmt.Sprintf("manual-%04d", 100+b.seq), Trigger: provision.TriggerManual,
		DryRun: req.DryRun, ConfirmCreates: req.ConfirmCreates, Status: provision.RunQueued, CreatedAt: t0}
	t.runs = append([]provision.Run{r}, t.runs...)
	return r, nil
}

func (b *memBackend) Runs(ctx context.Context, tenant string, p api.Page) ([]provision.Run, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastPage = p
	if err := b.enter("Runs"); err != nil {
		return nil, "", err
	}
	return page(b.tenant(tenant).runs, p)
}

func (b *memBackend) Run(ctx context.Context, tenant, syncID string) (provision.Run, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastSyncID = syncID
	if err := b.enter("Run"); err != nil {
		return provision.Run{}, err
	}
	for _, r := range b.tenant(tenant).runs {
		if r.SyncID == syncID {
			return r, nil
		}
	}
	return provision.Run{}, fault.New(fault.NotFound, "no sync %s", syncID)
}

func (b *memBackend) Plan(ctx context.Context, tenant, syncID string, p api.Page) ([]provision.PlanItem, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastPage, b.lastSyncID = p, syncID
	if err := b.enter("Plan"); err != nil {
		return nil, "", err
	}
	t := b.tenant(tenant)
	if !slices.ContainsFunc(t.runs, func(r provision.Run) bool { return r.SyncID == syncID }) {
		return nil, "", fault.New(fault.NotFound, "no sync %s", syncID)
	}
	return page(t.plans[syncID], p)
}

func (b *memBackend) Drift(ctx context.Context, tenant, syncID string, p api.Page) ([]provision.PlanItem, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastPage, b.lastSyncID = p, syncID
	if err := b.enter("Drift"); err != nil {
		return nil, "", err
	}
	t := b.tenant(tenant)
	if !slices.ContainsFunc(t.runs, func(r provision.Run) bool { return r.SyncID == syncID }) {
		return nil, "", fault.New(fault.NotFound, "no sync %s", syncID)
	}
	return page(t.drifts[syncID], p)
}

func (b *memBackend) Issues(ctx context.Context, tenant, syncID string, p api.Page) (api.IssuePage, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastPage, b.lastSyncID = p, syncID
	if err := b.enter("Issues"); err != nil {
		return api.IssuePage{}, err
	}
	t := b.tenant(tenant)
	if syncID == "" {
		for _, r := range t.runs {
			if r.Status.Final() && r.Status != provision.RunSkipped {
				syncID = r.SyncID
				break
			}
		}
		if syncID == "" {
			return api.IssuePage{}, nil
		}
	} else if !slices.ContainsFunc(t.runs, func(r provision.Run) bool { return r.SyncID == syncID }) {
		return api.IssuePage{}, fault.New(fault.NotFound, "no sync %s", syncID)
	}
	items, next, err := page(t.issues[syncID], p)
	return api.IssuePage{SyncID: syncID, Items: items, NextToken: next}, err
}

func (b *memBackend) Hires(ctx context.Context, tenant string, state provision.HireState, p api.Page) ([]provision.HireEntry, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastPage, b.lastState = p, state
	if err := b.enter("Hires"); err != nil {
		return nil, "", err
	}
	var out []provision.HireEntry
	for _, h := range b.tenant(tenant).hires {
		if state == "" || h.State == state {
			out = append(out, h)
		}
	}
	return page(out, p)
}

func (b *memBackend) ReleaseHire(ctx context.Context, tenant, userID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.enter("ReleaseHire"); err != nil {
		return err
	}
	t := b.tenant(tenant)
	for i, h := range t.hires {
		if h.UserID != userID {
			continue
		}
		if h.State != provision.HireUnknown {
			return fault.New(fault.Conflict, "the hire is %s, not unknown: only a hire with an unknown outcome can be released", h.State)
		}
		t.hires = slices.Delete(t.hires, i, i+1)
		return nil
	}
	return fault.New(fault.NotFound, "no hire for %s", userID)
}

func (b *memBackend) Links(ctx context.Context, tenant string, p api.Page) ([]provision.Link, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastPage = p
	if err := b.enter("Links"); err != nil {
		return nil, "", err
	}
	return page(b.tenant(tenant).links, p)
}

func (b *memBackend) SetLink(ctx context.Context, tenant, userID, employeeID string) (provision.Link, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.enter("SetLink"); err != nil {
		return provision.Link{}, err
	}
	t := b.tenant(tenant)
	if t.conn.Status != api.StatusConnected {
		return provision.Link{}, api.ErrNotConnected
	}
	l := provision.Link{UserID: userID, EmployeeID: employeeID, CompanyID: t.conn.CompanyID, Origin: provision.OriginManual, LinkedAt: t0}
	if employeeID != "" {
		terminated, ok := t.employees[employeeID]
		switch {
		case !ok:
			return provision.Link{}, &fault.Error{Class: fault.NotFound, Field: "employeeId", Message: "no employee " + employeeID}
		case terminated:
			return provision.Link{}, &fault.Error{Class: fault.Conflict, Field: "employeeId", Message: "employee " + employeeID + " is terminated"}
		}
		for _, x := range t.links {
			if x.EmployeeID == employeeID && x.UserID != userID {
				return provision.Link{}, &fault.Error{Class: fault.Conflict, Field: "employeeId", Message: "employee " + employeeID + " is linked to another person"}
			}
		}
		l.Email = employeeID + "@example.com"
	}
	t.links = slices.DeleteFunc(t.links, func(x provision.Link) bool { return x.UserID == userID })
	t.links = append(t.links, l)
	slices.SortFunc(t.links, func(a, b provision.Link) int { return strings.Compare(a.UserID, b.UserID) })
	return l, nil
}

func (b *memBackend) DeleteLink(ctx context.Context, tenant, userID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.enter("DeleteLink"); err != nil {
		return err
	}
	t := b.tenant(tenant)
	n := len(t.links)
	t.links = slices.DeleteFunc(t.links, func(x provision.Link) bool { return x.UserID == userID })
	if len(t.links) == n {
		return fault.New(fault.NotFound, "person %s has no link", userID)
	}
	return nil
}

func (b *memBackend) Audit(ctx context.Context, tenant string, p api.Page) ([]api.AuditEntry, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastPage = p
	if err := b.enter("Audit"); err != nil {
		return nil, "", err
	}
	return page(b.tenant(tenant).audit, p)
}

func (b *memBackend) Person(ctx context.Context, tenant, userID string) (api.Person, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastUserID = userID
	if err := b.enter("Person"); err != nil {
		return api.Person{}, err
	}
	t := b.tenant(tenant)
	var p api.Person
	for _, l := range t.links {
		if l.UserID == userID {
			p.Link = &l
		}
	}
	for _, h := range t.hires {
		if h.UserID == userID {
			p.Hire = &h
		}
	}
	for _, r := range t.runs {
		for _, it := range t.plans[r.SyncID] {
			if it.UserID != userID {
				continue
			}
			p.History = append(p.History, api.PersonRun{SyncID: r.SyncID, At: r.StartedAt, Action: it.Action, Code: it.Code, DryRun: r.DryRun})
			if p.Latest == nil && !r.DryRun {
				p.Email = it.Email
				var issues []provision.Issue
				for _, is := range t.issues[r.SyncID] {
					if is.UserID == userID {
						issues = append(issues, is)
					}
				}
				p.Latest = &api.PersonPlan{SyncID: r.SyncID, At: r.StartedAt, Item: it, Issues: issues}
			}
		}
	}
	if p.Link == nil && p.Hire == nil && p.History == nil {
		return api.Person{}, fault.New(fault.NotFound, "no person %s", userID)
	}
	p.UserID = userID
	return p, nil
}
