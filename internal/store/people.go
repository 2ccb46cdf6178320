package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

// The person index answers "which runs touched this person?" without a scan
// of the runs: every plan entry a run stores is also written, small, to a
// partition of the person's own, PERSON#<tenant>#<userId>, sorted by the
// run's start. A person's history is then one Query of the newest entries,
// and each names the run whose partition holds the full plan entry and its
// issues. Dry runs are indexed too, marked dry: a person only a dry run has
// planned (the "who would be created?" question) can then be explained.
// Runs store no entry for unchanged people (only their count), so neither
// does the index: the writes grow with the changes, not the people. Entries
// expire with the runs.

// PersonRun is one run that touched a person, as the person index keeps it.
type PersonRun struct {
	SyncID string
	// At is when the run started: runs of a tenant never overlap (the lease),
	// so it orders them.
	At     time.Time
	Action provision.Action
	Code   string
	// Email and Name are the person's as the run read them from Leapsome.
	Email, Name string
	// DryRun marks an entry of a dry run: it planned the person, and wrote
	// nothing.
	DryRun bool
}

type personRunItem struct {
	UserID    string `json:"userId"`
	SyncID    string `json:"syncId"`
	At        string `json:"at"`
	Action    string `json:"action"`
	Code      string `json:"code,omitempty"`
	Email     string `json:"email,omitempty"`
	Name      string `json:"name,omitempty"`
	DryRun    bool   `json:"dryRun,omitempty"`
	ExpiresAt int64  `json:"expiresAt"`
}

// maxIndexedUserID bounds the user ids the index keeps: a partition key is at
// most 2 KB, and the API looks up ids of at most 256 bytes.
const maxIndexedUserID = 1024

func personPartition(tenant, userID string) string { return "PERSON#" + tenant + "#" + userID }

// IndexPeople writes the person index entries of run's plan entries (those a
// run stores: every action but unchanged), a dry run's marked dry. Entries
// are keyed by person and run, so writing them again (a redelivered message)
// replaces them.
func (st *Store) IndexPeople(ctx context.Context, run provision.Run, items []provision.PlanItem) error {
	if err := checkTenant(run.TenantID); err != nil {
		return err
	}
	if run.SyncID == "" {
		return nil
	}
	at := run.StartedAt
	if at.IsZero() {
		at = st.cfg.Now()
	}
	exp := st.expiresAt()
	seen := make(map[string]bool, len(items))
	var reqs []types.WriteRequest
	for _, p := range items {
		if p.Action == provision.ActionUnchanged || p.UserID == "" || len(p.UserID) > maxIndexedUserID || seen[p.UserID] {
			continue
		}
		seen[p.UserID] = true
		it, err := marshal(personRunItem{
			UserID: p.UserID, SyncID: run.SyncID, At: fmtTime(at), Action: string(p.Action), Code: p.Code,
			Email: shown(p.Email), Name: shown(p.Name), DryRun: run.DryRun, ExpiresAt: exp,
		})
		if err != nil {
			return fault.Wrap(fault.Internal, err, "encode the person index entry of %s", p.UserID)
		}
		it[attrPK], it[attrSK] = s(personPartition(run.TenantID, p.UserID)), s(fmtTime(at)+"#"+run.SyncID)
		reqs = append(reqs, putReq(it))
	}
	return st.batchWrite(ctx, reqs, "person index of run "+run.SyncID)
}

// PersonHistory is the newest limit runs that touched a person, dry runs
// included, newest first.
func (st *Store) PersonHistory(ctx context.Context, tenant, userID string, limit int) ([]PersonRun, error) {
	return st.personRuns(ctx, tenant, userID, limit)
}

// NewestRealPersonRun is the newest run that is not a dry run among those
// that touched a person; fault.NotFound when none did. It reads past dry
// runs' entries (a page at a time: it is asked only when a whole history of
// them came first), so a real run that planned the person is found however
// many dry runs followed it.
func (st *Store) NewestRealPersonRun(ctx context.Context, tenant, userID string) (PersonRun, error) {
	if err := checkTenant(tenant); err != nil {
		return PersonRun{}, err
	}
	none := fault.New(fault.NotFound, "no run but dry runs touched person %s", userID)
	if userID == "" || len(userID) > maxIndexedUserID {
		return PersonRun{}, none
	}
	q := &dynamodb.QueryInput{
		TableName:                 st.table,
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(personPartition(tenant, userID))},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(100),
	}
	for {
		out, err := st.db.Query(ctx, q)
		if err != nil {
			return PersonRun{}, classify(err, "query the person index of %s", userID)
		}
		for _, it := range out.Items {
			if !st.liveItem(it) {
				continue
			}
			r, err := decodePersonRun(it, userID)
			if err != nil {
				return PersonRun{}, err
			}
			if !r.DryRun {
				return r, nil
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return PersonRun{}, none
		}
		q.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// personRuns is the newest limit live index entries of a person, newest
// first.
func (st *Store) personRuns(ctx context.Context, tenant, userID string, limit int) ([]PersonRun, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	if userID == "" || len(userID) > maxIndexedUserID {
		return nil, nil
	}
	pk := personPartition(tenant, userID)
	items, _, err := st.page(ctx, &dynamodb.QueryInput{
		TableName:                 st.table,
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(pk)},
		ScanIndexForward:          aws.Bool(false),
	}, "person", attrPK, pk, limit, "", st.liveItem)
	if err != nil {
		return nil, err
	}
	out := make([]PersonRun, 0, len(items))
	for _, it := range items {
		r, err := decodePersonRun(it, userID)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func decodePersonRun(it map[string]types.AttributeValue, userID string) (PersonRun, error) {
	var r personRunItem
	if err := unmarshal(it, &r); err != nil {
		return PersonRun{}, fault.Wrap(fault.Transient, err, "decode a person index entry of %s", userID)
	}
	return PersonRun{SyncID: r.SyncID, At: parseTime(r.At), Action: provision.Action(r.Action), Code: r.Code,
		Email: r.Email, Name: r.Name, DryRun: r.DryRun}, nil
}

// PlanEntry is one person's plan entry in a run; fault.NotFound when the run
// stored none for them (they were unchanged, or not in it) or it expired.
func (st *Store) PlanEntry(ctx context.Context, tenant, syncID, userID string) (provision.PlanItem, error) {
	if err := checkTenant(tenant); err != nil {
		return provision.PlanItem{}, err
	}
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: st.table, Key: key(runPartition(tenant, syncID), planPrefix+userID),
	})
	if err != nil {
		return provision.PlanItem{}, classify(err, "read the plan entry of %s in run %s", userID, syncID)
	}
	if out.Item == nil || !st.liveItem(out.Item) {
		return provision.PlanItem{}, fault.New(fault.NotFound, "run %s has no plan entry for %s", syncID, userID)
	}
	var p provision.PlanItem
	if err := unmarshal(out.Item, &p); err != nil {
		return provision.PlanItem{}, fault.Wrap(fault.Transient, err, "decode the plan entry of %s in run %s", userID, syncID)
	}
	if p.Fields == nil {
		p.Fields = []provision.FieldChange{}
	}
	return p, nil
}

// PersonIssues are a run's issues about one person.
func (st *Store) PersonIssues(ctx context.Context, tenant, syncID, userID string) ([]provision.Issue, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	items, err := st.all(ctx, &dynamodb.QueryInput{
		TableName:              st.table,
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": s(runPartition(tenant, syncID)), ":p": s(issuePrefix + userID + "#"),
		},
	}, "issues of "+userID)
	if err != nil {
		return nil, err
	}
	out := []provision.Issue{}
	for _, it := range items {
		if !st.liveItem(it) {
			continue
		}
		var is provision.Issue
		if err := unmarshal(it, &is); err != nil {
			return nil, fault.Wrap(fault.Transient, err, "decode an issue of run %s", syncID)
		}
		// An id that has this one and "#" as its start shares the prefix.
		if is.UserID == userID {
			out = append(out, is)
		}
	}
	return out, nil
}

// maxAppliedScan bounds how many finished runs LatestAppliedRun reads past:
// dry and failed runs in a row beyond it mean no applied run is recent.
const maxAppliedScan = 200

// LatestAppliedRun is the full run that finished last having planned the
// tenant's people and applied the plan: succeeded or partial, not a dry run
// (subset and skipped runs are not in the finished-runs index). Every person
// Leapsome listed then and has no plan entry in it was unchanged.
// fault.NotFound when there is none among the latest finished runs.
func (st *Store) LatestAppliedRun(ctx context.Context, tenant string) (provision.Run, error) {
	if err := checkTenant(tenant); err != nil {
		return provision.Run{}, err
	}
	q := &dynamodb.QueryInput{
		TableName: st.table, IndexName: aws.String(indexDone),
		KeyConditionExpression:    aws.String("gsi2pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(doneList(tenant))},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(25),
	}
	for read := 0; read < maxAppliedScan; {
		out, err := st.db.Query(ctx, q)
		if err != nil {
			return provision.Run{}, classify(err, "query the finished runs of %s", tenant)
		}
		for _, it := range out.Items {
			read++
			if !st.liveItem(it) {
				continue
			}
			r, err := decodeRun(it)
			if err != nil {
				return provision.Run{}, err
			}
			if !r.DryRun && !r.Subset() && (r.Status == provision.RunSucceeded || r.Status == provision.RunPartial) {
				return r, nil
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		q.ExclusiveStartKey = out.LastEvaluatedKey
	}
	return provision.Run{}, fault.New(fault.NotFound, "tenant %s has no applied full run", tenant)
}
