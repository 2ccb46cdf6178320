package store

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"trinetsync/internal/fault"
)

// The lease is one item per tenant: the syncId that may run, until when, and
// the hand-off token of a checkpointed run. untilMs (epoch milliseconds) is
// what conditions compare; until is for people.
//
// A run's lease outlives its invocations: a worker that checkpoints keeps the
// lease and hands it to its continuation by writing the continuation's cursor
// as the hand-off token. So a second delivery of a message whose run is at
// work finds the lease held and backs off, while the continuation, which
// carries that cursor, takes it over.

// AcquireLease takes the tenant's lease for syncID until now + ttl if it is
// free, expired, or handed off by syncID to handoff (a non-empty cursor).
// Otherwise held is false and holder names the syncId that has it (which may
// be syncID itself: another delivery of the same run is at work).
func (st *Store) AcquireLease(ctx context.Context, tenant, syncID, handoff string, ttl time.Duration) (held bool, holder string, err error) {
	if err := checkTenant(tenant); err != nil {
		return false, "", err
	}
	if syncID == "" {
		return false, "", fault.Invalid("syncId", "a lease needs its holder")
	}
	now := st.cfg.Now()
	until := now.Add(ttl)
	cond := expression.AttributeNotExists(name(attrPK)).Or(name("untilMs").LessThanEqual(value(n(now.UnixMilli()))))
	if handoff != "" {
		cond = cond.Or(name("holder").Equal(value(syncID)).And(name("handoff").Equal(value(handoff))))
	}
	_, err = st.putIf(ctx, map[string]types.AttributeValue{
		attrPK: s(tenantPK(tenant)), attrSK: s(skLease),
		"holder": s(syncID), "untilMs": n(until.UnixMilli()), "until": s(fmtTime(until)),
	}, cond, "take lease", types.ReturnValueNone)
	if err == nil {
		return true, syncID, nil
	}
	if !isConditionFailed(err) {
		return false, "", classify(err, "take lease of %s", tenant)
	}
	holder, _, err = st.Lease(ctx, tenant)
	if err != nil {
		return false, "", err
	}
	return false, holder, nil
}

// HandOffLease extends syncID's lease to now + ttl and names handoff (the
// continuation's cursor) as the one that may take it over. A lease syncID no
// longer holds is fault.Conflict.
func (st *Store) HandOffLease(ctx context.Context, tenant, syncID, handoff string, ttl time.Duration) error {
	if err := checkTenant(tenant); err != nil {
		return err
	}
	if handoff == "" {
		return fault.Invalid("handoff", "a hand-off needs the continuation's cursor")
	}
	until := st.cfg.Now().Add(ttl)
	_, err := st.updateItem(ctx, key(tenantPK(tenant), skLease), expression.NewBuilder().
		WithUpdate(expression.Set(name("handoff"), value(handoff)).
			Set(name("untilMs"), value(n(until.UnixMilli()))).
			Set(name("until"), value(fmtTime(until)))).
		WithCondition(heldBy(syncID)), "hand off lease", types.ReturnValueNone)
	if isConditionFailed(err) {
		return fault.Wrap(fault.Conflict, err, "lease of %s is not held by %s", tenant, syncID)
	}
	return classify(err, "hand off lease of %s", tenant)
}

// heldBy is the condition that syncID holds the lease.
func heldBy(syncID string) expression.ConditionBuilder { return name("holder").Equal(value(syncID)) }

// ReleaseLease gives up the lease if syncID holds it. Releasing a lease that
// is not held is not an error; one held by another syncId (ours expired and
// was taken) is fault.Conflict and is left alone.
func (st *Store) ReleaseLease(ctx context.Context, tenant, syncID string) error {
	if err := checkTenant(tenant); err != nil {
		return err
	}
	err := st.deleteIf(ctx, key(tenantPK(tenant), skLease), heldBy(syncID), "release lease")
	if !isConditionFailed(err) {
		return classify(err, "release lease of %s", tenant)
	}
	holder, _, lerr := st.Lease(ctx, tenant)
	if lerr != nil {
		return lerr
	}
	if holder == "" {
		return nil
	}
	return fault.Wrap(fault.Conflict, err, "lease of %s is held by %s", tenant, holder)
}

// Lease reads the tenant's lease: holder "" when there is none. An expired
// lease is returned as stored; callers compare until with their clock.
func (st *Store) Lease(ctx context.Context, tenant string) (holder string, until time.Time, err error) {
	if err := checkTenant(tenant); err != nil {
		return "", time.Time{}, err
	}
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: st.table, Key: key(tenantPK(tenant), skLease), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return "", time.Time{}, classify(err, "read lease of %s", tenant)
	}
	if out.Item == nil {
		return "", time.Time{}, nil
	}
	if h, ok := out.Item["holder"].(*types.AttributeValueMemberS); ok {
		holder = h.Value
	}
	if u, ok := out.Item["untilMs"].(*types.AttributeValueMemberN); ok {
		ms, _ := strconv.ParseInt(u.Value, 10, 64)
		until = time.UnixMilli(ms).UTC()
	}
	return holder, until, nil
}
