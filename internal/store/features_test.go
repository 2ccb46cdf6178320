package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

func scheduledOf(t *testing.T, st *Store) map[string]Scheduled {
	t.Helper()
	var mu sync.Mutex
	out := map[string]Scheduled{}
	if err := st.ConnectedTenants(ctxT(t), func(s Scheduled) error {
		mu.Lock()
		defer mu.Unlock()
		out[s.ID] = s
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestScheduleInTheConnectedIndex: the schedule saved with the settings is
// what the scheduler's listing reads, from the index alone; settings without
// one, and a disconnection, bring the default back.
func TestScheduleInTheConnectedIndex(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	for _, id := range []string{"hourly", "paused", "plain"} {
		connect(t, st, id)
	}
	set := provision.DefaultSettings(false)
	set.Schedule = &provision.Schedule{Interval: "1h"}
	if err := st.SaveSettings(ctx, "hourly", set); err != nil {
		t.Fatal(err)
	}
	set.Schedule = &provision.Schedule{Interval: "30m", Paused: true}
	if err := st.SaveSettings(ctx, "paused", set); err != nil {
		t.Fatal(err)
	}
	want := map[string]Scheduled{
		"hourly": {ID: "hourly", Every: time.Hour},
		"paused": {ID: "paused", Every: 30 * time.Minute, Paused: true},
		"plain":  {ID: "plain"},
	}
	if got := scheduledOf(t, st); !reflect.DeepEqual(got, want) {
		t.Fatalf("listed %+v, want %+v", got, want)
	}
	tn, err := st.Tenant(ctx, "paused")
	if err != nil || tn.Settings == nil || *tn.Settings.Schedule != (provision.Schedule{Interval: "30m", Paused: true}) {
		t.Fatalf("the settings keep the schedule: %+v %v", tn.Settings, err)
	}

	set.Schedule = nil
	if err := st.SaveSettings(ctx, "hourly", set); err != nil {
		t.Fatal(err)
	}
	if err := st.Disconnect(ctx, "paused"); err != nil {
		t.Fatal(err)
	}
	connect(t, st, "paused")
	want = map[string]Scheduled{"hourly": {ID: "hourly"}, "paused": {ID: "paused"}, "plain": {ID: "plain"}}
	if got := scheduledOf(t, st); !reflect.DeepEqual(got, want) {
		t.Fatalf("after settings without a schedule and a reconnect: %+v, want %+v", got, want)
	}
}

// TestCreateTableRefusesAConnectedIndexWithoutTheSchedule: a table kept from
// before the schedule existed would have the scheduler read every tenant as
// on the default schedule; CreateTable says so instead.
func TestCreateTableRefusesAConnectedIndexWithoutTheSchedule(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	def := TableDefinition(fmt.Sprintf("old-projection-%d", tableSeq.Add(1)))
	for i := range def.GlobalSecondaryIndexes {
		if aws.ToString(def.GlobalSecondaryIndexes[i].IndexName) == indexConn {
			def.GlobalSecondaryIndexes[i].Projection = &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{attrBackoffUntil}}
		}
	}
	if _, err := ddb.CreateTable(ctx, def); err != nil {
		t.Fatal(err)
	}
	if err := CreateTable(ctx, ddb, aws.ToString(def.TableName)); !errors.Is(err, fault.ErrValidation) {
		t.Fatalf("CreateTable over the old projection = %v, want validation", err)
	}
}

// TestSubsetRunsAreNotTheLatestFinishedRun: a subset run keeps what it was
// asked, and never becomes the run the errors page shows.
func TestSubsetRunsAreNotTheLatestFinishedRun(t *testing.T) {
	t.Parallel()
	st, clk := newStore(t)
	ctx := ctxT(t)
	full := newRun("acme", "full", provision.RunPartial)
	full.FinishedAt = clk.Now()
	if err := st.CreateRun(ctx, full); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	preview := provision.DefaultSettings(false)
	sub := provision.Run{TenantID: "acme", SyncID: "sub", Trigger: provision.TriggerManual, DryRun: true, Status: provision.RunQueued,
		People: []string{"u2", "u1"}, ApproveCreates: []string{"u1"}, Preview: &preview}
	if err := st.CreateRun(ctx, sub); err != nil {
		t.Fatal(err)
	}
	got, err := st.Run(ctx, "acme", "sub")
	if err != nil || !slices.Equal(got.People, sub.People) || !slices.Equal(got.ApproveCreates, sub.ApproveCreates) ||
		!reflect.DeepEqual(got.Preview, sub.Preview) || !got.Subset() {
		t.Fatalf("subset run read back %+v %v", got, err)
	}
	got.Status, got.FinishedAt = provision.RunSucceeded, clk.Now()
	if err := st.UpdateRun(ctx, got, provision.RunQueued); err != nil {
		t.Fatal(err)
	}
	failed := provision.Run{TenantID: "acme", SyncID: "failed-only", Trigger: provision.TriggerManual, Status: provision.RunSucceeded,
		OnlyFailed: true, FailedOf: "full", FinishedAt: clk.Now()}
	if err := st.CreateRun(ctx, failed); err != nil {
		t.Fatal(err)
	}
	if r, err := st.LatestFinishedRun(ctx, "acme"); err != nil || r.SyncID != "full" {
		t.Fatalf("LatestFinishedRun = %q %v, want the full run", r.SyncID, err)
	}
	if r, err := st.Run(ctx, "acme", "failed-only"); err != nil || !r.OnlyFailed || r.FailedOf != "full" {
		t.Fatalf("onlyFailed run read back %+v %v", r, err)
	}
}

// TestStartManualRunDeduplicatesByRequest: a trigger that names people,
// approvals or a preview merges only into the run of the same request (in any
// order), never into a plain run or another request's run.
func TestStartManualRunDeduplicatesByRequest(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	seq := 0
	start := func(edit func(r *provision.Run)) (string, bool) {
		t.Helper()
		seq++
		r := provision.Run{TenantID: "acme", SyncID: fmt.Sprintf("m%d", seq), Trigger: provision.TriggerManual, Status: provision.RunQueued}
		edit(&r)
		got, existing, err := st.StartManualRun(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		return got.SyncID, existing
	}
	plain, _ := start(func(*provision.Run) {})
	ab, existing := start(func(r *provision.Run) { r.People = []string{"a", "b"} })
	if existing || ab == plain {
		t.Fatalf("a subset trigger merged into the plain run %s", plain)
	}
	if id, existing := start(func(r *provision.Run) { r.People = []string{"b", "a", "b"} }); !existing || id != ab {
		t.Fatalf("the same people in another order = %s %v, want %s", id, existing, ab)
	}
	others := map[string]func(r *provision.Run){
		"other people":               func(r *provision.Run) { r.People = []string{"a", "c"} },
		"same people, approval":      func(r *provision.Run) { r.People, r.ApproveCreates = []string{"a", "b"}, []string{"a"} },
		"approval alone":             func(r *provision.Run) { r.ApproveCreates = []string{"a"} },
		"only failed":                func(r *provision.Run) { r.OnlyFailed, r.FailedOf = true, "s1" },
		"only failed of another run": func(r *provision.Run) { r.OnlyFailed, r.FailedOf = true, "s2" },
	}
	seen := map[string]string{plain: "plain", ab: "a, b"}
	for name, edit := range others {
		id, existing := start(edit)
		if existing || seen[id] != "" {
			t.Fatalf("%s merged into %s's run", name, seen[id])
		}
		seen[id] = name
	}
	dry := provision.DefaultSettings(false)
	p1, _ := start(func(r *provision.Run) { r.DryRun, r.Preview = true, &dry })
	other := dry
	other.AutoCreateNewHires = true
	if id, existing := start(func(r *provision.Run) { r.DryRun, r.Preview = true, &other }); existing || id == p1 {
		t.Fatalf("another preview merged into %s", p1)
	}
	if id, existing := start(func(r *provision.Run) { r.DryRun, r.Preview = true, &dry }); !existing || id != p1 {
		t.Fatalf("the same preview = %s %v, want %s", id, existing, p1)
	}
	// The guard of a request expires with its run.
	out, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: st.table, Key: key(tenantPK("acme"), func() string {
		sk, _ := manualGuardOf(provision.Run{People: []string{"a", "b"}})
		return sk
	}())})
	if err != nil || ttlOf(out.Item) == 0 {
		t.Fatalf("request guard %v %v, want one with expiresAt", out.Item, err)
	}
}

// TestPersonIndex: a run's plan entries (not a dry run's, not unchanged
// people's) are found by person, newest first, with the entry and the
// person's issues in the run; an id that extends another's is not mixed in.
func TestPersonIndex(t *testing.T) {
	t.Parallel()
	st, clk := newStore(t)
	ctx := context.Background()
	item := func(user string, a provision.Action, code string) provision.PlanItem {
		return provision.PlanItem{UserID: user, Email: user + "@example.com", Name: "Name " + user, Action: a, Code: code,
			Fields: []provision.FieldChange{{Field: "jobTitle", From: "a", To: "b"}}}
	}
	var runs []provision.Run
	for i := range 25 {
		r := provision.Run{TenantID: "acme", SyncID: fmt.Sprintf("s%02d", i), Trigger: provision.TriggerSchedule, StartedAt: clk.Now()}
		r.DryRun = i == 24
		items := []provision.PlanItem{item("u1", provision.ActionUpdate, ""), item("u1#x", provision.ActionError, "duplicate_email")}
		if i%2 == 1 {
			items[0] = item("u1", provision.ActionUnchanged, "")
		}
		if err := st.IndexPeople(ctx, r, items); err != nil {
			t.Fatal(err)
		}
		if err := st.PutPlan(ctx, "acme", r.SyncID, items); err != nil {
			t.Fatal(err)
		}
		if err := st.PutIssues(ctx, "acme", r.SyncID, []provision.Issue{
			{UserID: "u1", Severity: provision.SeverityWarning, Code: "relinked", Message: "m"},
			{UserID: "u1#x", Severity: provision.SeverityError, Code: "duplicate_email", Message: "m"},
		}); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
		clk.Advance(10 * time.Minute)
	}
	hist, err := st.PersonHistory(ctx, "acme", "u1", 20)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range hist {
		ids = append(ids, h.SyncID)
		if h.Action != provision.ActionUpdate || h.Email != "u1@example.com" || h.Name != "Name u1" || h.DryRun != (h.SyncID == "s24") {
			t.Fatalf("history entry %+v", h)
		}
	}
	// Even runs 0..24 planned u1 (13 of them); run 24 was a dry run, indexed
	// and marked dry.
	want := []string{"s24", "s22", "s20", "s18", "s16", "s14", "s12", "s10", "s08", "s06", "s04", "s02", "s00"}
	if !slices.Equal(ids, want) || !hist[0].At.Equal(runs[24].StartedAt) {
		t.Fatalf("history %v (%v), want %v", ids, hist[0].At, want)
	}
	if h, _ := st.PersonHistory(ctx, "acme", "u1", 3); len(h) != 3 || h[2].SyncID != "s20" {
		t.Fatalf("limit 3: %+v", h)
	}
	if r, err := st.NewestRealPersonRun(ctx, "acme", "u1"); err != nil || r.SyncID != "s22" || r.DryRun {
		t.Fatalf("newest real run of u1: %+v %v, want s22", r, err)
	}
	// More dry runs than a page of the index after a real one: the real one
	// is still found; a person only dry runs planned has none.
	real := provision.Run{TenantID: "acme", SyncID: "real", Trigger: provision.TriggerSchedule, StartedAt: clk.Now()}
	if err := st.IndexPeople(ctx, real, []provision.PlanItem{item("u3", provision.ActionError, "unsupported_gender")}); err != nil {
		t.Fatal(err)
	}
	for i := range 105 {
		clk.Advance(time.Minute)
		dry := provision.Run{TenantID: "acme", SyncID: fmt.Sprintf("dry%03d", i), DryRun: true, StartedAt: clk.Now()}
		if err := st.IndexPeople(ctx, dry, []provision.PlanItem{item("u3", provision.ActionUpdate, ""), item("u4", provision.ActionSuggest, "not_in_trinet")}); err != nil {
			t.Fatal(err)
		}
	}
	if r, err := st.NewestRealPersonRun(ctx, "acme", "u3"); err != nil || r.SyncID != "real" || r.Action != provision.ActionError {
		t.Fatalf("newest real run of u3 behind 105 dry ones: %+v %v, want real", r, err)
	}
	if r, err := st.NewestRealPersonRun(ctx, "acme", "u4"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("newest real run of u4 (dry runs only): %+v %v, want not found", r, err)
	}
	if h, _ := st.PersonHistory(ctx, "acme", "u4", 20); len(h) != 20 || h[0].SyncID != "dry104" || !h[0].DryRun {
		t.Fatalf("history of u4: %d entries, newest %+v", len(h), h)
	}
	p, err := st.PlanEntry(ctx, "acme", "s22", "u1")
	if err != nil || p.Action != provision.ActionUpdate || len(p.Fields) != 1 {
		t.Fatalf("plan entry %+v %v", p, err)
	}
	if _, err := st.PlanEntry(ctx, "acme", "s22", "u2"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("no entry = %v, want not found", err)
	}
	is, err := st.PersonIssues(ctx, "acme", "s22", "u1")
	if err != nil || len(is) != 1 || is[0].Code != "relinked" {
		t.Fatalf("issues of u1 %+v %v (u1#x's must not be among them)", is, err)
	}
	if h, _ := st.PersonHistory(ctx, "other", "u1", 20); len(h) != 0 {
		t.Fatalf("another tenant sees %+v", h)
	}
	// Entries expire with the runs.
	clk.Advance(DefaultRetention)
	if h, _ := st.PersonHistory(ctx, "acme", "u1", 20); len(h) != 0 {
		t.Fatalf("expired history %+v", h)
	}
}

// TestLatestAppliedRun: the person page's "unchanged since" run is the last
// full run that applied a plan: not a dry, failed or subset run.
func TestLatestAppliedRun(t *testing.T) {
	t.Parallel()
	st, clk := newStore(t)
	ctx := ctxT(t)
	if _, err := st.LatestAppliedRun(ctx, "acme"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("none = %v", err)
	}
	finish := func(r provision.Run) {
		t.Helper()
		clk.Advance(time.Minute)
		r.FinishedAt = clk.Now()
		if err := st.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	finish(newRun("acme", "applied", provision.RunPartial))
	dry := newRun("acme", "dry", provision.RunSucceeded)
	dry.DryRun = true
	finish(dry)
	finish(newRun("acme", "failed", provision.RunFailed))
	sub := newRun("acme", "subset", provision.RunSucceeded)
	sub.People = []string{"u1"}
	finish(sub)
	if r, err := st.LatestAppliedRun(ctx, "acme"); err != nil || r.SyncID != "applied" {
		t.Fatalf("LatestAppliedRun = %q %v, want applied", r.SyncID, err)
	}
}

// TestDriftIsStoredApartWithoutSensitiveValues: the plan lists only people
// whose action is not unchanged, so an unchanged person's drift is stored
// apart (the drift listing), as is the drift of a person the plan lists,
// which keeps its drift there too; a sensitive target's drift is stored
// without values, whatever it was given. The two lists page apart: a token
// of one is refused by the other.
func TestDriftIsStoredApartWithoutSensitiveValues(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	drift := []provision.FieldChange{{Field: "hireDate", From: "2024-01-01", To: "2024-02-01"}, {Field: "ssn", From: "123456789", To: "987654321", Sensitive: true}}
	want := []provision.FieldChange{{Field: "hireDate", From: "2024-01-01", To: "2024-02-01"}, {Field: "ssn", Sensitive: true}}
	update := []provision.FieldChange{{Field: "jobTitle", From: "Dev", To: "Lead"}}
	err := st.PutPlan(ctx, "acme", "s1", []provision.PlanItem{
		{UserID: "u1", Action: provision.ActionUnchanged, Fields: []provision.FieldChange{}, Drift: drift},
		{UserID: "u2", Action: provision.ActionUpdate, Fields: update, Drift: drift},
		{UserID: "u3", Action: provision.ActionUpdate, Fields: update},
		{UserID: "u4", Action: provision.ActionUnchanged, Fields: []provision.FieldChange{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	plan, next, err := st.ListPlan(ctx, "acme", "s1", 10, "")
	if err != nil || next != "" || len(plan) != 2 || plan[0].UserID != "u2" || plan[1].UserID != "u3" {
		t.Fatalf("plan %+v %q %v, want u2 and u3 (no unchanged person)", plan, next, err)
	}
	if !slices.Equal(plan[0].Drift, want) || plan[1].Drift != nil {
		t.Fatalf("plan drift %+v / %+v, want %+v on u2 only", plan[0].Drift, plan[1].Drift, want)
	}
	drifted, next, err := st.ListDrift(ctx, "acme", "s1", 10, "")
	if err != nil || next != "" || len(drifted) != 2 {
		t.Fatalf("drift %+v %q %v, want u1 and u2", drifted, next, err)
	}
	for i, w := range []struct {
		user   string
		action provision.Action
	}{{"u1", provision.ActionUnchanged}, {"u2", provision.ActionUpdate}} {
		if it := drifted[i]; it.UserID != w.user || it.Action != w.action || !slices.Equal(it.Drift, want) || it.Fields == nil {
			t.Fatalf("drift entry %d: %+v, want %s %s with %+v", i, it, w.user, w.action, want)
		}
	}
	_, planToken, err := st.ListPlan(ctx, "acme", "s1", 1, "")
	if err != nil || planToken == "" {
		t.Fatalf("plan page of 1: %q %v", planToken, err)
	}
	if _, _, err := st.ListDrift(ctx, "acme", "s1", 1, planToken); !errors.Is(err, fault.ErrValidation) {
		t.Fatalf("a plan token on the drift list = %v, want validation", err)
	}
}
