package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"trinetsync/internal/provision"
	"trinetsync/internal/queue"
)

// CodeInterrupted is the error code of a run that was running when the whole
// service stopped.
const CodeInterrupted = "interrupted"

// restartStore is what settling a stop's runs needs from the store.
type restartStore interface {
	finisher
	ConnectedTenantIDs(ctx context.Context) (map[string]time.Time, error)
	ListRuns(ctx context.Context, tenantID string, limit int, token string) ([]provision.Run, string, error)
}

// Restart is the use case of a service that starts again after stopping as
// a whole, which happens to the local stack and never in AWS: its queue
// (goaws) forgets the messages it held, and every invocation ends at once.
// In AWS a message outlives its invocation and a run that stops making
// progress is abandoned; here nothing would pick such runs up.
type Restart struct {
	store restartStore
	jobs  jobSender
	tel   Telemetry
	now   func() time.Time
	log   *slog.Logger
}

// Settled are the runs SettleInterrupted settled.
type Settled struct {
	// Requeued were left queued: their job was sent again.
	Requeued []provision.Run
	// Interrupted were left running: they are failed with code interrupted.
	Interrupted []provision.Run
}

// SettleInterrupted settles the unfinished runs of every connected tenant and
// of the tenants named (say, ones connected at some point and revoked
// since). A queued run's job is sent again, as the queue forgot it. A
// running run, whose invocation is gone, is finished as the worker finishes
// a run: failed with code interrupted, counted by the tenant's back-off as
// an abandoned run is, and its lease released, so that the tenant's next run
// need not wait for the lease to expire.
func (r *Restart) SettleInterrupted(ctx context.Context, tenants ...string) (Settled, error) {
	connected, err := r.store.ConnectedTenantIDs(ctx)
	if err != nil {
		return Settled{}, fmt.Errorf("list tenants: %w", err)
	}
	ids := make(map[string]bool, len(connected)+len(tenants))
	for id := range connected {
		ids[id] = true
	}
	for _, id := range tenants {
		ids[id] = true
	}
	var out Settled
	for id := range ids {
		for token := ""; ; {
			runs, next, err := r.store.ListRuns(ctx, id, 100, token)
			if err != nil {
				return out, fmt.Errorf("list runs of %s: %w", id, err)
			}
			for _, run := range runs {
				if err := r.settle(ctx, run, &out); err != nil {
					return out, err
				}
			}
			if next == "" {
				break
			}
			token = next
		}
	}
	return out, nil
}

func (r *Restart) settle(ctx context.Context, run provision.Run, out *Settled) error {
	switch run.Status {
	case provision.RunQueued:
		if err := r.jobs.Send(ctx, jobOf(run), 0); err != nil {
			return fmt.Errorf("queue run %s of %s again: %w", run.SyncID, run.TenantID, err)
		}
		out.Requeued = append(out.Requeued, run)
	case provision.RunRunning:
		log := r.log.With("tenant", run.TenantID, "syncId", run.SyncID)
		rerr := &provision.RunError{Code: CodeInterrupted,
			Message: "The service was stopped while this run was in progress; the next run picks up what it left."}
		wrote, err := finishRun(ctx, r.store, r.tel, log, &run, provision.RunFailed, rerr, r.now().UTC())
		if err != nil {
			return fmt.Errorf("finish interrupted run %s of %s: %w", run.SyncID, run.TenantID, err)
		}
		if wrote {
			out.Interrupted = append(out.Interrupted, run)
		}
	}
	return nil
}

// jobOf is the job message that brings run to the worker, from its cursor.
func jobOf(run provision.Run) queue.Job {
	return queue.Job{
		Version: queue.JobVersion, TenantID: run.TenantID, SyncID: run.SyncID, Trigger: run.Trigger,
		DryRun: run.DryRun, ConfirmCreates: run.ConfirmCreates, Cursor: run.Cursor,
	}
}
