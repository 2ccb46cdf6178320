package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

const (
	linkPrefix    = "LINK#"
	reversePrefix = "EMP#"
)

type linkItem struct {
	UserID     string `json:"userId"`
	EmployeeID string `json:"employeeId"`
	LinkedAt   string `json:"linkedAt,omitempty"`
}

func forwardItem(tenant string, l provision.Link) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: s(tenantPK(tenant)), attrSK: s(linkPrefix + l.UserID),
		"userId": s(l.UserID), "employeeId": s(l.EmployeeID), "linkedAt": s(fmtTime(l.LinkedAt)),
	}
}

func reverseItem(tenant string, l provision.Link) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: s(tenantPK(tenant)), attrSK: s(reversePrefix + l.EmployeeID),
		"userId": s(l.UserID), "employeeId": s(l.EmployeeID),
	}
}

func (st *Store) checkLink(l *provision.Link) error {
	if l.UserID == "" {
		return fault.Invalid("userId", "a link needs the Leapsome person's id")
	}
	if l.EmployeeID == "" {
		return fault.Invalid("employeeId", "a link needs the TriNet employee id")
	}
	if l.LinkedAt.IsZero() {
		l.LinkedAt = st.cfg.Now()
	}
	return nil
}

// Links returns all of a tenant's links (strongly consistent).
func (st *Store) Links(ctx context.Context, tenant string) ([]provision.Link, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	items, err := st.tenantItems(ctx, tenant, linkPrefix, "", "links of "+tenant)
	if err != nil {
		return nil, err
	}
	links := make([]provision.Link, 0, len(items))
	for _, it := range items {
		var li linkItem
		if err := unmarshal(it, &li); err != nil {
			return nil, fault.Wrap(fault.Transient, err, "decode a link of %s", tenant)
		}
		links = append(links, provision.Link{UserID: li.UserID, EmployeeID: li.EmployeeID, LinkedAt: parseTime(li.LinkedAt)})
	}
	return links, nil
}

// PutLink links a person to an employee. The reverse item (employee → person)
// is written first on condition that the employee is free or already this
// person's, so an employee is never linked to two people: otherwise
// fault.Conflict. If the forward write then fails, a reverse item this call
// created is removed again. Re-linking a person to another employee frees the
// old employee.
func (st *Store) PutLink(ctx context.Context, tenant string, l provision.Link) error {
	if err := checkTenant(tenant); err != nil {
		return err
	}
	if err := st.checkLink(&l); err != nil {
		return err
	}
	rev, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 st.table,
		Item:                      reverseItem(tenant, l),
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR userId = :u"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":u": s(l.UserID)},
		ReturnValues:              types.ReturnValueAllOld,
	})
	if isConditionFailed(err) {
		return fault.Wrap(fault.Conflict, err, "TriNet employee %s is already linked to another person", l.EmployeeID)
	}
	if err != nil {
		return classify(err, "link person %s", l.UserID)
	}
	createdReverse := len(rev.Attributes) == 0

	fwd, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: st.table, Item: forwardItem(tenant, l), ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		if createdReverse {
			// Context may be done; the clean-up must still run.
			if derr := st.deleteReverse(context.WithoutCancel(ctx), tenant, l.EmployeeID, l.UserID); derr != nil {
				st.log.WarnContext(ctx, "store: reverse link left behind; the next link of this person adopts it",
					"tenant", tenant, "err", derr)
			}
		}
		return classify(err, "link person %s", l.UserID)
	}
	if old, ok := fwd.Attributes["employeeId"].(*types.AttributeValueMemberS); ok && old.Value != l.EmployeeID {
		return st.deleteReverse(ctx, tenant, old.Value, l.UserID)
	}
	return nil
}

// deleteReverse removes employee's reverse item if it still names user.
func (st *Store) deleteReverse(ctx context.Context, tenant, employee, user string) error {
	_, err := st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 st.table,
		Key:                       key(tenantPK(tenant), reversePrefix+employee),
		ConditionExpression:       aws.String("userId = :u"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":u": s(user)},
	})
	if isConditionFailed(err) {
		return nil // gone already, or someone else's now
	}
	return classify(err, "unlink employee %s", employee)
}

// PutLinks writes many links at once with BatchWriteItem, for bulk loads.
// BatchWriteItem has no conditions, so uniqueness is checked against the
// links read first: an employee linked to another person (stored or in
// links) is fault.Conflict and nothing is written. It is not safe against a
// concurrent PutLink on the same tenant (the lease rules that out).
func (st *Store) PutLinks(ctx context.Context, tenant string, links []provision.Link) error {
	if err := checkTenant(tenant); err != nil {
		return err
	}
	links = append([]provision.Link(nil), links...) // LinkedAt is filled in
	existing, err := st.Links(ctx, tenant)
	if err != nil {
		return err
	}
	final := make(map[string]string, len(existing)+len(links)) // user → employee
	for _, l := range existing {
		final[l.UserID] = l.EmployeeID
	}
	old := make(map[string]string, len(links))
	inBatch := make(map[string]bool, len(links))
	for i := range links {
		if err := st.checkLink(&links[i]); err != nil {
			return err
		}
		l := links[i]
		if inBatch[l.UserID] {
			return fault.Invalid("userId", "person %s is given twice", l.UserID)
		}
		inBatch[l.UserID] = true
		if e, ok := final[l.UserID]; ok && e != l.EmployeeID {
			old[l.UserID] = e
		}
		final[l.UserID] = l.EmployeeID
	}
	owner := make(map[string]string, len(final)) // employee → user
	for u, e := range final {
		if other, ok := owner[e]; ok {
			return fault.New(fault.Conflict, "TriNet employee %s would be linked to %s and %s", e, other, u)
		}
		owner[e] = u
	}
	reqs := make([]types.WriteRequest, 0, 2*len(links)+len(old))
	for _, l := range links {
		reqs = append(reqs, putReq(reverseItem(tenant, l)), putReq(forwardItem(tenant, l)))
	}
	for _, e := range old {
		if _, taken := owner[e]; !taken {
			reqs = append(reqs, deleteReq(tenantPK(tenant), reversePrefix+e))
		}
	}
	return st.batchWrite(ctx, reqs, "links of "+tenant)
}

// DeleteLinks deletes all of a tenant's links, both directions.
func (st *Store) DeleteLinks(ctx context.Context, tenant string) error {
	if err := checkTenant(tenant); err != nil {
		return err
	}
	var reqs []types.WriteRequest
	for _, prefix := range []string{linkPrefix, reversePrefix} {
		items, err := st.tenantItems(ctx, tenant, prefix, "pk, sk", "links of "+tenant)
		if err != nil {
			return err
		}
		for _, it := range items {
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: it}})
		}
	}
	return st.batchWrite(ctx, reqs, "deleted links of "+tenant)
}
