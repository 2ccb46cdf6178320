package store

import (
	"context"
	"hash/fnv"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
)

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
	out, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: st.table,
		Key:       key(tenantPK(t.ID), skProfile),
		UpdateExpression: aws.String("SET #tid = :tid, #st = :st, companyId = :co, lastCompanyId = :co, clientIdMasked = :cm, secretName = :sn," +
			" scimConfigured = :scim, connectedAt = :at, failures = :zero, cshard = :shard, ver = if_not_exists(ver, :zero) + :one" +
			" REMOVE revokedAt, backoffUntil, backoffReason"),
		ExpressionAttributeNames: map[string]string{"#tid": attrTenantID, "#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":tid": s(t.ID), ":st": s(string(Connected)), ":co": s(t.CompanyID), ":cm": s(t.ClientIDMasked),
			":sn": s(t.SecretName), ":scim": b(t.SCIMConfigured), ":at": s(fmtTime(at)), ":zero": n(0),
			":one": n(1), ":shard": s(shardOf(t.ID)),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if err != nil {
		return Tenant{}, classify(err, "connect tenant %s", t.ID)
	}
	var it tenantItem
	if err := unmarshal(out.Attributes, &it); err != nil {
		return Tenant{}, fault.Wrap(fault.Transient, err, "decode tenant %s", t.ID)
	}
	return it.tenant(t.ID), nil
}

// SaveSettings replaces a tenant's settings. It does not check them: the
// engine's validation does, before.
func (st *Store) SaveSettings(ctx context.Context, id string, set provision.Settings) error {
	if err := checkTenant(id); err != nil {
		return err
	}
	av, err := marshal(struct {
		S provision.Settings `json:"s"`
	}{set})
	if err != nil {
		return fault.Wrap(fault.Internal, err, "encode settings of %s", id)
	}
	_, err = st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                st.table,
		Key:                      key(tenantPK(id), skProfile),
		UpdateExpression:         aws.String("SET settings = :s, #tid = :tid, #st = if_not_exists(#st, :nc), ver = if_not_exists(ver, :zero) + :one"),
		ExpressionAttributeNames: map[string]string{"#tid": attrTenantID, "#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":s": av["s"], ":tid": s(id), ":nc": s(string(NotConnected)), ":zero": n(0), ":one": n(1),
		},
	})
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
	av, err := marshal(struct {
		S provision.Settings `json:"s"`
	}{set})
	if err != nil {
		return fault.Wrap(fault.Internal, err, "encode settings of %s", id)
	}
	vals := map[string]types.AttributeValue{":s": av["s"], ":cn": s(string(Connected)), ":zero": n(0), ":one": n(1)}
	cond := "#st = :cn AND attribute_not_exists(ver)"
	if ver != 0 {
		cond, vals[":ver"] = "#st = :cn AND ver = :ver", n(ver)
	}
	_, err = st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 st.table,
		Key:                       key(tenantPK(id), skProfile),
		UpdateExpression:          aws.String("SET settings = :s, ver = if_not_exists(ver, :zero) + :one"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#st": "status"},
		ExpressionAttributeValues: vals,
	})
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
	set := "SET #st = :nc, ver = if_not_exists(ver, :zero) + :one"
	vals := map[string]types.AttributeValue{":nc": s(string(NotConnected)), ":zero": n(0), ":one": n(1)}
	if found && it.CompanyID != "" {
		if err := st.AdoptLegacy(ctx, id, it.CompanyID); err != nil {
			return err
		}
		set += ", lastCompanyId = :co"
		vals[":co"] = s(it.CompanyID)
	}
	_, err = st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: st.table,
		Key:       key(tenantPK(id), skProfile),
		UpdateExpression: aws.String(set + " REMOVE settings, companyId, clientIdMasked, secretName," +
			" scimConfigured, connectedAt, revokedAt, failures, backoffUntil, backoffReason, cshard"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames:  map[string]string{"#st": "status"},
		ExpressionAttributeValues: vals,
	})
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
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                st.table,
		Key:                      key(tenantPK(id), skProfile),
		UpdateExpression:         aws.String("SET #st = :rv, revokedAt = :now, ver = if_not_exists(ver, :zero) + :one REMOVE cshard"),
		ConditionExpression:      aws.String("#st = :cn AND connectedAt = :ca"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":rv": s(string(Revoked)), ":cn": s(string(Connected)), ":ca": s(fmtTime(connectedAt)),
			":now": s(fmtTime(st.cfg.Now())), ":zero": n(0), ":one": n(1),
		},
	})
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
		if !found || it.Status != string(Connected) || (o.SyncID != "" && it.OutcomeOf == o.SyncID) {
			return it.tenant(id), nil
		}
		if !failed && it.Failures == 0 && it.BackoffUntil == "" && it.BackoffReason == "" {
			// A success with nothing to clear changes nothing: the usual run
			// writes no tenant item. Recording it again is as harmless, so
			// outcomeOf need not name it.
			return it.tenant(id), nil
		}
		vals := map[string]types.AttributeValue{":zero": n(0), ":one": n(1), ":of": s(o.SyncID)}
		cond := "attribute_not_exists(ver)"
		if it.Ver != 0 {
			cond = "ver = :ver"
			vals[":ver"] = n(it.Ver)
		}
		var update string
		if failed {
			it.Failures++
			vals[":f"] = n(int64(it.Failures))
			update = "SET failures = :f, outcomeOf = :of, ver = if_not_exists(ver, :zero) + :one"
			if d := BackoffFor(it.Failures); d > 0 {
				it.BackoffUntil, it.BackoffReason = fmtTime(now.Add(d)), reason
				vals[":bu"], vals[":br"] = s(it.BackoffUntil), s(reason)
				update += ", backoffUntil = :bu, backoffReason = :br"
			}
		} else {
			it.Failures, it.BackoffUntil, it.BackoffReason = 0, "", ""
			vals[":f"] = n(0)
			update = "SET failures = :f, outcomeOf = :of, ver = if_not_exists(ver, :zero) + :one REMOVE backoffUntil, backoffReason"
		}
		_, err = st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 st.table,
			Key:                       key(tenantPK(id), skProfile),
			UpdateExpression:          aws.String(update),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeValues: vals,
		})
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
// back-off (zero when none), querying the shards of the connected index in
// parallel. fn is called from several goroutines at once and must be safe for
// that; an error from fn stops the listing and is returned. The index is
// eventually consistent: a tenant connected a moment ago may be missed once.
func (st *Store) ConnectedTenants(ctx context.Context, fn func(id string, backoffUntil time.Time) error) error {
	g, ctx := errgroup.WithContext(ctx)
	for i := range connectedShards {
		shard := shardKey(i)
		g.Go(func() error {
			q := &dynamodb.QueryInput{
				TableName:                 st.table,
				IndexName:                 aws.String(indexConn),
				KeyConditionExpression:    aws.String("cshard = :s"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":s": s(shard)},
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
					var until time.Time
					if bu, ok := it[attrBackoffUntil].(*types.AttributeValueMemberS); ok {
						until = parseTime(bu.Value)
					}
					if err := fn(id.Value, until); err != nil {
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
	err := st.ConnectedTenants(ctx, func(id string, until time.Time) error {
		mu.Lock()
		out[id] = until
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
