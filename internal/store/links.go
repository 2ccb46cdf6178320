package store

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

// Links and hire-ledger entries are keyed by the TriNet company they were
// made in, CO#<company>#LINK#<userId>, CO#<company>#EMP#<employeeId> and
// CO#<company>#HIRE#<userId>: employee ids are numbered per company, so an
// entry made in one company names a stranger in another. A run reads its own
// company's range only; a tenant that moves to another company starts there
// with nothing, and the earlier company's entries stay as they were (history)
// without any clean-up that could fail half-way or race a second reconnect.
// See docs/data-model.md.

const (
	companyPrefix = "CO#"
	kindLink      = "LINK#"
	kindReverse   = "EMP#"
	kindHire      = "HIRE#"
)

// companyKey is a company id made safe for a key: TriNet's ids are short
// codes, but nothing may put a '#' where the key's parts meet.
func companyKey(co string) string {
	if !strings.ContainsAny(co, "%#") {
		return co
	}
	return companyEscaper.Replace(co)
}

var companyEscaper = strings.NewReplacer("%", "%25", "#", "%23")

// companyRange is the start of every key of one company's entries of a kind.
func companyRange(co, kind string) string { return companyPrefix + companyKey(co) + "#" + kind }

func checkCompany(co string) error {
	if strings.TrimSpace(co) == "" {
		return fault.Invalid("companyId", "links and hires belong to a TriNet company; none given")
	}
	return nil
}

type linkItem struct {
	UserID     string `json:"userId"`
	EmployeeID string `json:"employeeId"`
	CompanyID  string `json:"companyId"`
	Origin     string `json:"origin"`
	Email      string `json:"email"`
	LinkedAt   string `json:"linkedAt,omitempty"`
}

func (li linkItem) link() provision.Link {
	return provision.Link{UserID: li.UserID, EmployeeID: li.EmployeeID, CompanyID: li.CompanyID,
		Origin: provision.LinkOrigin(li.Origin), Email: li.Email, LinkedAt: parseTime(li.LinkedAt)}
}

func forwardItem(tenant string, l provision.Link) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: s(tenantPK(tenant)), attrSK: s(companyRange(l.CompanyID, kindLink) + l.UserID),
		"userId": s(l.UserID), "employeeId": s(l.EmployeeID), "companyId": s(l.CompanyID),
		"origin": s(string(l.Origin)), "email": s(l.Email), "linkedAt": s(fmtTime(l.LinkedAt)),
	}
}

func reverseItem(tenant string, l provision.Link) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: s(tenantPK(tenant)), attrSK: s(companyRange(l.CompanyID, kindReverse) + l.EmployeeID),
		"userId": s(l.UserID), "employeeId": s(l.EmployeeID), "companyId": s(l.CompanyID),
	}
}

func (st *Store) checkLink(l *provision.Link) error {
	if l.UserID == "" {
		return fault.Invalid("userId", "a link needs the Leapsome person's id")
	}
	if err := checkCompany(l.CompanyID); err != nil {
		return err
	}
	if l.Origin == "" {
		l.Origin = provision.OriginEmail
	}
	switch l.Origin {
	case provision.OriginEmail, provision.OriginHire, provision.OriginManual:
	default:
		return fault.Invalid("origin", "unknown link origin %q", l.Origin)
	}
	// Only an admin keeps a person out; every other link names an employee.
	if l.EmployeeID == "" && l.Origin != provision.OriginManual {
		return fault.Invalid("employeeId", "a link needs the TriNet employee id")
	}
	if l.LinkedAt.IsZero() {
		l.LinkedAt = st.cfg.Now()
	}
	return nil
}

// Links returns a tenant's links in one TriNet company (strongly consistent),
// "keep out" decisions included. Entries stored before links carried a
// company are first bound to this one (see AdoptLegacy).
func (st *Store) Links(ctx context.Context, tenant, company string) ([]provision.Link, error) {
	if err := st.AdoptLegacy(ctx, tenant, company); err != nil {
		return nil, err
	}
	items, err := st.tenantItems(ctx, tenant, companyRange(company, kindLink), "links of "+tenant)
	if err != nil {
		return nil, err
	}
	return decodeLinks(items, tenant)
}

// decodeLinks reads link items by hand rather than through attributevalue's
// reflection: a run reads all of a tenant's links, 10,000 of them at a time.
func decodeLinks(items []map[string]types.AttributeValue, tenant string) ([]provision.Link, error) {
	links := make([]provision.Link, 0, len(items))
	for _, it := range items {
		li := linkItem{UserID: str(it, "userId"), EmployeeID: str(it, "employeeId"), CompanyID: str(it, "companyId"),
			Origin: str(it, "origin"), Email: str(it, "email"), LinkedAt: str(it, "linkedAt")}
		if li.UserID == "" {
			return nil, fault.New(fault.Transient, "a link of %s has no userId", tenant)
		}
		links = append(links, li.link())
	}
	return links, nil
}

// str is a string attribute of an item, "" when absent or not a string.
func str(it map[string]types.AttributeValue, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// Link reads one person's link (or "keep out" decision) in a company;
// fault.NotFound when there is none.
func (st *Store) Link(ctx context.Context, tenant, company, userID string) (provision.Link, error) {
	if err := st.AdoptLegacy(ctx, tenant, company); err != nil {
		return provision.Link{}, err
	}
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: st.table, Key: key(tenantPK(tenant), companyRange(company, kindLink)+userID), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return provision.Link{}, classify(err, "read link of %s", userID)
	}
	if out.Item == nil {
		return provision.Link{}, fault.New(fault.NotFound, "person %s has no link", userID)
	}
	var li linkItem
	if err := unmarshal(out.Item, &li); err != nil {
		return provision.Link{}, fault.Wrap(fault.Transient, err, "decode the link of %s", userID)
	}
	return li.link(), nil
}

// ListLinks pages through a tenant's links in one company, ordered by person.
func (st *Store) ListLinks(ctx context.Context, tenant, company string, limit int, token string) ([]provision.Link, string, error) {
	if err := st.AdoptLegacy(ctx, tenant, company); err != nil {
		return nil, "", err
	}
	q, err := st.keyQuery("", inPartition(tenantPK(tenant), companyRange(company, kindLink)), "links")
	if err != nil {
		return nil, "", err
	}
	q.ConsistentRead = aws.Bool(true)
	// The list is bound to the company: a token of another company's list is refused.
	items, next, err := st.page(ctx, q, "links#"+company, attrPK, tenantPK(tenant), limit, token, nil)
	if err != nil {
		return nil, "", err
	}
	links, err := decodeLinks(items, tenant)
	return links, next, err
}

// PutLink links a person to an employee in l.CompanyID, or records an
// admin's decision to keep them out (empty EmployeeID, origin manual). The
// reverse item (employee → person) is written first on condition that the
// employee is free or already this person's, so an employee is never linked
// to two people: otherwise fault.Conflict. If the forward write then fails, a
// reverse item this call created is removed again. Re-linking a person to
// another employee frees the old employee.
func (st *Store) PutLink(ctx context.Context, tenant string, l provision.Link) error {
	return st.putLink(ctx, tenant, l, "")
}

// MoveLink is PutLink taking the employee over from the person fromUserID (a
// re-created Leapsome account): the employee may be free, this person's or
// fromUserID's, whose link to it is then dropped.
func (st *Store) MoveLink(ctx context.Context, tenant string, l provision.Link, fromUserID string) error {
	if fromUserID == "" || fromUserID == l.UserID {
		return fault.Invalid("fromUserId", "a link moves from another person")
	}
	return st.putLink(ctx, tenant, l, fromUserID)
}

func (st *Store) putLink(ctx context.Context, tenant string, l provision.Link, from string) error {
	if err := checkTenant(tenant); err != nil {
		return err
	}
	if err := st.checkLink(&l); err != nil {
		return err
	}
	createdReverse := false
	if !l.Excluded() {
		free := expression.AttributeNotExists(name(attrPK)).Or(reverseOf(l.UserID))
		if from != "" {
			free = free.Or(reverseOf(from))
		}
		rev, err := st.putIf(ctx, reverseItem(tenant, l), free, "link", types.ReturnValueAllOld)
		if isConditionFailed(err) {
			return fault.Wrap(fault.Conflict, err, "TriNet employee %s is already linked to another person", l.EmployeeID)
		}
		if err != nil {
			return classify(err, "link person %s", l.UserID)
		}
		createdReverse = len(rev.Attributes) == 0
	}

	fwd, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: st.table, Item: forwardItem(tenant, l), ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		if createdReverse {
			// Context may be done; the clean-up must still run.
			if derr := st.deleteReverse(context.WithoutCancel(ctx), tenant, l.CompanyID, l.EmployeeID, l.UserID); derr != nil {
				st.log.WarnContext(ctx, "store: reverse link left behind; the next link of this person adopts it",
					"tenant", tenant, "err", derr)
			}
		}
		return classify(err, "link person %s", l.UserID)
	}
	if from != "" {
		// The old account's link goes, unless it has meanwhile been pointed elsewhere.
		err := st.deleteIf(ctx, key(tenantPK(tenant), companyRange(l.CompanyID, kindLink)+from), linkTo(l.EmployeeID), "move link")
		if err != nil && !isConditionFailed(err) {
			return classify(err, "drop the link of %s", from)
		}
	}
	if old, ok := fwd.Attributes["employeeId"].(*types.AttributeValueMemberS); ok && old.Value != "" && old.Value != l.EmployeeID {
		return st.deleteReverse(ctx, tenant, l.CompanyID, old.Value, l.UserID)
	}
	return nil
}

// reverseOf is the condition that a reverse item (employee → person) names user.
func reverseOf(user string) expression.ConditionBuilder { return name("userId").Equal(value(user)) }

// linkTo is the condition that a link (person → employee) names employee.
func linkTo(employee string) expression.ConditionBuilder {
	return name("employeeId").Equal(value(employee))
}

// deleteReverse removes employee's reverse item if it still names user.
func (st *Store) deleteReverse(ctx context.Context, tenant, company, employee, user string) error {
	err := st.deleteIf(ctx, key(tenantPK(tenant), companyRange(company, kindReverse)+employee), reverseOf(user), "unlink")
	if isConditionFailed(err) {
		return nil // gone already, or someone else's now
	}
	return classify(err, "unlink employee %s", employee)
}

// DeleteLink drops a person's link or "keep out" decision in a company, so
// that email matching applies again; fault.NotFound when there is none. The
// forward item goes first: a crash before the reverse item goes leaves it
// naming this person, who alone may link to the employee until they do.
func (st *Store) DeleteLink(ctx context.Context, tenant, company, userID string) error {
	l, err := st.Link(ctx, tenant, company, userID)
	if err != nil {
		return err
	}
	// Only the link that was read goes: a run that re-linked the person
	// meanwhile is not undone half-way.
	err = st.deleteIf(ctx, key(tenantPK(tenant), companyRange(company, kindLink)+userID), linkTo(l.EmployeeID), "unlink")
	if isConditionFailed(err) {
		return fault.Wrap(fault.Conflict, err, "the link of %s changed meanwhile; read it again", userID)
	}
	if err != nil {
		return classify(err, "unlink person %s", userID)
	}
	if l.Excluded() {
		return nil
	}
	return st.deleteReverse(ctx, tenant, company, l.EmployeeID, userID)
}

// PutLinks writes many links of one company at once with BatchWriteItem, for
// bulk loads. BatchWriteItem has no conditions, so uniqueness is checked
// against the links read first: an employee linked to another person (stored
// or in links) is fault.Conflict and nothing is written. It is not safe
// against a concurrent PutLink on the same tenant (the lease rules that out).
func (st *Store) PutLinks(ctx context.Context, tenant string, links []provision.Link) error {
	if err := checkTenant(tenant); err != nil {
		return err
	}
	if len(links) == 0 {
		return nil
	}
	company := links[0].CompanyID
	links = append([]provision.Link(nil), links...) // LinkedAt is filled in
	for i := range links {
		if err := st.checkLink(&links[i]); err != nil {
			return err
		}
		if links[i].CompanyID != company {
			return fault.Invalid("companyId", "links of one call belong to one company")
		}
		if links[i].Excluded() {
			return fault.Invalid("employeeId", "a bulk link needs the TriNet employee id")
		}
	}
	existing, err := st.Links(ctx, tenant, company)
	if err != nil {
		return err
	}
	final := make(map[string]string, len(existing)+len(links)) // user → employee
	for _, l := range existing {
		if !l.Excluded() {
			final[l.UserID] = l.EmployeeID
		}
	}
	old := make(map[string]string, len(links))
	inBatch := make(map[string]bool, len(links))
	for _, l := range links {
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
			reqs = append(reqs, deleteReq(tenantPK(tenant), companyRange(company, kindReverse)+e))
		}
	}
	return st.batchWrite(ctx, reqs, "links of "+tenant)
}

// CountLinks counts a tenant's links to an employee in every company (and
// those not yet bound to one), stopping once it has counted atMost. It
// counts the reverse items, which exist for exactly those links and sort
// first in each company's range.
func (st *Store) CountLinks(ctx context.Context, tenant string, atMost int) (int, error) {
	if err := checkTenant(tenant); err != nil {
		return 0, err
	}
	n := 0
	for _, prefix := range []string{companyPrefix, legacyReverse} {
		q, err := st.keyQuery("", inPartition(tenantPK(tenant), prefix), "count links", attrSK)
		if err != nil {
			return 0, err
		}
		q.ConsistentRead, q.Limit = aws.Bool(true), aws.Int32(200)
		for n < atMost {
			out, err := st.db.Query(ctx, q)
			if err != nil {
				return 0, classify(err, "count links of %s", tenant)
			}
			for _, it := range out.Items {
				if kindOf(skOfItem(it)) == kindReverse {
					n++
				}
			}
			if len(out.LastEvaluatedKey) == 0 {
				break
			}
			q.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	return min(n, atMost), nil
}

// kindOf is the kind of an identity item's sort key (kindLink, kindReverse,
// kindHire), with or without a company; "" for anything else.
func kindOf(sk string) string {
	if rest, ok := strings.CutPrefix(sk, companyPrefix); ok {
		// Company keys hold no '#' (companyKey), so the kind follows the first one.
		i := strings.IndexByte(rest, '#')
		if i < 0 {
			return ""
		}
		sk = rest[i+1:]
	}
	for _, k := range []string{kindLink, kindReverse, kindHire} {
		if strings.HasPrefix(sk, k) {
			return k
		}
	}
	return ""
}

func skOfItem(it map[string]types.AttributeValue) string {
	v, _ := it[attrSK].(*types.AttributeValueMemberS)
	if v == nil {
		return ""
	}
	return v.Value
}

// DeleteLinks deletes all of a tenant's links and "keep out" decisions, in
// every company, both directions (a revocation).
func (st *Store) DeleteLinks(ctx context.Context, tenant string) error {
	if err := checkTenant(tenant); err != nil {
		return err
	}
	var reqs []types.WriteRequest
	for _, prefix := range []string{companyPrefix, legacyLink, legacyReverse} {
		items, err := st.tenantItems(ctx, tenant, prefix, "links of "+tenant, attrPK, attrSK)
		if err != nil {
			return err
		}
		for _, it := range items {
			if k := kindOf(skOfItem(it)); k == kindLink || k == kindReverse {
				reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: it}})
			}
		}
	}
	return st.batchWrite(ctx, reqs, "deleted links of "+tenant)
}
