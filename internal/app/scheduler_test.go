package app_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"trinetsync/internal/app"
	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
	"trinetsync/internal/queue"
	"trinetsync/internal/store"
)

// connectRecord connects a tenant in the store only: the scheduler reads
// nothing else.
func (e *env) connectRecord(ctx context.Context, id string) store.Tenant {
	e.t.Helper()
	tn, err := e.svcs.Store().Connect(ctx, store.Tenant{ID: id, CompanyID: "C", SecretName: "s/" + id, ConnectedAt: e.clk.Now()})
	if err != nil {
		e.t.Fatalf("connect %s: %v", id, err)
	}
	return tn
}

// tick runs the scheduler at now and answers the jobs it put on the queue, by tenant.
func (e *env) tick(now time.Time, want int) (app.TickResult, map[string]queue.Job) {
	e.t.Helper()
	res, err := e.svcs.Scheduler().Tick(ctxFor(e.t), now)
	if err != nil {
		e.t.Fatalf("tick: %v", err)
	}
	if res.Enqueued != want {
		e.t.Fatalf("tick enqueued %d jobs (%+v), want %d", res.Enqueued, res, want)
	}
	jobs := map[string]queue.Job{}
	if want > 0 {
		// Longer than the queue's 60 s visibility: a receive whose answer a busy
		// machine lost makes its messages reappear only after that.
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
	return res, jobs
}

func TestSchedulerEnqueuesConnectedTenantsNotBackingOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxFor(t)
	now := e.clk.Now()
	e.connectRecord(ctx, "connected-a")
	e.connectRecord(ctx, "connected-b")
	if err := e.svcs.Store().SaveSettings(ctx, "never-connected", provision.DefaultSettings(false)); err != nil {
		t.Fatal(err)
	}
	rv := e.connectRecord(ctx, "revoked")
	if err := e.svcs.Store().MarkRevoked(ctx, "revoked", rv.ConnectedAt); err != nil {
		t.Fatal(err)
	}
	e.connectRecord(ctx, "disconnected")
	if err := e.svcs.Store().Disconnect(ctx, "disconnected"); err != nil {
		t.Fatal(err)
	}
	e.connectRecord(ctx, "backing-off")
	e.connectRecord(ctx, "backed-off-before")
	for range 3 {
		if _, err := e.svcs.Store().RecordRunOutcome(ctx, "backing-off", testOutcome(true, app.CodeUpstream, now.Add(-time.Minute))); err != nil {
			t.Fatal(err)
		}
		// This one's hour of back-off has passed.
		if _, err := e.svcs.Store().RecordRunOutcome(ctx, "backed-off-before", testOutcome(true, app.CodeUpstream, now.Add(-61*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}

	res, jobs := e.tick(now, 3)
	if res.Enqueued != 3 || res.BackedOff != 1 || !res.Slot.Equal(app.Slot(now, e.cfg.SyncInterval)) {
		t.Fatalf("tick %+v", res)
	}
	want := []string{"backed-off-before", "connected-a", "connected-b"}
	if got := slices.Sorted(maps.Keys(jobs)); !slices.Equal(got, want) {
		t.Fatalf("jobs for %v, want %v", got, want)
	}
	for id, j := range jobs {
		if j.Trigger != provision.TriggerSchedule || j.DryRun || j.ConfirmCreates || j.Cursor != "" || j.Version != queue.JobVersion {
			t.Errorf("job %+v", j)
		}
		if j.SyncID != app.ScheduledSyncID(id, res.Slot) {
			t.Errorf("job of %s has sync id %s", id, j.SyncID)
		}
	}

	// Once its back-off ends, the tenant is scheduled again.
	res, jobs = e.tick(now.Add(time.Hour), 4)
	if res.BackedOff != 0 || len(jobs) != 4 || jobs["backing-off"].SyncID == "" {
		t.Fatalf("after the back-off: %+v %v", res, slices.Sorted(maps.Keys(jobs)))
	}
}

func TestSchedulerSyncIDsNameTheSlot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxFor(t)
	e.connectRecord(ctx, "tenant-a")
	slot := app.Slot(e.clk.Now(), e.cfg.SyncInterval)
	_, early := e.tick(slot.Add(time.Second), 1)
	_, late := e.tick(slot.Add(e.cfg.SyncInterval-time.Second), 1)
	_, next := e.tick(slot.Add(e.cfg.SyncInterval), 1)
	if early["tenant-a"].SyncID != late["tenant-a"].SyncID {
		t.Fatalf("same slot, different sync ids: %s %s", early["tenant-a"].SyncID, late["tenant-a"].SyncID)
	}
	if next["tenant-a"].SyncID == early["tenant-a"].SyncID {
		t.Fatalf("next slot reuses sync id %s", next["tenant-a"].SyncID)
	}
	// The sync id is a valid job's, and the worker recognises the duplicate.
	if err := early["tenant-a"].Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestSlot(t *testing.T) {
	t.Parallel()
	base := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		at       time.Time
		interval time.Duration
		want     time.Time
	}{
		{base, 10 * time.Minute, base},
		{base.Add(9*time.Minute + 59*time.Second), 10 * time.Minute, base},
		{base.Add(10 * time.Minute), 10 * time.Minute, base.Add(10 * time.Minute)},
		{base.Add(90 * time.Second), time.Minute, base.Add(time.Minute)},
		{base.In(time.FixedZone("CET", 3600)).Add(5 * time.Minute), 10 * time.Minute, base},
	} {
		if got := app.Slot(tc.at, tc.interval); !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("Slot(%s, %s) = %s, want %s UTC", tc.at, tc.interval, got, tc.want)
		}
	}
	a := app.ScheduledSyncID("acme", base)
	if a != app.ScheduledSyncID("acme", base.In(time.FixedZone("X", -7200))) || a == app.ScheduledSyncID("acme2", base) {
		t.Fatalf("sync id %s does not name tenant and slot alone", a)
	}
}

func TestSchedulerFansOutHundredsOfTenants(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxFor(t)
	const n = 300
	var g errgroup.Group
	g.SetLimit(16)
	for i := range n {
		g.Go(func() error {
			_, err := e.svcs.Store().Connect(ctx, store.Tenant{ID: fmt.Sprintf("tenant-%03d", i), ConnectedAt: e.clk.Now()})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	res, jobs := e.tick(e.clk.Now(), n)
	if res.Enqueued != n || len(jobs) != n {
		t.Fatalf("enqueued %d, received %d, want %d", res.Enqueued, len(jobs), n)
	}
	for i := range n {
		id := fmt.Sprintf("tenant-%03d", i)
		if jobs[id].SyncID != app.ScheduledSyncID(id, res.Slot) {
			t.Fatalf("job of %s: %+v", id, jobs[id])
		}
	}
}

// failingPublisher is SQS refusing every job, which goaws cannot be made to do.
type failingPublisher struct{}

func (failingPublisher) EnqueueDelayed(_ context.Context, jobs []queue.Job, _ func(queue.Job) time.Duration) (int, error) {
	return 0, fault.New(fault.Transient, "queue unavailable for %d jobs", len(jobs))
}

func TestSchedulerReportsAQueueFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connectRecord(ctxFor(t), "tenant-a")
	s := &app.Scheduler{Interval: e.cfg.SyncInterval, Tenants: e.svcs.Store(), Jobs: failingPublisher{}, Logger: e.log}
	res, err := s.Tick(ctxFor(t), e.clk.Now())
	if !errors.Is(err, fault.ErrTransient) || res.Enqueued != 0 {
		t.Fatalf("tick %+v %v, want the queue's transient error", res, err)
	}
}

// tickDelays records each job's delay: goaws v0.5.4 accepts a batch
// entry's DelaySeconds and ignores it, so the queue cannot show it.
type tickDelays struct {
	mu     sync.Mutex
	delays map[string]time.Duration
}

func (d *tickDelays) EnqueueDelayed(_ context.Context, jobs []queue.Job, delay func(queue.Job) time.Duration) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, j := range jobs {
		d.delays[j.TenantID] = delay(j)
	}
	return len(jobs), nil
}

// A tick spreads its jobs over the slot: each tenant's job is delayed by the
// tenant's own offset, the same at every tick, and the sync id still names the
// slot (so the worker recognises a duplicate tick as before).
func TestSchedulerSpreadsJobsOverTheSlot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxFor(t)
	ids := []string{"tenant-a", "tenant-b", "tenant-c", "tenant-d"}
	for _, id := range ids {
		e.connectRecord(ctx, id)
	}
	rec := &tickDelays{delays: map[string]time.Duration{}}
	s := &app.Scheduler{Interval: 10 * time.Minute, Spread: 10 * time.Minute, Tenants: e.svcs.Store(), Jobs: rec, Logger: e.log}
	first := time.Date(2026, 3, 2, 9, 0, 3, 0, time.UTC)
	for _, at := range []time.Time{first, first.Add(10 * time.Minute), first.Add(time.Minute)} {
		if res, err := s.Tick(ctx, at); err != nil || res.Enqueued != len(ids) {
			t.Fatalf("tick at %s: %+v, %v", at, res, err)
		}
		distinct := map[time.Duration]bool{}
		for _, id := range ids {
			d := rec.delays[id]
			if d != app.Offset(id, 10*time.Minute) || d < 0 || d >= 10*time.Minute || d%time.Second != 0 {
				t.Errorf("tick at %s: %s delayed %s, want its offset %s", at, id, d, app.Offset(id, 10*time.Minute))
			}
			distinct[d] = true
		}
		if len(distinct) < 2 {
			t.Errorf("tick at %s: every job delayed alike (%v)", at, rec.delays)
		}
	}
	s.Spread = 0
	if _, err := s.Tick(ctx, first); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if d := rec.delays[id]; d != 0 {
			t.Errorf("no spread: %s delayed %s", id, d)
		}
	}
}

// The offsets of 100,000 tenants cover the slot evenly: every second of a
// 600 s spread is used, no second holds more than 1.5 × its share, and each
// minute holds its tenth within 5 %; a spread over SQS's limit is cut to it.
func TestOffsetSpreadsTenantsEvenly(t *testing.T) {
	t.Parallel()
	const tenants, spread = 100_000, 600
	perSecond := make([]int, spread)
	for i := range tenants {
		d := app.Offset(fmt.Sprintf("tenant-%06d", i), spread*time.Second)
		if d < 0 || d >= spread*time.Second || d%time.Second != 0 {
			t.Fatalf("offset %s out of [0, %ds) or not whole seconds", d, spread)
		}
		perSecond[d/time.Second]++
	}
	share := float64(tenants) / spread
	for s, n := range perSecond {
		if n == 0 || float64(n) > 1.5*share {
			t.Fatalf("second %d holds %d tenants; share %.0f", s, n, share)
		}
	}
	for m := range spread / 60 {
		n := 0
		for _, c := range perSecond[m*60 : (m+1)*60] {
			n += c
		}
		if want := float64(tenants) / 10; float64(n) < 0.95*want || float64(n) > 1.05*want {
			t.Errorf("minute %d holds %d tenants, want %.0f ± 5 %%", m, n, want)
		}
	}
	for _, id := range []string{"a", "tenant-1", "zz-top"} {
		if d := app.Offset(id, time.Hour); d >= queue.MaxDelay {
			t.Errorf("offset %s with a one-hour spread, want below %s", d, queue.MaxDelay)
		}
		if d := app.Offset(id, time.Second); d != 0 {
			t.Errorf("offset %s with a one-second spread, want 0", d)
		}
	}
}
