package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

const runPrefix = "RUN#"

type runItem struct {
	TenantID       string              `json:"tenantId"`
	SyncID         string              `json:"syncId"`
	Trigger        string              `json:"trigger"`
	DryRun         bool                `json:"dryRun"`
	ConfirmCreates bool                `json:"confirmCreates"`
	Status         string              `json:"status"`
	CreatedAt      string              `json:"createdAt"`
	StartedAt      string              `json:"startedAt,omitempty"`
	FinishedAt     string              `json:"finishedAt,omitempty"`
	Counts         provision.Counts    `json:"counts"`
	Error          *provision.RunError `json:"error,omitempty"`
	Cursor         string              `json:"cursor,omitempty"`
	ErrorPeople    int                 `json:"errorPeople,omitempty"`
	LeaseUntil     string              `json:"leaseUntil,omitempty"`
	ExpiresAt      int64               `json:"expiresAt"`
	// What a manual trigger asked beyond the flags (subset runs, approvals,
	// previews); written at creation, never changed.
	People         []string            `json:"people,omitempty"`
	OnlyFailed     bool                `json:"onlyFailed,omitempty"`
	FailedOf       string              `json:"failedOf,omitempty"`
	ApproveCreates []string            `json:"approveCreates,omitempty"`
	Preview        *provision.Settings `json:"preview,omitempty"`
}

func (r runItem) run() provision.Run {
	return provision.Run{
		TenantID: r.TenantID, SyncID: r.SyncID, Trigger: provision.Trigger(r.Trigger),
		DryRun: r.DryRun, ConfirmCreates: r.ConfirmCreates, Status: provision.RunStatus(r.Status),
		CreatedAt: parseTime(r.CreatedAt), StartedAt: parseTime(r.StartedAt), FinishedAt: parseTime(r.FinishedAt),
		Counts: r.Counts, Error: r.Error, Cursor: r.Cursor, ErrorPeople: r.ErrorPeople,
		LeaseUntil: parseTime(r.LeaseUntil),
		People:     r.People, OnlyFailed: r.OnlyFailed, FailedOf: r.FailedOf, ApproveCreates: r.ApproveCreates, Preview: r.Preview,
	}
}

func runsList(tenant string) string { return "RUNS#" + tenant }
func doneList(tenant string) string { return "DONE#" + tenant }

// listedDone reports whether a run is in the finished-runs index: a full run
// (not a subset run) that is final and not skipped — what the errors page
// shows, and whose errors onlyFailed retries.
func listedDone(r provision.Run) bool {
	return r.Status.Final() && r.Status != provision.RunSkipped && !r.Subset()
}

func decodeRun(it map[string]types.AttributeValue) (provision.Run, error) {
	var r runItem
	if err := unmarshal(it, &r); err != nil {
		return provision.Run{}, fault.Wrap(fault.Transient, err, "decode a run")
	}
	return r.run(), nil
}

func checkRun(r provision.Run) error {
	if err := checkTenant(r.TenantID); err != nil {
		return err
	}
	switch {
	case r.SyncID == "":
		return fault.Invalid("syncId", "a run needs its sync id")
	case r.Trigger != provision.TriggerSchedule && r.Trigger != provision.TriggerManual:
		return fault.Invalid("trigger", "unknown trigger %q", r.Trigger)
	}
	switch r.Status {
	case provision.RunQueued, provision.RunRunning, provision.RunSucceeded, provision.RunPartial,
		provision.RunFailed, provision.RunSkipped:
		return nil
	}
	return fault.Invalid("status", "unknown run status %q", r.Status)
}

// stampFinish gives a final run without a finish time the current time, so
// that it sorts correctly among the finished runs.
func (st *Store) stampFinish(r *provision.Run) {
	if r.Status.Final() && r.FinishedAt.IsZero() {
		r.FinishedAt = st.cfg.Now()
	}
}

// CreateRun creates a run if it is absent (by tenant and sync id); an
// existing run is fault.Conflict. A zero CreatedAt, and a zero FinishedAt of a
// final run, are taken as now.
func (st *Store) CreateRun(ctx context.Context, r provision.Run) error {
	if err := checkRun(r); err != nil {
		return err
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = st.cfg.Now()
	}
	st.stampFinish(&r)
	it, err := marshal(runItem{
		TenantID: r.TenantID, SyncID: r.SyncID, Trigger: string(r.Trigger), DryRun: r.DryRun,
		ConfirmCreates: r.ConfirmCreates, Status: string(r.Status), CreatedAt: fmtTime(r.CreatedAt),
		StartedAt: fmtTime(r.StartedAt), FinishedAt: fmtTime(r.FinishedAt), Counts: r.Counts, Error: r.Error,
		Cursor: r.Cursor, ErrorPeople: r.ErrorPeople, LeaseUntil: fmtTime(r.LeaseUntil), ExpiresAt: st.expiresAt(),
		People: r.People, OnlyFailed: r.OnlyFailed, FailedOf: r.FailedOf, ApproveCreates: r.ApproveCreates, Preview: r.Preview,
	})
	if err != nil {
		return fault.Wrap(fault.Internal, err, "encode run %s", r.SyncID)
	}
	it[attrPK], it[attrSK] = s(tenantPK(r.TenantID)), s(runPrefix+r.SyncID)
	it[attrGSI1PK], it[attrGSI1SK] = s(runsList(r.TenantID)), s(fmtTime(r.CreatedAt)+"#"+r.SyncID)
	if listedDone(r) {
		it[attrGSI2PK], it[attrGSI2SK] = s(doneList(r.TenantID)), s(fmtTime(r.FinishedAt)+"#"+r.SyncID)
	}
	_, err = st.putIf(ctx, it, itemAbsent, "create run", types.ReturnValueNone)
	if isConditionFailed(err) {
		return fault.Wrap(fault.Conflict, err, "run %s exists", r.SyncID)
	}
	return classify(err, "create run %s", r.SyncID)
}

// Run reads a run; fault.NotFound when it is absent or expired.
func (st *Store) Run(ctx context.Context, tenant, syncID string) (provision.Run, error) {
	if err := checkTenant(tenant); err != nil {
		return provision.Run{}, err
	}
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: st.table, Key: key(tenantPK(tenant), runPrefix+syncID), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return provision.Run{}, classify(err, "read run %s", syncID)
	}
	if out.Item == nil || !st.liveItem(out.Item) {
		return provision.Run{}, fault.New(fault.NotFound, "no run %s", syncID)
	}
	return decodeRun(out.Item)
}

// UpdateRun writes what changes during a run (status, times, counts, error,
// cursor) on condition that its current status is one of from (any status
// when from is empty). A run in another status is fault.Conflict; an absent
// one fault.NotFound. Trigger, flags (subset, approvals and preview included)
// and creation time never change; a final run without FinishedAt gets now. r
// must carry the run's subset as read: a subset run stays out of the
// finished-runs index.
func (st *Store) UpdateRun(ctx context.Context, r provision.Run, from ...provision.RunStatus) error {
	if err := checkRun(r); err != nil {
		return err
	}
	st.stampFinish(&r)
	counts, err := marshal(struct {
		C provision.Counts    `json:"c"`
		E *provision.RunError `json:"e,omitempty"`
	}{r.Counts, r.Error})
	if err != nil {
		return fault.Wrap(fault.Internal, err, "encode run %s", r.SyncID)
	}
	upd := expression.Set(name("status"), value(string(r.Status))).
		Set(name("counts"), value(counts["c"])).
		Set(name(attrExpiresAt), value(n(st.expiresAt())))
	// An attribute the run does not have (any more) is removed.
	opt := func(attr string, av types.AttributeValue, present bool) {
		if present {
			upd = upd.Set(name(attr), value(av))
		} else {
			upd = upd.Remove(name(attr))
		}
	}
	opt("startedAt", s(fmtTime(r.StartedAt)), !r.StartedAt.IsZero())
	opt("finishedAt", s(fmtTime(r.FinishedAt)), !r.FinishedAt.IsZero())
	opt("error", counts["e"], r.Error != nil)
	opt("cursor", s(r.Cursor), r.Cursor != "")
	opt("errorPeople", n(int64(r.ErrorPeople)), r.ErrorPeople != 0)
	opt("leaseUntil", s(fmtTime(r.LeaseUntil)), !r.LeaseUntil.IsZero())
	done := listedDone(r)
	opt(attrGSI2PK, s(doneList(r.TenantID)), done)
	opt(attrGSI2SK, s(fmtTime(r.FinishedAt)+"#"+r.SyncID), done)
	cond := expression.AttributeExists(name(attrPK))
	if len(from) > 0 {
		others := make([]expression.OperandBuilder, 0, len(from)-1)
		for _, f := range from[1:] {
			others = append(others, value(string(f)))
		}
		cond = cond.And(name("status").In(value(string(from[0])), others...))
	}
	_, err = st.updateItem(ctx, key(tenantPK(r.TenantID), runPrefix+r.SyncID),
		expression.NewBuilder().WithUpdate(upd).WithCondition(cond), "update run", types.ReturnValueNone)
	if !isConditionFailed(err) {
		return classify(err, "update run %s", r.SyncID)
	}
	cur, rerr := st.Run(ctx, r.TenantID, r.SyncID)
	if rerr != nil {
		return rerr
	}
	return fault.Wrap(fault.Conflict, err, "run %s is %s", r.SyncID, cur.Status)
}

// decodeAll decodes items with decode, in order.
func decodeAll[T any](items []map[string]types.AttributeValue, decode func(map[string]types.AttributeValue) (T, error)) ([]T, error) {
	out := make([]T, 0, len(items))
	for _, it := range items {
		v, err := decode(it)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ListRuns pages through a tenant's runs, newest (by creation) first.
func (st *Store) ListRuns(ctx context.Context, tenant string, limit int, token string) ([]provision.Run, string, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, "", err
	}
	q, err := st.keyQuery(indexList, keyName(attrGSI1PK).Equal(value(runsList(tenant))), "runs")
	if err != nil {
		return nil, "", err
	}
	q.ScanIndexForward = aws.Bool(false)
	items, next, err := st.page(ctx, q, "runs", attrGSI1PK, runsList(tenant), limit, token, st.liveItem)
	if err != nil {
		return nil, "", err
	}
	runs, err := decodeAll(items, decodeRun)
	return runs, next, err
}

// LatestFinishedRun is the run that finished last among those that
// succeeded, were partial or failed (skipped runs do not count);
// fault.NotFound when there is none.
func (st *Store) LatestFinishedRun(ctx context.Context, tenant string) (provision.Run, error) {
	if err := checkTenant(tenant); err != nil {
		return provision.Run{}, err
	}
	q, err := st.keyQuery(indexDone, keyName(attrGSI2PK).Equal(value(doneList(tenant))), "finished runs")
	if err != nil {
		return provision.Run{}, err
	}
	q.ScanIndexForward = aws.Bool(false)
	items, _, err := st.page(ctx, q, "done", attrGSI2PK, doneList(tenant), 1, "", st.liveItem)
	if err != nil {
		return provision.Run{}, err
	}
	if len(items) == 0 {
		return provision.Run{}, fault.New(fault.NotFound, "tenant %s has no finished run", tenant)
	}
	return decodeRun(items[0])
}

func manualGuard(dryRun, confirm bool) string {
	return "MANUAL#" + strconv.FormatBool(dryRun) + "#" + strconv.FormatBool(confirm)
}

// manualGuardOf is the guard of the manual runs that answer the same trigger
// as r: the same flags and, when the trigger asked for more (a subset,
// approvals, a settings preview), the same request. Those are compared by a
// digest of their canonical form (people sorted and once each), so that the
// same request merges into one run whatever its order, and a different one
// never merges into another's run. A plain trigger keeps the guard of the
// flags alone.
func manualGuardOf(r provision.Run) (sk string, extra bool) {
	base := manualGuard(r.DryRun, r.ConfirmCreates)
	if !r.Subset() && len(r.ApproveCreates) == 0 && r.Preview == nil {
		return base, false
	}
	canon := struct {
		People   []string            `json:"p,omitempty"`
		Failed   bool                `json:"f,omitempty"`
		FailedOf string              `json:"o,omitempty"`
		Approve  []string            `json:"a,omitempty"`
		Preview  *provision.Settings `json:"s,omitempty"`
	}{sortedSet(r.People), r.OnlyFailed, r.FailedOf, sortedSet(r.ApproveCreates), r.Preview}
	raw, _ := json.Marshal(canon) // strings, bools and settings: cannot fail
	sum := sha256.Sum256(raw)
	return base + "#" + hex.EncodeToString(sum[:16]), true
}

func sortedSet(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

func active(r provision.Run) bool {
	return r.Status == provision.RunQueued || r.Status == provision.RunRunning
}

// guardedRun reads the manual run the guard item sk points at: its sync id
// ("" without guard), and the run if it is queued or running.
func (st *Store) guardedRun(ctx context.Context, tenant, sk string) (string, *provision.Run, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: st.table, Key: key(tenantPK(tenant), sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return "", nil, classify(err, "read manual run guard of %s", tenant)
	}
	sv, _ := out.Item["syncId"].(*types.AttributeValueMemberS)
	if sv == nil {
		return "", nil, nil
	}
	r, err := st.Run(ctx, tenant, sv.Value)
	switch {
	case errors.Is(err, fault.ErrNotFound):
		return sv.Value, nil, nil
	case err != nil:
		return "", nil, err
	case active(r):
		return sv.Value, &r, nil
	}
	return sv.Value, nil, nil
}

// ActiveManualRun is the queued or running manual run with these flags;
// fault.NotFound when there is none.
func (st *Store) ActiveManualRun(ctx context.Context, tenant string, dryRun, confirm bool) (provision.Run, error) {
	if err := checkTenant(tenant); err != nil {
		return provision.Run{}, err
	}
	_, r, err := st.guardedRun(ctx, tenant, manualGuard(dryRun, confirm))
	if err != nil {
		return provision.Run{}, err
	}
	if r == nil {
		return provision.Run{}, fault.New(fault.NotFound, "no queued or running manual run")
	}
	return *r, nil
}

// StartManualRun is the de-duplicated manual trigger: it returns the queued
// or running manual run with r's DryRun and ConfirmCreates, and r's subset,
// approvals and preview (see manualGuardOf) (existing true), or else creates
// r (a manual run, normally queued) and returns it. Two
// concurrent calls with the same flags get the same run: the new run is
// created first and then made the current one by a conditional write on the
// guard item; the loser deletes its run (never enqueued) and takes the
// winner's.
func (st *Store) StartManualRun(ctx context.Context, r provision.Run) (provision.Run, bool, error) {
	if r.Trigger != provision.TriggerManual {
		return provision.Run{}, false, fault.Invalid("trigger", "only manual runs are de-duplicated")
	}
	if err := checkRun(r); err != nil {
		return provision.Run{}, false, err
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = st.cfg.Now()
	}
	guard, extra := manualGuardOf(r)
	for range maxCASAttempts {
		seen, cur, err := st.guardedRun(ctx, r.TenantID, guard)
		if err != nil {
			return provision.Run{}, false, err
		}
		if cur != nil {
			return *cur, true, nil
		}
		if err := st.CreateRun(ctx, r); err != nil {
			return provision.Run{}, false, err
		}
		// The guard is taken only as it was read: absent, or naming the run seen.
		taken := itemAbsent
		if seen != "" {
			taken = name("syncId").Equal(value(seen))
		}
		item := map[string]types.AttributeValue{attrPK: s(tenantPK(r.TenantID)), attrSK: s(guard), "syncId": s(r.SyncID)}
		if extra {
			// One guard per distinct request: it expires with the run it
			// names, rather than pile up for ever.
			item[attrExpiresAt] = n(st.expiresAt())
		}
		_, err = st.putIf(ctx, item, taken, "start manual run", types.ReturnValueNone)
		if err == nil {
			return r, false, nil
		}
		_, derr := st.db.DeleteItem(context.WithoutCancel(ctx), &dynamodb.DeleteItemInput{
			TableName: st.table, Key: key(tenantPK(r.TenantID), runPrefix+r.SyncID),
		})
		if !isConditionFailed(err) {
			return provision.Run{}, false, classify(err, "start manual run %s", r.SyncID)
		}
		if derr != nil {
			return provision.Run{}, false, classify(derr, "withdraw duplicate manual run %s", r.SyncID)
		}
	}
	return provision.Run{}, false, fault.New(fault.Conflict, "start manual run: too many concurrent triggers")
}
