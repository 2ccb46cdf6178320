package localstack

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"trinetsync/internal/app"
	"trinetsync/internal/provision"
)

// The scenarios of what admins do beyond the seed (issue 13), through the
// HTTP API only, against the sandboxes: sync some people, retry the failed
// ones, approve creates one by one, explain one person, preview a settings
// change, see drift, and set a tenant's cadence. One stack of their own, so
// that the scheduler ticks they drive reach only their tenants.

func TestFeatureScenario(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	st := startStack(t, ctx, Config{
		DataDir: t.TempDir(), APIAddr: "127.0.0.1:0", SyncInterval: 24 * time.Hour, JWTSecret: scenarioSecret,
		DemoTenant: "", Logger: testLogger(),
	})
	defer st.Close()

	t.Run("a subset run leaves everyone else alone; only the failed are retried", func(t *testing.T) { scenarioSubset(t, st) })
	t.Run("creates approved one by one", func(t *testing.T) { scenarioApprove(t, st) })
	t.Run("a settings change previewed", func(t *testing.T) { scenarioPreview(t, st) })
	t.Run("one person explained", func(t *testing.T) { scenarioPerson(t, st) })
	t.Run("drift of new-hire-only fields", func(t *testing.T) { scenarioDrift(t, st) })
	t.Run("a tenant's cadence, paused", func(t *testing.T) { scenarioSchedule(t, st) })
}

// wirePlanItem is a plan item as the API shows it.
type wirePlanItem struct {
	UserID string            `json:"userId"`
	Action string            `json:"action"`
	Code   *string           `json:"code"`
	Fields []json.RawMessage `json:"fields"`
	Drift  []struct {
		Field     string  `json:"field"`
		From      *string `json:"from"`
		To        *string `json:"to"`
		Sensitive bool    `json:"sensitive"`
	} `json:"drift"`
}

func (f *fixture) plan(syncID string) map[string]wirePlanItem {
	f.t.Helper()
	return f.planList(syncID, "")
}

// drift is a run's opt-in drift listing (?drift=true), by user id.
func (f *fixture) drift(syncID string) map[string]wirePlanItem {
	f.t.Helper()
	return f.planList(syncID, "&drift=true")
}

func (f *fixture) planList(syncID, query string) map[string]wirePlanItem {
	f.t.Helper()
	var p struct {
		Items []wirePlanItem `json:"items"`
	}
	f.c.call(http.MethodGet, f.path("/syncs/"+syncID+"/plan?limit=1000"+query), nil, http.StatusOK, &p)
	out := map[string]wirePlanItem{}
	for _, it := range p.Items {
		out[it.UserID] = it
	}
	return out
}

// trinetRecords are the company's employees as the TriNet sandbox holds
// them, by id, as raw JSON: what "untouched" is compared on.
func (f *fixture) trinetRecords() map[string]string {
	f.t.Helper()
	var env struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(f.sandbox(http.MethodGet, f.tnBase+"/_admin/companies/"+f.co+"/employees", nil), &env); err != nil {
		f.t.Fatal(err)
	}
	out := map[string]string{}
	for _, raw := range env.Data {
		var e struct {
			ID        string `json:"id"`
			WorkEmail string `json:"workEmail"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			f.t.Fatal(err)
		}
		out[e.WorkEmail] = string(raw)
	}
	return out
}

// raw answers a GET's body as text, for comparing whole lists.
func (f *fixture) raw(path string) string {
	f.t.Helper()
	status, body := f.c.send(http.MethodGet, f.path(path), nil)
	if status != http.StatusOK {
		f.t.Fatalf("GET %s: %d %s", path, status, body)
	}
	return string(body)
}

func (f *fixture) setAutoCreate(on bool) {
	f.t.Helper()
	var set provision.Settings
	f.c.call(http.MethodGet, f.path("/settings"), nil, http.StatusOK, &set)
	set.AutoCreateNewHires = on
	f.c.call(http.MethodPut, f.path("/settings"), set, http.StatusOK, nil)
}

func (f *fixture) editLeapsome(id string, fields map[string]any) {
	f.t.Helper()
	f.sandbox(http.MethodPut, f.lsAdmin+"/_admin/tenants/"+f.ls+"/employees/"+id, fields)
}

func scenarioSubset(t *testing.T, st *Stack) {
	f := newFixture(t, st, "subset", false, true)
	p1, p2, p3 := f.addPerson(true, -400), f.addPerson(true, -400), f.addPerson(true, -400)
	f.addPerson(false, 1)
	first := f.c.trigger(f.tenant, map[string]any{})
	if first.Status != "succeeded" || first.Counts["linked"] != 3 || first.Counts["created"] != 1 {
		t.Fatalf("first sync: %+v", first)
	}
	// Leapsome changes that a full run would write: two titles and a new hire.
	f.editLeapsome(p1, map[string]any{"title": "Staff Engineer"})
	f.editLeapsome(p2, map[string]any{"title": "Principal Engineer"})
	n2 := f.addPerson(false, 2)
	records, links, hires := f.trinetRecords(), f.raw("/links?limit=1000"), f.raw("/hires?limit=1000")

	sub := f.c.trigger(f.tenant, map[string]any{"people": []string{p1, "no-such-person"}})
	if sub.Status != "succeeded" || sub.Counts["updated"] != 1 || sub.Counts["warnings"] != 1 || sub.Counts["created"] != 0 || sub.Counts["unchanged"] != 0 {
		t.Fatalf("subset run: %+v", sub)
	}
	if got := f.planActions(sub.SyncID); !maps.Equal(got, map[string]string{p1: "update"}) {
		t.Errorf("the subset run planned %v, want only %s", got, p1)
	}
	after := f.trinetRecords()
	for email, rec := range records {
		if email == f.people[p1] {
			if rec == after[email] {
				t.Errorf("%s's TriNet record is unchanged", p1)
			}
			continue
		}
		if after[email] != rec {
			t.Errorf("%s's TriNet record changed:\n%s\nwas\n%s", email, after[email], rec)
		}
	}
	if len(after) != len(records) || f.hiresOf()[f.people[n2]] != 0 {
		t.Errorf("the subset run hired %s, who is outside it", n2)
	}
	if got := f.raw("/links?limit=1000"); got != links {
		t.Errorf("links changed:\n%s\nwere\n%s", got, links)
	}
	if got := f.raw("/hires?limit=1000"); got != hires {
		t.Errorf("the hire ledger changed:\n%s\nwas\n%s", got, hires)
	}
	var errs issuePage
	f.c.call(http.MethodGet, f.path("/errors"), nil, http.StatusOK, &errs)
	if errs.SyncID == nil || *errs.SyncID != first.SyncID {
		t.Errorf("the errors page shows %v, want the latest full run %s", errs.SyncID, first.SyncID)
	}
	f.c.call(http.MethodGet, f.path("/errors?syncId="+sub.SyncID), nil, http.StatusOK, &errs)
	if len(errs.Items) != 1 || errs.Items[0].Code != "not_in_leapsome" || *errs.Items[0].UserID != "no-such-person" || errs.Items[0].Severity != "warning" {
		t.Errorf("the subset run's items: %+v", errs.Items)
	}

	// A full run fails p3; once fixed, onlyFailed retries p3 alone.
	f.editLeapsome(p3, map[string]any{"departments": []map[string]any{{"name": "Nowhere"}}})
	full := f.c.trigger(f.tenant, map[string]any{})
	if full.Status != "partial" || f.planActions(full.SyncID)[p3] != "error:department_not_found" {
		t.Fatalf("full run: %+v %v", full, f.planActions(full.SyncID))
	}
	f.editLeapsome(p3, map[string]any{"departments": []map[string]any{{"name": "Engineering"}}, "title": "Lead Engineer"})
	f.editLeapsome(p2, map[string]any{"title": "Distinguished Engineer"})
	p2Before := f.trinetRecords()[f.people[p2]]
	retry := f.c.trigger(f.tenant, map[string]any{"onlyFailed": true})
	if retry.Status != "succeeded" || retry.Counts["updated"] != 1 || retry.Counts["errors"] != 0 {
		t.Fatalf("retry of the failed: %+v", retry)
	}
	if got := f.planActions(retry.SyncID); !maps.Equal(got, map[string]string{p3: "update"}) {
		t.Errorf("onlyFailed planned %v, want only %s", got, p3)
	}
	if f.trinetRecords()[f.people[p2]] != p2Before {
		t.Errorf("onlyFailed wrote %s, who did not fail", p2)
	}
	// A plain trigger never merges into a subset run, and a bad subset is 400.
	f.c.refused(http.MethodPost, f.path("/syncs"), map[string]any{"people": []string{}}, http.StatusBadRequest, "bad_request", "people")
	f.c.refused(http.MethodPost, f.path("/syncs"), map[string]any{"people": []string{p1}, "onlyFailed": true}, http.StatusBadRequest, "bad_request", "onlyFailed")
	f.c.refused(http.MethodPost, f.path("/syncs"), map[string]any{"people": []string{p1}, "approveCreates": []string{n2}}, http.StatusBadRequest, "bad_request", "approveCreates[0]")
}

func scenarioApprove(t *testing.T, st *Stack) {
	f := newFixture(t, st, "approve", false, true)
	f.setAutoCreate(false)
	linked := f.addPerson(true, -400)
	n1, n2 := f.addPerson(false, 1), f.addPerson(false, 2)

	run := f.c.trigger(f.tenant, map[string]any{"approveCreates": []string{n1}})
	want := map[string]string{linked: "link", n1: "create", n2: "suggest:not_in_trinet"}
	if got := f.planActions(run.SyncID); !maps.Equal(got, want) {
		t.Errorf("plan %v, want %v", got, want)
	}
	if run.Counts["created"] != 1 || run.Counts["suggested"] != 1 {
		t.Errorf("counts %+v", run.Counts)
	}
	got := f.hiresOf()
	if got[f.people[n1]] != 1 || got[f.people[n2]] != 0 || len(got) != 1 {
		t.Errorf("TriNet hires %v, want %s's only", got, f.people[n1])
	}
	var hires hirePage
	f.c.call(http.MethodGet, f.path("/hires"), nil, http.StatusOK, &hires)
	if len(hires.Items) != 1 || hires.Items[0].UserID != n1 || hires.Items[0].State != "pending" {
		t.Errorf("hire ledger %+v", hires.Items)
	}
	// The next plain run creates nobody: n2 is still a suggestion.
	next := f.c.trigger(f.tenant, map[string]any{})
	if a := f.planActions(next.SyncID); a[n2] != "suggest:not_in_trinet" || a[n1] != "pending:pending_approval" || len(f.hiresOf()) != 1 {
		t.Errorf("next run: %v", a)
	}
	// Approving within a subset, as a dry run first.
	dry := f.c.trigger(f.tenant, map[string]any{"dryRun": true, "people": []string{n2}, "approveCreates": []string{n2}})
	if a := f.planActions(dry.SyncID); !maps.Equal(a, map[string]string{n2: "create"}) || len(f.hiresOf()) != 1 {
		t.Errorf("dry run approving %s: %v", n2, a)
	}
}

func scenarioPreview(t *testing.T, st *Stack) {
	f := newFixture(t, st, "preview", false, true)
	f.setAutoCreate(false)
	linked := f.addPerson(true, -400)
	n1 := f.addPerson(false, 3)
	var before provision.Settings
	f.c.call(http.MethodGet, f.path("/settings"), nil, http.StatusOK, &before)
	proposed := before
	proposed.AutoCreateNewHires = true
	proposed.Mappings = append(slices.Clone(before.Mappings), provision.Mapping{Target: "customGroupA", Source: "const:Remote"})

	dry := f.c.trigger(f.tenant, map[string]any{"dryRun": true, "settings": proposed})
	plan := f.plan(dry.SyncID)
	if plan[n1].Action != "create" || plan[linked].Action != "link" || !slices.ContainsFunc(plan[linked].Fields, func(raw json.RawMessage) bool {
		var fc struct{ Field, To string }
		return json.Unmarshal(raw, &fc) == nil && fc.Field == "customGroupA" && fc.To == "Remote"
	}) {
		t.Errorf("preview plan %+v", plan)
	}
	var after provision.Settings
	f.c.call(http.MethodGet, f.path("/settings"), nil, http.StatusOK, &after)
	a, _ := json.Marshal(after)
	b, _ := json.Marshal(before)
	if string(a) != string(b) {
		t.Errorf("the preview saved settings:\n%s\nwas\n%s", a, b)
	}
	if ws := trinetWrites(t, f.tnBase, f.co); len(ws) != 0 {
		t.Errorf("the preview wrote to TriNet: %+v", ws)
	}
	// What the saved settings do: nobody created.
	real := f.c.trigger(f.tenant, map[string]any{})
	if f.planActions(real.SyncID)[n1] != "suggest:not_in_trinet" {
		t.Errorf("the real run used the previewed settings: %v", f.planActions(real.SyncID))
	}
	f.c.refused(http.MethodPost, f.path("/syncs"), map[string]any{"settings": proposed}, http.StatusBadRequest, "bad_request", "settings")
	bad := proposed
	bad.Mappings = append(slices.Clone(before.Mappings), provision.Mapping{Target: "customGroupB", Source: "scim.gender"})
	f.c.refused(http.MethodPost, f.path("/syncs"), map[string]any{"dryRun": true, "settings": bad}, http.StatusBadRequest, "bad_request",
		"settings.mappings["+strconv.Itoa(len(before.Mappings))+"].source")
}

// wirePerson is GET …/people/{userId}.
type wirePerson struct {
	UserID string  `json:"userId"`
	Email  *string `json:"email"`
	Name   *string `json:"name"`
	Link   *struct {
		EmployeeID *string `json:"employeeId"`
		Origin     string  `json:"origin"`
	} `json:"link"`
	Hire *struct {
		State string `json:"state"`
	} `json:"hire"`
	Latest *struct {
		SyncID string            `json:"syncId"`
		Action string            `json:"action"`
		Code   *string           `json:"code"`
		Fields []json.RawMessage `json:"fields"`
		Issues []struct {
			Code  string  `json:"code"`
			Field *string `json:"field"`
		} `json:"issues"`
	} `json:"latest"`
	History []struct {
		SyncID string  `json:"syncId"`
		Action string  `json:"action"`
		Code   *string `json:"code"`
	} `json:"history"`
}

func scenarioPerson(t *testing.T, st *Stack) {
	f := newFixture(t, st, "explain", false, true)
	f.setAutoCreate(false)
	linked := f.addPerson(true, -400)
	ana := f.addPerson(false, 2)
	broken := f.addPerson(true, -400)
	f.editLeapsome(broken, map[string]any{"departments": []map[string]any{{"name": "Nowhere"}}})
	first := f.c.trigger(f.tenant, map[string]any{})
	second := f.c.trigger(f.tenant, map[string]any{})

	// "Why wasn't Ana created?" in one call.
	var p wirePerson
	f.c.call(http.MethodGet, f.path("/people/"+ana), nil, http.StatusOK, &p)
	if p.Latest == nil || p.Latest.SyncID != second.SyncID || p.Latest.Action != "suggest" || p.Latest.Code == nil ||
		*p.Latest.Code != "not_in_trinet" || len(p.Latest.Issues) != 1 || p.Latest.Issues[0].Code != "not_in_trinet" {
		t.Errorf("Ana: %+v", p)
	}
	if len(p.History) != 2 || p.History[0].SyncID != second.SyncID || p.History[1].SyncID != first.SyncID || p.Link != nil || p.Hire != nil ||
		p.Email == nil || *p.Email != f.people[ana] {
		t.Errorf("Ana's history and identity: %+v", p)
	}
	// A linked person unchanged since the run that linked them.
	p = wirePerson{}
	f.c.call(http.MethodGet, f.path("/people/"+linked), nil, http.StatusOK, &p)
	if p.Link == nil || p.Link.EmployeeID == nil || p.Link.Origin != "email" || p.Latest == nil || p.Latest.Action != "unchanged" ||
		p.Latest.SyncID != second.SyncID || len(p.History) != 1 || p.History[0].Action != "link" || p.History[0].SyncID != first.SyncID {
		t.Errorf("linked person: %+v", p)
	}
	p = wirePerson{}
	f.c.call(http.MethodGet, f.path("/people/"+broken), nil, http.StatusOK, &p)
	if p.Latest == nil || p.Latest.Action != "error" || len(p.Latest.Issues) != 1 || p.Latest.Issues[0].Code != "department_not_found" ||
		p.Latest.Issues[0].Field == nil || *p.Latest.Issues[0].Field != "department" {
		t.Errorf("person in error: %+v", p)
	}
	f.c.refused(http.MethodGet, f.path("/people/no-such-person"), nil, http.StatusNotFound, "not_found", "")
	other := newFixture(t, st, "explain-other", false, true)
	status, _ := other.c.send(http.MethodGet, f.path("/people/"+ana), nil)
	if status != http.StatusForbidden {
		t.Errorf("another tenant's token reads a person: %d", status)
	}
}

func scenarioDrift(t *testing.T, st *Stack) {
	f := newFixture(t, st, "drift", false, true)
	p := f.addPerson(true, -400)
	same := f.addPerson(true, -300)
	if first := f.c.trigger(f.tenant, map[string]any{}); first.Counts["linked"] != 2 {
		t.Fatalf("first sync: %+v", first)
	}
	// The start date is corrected in Leapsome; TriNet's hire date is never
	// written again, so only drift tells.
	newStart := time.Now().UTC().AddDate(0, 0, -380).Format(time.DateOnly)
	oldStart := time.Now().UTC().AddDate(0, 0, -400).Format(time.DateOnly)
	f.editLeapsome(p, map[string]any{"startDate": newStart})
	writes := len(trinetWrites(t, f.tnBase, f.co))

	// The person is unchanged (drift is never written), so the plan, which
	// lists no unchanged person, does not show them; ?drift=true does.
	dry := f.c.trigger(f.tenant, map[string]any{"dryRun": true})
	if plan := f.plan(dry.SyncID); len(plan) != 0 || dry.Counts["unchanged"] != 2 {
		t.Errorf("the dry run's plan lists %+v (counts %+v), want nobody: both are unchanged", plan, dry.Counts)
	}
	drift := f.drift(dry.SyncID)
	it, ok := drift[p]
	if !ok || it.Action != "unchanged" || len(it.Drift) != 1 || it.Drift[0].Field != "hireDate" || it.Drift[0].From == nil ||
		*it.Drift[0].From != oldStart || it.Drift[0].To == nil || *it.Drift[0].To != newStart {
		t.Errorf("drift of %s: %+v (listed %t)", p, it, ok)
	}
	if d, listed := drift[same]; listed {
		t.Errorf("drift without a difference: %+v", d)
	}
	real := f.c.trigger(f.tenant, map[string]any{})
	if len(trinetWrites(t, f.tnBase, f.co)) != writes || real.Counts["updated"] != 0 {
		t.Errorf("the real run wrote the drift: %+v", real)
	}
	if d := f.drift(real.SyncID); len(d) != 0 {
		t.Errorf("a real run has drift: %+v", d)
	}
}

// drained waits until the jobs queue is empty: nothing visible, in flight
// or delayed, so that every job a tick sent has been run.
func (st *Stack) drained(t *testing.T) {
	t.Helper()
	poll(t, "the jobs queue to drain", 90*time.Second, func() bool {
		out, err := st.Infra.AWS.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(st.Infra.QueueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
		})
		if err != nil {
			t.Fatalf("queue attributes: %v", err)
		}
		for _, k := range []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible, sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed} {
			if n, _ := strconv.Atoi(out.Attributes[string(k)]); n != 0 {
				return false
			}
		}
		return true
	})
}

type wireSettings struct {
	Schedule struct {
		Interval string `json:"interval"`
		Paused   bool   `json:"paused"`
	} `json:"schedule"`
	Mappings []provision.Mapping `json:"mappings"`
}

func scenarioSchedule(t *testing.T, st *Stack) {
	ctx := context.Background()
	f := newFixture(t, st, "cadence", false, true)
	f.addPerson(true, -400)
	interval := 24 * time.Hour // the stack's SYNC_INTERVAL: each tick stands for 10 minutes
	var set wireSettings
	f.c.call(http.MethodGet, f.path("/settings"), nil, http.StatusOK, &set)
	if set.Schedule.Interval != "10m" || set.Schedule.Paused {
		t.Fatalf("default schedule %+v", set.Schedule)
	}
	f.c.call(http.MethodPut, f.path("/settings"), map[string]any{"mappings": set.Mappings, "schedule": map[string]any{"interval": "30m"}}, http.StatusOK, &set)
	if set.Schedule.Interval != "30m" {
		t.Fatalf("saved schedule %+v", set.Schedule)
	}
	// A client that knows nothing of schedules keeps it.
	f.c.call(http.MethodPut, f.path("/settings"), map[string]any{"mappings": set.Mappings}, http.StatusOK, &set)
	if set.Schedule.Interval != "30m" {
		t.Fatalf("a PUT without schedule changed it: %+v", set.Schedule)
	}
	f.c.refused(http.MethodPut, f.path("/settings"), map[string]any{"mappings": set.Mappings, "schedule": map[string]any{"interval": "15m"}},
		http.StatusBadRequest, "bad_request", "schedule.interval")

	var conn connection
	f.c.call(http.MethodGet, f.path("/connection"), nil, http.StatusOK, &conn)
	if conn.NextRunAt == nil {
		t.Fatalf("no nextRunAt: %+v", conn)
	}
	due, err := time.Parse(time.RFC3339, *conn.NextRunAt)
	if err != nil || !app.Slot(due, interval).Equal(due) || time.Until(due) > 3*interval {
		t.Fatalf("nextRunAt %s is not one of the next 3 slots: %v", *conn.NextRunAt, err)
	}
	// The scheduler queues the tenant in that slot and not in the next one.
	for _, tick := range []struct {
		at  time.Time
		ran bool
	}{{due, true}, {due.Add(interval), false}} {
		if _, err := st.Tick(ctx, tick.at); err != nil {
			t.Fatal(err)
		}
		st.drained(t)
		id := app.ScheduledSyncID(f.tenant, tick.at)
		status, raw := f.c.send(http.MethodGet, f.path("/syncs/"+id), nil)
		if ran := status == http.StatusOK; ran != tick.ran {
			t.Errorf("tick at %s: run %s answered %d %s, want a run: %v", tick.at, id, status, raw, tick.ran)
		}
	}

	// Paused: no scheduled run, no nextRunAt, and a manual trigger still runs.
	f.c.call(http.MethodPut, f.path("/settings"), map[string]any{"mappings": set.Mappings, "schedule": map[string]any{"interval": "30m", "paused": true}}, http.StatusOK, &set)
	f.c.call(http.MethodGet, f.path("/connection"), nil, http.StatusOK, &conn)
	if !set.Schedule.Paused || conn.NextRunAt != nil {
		t.Fatalf("paused: settings %+v, nextRunAt %v", set.Schedule, conn.NextRunAt)
	}
	at := due.Add(3 * interval) // due, were it not paused
	res, err := st.Tick(ctx, at)
	if err != nil || res.Paused != 1 {
		t.Fatalf("tick while paused: %+v %v", res, err)
	}
	st.drained(t)
	f.c.refused(http.MethodGet, f.path("/syncs/"+app.ScheduledSyncID(f.tenant, at)), nil, http.StatusNotFound, "not_found", "")
	manual := f.c.trigger(f.tenant, map[string]any{})
	if manual.Status != "succeeded" || manual.Trigger != "manual" {
		t.Errorf("manual run while paused: %+v", manual)
	}
}
