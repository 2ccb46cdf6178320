package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
	"trinetsync/internal/queue"
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

// busyRetry is how long a manual run whose tenant is busy with another run
// waits before it looks again.
const busyRetry = 5 * time.Second

// runStore is what a run needs from the store.
type runStore interface {
	provision.LinkStore
	provision.Ledger
	Tenant(ctx context.Context, id string) (store.Tenant, error)
	MarkRevoked(ctx context.Context, id string, connectedAt time.Time) error
	SaveSettings(ctx context.Context, id string, s provision.Settings) error
	DeleteLinks(ctx context.Context, tenantID string) error
	RecordRunOutcome(ctx context.Context, id string, failed bool, reason string, now time.Time) (store.Tenant, error)
	CreateRun(ctx context.Context, r provision.Run) error
	Run(ctx context.Context, tenantID, syncID string) (provision.Run, error)
	UpdateRun(ctx context.Context, r provision.Run, from ...provision.RunStatus) error
	PutPlan(ctx context.Context, tenantID, syncID string, items []provision.PlanItem) error
	PutIssues(ctx context.Context, tenantID, syncID string, items []provision.Issue) error
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
	// safety is how long before the invocation's deadline the engine stops
	// starting new people, leaving time to record the run and enqueue the rest.
	safety time.Duration
}

// NewRunner builds the worker's runner.
func NewRunner(cfg Config, st runStore, sec credentialReader, jobs jobSender, clients Clients, engine *provision.Engine, now func() time.Time, log *slog.Logger) *Runner {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Runner{cfg: cfg, store: st, secrets: sec, jobs: jobs, clients: clients, engine: engine, now: now, log: log, safety: 20 * time.Second}
}

// Handle runs one job. attempt is the message's receive count (1 on first delivery).
func (r *Runner) Handle(ctx context.Context, job queue.Job, attempt int) Outcome {
	attempt = max(attempt, 1)
	log := r.log.With("tenant", job.TenantID, "syncId", job.SyncID)
	now := r.now().UTC()
	run := provision.Run{
		TenantID: job.TenantID, SyncID: job.SyncID, Trigger: job.Trigger,
		DryRun: job.DryRun, ConfirmCreates: job.ConfirmCreates,
		Status: provision.RunQueued, CreatedAt: now,
	}
	if err := r.store.CreateRun(ctx, run); err != nil {
		if !errors.Is(err, fault.ErrConflict) {
			log.Error("create run", "err", err)
			return r.retry(attempt)
		}
		existing, err := r.store.Run(ctx, job.TenantID, job.SyncID)
		if err != nil {
			log.Error("read run", "err", err)
			return r.retry(attempt)
		}
		run = existing
	}
	if run.Status.Final() {
		log.Info("run already finished; message dropped", "status", run.Status)
		return done
	}
	if Abandoned(run, now, r.cfg.AbandonAfter()) {
		r.finish(ctx, log, &run, provision.RunFailed, errAbandoned())
		return done
	}

	held, holder, err := r.store.AcquireLease(ctx, job.TenantID, job.SyncID, job.Cursor, r.cfg.LeaseTTL())
	if err == nil && !held && holder == "" {
		// Released between the take and the read-back: the tenant is free now.
		held, holder, err = r.store.AcquireLease(ctx, job.TenantID, job.SyncID, job.Cursor, r.cfg.LeaseTTL())
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
			r.finish(ctx, log, &run, provision.RunSkipped, nil)
			return done
		default:
			// Manual runs are never skipped. A fresh copy of the job, sent with a
			// delay, waits for the other run without using up this message's
			// receives (returning the message would land it in the dead-letter
			// queue while a long run holds the tenant). The abandoned rule still
			// bounds how long a manual run may wait.
			if err := r.jobs.Send(ctx, job, busyRetry); err == nil {
				log.Info("tenant busy with another run; manual run waits", "holder", holder)
				return done
			}
			return Outcome{Retry: true, Delay: busyRetry}
		}
	}

	from := run.Status
	run.Status = provision.RunRunning
	if run.StartedAt.IsZero() {
		run.StartedAt = now
	}
	run.LeaseUntil = now.Add(r.cfg.LeaseTTL())
	if err := r.store.UpdateRun(ctx, run, from); err != nil {
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
	return r.execute(ctx, log, run, job, attempt)
}

func (r *Runner) execute(ctx context.Context, log *slog.Logger, run provision.Run, job queue.Job, attempt int) Outcome {
	tenant, err := r.store.Tenant(ctx, job.TenantID)
	if err != nil {
		return r.failOrRetry(ctx, log, &run, attempt, err)
	}
	if tenant.Status != store.Connected {
		r.finish(ctx, log, &run, provision.RunFailed, &provision.RunError{Code: CodeNotConnected, Message: "The tenant is not connected to TriNet."})
		return done
	}
	creds, err := r.secrets.Get(ctx, job.TenantID)
	if errors.Is(err, fault.ErrCredentialsRevoked) {
		// A console deletion: the tenant stops being scheduled, unless it was reconnected meanwhile.
		if err := r.store.MarkRevoked(ctx, job.TenantID, tenant.ConnectedAt); err != nil && !errors.Is(err, fault.ErrConflict) {
			log.Error("mark tenant revoked", "err", err)
			return r.retry(attempt)
		}
		log.Warn("credentials revoked; tenant marked revoked")
		r.finish(ctx, log, &run, provision.RunFailed, &provision.RunError{Code: CodeCredentialsRevoked, Message: "The stored TriNet and Leapsome credentials were deleted; reconnect the integration to resume syncing."})
		return done
	}
	if err != nil {
		return r.failOrRetry(ctx, log, &run, attempt, err)
	}
	if creds.TriNet.CompanyID != tenant.CompanyID {
		// A reconnection to another TriNet company is half-way (or two raced):
		// these credentials reach a company whose employee ids the tenant's
		// links and hires do not name. Nothing is read or written until the
		// record and the secret agree again.
		log.Warn("stored credentials name another TriNet company than the tenant record; run stopped",
			"companyId", tenant.CompanyID, "credentialsCompanyId", creds.TriNet.CompanyID)
		r.finish(ctx, log, &run, provision.RunFailed, &provision.RunError{Code: CodeNotConnected,
			Message: "The TriNet connection is being changed: the stored credentials name another company than the connection. Reconnect the integration to resume syncing."})
		return done
	}
	people, company, err := r.clients.ForTenant(creds, log)
	if err != nil {
		return r.failOrRetry(ctx, log, &run, attempt, err)
	}
	settings, tenantIssues := provision.EffectiveSettings(tenant.Settings, creds.Leapsome.SCIMToken != "")
	if len(tenantIssues) > 0 && !run.DryRun && job.Cursor == "" {
		// The SCIM mappings of a connection that no longer has a SCIM token are
		// dropped for good, so this run warns once and later ones do not.
		if err := r.store.SaveSettings(ctx, job.TenantID, settings); err != nil {
			log.Warn("save settings without SCIM mappings", "err", err)
		}
	}

	deadline, ok := ctx.Deadline()
	if ok {
		deadline = deadline.Add(-r.safety)
	}
	res, err := r.engine.Run(ctx, provision.Input{
		TenantID: job.TenantID, SyncID: job.SyncID, CompanyID: tenant.CompanyID,
		Settings: settings, SCIMConfigured: creds.Leapsome.SCIMToken != "",
		DryRun: run.DryRun, ConfirmCreates: run.ConfirmCreates,
		People: people, Company: company, Links: r.store, Ledger: r.store,
		Cursor: job.Cursor, Deadline: deadline,
	})
	if err != nil {
		return r.failOrRetry(ctx, log, &run, attempt, err)
	}
	if !run.DryRun {
		r.dropLinksOfAnEndedConnection(ctx, log, job.TenantID)
	}
	if job.Cursor == "" {
		res.Issues = append(tenantIssues, res.Issues...)
		for _, is := range tenantIssues {
			if is.Severity == provision.SeverityWarning {
				res.Counts.Warnings++
			}
		}
	}
	if err := r.store.PutPlan(ctx, job.TenantID, job.SyncID, res.Plan); err != nil {
		return r.failOrRetry(ctx, log, &run, attempt, err)
	}
	if err := r.store.PutIssues(ctx, job.TenantID, job.SyncID, res.Issues); err != nil {
		return r.failOrRetry(ctx, log, &run, attempt, err)
	}
	run.Counts.Add(res.Counts)
	run.ErrorPeople += res.ErrorPeople

	if res.Cursor != "" {
		return r.checkpoint(ctx, log, run, job, res.Cursor, attempt)
	}
	status := provision.RunSucceeded
	if run.Counts.Errors > 0 || run.ErrorPeople > 0 {
		status = provision.RunPartial
	}
	r.finish(ctx, log, &run, status, nil)
	return done
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
func (r *Runner) failOrRetry(ctx context.Context, log *slog.Logger, run *provision.Run, attempt int, err error) Outcome {
	if fault.Retryable(err) && attempt < r.cfg.MaxReceiveCount {
		log.Warn("transient failure; job will be retried", "attempt", attempt, "err", err)
		r.releaseLease(ctx, log, *run)
		return r.retry(attempt)
	}
	log.Error("run failed", "err", err)
	r.finish(ctx, log, run, provision.RunFailed, runError(err))
	if fault.Retryable(err) {
		// A job that kept failing lands in the dead-letter queue, whose alarm
		// tells an operator; the run already says why, and a redriven copy is
		// dropped as finished.
		return r.retry(attempt)
	}
	return done
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
		return &provision.RunError{Code: CodeInternal, Message: "The run could not complete because of an internal error."}
	}
}

// finisher is what ending a run needs from the store.
type finisher interface {
	UpdateRun(ctx context.Context, r provision.Run, from ...provision.RunStatus) error
	RecordRunOutcome(ctx context.Context, id string, failed bool, reason string, now time.Time) (store.Tenant, error)
	ReleaseLease(ctx context.Context, tenantID, syncID string) error
}

// finish writes the run's final state, updates the tenant's back-off and
// releases the lease. A skipped run changes nothing else.
func (r *Runner) finish(ctx context.Context, log *slog.Logger, run *provision.Run, status provision.RunStatus, rerr *provision.RunError) {
	finishRun(ctx, r.store, log, run, status, rerr, r.now().UTC())
}

// finishRun ends a run for the worker and for API reads that find it
// abandoned alike. It reports whether this call wrote the final state.
func finishRun(ctx context.Context, st finisher, log *slog.Logger, run *provision.Run, status provision.RunStatus, rerr *provision.RunError, now time.Time) bool {
	from := run.Status
	run.Status = status
	run.Error = rerr
	run.FinishedAt = now
	run.Cursor = ""
	if err := st.UpdateRun(ctx, *run, from); err != nil {
		// Someone else settled the run (an API read that found it abandoned):
		// the lease must still go, or the tenant waits for it to expire.
		log.Error("finish run", "status", status, "err", err)
		if from == provision.RunRunning {
			releaseLease(ctx, st, log, *run)
		}
		return false
	}
	if status != provision.RunSkipped && !run.DryRun && (rerr == nil || rerr.Code != CodeNotConnected) {
		reason := ""
		if rerr != nil {
			reason = rerr.Code
		}
		if _, err := st.RecordRunOutcome(ctx, run.TenantID, status == provision.RunFailed, reason, now); err != nil && !errors.Is(err, fault.ErrNotFound) {
			log.Error("record run outcome", "err", err)
		}
	}
	if from == provision.RunRunning {
		releaseLease(ctx, st, log, *run)
	}
	attrs := []any{"status", status, "counts", run.Counts}
	if rerr != nil {
		attrs = append(attrs, "code", rerr.Code)
	}
	log.Info("run finished", attrs...)
	return true
}

func (r *Runner) releaseLease(ctx context.Context, log *slog.Logger, run provision.Run) {
	releaseLease(ctx, r.store, log, run)
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
