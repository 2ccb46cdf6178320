package app

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"trinetsync/internal/eventbus"
	"trinetsync/internal/fault"
	"trinetsync/internal/metrics"
	"trinetsync/internal/provision"
	"trinetsync/internal/retry"
	"trinetsync/internal/store"
)

// EventPublisher puts notifications on the event bus: eventbus.EventBridge
// in AWS, the local stack's printer on one machine.
type EventPublisher interface {
	Publish(ctx context.Context, events ...eventbus.Event) error
}

// Telemetry is where the use cases report what they did: metrics in
// CloudWatch's Embedded Metric Format on the function's output, and
// notifications on the event bus. The zero value reports nothing.
type Telemetry struct {
	Metrics *metrics.Writer
	Events  EventPublisher
}

// The metrics the service writes (namespace: METRICS_NAMESPACE). The
// dashboard and the alarms of template.yaml name them; a test holds the two
// together through SampleRecords.
const (
	// Per run, when it ends (Status: succeeded, partial, failed, skipped).
	MetricRuns           = "Runs"
	MetricRunDuration    = "RunDuration"
	MetricBackoffStarted = "BackoffsStarted"
	// Per run that was not a dry run: people by action.
	MetricPeopleCreated   = "PeopleCreated"
	MetricPeopleUpdated   = "PeopleUpdated"
	MetricPeopleLinked    = "PeopleLinked"
	MetricPeopleUnchanged = "PeopleUnchanged"
	MetricPeopleSuggested = "PeopleSuggested"
	MetricPeoplePending   = "PeoplePending"
	MetricPeopleHeld      = "PeopleHeld"
	MetricPeopleErrors    = "PeopleErrors"
	MetricPeopleExcluded  = "PeopleExcluded"
	// Per worker invocation of a run (a run continued over several
	// invocations reports each; their sums are the run's).
	MetricTriNetCalls   = "TriNetCalls"
	MetricLeapsomeCalls = "LeapsomeCalls"
	MetricTriNet429s    = "TriNet429s"
	MetricLeapsome429s  = "Leapsome429s"
	MetricRetries       = "Retries"
	MetricHiresUnknown  = "HiresUnknown"
	MetricContinuations = "Continuations"
	MetricErrorItems    = "ErrorItems"
	MetricWarningItems  = "WarningItems"
	// Per scheduler tick.
	MetricTenantsEnqueued  = "TenantsEnqueued"
	MetricTenantsInBackoff = "TenantsInBackoff"
	MetricEnqueueFailures  = "EnqueueFailures"
	// Events the bus did not take (worker and API).
	MetricEventsLost = "EventsLost"
	// DimensionStatus is the run's final state.
	DimensionStatus = "Status"
)

// publishTimeout bounds putting a batch of events on the bus: a
// notification is worth a few seconds of an invocation, never the run.
const publishTimeout = 5 * time.Second

// publish puts events on the bus on a fresh context: they are sent when the
// invocation's own context may have ended. A failure is logged and counted,
// never the caller's failure: the run is recorded whatever the bus does.
func (t Telemetry) publish(ctx context.Context, log *slog.Logger, evs ...eventbus.Event) {
	if t.Events == nil || len(evs) == 0 {
		return
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	if err := t.Events.Publish(pctx, evs...); err != nil {
		types := make([]string, len(evs))
		for i, e := range evs {
			types[i] = e.DetailType
		}
		log.Error("publish events", "detailTypes", types, "err", err)
		t.write(log, metrics.Record{
			Properties: map[string]any{"detailTypes": types},
			Groups:     []metrics.Group{{Metrics: []metrics.Metric{{Name: MetricEventsLost, Unit: metrics.Count, Value: float64(len(evs))}}}},
		})
	}
}

// write prints a record; a record the format refuses is a bug, logged.
func (t Telemetry) write(log *slog.Logger, r metrics.Record) {
	if err := t.Metrics.Write(r); err != nil {
		log.Error("write metrics", "err", err)
	}
}

// runFinished reports a run whose final state this process has just written
// (once per run: the write is conditional on the state it moves from).
// after is the tenant as the run's outcome left it (nil when unknown): a
// failed run that it shows as the one that set the back-off started it.
func (t Telemetry) runFinished(ctx context.Context, log *slog.Logger, run provision.Run, after *store.Tenant) {
	backedOff := run.Status == provision.RunFailed && after != nil && after.OutcomeOf == run.SyncID && after.Backoff != nil
	t.write(log, runRecord(run, backedOff))
	var evs []eventbus.Event
	if e, ok := eventbus.SyncFinished(run); ok {
		evs = append(evs, e)
	}
	if backedOff {
		evs = append(evs, eventbus.TenantBackedOff(run.TenantID, run.SyncID, after.ConsecutiveFailures,
			after.Backoff.Until, after.Backoff.Reason, run.FinishedAt))
		log.Warn("tenant backs off", "failures", after.ConsecutiveFailures, "until", after.Backoff.Until, "reason", after.Backoff.Reason)
	}
	t.publish(ctx, log, evs...)
}

func runProps(run provision.Run) map[string]any {
	return map[string]any{"tenant": run.TenantID, "syncId": run.SyncID, "trigger": string(run.Trigger), "dryRun": run.DryRun}
}

func count(name string, v int) metrics.Metric {
	return metrics.Metric{Name: name, Unit: metrics.Count, Value: float64(v)}
}

// runRecord is the metrics of a finished run: its status, its duration
// (when it started), whether it started a back-off and, unless it was a dry
// run (which writes nothing), its people by action.
func runRecord(run provision.Run, backedOff bool) metrics.Record {
	props := runProps(run)
	if run.Error != nil {
		props["code"] = run.Error.Code
	}
	plain := []metrics.Metric{count(MetricBackoffStarted, b2i(backedOff))}
	if !run.StartedAt.IsZero() && !run.FinishedAt.IsZero() {
		plain = append(plain, metrics.Metric{Name: MetricRunDuration, Unit: metrics.Milliseconds,
			Value: float64(run.FinishedAt.Sub(run.StartedAt).Milliseconds())})
	}
	if !run.DryRun {
		c := run.Counts
		plain = append(plain,
			count(MetricPeopleCreated, c.Created), count(MetricPeopleUpdated, c.Updated),
			count(MetricPeopleLinked, c.Linked), count(MetricPeopleUnchanged, c.Unchanged),
			count(MetricPeopleSuggested, c.Suggested), count(MetricPeoplePending, c.Pending),
			count(MetricPeopleHeld, c.Held), count(MetricPeopleErrors, c.Errors),
			count(MetricPeopleExcluded, c.Excluded))
	}
	return metrics.Record{
		Time:       run.FinishedAt,
		Dimensions: map[string]string{DimensionStatus: string(run.Status)},
		Properties: props,
		Groups: []metrics.Group{
			{DimensionSets: [][]string{{DimensionStatus}}, Metrics: []metrics.Metric{count(MetricRuns, 1)}},
			{Metrics: plain},
		},
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// invocation tallies one worker invocation of a run: the calls its clients
// made (it is the retry policies' Observer), and what the run reported.
type invocation struct {
	mu          sync.Mutex
	calls, s429 map[string]int
	retries     int
	unknown     int // hires whose outcome became unknown: a POST's answer lost, or a ledger entry found so
	errorItems  int
	warnItems   int
	continued   bool
	ran         bool // the engine ran (or the run ended) in this invocation
}

var _ retry.Observer = (*invocation)(nil)

func newInvocation() *invocation {
	return &invocation{calls: map[string]int{}, s429: map[string]int{}}
}

// Attempted implements retry.Observer.
func (in *invocation) Attempted(service string, retried bool, a retry.Attempt) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.calls[service]++
	if a.Throttled {
		in.s429[service]++
	}
	if retried {
		in.retries++
	}
	if errors.Is(a.Err, fault.ErrOutcomeUnknown) {
		in.unknown++
	}
}

// foundUnknown adds the hires the engine moved to unknown from ledger
// entries an earlier invocation left.
func (in *invocation) foundUnknown(n int) {
	in.mu.Lock()
	in.unknown += n
	in.mu.Unlock()
}

// engineRan notes that the engine ran in this invocation.
func (in *invocation) engineRan() {
	in.mu.Lock()
	in.ran = true
	in.mu.Unlock()
}

// continuedIn notes that the run continues in a follow-up job.
func (in *invocation) continuedIn() {
	in.mu.Lock()
	in.continued = true
	in.mu.Unlock()
}

// issues counts a result's issues by severity.
func (in *invocation) issues(items []provision.Issue) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, is := range items {
		if is.Severity == provision.SeverityError {
			in.errorItems++
		} else {
			in.warnItems++
		}
	}
}

// record is the invocation's metrics.
func (in *invocation) record(run provision.Run, attempt int) metrics.Record {
	in.mu.Lock()
	defer in.mu.Unlock()
	props := runProps(run)
	props["attempt"] = attempt
	return metrics.Record{
		Properties: props,
		Groups: []metrics.Group{{Metrics: []metrics.Metric{
			count(MetricTriNetCalls, in.calls[serviceTriNet]), count(MetricLeapsomeCalls, in.calls[serviceLeapsome]),
			count(MetricTriNet429s, in.s429[serviceTriNet]), count(MetricLeapsome429s, in.s429[serviceLeapsome]),
			count(MetricRetries, in.retries), count(MetricHiresUnknown, in.unknown),
			count(MetricContinuations, b2i(in.continued)),
			count(MetricErrorItems, in.errorItems), count(MetricWarningItems, in.warnItems),
		}}},
	}
}

// The retry policies' Service names of the two clients.
const (
	serviceTriNet   = "trinet"
	serviceLeapsome = "leapsome"
)

// invocationDone reports an invocation that did something: its metrics, and
// an event when hires were left with an unknown outcome.
func (t Telemetry) invocationDone(ctx context.Context, log *slog.Logger, in *invocation, run provision.Run, attempt int, now time.Time) {
	in.mu.Lock()
	active := in.ran || len(in.calls) > 0
	unknown := in.unknown
	in.mu.Unlock()
	if !active {
		return
	}
	t.write(log, in.record(run, attempt))
	if unknown > 0 {
		log.Warn("hires with an unknown outcome", "count", unknown)
		t.publish(ctx, log, eventbus.HireOutcomeUnknown(run.TenantID, run.SyncID, unknown, now))
	}
}

// tickRecord is the metrics of one scheduler tick.
func tickRecord(res TickResult, failures int) metrics.Record {
	return metrics.Record{
		Properties: map[string]any{"slot": res.Slot.UTC().Format(time.RFC3339)},
		Groups: []metrics.Group{{Metrics: []metrics.Metric{
			count(MetricTenantsEnqueued, res.Enqueued), count(MetricTenantsInBackoff, res.BackedOff),
			count(MetricEnqueueFailures, failures),
		}}},
	}
}

// SampleRecords are records of every kind the worker and the scheduler
// write, built by the code that writes them, with every metric in them:
// tests hold the dashboard and the alarms of template.yaml to these names.
func SampleRecords() []metrics.Record {
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	run := provision.Run{TenantID: "sample", SyncID: "sample", Trigger: provision.TriggerSchedule,
		Status: provision.RunFailed, StartedAt: at, FinishedAt: at.Add(time.Second)}
	return []metrics.Record{
		runRecord(run, true),
		newInvocation().record(run, 1),
		tickRecord(TickResult{Slot: at}, 0),
		{Groups: []metrics.Group{{Metrics: []metrics.Metric{count(MetricEventsLost, 1)}}}},
	}
}
