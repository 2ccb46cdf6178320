package store

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

// meteredStore is a Store on a fresh table whose calls are metered.
func meteredStore(t *testing.T) (*Store, *Capacity) {
	t.Helper()
	c := &Capacity{}
	clk := &clock{now: testStart}
	return New(c.Client(ddb), Config{Table: newTable(t), Now: clk.Now, BatchRetryInitial: time.Millisecond}), c
}

// The meter adds up what dynalite reports, per call, and counts a write
// refused by its condition as the one unit DynamoDB bills for it.
func TestCapacityCountsWhatDynamoDBReports(t *testing.T) {
	t.Parallel()
	st, c := meteredStore(t)
	ctx := ctxT(t)
	run := newRun("acme", "s1", provision.RunQueued)
	if err := st.CreateRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	u := c.Used()
	if u.Write != 1 || u.Read != 0 || u.Calls["PutItem"] != 1 {
		t.Fatalf("one small put: %+v, want 1 write unit", u)
	}
	if err := st.CreateRun(ctx, run); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("second create = %v, want conflict", err)
	}
	if u := c.Used(); u.Write != 2 || u.Calls["PutItem"] != 2 {
		t.Fatalf("a refused conditional put: %+v, want it counted as 1 write unit", u)
	}
	c.Reset()
	if _, err := st.Run(ctx, "acme", "s1"); err != nil {
		t.Fatal(err)
	}
	if u := c.Used(); u.Read != 1 || u.Write != 0 || u.Calls["GetItem"] != 1 {
		t.Fatalf("one consistent read of a small item: %+v, want 1 read unit", u)
	}
	c.Reset()
	// 60 items of ~1.3 KB: 2 write units each, in three BatchWriteItem calls.
	items := planItems(0, 60)
	for i := range items {
		items[i].Name = fmt.Sprintf("%01200d", i)
	}
	if err := st.PutPlan(ctx, "acme", "s1", items); err != nil {
		t.Fatal(err)
	}
	if u := c.Used(); u.Write != 120 || u.Calls["BatchWriteItem"] != 3 {
		t.Fatalf("60 items of 2 units: %+v", u)
	}
}

// A run whose people are all unchanged stores no plan item: the plan lists
// the people whose action is not unchanged (counts.unchanged says how many
// were), so a steady-state run writes nothing for its people.
func TestPutPlanStoresOnlyChanges(t *testing.T) {
	t.Parallel()
	st, c := meteredStore(t)
	ctx := ctxT(t)
	steady := make([]provision.PlanItem, 1000)
	for i := range steady {
		steady[i] = provision.PlanItem{UserID: fmt.Sprintf("u%04d", i), Email: "p@example.com", Action: provision.ActionUnchanged}
	}
	if err := st.PutPlan(ctx, "acme", "steady", steady); err != nil {
		t.Fatal(err)
	}
	if u := c.Used(); u.Write != 0 || u.Calls["BatchWriteItem"] != 0 {
		t.Fatalf("1,000 unchanged people cost %+v, want no write", u)
	}
	if plan, _ := readPlan(t, st, "acme", "steady", 100); len(plan) != 0 {
		t.Fatalf("plan of a steady-state run: %+v, want empty", plan)
	}

	mixed := []provision.PlanItem{
		{UserID: "a", Action: provision.ActionUnchanged},
		{UserID: "b", Action: provision.ActionUpdate, Fields: []provision.FieldChange{{Field: "jobTitle", From: "x", To: "y"}}},
		{UserID: "c", Action: provision.ActionExcluded, Code: "missing_email"},
		{UserID: "d", Action: provision.ActionLink},
		// The last entry of a person wins, unchanged included.
		{UserID: "e", Action: provision.ActionUpdate},
		{UserID: "e", Action: provision.ActionUnchanged},
		{UserID: "f", Action: provision.ActionUnchanged},
		{UserID: "f", Action: provision.ActionError, Code: "department_not_found"},
	}
	c.Reset()
	if err := st.PutPlan(ctx, "acme", "mixed", mixed); err != nil {
		t.Fatal(err)
	}
	plan, _ := readPlan(t, st, "acme", "mixed", 100)
	var got []string
	for _, it := range plan {
		got = append(got, it.UserID+":"+string(it.Action))
	}
	if want := "[b:update c:excluded d:link f:error]"; fmt.Sprint(got) != want {
		t.Fatalf("stored plan %v, want %s", got, want)
	}
	if u := c.Used(); u.Write != 4 {
		t.Fatalf("four changes cost %v write units, want 4", u.Write)
	}
}

// A success of a tenant with no failures to clear writes nothing; one that
// clears failures or a back-off still does, and recording it again changes
// nothing.
func TestRecordRunOutcomeWritesOnlyAChange(t *testing.T) {
	t.Parallel()
	st, c := meteredStore(t)
	ctx := ctxT(t)
	connect(t, st, "acme")
	c.Reset()
	for range 3 {
		tn, err := st.RecordRunOutcome(ctx, "acme", testOutcome(false, "", testStart))
		if err != nil || tn.ConsecutiveFailures != 0 || tn.Backoff != nil {
			t.Fatalf("success: %+v, %v", tn, err)
		}
	}
	if u := c.Used(); u.Write != 0 || u.Calls["UpdateItem"] != 0 {
		t.Fatalf("three plain successes cost %+v, want no write", u)
	}
	for range 3 {
		if _, err := st.RecordRunOutcome(ctx, "acme", testOutcome(true, "upstream_unavailable", testStart)); err != nil {
			t.Fatal(err)
		}
	}
	ok := testOutcome(false, "", testStart)
	c.Reset()
	for range 2 {
		tn, err := st.RecordRunOutcome(ctx, "acme", ok)
		if err != nil || tn.ConsecutiveFailures != 0 || tn.Backoff != nil {
			t.Fatalf("success after a back-off: %+v, %v", tn, err)
		}
	}
	if u := c.Used(); u.Calls["UpdateItem"] != 1 {
		t.Fatalf("a success clearing a back-off, recorded twice: %+v, want one update", u)
	}
	read, err := st.Tenant(ctx, "acme")
	if err != nil || read.ConsecutiveFailures != 0 || read.Backoff != nil {
		t.Fatalf("stored tenant %+v, %v", read, err)
	}
	if ids, _ := st.ConnectedTenantIDs(ctx); !ids["acme"].IsZero() {
		t.Fatalf("the connected index still shows a back-off until %v", ids["acme"])
	}
}
