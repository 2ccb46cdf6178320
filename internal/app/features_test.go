package app_test

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"trinetsync/internal/api"
	"trinetsync/internal/app"
	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
	"trinetsync/internal/queue"
)

// triggered queues a manual run through the backend and answers its job.
func (e *env) triggered(req api.TriggerRequest) queue.Job {
	e.t.Helper()
	run, err := e.svc.Trigger(ctxFor(e.t), e.tenant, req)
	if err != nil {
		e.t.Fatalf("trigger %+v: %v", req, err)
	}
	var job queue.Job
	e.receiveEach(1, 10*time.Second, func(m message) {
		job = m.job
		e.deleteMessage(m)
	})
	if job.SyncID != run.SyncID {
		e.t.Fatalf("queued %s, triggered %s", job.SyncID, run.SyncID)
	}
	return job
}

// TestSubsetRunsNeitherCountNorClearTheBackoff: the back-off counts the runs
// that try the whole tenant; a subset run's failure or success changes it
// not at all.
func TestSubsetRunsNeitherCountNorClearTheBackoff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()))
	e.connect(true)
	ctx := ctxFor(t)
	ada := e.userID(cleanPeople()[0])
	for range 2 {
		if _, err := e.svcs.Store().RecordRunOutcome(ctx, e.tenant, testOutcome(true, app.CodeUpstream, e.clk.Now())); err != nil {
			t.Fatal(err)
		}
	}
	e.trinetDown()
	for _, req := range []api.TriggerRequest{{People: []string{ada}}, {OnlyFailed: true}} {
		job := e.triggered(req)
		if out := e.runner.Handle(ctx, job, e.cfg.MaxReceiveCount); !out.Retry {
			t.Fatalf("outcome %+v", out)
		}
		wantRunError(t, e.run(job.SyncID), provision.RunFailed, app.CodeUpstream)
		if tn := e.tenantRecord(); tn.ConsecutiveFailures != 2 || tn.Backoff != nil {
			t.Fatalf("after a failed subset run: %d failures, back-off %+v; want 2 and none", tn.ConsecutiveFailures, tn.Backoff)
		}
	}
	e.clk.Advance(time.Minute)
	full := e.triggered(api.TriggerRequest{})
	e.runner.Handle(ctx, full, e.cfg.MaxReceiveCount)
	if tn := e.tenantRecord(); tn.ConsecutiveFailures != 3 || tn.Backoff == nil {
		t.Fatalf("a full run's failure counts: %+v", tn)
	}
	e.trinetUp()
	sub := e.handle(e.runner, e.triggered(api.TriggerRequest{People: []string{ada}}))
	if sub.Status != provision.RunSucceeded {
		t.Fatalf("subset run %+v", sub)
	}
	if tn := e.tenantRecord(); tn.ConsecutiveFailures != 3 || tn.Backoff == nil {
		t.Fatalf("a subset run's success cleared the back-off: %+v", tn)
	}
	if r := e.handle(e.runner, e.triggered(api.TriggerRequest{})); r.Status != provision.RunSucceeded {
		t.Fatalf("full run %+v", r)
	}
	if tn := e.tenantRecord(); tn.ConsecutiveFailures != 0 || tn.Backoff != nil {
		t.Fatalf("a full run's success clears the back-off: %+v", tn)
	}
}

// TestSubsetRunLeavesTheSCIMWarningToAFullRun: "If a later connection has
// no SCIM token, SCIM mappings are dropped and the next run warns
// `scim_unavailable`", and the admin reads warnings on GET …/errors: "items
// of the latest finished full run". A subset run is never that run: when it
// is the first run after the reconnect it neither drops the saved mappings
// nor takes the one warning, so the next full run does both and its errors
// page says why gender and birth date stopped syncing.
func TestSubsetRunLeavesTheSCIMWarningToAFullRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()))
	e.connect(true)
	ctx := ctxFor(t)
	noSCIM := e.creds
	noSCIM.Leapsome.SCIMToken = ""
	if _, err := e.svc.Connect(ctx, e.tenant, noSCIM); err != nil {
		t.Fatal(err)
	}
	savedSCIM := func() bool {
		tn := e.tenantRecord()
		return tn.Settings != nil && slices.ContainsFunc(tn.Settings.Mappings, func(m provision.Mapping) bool {
			return strings.HasPrefix(m.Source, "scim.")
		})
	}
	if !savedSCIM() {
		t.Fatal("the tenant's saved settings map no SCIM source before any run")
	}
	ada := e.userID(cleanPeople()[0])
	sub := e.handle(e.runner, e.triggered(api.TriggerRequest{People: []string{ada}}))
	if !sub.Status.Final() {
		t.Fatalf("subset run %+v", sub)
	}
	if hasIssue(e.issuesOf(sub.SyncID), "", "scim_unavailable") || !savedSCIM() {
		t.Errorf("the subset run took the scim_unavailable warning or dropped the saved SCIM mappings (still saved: %t)", savedSCIM())
	}
	full := e.handle(e.runner, e.triggered(api.TriggerRequest{}))
	if !full.Status.Final() {
		t.Fatalf("full run %+v", full)
	}
	page, err := e.svc.Issues(ctx, e.tenant, "", api.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if page.SyncID != full.SyncID || !hasIssue(page.Items, "", "scim_unavailable") {
		t.Errorf("the errors page (run %s) never shows scim_unavailable after a reconnect without SCIM: %+v", page.SyncID, page.Items)
	}
	if savedSCIM() {
		t.Error("the full run left the SCIM mappings saved")
	}
}

// TestOnlyFailedRetriesTheLatestFullRunsErrors: onlyFailed covers the people
// with error items in the latest finished full run and nobody else, and its
// own run does not become the run the errors page shows.
func TestOnlyFailedRetriesTheLatestFullRunsErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(true)
	ctx := ctxFor(t)
	people := defaultPeople()
	ada, dan := people[0], people[3]
	first := e.handle(e.runner, e.job("first", provision.TriggerSchedule, false))
	if first.Status != provision.RunPartial || !hasIssue(e.issuesOf("first"), e.userID(dan), "department_not_found") {
		t.Fatalf("first run %+v %+v", first, e.issuesOf("first"))
	}
	// Dan's department is fixed in Leapsome, and Ada's title changed, which
	// only a full run may write.
	fixed := e.lsEmployee(dan)
	fixed.Departments[0].Name = "Engineering"
	e.putLeapsome(fixed)
	retitled := e.lsEmployee(ada)
	retitled.Title = "Chief Engineer"
	e.putLeapsome(retitled)
	writesBefore := len(inf.TriNet.Writes(e.company))

	job := e.triggered(api.TriggerRequest{OnlyFailed: true})
	if r := e.run(job.SyncID); !r.OnlyFailed || r.FailedOf != "first" || !r.Subset() {
		t.Fatalf("the run retries %+v", r)
	}
	retry := e.handle(e.runner, job)
	if retry.Status != provision.RunSucceeded || retry.Counts != (provision.Counts{Updated: 1}) {
		t.Fatalf("retry %+v", retry)
	}
	if got := slices.Collect(maps.Keys(e.planOf(job.SyncID))); !slices.Equal(got, []string{e.userID(dan)}) {
		t.Fatalf("the retry planned %v", got)
	}
	ws := inf.TriNet.Writes(e.company)[writesBefore:]
	if len(ws) != 1 || !strings.Contains(ws[0].Path, "/"+dan.employeeID+"/") {
		t.Fatalf("writes of the retry: %+v", ws)
	}
	if page, err := e.svc.Issues(ctx, e.tenant, "", api.Page{Limit: 10}); err != nil || page.SyncID != "first" {
		t.Fatalf("errors page shows %q %v, want the full run", page.SyncID, err)
	}
}

// TestPreviewSettingsPlansWithoutSaving: a dry run with settings plans with
// them; the saved settings stay; bad settings are refused naming the field
// inside the body.
func TestPreviewSettingsPlansWithoutSaving(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()))
	e.connect(false)
	ctx := ctxFor(t)
	if r := e.handle(e.runner, e.job("first", provision.TriggerSchedule, false)); r.Status != provision.RunSucceeded {
		t.Fatalf("first run %+v", r)
	}
	saved, err := e.svc.Settings(ctx, e.tenant)
	if err != nil {
		t.Fatal(err)
	}
	writes := len(inf.TriNet.Writes(e.company))
	preview := saved
	preview.AutoCreateNewHires = true
	preview.Mappings = append(slices.Clone(saved.Mappings), provision.Mapping{Target: "customGroupA", Source: "const:Remote"})
	dry := e.handle(e.runner, e.triggered(api.TriggerRequest{DryRun: true, Settings: &preview}))
	plan := e.planOf(dry.SyncID)
	cleo := e.userID(cleanPeople()[2])
	if dry.Counts.Created != 1 || plan[cleo].Action != provision.ActionCreate {
		t.Fatalf("preview with auto-create: %+v %+v", dry.Counts, plan[cleo])
	}
	for _, p := range cleanPeople()[:2] {
		it := plan[e.userID(p)]
		if it.Action != provision.ActionUpdate || !slices.ContainsFunc(it.Fields, func(f provision.FieldChange) bool { return f.Field == "customGroupA" && f.To == "Remote" }) {
			t.Fatalf("preview of %s: %+v", p.first, it)
		}
	}
	after, err := e.svc.Settings(ctx, e.tenant)
	if err != nil || after.AutoCreateNewHires || len(after.Mappings) != len(saved.Mappings) {
		t.Fatalf("the preview saved its settings: %+v %v", after, err)
	}
	if n := len(inf.TriNet.Writes(e.company)) - writes; n != 0 {
		t.Fatalf("the preview wrote %d times to TriNet", n)
	}
	bad := preview
	bad.Mappings = append(slices.Clone(saved.Mappings), provision.Mapping{Target: "customGroupB", Source: "shoeSize"})
	_, err = e.svc.Trigger(ctx, e.tenant, api.TriggerRequest{DryRun: true, Settings: &bad})
	wantClass(t, err, fault.Validation, "settings.mappings["+strconv.Itoa(len(saved.Mappings))+"].source")
}

// drainJobs receives want jobs from the env's queue, by tenant, and checks
// there are no more.
func (e *env) drainJobs(want int) map[string]queue.Job {
	e.t.Helper()
	jobs := map[string]queue.Job{}
	if want > 0 {
		e.receiveEach(want, 90*time.Second, func(m message) {
			if _, dup := jobs[m.job.TenantID]; dup {
				e.t.Fatalf("two jobs for %s", m.job.TenantID)
			}
			jobs[m.job.TenantID] = m.job
			e.deleteMessage(m)
		})
	}
	if d := e.queueDepth(); d != 0 {
		e.t.Fatalf("%d more messages than the %d expected", d, want)
	}
	return jobs
}

// TestApproveCreatesInAFullRun: with auto-create off, the approved person is
// hired and the other new person stays a suggestion.
func TestApproveCreatesInAFullRun(t *testing.T) {
	t.Parallel()
	people := append(cleanPeople(), person{n: 5, first: "Eve", last: "Newcomer", title: "Engineer", dept: "Engineering", startDays: 3})
	e := newEnv(t, withPeople(people))
	e.connect(false)
	cleo, eve := e.userID(people[2]), e.userID(people[3])
	r := e.handle(e.runner, e.triggered(api.TriggerRequest{ApproveCreates: []string{cleo}}))
	plan := e.planOf(r.SyncID)
	if plan[cleo].Action != provision.ActionCreate || plan[eve].Action != provision.ActionSuggest || r.Counts.Created != 1 || r.Counts.Suggested != 1 {
		t.Fatalf("plan %+v %+v counts %+v", plan[cleo], plan[eve], r.Counts)
	}
	if posts := hirePosts(e.company); len(posts) != 1 {
		t.Fatalf("hire POSTs %d, want Cleo's", len(posts))
	}
	if h := e.hires(); h[cleo].State != provision.HirePending || len(h) != 1 {
		t.Fatalf("ledger %+v", h)
	}
}

// TestPersonExplained: one call tells a person's link, hire, latest plan
// with its issues and the runs that touched them; an unchanged person reads
// as unchanged in the latest full run after their last change.
func TestPersonExplained(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(true)
	ctx := ctxFor(t)
	people := defaultPeople()
	ada, cleo, dan := people[0], people[2], people[3]
	first := e.handle(e.runner, e.job("first", provision.TriggerSchedule, false))
	e.clk.Advance(10 * time.Minute)
	second := e.handle(e.runner, e.job("second", provision.TriggerSchedule, false))

	p, err := e.svc.Person(ctx, e.tenant, e.userID(ada))
	if err != nil {
		t.Fatal(err)
	}
	if p.Link == nil || p.Link.EmployeeID != ada.employeeID || p.Hire != nil || p.Email != e.email(ada) || p.Name != "Ada Lovelace" {
		t.Fatalf("Ada: %+v", p)
	}
	if len(p.History) != 1 || p.History[0].SyncID != first.SyncID || p.History[0].Action != provision.ActionLink {
		t.Fatalf("Ada's history %+v", p.History)
	}
	if l := p.Latest; l == nil || l.SyncID != second.SyncID || l.Item.Action != provision.ActionUnchanged || !l.At.Equal(second.StartedAt) {
		t.Fatalf("Ada is unchanged in the second run: %+v", p.Latest)
	}

	p, err = e.svc.Person(ctx, e.tenant, e.userID(dan))
	if err != nil || p.Latest == nil || p.Latest.SyncID != second.SyncID || p.Latest.Item.Action != provision.ActionError ||
		p.Latest.Item.Code != "department_not_found" || len(p.Latest.Issues) != 1 || p.Latest.Issues[0].Field != "department" || len(p.History) != 2 {
		t.Fatalf("Dan: %+v %v", p, err)
	}

	p, err = e.svc.Person(ctx, e.tenant, e.userID(cleo))
	if err != nil || p.Hire == nil || p.Hire.State != provision.HirePending || p.Latest.Item.Action != provision.ActionPending ||
		p.Latest.Item.Code != "pending_approval" || len(p.History) != 2 || p.History[1].Action != provision.ActionCreate {
		t.Fatalf("Cleo: %+v %v", p, err)
	}
	// A subset run touches the person and becomes their latest.
	e.clk.Advance(10 * time.Minute)
	retitled := e.lsEmployee(ada)
	retitled.Title = "Chief Engineer"
	e.putLeapsome(retitled)
	sub := e.handle(e.runner, e.triggered(api.TriggerRequest{People: []string{e.userID(ada)}}))
	p, err = e.svc.Person(ctx, e.tenant, e.userID(ada))
	if err != nil || p.Latest == nil || p.Latest.SyncID != sub.SyncID || p.Latest.Item.Action != provision.ActionUpdate ||
		len(p.Latest.Item.Fields) != 1 || p.Latest.Item.Fields[0].To != "Chief Engineer" || len(p.History) != 2 {
		t.Fatalf("Ada after the subset run: %+v %v", p, err)
	}
	// A dry run in which Ada is unchanged does not touch her; one that would
	// update her is in her history, marked dry, and latest stays what the
	// real run did.
	e.handle(e.runner, e.triggered(api.TriggerRequest{DryRun: true}))
	if again, _ := e.svc.Person(ctx, e.tenant, e.userID(ada)); len(again.History) != 2 {
		t.Fatalf("a dry run that planned Ada unchanged is in her history: %+v", again.History)
	}
	e.clk.Advance(10 * time.Minute)
	retitled.Title = "Chief Technology Officer"
	e.putLeapsome(retitled)
	dry := e.handle(e.runner, e.triggered(api.TriggerRequest{DryRun: true}))
	again, err := e.svc.Person(ctx, e.tenant, e.userID(ada))
	if err != nil || len(again.History) != 3 || again.History[0].SyncID != dry.SyncID || !again.History[0].DryRun ||
		again.History[0].Action != provision.ActionUpdate || again.History[1].SyncID != sub.SyncID || again.History[1].DryRun {
		t.Fatalf("Ada's history after a dry run that would update her: %+v %v", again.History, err)
	}
	if again.Latest == nil || again.Latest.SyncID != sub.SyncID {
		t.Fatalf("Ada's latest after a dry run: %+v, want the subset run's (a real run wins)", again.Latest)
	}
	if _, err := e.svc.Person(ctx, e.tenant, "nobody"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("unknown person: %v", err)
	}
	e.assertNoSecretsIn("person", p)
}

// TestSchedulerHonoursEachTenantsSchedule: every tenant is due once per
// interval, at a slot of its own; a paused one never, yet its manual trigger
// runs; nextRunAt is the first slot the scheduler queues it in.
func TestSchedulerHonoursEachTenantsSchedule(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxFor(t)
	schedules := map[string]*provision.Schedule{
		"default": nil, "ten": {Interval: "10m"}, "half-hour": {Interval: "30m"}, "hourly": {Interval: "1h"}, "paused": {Interval: "10m", Paused: true},
	}
	next := map[string]time.Time{}
	for id, sc := range schedules {
		e.connectRecord(ctx, id)
		set := provision.DefaultSettings(false)
		set.Schedule = sc
		if _, err := e.svc.PutSettings(ctx, id, set); err != nil {
			t.Fatal(err)
		}
		conn, err := e.svc.Connection(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		next[id] = conn.NextRunAt
	}
	if !next["paused"].IsZero() {
		t.Fatalf("a paused tenant has nextRunAt %s", next["paused"])
	}
	base := app.Slot(e.clk.Now(), e.cfg.SyncInterval)
	seen := map[string][]int{}
	for i := 1; i <= 12; i++ {
		res, err := e.svcs.Scheduler().Tick(ctx, base.Add(time.Duration(i)*e.cfg.SyncInterval))
		if err != nil || res.Paused != 1 || res.Enqueued+res.NotDue != 4 {
			t.Fatalf("tick %d: %+v %v", i, res, err)
		}
		for id := range e.drainJobs(res.Enqueued) {
			seen[id] = append(seen[id], i)
		}
	}
	if len(seen["default"]) != 12 || len(seen["ten"]) != 12 || len(seen["paused"]) != 0 {
		t.Fatalf("slots: %v", seen)
	}
	for id, k := range map[string]int{"half-hour": 3, "hourly": 6} {
		s := seen[id]
		if len(s) != 12/k || s[1]-s[0] != k {
			t.Fatalf("%s is due in slots %v, want every %d", id, s, k)
		}
		if first := base.Add(time.Duration(s[0]) * e.cfg.SyncInterval); !next[id].Equal(first) {
			t.Fatalf("%s: nextRunAt %s, first queued at %s", id, next[id], first)
		}
	}
	if !next["default"].Equal(base.Add(e.cfg.SyncInterval)) {
		t.Fatalf("default nextRunAt %s", next["default"])
	}
	// Paused stops scheduled runs only.
	run, err := e.svc.Trigger(ctx, "paused", api.TriggerRequest{})
	if err != nil || run.Status != provision.RunQueued {
		t.Fatalf("manual trigger of a paused tenant: %+v %v", run, err)
	}
}

// TestCadence: a tenant is due in exactly one slot of each interval, spread
// by its id; nextRunAt follows the schedule and the back-off.
func TestCadence(t *testing.T) {
	t.Parallel()
	base := 10 * time.Minute
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	phases := map[int]bool{}
	for i := range 40 {
		id := "tenant-" + strconv.Itoa(i)
		due := 0
		for s := range 144 {
			if app.Due(id, day.Add(time.Duration(s)*base), base, 24*time.Hour) {
				due++
				phases[s] = true
			}
		}
		if due != 1 {
			t.Fatalf("%s is due %d times a day on a daily schedule", id, due)
		}
	}
	if len(phases) < 20 {
		t.Fatalf("40 daily tenants share %d slots: not spread", len(phases))
	}
	// Locally a tick stands for 10 minutes.
	ticks := 0
	for s := range 30 {
		if app.Due("local", day.Add(time.Duration(s)*time.Second), time.Second, 30*time.Minute) {
			ticks++
		}
	}
	if ticks != 10 {
		t.Fatalf("a 30m schedule on 1s ticks is due %d times in 30 ticks, want 10", ticks)
	}

	now := day.Add(3 * time.Minute)
	hourly := provision.Schedule{Interval: "1h"}
	tests := []struct {
		name    string
		sc      provision.Schedule
		backoff time.Time
		want    func(got time.Time) bool
	}{
		{"default", provision.Schedule{}, time.Time{}, func(got time.Time) bool { return got.Equal(day.Add(base)) }},
		{"paused", provision.Schedule{Paused: true}, time.Time{}, func(got time.Time) bool { return got.IsZero() }},
		{"default in back-off: its end", provision.Schedule{Interval: "10m"}, day.Add(47 * time.Minute), func(got time.Time) bool { return got.Equal(day.Add(47 * time.Minute)) }},
		{"hourly: its slot", hourly, time.Time{}, func(got time.Time) bool {
			return got.After(now) && !got.After(now.Add(time.Hour)) && app.Due("acme", got, base, time.Hour)
		}},
		{"hourly in back-off: its first slot after", hourly, day.Add(5 * time.Hour), func(got time.Time) bool {
			return !got.Before(day.Add(5*time.Hour)) && got.Before(day.Add(6*time.Hour)) && app.Due("acme", got, base, time.Hour)
		}},
		{"back-off over", hourly, day, func(got time.Time) bool { return got.After(now) && app.Due("acme", got, base, time.Hour) }},
	}
	for _, tt := range tests {
		if got := app.NextRunAt("acme", now, base, tt.sc, tt.backoff); !tt.want(got) {
			t.Errorf("%s: nextRunAt %s", tt.name, got)
		}
	}
}

// TestDryRunPlanListsNoUnchangedPerson: "GET …/syncs/{syncId}/plan | the
// run's plan: every person whose action is not `unchanged`
// (`counts.unchanged` says how many were) … A steady-state run of unchanged
// people writes no plan item". A linked person whose hire date in TriNet
// differs from Leapsome's start date (a new-hire-only target: never written
// again) is unchanged in every run, dry or not, and so is not in a dry run's
// plan; their drift is reached by the opt-in drift listing (?drift=true),
// which a real run leaves empty.
func TestDryRunPlanListsNoUnchangedPerson(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()))
	e.connect(true)
	ctx := ctxFor(t)
	if first := e.handle(e.runner, e.job("first", provision.TriggerSchedule, false)); first.Status != provision.RunSucceeded {
		t.Fatalf("first run %+v", first)
	}
	ada := cleanPeople()[0]
	moved := e.lsEmployee(ada)
	moved.StartDate = time.Now().UTC().AddDate(0, 0, ada.startDays+20).Format(time.DateOnly)
	e.putLeapsome(moved)
	if steady := e.handle(e.runner, e.job("steady", provision.TriggerSchedule, false)); steady.Counts.Updated != 0 || steady.Counts.Unchanged == 0 {
		t.Fatalf("real run after the start date moved: %+v, want Ada unchanged", steady.Counts)
	}
	dry := e.handle(e.runner, e.job("dry", provision.TriggerManual, true))
	for id, it := range e.planOf("dry") {
		if it.Action == provision.ActionUnchanged {
			t.Errorf("dry run's plan lists %s with action unchanged (drift %+v); counts.unchanged = %d already says how many were",
				id, it.Drift, dry.Counts.Unchanged)
		}
	}
	drift, next, err := e.svc.Drift(ctx, e.tenant, "dry", api.Page{Limit: 100})
	if err != nil || next != "" || len(drift) != 1 {
		t.Fatalf("drift of the dry run: %+v %q %v, want Ada's", drift, next, err)
	}
	if it := drift[0]; it.UserID != e.userID(ada) || it.Action != provision.ActionUnchanged ||
		len(it.Drift) != 1 || it.Drift[0].Field != "hireDate" || it.Drift[0].To != moved.StartDate {
		t.Errorf("Ada's drift %+v, want unchanged with hireDate → %s", it, moved.StartDate)
	}
	if real, _, err := e.svc.Drift(ctx, e.tenant, "steady", api.Page{Limit: 100}); err != nil || len(real) != 0 {
		t.Errorf("a real run's drift listing: %+v %v, want none", real, err)
	}
	if _, _, err := e.svc.Drift(ctx, e.tenant, "nope", api.Page{Limit: 100}); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("drift of a run that does not exist: %v, want not found", err)
	}
}

// TestPersonExplainedAfterADryRun: "GET …/people/{userId} | explain one
// person: … "latest":{plan item + its issues}, "history":[…] (the last 20
// runs that touched the person)". A dry run records "the run, its plan and
// its issues" — the seed's "suggest creating them" step — and its plan names
// the person, so after the dry run an admin uses to ask "who would be
// created?", asking why Cleo would be is answered, not 404: the dry run is in
// her history, marked dry, and is her latest, as no real run planned her.
func TestPersonExplainedAfterADryRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()))
	e.connect(false)
	ctx := ctxFor(t)
	cleo := e.userID(cleanPeople()[2])
	dry := e.handle(e.runner, e.job("dry", provision.TriggerManual, true))
	if got := e.planOf(dry.SyncID)[cleo]; got.Action != provision.ActionSuggest {
		t.Fatalf("the dry run planned Cleo %+v, want suggest", got)
	}
	p, err := e.svc.Person(ctx, e.tenant, cleo)
	if err != nil {
		t.Fatalf("GET …/people/%s after a dry run that planned her: %v", cleo, err)
	}
	if len(p.History) != 1 || p.History[0].SyncID != dry.SyncID || !p.History[0].DryRun || p.Latest == nil ||
		p.Latest.SyncID != dry.SyncID || p.Latest.Item.Action != provision.ActionSuggest || p.Latest.Item.Code != "not_in_trinet" ||
		len(p.Latest.Issues) != 1 || p.Latest.Issues[0].Code != "not_in_trinet" {
		t.Errorf("Cleo explained as %+v; want the dry run in history (marked dry) and as latest (suggest, with its warning)", p)
	}
}
