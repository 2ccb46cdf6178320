package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"trinetsync/internal/api"
	"trinetsync/internal/app"
	"trinetsync/internal/eventbus"
	"trinetsync/internal/fault"
	"trinetsync/internal/metrics"
	"trinetsync/internal/provision"
	trinetsandbox "trinetsync/internal/sandbox/trinet"
	"trinetsync/internal/store"
)

// eventLog keeps the events a test's services publish. EventBridge has no
// emulator: the adapter is tested on the real SDK in internal/eventbus, and
// the use cases against this recorder of the small interface they use.
type eventLog struct {
	mu     sync.Mutex
	events []eventbus.Event
	fail   error
}

func (l *eventLog) Publish(_ context.Context, evs ...eventbus.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return l.fail
	}
	l.events = append(l.events, evs...)
	return nil
}

func (l *eventLog) ofType(t string) []eventbus.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []eventbus.Event
	for _, e := range l.events {
		if e.DetailType == t {
			out = append(out, e)
		}
	}
	return out
}

// observed gives the env's services a metrics writer and an event log.
func (e *env) observed() (*logBuffer, *eventLog) {
	out, evs := &logBuffer{}, &eventLog{}
	e.svcs.SetTelemetry(app.Telemetry{Metrics: metrics.New(out, "Test"), Events: evs})
	e.svc, e.runner = e.svcs.Backend(), e.svcs.Runner()
	return out, evs
}

func points(t *testing.T, out *logBuffer) []metrics.Point {
	t.Helper()
	pts, err := metrics.Decode(strings.NewReader(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	return pts
}

// sum adds the values of a metric over the records of one sync id (every
// point of a dimensionless metric, or those with the dimension value given).
func sum(pts []metrics.Point, syncID, name string, dims ...string) (total float64, n int) {
	for _, p := range pts {
		if p.Name != name || p.Record["syncId"] != syncID || len(p.Dimensions) != len(dims)/2 {
			continue
		}
		ok := true
		for i := 0; i+1 < len(dims); i += 2 {
			ok = ok && p.Values[dims[i]] == dims[i+1]
		}
		if ok {
			total += p.Value
			n++
		}
	}
	return total, n
}

// noPersonalData fails when an event's detail names a person of the env.
func (e *env) noPersonalData(evs ...eventbus.Event) {
	e.t.Helper()
	for _, ev := range evs {
		raw, _ := ev.DetailJSON()
		for _, p := range e.people {
			for _, s := range []string{e.email(p), p.first, p.last, e.userID(p)} {
				if strings.Contains(string(raw), s) {
					e.t.Errorf("%s names a person (%s): %s", ev.DetailType, s, raw)
				}
			}
		}
		if ev.TenantID() != e.tenant {
			e.t.Errorf("%s names tenant %q, want %s", ev.DetailType, ev.TenantID(), e.tenant)
		}
	}
}

// TestRunMetricsAndEvents: a run that meets 429s, loses a hire's answer and
// ends partial reports, in EMF, its status, duration, people by action,
// items, calls, 429s, retries and the unknown hire; and it puts "Sync
// Finished" and "Hire Outcome Unknown" on the bus, naming nobody.
func TestRunMetricsAndEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out, evs := e.observed()
	e.connect(true)
	// Two 429s on the employee list, and Cleo's hire applied with its answer lost.
	inf.TriNet.SetFaults(e.company, trinetsandbox.Faults{Throttle: 2, Endpoint: "employees"})
	run := e.handle(e.runner, e.job("sched-1", provision.TriggerSchedule, false))
	if run.Status != provision.RunPartial {
		t.Fatalf("run %s %+v, want partial (Dan's department is missing)", run.Status, run.Counts)
	}
	// Another tenant's hire whose answer is lost (applied, connection dropped).
	e2 := e.sibling(withPeople(cleanPeople()))
	e2.connect(true)
	inf.TriNet.SetFaults(e2.company, trinetsandbox.Faults{LoseHireResponse: 1})
	lost := e2.handle(e.runner, e2.job("sched-2", provision.TriggerSchedule, false))

	pts := points(t, out)
	want := []struct {
		name string
		unit metrics.Unit
		dims []string
		min  float64
	}{
		{app.MetricRuns, metrics.Count, []string{app.DimensionStatus, "partial"}, 1},
		{app.MetricRunDuration, metrics.Milliseconds, nil, 0},
		{app.MetricBackoffStarted, metrics.Count, nil, 0},
		{app.MetricPeopleCreated, metrics.Count, nil, 1},
		{app.MetricPeopleUpdated, metrics.Count, nil, 0},
		{app.MetricPeopleLinked, metrics.Count, nil, 2},
		{app.MetricPeopleUnchanged, metrics.Count, nil, 0},
		{app.MetricPeopleSuggested, metrics.Count, nil, 0},
		{app.MetricPeoplePending, metrics.Count, nil, 0},
		{app.MetricPeopleHeld, metrics.Count, nil, 0},
		{app.MetricPeopleErrors, metrics.Count, nil, 0},
		{app.MetricPeopleExcluded, metrics.Count, nil, 0},
		{app.MetricTriNetCalls, metrics.Count, nil, 4},
		{app.MetricLeapsomeCalls, metrics.Count, nil, 2},
		{app.MetricTriNet429s, metrics.Count, nil, 2},
		{app.MetricLeapsome429s, metrics.Count, nil, 0},
		{app.MetricRetries, metrics.Count, nil, 2},
		{app.MetricHiresUnknown, metrics.Count, nil, 0},
		{app.MetricContinuations, metrics.Count, nil, 0},
		{app.MetricErrorItems, metrics.Count, nil, 1},
		{app.MetricWarningItems, metrics.Count, nil, 0},
	}
	for _, w := range want {
		v, n := sum(pts, "sched-1", w.name, w.dims...)
		if n != 1 || v < w.min {
			t.Errorf("%s %v: %d points, value %v, want one of at least %v", w.name, w.dims, n, v, w.min)
		}
		for _, p := range pts {
			if p.Name == w.name && p.Unit != w.unit {
				t.Errorf("%s: unit %s, want %s", w.name, p.Unit, w.unit)
			}
		}
	}
	for name, n := range map[string]int{app.MetricPeopleCreated: run.Counts.Created, app.MetricPeopleLinked: run.Counts.Linked,
		app.MetricPeopleUpdated: run.Counts.Updated, app.MetricPeopleErrors: run.Counts.Errors, app.MetricWarningItems: run.Counts.Warnings} {
		if v, _ := sum(pts, "sched-1", name); v != float64(n) {
			t.Errorf("%s %v, the run counted %d", name, v, n)
		}
	}
	if v, _ := sum(pts, "sched-2", app.MetricHiresUnknown); v != 1 {
		t.Errorf("HiresUnknown of the lost hire = %v, want 1 (run %+v)", v, lost.Counts)
	}
	// Low cardinality: the tenant is a property, never a dimension.
	for _, p := range pts {
		if p.Record["tenant"] != e.tenant && p.Record["tenant"] != e2.tenant {
			t.Errorf("%s: tenant property %v", p.Name, p.Record["tenant"])
		}
		for _, d := range p.Dimensions {
			if d != app.DimensionStatus {
				t.Errorf("%s has dimension %s", p.Name, d)
			}
		}
	}

	finished := evs.ofType(eventbus.TypeSyncFinished)
	if len(finished) != 1 {
		t.Fatalf("Sync Finished events %+v, want the partial run's", finished)
	}
	d := finished[0].Detail.(eventbus.SyncFinishedDetail)
	if d.SyncID != "sched-1" || d.Status != provision.RunPartial || d.Counts != run.Counts || d.ErrorCode != nil {
		t.Errorf("Sync Finished %+v", d)
	}
	unknown := evs.ofType(eventbus.TypeHireOutcomeUnknown)
	if len(unknown) != 1 || unknown[0].Detail.(eventbus.HireOutcomeUnknownDetail).Count != 1 || unknown[0].TenantID() != e2.tenant {
		t.Fatalf("Hire Outcome Unknown events %+v", unknown)
	}
	e.noPersonalData(finished...)
	e2.noPersonalData(unknown...)
}

// TestBackoffEventOncePerRun: the third failed run in a row starts a
// back-off: one "Tenant Backed Off" event and BackoffsStarted = 1 for that
// run; the runs before it start none, and a redelivery of the finished run
// announces nothing again. A bus that refuses events fails no run.
func TestBackoffEventOncePerRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out, evs := e.observed()
	e.connect(true)
	e.trinetDown()
	ctx := ctxFor(t)
	for _, id := range []string{"f1", "f2", "f3"} {
		e.runner.Handle(ctx, e.job(id, provision.TriggerSchedule, false), e.cfg.MaxReceiveCount)
		if r := e.run(id); r.Status != provision.RunFailed {
			t.Fatalf("run %s %s, want failed", id, r.Status)
		}
	}
	e.runner.Handle(ctx, e.job("f3", provision.TriggerSchedule, false), e.cfg.MaxReceiveCount+1)

	backed := evs.ofType(eventbus.TypeTenantBackedOff)
	if len(backed) != 1 {
		t.Fatalf("Tenant Backed Off events %+v, want one", backed)
	}
	d := backed[0].Detail.(eventbus.TenantBackedOffDetail)
	tn := e.tenantRecord()
	if d.SyncID != "f3" || d.Failures != 3 || tn.Backoff == nil || !d.Until.Equal(tn.Backoff.Until) || d.Reason != app.CodeUpstream {
		t.Fatalf("Tenant Backed Off %+v, tenant %+v", d, tn.Backoff)
	}
	if n := len(evs.ofType(eventbus.TypeSyncFinished)); n != 3 {
		t.Fatalf("%d Sync Finished events, want one per failed run", n)
	}
	pts := points(t, out)
	for id, want := range map[string]float64{"f1": 0, "f2": 0, "f3": 1} {
		if v, n := sum(pts, id, app.MetricBackoffStarted); n != 1 || v != want {
			t.Errorf("%s: BackoffsStarted %v (%d points), want %v", id, v, n, want)
		}
		if v, n := sum(pts, id, app.MetricRuns, app.DimensionStatus, "failed"); n != 1 || v != 1 {
			t.Errorf("%s: Runs{failed} %v (%d points)", id, v, n)
		}
	}
	e.noPersonalData(evs.events...)

	// The bus down: the run is still recorded, and the loss is counted.
	evs.fail = errors.New("bus down")
	e.trinetUp()
	if r := e.handle(e.runner, e.job("m1", provision.TriggerManual, false)); r.Status != provision.RunPartial {
		t.Fatalf("run with the bus down: %s", r.Status)
	}
	lost := 0.0
	for _, p := range points(t, out) {
		if p.Name == app.MetricEventsLost {
			lost += p.Value
		}
	}
	if lost != 1 {
		t.Errorf("EventsLost %v, want the partial run's event", lost)
	}

	// Three more failures, then a revocation: the run that finds the secret
	// gone fails, but the back-off the tenant record still shows is an
	// earlier run's, which was announced then.
	evs.fail = nil
	e.trinetDown()
	for _, id := range []string{"g1", "g2", "g3"} {
		e.runner.Handle(ctx, e.job(id, provision.TriggerSchedule, false), e.cfg.MaxReceiveCount)
	}
	if err := os.Remove(e.secretFile()); err != nil {
		t.Fatal(err)
	}
	if r := e.handle(e.runner, e.job("r1", provision.TriggerSchedule, false)); r.Error == nil || r.Error.Code != app.CodeCredentialsRevoked {
		t.Fatalf("run after the deletion: %+v", r)
	}
	var announced []string
	for _, ev := range evs.ofType(eventbus.TypeTenantBackedOff) {
		announced = append(announced, ev.Detail.(eventbus.TenantBackedOffDetail).SyncID)
	}
	if !slices.Equal(announced, []string{"f3", "g3"}) {
		t.Fatalf("back-offs announced for %v, want f3 and g3", announced)
	}
}

// TestCredentialsRevokedEvent: a console deletion is announced once, by the
// run that marks the tenant revoked; later runs (not connected) are not.
func TestCredentialsRevokedEvent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, evs := e.observed()
	e.connect(true)
	if err := os.Remove(e.secretFile()); err != nil {
		t.Fatal(err)
	}
	r := e.handle(e.runner, e.job("r1", provision.TriggerSchedule, false))
	if r.Error == nil || r.Error.Code != app.CodeCredentialsRevoked {
		t.Fatalf("run %+v, want credentials_revoked", r)
	}
	e.handle(e.runner, e.job("r2", provision.TriggerSchedule, false))
	revoked := evs.ofType(eventbus.TypeCredentialsRevoked)
	if len(revoked) != 1 || revoked[0].Detail.(eventbus.CredentialsRevokedDetail).SyncID != "r1" {
		t.Fatalf("Credentials Revoked events %+v, want r1's alone", revoked)
	}
	finished := evs.ofType(eventbus.TypeSyncFinished)
	if len(finished) != 2 || *finished[0].Detail.(eventbus.SyncFinishedDetail).ErrorCode != app.CodeCredentialsRevoked {
		t.Fatalf("Sync Finished events %+v", finished)
	}
	e.noPersonalData(evs.events...)
	raw, _ := json.Marshal(evs.events)
	e.assertNoSecretsIn("events", string(raw))
}

// TestAuditOfTheBackend: each admin action of the backend is recorded,
// newest first, with a request id; a settings change lists the keys that
// changed and no value; a refused action is not recorded.
func TestAuditOfTheBackend(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxFor(t)
	if _, err := e.svc.Connect(ctx, e.tenant, e.creds); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Second)
	set, _ := e.svc.Settings(ctx, e.tenant)
	if _, err := e.svc.PutSettings(ctx, e.tenant, set); err != nil { // the defaults: nothing changed
		t.Fatal(err)
	}
	e.clk.Advance(time.Second)
	set.AutoCreateNewHires = true
	set.Mappings = slices.DeleteFunc(set.Mappings, func(m provision.Mapping) bool { return m.Target == "jobTitle" })
	set.Mappings = append(set.Mappings, provision.Mapping{Target: "employeeType", Source: "const:F"})
	if _, err := e.svc.PutSettings(ctx, e.tenant, set); err != nil {
		t.Fatal(err)
	}
	bad := set
	bad.Mappings = append(bad.Mappings, provision.Mapping{Target: "nonsense", Source: "email"})
	if _, err := e.svc.PutSettings(ctx, e.tenant, bad); err == nil {
		t.Fatal("bad settings saved")
	}
	e.clk.Advance(time.Second)
	run, err := e.svc.Trigger(ctx, e.tenant, api.TriggerRequest{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Second)
	if err := e.svc.Disconnect(ctx, e.tenant); err != nil {
		t.Fatal(err)
	}

	entries, next, err := e.svc.Audit(ctx, e.tenant, api.Page{Limit: 100})
	if err != nil || next != "" {
		t.Fatalf("audit: %v (next %q)", err, next)
	}
	var actions []string
	for _, a := range entries {
		actions = append(actions, a.Action)
		if a.Actor != app.SystemActor || a.RequestID == "" || a.At.IsZero() {
			t.Errorf("entry %+v: want the system actor (no token), a request id and a time", a)
		}
	}
	want := []string{app.AuditDisconnected, app.AuditSyncTriggered, app.AuditSettingsChanged, app.AuditSettingsChanged, app.AuditConnected}
	if !slices.Equal(actions, want) {
		t.Fatalf("audit %v, want %v", actions, want)
	}
	changed, _ := entries[2].Details["changed"].([]any)
	if !slices.Equal(changed, []any{"autoCreateNewHires", "mappings.employeeType", "mappings.jobTitle"}) {
		t.Errorf("changed %v", entries[2].Details)
	}
	if first, _ := entries[3].Details["changed"].([]any); len(first) != 0 {
		t.Errorf("saving the defaults changed %v", first)
	}
	if entries[1].Details["syncId"] != run.SyncID || entries[1].Details["dryRun"] != true {
		t.Errorf("sync_triggered %v", entries[1].Details)
	}
	if entries[4].Details["companyId"] != e.company {
		t.Errorf("connected %v", entries[4].Details)
	}
	e.assertNoSecretsIn("audit", entries)
}

// TestAuditNamesAScheduleChange: pausing a tenant's schedule and changing its
// interval is a settings change the audit trail names (schedule.interval and
// schedule.paused), not an entry that says nothing changed; saving it again
// unchanged names nothing.
func TestAuditNamesAScheduleChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxFor(t)
	if _, err := e.svc.Connect(ctx, e.tenant, e.creds); err != nil {
		t.Fatal(err)
	}
	set, _ := e.svc.Settings(ctx, e.tenant)
	set.Schedule = &provision.Schedule{Interval: "1h", Paused: true}
	for range 2 {
		e.clk.Advance(time.Second)
		if _, err := e.svc.PutSettings(ctx, e.tenant, set); err != nil {
			t.Fatal(err)
		}
	}
	entries, _, err := e.svc.Audit(ctx, e.tenant, api.Page{Limit: 100})
	if err != nil || len(entries) != 3 || entries[1].Action != app.AuditSettingsChanged {
		t.Fatalf("audit %+v: %v", entries, err)
	}
	if changed, _ := entries[1].Details["changed"].([]any); !slices.Equal(changed, []any{"schedule.interval", "schedule.paused"}) {
		t.Errorf("pausing the schedule: changed %v, want [schedule.interval schedule.paused]", entries[1].Details)
	}
	if again, _ := entries[0].Details["changed"].([]any); len(again) != 0 {
		t.Errorf("saving the same schedule again: changed %v", again)
	}
}

// flakyAudit is the store with an audit table that refuses the next fails
// writes as a DynamoDB blip would.
type flakyAudit struct {
	*store.Store
	mu    sync.Mutex
	fails int
}

func (f *flakyAudit) PutAudit(ctx context.Context, tenant string, e store.AuditEntry) error {
	f.mu.Lock()
	fail := f.fails > 0
	f.fails--
	f.mu.Unlock()
	if fail {
		return fault.New(fault.Transient, "dynamodb: throughput exceeded")
	}
	return f.Store.PutAudit(ctx, tenant, e)
}

// TestAuditOutlastsABlip: an audit entry refused twice is written on the
// third try; one refused every time is not, the action still succeeds, and
// the log keeps the entry.
func TestAuditOutlastsABlip(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxFor(t)
	st := &flakyAudit{Store: e.svcs.Store(), fails: 2}
	svc := app.NewBackend(e.cfg, st, e.svcs.Secrets(), e.svcs.Clients(), e.svcs.Publisher(), e.clk.Now, e.log)
	if _, err := svc.Connect(ctx, e.tenant, e.creds); err != nil {
		t.Fatal(err)
	}
	st.mu.Lock()
	st.fails = 100
	st.mu.Unlock()
	e.clk.Advance(time.Second)
	if err := svc.Disconnect(ctx, e.tenant); err != nil {
		t.Fatalf("disconnect with the audit table down: %v", err)
	}
	entries, _, err := svc.Audit(ctx, e.tenant, api.Page{Limit: 10})
	if err != nil || len(entries) != 1 || entries[0].Action != app.AuditConnected {
		t.Fatalf("audit %+v (%v), want the connection alone", entries, err)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "audit entry not recorded") || !strings.Contains(logs, app.AuditDisconnected) {
		t.Fatalf("the unrecorded disconnection is not in the log:\n%s", logs)
	}
}

// TestContinuedRunMetrics: a run continued over invocations reports each
// invocation (the first with Continuations = 1) and the run itself once,
// when its last invocation ends it; the items of its invocations add up to
// the run's issues.
func TestContinuedRunMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out, _ := e.observed()
	e.connect(true)
	app.SetSafety(e.runner, time.Hour) // the first invocation stops after one person
	ctx := ctxFor(t)
	short, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	job := e.job("sched-long", provision.TriggerSchedule, false)
	if o := e.runner.Handle(short, job, 1); o.Retry {
		t.Fatalf("first invocation: %+v", o)
	}
	invocations := 1
	for r := e.run(job.SyncID); !r.Status.Final(); r = e.run(job.SyncID) {
		m := e.receive(1, 20*time.Second)[0]
		e.deleteMessage(m)
		if o := e.runner.Handle(ctx, m.job, 1); o.Retry {
			t.Fatalf("continuation: %+v", o)
		}
		invocations++
	}
	pts := points(t, out)
	if v, n := sum(pts, job.SyncID, app.MetricContinuations); n != invocations || v < 1 {
		t.Fatalf("Continuations %v over %d records, want at least 1 over %d invocations", v, n, invocations)
	}
	if _, n := sum(pts, job.SyncID, app.MetricRuns, app.DimensionStatus, string(e.run(job.SyncID).Status)); n != 1 {
		t.Fatalf("the run was reported %d times, want once", n)
	}
	var errs, warns int
	for _, is := range e.issuesOf(job.SyncID) {
		if is.Severity == provision.SeverityError {
			errs++
		} else {
			warns++
		}
	}
	if v, _ := sum(pts, job.SyncID, app.MetricErrorItems); v != float64(errs) {
		t.Errorf("ErrorItems add up to %v, the run has %d error items", v, errs)
	}
	if v, _ := sum(pts, job.SyncID, app.MetricWarningItems); v != float64(warns) {
		t.Errorf("WarningItems add up to %v, the run has %d warning items", v, warns)
	}
}

// TestHireOutcomeUnknownAnnouncedWhenASubmittedHireIsFoundLater: the
// contract's "a `submitted` entry found by a later run → `unknown`" makes a
// hire whose outcome is unknown exactly as a lost answer does, and an admin
// must check TriNet and release it either way; the "Hire Outcome Unknown"
// event is how operators and tenants hear of it ("so operators and tenants
// route them with rules, not code"), and HiresUnknown counts it. A hire cut
// off by a crash or a timeout of the invocation that sent it must not turn
// unknown in silence, and is announced once: the next run finds it unknown
// already.
func TestHireOutcomeUnknownAnnouncedWhenASubmittedHireIsFoundLater(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()))
	out, evs := e.observed()
	e.connect(true)
	ctx := ctxFor(t)
	cleo := cleanPeople()[2] // a new hire TriNet does not list
	// The invocation that recorded Cleo's hire as submitted died before the
	// POST's answer was recorded.
	if err := e.svcs.Store().CreateHire(ctx, e.tenant, provision.HireEntry{
		UserID: e.userID(cleo), CompanyID: e.company, Email: e.email(cleo), State: provision.HireSubmitted,
		SubmittedAt: e.clk.Now(), SyncID: "crashed",
	}); err != nil {
		t.Fatal(err)
	}
	run := e.handle(e.runner, e.job("later", provision.TriggerSchedule, false))
	if got := e.planOf(run.SyncID)[e.userID(cleo)]; got.Action != provision.ActionPending || got.Code != "hire_outcome_unknown" {
		t.Fatalf("Cleo planned %s/%s, want pending/hire_outcome_unknown", got.Action, got.Code)
	}
	h, err := e.svcs.Store().Hire(ctx, e.tenant, e.company, e.userID(cleo))
	if err != nil || h.State != provision.HireUnknown {
		t.Fatalf("Cleo's hire %+v %v, want unknown", h, err)
	}
	unknown := evs.ofType(eventbus.TypeHireOutcomeUnknown)
	if len(unknown) != 1 || unknown[0].TenantID() != e.tenant {
		t.Fatalf("Hire Outcome Unknown events %+v; want one for %s when the run turned Cleo's submitted hire unknown", unknown, e.tenant)
	}
	if d, ok := unknown[0].Detail.(eventbus.HireOutcomeUnknownDetail); !ok || d.Count != 1 || d.SyncID != run.SyncID {
		t.Errorf("event detail %+v, want count 1 of run %s", unknown[0].Detail, run.SyncID)
	}
	e.noPersonalData(unknown...)
	if v, _ := sum(points(t, out), run.SyncID, app.MetricHiresUnknown); v != 1 {
		t.Errorf("HiresUnknown of the run that found the submitted hire = %v, want 1", v)
	}
	e.clk.Advance(time.Hour)
	e.handle(e.runner, e.job("next", provision.TriggerSchedule, false))
	if n := len(evs.ofType(eventbus.TypeHireOutcomeUnknown)); n != 1 {
		t.Errorf("%d Hire Outcome Unknown events after a run that found the hire unknown already, want still 1", n)
	}
}
