package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

type hireItem struct {
	UserID      string `json:"userId"`
	CompanyID   string `json:"companyId"`
	Email       string `json:"email"`
	State       string `json:"state"`
	EmployeeID  string `json:"employeeId"`
	SubmittedAt string `json:"submittedAt"`
	SyncID      string `json:"syncId"`
}

func (h hireItem) entry() provision.HireEntry {
	return provision.HireEntry{
		UserID: h.UserID, CompanyID: h.CompanyID, Email: h.Email, State: provision.HireState(h.State),
		EmployeeID: h.EmployeeID, SubmittedAt: parseTime(h.SubmittedAt), SyncID: h.SyncID,
	}
}

// hiresList is the open-hires index partition of one company of a tenant.
func hiresList(tenant, company string) string { return "HIRES#" + tenant + "#" + companyKey(company) }

// listedState reports whether entries in state s are in the open-hires index
// (what the API lists and an admin acts on).
func listedState(s provision.HireState) bool {
	return s == provision.HirePending || s == provision.HireUnknown
}

func checkHire(e provision.HireEntry) error {
	if e.UserID == "" {
		return fault.Invalid("userId", "a hire ledger entry needs the Leapsome person's id")
	}
	if err := checkCompany(e.CompanyID); err != nil {
		return err
	}
	switch e.State {
	case provision.HireSubmitted, provision.HirePending, provision.HireUnknown, provision.HireLinked:
		return nil
	}
	return fault.Invalid("state", "unknown hire state %q", e.State)
}

func (st *Store) hireItem(tenant string, e provision.HireEntry) map[string]types.AttributeValue {
	it := map[string]types.AttributeValue{
		attrPK: s(tenantPK(tenant)), attrSK: s(companyRange(e.CompanyID, kindHire) + e.UserID),
		"userId": s(e.UserID), "companyId": s(e.CompanyID), "email": s(e.Email), "state": s(string(e.State)),
		"employeeId": s(e.EmployeeID), "submittedAt": s(fmtTime(e.SubmittedAt)), "syncId": s(e.SyncID),
	}
	if listedState(e.State) {
		it[attrGSI1PK] = s(hiresList(tenant, e.CompanyID))
		it[attrGSI1SK] = s(string(e.State) + "#" + fmtTime(e.SubmittedAt) + "#" + e.UserID)
	}
	return it
}

func decodeHire(it map[string]types.AttributeValue) (provision.HireEntry, error) {
	var h hireItem
	if err := unmarshal(it, &h); err != nil {
		return provision.HireEntry{}, fault.Wrap(fault.Transient, err, "decode a hire ledger entry")
	}
	return h.entry(), nil
}

// Hires returns a tenant's hire ledger in one TriNet company (strongly
// consistent). Entries stored before they carried a company are first bound
// to this one (see AdoptLegacy).
func (st *Store) Hires(ctx context.Context, tenant, company string) ([]provision.HireEntry, error) {
	if err := st.AdoptLegacy(ctx, tenant, company); err != nil {
		return nil, err
	}
	items, err := st.tenantItems(ctx, tenant, companyRange(company, kindHire), "hire ledger of "+tenant)
	if err != nil {
		return nil, err
	}
	return decodeAll(items, decodeHire)
}

func hireKey(tenant, company, userID string) map[string]types.AttributeValue {
	return key(tenantPK(tenant), companyRange(company, kindHire)+userID)
}

// CreateHire records a hire before it is sent. A person who already has an
// entry in the company (in any state) gets fault.Conflict: nobody is hired
// twice in one company.
func (st *Store) CreateHire(ctx context.Context, tenant string, e provision.HireEntry) error {
	return st.putHire(ctx, tenant, e, itemAbsent, fault.Conflict, "already has a hire ledger entry", "record")
}

// UpdateHire replaces an existing entry (its new state); fault.NotFound when
// there is none.
func (st *Store) UpdateHire(ctx context.Context, tenant string, e provision.HireEntry) error {
	return st.putHire(ctx, tenant, e, itemPresent, fault.NotFound, "has no hire ledger entry", "update")
}

// putHire writes e if cond holds; otherwise the error is of class c, saying
// that the person why.
func (st *Store) putHire(ctx context.Context, tenant string, e provision.HireEntry, cond expression.ConditionBuilder, c fault.Class, why, verb string) error {
	if err := checkTenant(tenant); err != nil {
		return err
	}
	if err := checkHire(e); err != nil {
		return err
	}
	_, err := st.putIf(ctx, st.hireItem(tenant, e), cond, verb+" hire", types.ReturnValueNone)
	if isConditionFailed(err) {
		return fault.Wrap(c, err, "person %s %s", e.UserID, why)
	}
	return classify(err, "%s hire of %s", verb, e.UserID)
}

// DeleteHire removes an entry whatever its state (a hire TriNet rejected).
// Deleting an absent entry is not an error.
func (st *Store) DeleteHire(ctx context.Context, tenant, company, userID string) error {
	if err := checkTenant(tenant); err != nil {
		return err
	}
	if err := checkCompany(company); err != nil {
		return err
	}
	_, err := st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: st.table, Key: hireKey(tenant, company, userID)})
	return classify(err, "delete hire of %s", userID)
}

// Hire reads one entry of a company; fault.NotFound when there is none.
func (st *Store) Hire(ctx context.Context, tenant, company, userID string) (provision.HireEntry, error) {
	if err := st.AdoptLegacy(ctx, tenant, company); err != nil {
		return provision.HireEntry{}, err
	}
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: st.table, Key: hireKey(tenant, company, userID), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return provision.HireEntry{}, classify(err, "read hire of %s", userID)
	}
	if out.Item == nil {
		return provision.HireEntry{}, fault.New(fault.NotFound, "person %s has no hire ledger entry", userID)
	}
	return decodeHire(out.Item)
}

// ReleaseHire is an admin's release of a hire whose outcome is unknown, after
// checking TriNet: the entry is deleted only if it is still unknown. A pending
// hire is fault.Conflict (TriNet has it); no entry is fault.NotFound.
func (st *Store) ReleaseHire(ctx context.Context, tenant, company, userID string) error {
	if err := st.AdoptLegacy(ctx, tenant, company); err != nil {
		return err
	}
	err := st.deleteIf(ctx, hireKey(tenant, company, userID), name("state").Equal(value(string(provision.HireUnknown))), "release hire")
	if !isConditionFailed(err) {
		return classify(err, "release hire of %s", userID)
	}
	e, rerr := st.Hire(ctx, tenant, company, userID)
	if rerr != nil {
		return rerr
	}
	return fault.Wrap(fault.Conflict, err, "the hire of %s is %s, not unknown", userID, e.State)
}

// ListHires pages through the hires of one company an admin may have to act
// on: state pending or unknown, or both when state is "". Other states are
// not listed.
func (st *Store) ListHires(ctx context.Context, tenant, company string, state provision.HireState, limit int, token string) ([]provision.HireEntry, string, error) {
	if err := st.AdoptLegacy(ctx, tenant, company); err != nil {
		return nil, "", err
	}
	kc := keyName(attrGSI1PK).Equal(value(hiresList(tenant, company)))
	switch {
	case state == "":
	case listedState(state):
		kc = kc.And(keyName(attrGSI1SK).BeginsWith(string(state) + "#"))
	default:
		return nil, "", fault.Invalid("state", "must be pending or unknown")
	}
	q, err := st.keyQuery(indexList, kc, "hires")
	if err != nil {
		return nil, "", err
	}
	items, next, err := st.page(ctx, q, "hires"+string(state), attrGSI1PK, hiresList(tenant, company), limit, token, nil)
	if err != nil {
		return nil, "", err
	}
	hires, err := decodeAll(items, decodeHire)
	return hires, next, err
}
