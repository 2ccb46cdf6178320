package app

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"golang.org/x/sync/errgroup"

	"trinetsync/internal/metrics"
	"trinetsync/internal/provision"
	"trinetsync/internal/queue"
	"trinetsync/internal/store"
)

// tenantLister lists the connected tenants with their back-off and schedule.
type tenantLister interface {
	ConnectedTenants(ctx context.Context, fn func(t store.Scheduled) error) error
}

// jobPublisher enqueues jobs in batches, each delayed by delay(job).
type jobPublisher interface {
	EnqueueDelayed(ctx context.Context, jobs []queue.Job, delay func(queue.Job) time.Duration) (int, error)
}

// Scheduler enqueues one job per connected tenant that is due in the slot (see
// Due), not paused and not backing off. It writes nothing per tenant: the
// worker creates each run from its job.
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
	// Metrics receives one record per tick (nil: none).
	Metrics *metrics.Writer
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
	hi, _ := bits.Mul64(tenantHash(tenantID), secs)
	return time.Duration(hi) * time.Second
}

// tenantHash is the one hash of a tenant id that places its runs (the phase
// of its interval, its offset within a slot): FNV-1a, whose high bits change
// little between ids that differ in their last characters, then a finaliser
// (splitmix64's) that spreads them over all 64 bits.
func tenantHash(tenantID string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(tenantID))
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
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

// tickChunk is how many jobs the tick hands the publisher at a time, and
// tickChunks how many such handfuls may be in flight: jobs are sent while
// the listing goes on, so a tick takes about as long as the longer of the
// two rather than their sum.
const (
	tickChunk  = 1000
	tickChunks = 4
)

// Tick enqueues the jobs of the slot that now falls in. Jobs are sent as the
// listing finds their tenants; when the listing fails part-way, the jobs
// already sent stay sent (a retried tick sends them again under the same sync
// ids, which the worker recognises) and the error is returned.
func (s *Scheduler) Tick(ctx context.Context, now time.Time) (TickResult, error) {
	log := s.Logger
	if log == nil {
		log = slog.Default()
	}
	slot := Slot(now, s.Interval)
	res := TickResult{Slot: slot}
	spread := s.Spread
	delay := func(j queue.Job) time.Duration { return Offset(j.TenantID, spread) }
	var (
		mu      sync.Mutex // the store calls back from several shards at once
		pending = make([]queue.Job, 0, tickChunk)
		listed  int
		sent    atomic.Int64
		sendErr []error
		g       errgroup.Group
	)
	g.SetLimit(tickChunks)
	send := func(jobs []queue.Job) {
		// Blocks while tickChunks handfuls are in flight, which holds the
		// listing back rather than piling jobs up in memory.
		g.Go(func() error {
			n, err := s.Jobs.EnqueueDelayed(ctx, jobs, delay)
			sent.Add(int64(n))
			if err != nil {
				mu.Lock()
				sendErr = append(sendErr, err)
				mu.Unlock()
			}
			return nil
		})
	}
	listErr := s.Tenants.ConnectedTenants(ctx, func(t store.Scheduled) error {
		mu.Lock()
		switch {
		case t.Paused:
			res.Paused++
			mu.Unlock()
			return nil
		case t.BackoffUntil.After(now):
			res.BackedOff++
			mu.Unlock()
			return nil
		case !Due(t.ID, slot, s.Interval, t.Every):
			res.NotDue++
			mu.Unlock()
			return nil
		}
		id := t.ID
		listed++
		pending = append(pending, queue.Job{
			Version: queue.JobVersion, TenantID: id, SyncID: ScheduledSyncID(id, slot),
			Trigger: provision.TriggerSchedule,
		})
		var full []queue.Job
		if len(pending) == tickChunk {
			full, pending = pending, make([]queue.Job, 0, tickChunk)
		}
		mu.Unlock()
		if full != nil {
			send(full)
		}
		return nil
	})
	if len(pending) > 0 {
		send(pending)
	}
	_ = g.Wait() // each handful's error is in sendErr
	res.Enqueued = int(sent.Load())
	log.Info("scheduler tick", "slot", slot, "enqueued", res.Enqueued, "backedOff", res.BackedOff, "paused", res.Paused,
		"notDue", res.NotDue, "tenants", listed, "spread", spread)
	Telemetry{Metrics: s.Metrics}.write(log, tickRecord(res, listed-res.Enqueued))
	if listErr != nil {
		return res, fmt.Errorf("list connected tenants: %w", listErr)
	}
	if len(sendErr) > 0 {
		return res, fmt.Errorf("enqueue %d jobs: %w", listed, errors.Join(sendErr...))
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
