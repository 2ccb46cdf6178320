package store

import (
	"context"
	"hash/fnv"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

// TenantStatus is a tenant's connection state.
type TenantStatus string

const (
	NotConnected TenantStatus = "not_connected"
	Connected    TenantStatus = "connected"
	Revoked      TenantStatus = "revoked"
)

// Backoff is a tenant's back-off after consecutive failed runs.
type Backoff struct {
	Until    time.Time
	Reason   string // the error code of the last failed run
	Failures int    // consecutive failed runs
}

// Tenant is a tenant's record. It never holds a secret: SecretName names the
// Secrets Manager secret and ClientIDMasked is for display.
type Tenant struct {
	ID        string
	Status    TenantStatus
	CompanyID string
	// LastCompanyID is the TriNet company of the current or, after a
	// disconnection, the last connection: the hire ledger a disconnection
	// keeps is that company's.
	LastCompanyID  string
	ClientIDMasked string
	SecretName     string
	SCIMConfigured bool
	// Settings is nil when the tenant never saved any (the engine then uses
	// the defaults).
	Settings            *provision.Settings
	ConnectedAt         time.Time
	RevokedAt           time.Time
	ConsecutiveFailures int
	// Backoff is nil unless the last 3 or more runs failed; Until may have
	// passed (the scheduler compares it with its clock).
	Backoff *Backoff
	// Version grows with every write of the record; SaveSettingsIf writes
	// only over the version it was given.
	Version int64
	// OutcomeOf is the sync id of the last run RecordRunOutcome recorded:
	// with Backoff, it tells whether that run started the back-off.
	OutcomeOf string
}

// connectedShards is how many shards the connected-tenant index spreads over.
// Changing it needs every connected tenant's cshard rewritten.
const connectedShards = 16

// Back-off rule of the contract.
const (
	backoffAfter = 3
	backoffFirst = time.Hour
	backoffMax   = 24 * time.Hour
)

const (
	attrBackoffUntil = "backoffUntil"
	maxCASAttempts   = 10
	// The schedule of the saved settings, kept beside them as attributes
	// the connected index projects, so that the scheduler reads every
	// tenant's cadence from the index alone: the interval in minutes and
	// whether it is paused. Absent: the default schedule.
	attrSchedEvery  = "schedEvery"
	attrSchedPaused = "schedPaused"
)

// Scheduled is a connected tenant as the scheduler sees it: what the
// connected index projects, no more.
type Scheduled struct {
	ID string
	// BackoffUntil is the end of its back-off; zero when none.
	BackoffUntil time.Time
	// Every is its schedule's interval; zero for the default.
	Every time.Duration
	// Paused: no scheduled runs (manual ones still run).
	Paused bool
}

// shardOf is the connected-index shard a tenant is written to.
func shardOf(tenant string) string {
	h := fnv.New32a()
	h.Write([]byte(tenant))
	return shardKey(int(h.Sum32() % connectedShards))
}

func shardKey(i int) string { return "CONNECTED#" + strconv.Itoa(i) }

type tenantItem struct {
	TenantID       string              `json:"tenantId"`
	Status         string              `json:"status"`
	CompanyID      string              `json:"companyId"`
	LastCompanyID  string              `json:"lastCompanyId"`
	ClientIDMasked string              `json:"clientIdMasked"`
	SecretName     string              `json:"secretName"`
	SCIMConfigured bool                `json:"scimConfigured"`
	Settings       *provision.Settings `json:"settings"`
	ConnectedAt    string              `json:"connectedAt"`
	RevokedAt      string              `json:"revokedAt"`
	Failures       int                 `json:"failures"`
	BackoffUntil   string              `json:"backoffUntil"`
	BackoffReason  string              `json:"backoffReason"`
	// OutcomeOf is the sync id of the last run recorded by RecordRunOutcome,
	// so that recording the same run again changes nothing.
	OutcomeOf string `json:"outcomeOf"`
	Ver       int64  `json:"ver"`
}

func (it tenantItem) tenant(id string) Tenant {
	t := Tenant{
		ID:                  id,
		Status:              TenantStatus(it.Status),
		CompanyID:           it.CompanyID,
		LastCompanyID:       it.LastCompanyID,
		ClientIDMasked:      it.ClientIDMasked,
		SecretName:          it.SecretName,
		SCIMConfigured:      it.SCIMConfigured,
		Settings:            it.Settings,
		ConnectedAt:         parseTime(it.ConnectedAt),
		RevokedAt:           parseTime(it.RevokedAt),
		ConsecutiveFailures: it.Failures,
		Version:             it.Ver,
		OutcomeOf:           it.OutcomeOf,
	}
	if t.Status == "" {
		t.Status = NotConnected
	}
	if it.BackoffUntil != "" {
		t.Backoff = &Backoff{Until: parseTime(it.BackoffUntil), Reason: it.BackoffReason, Failures: it.Failures}
	}
	return t
}

func (st *Store) readTenant(ctx context.Context, id string) (tenantItem, bool, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: st.table, Key: key(tenantPK(id), skProfile), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return tenantItem{}, false, classify(err, "read tenant %s", id)
	}
	if out.Item == nil {
		return tenantItem{}, false, nil
	}
	var it tenantItem
	if err := unmarshal(out.Item, &it); err != nil {
		return tenantItem{}, false, fault.Wrap(fault.Transient, err, "decode tenant %s", id)
	}
	return it, true, nil
}

// Tenant reads a tenant. A tenant never seen is not an error: it is returned
// as Tenant{ID: id, Status: NotConnected}.
func (st *Store) Tenant(ctx context.Context, id string) (Tenant, error) {
	if err := checkTenant(id); err != nil {
		return Tenant{}, err
	}
	it, _, err := st.readTenant(ctx, id)
	if err != nil {
		return Tenant{}, err
	}
	return it.tenant(id), nil
}

// Connect records a (re)connection: status connected, the connection details
// of t, a cleared back-off and failure count and revocation time. Settings are
// kept. A zero t.ConnectedAt is taken as now. It returns the stored tenant.
func (st *Store) Connect(ctx context.Context, t Tenant) (Tenant, error) {
	if err := checkTenant(t.ID); err != nil {
		return Tenant{}, err
	}
	at := t.ConnectedAt
	if at.IsZero() {
		at = st.cfg.Now()
	}
	out, err := st.updateItem(ctx, key(tenantPK(t.ID), skProfile), expression.NewBuilder().WithUpdate(bumpVersion(
		expression.Set(name(attrTenantID), value(t.ID)).
			Set(name("status"), value(string(Connected))).
			Set(name("companyId"), value(t.CompanyID)).
			Set(name("lastCompanyId"), value(t.CompanyID)).
			Set(name("clientIdMasked"), value(t.ClientIDMasked)).
			Set(name("secretName"), value(t.SecretName)).
			Set(name("scimConfigured"), value(b(t.SCIMConfigured))).
			Set(name("connectedAt"), value(fmtTime(at))).
			Set(name("failures"), value(n(0))).
			Set(name(attrShard), value(shardOf(t.ID))).
			Remove(name("revokedAt")).Remove(name(attrBackoffUntil)).Remove(name("backoffReason")))), "connect",
		types.ReturnValueAllNew)
	if err != nil {
		return Tenant{}, classify(err, "connect tenant %s", t.ID)
	}
	var it tenantItem
	if err := unmarshal(out.Attributes, &it); err != nil {
		return Tenant{}, fault.Wrap(fault.Transient, err, "decode tenant %s", t.ID)
	}
	return it.tenant(t.ID), nil
}

// settingsValue is set as the tenant record stores it.
func settingsValue(id string, set provision.Settings) (types.AttributeValue, error) {
	av, err := marshal(struct {
		S provision.Settings `json:"s"`
	}{set})
	if err != nil {
		return nil, fault.Wrap(fault.Internal, err, "encode settings of %s", id)
	}
	return av["s"], nil
}

// SaveSettings replaces a tenant's settings. It does not check them: the
// engine's validation does, before. The schedule is written twice in the
// one update: inside the settings, and as the attributes the connected
// index projects for the scheduler.
func (st *Store) SaveSettings(ctx context.Context, id string, set provision.Settings) error {
	if err := checkTenant(id); err != nil {
		return err
	}
	av, err := settingsValue(id, set)
	if err != nil {
		return err
	}
	upd := expression.Set(name("settings"), value(av)).
		Set(name(attrTenantID), value(id)).
		Set(name("status"), expression.IfNotExists(name("status"), value(string(NotConnected))))
	// The connected index projects the schedule, so that the scheduler
	// needs no read per tenant.
	if sc := set.Schedule; sc != nil {
		upd = upd.Set(name(attrSchedEvery), value(n(int64(sc.Every()/time.Minute)))).
			Set(name(attrSchedPaused), value(b(sc.Paused)))
	} else {
		upd = upd.Remove(name(attrSchedEvery)).Remove(name(attrSchedPaused))
	}
	_, err = st.updateItem(ctx, key(tenantPK(id), skProfile), expression.NewBuilder().WithUpdate(bumpVersion(upd)), "save settings",
		types.ReturnValueNone)
	return classify(err, "save settings of %s", id)
}

// SaveSettingsIf replaces the settings of a connected tenant only if its
// record is still at version ver (Tenant.Version as read): a PUT …/settings,
// a disconnect or a reconnect since then wins, and the write is
// fault.Conflict. The worker's own change (dropping SCIM mappings) can so
// never undo an admin's settings nor bring back those a disconnect deleted.
func (st *Store) SaveSettingsIf(ctx context.Context, id string, set provision.Settings, ver int64) error {
	if err := checkTenant(id); err != nil {
		return err
	}
	av, err := settingsValue(id, set)
	if err != nil {
		return err
	}
	_, err = st.updateItem(ctx, key(tenantPK(id), skProfile), expression.NewBuilder().
		WithUpdate(bumpVersion(expression.Set(name("settings"), value(av)))).
		WithCondition(name("status").Equal(value(string(Connected))).And(atVersion(ver))), "save settings", types.ReturnValueNone)
	if isConditionFailed(err) {
		return fault.Wrap(fault.Conflict, err, "settings of %s changed since version %d", id, ver)
	}
	return classify(err, "save settings of %s", id)
}

// Disconnect is the revocation of the API: status not_connected, connection
// details, settings, back-off and links (of every company) deleted. Runs and
// the hire ledger are kept, so that a reconnection cannot hire anyone twice.
// Idempotent.
func (st *Store) Disconnect(ctx context.Context, id string) error {
	if err := checkTenant(id); err != nil {
		return err
	}
	// The company is forgotten below: hires stored before they carried one
	// are bound to it first, or a reconnection to another company would
	// take them as its own.
	it, found, err := st.readTenant(ctx, id)
	if err != nil {
		return err
	}
	upd := bumpVersion(expression.Set(name("status"), value(string(NotConnected))))
	if found && it.CompanyID != "" {
		if err := st.AdoptLegacy(ctx, id, it.CompanyID); err != nil {
			return err
		}
		upd = upd.Set(name("lastCompanyId"), value(it.CompanyID))
	}
	for _, attr := range []string{"settings", "companyId", "clientIdMasked", "secretName", "scimConfigured", "connectedAt",
		"revokedAt", "failures", attrBackoffUntil, "backoffReason", attrShard, attrSchedEvery, attrSchedPaused} {
		upd = upd.Remove(name(attr))
	}
	_, err = st.updateItem(ctx, key(tenantPK(id), skProfile), expression.NewBuilder().WithUpdate(upd).WithCondition(itemPresent),
		"disconnect", types.ReturnValueNone)
	if err != nil && !isConditionFailed(err) {
		return classify(err, "disconnect tenant %s", id)
	}
	// Links are deleted even when the tenant item is absent: a retry after a
	// failure part-way must finish the job.
	return st.DeleteLinks(ctx, id)
}

// MarkRevoked records that a tenant's secret is gone: status revoked, out of
// the scheduler's index. Only if the tenant is still connected with
// connectedAt (the connection the run started with); else fault.Conflict, so
// that a reconnection in between is not undone.
func (st *Store) MarkRevoked(ctx context.Context, id string, connectedAt time.Time) error {
	if err := checkTenant(id); err != nil {
		return err
	}
	_, err := st.updateItem(ctx, key(tenantPK(id), skProfile), expression.NewBuilder().
		WithUpdate(bumpVersion(expression.Set(name("status"), value(string(Revoked))).
			Set(name("revokedAt"), value(fmtTime(st.cfg.Now()))).
			Remove(name(attrShard)))).
		WithCondition(name("status").Equal(value(string(Connected))).And(name("connectedAt").Equal(value(fmtTime(connectedAt))))),
		"mark revoked", types.ReturnValueNone)
	if isConditionFailed(err) {
		return fault.Wrap(fault.Conflict, err, "tenant %s is no longer connected as it was", id)
	}
	return classify(err, "mark tenant %s revoked", id)
}

// BackoffFor is the back-off after failures consecutive failed runs: none
// below 3, then 1h doubling per further failure, at most 24h.
func BackoffFor(failures int) time.Duration {
	if failures < backoffAfter {
		return 0
	}
	d := backoffFirst
	for i := backoffAfter; i < failures && d < backoffMax; i++ {
		d *= 2
	}
	return min(d, backoffMax)
}

// RunOutcome is a finished run as the back-off sees it.
type RunOutcome struct {
	SyncID string
	Failed bool
	Reason string // the failed run's error code
	At     time.Time
}

// RecordRunOutcome applies a finished run to the back-off: a failed run
// counts one more consecutive failure, and from the third the tenant backs off
// until o.At + BackoffFor(failures); a succeeded or partial run clears both.
// Dry and skipped runs must not be recorded. A tenant that is not connected is
// left as it is. Recording the run that was recorded last again changes
// nothing, so the worker may record a run before it writes the run's final
// state (a reader that sees the run finished sees its back-off too) and again
// when it retries that write. The write is conditional on the version read,
// retried when another writer came first.
func (st *Store) RecordRunOutcome(ctx context.Context, id string, o RunOutcome) (Tenant, error) {
	failed, reason, now := o.Failed, o.Reason, o.At
	if err := checkTenant(id); err != nil {
		return Tenant{}, err
	}
	if o.SyncID == "" {
		return Tenant{}, fault.Invalid("syncId", "record run outcome of %s: no sync id", id)
	}
	for range maxCASAttempts {
		it, found, err := st.readTenant(ctx, id)
		if err != nil {
			return Tenant{}, err
		}
		if !found || it.Status != string(Connected) || it.OutcomeOf == o.SyncID {
			return it.tenant(id), nil
		}
		if !failed && it.Failures == 0 && it.BackoffUntil == "" && it.BackoffReason == "" {
			// A success with nothing to clear changes nothing: the usual run
			// writes no tenant item. Recording it again is as harmless, so
			// outcomeOf need not name it.
			return it.tenant(id), nil
		}
		if failed {
			it.Failures++
			if d := BackoffFor(it.Failures); d > 0 {
				it.BackoffUntil, it.BackoffReason = fmtTime(now.Add(d)), reason
			}
		} else {
			it.Failures, it.BackoffUntil, it.BackoffReason = 0, "", ""
		}
		it.OutcomeOf = o.SyncID
		upd := bumpVersion(expression.Set(name("failures"), value(n(int64(it.Failures)))).Set(name("outcomeOf"), value(o.SyncID)))
		switch {
		case !failed:
			upd = upd.Remove(name(attrBackoffUntil)).Remove(name("backoffReason"))
		case it.BackoffUntil != "":
			upd = upd.Set(name(attrBackoffUntil), value(it.BackoffUntil)).Set(name("backoffReason"), value(it.BackoffReason))
		}
		_, err = st.updateItem(ctx, key(tenantPK(id), skProfile), expression.NewBuilder().WithUpdate(upd).WithCondition(atVersion(it.Ver)),
			"record run outcome", types.ReturnValueNone)
		if err == nil {
			it.Ver++
			return it.tenant(id), nil
		}
		if !isConditionFailed(err) {
			return Tenant{}, classify(err, "record run outcome of %s", id)
		}
	}
	return Tenant{}, fault.New(fault.Conflict, "record run outcome of %s: too many concurrent writers", id)
}

// ConnectedTenants calls fn for every connected tenant with the end of its
// back-off and its schedule, querying the shards of the connected index in
// parallel. fn is called from several goroutines at once and must be safe for
// that; an error from fn stops the listing and is returned. The index is
// eventually consistent: a tenant connected a moment ago may be missed once.
func (st *Store) ConnectedTenants(ctx context.Context, fn func(t Scheduled) error) error {
	g, ctx := errgroup.WithContext(ctx)
	for i := range connectedShards {
		shard := shardKey(i)
		g.Go(func() error {
			q, err := st.keyQuery(indexConn, keyName(attrShard).Equal(value(shard)), "connected tenants")
			if err != nil {
				return err
			}
			for {
				out, err := st.db.Query(ctx, q)
				if err != nil {
					return classify(err, "list connected tenants (%s)", shard)
				}
				for _, it := range out.Items {
					id, _ := it[attrTenantID].(*types.AttributeValueMemberS)
					if id == nil {
						continue
					}
					t := Scheduled{ID: id.Value}
					if bu, ok := it[attrBackoffUntil].(*types.AttributeValueMemberS); ok {
						t.BackoffUntil = parseTime(bu.Value)
					}
					if ev, ok := it[attrSchedEvery].(*types.AttributeValueMemberN); ok {
						if m, err := strconv.ParseInt(ev.Value, 10, 64); err == nil && m > 0 {
							t.Every = time.Duration(m) * time.Minute
						}
					}
					if p, ok := it[attrSchedPaused].(*types.AttributeValueMemberBOOL); ok {
						t.Paused = p.Value
					}
					if err := fn(t); err != nil {
						return err
					}
				}
				if len(out.LastEvaluatedKey) == 0 {
					return nil
				}
				q.ExclusiveStartKey = out.LastEvaluatedKey
			}
		})
	}
	return g.Wait()
}

// ConnectedTenantIDs is ConnectedTenants collected into a map (id → end of
// back-off), for callers that want them all at once.
func (st *Store) ConnectedTenantIDs(ctx context.Context) (map[string]time.Time, error) {
	var mu sync.Mutex
	out := make(map[string]time.Time)
	err := st.ConnectedTenants(ctx, func(t Scheduled) error {
		mu.Lock()
		out[t.ID] = t.BackoffUntil
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
