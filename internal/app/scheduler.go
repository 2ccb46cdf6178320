package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"trinetsync/internal/metrics"
	"trinetsync/internal/provision"
	"trinetsync/internal/queue"
	"trinetsync/internal/store"
)

// tenantLister lists the connected tenants with their back-off and schedule.
type tenantLister interface {
	ConnectedTenants(ctx context.Context, fn func(t store.Scheduled) error) error
}

// jobPublisher enqueues jobs in batches.
type jobPublisher interface {
	Enqueue(ctx context.Context, jobs []queue.Job) (int, error)
}

// Scheduler enqueues one job per connected tenant that is due in the slot (see
// Due), not paused and not backing off. It writes nothing per tenant: the
// worker creates each run from its job.
type Scheduler struct {
	Interval time.Duration
	Tenants  tenantLister
	Jobs     jobPublisher
	Logger   *slog.Logger
	// Metrics receives one record per tick (nil: none).
	Metrics *metrics.Writer
}

// TickResult is what a tick did.
type TickResult struct {
	Slot      time.Time `json:"slot"`
	Enqueued  int       `json:"enqueued"`
	BackedOff int       `json:"backedOff"`
	// Paused counts the tenants whose schedule is paused; NotDue those whose
	// interval skips this slot.
	Paused int `json:"paused"`
	NotDue int `json:"notDue"`
}

// Slot is the schedule slot of a tick: its time truncated to the interval.
func Slot(t time.Time, interval time.Duration) time.Time {
	return t.UTC().Truncate(interval)
}

// ScheduledSyncID is the sync id of a tenant's scheduled run in a slot, so a
// duplicate invocation or a redelivery names the same run.
func ScheduledSyncID(tenantID string, slot time.Time) string {
	return fmt.Sprintf("sched-%s-%s", slot.UTC().Format("20060102t150405z"), tenantID)
}

// Tick enqueues the jobs of the slot that now falls in.
func (s *Scheduler) Tick(ctx context.Context, now time.Time) (TickResult, error) {
	log := s.Logger
	if log == nil {
		log = slog.Default()
	}
	slot := Slot(now, s.Interval)
	res := TickResult{Slot: slot}
	var (
		mu   sync.Mutex // the store calls back from several shards at once
		jobs []queue.Job
	)
	err := s.Tenants.ConnectedTenants(ctx, func(t store.Scheduled) error {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case t.Paused:
			res.Paused++
			return nil
		case t.BackoffUntil.After(now):
			res.BackedOff++
			return nil
		case !Due(t.ID, slot, s.Interval, t.Every):
			res.NotDue++
			return nil
		}
		id := t.ID
		jobs = append(jobs, queue.Job{
			Version: queue.JobVersion, TenantID: id, SyncID: ScheduledSyncID(id, slot),
			Trigger: provision.TriggerSchedule,
		})
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("list connected tenants: %w", err)
	}
	n, err := s.Jobs.Enqueue(ctx, jobs)
	res.Enqueued = n
	log.Info("scheduler tick", "slot", slot, "enqueued", n, "backedOff", res.BackedOff, "tenants", len(jobs))
	Telemetry{Metrics: s.Metrics}.write(log, tickRecord(res, len(jobs)-n))
	if err != nil {
		return res, fmt.Errorf("enqueue %d jobs: %w", len(jobs), err)
	}
	return res, nil
}

// HandleEvent is the scheduler function's handler: the EventBridge event's
// time names the slot, so a duplicate invocation enqueues the same sync ids.
func (s *Scheduler) HandleEvent(ctx context.Context, ev events.EventBridgeEvent) (TickResult, error) {
	at := ev.Time
	if at.IsZero() {
		at = time.Now()
	}
	return s.Tick(ctx, at)
}
