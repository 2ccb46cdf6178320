package app

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/bits"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"trinetsync/internal/provision"
	"trinetsync/internal/queue"
)

// tenantLister lists the connected tenants with their back-off.
type tenantLister interface {
	ConnectedTenants(ctx context.Context, fn func(id string, backoffUntil time.Time) error) error
}

// jobPublisher enqueues jobs in batches, each delayed by delay(job).
type jobPublisher interface {
	EnqueueDelayed(ctx context.Context, jobs []queue.Job, delay func(queue.Job) time.Duration) (int, error)
}

// Scheduler enqueues one job per connected tenant that is not backing off. It
// writes nothing per tenant: the worker creates each run from its job.
type Scheduler struct {
	Interval time.Duration
	// Spread is how far a slot's jobs are spread: each tenant's job waits
	// Offset(tenant, Spread) in the queue, so that the workers and TriNet see
	// a steady load through the slot rather than every tenant at its start.
	// Zero sends every job at once; more than queue.MaxDelay counts as it.
	Spread  time.Duration
	Tenants tenantLister
	Jobs    jobPublisher
	Logger  *slog.Logger
}

// Offset is the delay of a tenant's scheduled job within its slot: a hash of
// the tenant id mapped evenly onto the whole seconds of [0, spread) (spread at
// most queue.MaxDelay, SQS's longest delay). It depends on the tenant alone,
// so a tenant's runs stay one interval apart and a duplicate tick or a
// redelivery keeps the same offset; the sync id still names the slot.
func Offset(tenantID string, spread time.Duration) time.Duration {
	secs := uint64(min(spread, queue.MaxDelay) / time.Second)
	if secs <= 1 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(tenantID))
	// FNV-1a's high bits change little between ids that differ in their last
	// characters; a finaliser (splitmix64's) spreads them over all 64 bits
	// before the multiply-shift picks a second.
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	hi, _ := bits.Mul64(x, secs)
	return time.Duration(hi) * time.Second
}

// TickResult is what a tick did.
type TickResult struct {
	Slot      time.Time `json:"slot"`
	Enqueued  int       `json:"enqueued"`
	BackedOff int       `json:"backedOff"`
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
	err := s.Tenants.ConnectedTenants(ctx, func(id string, backoffUntil time.Time) error {
		mu.Lock()
		defer mu.Unlock()
		if backoffUntil.After(now) {
			res.BackedOff++
			return nil
		}
		jobs = append(jobs, queue.Job{
			Version: queue.JobVersion, TenantID: id, SyncID: ScheduledSyncID(id, slot),
			Trigger: provision.TriggerSchedule,
		})
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("list connected tenants: %w", err)
	}
	spread := s.Spread
	n, err := s.Jobs.EnqueueDelayed(ctx, jobs, func(j queue.Job) time.Duration { return Offset(j.TenantID, spread) })
	res.Enqueued = n
	log.Info("scheduler tick", "slot", slot, "enqueued", n, "backedOff", res.BackedOff, "tenants", len(jobs), "spread", spread)
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
