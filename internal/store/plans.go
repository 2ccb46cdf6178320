package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

const (
	planPrefix  = "PLAN#"
	driftPrefix = "DRIFT#"
	issuePrefix = "ISSUE#"
)

// PutPlan adds plan entries to a run (a continued run adds more). Only the
// entries whose action is not unchanged are stored as the plan: the plan
// endpoint lists every person whose action is not unchanged and the run's
// counts say how many were, so a steady-state run of unchanged people writes
// no plan item and a run's writes grow with its changes, not its people.
// An entry that carries a dry run's drift is also stored apart, under
// DRIFT#<userId>, whatever its action (an unchanged person's drift included):
// the opt-in drift listing reads those, and the plan listing and its paging
// never see them. Entries are keyed by person, so writing the same entries
// again (a redelivered message) replaces rather than duplicates them; within
// one call the last entry of a person wins. Sensitive fields are stored
// without values whatever they carry.
func (st *Store) PutPlan(ctx context.Context, tenant, syncID string, items []provision.PlanItem) error {
	if err := checkTenant(tenant); err != nil {
		return err
	}
	last := make(map[string]int, len(items))
	for i, p := range items {
		if p.UserID == "" {
			return fault.Invalid("userId", "a plan entry needs the Leapsome person's id")
		}
		last[p.UserID] = i
	}
	pk, exp := runPartition(tenant, syncID), n(st.expiresAt())
	var reqs []types.WriteRequest
	for i, p := range items {
		listed, drifted := p.Action != provision.ActionUnchanged, len(p.Drift) > 0
		if last[p.UserID] != i || !listed && !drifted {
			continue
		}
		fields := make([]provision.FieldChange, len(p.Fields))
		for j, f := range p.Fields {
			if f.Sensitive {
				f.From, f.To = "", ""
			}
			f.From, f.To = shown(f.From), shown(f.To)
			fields[j] = f
		}
		p.Email, p.Name = shown(p.Email), shown(p.Name)
		p.Fields = fields
		p.Drift = storedDrift(p.Drift)
		for _, prefix := range []string{planPrefix, driftPrefix} {
			if prefix == planPrefix && !listed || prefix == driftPrefix && !drifted {
				continue
			}
			it, err := marshal(p)
			if err != nil {
				return fault.Wrap(fault.Internal, err, "encode the plan entry of %s", p.UserID)
			}
			it[attrPK], it[attrSK], it[attrExpiresAt] = s(pk), s(prefix+p.UserID), exp
			reqs = append(reqs, putReq(it))
		}
	}
	return st.batchWrite(ctx, reqs, "plan of run "+syncID)
}

// storedDrift is a plan entry's drift as it is stored: sensitive targets
// without values, every value cut to maxShown, nil when there is none.
func storedDrift(drift []provision.FieldChange) []provision.FieldChange {
	if len(drift) == 0 {
		return nil
	}
	out := make([]provision.FieldChange, len(drift))
	for i, f := range drift {
		if f.Sensitive {
			f.From, f.To = "", ""
		}
		f.From, f.To = shown(f.From), shown(f.To)
		out[i] = f
	}
	return out
}

// maxShown bounds every value a plan entry or an issue stores: they are for
// people to read, and one person's absurd value must not outgrow DynamoDB's
// 400 KB item and fail the record of the whole run.
const maxShown = 1024

// shown is v cut to maxShown bytes on a character boundary, marked with "…".
func shown(v string) string { return provision.Shorten(v, maxShown) }

// ListPlan pages through a run's plan, ordered by person id.
func (st *Store) ListPlan(ctx context.Context, tenant, syncID string, limit int, token string) ([]provision.PlanItem, string, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, "", err
	}
	out, next, err := runList[provision.PlanItem](ctx, st, tenant, syncID, planPrefix, limit, token, "a plan entry")
	for i := range out {
		if out[i].Fields == nil {
			out[i].Fields = []provision.FieldChange{}
		}
	}
	return out, next, err
}

// ListDrift pages through the entries of a run's people with drift (a dry
// run's; any action, unchanged included), ordered by person id.
func (st *Store) ListDrift(ctx context.Context, tenant, syncID string, limit int, token string) ([]provision.PlanItem, string, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, "", err
	}
	out, next, err := runList[provision.PlanItem](ctx, st, tenant, syncID, driftPrefix, limit, token, "a drift entry")
	for i := range out {
		if out[i].Fields == nil {
			out[i].Fields = []provision.FieldChange{}
		}
	}
	return out, next, err
}

// issueKey identifies an issue by its person and content, so that writing the
// same issues again replaces them while different issues of one person (or of
// the tenant, with no person) all stay.
func issueKey(is provision.Issue) string {
	h := sha256.New()
	for _, part := range []string{string(is.Severity), is.Code, is.Field, is.Message, is.Email, is.Name} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return issuePrefix + is.UserID + "#" + hex.EncodeToString(h.Sum(nil)[:12])
}

// PutIssues adds issues to a run; like PutPlan, writing them again is
// harmless. Issues about the tenant have an empty UserID.
func (st *Store) PutIssues(ctx context.Context, tenant, syncID string, issues []provision.Issue) error {
	if err := checkTenant(tenant); err != nil {
		return err
	}
	pk, exp := runPartition(tenant, syncID), n(st.expiresAt())
	seen := make(map[string]bool, len(issues))
	reqs := make([]types.WriteRequest, 0, len(issues))
	for _, is := range issues {
		if is.Severity != provision.SeverityError && is.Severity != provision.SeverityWarning {
			return fault.Invalid("severity", "unknown severity %q", is.Severity)
		}
		is.Email, is.Name, is.Field, is.Message = shown(is.Email), shown(is.Name), shown(is.Field), shown(is.Message)
		k := issueKey(is)
		if seen[k] {
			continue
		}
		seen[k] = true
		it, err := marshal(is)
		if err != nil {
			return fault.Wrap(fault.Internal, err, "encode an issue of %s", is.UserID)
		}
		it[attrPK], it[attrSK], it[attrExpiresAt] = s(pk), s(k), exp
		reqs = append(reqs, putReq(it))
	}
	return st.batchWrite(ctx, reqs, "issues of run "+syncID)
}

// ListIssues pages through a run's issues: the tenant's first, then by person id.
func (st *Store) ListIssues(ctx context.Context, tenant, syncID string, limit int, token string) ([]provision.Issue, string, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, "", err
	}
	return runList[provision.Issue](ctx, st, tenant, syncID, issuePrefix, limit, token, "an issue")
}

// runList pages through the live entries of a run whose sort key starts with
// prefix, decoded as T; what names one entry in an error.
func runList[T any](ctx context.Context, st *Store, tenant, syncID, prefix string, limit int, token, what string) ([]T, string, error) {
	pk := runPartition(tenant, syncID)
	q, err := st.keyQuery("", inPartition(pk, prefix), "run "+prefix)
	if err != nil {
		return nil, "", err
	}
	items, next, err := st.page(ctx, q, prefix, attrPK, pk, limit, token, st.liveItem)
	if err != nil {
		return nil, "", err
	}
	out := make([]T, len(items))
	for i, it := range items {
		if err := unmarshal(it, &out[i]); err != nil {
			return nil, "", fault.Wrap(fault.Transient, err, "decode %s of run %s", what, syncID)
		}
	}
	return out, next, nil
}
