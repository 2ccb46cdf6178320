package app_test

import (
	"testing"
	"time"

	"trinetsync/internal/app"
	"trinetsync/internal/provision"
)

// TestRestartSettlesWhatAStopLeft: after the whole service stopped, a queued
// run's job is sent again and a running run is finished as the worker
// finishes one: failed (interrupted), counted by the tenant's back-off, its
// lease released. Finished runs, and tenants neither connected nor named,
// are left alone.
func TestRestartSettlesWhatAStopLeft(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(false)
	named, other := e.sibling(), e.sibling() // never connected
	ctx := ctxFor(t)
	st := e.svcs.Store()
	now := e.clk.Now()
	mk := func(tenant, id string, status provision.RunStatus) provision.Run {
		r := provision.Run{TenantID: tenant, SyncID: id, Trigger: provision.TriggerManual, Status: status, CreatedAt: now,
			Cursor: "c-" + id}
		if status != provision.RunQueued {
			r.StartedAt = now
		}
		if status.Final() {
			r.FinishedAt = now
		}
		if err := st.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	queued := mk(e.tenant, "manual-queued", provision.RunQueued)
	running := mk(e.tenant, "manual-running", provision.RunRunning)
	finished := mk(e.tenant, "manual-finished", provision.RunSucceeded)
	namedRun := mk(named.tenant, "manual-named", provision.RunRunning)
	otherRun := mk(other.tenant, "manual-other", provision.RunRunning)
	if held, _, err := st.AcquireLease(ctx, e.tenant, running.SyncID, "", e.cfg.LeaseTTL()); err != nil || !held {
		t.Fatalf("lease: %v %v", held, err)
	}

	got, err := e.svcs.Restart().SettleInterrupted(ctx, named.tenant)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(runs []provision.Run) map[string]bool {
		m := map[string]bool{}
		for _, r := range runs {
			m[r.SyncID] = true
		}
		return m
	}
	if req := ids(got.Requeued); len(req) != 1 || !req[queued.SyncID] {
		t.Errorf("requeued %v", req)
	}
	if in := ids(got.Interrupted); len(in) != 2 || !in[running.SyncID] || !in[namedRun.SyncID] {
		t.Errorf("interrupted %v", in)
	}

	for _, r := range []provision.Run{running, namedRun} {
		r2, err := st.Run(ctx, r.TenantID, r.SyncID)
		if err != nil {
			t.Fatal(err)
		}
		if r2.Status != provision.RunFailed || r2.Error == nil || r2.Error.Code != app.CodeInterrupted || r2.FinishedAt.IsZero() || r2.Cursor != "" {
			t.Errorf("run %s after the restart: %+v", r.SyncID, r2)
		}
	}
	if h := e.leaseHolder(); h != "" {
		t.Errorf("lease still held by %q", h)
	}
	// The back-off counted it, as it counts an abandoned run.
	if tn := e.tenantRecord(); tn.ConsecutiveFailures != 1 || tn.Backoff != nil {
		t.Errorf("tenant after one interrupted run: failures %d, back-off %+v", tn.ConsecutiveFailures, tn.Backoff)
	}
	msgs := e.receive(1, 10*time.Second)
	if j := msgs[0].job; j.SyncID != queued.SyncID || j.TenantID != e.tenant || j.Trigger != provision.TriggerManual || j.Cursor != queued.Cursor {
		t.Errorf("job sent again: %+v", j)
	}
	if r := e.run(queued.SyncID); r.Status != provision.RunQueued {
		t.Errorf("the queued run is the worker's to run: %+v", r)
	}
	if r := e.run(finished.SyncID); r.Status != provision.RunSucceeded || r.Error != nil {
		t.Errorf("a finished run changed: %+v", r)
	}
	if r, err := st.Run(ctx, other.tenant, otherRun.SyncID); err != nil || r.Status != provision.RunRunning {
		t.Errorf("a tenant neither connected nor named was settled: %+v %v", r, err)
	}
}
