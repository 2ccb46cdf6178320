package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"trinetsync/internal/api"
	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
	"trinetsync/internal/secrets"
	"trinetsync/internal/store"
)

// backendStore is what the HTTP API's backend needs from the store.
type backendStore interface {
	Tenant(ctx context.Context, id string) (store.Tenant, error)
	Connect(ctx context.Context, t store.Tenant) (store.Tenant, error)
	Disconnect(ctx context.Context, id string) error
	AdoptLegacy(ctx context.Context, tenantID, companyID string) error
	SaveSettings(ctx context.Context, id string, s provision.Settings) error
	CreateRun(ctx context.Context, r provision.Run) error
	Run(ctx context.Context, tenantID, syncID string) (provision.Run, error)
	UpdateRun(ctx context.Context, r provision.Run, from ...provision.RunStatus) error
	RecordRunOutcome(ctx context.Context, id string, o store.RunOutcome) (store.Tenant, error)
	ReleaseLease(ctx context.Context, tenantID, syncID string) error
	ListRuns(ctx context.Context, tenantID string, limit int, token string) ([]provision.Run, string, error)
	LatestFinishedRun(ctx context.Context, tenantID string) (provision.Run, error)
	StartManualRun(ctx context.Context, r provision.Run) (provision.Run, bool, error)
	ListPlan(ctx context.Context, tenantID, syncID string, limit int, token string) ([]provision.PlanItem, string, error)
	ListDrift(ctx context.Context, tenantID, syncID string, limit int, token string) ([]provision.PlanItem, string, error)
	ListIssues(ctx context.Context, tenantID, syncID string, limit int, token string) ([]provision.Issue, string, error)
	ListHires(ctx context.Context, tenantID, companyID string, state provision.HireState, limit int, token string) ([]provision.HireEntry, string, error)
	ReleaseHire(ctx context.Context, tenantID, companyID, userID string) error
	PutAudit(ctx context.Context, tenant string, e store.AuditEntry) error
	ListAudit(ctx context.Context, tenant string, limit int, token string) ([]store.AuditEntry, string, error)
	linkStore
	personStore
}

// credentialStore keeps tenants' credentials.
type credentialStore interface {
	Name(tenantID string) string
	Put(ctx context.Context, tenantID string, c secrets.Credentials) error
	Get(ctx context.Context, tenantID string) (secrets.Credentials, error)
	Delete(ctx context.Context, tenantID string) error
}

// credentialChecker verifies credentials against the two APIs, and builds
// the clients the checks of a manual link read TriNet with.
type credentialChecker interface {
	Check(ctx context.Context, c secrets.Credentials) error
	Clients
}

// connectCheckTimeout bounds the credential checks of a connect.
const connectCheckTimeout = 20 * time.Second

// compensateTimeout bounds the write that fails a manual run whose job could
// not be queued.
const compensateTimeout = 5 * time.Second

// Backend is the HTTP API's backend: the use cases behind api.Backend.
type Backend struct {
	cfg     Config
	store   backendStore
	secrets credentialStore
	checker credentialChecker
	jobs    jobSender
	now     func() time.Time
	log     *slog.Logger
	// checkTimeout bounds the credential checks of a connect.
	checkTimeout time.Duration
	tel          Telemetry
}

var _ api.Backend = (*Backend)(nil)

// NewBackend builds the API backend.
func NewBackend(cfg Config, st backendStore, sec credentialStore, checker credentialChecker, jobs jobSender, now func() time.Time, log *slog.Logger) *Backend {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Backend{cfg: cfg, store: st, secrets: sec, checker: checker, jobs: jobs, now: now, log: log, checkTimeout: connectCheckTimeout}
}

// WithTelemetry makes the backend report the runs it settles (metrics and
// events) to t.
func (s *Backend) WithTelemetry(t Telemetry) *Backend {
	s.tel = t
	return s
}

// fieldCatalog is the catalog, copied on first use: it never changes, and
// only readers (the renderer) see the slices it shares.
var fieldCatalog = sync.OnceValue(provision.Fields)

// Fields serves the field catalog.
func (s *Backend) Fields(context.Context) (api.Catalog, error) {
	return fieldCatalog(), nil
}

// Connect checks the credentials against both APIs, stores them, and marks
// the tenant connected (clearing any back-off).
func (s *Backend) Connect(ctx context.Context, tenant string, req api.ConnectRequest) (api.Connection, error) {
	var creds secrets.Credentials
	creds.TriNet.CompanyID = strings.TrimSpace(req.TriNet.CompanyID)
	creds.TriNet.ClientID = strings.TrimSpace(req.TriNet.ClientID)
	creds.TriNet.ClientSecret = req.TriNet.ClientSecret
	creds.Leapsome.APISecret = req.Leapsome.APISecret
	creds.Leapsome.SCIMToken = req.Leapsome.SCIMToken
	if err := creds.Validate(); err != nil {
		return api.Connection{}, err
	}
	// API Gateway gives up after 30 s; an upstream that is down must be
	// answered 502 by us well before that.
	checkCtx, cancel := context.WithTimeout(ctx, s.checkTimeout)
	defer cancel()
	if err := s.checker.Check(checkCtx, creds); err != nil {
		return api.Connection{}, err
	}
	if err := s.secrets.Put(ctx, tenant, creds); err != nil {
		return api.Connection{}, fmt.Errorf("store credentials: %w", err)
	}
	prev, err := s.store.Tenant(ctx, tenant)
	if err != nil {
		return api.Connection{}, err
	}
	t := prev
	t.ID = tenant
	t.Status = store.Connected
	t.CompanyID = creds.TriNet.CompanyID
	t.ClientIDMasked = secrets.MaskID(creds.TriNet.ClientID)
	t.SecretName = s.secrets.Name(tenant)
	t.SCIMConfigured = creds.Leapsome.SCIMToken != ""
	t.ConnectedAt = s.now().UTC()
	t.RevokedAt = time.Time{}
	t.ConsecutiveFailures = 0
	t.Backoff = nil
	if prev.CompanyID != "" && prev.CompanyID != t.CompanyID {
		// Links and hires are kept per TriNet company, so a move needs no
		// clean-up: the new company starts with none, the old one's stay as
		// history. Only entries stored before they carried a company are bound
		// to the company being left, before the tenant record forgets it.
		if err := s.store.AdoptLegacy(ctx, tenant, prev.CompanyID); err != nil {
			return api.Connection{}, fmt.Errorf("bind the links and hires of TriNet company %s: %w", prev.CompanyID, err)
		}
		s.log.Info("tenant moves to another TriNet company", "tenant", tenant, "from", prev.CompanyID, "to", t.CompanyID)
	}
	stored, err := s.store.Connect(ctx, t)
	if err != nil {
		return api.Connection{}, err
	}
	s.log.Info("tenant connected", "tenant", tenant, "companyId", t.CompanyID, "scim", t.SCIMConfigured)
	details := map[string]any{"companyId": t.CompanyID, "scimConfigured": t.SCIMConfigured}
	if prev.CompanyID != "" && prev.CompanyID != t.CompanyID {
		details["previousCompanyId"] = prev.CompanyID
	}
	s.audit(ctx, tenant, AuditConnected, details)
	// The store answers the record it wrote: no second read of the tenant.
	return s.connection(ctx, stored)
}

// Connection describes the tenant's connection, its last run and its next slot.
func (s *Backend) Connection(ctx context.Context, tenant string) (api.Connection, error) {
	t, err := s.store.Tenant(ctx, tenant)
	if err != nil {
		return api.Connection{}, err
	}
	return s.connection(ctx, t)
}

func (s *Backend) connection(ctx context.Context, t store.Tenant) (api.Connection, error) {
	tenant := t.ID
	c := api.Connection{
		Status:         api.ConnectionStatus(t.Status),
		CompanyID:      t.CompanyID,
		ClientIDMasked: t.ClientIDMasked,
		SCIMConfigured: t.SCIMConfigured,
		ConnectedAt:    t.ConnectedAt,
		RevokedAt:      t.RevokedAt,
	}
	runs, _, err := s.store.ListRuns(ctx, tenant, 1, "")
	if err != nil {
		return api.Connection{}, err
	}
	if len(runs) > 0 {
		r := s.settleAbandoned(ctx, runs[0])
		c.LastRun = &r
	}
	now := s.now().UTC()
	var until time.Time
	if t.Backoff != nil && !t.Backoff.Until.IsZero() {
		c.Backoff = &api.Backoff{Until: t.Backoff.Until, Reason: t.Backoff.Reason, Failures: t.Backoff.Failures}
		until = t.Backoff.Until
	}
	if t.Status == store.Connected {
		c.NextRunAt = NextRunAt(tenant, now, s.cfg.SyncInterval, provision.ScheduleOf(t.Settings), until)
	}
	return c, nil
}

// Disconnect deletes the secret, settings and links. Runs and the hire ledger
// are kept, so a reconnect cannot hire anyone twice.
func (s *Backend) Disconnect(ctx context.Context, tenant string) error {
	if err := s.secrets.Delete(ctx, tenant); err != nil {
		return fmt.Errorf("delete credentials: %w", err)
	}
	if err := s.store.Disconnect(ctx, tenant); err != nil {
		return err
	}
	s.log.Info("tenant disconnected", "tenant", tenant)
	s.audit(ctx, tenant, AuditDisconnected, map[string]any{})
	return nil
}

// Settings answers the saved settings, or the defaults.
func (s *Backend) Settings(ctx context.Context, tenant string) (provision.Settings, error) {
	t, err := s.store.Tenant(ctx, tenant)
	if err != nil {
		return provision.Settings{}, err
	}
	// The settings in force: SCIM mappings of a connection without a SCIM
	// token are not shown (the next run drops them for good and warns).
	settings, _ := provision.EffectiveSettings(t.Settings, t.SCIMConfigured)
	return settings, nil
}

// PutSettings validates and saves settings. Settings without a schedule keep
// the saved one: a client that knows nothing of schedules must not resume a
// paused tenant by saving its mappings.
func (s *Backend) PutSettings(ctx context.Context, tenant string, in provision.Settings) (provision.Settings, error) {
	t, err := s.store.Tenant(ctx, tenant)
	if err != nil {
		return provision.Settings{}, err
	}
	if err := provision.ValidateSettings(in, t.SCIMConfigured); err != nil {
		return provision.Settings{}, err
	}
	if in.Schedule == nil && t.Settings != nil {
		in.Schedule = t.Settings.Schedule
	}
	in.Schedule = provision.NormalizeSchedule(in.Schedule)
	if err := s.store.SaveSettings(ctx, tenant, in); err != nil {
		return provision.Settings{}, err
	}
	before, _ := provision.EffectiveSettings(t.Settings, t.SCIMConfigured)
	s.audit(ctx, tenant, AuditSettingsChanged, map[string]any{"changed": changedSettings(before, in)})
	return in, nil
}

// Trigger queues a manual run, or answers the one already queued or running
// for the same request: the same flags and the same people, approvals and
// preview (see store.StartManualRun).
func (s *Backend) Trigger(ctx context.Context, tenant string, req api.TriggerRequest) (provision.Run, error) {
	t, err := s.store.Tenant(ctx, tenant)
	if err != nil {
		return provision.Run{}, err
	}
	if t.Status != store.Connected {
		return provision.Run{}, api.ErrNotConnected
	}
	run := provision.Run{
		TenantID: tenant, SyncID: "manual-" + strings.ReplaceAll(uuid.NewString(), "-", ""),
		Trigger: provision.TriggerManual, DryRun: req.DryRun, ConfirmCreates: req.ConfirmCreates,
		Status: provision.RunQueued, CreatedAt: s.now().UTC(),
		People: req.People, OnlyFailed: req.OnlyFailed, ApproveCreates: req.ApproveCreates,
	}
	if req.Settings != nil {
		// Checked as PUT …/settings checks them, and named inside the body.
		if err := provision.ValidateSettings(*req.Settings, t.SCIMConfigured); err != nil {
			return provision.Run{}, withinField("settings", err)
		}
		preview := *req.Settings
		preview.Schedule = nil // a run has no use for it
		run.Preview = &preview
	}
	if req.OnlyFailed {
		// The people the errors page shows now: the latest finished full run's.
		// None yet makes an empty subset.
		base, err := s.store.LatestFinishedRun(ctx, tenant)
		switch {
		case err == nil:
			run.FailedOf = base.SyncID
		case !errors.Is(err, fault.ErrNotFound):
			return provision.Run{}, err
		}
	}
	// The store de-duplicates concurrent triggers with the same flags. A
	// stuck run found there is settled as abandoned and a new one started.
	for attempt := 0; attempt < 2; attempt++ {
		got, existing, err := s.store.StartManualRun(ctx, run)
		if err != nil {
			return provision.Run{}, err
		}
		if !existing {
			queued, err := s.enqueue(ctx, got)
			if err == nil {
				s.auditTrigger(ctx, queued, false)
			}
			return queued, err
		}
		if got = s.settleAbandoned(ctx, got); !got.Status.Final() {
			s.auditTrigger(ctx, got, true)
			return got, nil
		}
	}
	return provision.Run{}, fault.New(fault.Conflict, "another sync was started at the same moment; try again")
}

// auditTrigger records a trigger answered with run: a new one, or the queued
// or running one with the same flags (existing).
func (s *Backend) auditTrigger(ctx context.Context, run provision.Run, existing bool) {
	s.audit(ctx, run.TenantID, AuditSyncTriggered, map[string]any{
		"syncId": run.SyncID, "dryRun": run.DryRun, "confirmCreates": run.ConfirmCreates, "existing": existing,
	})
}

// enqueue sends the job of a manual run the store has just created.
func (s *Backend) enqueue(ctx context.Context, run provision.Run) (provision.Run, error) {
	tenant := run.TenantID
	// The job carries the flags; the subset, approvals and preview are on the
	// run, which the worker reads.
	if err := s.jobs.Send(ctx, jobOf(run), 0); err != nil {
		// A run nobody will pick up must not block later triggers. The write
		// has its own context: the request's may be what ended the send (the
		// client hung up), and a run left queued would answer every trigger
		// until it is abandoned.
		run.Status = provision.RunFailed
		run.FinishedAt = s.now().UTC()
		run.Error = &provision.RunError{Code: CodeUpstream, Message: "The sync could not be queued; try again."}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), compensateTimeout)
		defer cancel()
		if uerr := s.store.UpdateRun(cctx, run, provision.RunQueued); uerr != nil {
			s.log.Error("fail unqueued run", "tenant", tenant, "syncId", run.SyncID, "err", uerr)
		}
		if fault.Retryable(err) {
			return provision.Run{}, fmt.Errorf("enqueue sync: %w", err)
		}
		// A queue that is missing, refuses us or refuses the job is our
		// misconfiguration, never the caller's 400, 403 or 404.
		return provision.Run{}, fault.Wrap(fault.Internal, err, "enqueue sync")
	}
	s.log.Info("manual sync queued", "tenant", tenant, "syncId", run.SyncID, "dryRun", run.DryRun, "confirmCreates", run.ConfirmCreates,
		"people", len(run.People), "onlyFailed", run.OnlyFailed, "approveCreates", len(run.ApproveCreates), "preview", run.Preview != nil)
	return run, nil
}

// Runs lists runs newest first.
func (s *Backend) Runs(ctx context.Context, tenant string, p api.Page) ([]provision.Run, string, error) {
	runs, next, err := s.store.ListRuns(ctx, tenant, p.Limit, p.NextToken)
	if err != nil {
		return nil, "", err
	}
	for i := range runs {
		runs[i] = s.settleAbandoned(ctx, runs[i])
	}
	return runs, next, nil
}

// Run answers one run.
func (s *Backend) Run(ctx context.Context, tenant, syncID string) (provision.Run, error) {
	r, err := s.store.Run(ctx, tenant, syncID)
	if err != nil {
		return provision.Run{}, err
	}
	return s.settleAbandoned(ctx, r), nil
}

// Plan pages a run's plan.
func (s *Backend) Plan(ctx context.Context, tenant, syncID string, p api.Page) ([]provision.PlanItem, string, error) {
	if _, err := s.store.Run(ctx, tenant, syncID); err != nil {
		return nil, "", err
	}
	return s.store.ListPlan(ctx, tenant, syncID, p.Limit, p.NextToken)
}

// Drift pages a run's people with drift.
func (s *Backend) Drift(ctx context.Context, tenant, syncID string, p api.Page) ([]provision.PlanItem, string, error) {
	if _, err := s.store.Run(ctx, tenant, syncID); err != nil {
		return nil, "", err
	}
	return s.store.ListDrift(ctx, tenant, syncID, p.Limit, p.NextToken)
}

// Issues pages the issues of a run, by default the latest finished one.
func (s *Backend) Issues(ctx context.Context, tenant, syncID string, p api.Page) (api.IssuePage, error) {
	if syncID == "" {
		r, err := s.store.LatestFinishedRun(ctx, tenant)
		if errors.Is(err, fault.ErrNotFound) {
			return api.IssuePage{}, nil
		}
		if err != nil {
			return api.IssuePage{}, err
		}
		syncID = r.SyncID
	} else if _, err := s.store.Run(ctx, tenant, syncID); err != nil {
		return api.IssuePage{}, err
	}
	items, next, err := s.store.ListIssues(ctx, tenant, syncID, p.Limit, p.NextToken)
	if err != nil {
		return api.IssuePage{}, err
	}
	return api.IssuePage{SyncID: syncID, Items: items, NextToken: next}, nil
}

// Hires pages the hire ledger of the tenant's current TriNet company (none
// when it has none).
func (s *Backend) Hires(ctx context.Context, tenant string, state provision.HireState, p api.Page) ([]provision.HireEntry, string, error) {
	t, err := s.store.Tenant(ctx, tenant)
	if err != nil || ledgerCompany(t) == "" {
		return nil, "", err
	}
	return s.store.ListHires(ctx, tenant, ledgerCompany(t), state, p.Limit, p.NextToken)
}

// ledgerCompany is the company whose hire ledger the API shows: the current
// one, or after a disconnection the last one, whose ledger is kept.
func ledgerCompany(t store.Tenant) string {
	if t.CompanyID != "" {
		return t.CompanyID
	}
	return t.LastCompanyID
}

// ReleaseHire deletes a hire whose outcome is unknown, after an admin checked TriNet.
func (s *Backend) ReleaseHire(ctx context.Context, tenant, userID string) error {
	t, err := s.store.Tenant(ctx, tenant)
	if err != nil {
		return err
	}
	if ledgerCompany(t) == "" {
		return fault.New(fault.NotFound, "person %s has no hire in the tenant's TriNet company", userID)
	}
	// One conditional delete: a run that turns the hire pending meanwhile
	// must win, or the person could be hired twice.
	if err := s.store.ReleaseHire(ctx, tenant, ledgerCompany(t), userID); err != nil {
		return err
	}
	s.log.Info("hire released", "tenant", tenant, "userId", userID)
	s.audit(ctx, tenant, AuditHireReleased, map[string]any{"userId": userID, "companyId": ledgerCompany(t)})
	return nil
}

// withinField names the field of a validation error inside the body's
// field at ("settings.mappings[2].source").
func withinField(at string, err error) error {
	var fe *fault.Error
	if c, _ := fault.ClassOf(err); c != fault.Validation || !errors.As(err, &fe) {
		return err
	}
	field := at
	if f := fault.FieldOf(err); f != "" {
		field += "." + f
	}
	return fault.Invalid(field, "%s", fe.Message)
}

// settleAbandoned writes a run that stopped making progress as failed with
// code abandoned, so no run stays queued or running for ever.
func (s *Backend) settleAbandoned(ctx context.Context, r provision.Run) provision.Run {
	now := s.now().UTC()
	if !Abandoned(r, now, s.cfg.AbandonAfter()) {
		return r
	}
	log := s.log.With("tenant", r.TenantID, "syncId", r.SyncID)
	if wrote, _ := finishRun(ctx, s.store, s.tel, log, &r, provision.RunFailed, errAbandoned(), now); !wrote {
		if latest, err := s.store.Run(ctx, r.TenantID, r.SyncID); err == nil {
			return latest
		}
	}
	return r
}
