package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"trinetsync/internal/eventbus"
	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
	"trinetsync/internal/queue"
	"trinetsync/internal/retry"
	"trinetsync/internal/secrets"
	"trinetsync/internal/store"
)

// Run error codes beyond the contract's list (which says more may be added).
const (
	CodeNotConnected       = "not_connected"
	CodeCredentialsRevoked = "credentials_revoked"
	CodeAbandoned          = "abandoned"
	CodeTriNetRejected     = "trinet_credentials_rejected"
	CodeLeapsomeRejected   = "leapsome_credentials_rejected"
	CodeUpstream           = "upstream_unavailable"
	CodeInternal           = "internal"
)

// busyRetry is the shortest wait of a manual run whose tenant is busy with
// another run before it looks again; see busyDelay.
const busyRetry = 5 * time.Second

// busyDelay is how long a manual run that has waited so long for a busy
// tenant waits before it looks again: half its wait so far, from busyRetry up
// to the longest delay SQS allows. A short wait is noticed within seconds; a
// wait until the run is abandoned costs a few dozen messages, not one every
// 5 s.
func busyDelay(waited time.Duration) time.Duration {
	return min(max(busyRetry, waited/2), queue.MaxDelay)
}

// The invocation's time is shared so that what was done is always recorded:
// the engine's context ends the bookkeeping budget before the invocation's
// deadline, and the engine starts no person later than the slowest person's
// budget before that. Both are shares of the invocation's time (30 s and
// 60 s of the worker's 300 s), at most those shares of the worker's timeout.
const (
	bookkeepingShare = 10 // bookkeeping budget = time / bookkeepingShare
	personShare      = 5  // slowest person's budget = time / personShare
	defaultTimeout   = 300 * time.Second
)

// runStore is what a run needs from the store.
type runStore interface {
	provision.LinkStore
	provision.Ledger
	Tenant(ctx context.Context, id string) (store.Tenant, error)
	MarkRevoked(ctx context.Context, id string, connectedAt time.Time) error
	SaveSettingsIf(ctx context.Context, id string, s provision.Settings, version int64) error
	DeleteLinks(ctx context.Context, tenantID string) error
	RecordRunOutcome(ctx context.Context, id string, o store.RunOutcome) (store.Tenant, error)
	CreateRun(ctx context.Context, r provision.Run) error
	Run(ctx context.Context, tenantID, syncID string) (provision.Run, error)
	UpdateRun(ctx context.Context, r provision.Run, from ...provision.RunStatus) error
	PutPlan(ctx context.Context, tenantID, syncID string, items []provision.PlanItem) error
	PutIssues(ctx context.Context, tenantID, syncID string, items []provision.Issue) error
	ListIssues(ctx context.Context, tenantID, syncID string, limit int, token string) ([]provision.Issue, string, error)
	IndexPeople(ctx context.Context, run provision.Run, items []provision.PlanItem) error
	AcquireLease(ctx context.Context, tenantID, syncID, handoff string, ttl time.Duration) (held bool, holder string, err error)
	HandOffLease(ctx context.Context, tenantID, syncID, handoff string, ttl time.Duration) error
	ReleaseLease(ctx context.Context, tenantID, syncID string) error
}

// credentialReader reads a tenant's credentials, fresh each time: a cache would
// hide a revocation.
type credentialReader interface {
	Get(ctx context.Context, tenantID string) (secrets.Credentials, error)
}

// jobSender enqueues one job (continuations).
type jobSender interface {
	Send(ctx context.Context, job queue.Job, delay time.Duration) error
}

// Outcome tells the worker what to do with a job's message.
type Outcome struct {
	// Retry returns the message to the queue, visible again after Delay.
	Retry bool
	Delay time.Duration
}

var done = Outcome{}

// Runner runs sync jobs: one call of Handle per delivered message.
type Runner struct {
	cfg     Config
	store   runStore
	secrets credentialReader
	jobs    jobSender
	clients Clients
	engine  *provision.Engine
	now     func() time.Time
	log     *slog.Logger
	tel     Telemetry
	// bookkeeping is the budget of the writes that record what an invocation
	// did (plan, issues, checkpoint or final state, lease, continuation): the
	// engine's context ends that long before the invocation's deadline, and
	// those writes run on a fresh context bounded by it, so they land even
	// when the invocation's own context has ended.
	bookkeeping time.Duration
	// safety is how long before the engine's deadline it stops starting new
	// people: the time the slowest person in flight may still take.
	safety time.Duration
	// pinned keeps bookkeeping and safety as set (tests), rather than
	// shares of the time the invocation was given.
	pinned bool
}

// NewRunner builds the worker's runner.
func NewRunner(cfg Config, st runStore, sec credentialReader, jobs jobSender, clients Clients, engine *provision.Engine, now func() time.Time, log *slog.Logger) *Runner {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	timeout := cfg.WorkerTimeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	return &Runner{cfg: cfg, store: st, secrets: sec, jobs: jobs, clients: clients, engine: engine, now: now, log: log,
		bookkeeping: timeout / bookkeepingShare, safety: timeout / personShare}
}

// WithTelemetry makes the runner report its runs' metrics and events to t.
func (r *Runner) WithTelemetry(t Telemetry) *Runner {
	r.tel = t
	return r
}

// workContext is the context of everything but the bookkeeping: it ends the
// bookkeeping budget before the invocation's deadline. stopAt is when the
// engine stops starting people (zero: no deadline).
func (r *Runner) workContext(ctx context.Context) (work context.Context, cancel context.CancelFunc, stopAt time.Time) {
	deadline, ok := ctx.Deadline()
	if !ok {
		work, cancel = context.WithCancel(ctx)
		return work, cancel, time.Time{}
	}
	book, safety := r.budgets(time.Until(deadline))
	end := deadline.Add(-book)
	work, cancel = context.WithDeadline(ctx, end)
	return work, cancel, end.Add(-safety)
}

// budgets are the bookkeeping and slowest-person budgets of an invocation
// that has left to run.
func (r *Runner) budgets(left time.Duration) (book, safety time.Duration) {
	if r.pinned {
		return r.bookkeeping, r.safety
	}
	return min(r.bookkeeping, left/bookkeepingShare), min(r.safety, left/personShare)
}

// keep is a fresh context for bookkeeping: it outlives the invocation's
// context, which may have ended, by at most the bookkeeping budget. (In AWS
// the invocation's deadline still ends everything; the engine's context
// ended a budget before it, so the budget is there.)
func (r *Runner) keep(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), max(r.bookkeeping, minBookkeeping))
}

// minBookkeeping is the least time a bookkeeping context gives.
const minBookkeeping = 2 * time.Second

// Handle runs one job. attempt is the message's receive count (1 on first
// delivery). The invocation's calls to TriNet and Leapsome are counted on
// the way (the clients' retry policies report each attempt to the context's
// observer) and reported when it ends.
func (r *Runner) Handle(ctx context.Context, job queue.Job, attempt int) Outcome {
	attempt = max(attempt, 1)
	log := r.log.With("tenant", job.TenantID, "syncId", job.SyncID)
	inv := newInvocation()
	ctx = retry.WithObserver(ctx, inv)
	now := r.now().UTC()
	run := provision.Run{
		TenantID: job.TenantID, SyncID: job.SyncID, Trigger: job.Trigger,
		DryRun: job.DryRun, ConfirmCreates: job.ConfirmCreates,
		Status: provision.RunQueued, CreatedAt: now,
	}
	defer func() { r.tel.invocationDone(ctx, log, inv, run, attempt, r.now().UTC()) }()
	return r.handle(ctx, log, inv, &run, job, attempt, now)
}

// handle is Handle for the run that *run starts as; it keeps *run as it
// learns it, for the invocation's report.
func (r *Runner) handle(ctx context.Context, log *slog.Logger, inv *invocation, runp *provision.Run, job queue.Job, attempt int, now time.Time) Outcome {
	work, cancel, stopAt := r.workContext(ctx)
	defer cancel()
	run := *runp
	if err := r.store.CreateRun(work, run); err != nil {
		if !errors.Is(err, fault.ErrConflict) {
			log.Error("create run", "err", err)
			return r.retry(attempt)
		}
		existing, err := r.store.Run(work, job.TenantID, job.SyncID)
		if err != nil {
			log.Error("read run", "err", err)
			return r.retry(attempt)
		}
		run = existing
		*runp = existing
	}
	if job.Finish != nil {
		return r.recordFinish(ctx, log, run, *job.Finish, attempt)
	}
	if run.Status.Final() {
		log.Info("run already finished; message dropped", "status", run.Status)
		return done
	}
	if Abandoned(run, now, r.cfg.AbandonAfter()) {
		return r.end(ctx, log, run, job, provision.RunFailed, errAbandoned(), attempt)
	}

	held, holder, err := r.store.AcquireLease(work, job.TenantID, job.SyncID, job.Cursor, r.cfg.LeaseTTL())
	if err == nil && !held && holder == "" {
		// Released between the take and the read-back: the tenant is free now.
		held, holder, err = r.store.AcquireLease(work, job.TenantID, job.SyncID, job.Cursor, r.cfg.LeaseTTL())
	}
	if err != nil {
		log.Error("acquire lease", "err", err)
		return r.retry(attempt)
	}
	if !held {
		switch {
		case holder == job.SyncID:
			// Another delivery of this run is at work; look again once it has had time to finish.
			return Outcome{Retry: true, Delay: r.cfg.LeaseTTL()}
		case run.Trigger == provision.TriggerSchedule:
			// Also a scheduled run that had started and lost its lease: the next
			// slot's run covers the tenant again.
			log.Info("tenant busy with another run; scheduled run skipped", "holder", holder)
			return r.end(ctx, log, run, job, provision.RunSkipped, nil, attempt)
		default:
			// Manual runs are never skipped. A fresh copy of the job, sent with a
			// delay that grows with the wait, waits for the other run without
			// using up this message's receives (returning the message would land
			// it in the dead-letter queue while a long run holds the tenant). The
			// abandoned rule still bounds how long a manual run may wait.
			delay := busyDelay(now.Sub(run.CreatedAt))
			kctx, kcancel := r.keep(ctx)
			defer kcancel()
			if err := r.jobs.Send(kctx, job, delay); err == nil {
				log.Info("tenant busy with another run; manual run waits", "holder", holder, "delay", delay)
				return done
			}
			return Outcome{Retry: true, Delay: delay}
		}
	}

	from := run.Status
	run.Status = provision.RunRunning
	if run.StartedAt.IsZero() {
		run.StartedAt = now
	}
	run.LeaseUntil = now.Add(r.cfg.LeaseTTL())
	if err := r.store.UpdateRun(work, run, from); err != nil {
		log.Error("mark run running", "err", err)
		r.releaseLease(ctx, log, run)
		return r.retry(attempt)
	}
	// The run's own cursor is its last checkpoint. A message that is not the
	// latest continuation (a redelivery of the first message, or of a
	// continuation whose successor was never enqueued) resumes there: starting
	// over at the message's cursor would count the people in between twice.
	if from == provision.RunRunning && run.Cursor != "" {
		job.Cursor = run.Cursor
	}
	log.Info("run started", "trigger", run.Trigger, "dryRun", run.DryRun, "resumed", job.Cursor != "")
	return r.execute(ctx, work, stopAt, log, inv, run, job, attempt)
}

// execute runs the sync under work, the context that ends the bookkeeping
// budget before the invocation's deadline; what was done is then recorded on
// a fresh context (see keep), so a slow TriNet near the end of an invocation
// costs the people not yet started, never the checkpoint.
func (r *Runner) execute(ctx, work context.Context, stopAt time.Time, log *slog.Logger, inv *invocation, run provision.Run, job queue.Job, attempt int) Outcome {
	tenant, err := r.store.Tenant(work, job.TenantID)
	if err != nil {
		return r.failOrRetry(ctx, log, run, job, attempt, err)
	}
	if tenant.Status != store.Connected {
		return r.end(ctx, log, run, job, provision.RunFailed, &provision.RunError{Code: CodeNotConnected, Message: "The tenant is not connected to TriNet."}, attempt)
	}
	creds, err := r.secrets.Get(work, job.TenantID)
	if errors.Is(err, fault.ErrCredentialsRevoked) {
		// A console deletion: the tenant stops being scheduled, unless it was reconnected meanwhile.
		kctx, kcancel := r.keep(ctx)
		err := r.store.MarkRevoked(kctx, job.TenantID, tenant.ConnectedAt)
		kcancel()
		if err != nil && !errors.Is(err, fault.ErrConflict) {
			log.Error("mark tenant revoked", "err", err)
			r.releaseLease(ctx, log, run)
			return r.retry(attempt)
		}
		log.Warn("credentials revoked; tenant marked revoked")
		if err == nil {
			// Only the run whose write marked the tenant revoked announces it:
			// a conflict means another run did, or the tenant was reconnected.
			r.tel.publish(ctx, log, eventbus.CredentialsRevoked(job.TenantID, job.SyncID, r.now().UTC()))
		}
		return r.end(ctx, log, run, job, provision.RunFailed, &provision.RunError{Code: CodeCredentialsRevoked, Message: "The stored TriNet and Leapsome credentials were deleted; reconnect the integration to resume syncing."}, attempt)
	}
	if err != nil {
		return r.failOrRetry(ctx, log, run, job, attempt, err)
	}
	if creds.TriNet.CompanyID != tenant.CompanyID {
		// A reconnection to another TriNet company is half-way (or two raced):
		// these credentials reach a company whose employee ids the tenant's
		// links and hires do not name. Nothing is read or written until the
		// record and the secret agree again.
		log.Warn("stored credentials name another TriNet company than the tenant record; run stopped",
			"companyId", tenant.CompanyID, "credentialsCompanyId", creds.TriNet.CompanyID)
		return r.end(ctx, log, run, job, provision.RunFailed, &provision.RunError{Code: CodeNotConnected,
			Message: "The TriNet connection is being changed: the stored credentials name another company than the connection. Reconnect the integration to resume syncing."}, attempt)
	}
	people, company, err := r.clients.ForTenant(creds, log)
	if err != nil {
		return r.failOrRetry(ctx, log, run, job, attempt, err)
	}
	saved := tenant.Settings
	if run.Preview != nil {
		// A dry run previewing a settings change plans with it; the saved
		// settings stay as they are (the SCIM drop below is for real runs).
		saved = run.Preview
	}
	settings, tenantIssues := provision.EffectiveSettings(saved, creds.Leapsome.SCIMToken != "")
	if run.Subset() {
		// A subset run plans its people without the SCIM mappings all the
		// same, but leaves the drop and its one scim_unavailable warning to a
		// full run: the errors page shows full runs only, so a warning taken
		// here would never be read, and a subset run leaves the rest (saved
		// settings included) untouched.
		tenantIssues = nil
	}
	if len(tenantIssues) > 0 && !run.DryRun && job.Cursor == "" && tenant.Settings != nil {
		// The SCIM mappings of a connection that no longer has a SCIM token are
		// dropped for good, so this run warns once and later ones do not. Only
		// over the record this run read: an admin's PUT …/settings, a
		// disconnect or a reconnect since then wins.
		err := r.store.SaveSettingsIf(work, job.TenantID, settings, tenant.Version)
		switch {
		case errors.Is(err, fault.ErrConflict):
			log.Info("settings changed during the run; SCIM mappings left for the next run to drop")
		case err != nil:
			log.Warn("save settings without SCIM mappings", "err", err)
		}
	}

	subset, err := r.subsetOf(work, run)
	if err != nil {
		return r.failOrRetry(ctx, log, run, job, attempt, err)
	}
	res, err := r.engine.Run(work, provision.Input{
		TenantID: job.TenantID, SyncID: job.SyncID, CompanyID: tenant.CompanyID,
		Settings: settings, SCIMConfigured: creds.Leapsome.SCIMToken != "",
		DryRun: run.DryRun, ConfirmCreates: run.ConfirmCreates,
		Subset: subset, Approve: run.ApproveCreates,
		People: people, Company: company, Links: r.store, Ledger: r.store,
		Cursor: job.Cursor, Deadline: stopAt,
	})
	inv.engineRan()
	if errors.Is(err, provision.ErrCompanyChanged) {
		log.Warn("the tenant moved to another TriNet company during the run; run stopped", "companyId", tenant.CompanyID)
		return r.end(ctx, log, run, job, provision.RunFailed, &provision.RunError{Code: CodeNotConnected,
			Message: "The TriNet connection moved to another company while this sync was running, so it stopped; the next sync runs in the new company."}, attempt)
	}
	if err != nil {
		return r.failOrRetry(ctx, log, run, job, attempt, err)
	}
	// The ledger entries are moved already: counted now, whatever the
	// recording below does, as no later invocation finds them to move again.
	inv.foundUnknown(res.FoundUnknown)
	kctx, kcancel := r.keep(ctx)
	defer kcancel()
	if !run.DryRun {
		r.dropLinksOfAnEndedConnection(kctx, log, job.TenantID)
	}
	if job.Cursor == "" {
		res.Issues = append(tenantIssues, res.Issues...)
		for _, is := range tenantIssues {
			if is.Severity == provision.SeverityWarning {
				res.Counts.Warnings++
			}
		}
	}
	if err := r.store.PutPlan(kctx, job.TenantID, job.SyncID, res.Plan); err != nil {
		return r.failOrRetry(ctx, log, run, job, attempt, err)
	}
	if err := r.store.PutIssues(kctx, job.TenantID, job.SyncID, res.Issues); err != nil {
		return r.failOrRetry(ctx, log, run, job, attempt, err)
	}
	if err := r.store.IndexPeople(kctx, run, res.Plan); err != nil {
		return r.failOrRetry(ctx, log, run, job, attempt, err)
	}
	// Counted once recorded: a retried invocation counts its items again
	// only when the first one did not record them.
	inv.issues(res.Issues)
	run.Counts.Add(res.Counts)
	run.ErrorPeople += res.ErrorPeople

	if res.Cursor != "" {
		out := r.checkpoint(kctx, log, run, job, res.Cursor, attempt)
		if !out.Retry {
			inv.continuedIn()
		}
		return out
	}
	status := provision.RunSucceeded
	if run.Counts.Errors > 0 || run.ErrorPeople > 0 {
		status = provision.RunPartial
	}
	return r.end(ctx, log, run, job, status, nil, attempt)
}

// subsetOf is the people a run covers: nil for a full run; for an onlyFailed
// run, the people with error issues in the run it retries, read again by each
// continuation (that run is finished, so they stay the same), and the people
// the trigger approved by name (they could not be listed in people beside
// onlyFailed).
func (r *Runner) subsetOf(ctx context.Context, run provision.Run) ([]string, error) {
	switch {
	case len(run.People) > 0:
		return run.People, nil
	case !run.OnlyFailed:
		return nil, nil
	}
	out := slices.Clone(run.ApproveCreates)
	if out == nil {
		out = []string{}
	}
	if run.FailedOf == "" {
		return out, nil
	}
	seen := map[string]bool{}
	for _, id := range out {
		seen[id] = true
	}
	for token := ""; ; {
		items, next, err := r.store.ListIssues(ctx, run.TenantID, run.FailedOf, 1000, token)
		if err != nil {
			return nil, fmt.Errorf("read the failed people of run %s: %w", run.FailedOf, err)
		}
		for _, is := range items {
			if is.Severity == provision.SeverityError && is.UserID != "" && !seen[is.UserID] {
				seen[is.UserID] = true
				out = append(out, is.UserID)
			}
		}
		if next == "" {
			return out, nil
		}
		token = next
	}
}

// dropLinksOfAnEndedConnection deletes the links again when the connection
// this run started under was revoked while the run was writing: its links
// would otherwise come back after the revocation deleted them. A move to
// another TriNet company needs nothing: the run's links belong to the
// company it ran in, which the next company never reads.
func (r *Runner) dropLinksOfAnEndedConnection(ctx context.Context, log *slog.Logger, tenantID string) {
	now, err := r.store.Tenant(ctx, tenantID)
	if err != nil || now.Status == store.Connected {
		return
	}
	if err := r.store.DeleteLinks(ctx, tenantID); err != nil {
		log.Error("delete the links of a connection that ended during the run", "err", err)
		return
	}
	log.Info("connection ended during the run; its links were deleted")
}

// checkpoint records progress, hands the lease over to the continuation and
// enqueues it, so a tenant too large for one invocation is never cut off.
// ctx is a bookkeeping context.
func (r *Runner) checkpoint(ctx context.Context, log *slog.Logger, run provision.Run, job queue.Job, cursor string, attempt int) Outcome {
	run.Cursor = cursor
	run.LeaseUntil = r.now().UTC().Add(r.cfg.LeaseTTL())
	if err := r.store.UpdateRun(ctx, run, provision.RunRunning); err != nil {
		log.Error("checkpoint run", "err", err)
		return r.retry(attempt)
	}
	if err := r.store.HandOffLease(ctx, job.TenantID, job.SyncID, cursor, r.cfg.LeaseTTL()); err != nil {
		log.Error("hand off lease", "err", err)
		return r.retry(attempt)
	}
	next := job
	next.Cursor = cursor
	if err := r.jobs.Send(ctx, next, 0); err != nil {
		// The run's cursor is saved: a redelivery of this message resumes from the
		// last checkpoint once the handed-off lease expires.
		log.Error("enqueue continuation", "err", err)
		return r.retry(attempt)
	}
	log.Info("run continues in a follow-up job", "cursor", cursor, "counts", run.Counts)
	return done
}

// failOrRetry decides between retrying a transient failure and failing the run.
func (r *Runner) failOrRetry(ctx context.Context, log *slog.Logger, run provision.Run, job queue.Job, attempt int, err error) Outcome {
	if fault.Retryable(err) && attempt < r.cfg.MaxReceiveCount {
		log.Warn("transient failure; job will be retried", "attempt", attempt, "err", err)
		r.releaseLease(ctx, log, run)
		return r.retry(attempt)
	}
	log.Error("run failed", "err", err)
	out := r.end(ctx, log, run, job, provision.RunFailed, runError(err), attempt)
	if out.Retry || !fault.Retryable(err) {
		return out
	}
	// A job that kept failing lands in the dead-letter queue, whose alarm
	// tells an operator; the run already says why, and a redriven copy is
	// dropped as finished.
	return r.retry(attempt)
}

func runError(err error) *provision.RunError {
	switch {
	case errors.Is(err, fault.ErrAuth), errors.Is(err, fault.ErrForbidden):
		if strings.HasPrefix(fault.FieldOf(err), "leapsome") {
			return &provision.RunError{Code: CodeLeapsomeRejected, Message: "Leapsome rejected the stored credentials; reconnect the integration with a valid API secret or SCIM token."}
		}
		return &provision.RunError{Code: CodeTriNetRejected, Message: "TriNet rejected the stored credentials; reconnect the integration with a valid client id, client secret and company id."}
	case fault.Retryable(err):
		return &provision.RunError{Code: CodeUpstream, Message: "TriNet or Leapsome stayed unavailable; the next run will try again."}
	default:
		// fault.Internal included: our own role, key, quota or request was
		// refused (say, the stored secret could not be read). That is for an
		// operator, and never the tenant's credentials being rejected.
		return &provision.RunError{Code: CodeInternal, Message: "The run could not complete because of an internal error."}
	}
}

// end writes the run's final state on a fresh context. When that write fails,
// the outcome is not lost: it is sent in a follow-up message whose delivery
// writes it without running again, or, if even that cannot be sent, this
// message is returned to run the rest again from the last checkpoint.
func (r *Runner) end(ctx context.Context, log *slog.Logger, run provision.Run, job queue.Job, status provision.RunStatus, rerr *provision.RunError, attempt int) Outcome {
	kctx, cancel := r.keep(ctx)
	defer cancel()
	now := r.now().UTC()
	_, err := finishRun(kctx, r.store, r.tel, log, &run, status, rerr, now)
	if err == nil {
		return done
	}
	if status == provision.RunSkipped {
		// Nothing was done; a redelivery looks at the tenant again.
		return r.retry(attempt)
	}
	fin := job
	fin.Cursor = ""
	fin.Finish = &queue.Finish{Status: status, Counts: run.Counts, ErrorPeople: run.ErrorPeople, Error: rerr, FinishedAt: now}
	if serr := r.jobs.Send(kctx, fin, 0); serr != nil {
		log.Error("neither the run's outcome nor a message carrying it could be written; the job will be retried", "err", serr)
		return r.retry(attempt)
	}
	log.Warn("run's outcome sent in a follow-up message to be written", "status", status)
	return done
}

// recordFinish writes the outcome a finish message carries.
func (r *Runner) recordFinish(ctx context.Context, log *slog.Logger, run provision.Run, f queue.Finish, attempt int) Outcome {
	if run.Status.Final() {
		log.Info("run already finished; outcome message dropped", "status", run.Status)
		return done
	}
	run.Counts, run.ErrorPeople = f.Counts, f.ErrorPeople
	kctx, cancel := r.keep(ctx)
	defer cancel()
	if _, err := finishRun(kctx, r.store, r.tel, log, &run, f.Status, f.Error, f.FinishedAt); err != nil {
		return r.retry(attempt)
	}
	return done
}

// finisher is what ending a run needs from the store.
type finisher interface {
	UpdateRun(ctx context.Context, r provision.Run, from ...provision.RunStatus) error
	RecordRunOutcome(ctx context.Context, id string, o store.RunOutcome) (store.Tenant, error)
	ReleaseLease(ctx context.Context, tenantID, syncID string) error
}

// finalWriteTries bounds the attempts at a run's final state within the
// bookkeeping budget; a DynamoDB blip (throttling, a dropped connection)
// passes within them.
const finalWriteTries = 4

// finishRun ends a run for the worker and for API reads that find it
// abandoned alike: final state, back-off, lease. wrote reports whether this
// call wrote the final state; a run someone else settled meanwhile is not an
// error. An error means the final state could not be written (after a few
// tries of a transient failure): the run is still as it was, lease included,
// and the caller must keep its outcome.
//
// The run is reported (metrics, and events for a partial or failed run or a
// back-off it started) by the call that wrote its final state, so once.
func finishRun(ctx context.Context, st finisher, tel Telemetry, log *slog.Logger, run *provision.Run, status provision.RunStatus, rerr *provision.RunError, now time.Time) (wrote bool, err error) {
	from := run.Status
	var after *store.Tenant
	// The back-off first: a reader that sees the run finished sees what it did
	// to the tenant too. Recording the same run twice changes nothing, so a
	// retry after a failed final write does not count it again. A subset run
	// neither counts nor clears it: the contract's back-off counts the runs
	// that try the whole tenant.
	if status != provision.RunSkipped && !run.DryRun && !run.Subset() && (rerr == nil || rerr.Code != CodeNotConnected) {
		reason := ""
		if rerr != nil {
			reason = rerr.Code
		}
		o := store.RunOutcome{SyncID: run.SyncID, Failed: status == provision.RunFailed, Reason: reason, At: now}
		t, err := st.RecordRunOutcome(ctx, run.TenantID, o)
		switch {
		case err == nil:
			after = &t
		case !errors.Is(err, fault.ErrNotFound):
			log.Error("record run outcome", "err", err)
		}
	}
	run.Status = status
	run.Error = rerr
	run.FinishedAt = now
	run.Cursor = ""
	p := retry.Policy{MaxRetries: finalWriteTries - 1, BaseDelay: 100 * time.Millisecond, Service: "dynamodb", Logger: log}
	err = p.Do(ctx, "finish run", func(actx context.Context) retry.Attempt {
		err := st.UpdateRun(actx, *run, from)
		return retry.Attempt{Err: err, Retry: fault.Retryable(err)}
	})
	if errors.Is(err, fault.ErrConflict) || errors.Is(err, fault.ErrNotFound) {
		// Someone else settled the run (an API read that found it abandoned):
		// the lease must still go, or the tenant waits for it to expire.
		log.Info("run settled by someone else", "status", status, "err", err)
		if from == provision.RunRunning {
			releaseLease(ctx, st, log, *run)
		}
		return false, nil
	}
	if err != nil {
		log.Error("finish run", "status", status, "err", err)
		run.Status, run.Error, run.FinishedAt = from, nil, time.Time{}
		return false, err
	}
	if from == provision.RunRunning {
		releaseLease(ctx, st, log, *run)
	}
	attrs := []any{"status", status, "counts", run.Counts}
	if rerr != nil {
		attrs = append(attrs, "code", rerr.Code)
	}
	log.Info("run finished", attrs...)
	tel.runFinished(ctx, log, *run, after)
	return true, nil
}

// releaseLease gives the tenant's lease up on a fresh context: it is called
// when the invocation's own may have ended.
func (r *Runner) releaseLease(ctx context.Context, log *slog.Logger, run provision.Run) {
	kctx, cancel := r.keep(ctx)
	defer cancel()
	releaseLease(kctx, r.store, log, run)
}

func releaseLease(ctx context.Context, st finisher, log *slog.Logger, run provision.Run) {
	if err := st.ReleaseLease(ctx, run.TenantID, run.SyncID); err != nil && !errors.Is(err, fault.ErrConflict) {
		log.Error("release lease", "err", err)
	}
}

// retry gives a failed message a visibility timeout that grows with each attempt.
func (r *Runner) retry(attempt int) Outcome {
	attempt = max(attempt, 1)
	d := 30 * time.Second << min(attempt-1, 5)
	return Outcome{Retry: true, Delay: min(d, 12*time.Hour)}
}

func errAbandoned() *provision.RunError {
	return &provision.RunError{Code: CodeAbandoned, Message: "The run stopped making progress and was abandoned."}
}

// Abandoned reports whether a run that is not final has stopped making
// progress: queued, or with an expired lease, for longer than after.
func Abandoned(run provision.Run, now time.Time, after time.Duration) bool {
	switch run.Status {
	case provision.RunQueued:
		return now.Sub(run.CreatedAt) > after
	case provision.RunRunning:
		ref := run.LeaseUntil
		if ref.IsZero() {
			ref = run.StartedAt
		}
		return now.Sub(ref) > after
	}
	return false
}

// String keeps credentials out of accidental prints of a Runner.
func (r *Runner) String() string { return fmt.Sprintf("Runner(%s)", r.cfg.TableName) }
