package store

import (
	"context"
	"maps"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"trinetsync/internal/provision"
)

// Before links and hire-ledger entries carried their TriNet company they were
// stored as LINK#<userId>, EMP#<employeeId> and HIRE#<userId> (hires listed
// under HIRES#<tenant>). Such an item belongs to the company the tenant was
// connected to when it was written, which is the tenant's current company the
// first time it is read afterwards, or the company being left when the tenant
// reconnects to another one or disconnects first: AdoptLegacy binds it to that
// company, once, by rewriting it under the company's keys.
const (
	legacyLink    = "LINK#"
	legacyReverse = "EMP#"
	legacyHire    = "HIRE#"
	// The legacy kinds sort between these bounds (with LEASE, which is left alone).
	legacyFirst = "EMP#"
	legacyLast  = "LINK$" // '$' follows '#'
)

// AdoptLegacy rewrites the tenant's links and hires stored without a company
// as company's. It is idempotent and safe to run concurrently: an entry
// already written under the company's keys is kept (the newer one), and the
// old item is deleted either way. Reverse items go first, so that a crash
// half-way never leaves a link whose employee another person could take.
// Every read of links or hires calls it first; it checks the tenant and
// company ids (fault.Validation) before anything else.
func (st *Store) AdoptLegacy(ctx context.Context, tenant, company string) error {
	if err := checkTenant(tenant); err != nil {
		return err
	}
	if err := checkCompany(company); err != nil {
		return err
	}
	q, err := st.keyQuery("", keyName(attrPK).Equal(value(tenantPK(tenant))).And(keyName(attrSK).Between(value(legacyFirst), value(legacyLast))),
		"unbound links and hires")
	if err != nil {
		return err
	}
	q.ConsistentRead = aws.Bool(true)
	items, err := st.all(ctx, q, "unbound links and hires of "+tenant)
	if err != nil {
		return err
	}
	bound := 0
	defer func() {
		if bound > 0 {
			st.log.InfoContext(ctx, "store: links and hires stored without a TriNet company bound to the current one",
				"tenant", tenant, "companyId", company, "items", bound)
		}
	}()
	for _, it := range items { // in key order: EMP#, HIRE#, LINK#
		sk := skOfItem(it)
		var kind, id string
		for _, k := range []string{legacyReverse, legacyHire, legacyLink} {
			if rest, ok := strings.CutPrefix(sk, k); ok {
				kind, id = k, rest
				break
			}
		}
		if kind == "" {
			continue // the lease
		}
		item := maps.Clone(it)
		item[attrSK] = s(companyRange(company, kind) + id)
		item["companyId"] = s(company)
		switch kind {
		case legacyLink:
			if _, ok := item["origin"]; !ok {
				item["origin"] = s(string(provision.OriginEmail))
			}
		case legacyHire:
			if _, listed := item[attrGSI1PK]; listed {
				item[attrGSI1PK] = s(hiresList(tenant, company))
			}
		}
		_, err := st.putIf(ctx, item, itemAbsent, "bind to a company", types.ReturnValueNone)
		if err != nil && !isConditionFailed(err) {
			return classify(err, "bind %s of %s to company %s", strings.TrimSuffix(kind, "#"), tenant, company)
		}
		if _, err := st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: st.table, Key: key(tenantPK(tenant), sk),
		}); err != nil {
			return classify(err, "drop unbound %s of %s", strings.TrimSuffix(kind, "#"), tenant)
		}
		bound++
	}
	return nil
}
