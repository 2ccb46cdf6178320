package app

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"

	"trinetsync/internal/api"
	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
	"trinetsync/internal/retry"
	"trinetsync/internal/store"
)

// The admin actions the audit trail records (the contract's names).
const (
	AuditConnected       = "connected"
	AuditDisconnected    = "disconnected"
	AuditSettingsChanged = "settings_changed"
	AuditSyncTriggered   = "sync_triggered"
	AuditHireReleased    = "hire_released"
	AuditLinkSet         = "link_set"
	AuditLinkRemoved     = "link_removed"
)

// SystemActor is the actor of an action taken without a token: the local
// stack connecting its demo tenant.
const SystemActor = "system"

// auditTimeout bounds the write of one audit entry, on a context of its own:
// a client that hangs up once its action is done must not lose the record.
const auditTimeout = 5 * time.Second

// auditTries bounds the attempts at one entry, under the service's retry
// policy (backoff with jitter, within auditTimeout); a DynamoDB blip passes.
const auditTries = 3

// audit records an admin action that has been done. It cannot undo the
// action, so a record that cannot be written is logged in full at error
// level (the log keeps what the table could not) and the request still
// succeeds.
func (s *Backend) audit(ctx context.Context, tenant, action string, details map[string]any) {
	e := store.AuditEntry{At: s.now().UTC(), Actor: SystemActor, Action: action,
		RequestID: api.RequestIDFrom(ctx), Details: details}
	if p, ok := api.PrincipalFrom(ctx); ok && p.Subject != "" {
		e.Actor = p.Subject
	}
	if e.RequestID == "" {
		e.RequestID = "local-" + uuid.NewString()
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	p := retry.Policy{MaxRetries: auditTries - 1, BaseDelay: 50 * time.Millisecond, Service: "dynamodb", Logger: s.log}
	err := p.Do(actx, "audit entry", func(actx context.Context) retry.Attempt {
		err := s.store.PutAudit(actx, tenant, e)
		return retry.Attempt{Err: err, Retry: fault.Retryable(err)}
	})
	if err != nil {
		s.log.Error("audit entry not recorded", "tenant", tenant, "action", action, "actor", e.Actor,
			"requestId", e.RequestID, "at", e.At, "details", details, "err", err)
	}
}

// Audit pages the tenant's audit trail, newest first.
func (s *Backend) Audit(ctx context.Context, tenant string, p api.Page) ([]api.AuditEntry, string, error) {
	items, next, err := s.store.ListAudit(ctx, tenant, p.Limit, p.NextToken)
	if err != nil {
		return nil, "", err
	}
	out := make([]api.AuditEntry, len(items))
	for i, it := range items {
		out[i] = api.AuditEntry{At: it.At, Actor: it.Actor, Action: it.Action, RequestID: it.RequestID, Details: it.Details}
	}
	return out, next, nil
}

// changedSettings names what differs between two settings documents: the
// top-level keys, the schedule's fields ("schedule.paused": who paused the
// sync must be answerable), and a mapping per target ("mappings.jobTitle"),
// never the values. Schedules are compared as in force, so saving the
// default schedule over none is no change.
func changedSettings(before, after provision.Settings) []string {
	changed := []string{}
	if before.AutoCreateNewHires != after.AutoCreateNewHires {
		changed = append(changed, "autoCreateNewHires")
	}
	if before.MassCreateMaxPercent != after.MassCreateMaxPercent {
		changed = append(changed, "massCreateMaxPercent")
	}
	was, is := provision.ScheduleOf(&before), provision.ScheduleOf(&after)
	if was.Every() != is.Every() {
		changed = append(changed, "schedule.interval")
	}
	if was.Paused != is.Paused {
		changed = append(changed, "schedule.paused")
	}
	byTarget := func(ms []provision.Mapping) map[string]provision.Mapping {
		out := make(map[string]provision.Mapping, len(ms))
		for _, m := range ms {
			out[m.Target] = m
		}
		return out
	}
	old, cur := byTarget(before.Mappings), byTarget(after.Mappings)
	targets := slices.Sorted(maps.Keys(old))
	for t := range cur {
		if _, ok := old[t]; !ok {
			targets = append(targets, t)
		}
	}
	slices.Sort(targets)
	for _, t := range targets {
		o, inOld := old[t]
		c, inCur := cur[t]
		if inOld != inCur || o.Source != c.Source || !maps.Equal(o.ValueMap, c.ValueMap) {
			changed = append(changed, "mappings."+t)
		}
	}
	return changed
}
