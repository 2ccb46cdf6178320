package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"trinetsync/internal/fault"
)

// AuditRetention is how long audit entries are kept: over a year, so that
// "who changed this?" can be answered for the whole of the last one.
const AuditRetention = 400 * 24 * time.Hour

// AuditEntry is one admin action on a tenant.
type AuditEntry struct {
	At        time.Time
	Actor     string // the token's sub
	Action    string // connected, disconnected, settings_changed, …
	RequestID string
	// Details say what the action was about (ids, flags, the names of the
	// settings that changed), never a secret's value.
	Details map[string]any
}

const auditPrefix = "AUDIT#"

type auditItem struct {
	At        string         `json:"at"`
	Actor     string         `json:"actor"`
	Action    string         `json:"action"`
	RequestID string         `json:"requestId"`
	Details   map[string]any `json:"details,omitempty"`
	ExpiresAt int64          `json:"expiresAt"`
}

// PutAudit records an admin action. The sort key orders entries by time and
// keeps two actions of the same instant apart by their request ids.
func (st *Store) PutAudit(ctx context.Context, tenant string, e AuditEntry) error {
	if err := checkTenant(tenant); err != nil {
		return err
	}
	if e.Action == "" || e.RequestID == "" {
		return fault.Invalid("action", "an audit entry needs an action and a request id")
	}
	if e.At.IsZero() {
		e.At = st.cfg.Now()
	}
	it, err := marshal(auditItem{At: fmtTime(e.At), Actor: e.Actor, Action: e.Action, RequestID: e.RequestID,
		Details: e.Details, ExpiresAt: e.At.Add(AuditRetention).Unix()})
	if err != nil {
		return fault.Wrap(fault.Internal, err, "encode audit entry %s", e.Action)
	}
	it[attrPK] = s(tenantPK(tenant))
	it[attrSK] = s(auditPrefix + fmtTime(e.At) + "#" + e.RequestID + "#" + e.Action)
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: st.table, Item: it})
	return classify(err, "record audit entry %s of %s", e.Action, tenant)
}

// ListAudit pages a tenant's audit entries, newest first.
func (st *Store) ListAudit(ctx context.Context, tenant string, limit int, token string) ([]AuditEntry, string, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, "", err
	}
	items, next, err := st.page(ctx, &dynamodb.QueryInput{
		TableName:              st.table,
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": s(tenantPK(tenant)), ":p": s(auditPrefix),
		},
		ScanIndexForward: aws.Bool(false),
	}, "audit", attrPK, tenantPK(tenant), limit, token, st.liveItem)
	if err != nil {
		return nil, "", err
	}
	out := make([]AuditEntry, 0, len(items))
	for _, it := range items {
		var a auditItem
		if err := unmarshal(it, &a); err != nil {
			return nil, "", fault.Wrap(fault.Transient, err, "decode an audit entry")
		}
		out = append(out, AuditEntry{At: parseTime(a.At), Actor: a.Actor, Action: a.Action, RequestID: a.RequestID, Details: a.Details})
	}
	return out, next, nil
}
