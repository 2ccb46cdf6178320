// Package eventbus is the service's notifications: the events it puts on
// Amazon EventBridge (source "trinet-sync") so that operators and tenants
// route them with rules rather than code, and the adapter that puts them
// there through the AWS SDK.
//
// Every event names its tenant and carries ids, states and counts only —
// never a person's name, email or any other personal data, and never a
// secret: the details are typed structs with nothing else in them.
package eventbus

import (
	"encoding/json"
	"time"

	"trinetsync/internal/provision"
)

// Source is the events' source on the bus.
const Source = "trinet-sync"

// The detail types of the contract.
const (
	TypeSyncFinished       = "Sync Finished"
	TypeTenantBackedOff    = "Tenant Backed Off"
	TypeCredentialsRevoked = "Credentials Revoked"
	TypeHireOutcomeUnknown = "Hire Outcome Unknown"
)

// Event is one notification: its detail type, its detail (one of the
// *Detail types of this package) and when it happened.
type Event struct {
	DetailType string
	Detail     any
	Time       time.Time
}

// TenantID names the event's tenant, which every detail carries.
func (e Event) TenantID() string {
	switch d := e.Detail.(type) {
	case SyncFinishedDetail:
		return d.TenantID
	case TenantBackedOffDetail:
		return d.TenantID
	case CredentialsRevokedDetail:
		return d.TenantID
	case HireOutcomeUnknownDetail:
		return d.TenantID
	}
	return ""
}

// DetailJSON is the detail as EventBridge carries it.
func (e Event) DetailJSON() ([]byte, error) { return json.Marshal(e.Detail) }

// SyncFinishedDetail is a run that ended partial or failed.
type SyncFinishedDetail struct {
	TenantID   string              `json:"tenantId"`
	SyncID     string              `json:"syncId"`
	Trigger    provision.Trigger   `json:"trigger"`
	DryRun     bool                `json:"dryRun"`
	Status     provision.RunStatus `json:"status"`
	Counts     provision.Counts    `json:"counts"`
	ErrorCode  *string             `json:"errorCode"` // the failed run's error code, else null
	StartedAt  *time.Time          `json:"startedAt"`
	FinishedAt time.Time           `json:"finishedAt"`
}

// TenantBackedOffDetail is a back-off a failed run started: the tenant is
// not scheduled until Until.
type TenantBackedOffDetail struct {
	TenantID string    `json:"tenantId"`
	SyncID   string    `json:"syncId"` // the run whose failure started it
	Failures int       `json:"failures"`
	Until    time.Time `json:"until"`
	Reason   string    `json:"reason"` // the run's error code
}

// CredentialsRevokedDetail is a tenant marked revoked because its stored
// credentials were deleted outside the service (the AWS console).
type CredentialsRevokedDetail struct {
	TenantID  string    `json:"tenantId"`
	SyncID    string    `json:"syncId"`
	RevokedAt time.Time `json:"revokedAt"`
}

// HireOutcomeUnknownDetail counts the hires of one invocation of a run whose
// POST may or may not have reached TriNet. Who they are is in the tenant's
// GET …/hires?state=unknown, behind its token; the event names nobody.
type HireOutcomeUnknownDetail struct {
	TenantID string `json:"tenantId"`
	SyncID   string `json:"syncId"`
	Count    int    `json:"count"`
}

// SyncFinished is the event of a run that ended partial or failed; ok is
// false for any other run, which is not announced.
func SyncFinished(r provision.Run) (e Event, ok bool) {
	if r.Status != provision.RunPartial && r.Status != provision.RunFailed {
		return Event{}, false
	}
	d := SyncFinishedDetail{
		TenantID: r.TenantID, SyncID: r.SyncID, Trigger: r.Trigger, DryRun: r.DryRun,
		Status: r.Status, Counts: r.Counts, FinishedAt: r.FinishedAt.UTC(),
	}
	if r.Error != nil {
		code := r.Error.Code
		d.ErrorCode = &code
	}
	if !r.StartedAt.IsZero() {
		s := r.StartedAt.UTC()
		d.StartedAt = &s
	}
	return Event{DetailType: TypeSyncFinished, Detail: d, Time: r.FinishedAt}, true
}

// TenantBackedOff is the event of a back-off that a failed run started.
func TenantBackedOff(tenantID, syncID string, failures int, until time.Time, reason string, at time.Time) Event {
	return Event{DetailType: TypeTenantBackedOff, Time: at, Detail: TenantBackedOffDetail{
		TenantID: tenantID, SyncID: syncID, Failures: failures, Until: until.UTC(), Reason: reason,
	}}
}

// CredentialsRevoked is the event of a tenant marked revoked by a run.
func CredentialsRevoked(tenantID, syncID string, at time.Time) Event {
	return Event{DetailType: TypeCredentialsRevoked, Time: at, Detail: CredentialsRevokedDetail{
		TenantID: tenantID, SyncID: syncID, RevokedAt: at.UTC(),
	}}
}

// HireOutcomeUnknown is the event of hires whose outcome a run could not learn.
func HireOutcomeUnknown(tenantID, syncID string, count int, at time.Time) Event {
	return Event{DetailType: TypeHireOutcomeUnknown, Time: at, Detail: HireOutcomeUnknownDetail{
		TenantID: tenantID, SyncID: syncID, Count: count,
	}}
}
