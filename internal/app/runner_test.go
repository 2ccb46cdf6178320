package app_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"trinetsync/internal/api"
	"trinetsync/internal/app"
	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
	leapsomesandbox "trinetsync/internal/sandbox/leapsome"
	"trinetsync/internal/secrets"
	"trinetsync/internal/store"
)

// actions is how many people a run's counts account for (each counts one action).
func actions(c provision.Counts) int {
	return c.Created + c.Updated + c.Linked + c.Unchanged + c.Suggested + c.Pending + c.Held + c.Errors + c.Excluded
}

func wantRunError(t *testing.T, r provision.Run, status provision.RunStatus, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("run %s is %s (error %+v), want %s", r.SyncID, r.Status, r.Error, status)
	}
	switch {
	case code == "" && r.Error != nil:
		t.Fatalf("run %s has error %+v, want none", r.SyncID, r.Error)
	case code != "" && (r.Error == nil || r.Error.Code != code):
		t.Fatalf("run %s has error %+v, want code %s", r.SyncID, r.Error, code)
	}
}

func (e *env) leaseHolder() string {
	e.t.Helper()
	h, _, err := e.svcs.Store().Lease(ctxFor(e.t), e.tenant)
	if err != nil {
		e.t.Fatalf("read lease: %v", err)
	}
	return h
}

func (e *env) resetCalls() {
	inf.TriNet.ResetCounters(e.company)
	inf.Leapsome.ResetCalls(e.lsTenant)
}

// assertNoUpstreamCalls fails if either sandbox saw a call since resetCalls.
func (e *env) assertNoUpstreamCalls() {
	e.t.Helper()
	if c := inf.TriNet.Calls(e.company); len(c) > 0 {
		e.t.Fatalf("TriNet was called: %v", c)
	}
	if c := inf.Leapsome.Calls(e.lsTenant); len(c) > 0 {
		e.t.Fatalf("Leapsome was called: %v", c)
	}
}

func TestRunnerFirstDeliveryCreatesAndRunsTheRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		people []person
		want   provision.RunStatus
	}{
		{"person in error makes it partial", defaultPeople(), provision.RunPartial},
		{"no errors", cleanPeople(), provision.RunSucceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, withPeople(tc.people))
			e.connect(true)
			start := e.clk.Now()
			out := e.runner.Handle(ctxFor(t), e.job("sched-1", provision.TriggerSchedule, false), 1)
			if out.Retry {
				t.Fatalf("outcome %+v, want done", out)
			}
			r := e.run("sched-1")
			wantRunError(t, r, tc.want, "")
			if r.Trigger != provision.TriggerSchedule || r.DryRun {
				t.Errorf("trigger %s dryRun %t", r.Trigger, r.DryRun)
			}
			if !r.StartedAt.Equal(start) || !r.FinishedAt.Equal(start) || !r.CreatedAt.Equal(start) {
				t.Errorf("times created %s started %s finished %s, want %s", r.CreatedAt, r.StartedAt, r.FinishedAt, start)
			}
			if r.Counts.Created != 1 || r.Counts.Linked != len(tc.people)-1 || actions(r.Counts) != len(tc.people) {
				t.Errorf("counts %+v", r.Counts)
			}
			if r.Cursor != "" {
				t.Errorf("finished run keeps cursor %q", r.Cursor)
			}
			if h := e.leaseHolder(); h != "" {
				t.Errorf("lease still held by %s", h)
			}
			if len(e.trinetWrites()) == 0 {
				t.Error("nothing was written to TriNet")
			}
			if tn := e.tenantRecord(); tn.ConsecutiveFailures != 0 || tn.Backoff != nil {
				t.Errorf("tenant failures %d backoff %+v", tn.ConsecutiveFailures, tn.Backoff)
			}
		})
	}
}

func TestRunnerDropsADuplicateOfAFinishedRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(true)
	ctx := ctxFor(t)
	job := e.job("sched-dup", provision.TriggerSchedule, false)
	if out := e.runner.Handle(ctx, job, 1); out.Retry {
		t.Fatalf("first delivery: %+v", out)
	}
	before := e.run("sched-dup")
	e.resetCalls()
	e.clk.Advance(time.Minute)
	if out := e.runner.Handle(ctx, job, 2); out.Retry {
		t.Fatalf("duplicate: %+v, want dropped", out)
	}
	e.assertNoUpstreamCalls()
	after := e.run("sched-dup")
	if !after.FinishedAt.Equal(before.FinishedAt) || after.Status != before.Status || after.Counts != before.Counts {
		t.Fatalf("duplicate changed the run: before %+v after %+v", before, after)
	}
}

func TestRunnerRetriesWhileTheSameRunHoldsTheLease(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(true)
	ctx := ctxFor(t)
	job := e.job("manual-same", provision.TriggerManual, false)
	// Another delivery of this run is at work: it holds the lease.
	if held, _, err := e.svcs.Store().AcquireLease(ctx, e.tenant, job.SyncID, "", e.cfg.LeaseTTL()); err != nil || !held {
		t.Fatalf("take lease: %t %v", held, err)
	}
	e.resetCalls()
	out := e.runner.Handle(ctx, job, 2)
	if !out.Retry || out.Delay <= 0 {
		t.Fatalf("outcome %+v, want a retry later", out)
	}
	e.assertNoUpstreamCalls()
	if r := e.run(job.SyncID); r.Status != provision.RunQueued {
		t.Fatalf("run is %s, want still queued", r.Status)
	}
	if h := e.leaseHolder(); h != job.SyncID {
		t.Fatalf("lease holder %q", h)
	}
}

func TestRunnerRunsConcurrentDeliveriesOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(true)
	ctx := ctxFor(t)
	job := e.job("manual-twice", provision.TriggerManual, false)
	var wg sync.WaitGroup
	outs := make([]app.Outcome, 3)
	for i := range outs {
		wg.Add(1)
		go func() { defer wg.Done(); outs[i] = e.runner.Handle(ctx, job, 1) }()
	}
	wg.Wait()
	hires := 0
	for _, w := range e.trinetWrites() {
		if w.Endpoint == "hire" {
			hires++
		}
	}
	if hires != 1 {
		t.Fatalf("%d hire POSTs for one run delivered three times, want 1 (outcomes %+v)", hires, outs)
	}
	r := e.run(job.SyncID)
	wantRunError(t, r, provision.RunPartial, "")
	if actions(r.Counts) != len(e.people) {
		t.Fatalf("counts %+v cover %d people, want %d", r.Counts, actions(r.Counts), len(e.people))
	}
}

func TestRunnerWhenAnotherRunHoldsTheLease(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		trigger    provision.Trigger
		attempt    int
		wantStatus provision.RunStatus
	}{
		{"scheduled run is skipped", provision.TriggerSchedule, 1, provision.RunSkipped},
		{"manual run waits in a fresh message", provision.TriggerManual, 1, provision.RunQueued},
		// A returned message would reach the dead-letter queue after
		// maxReceiveCount receives; a fresh copy never does.
		{"manual run on its last receive still waits", provision.TriggerManual, 5, provision.RunQueued},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.connect(true)
			ctx := ctxFor(t)
			if held, _, err := e.svcs.Store().AcquireLease(ctx, e.tenant, "other-run", "", e.cfg.LeaseTTL()); err != nil || !held {
				t.Fatalf("take lease: %t %v", held, err)
			}
			e.resetCalls()
			job := e.job("run-"+string(tc.trigger), tc.trigger, false)
			if out := e.runner.Handle(ctx, job, tc.attempt); out.Retry {
				t.Fatalf("outcome %+v: the message should be done with", out)
			}
			e.assertNoUpstreamCalls()
			r := e.run(job.SyncID)
			wantRunError(t, r, tc.wantStatus, "")
			if h := e.leaseHolder(); h != "other-run" {
				t.Errorf("lease holder %q, want other-run", h)
			}
			// A skipped run does not count against the tenant.
			if tn := e.tenantRecord(); tn.ConsecutiveFailures != 0 {
				t.Errorf("tenant failures %d", tn.ConsecutiveFailures)
			}
			if tc.trigger != provision.TriggerManual {
				if n := e.queueDepth(); n != 0 {
					t.Errorf("%d messages queued for a skipped run", n)
				}
				return
			}
			// The copy arrives a few seconds later; once the other run is done,
			// the manual run goes ahead.
			copies := e.receive(1, 20*time.Second)
			if copies[0].job != job {
				t.Fatalf("re-sent job %+v, want %+v", copies[0].job, job)
			}
			if err := e.svcs.Store().ReleaseLease(ctx, e.tenant, "other-run"); err != nil {
				t.Fatal(err)
			}
			if out := e.runner.Handle(ctx, copies[0].job, 1); out.Retry {
				t.Fatalf("after release: %+v", out)
			}
			wantRunError(t, e.run(job.SyncID), provision.RunPartial, "")
		})
	}
}

func TestRunnerAbandonsStuckRuns(t *testing.T) {
	t.Parallel()
	t.Run("queued run found by the worker", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.connect(true)
		ctx := ctxFor(t)
		run, err := e.svc.Trigger(ctx, e.tenant, api.TriggerRequest{})
		if err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(e.cfg.AbandonAfter() + time.Second)
		e.resetCalls()
		out := e.runner.Handle(ctx, e.job(run.SyncID, provision.TriggerManual, false), 5)
		if out.Retry {
			t.Fatalf("outcome %+v", out)
		}
		e.assertNoUpstreamCalls()
		wantRunError(t, e.run(run.SyncID), provision.RunFailed, app.CodeAbandoned)
	})
	t.Run("queued run found by API reads", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.connect(true)
		ctx := ctxFor(t)
		run, err := e.svc.Trigger(ctx, e.tenant, api.TriggerRequest{})
		if err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(e.cfg.AbandonAfter())
		if got, err := e.svc.Run(ctx, e.tenant, run.SyncID); err != nil || got.Status != provision.RunQueued {
			t.Fatalf("at the limit: %+v %v, want still queued", got, err)
		}
		e.clk.Advance(time.Second)
		conn, err := e.svc.Connection(ctx, e.tenant)
		if err != nil {
			t.Fatal(err)
		}
		if conn.LastRun == nil {
			t.Fatal("no last run")
		}
		wantRunError(t, *conn.LastRun, provision.RunFailed, app.CodeAbandoned)
		wantRunError(t, e.run(run.SyncID), provision.RunFailed, app.CodeAbandoned)
		runs, _, err := e.svc.Runs(ctx, e.tenant, api.Page{Limit: 10})
		if err != nil || len(runs) != 1 {
			t.Fatalf("runs %+v %v", runs, err)
		}
		wantRunError(t, runs[0], provision.RunFailed, app.CodeAbandoned)
		// Settled by a read or by the worker, an abandoned run counts the same.
		if tn := e.tenantRecord(); tn.ConsecutiveFailures != 1 {
			t.Fatalf("tenant failures after an abandoned run = %d, want 1", tn.ConsecutiveFailures)
		}
		// Its message, delivered late, is dropped; a new trigger makes a new run.
		e.resetCalls()
		if out := e.runner.Handle(ctx, e.job(run.SyncID, provision.TriggerManual, false), 1); out.Retry {
			t.Fatalf("late delivery: %+v", out)
		}
		e.assertNoUpstreamCalls()
		next, err := e.svc.Trigger(ctx, e.tenant, api.TriggerRequest{})
		if err != nil || next.SyncID == run.SyncID {
			t.Fatalf("trigger after abandonment: %+v %v", next, err)
		}
	})
	t.Run("running run found by an API read gives up its lease", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.connect(true)
		ctx := ctxFor(t)
		app.SetSafety(e.runner, time.Hour)
		short, cancel := context.WithTimeout(ctx, time.Hour)
		defer cancel()
		job := e.job("sched-read-stuck", provision.TriggerSchedule, false)
		if out := e.runner.Handle(short, job, 1); out.Retry {
			t.Fatalf("first invocation: %+v", out)
		}
		if h := e.leaseHolder(); h != job.SyncID {
			t.Fatalf("lease holder %q after a checkpoint, want %s", h, job.SyncID)
		}
		// The continuation is lost and the lease would stay handed off to it.
		e.clk.Advance(e.cfg.LeaseTTL() + e.cfg.AbandonAfter() + time.Second)
		got, err := e.svc.Run(ctx, e.tenant, job.SyncID)
		if err != nil {
			t.Fatal(err)
		}
		wantRunError(t, got, provision.RunFailed, app.CodeAbandoned)
		if h := e.leaseHolder(); h != "" {
			t.Fatalf("lease holder %q after the read settled the run, want none", h)
		}
		if tn := e.tenantRecord(); tn.ConsecutiveFailures != 1 {
			t.Fatalf("tenant failures = %d, want 1", tn.ConsecutiveFailures)
		}
	})
	t.Run("running run whose lease expired", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.connect(true)
		ctx := ctxFor(t)
		app.SetSafety(e.runner, time.Hour)
		short, cancel := context.WithTimeout(ctx, time.Hour)
		defer cancel()
		job := e.job("sched-stuck", provision.TriggerSchedule, false)
		if out := e.runner.Handle(short, job, 1); out.Retry {
			t.Fatalf("first invocation: %+v", out)
		}
		r := e.run(job.SyncID)
		if r.Status != provision.RunRunning || r.Cursor == "" {
			t.Fatalf("after first invocation: %+v, want running with a cursor", r)
		}
		// The continuation is lost; the lease expires; the run sits.
		e.clk.Advance(e.cfg.LeaseTTL() + e.cfg.AbandonAfter())
		if got, err := e.svc.Run(ctx, e.tenant, job.SyncID); err != nil || got.Status != provision.RunRunning {
			t.Fatalf("at the limit: %+v %v, want still running", got, err)
		}
		e.clk.Advance(time.Second)
		e.resetCalls()
		if out := e.runner.Handle(ctx, job, 2); out.Retry {
			t.Fatalf("redelivery: %+v", out)
		}
		e.assertNoUpstreamCalls()
		r = e.run(job.SyncID)
		wantRunError(t, r, provision.RunFailed, app.CodeAbandoned)
		if r.Cursor != "" {
			t.Errorf("abandoned run keeps its cursor")
		}
	})
}

func TestRunnerTenantNotConnected(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		prepare func(e *env)
	}{
		{"never connected", func(*env) {}},
		{"disconnected", func(e *env) {
			e.connect(true)
			if err := e.svc.Disconnect(ctxFor(e.t), e.tenant); err != nil {
				e.t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			tc.prepare(e)
			e.resetCalls()
			if out := e.runner.Handle(ctxFor(t), e.job("sched-nc", provision.TriggerSchedule, false), 1); out.Retry {
				t.Fatalf("outcome %+v", out)
			}
			wantRunError(t, e.run("sched-nc"), provision.RunFailed, app.CodeNotConnected)
			e.assertNoUpstreamCalls()
			tn := e.tenantRecord()
			if tn.Status != store.NotConnected || tn.ConsecutiveFailures != 0 || !tn.RevokedAt.IsZero() {
				t.Fatalf("tenant %+v, want untouched and not connected", tn)
			}
			if h := e.leaseHolder(); h != "" {
				t.Fatalf("lease still held by %s", h)
			}
		})
	}
}

func TestRunnerSecretDeletedRevokesTheTenant(t *testing.T) {
	t.Parallel()
	for _, dry := range []bool{false, true} {
		name := map[bool]string{false: "real run", true: "dry run"}[dry]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.connect(true)
			ctx := ctxFor(t)
			connectedAt := e.tenantRecord().ConnectedAt
			if err := os.Remove(e.secretFile()); err != nil {
				t.Fatalf("delete the secret's file: %v", err)
			}
			e.clk.Advance(time.Minute)
			e.resetCalls()
			job := e.job("sched-revoked", provision.TriggerSchedule, dry)
			if out := e.runner.Handle(ctx, job, 1); out.Retry {
				t.Fatalf("outcome %+v", out)
			}
			e.assertNoUpstreamCalls()
			wantRunError(t, e.run(job.SyncID), provision.RunFailed, app.CodeCredentialsRevoked)
			tn := e.tenantRecord()
			if tn.Status != store.Revoked || !tn.RevokedAt.Equal(e.clk.Now()) || !tn.ConnectedAt.Equal(connectedAt) {
				t.Fatalf("tenant %+v, want revoked now", tn)
			}
			conn, err := e.svc.Connection(ctx, e.tenant)
			if err != nil || conn.Status != api.StatusRevoked || !conn.NextRunAt.IsZero() {
				t.Fatalf("connection %+v %v", conn, err)
			}
			if _, err := e.svc.Trigger(ctx, e.tenant, api.TriggerRequest{}); !errors.Is(err, api.ErrNotConnected) {
				t.Fatalf("trigger on a revoked tenant: %v", err)
			}
			res, err := e.svcs.Scheduler().Tick(ctx, e.clk.Now())
			if err != nil || res.Enqueued != 0 {
				t.Fatalf("scheduler enqueued %d (%v), want nothing for a revoked tenant", res.Enqueued, err)
			}
			if d := e.queueDepth(); d != 0 {
				t.Fatalf("%d messages in the queue", d)
			}
			// Reconnecting restores the tenant.
			if conn, err := e.svc.Connect(ctx, e.tenant, e.creds); err != nil || conn.Status != api.StatusConnected || !conn.RevokedAt.IsZero() {
				t.Fatalf("reconnect: %+v %v", conn, err)
			}
		})
	}
}

// reconnectingReader is the worker's view of the secret when the tenant is
// reconnected between the run's read of the tenant and of its secret: the
// secret it read was gone, but a new connection exists by the time the run
// marks the tenant.
type reconnectingReader struct{ e *env }

func (r reconnectingReader) Get(ctx context.Context, tenantID string) (secrets.Credentials, error) {
	r.e.clk.Advance(time.Minute)
	if _, err := r.e.svc.Connect(ctx, tenantID, r.e.creds); err != nil {
		r.e.t.Errorf("reconnect: %v", err)
	}
	return secrets.Credentials{}, fault.New(fault.CredentialsRevoked, "credentials of tenant %s are gone", tenantID)
}

func TestRunnerRevocationDoesNotUndoAReconnect(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(true)
	runner := app.NewRunner(e.cfg, e.svcs.Store(), reconnectingReader{e}, e.svcs.Publisher(), e.svcs.Clients(), e.svcs.Engine(), e.clk.Now, e.log)
	if out := runner.Handle(ctxFor(t), e.job("sched-race", provision.TriggerSchedule, false), 1); out.Retry {
		t.Fatalf("outcome %+v", out)
	}
	wantRunError(t, e.run("sched-race"), provision.RunFailed, app.CodeCredentialsRevoked)
	tn := e.tenantRecord()
	if tn.Status != store.Connected || !tn.RevokedAt.IsZero() || !tn.ConnectedAt.Equal(e.clk.Now()) {
		t.Fatalf("tenant %+v, want the new connection kept", tn)
	}
}

func TestRunnerDryRunWritesNothingButRecordsThePlan(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(true)
	ctx := ctxFor(t)
	run, err := e.svc.Trigger(ctx, e.tenant, api.TriggerRequest{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if out := e.runner.Handle(ctx, e.job(run.SyncID, provision.TriggerManual, true), 1); out.Retry {
		t.Fatalf("outcome %+v", out)
	}
	r := e.run(run.SyncID)
	wantRunError(t, r, provision.RunPartial, "")
	if !r.DryRun || r.Counts.Created != 1 || r.Counts.Linked != 3 {
		t.Fatalf("run %+v", r)
	}
	if w := e.trinetWrites(); len(w) != 0 {
		t.Fatalf("a dry run wrote to TriNet: %+v", w)
	}
	if links, err := e.svcs.Store().Links(ctx, e.tenant, e.company); err != nil || len(links) != 0 {
		t.Fatalf("links %+v %v, want none", links, err)
	}
	if hires, err := e.svcs.Store().Hires(ctx, e.tenant, e.company); err != nil || len(hires) != 0 {
		t.Fatalf("hire ledger %+v %v, want empty", hires, err)
	}
	plan, _, err := e.svc.Plan(ctx, e.tenant, run.SyncID, api.Page{Limit: 100})
	if err != nil || len(plan) != len(e.people) {
		t.Fatalf("plan %+v %v", plan, err)
	}
	byAction := map[provision.Action]int{}
	for _, it := range plan {
		byAction[it.Action]++
	}
	if byAction[provision.ActionCreate] != 1 || byAction[provision.ActionLink] != 3 {
		t.Fatalf("plan actions %v", byAction)
	}
	issues, err := e.svc.Issues(ctx, e.tenant, "", api.Page{Limit: 100})
	if err != nil || issues.SyncID != run.SyncID || len(issues.Items) != 1 || issues.Items[0].Code != "department_not_found" {
		t.Fatalf("issues %+v %v", issues, err)
	}
	e.assertNoSecretsIn("plan", plan)

	// A failed dry run leaves the back-off alone.
	e.trinetDown()
	for i := range 3 {
		job := e.job("dry-fail-"+string(rune('a'+i)), provision.TriggerManual, true)
		if out := e.runner.Handle(ctx, job, e.cfg.MaxReceiveCount); !out.Retry {
			t.Fatalf("outcome %+v, want the message returned for the dead-letter queue", out)
		}
		wantRunError(t, e.run(job.SyncID), provision.RunFailed, app.CodeUpstream)
	}
	if tn := e.tenantRecord(); tn.ConsecutiveFailures != 0 || tn.Backoff != nil {
		t.Fatalf("dry runs changed the back-off: %+v", tn)
	}
}

func TestRunnerBackoff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()))
	e.connect(true)
	ctx := ctxFor(t)
	e.trinetDown()
	fail := func(id string) {
		t.Helper()
		if out := e.runner.Handle(ctx, e.job(id, provision.TriggerSchedule, false), e.cfg.MaxReceiveCount); !out.Retry {
			t.Fatalf("outcome %+v, want the message returned for the dead-letter queue", out)
		}
		wantRunError(t, e.run(id), provision.RunFailed, app.CodeUpstream)
	}
	wantBackoff := []time.Duration{0, 0, time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 16 * time.Hour, 24 * time.Hour, 24 * time.Hour}
	for i, want := range wantBackoff {
		e.clk.Advance(10 * time.Minute)
		fail("fail-" + string(rune('a'+i)))
		if i == 1 {
			// A skipped run and a dry run in between change nothing.
			if held, _, err := e.svcs.Store().AcquireLease(ctx, e.tenant, "other", "", time.Minute); err != nil || !held {
				t.Fatalf("lease: %v", err)
			}
			if out := e.runner.Handle(ctx, e.job("skipped", provision.TriggerSchedule, false), 1); out.Retry {
				t.Fatal("skipped run retried")
			}
			wantRunError(t, e.run("skipped"), provision.RunSkipped, "")
			if err := e.svcs.Store().ReleaseLease(ctx, e.tenant, "other"); err != nil {
				t.Fatal(err)
			}
			e.runner.Handle(ctx, e.job("dry", provision.TriggerManual, true), e.cfg.MaxReceiveCount)
			wantRunError(t, e.run("dry"), provision.RunFailed, app.CodeUpstream)
		}
		now := e.clk.Now()
		conn, err := e.svc.Connection(ctx, e.tenant)
		if err != nil {
			t.Fatal(err)
		}
		nextSlot := app.Slot(now, e.cfg.SyncInterval).Add(e.cfg.SyncInterval)
		if want == 0 {
			if conn.Backoff != nil || !conn.NextRunAt.Equal(nextSlot) {
				t.Fatalf("after %d failures: backoff %+v next %s, want none and %s", i+1, conn.Backoff, conn.NextRunAt, nextSlot)
			}
			continue
		}
		wantUntil := now.Add(want)
		if conn.Backoff == nil || !conn.Backoff.Until.Equal(wantUntil) || conn.Backoff.Failures != i+1 || conn.Backoff.Reason != app.CodeUpstream {
			t.Fatalf("after %d failures: backoff %+v, want until %s (+%s)", i+1, conn.Backoff, wantUntil, want)
		}
		if !conn.NextRunAt.Equal(wantUntil) {
			t.Fatalf("nextRunAt %s, want the end of the back-off %s", conn.NextRunAt, wantUntil)
		}
		// The scheduler leaves the tenant alone meanwhile.
		if res, err := e.svcs.Scheduler().Tick(ctx, now); err != nil || res.Enqueued != 0 || res.BackedOff != 1 {
			t.Fatalf("tick during back-off: %+v %v", res, err)
		}
	}
	// A manual trigger is allowed during back-off, and its success clears it.
	e.trinetUp()
	run, err := e.svc.Trigger(ctx, e.tenant, api.TriggerRequest{})
	if err != nil {
		t.Fatalf("trigger during back-off: %v", err)
	}
	if out := e.runner.Handle(ctx, e.job(run.SyncID, provision.TriggerManual, false), 1); out.Retry {
		t.Fatalf("outcome %+v", out)
	}
	wantRunError(t, e.run(run.SyncID), provision.RunSucceeded, "")
	conn, err := e.svc.Connection(ctx, e.tenant)
	if err != nil || conn.Backoff != nil {
		t.Fatalf("after a success: backoff %+v %v", conn.Backoff, err)
	}
	if tn := e.tenantRecord(); tn.ConsecutiveFailures != 0 {
		t.Fatalf("failures %d after a success", tn.ConsecutiveFailures)
	}
}

func TestRunnerTransientFailureIsRetriedWithGrowingDelay(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		down func(e *env)
	}{
		{"TriNet answers 500", func(e *env) { e.trinetDown() }},
		{"Leapsome answers 500", func(e *env) {
			inf.Leapsome.SetFaults(e.lsTenant, leapsomesandbox.Faults{ServerErrors: 1 << 20})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.connect(true)
			ctx := ctxFor(t)
			tc.down(e)
			job := e.job("sched-transient", provision.TriggerSchedule, false)
			var last time.Duration
			for attempt := 1; attempt < e.cfg.MaxReceiveCount; attempt++ {
				out := e.runner.Handle(ctx, job, attempt)
				if !out.Retry || out.Delay <= last {
					t.Fatalf("attempt %d: %+v, want a retry later than %s", attempt, out, last)
				}
				last = out.Delay
				r := e.run(job.SyncID)
				if r.Status.Final() {
					t.Fatalf("attempt %d finished the run: %+v", attempt, r)
				}
				if h := e.leaseHolder(); h != "" {
					t.Fatalf("attempt %d left the lease with %s", attempt, h)
				}
			}
			// The last attempt fails the run and returns the message once more,
			// so that a job that keeps failing lands in the dead-letter queue;
			// a redriven copy is then dropped as finished.
			if out := e.runner.Handle(ctx, job, e.cfg.MaxReceiveCount); !out.Retry {
				t.Fatalf("last attempt: %+v, want the message returned for the dead-letter queue", out)
			}
			wantRunError(t, e.run(job.SyncID), provision.RunFailed, app.CodeUpstream)
			e.resetCalls()
			if out := e.runner.Handle(ctx, job, 1); out.Retry {
				t.Fatalf("redriven copy: %+v, want dropped", out)
			}
			e.assertNoUpstreamCalls()
			if tn := e.tenantRecord(); tn.ConsecutiveFailures != 1 {
				t.Fatalf("failures %d, want 1", tn.ConsecutiveFailures)
			}
		})
	}
}

func TestRunnerContinuesALargeRunInFollowUpJobs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// lose drops every continuation after the first invocation: the
		// original message, redelivered once the lease expired, must resume
		// at the run's checkpoint rather than start over.
		lose bool
	}{
		{"continuations delivered", false},
		{"continuation lost, original redelivered", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.connect(true)
			ctx := ctxFor(t)
			// Every invocation's deadline has passed once it starts: the engine
			// does one person and checkpoints.
			app.SetSafety(e.runner, time.Hour)
			short, cancel := context.WithTimeout(ctx, time.Hour)
			defer cancel()

			run, err := e.svc.Trigger(ctx, e.tenant, api.TriggerRequest{})
			if err != nil {
				t.Fatal(err)
			}
			first := e.receive(1, 10*time.Second)[0]
			e.deleteMessage(first)
			if first.job.SyncID != run.SyncID || first.job.Cursor != "" {
				t.Fatalf("queued job %+v", first.job)
			}
			if out := e.runner.Handle(short, first.job, 1); out.Retry {
				t.Fatalf("first invocation: %+v", out)
			}
			r := e.run(run.SyncID)
			if r.Status != provision.RunRunning || r.Cursor == "" || actions(r.Counts) == 0 || actions(r.Counts) >= len(e.people) {
				t.Fatalf("after the first invocation: %+v", r)
			}
			if h := e.leaseHolder(); h != run.SyncID {
				t.Fatalf("lease holder %q, want the run's", h)
			}
			next := e.receive(1, 10*time.Second)[0]
			e.deleteMessage(next)
			if next.job.SyncID != run.SyncID || next.job.Cursor != r.Cursor {
				t.Fatalf("continuation %+v, want the run's cursor", next.job)
			}
			// A duplicate of the original message is refused while the run continues.
			e.resetCalls()
			if out := e.runner.Handle(short, first.job, 2); !out.Retry {
				t.Fatalf("duplicate of the original: %+v, want retry", out)
			}
			e.assertNoUpstreamCalls()
			if again := e.run(run.SyncID); again.Counts != r.Counts || again.Cursor != r.Cursor {
				t.Fatalf("duplicate changed the run: %+v", again)
			}

			if tc.lose {
				e.clk.Advance(e.cfg.LeaseTTL() + time.Second)
				next = first
				next.receiveCount = 3
			}
			for i := 0; ; i++ {
				if i > 2*len(e.people) {
					t.Fatalf("run did not finish after %d continuations", i)
				}
				if out := e.runner.Handle(short, next.job, max(next.receiveCount, 1)); out.Retry {
					t.Fatalf("continuation %d: %+v", i, out)
				}
				if e.run(run.SyncID).Status.Final() {
					break
				}
				next = e.receive(1, 10*time.Second)[0]
				e.deleteMessage(next)
			}
			r = e.run(run.SyncID)
			wantRunError(t, r, provision.RunPartial, "")
			if actions(r.Counts) != len(e.people) || r.Counts.Created != 1 || r.Counts.Linked != 3 {
				t.Fatalf("counts %+v do not add up to one account of %d people", r.Counts, len(e.people))
			}
			if r.ErrorPeople != 1 {
				t.Fatalf("errorPeople %d, want 1", r.ErrorPeople)
			}
			if h := e.leaseHolder(); h != "" {
				t.Fatalf("lease still held by %s", h)
			}
			plan, _, err := e.svc.Plan(ctx, e.tenant, run.SyncID, api.Page{Limit: 100})
			if err != nil || len(plan) != len(e.people) {
				t.Fatalf("plan %d items (%v), want %d", len(plan), err, len(e.people))
			}
			if d := e.queueDepth(); d != 0 {
				t.Fatalf("%d messages left in the queue", d)
			}
			// The original message, delivered once more, is dropped.
			e.resetCalls()
			if out := e.runner.Handle(ctx, first.job, 4); out.Retry {
				t.Fatalf("late duplicate: %+v", out)
			}
			e.assertNoUpstreamCalls()
		})
	}
}

func TestRunnerStoredCredentialsRejected(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(c *secrets.Credentials)
		code string
	}{
		{"TriNet secret rotated", func(c *secrets.Credentials) { c.TriNet.ClientSecret += "-old" }, app.CodeTriNetRejected},
		{"Leapsome secret rotated", func(c *secrets.Credentials) { c.Leapsome.APISecret += "-old" }, app.CodeLeapsomeRejected},
		{"SCIM token rotated", func(c *secrets.Credentials) { c.Leapsome.SCIMToken += "-old" }, app.CodeLeapsomeRejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.connect(true)
			ctx := ctxFor(t)
			creds, err := e.svcs.Secrets().Get(ctx, e.tenant)
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(&creds)
			if err := e.svcs.Secrets().Put(ctx, e.tenant, creds); err != nil {
				t.Fatal(err)
			}
			// Not worth a retry: the first attempt fails the run.
			if out := e.runner.Handle(ctx, e.job("sched-rejected", provision.TriggerSchedule, false), 1); out.Retry {
				t.Fatalf("outcome %+v, want done", out)
			}
			wantRunError(t, e.run("sched-rejected"), provision.RunFailed, tc.code)
			if w := e.trinetWrites(); len(w) != 0 {
				t.Fatalf("writes with rejected credentials: %+v", w)
			}
			if tn := e.tenantRecord(); tn.Status != store.Connected || tn.ConsecutiveFailures != 1 {
				t.Fatalf("tenant %+v", tn)
			}
		})
	}
}

// stallingClients hands the runner a Leapsome source that stalls for longer
// than the abandonment limit (by moving the clock) while an API read settles
// the run as abandoned: a worker frozen for hours, which real parts cannot
// produce in a test.
type stallingClients struct {
	e     *env
	inner app.Clients
}

func (s stallingClients) ForTenant(c secrets.Credentials, log *slog.Logger) (provision.PeopleSource, provision.Company, error) {
	people, company, err := s.inner.ForTenant(c, log)
	return stallingSource{s.e, people}, company, err
}

type stallingSource struct {
	e *env
	provision.PeopleSource
}

func (s stallingSource) Directory(ctx context.Context) (provision.Directory, error) {
	s.e.clk.Advance(s.e.cfg.LeaseTTL() + s.e.cfg.AbandonAfter() + time.Second)
	if r, err := s.e.svc.Run(ctx, s.e.tenant, "sched-stall"); err != nil || r.Status != provision.RunFailed {
		s.e.t.Errorf("API read during the stall: %+v %v, want it settled as abandoned", r, err)
	}
	return s.PeopleSource.Directory(ctx)
}

func TestRunnerReleasesTheLeaseOfARunSettledMeanwhile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(true)
	runner := app.NewRunner(e.cfg, e.svcs.Store(), e.svcs.Secrets(), e.svcs.Publisher(), stallingClients{e, e.svcs.Clients()}, e.svcs.Engine(), e.clk.Now, e.log)
	if out := runner.Handle(ctxFor(t), e.job("sched-stall", provision.TriggerSchedule, false), 1); out.Retry {
		t.Fatalf("outcome %+v", out)
	}
	// The API's verdict stands, and the tenant is free for the next run.
	wantRunError(t, e.run("sched-stall"), provision.RunFailed, app.CodeAbandoned)
	if h := e.leaseHolder(); h != "" {
		t.Fatalf("lease still held by %s", h)
	}
}

// A scheduled run that had started, lost its lease and finds another run
// holding the tenant is skipped like a queued one: the next slot covers it.
func TestRunnerSkipsAStartedScheduledRunThatLostItsLease(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(true)
	ctx := ctxFor(t)
	now := e.clk.Now()
	job := e.job("sched-lost-lease", provision.TriggerSchedule, false)
	if err := e.svcs.Store().CreateRun(ctx, provision.Run{
		TenantID: e.tenant, SyncID: job.SyncID, Trigger: provision.TriggerSchedule, Status: provision.RunRunning,
		CreatedAt: now, StartedAt: now, LeaseUntil: now,
	}); err != nil {
		t.Fatal(err)
	}
	if held, _, err := e.svcs.Store().AcquireLease(ctx, e.tenant, "other-run", "", e.cfg.LeaseTTL()); err != nil || !held {
		t.Fatalf("take lease: %t %v", held, err)
	}
	e.resetCalls()
	if out := e.runner.Handle(ctx, job, 2); out.Retry {
		t.Fatalf("outcome %+v, want done", out)
	}
	e.assertNoUpstreamCalls()
	wantRunError(t, e.run(job.SyncID), provision.RunSkipped, "")
	if h := e.leaseHolder(); h != "other-run" {
		t.Fatalf("lease holder %q, want other-run", h)
	}
	if n := e.queueDepth(); n != 0 {
		t.Fatalf("%d messages queued for a skipped run", n)
	}
}

// The plan endpoint lists every person whose action is not unchanged
// (counts.unchanged says how many were): a steady-state run of unchanged
// people stores no plan item for them.
func TestSteadyStatePlanHoldsNoUnchangedItems(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()))
	e.connect(true)
	first := e.handle(e.runner, e.job("sched-steady-1", provision.TriggerSchedule, false))
	wantRunError(t, first, provision.RunSucceeded, "")
	// Nothing changed on either side: Ada and Ben are unchanged, Cleo's hire
	// waits for approval.
	second := e.handle(e.runner, e.job("sched-steady-2", provision.TriggerSchedule, false))
	wantRunError(t, second, provision.RunSucceeded, "")
	if second.Counts.Unchanged != 2 {
		t.Fatalf("second run counts %+v, want 2 unchanged", second.Counts)
	}
	for user, it := range e.planOf(second.SyncID) {
		if it.Action == provision.ActionUnchanged {
			t.Errorf("the plan lists %s with action unchanged; only people whose action is not unchanged belong in it", user)
		}
	}
}
