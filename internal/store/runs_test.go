package store

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"sync"
	"testing"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

func newRun(tenant, id string, status provision.RunStatus) provision.Run {
	return provision.Run{TenantID: tenant, SyncID: id, Trigger: provision.TriggerSchedule, Status: status}
}

func TestCreateRunIfAbsent(t *testing.T) {
	t.Parallel()
	st, clk := newStore(t)
	ctx := ctxT(t)
	r := provision.Run{TenantID: "acme", SyncID: "s1", Trigger: provision.TriggerManual, DryRun: true, ConfirmCreates: true, Status: provision.RunQueued}
	if err := st.CreateRun(ctx, r); err != nil {
		t.Fatalf("CreateRun: %v", err)
	}
	r2 := r
	r2.Status = provision.RunRunning
	if err := st.CreateRun(ctx, r2); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("second CreateRun = %v, want conflict", err)
	}
	got, err := st.Run(ctx, "acme", "s1")
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	r.CreatedAt = clk.Now()
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("Run = %+v\nwant %+v", got, r)
	}
	if _, err := st.Run(ctx, "acme", "nope"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("absent run = %v, want not found", err)
	}
	if _, err := st.Run(ctx, "other", "s1"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("another tenant's run = %v, want not found", err)
	}
	for _, bad := range []provision.Run{
		{TenantID: "acme", Trigger: provision.TriggerManual, Status: provision.RunQueued},
		{TenantID: "acme", SyncID: "x", Trigger: "cron", Status: provision.RunQueued},
		{TenantID: "acme", SyncID: "x", Trigger: provision.TriggerManual, Status: "done"},
	} {
		if err := st.CreateRun(ctx, bad); !errors.Is(err, fault.ErrValidation) {
			t.Fatalf("CreateRun(%+v) = %v, want validation", bad, err)
		}
	}
}

func TestUpdateRunFromStatus(t *testing.T) {
	t.Parallel()
	st, clk := newStore(t)
	ctx := ctxT(t)
	r := newRun("acme", "s1", provision.RunQueued)
	if err := st.CreateRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	r, _ = st.Run(ctx, "acme", "s1")
	r.Status, r.StartedAt, r.Cursor = provision.RunRunning, clk.Now(), "page-2"
	if err := st.UpdateRun(ctx, r, provision.RunQueued); err != nil {
		t.Fatalf("queued → running: %v", err)
	}
	// A second worker still believing it is queued loses.
	if err := st.UpdateRun(ctx, r, provision.RunQueued); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("update from a wrong status = %v, want conflict", err)
	}
	r.Status, r.FinishedAt, r.Cursor = provision.RunFailed, clk.Now().Add(time.Minute), ""
	r.Counts = provision.Counts{Created: 2, Errors: 1, Warnings: 3}
	r.Error = &provision.RunError{Code: "credentials_revoked", Message: "the stored credentials were deleted"}
	if err := st.UpdateRun(ctx, r, provision.RunQueued, provision.RunRunning); err != nil {
		t.Fatalf("running → failed: %v", err)
	}
	got, err := st.Run(ctx, "acme", "s1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("Run = %+v\nwant %+v", got, r)
	}
	// Without from, any status; and the error can be cleared.
	r.Error, r.Status = nil, provision.RunSucceeded
	if err := st.UpdateRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Run(ctx, "acme", "s1"); got.Error != nil || got.Status != provision.RunSucceeded {
		t.Fatalf("after clearing: %+v", got)
	}
	if err := st.UpdateRun(ctx, newRun("acme", "absent", provision.RunRunning), provision.RunQueued); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("update of absent run = %v, want not found", err)
	}
}

func TestListRunsNewestFirstWithPaging(t *testing.T) {
	t.Parallel()
	st, clk := newStore(t)
	ctx := ctxT(t)
	for i := range 23 {
		clk.Advance(time.Minute)
		if err := st.CreateRun(ctx, newRun("acme", fmt.Sprintf("s%02d", i), provision.RunSucceeded)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CreateRun(ctx, newRun("other", "o1", provision.RunSucceeded)); err != nil {
		t.Fatal(err)
	}
	var ids []string
	var sizes []int
	token := ""
	for {
		runs, next, err := st.ListRuns(ctx, "acme", 10, token)
		if err != nil {
			t.Fatalf("ListRuns: %v", err)
		}
		sizes = append(sizes, len(runs))
		for _, r := range runs {
			ids = append(ids, r.SyncID)
		}
		if next == "" {
			break
		}
		token = next
	}
	if !reflect.DeepEqual(sizes, []int{10, 10, 3}) {
		t.Fatalf("page sizes %v", sizes)
	}
	for i, id := range ids {
		if want := fmt.Sprintf("s%02d", 22-i); id != want {
			t.Fatalf("run %d is %s, want %s (newest first)", i, id, want)
		}
	}
	for _, bad := range []string{"garbage!", "eyJsIjoicnVucyJ9"} {
		if _, _, err := st.ListRuns(ctx, "acme", 10, bad); !errors.Is(err, fault.ErrValidation) || fault.FieldOf(err) != "nextToken" {
			t.Fatalf("token %q: %v, want validation on nextToken", bad, err)
		}
	}
	_, next, _ := st.ListRuns(ctx, "acme", 5, "")
	if _, _, err := st.ListRuns(ctx, "other", 5, next); !errors.Is(err, fault.ErrValidation) {
		t.Fatalf("another tenant's token = %v, want validation", err)
	}
	if _, _, err := st.ListPlan(ctx, "acme", "s01", 5, next); !errors.Is(err, fault.ErrValidation) {
		t.Fatalf("a runs token on a plan = %v, want validation", err)
	}
}

// TestListsEndWithANullTokenOnAnExactlyFullLastPage: "Lists page with limit
// and an opaque nextToken (absent or null on the last page)". A list whose
// length is a multiple of the limit ends on a full page: that page is the
// last one and carries no token, or a client that pages until the token is
// null is sent for an empty page it cannot tell from a list that changed
// under it. An expired entry past the end of each list is no further item.
func TestListsEndWithANullTokenOnAnExactlyFullLastPage(t *testing.T) {
	t.Parallel()
	st, clk := newStore(t)
	ctx := ctxT(t)
	if err := st.CreateRun(ctx, newRun("acme", "expired", provision.RunSucceeded)); err != nil {
		t.Fatal(err)
	}
	if err := st.PutPlan(ctx, "acme", "s3", []provision.PlanItem{{UserID: "u9999", Action: provision.ActionUpdate}}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutAudit(ctx, "acme", AuditEntry{At: testStart.Add(-AuditRetention - time.Hour), Actor: "admin",
		Action: "sync_triggered", RequestID: "old"}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(DefaultRetention + time.Hour) // the three entries above have expired
	for i := range 4 {
		clk.Advance(time.Minute)
		if err := st.CreateRun(ctx, newRun("acme", fmt.Sprintf("s%d", i), provision.RunSucceeded)); err != nil {
			t.Fatal(err)
		}
		if err := st.PutAudit(ctx, "acme", AuditEntry{Actor: "admin", Action: "sync_triggered", RequestID: fmt.Sprintf("r%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.PutPlan(ctx, "acme", "s3", planItems(0, 4)); err != nil {
		t.Fatal(err)
	}
	lists := []struct {
		name string
		page func(limit int, token string) (int, string, error)
	}{
		{"runs", func(limit int, token string) (int, string, error) {
			runs, next, err := st.ListRuns(ctx, "acme", limit, token)
			return len(runs), next, err
		}},
		{"audit", func(limit int, token string) (int, string, error) {
			items, next, err := st.ListAudit(ctx, "acme", limit, token)
			return len(items), next, err
		}},
		{"plan", func(limit int, token string) (int, string, error) {
			items, next, err := st.ListPlan(ctx, "acme", "s3", limit, token)
			return len(items), next, err
		}},
	}
	for _, l := range lists {
		for _, tt := range []struct {
			limit int
			want  []int
		}{{1, []int{1, 1, 1, 1}}, {2, []int{2, 2}}, {3, []int{3, 1}}, {4, []int{4}}, {5, []int{4}}} {
			var sizes []int
			token := ""
			for range 6 {
				n, next, err := l.page(tt.limit, token)
				if err != nil {
					t.Fatalf("%s, limit %d: %v", l.name, tt.limit, err)
				}
				sizes = append(sizes, n)
				if next == "" {
					break
				}
				token = next
			}
			if !reflect.DeepEqual(sizes, tt.want) {
				t.Errorf("%s of 4 with limit %d: pages of %v, want %v, the last with a null nextToken",
					l.name, tt.limit, sizes, tt.want)
			}
		}
	}
}

func TestRunsPlansIssuesExpire(t *testing.T) {
	t.Parallel()
	st, clk := newStore(t)
	ctx := ctxT(t)
	if err := st.CreateRun(ctx, newRun("acme", "old", provision.RunSucceeded)); err != nil {
		t.Fatal(err)
	}
	if err := st.PutPlan(ctx, "acme", "old", []provision.PlanItem{{UserID: "u1", Action: provision.ActionUpdate}}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutIssues(ctx, "acme", "old", []provision.Issue{{UserID: "u1", Severity: provision.SeverityWarning, Code: "not_in_trinet"}}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(DefaultRetention - time.Hour)
	if err := st.CreateRun(ctx, newRun("acme", "new", provision.RunPartial)); err != nil {
		t.Fatal(err)
	}
	if runs, _, _ := st.ListRuns(ctx, "acme", 10, ""); len(runs) != 2 {
		t.Fatalf("before expiry: %d runs", len(runs))
	}
	clk.Advance(2 * time.Hour) // "old" is past its retention, "new" is not
	if _, err := st.Run(ctx, "acme", "old"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("expired run = %v, want not found", err)
	}
	runs, next, err := st.ListRuns(ctx, "acme", 10, "")
	if err != nil || len(runs) != 1 || runs[0].SyncID != "new" || next != "" {
		t.Fatalf("ListRuns after expiry = %+v %q %v", runs, next, err)
	}
	if plan, _, err := st.ListPlan(ctx, "acme", "old", 10, ""); err != nil || len(plan) != 0 {
		t.Fatalf("expired plan = %v %v", plan, err)
	}
	if issues, _, err := st.ListIssues(ctx, "acme", "old", 10, ""); err != nil || len(issues) != 0 {
		t.Fatalf("expired issues = %v %v", issues, err)
	}
	if r, err := st.LatestFinishedRun(ctx, "acme"); err != nil || r.SyncID != "new" {
		t.Fatalf("LatestFinishedRun = %v %v", r.SyncID, err)
	}
}

func TestLatestFinishedRun(t *testing.T) {
	t.Parallel()
	st, clk := newStore(t)
	ctx := ctxT(t)
	if _, err := st.LatestFinishedRun(ctx, "acme"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("none yet = %v, want not found", err)
	}
	at := func(m int) time.Time { return testStart.Add(time.Duration(m) * time.Minute) }
	// "manual" is created first but finishes last; a skipped run and a
	// running one come later and do not count.
	manual := provision.Run{TenantID: "acme", SyncID: "manual", Trigger: provision.TriggerManual, Status: provision.RunQueued}
	if err := st.CreateRun(ctx, manual); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	sched := newRun("acme", "sched", provision.RunRunning)
	if err := st.CreateRun(ctx, sched); err != nil {
		t.Fatal(err)
	}
	sched.Status, sched.FinishedAt = provision.RunSucceeded, at(2)
	if err := st.UpdateRun(ctx, sched, provision.RunRunning); err != nil {
		t.Fatal(err)
	}
	if r, err := st.LatestFinishedRun(ctx, "acme"); err != nil || r.SyncID != "sched" {
		t.Fatalf("LatestFinishedRun = %q %v, want sched", r.SyncID, err)
	}
	manual.Status, manual.FinishedAt = provision.RunPartial, at(5)
	if err := st.UpdateRun(ctx, manual, provision.RunQueued); err != nil {
		t.Fatal(err)
	}
	skipped := newRun("acme", "skipped", provision.RunSkipped)
	skipped.FinishedAt = at(6)
	if err := st.CreateRun(ctx, skipped); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateRun(ctx, newRun("acme", "running", provision.RunRunning)); err != nil {
		t.Fatal(err)
	}
	if r, err := st.LatestFinishedRun(ctx, "acme"); err != nil || r.SyncID != "manual" {
		t.Fatalf("LatestFinishedRun = %q %v, want manual", r.SyncID, err)
	}
}

func TestStartManualRunDeduplicates(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	manual := func(id string, dry, confirm bool) provision.Run {
		return provision.Run{TenantID: "acme", SyncID: id, Trigger: provision.TriggerManual, DryRun: dry, ConfirmCreates: confirm, Status: provision.RunQueued}
	}
	r, existing, err := st.StartManualRun(ctx, manual("m1", true, false))
	if err != nil || existing || r.SyncID != "m1" {
		t.Fatalf("first trigger = %q %v %v", r.SyncID, existing, err)
	}
	r, existing, err = st.StartManualRun(ctx, manual("m2", true, false))
	if err != nil || !existing || r.SyncID != "m1" {
		t.Fatalf("same flags = %q %v %v, want m1 again", r.SyncID, existing, err)
	}
	r, existing, err = st.StartManualRun(ctx, manual("m3", true, true))
	if err != nil || existing || r.SyncID != "m3" {
		t.Fatalf("other flags = %q %v %v, want m3", r.SyncID, existing, err)
	}
	if a, err := st.ActiveManualRun(ctx, "acme", true, false); err != nil || a.SyncID != "m1" {
		t.Fatalf("ActiveManualRun = %q %v", a.SyncID, err)
	}
	// Running still counts; finished does not.
	m1, _ := st.Run(ctx, "acme", "m1")
	m1.Status = provision.RunRunning
	if err := st.UpdateRun(ctx, m1, provision.RunQueued); err != nil {
		t.Fatal(err)
	}
	if r, existing, _ = st.StartManualRun(ctx, manual("m4", true, false)); !existing || r.SyncID != "m1" {
		t.Fatalf("while running = %q %v", r.SyncID, existing)
	}
	m1.Status = provision.RunSucceeded
	if err := st.UpdateRun(ctx, m1, provision.RunRunning); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ActiveManualRun(ctx, "acme", true, false); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("ActiveManualRun after finish = %v, want not found", err)
	}
	if r, existing, _ = st.StartManualRun(ctx, manual("m5", true, false)); existing || r.SyncID != "m5" {
		t.Fatalf("after finish = %q %v, want m5", r.SyncID, existing)
	}
	// A scheduled run never answers a trigger.
	if err := st.CreateRun(ctx, newRun("acme", "sched", provision.RunQueued)); err != nil {
		t.Fatal(err)
	}
	if r, existing, _ = st.StartManualRun(ctx, manual("m6", false, false)); existing || r.SyncID != "m6" {
		t.Fatalf("with only a scheduled run queued = %q %v", r.SyncID, existing)
	}
}

func TestStartManualRunConcurrentTriggersGetOneRun(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	const triggers = 8
	var wg sync.WaitGroup
	ids := make([]string, triggers)
	errs := make([]error, triggers)
	for i := range triggers {
		wg.Go(func() {
			r, _, err := st.StartManualRun(ctx, provision.Run{
				TenantID: "acme", SyncID: fmt.Sprintf("m%d", i), Trigger: provision.TriggerManual, Status: provision.RunQueued,
			})
			ids[i], errs[i] = r.SyncID, err
		})
	}
	wg.Wait()
	for i := range triggers {
		if errs[i] != nil {
			t.Fatalf("trigger %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("triggers got runs %v, want one", ids)
		}
	}
	runs, _, err := st.ListRuns(ctx, "acme", 100, "")
	if err != nil || len(runs) != 1 || runs[0].SyncID != ids[0] {
		t.Fatalf("runs stored: %+v %v", runs, err)
	}
}

// TestTamperedPageTokenIsTheCallersFault: a token edited by hand that still
// names the list and the tenant's partition is a 400 on nextToken, never a
// query DynamoDB refuses (which is a server-side fault).
func TestTamperedPageTokenIsTheCallersFault(t *testing.T) {
	t.Parallel()
	st, clk := newStore(t)
	ctx := ctxT(t)
	for i := range 4 {
		clk.Advance(time.Minute)
		if err := st.CreateRun(ctx, newRun("acme", fmt.Sprintf("s%02d", i), provision.RunSucceeded)); err != nil {
			t.Fatal(err)
		}
	}
	_, next, err := st.ListRuns(ctx, "acme", 2, "")
	if err != nil || next == "" {
		t.Fatalf("first page: next %q, %v", next, err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(next)
	if err != nil {
		t.Fatal(err)
	}
	var tok pageToken
	if err := json.Unmarshal(raw, &tok); err != nil {
		t.Fatal(err)
	}
	edit := func(f func(k map[string]string)) string {
		k := maps.Clone(tok.Key)
		f(k)
		b, _ := json.Marshal(pageToken{List: tok.List, Key: k})
		return base64.RawURLEncoding.EncodeToString(b)
	}
	tests := map[string]string{
		"table key dropped":      edit(func(k map[string]string) { delete(k, attrSK) }),
		"index sort key dropped": edit(func(k map[string]string) { delete(k, attrGSI1SK) }),
		"attribute added":        edit(func(k map[string]string) { k["extra"] = "x" }),
		"attribute swapped":      edit(func(k map[string]string) { delete(k, attrSK); k["extra"] = "x" }),
		"empty key value":        edit(func(k map[string]string) { k[attrSK] = "" }),
	}
	for name, token := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := st.ListRuns(ctx, "acme", 2, token)
			if !errors.Is(err, fault.ErrValidation) || fault.FieldOf(err) != "nextToken" {
				t.Fatalf("err = %v, want validation on nextToken", err)
			}
		})
	}
}
