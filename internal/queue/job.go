// Package queue owns the sync-jobs queue's message format (Job) and the SQS
// publisher that the scheduler and the API use to enqueue them. The worker's
// side of SQS (receiving, partial batch failures) is Lambda's event source
// mapping in AWS and the local stack's poller; both decode bodies with ParseJob.
package queue

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

// JobVersion is the message format version written into every job. A worker
// rejects other versions rather than guess at their meaning.
const JobVersion = 1

// maxIDLen bounds sync ids so that a malformed message cannot make the
// worker build oversized keys (tenant ids are bounded by their pattern).
const maxIDLen = 200

// maxCursorLen bounds a continuation's cursor well inside SQS's 256 KiB
// message limit.
const maxCursorLen = 64 * 1024

// Job asks the worker to sync one tenant.
type Job struct {
	Version        int               `json:"v"`
	TenantID       string            `json:"tenantId"`
	SyncID         string            `json:"syncId"`
	Trigger        provision.Trigger `json:"trigger"`
	DryRun         bool              `json:"dryRun"`
	ConfirmCreates bool              `json:"confirmCreates"`
	// Cursor is set on continuations: where the run resumes.
	Cursor string `json:"cursor,omitempty"`
	// Finish is set on a job that only records a run's outcome: the
	// invocation that ran it could not write its final state, so the
	// outcome travels in the message and its delivery writes it without
	// running the sync again.
	Finish *Finish `json:"finish,omitempty"`
}

// Finish is a run's outcome, as the worker that ran it would have written it.
type Finish struct {
	Status      provision.RunStatus `json:"status"`
	Counts      provision.Counts    `json:"counts"`
	ErrorPeople int                 `json:"errorPeople,omitempty"`
	Error       *provision.RunError `json:"error,omitempty"`
	FinishedAt  time.Time           `json:"finishedAt"`
}

// Validate checks a job before it is sent or after it is read. A zero Version
// is taken as JobVersion when sending (see Marshal) but is missing when reading.
func (j Job) Validate() error {
	switch {
	case j.Version == 0:
		return fault.Invalid("v", "missing job version")
	case j.Version != JobVersion:
		return fault.Invalid("v", "unsupported job version %d (this worker reads %d)", j.Version, JobVersion)
	case j.TenantID == "":
		return fault.Invalid("tenantId", "missing")
	case !provision.TenantIDPattern.MatchString(j.TenantID):
		return fault.Invalid("tenantId", "must match %s", provision.TenantIDPattern)
	case j.SyncID == "":
		return fault.Invalid("syncId", "missing")
	case len(j.SyncID) > maxIDLen:
		return fault.Invalid("syncId", "longer than %d characters", maxIDLen)
	case j.Trigger == "":
		return fault.Invalid("trigger", "missing")
	case j.Trigger != provision.TriggerSchedule && j.Trigger != provision.TriggerManual:
		return fault.Invalid("trigger", "must be %q or %q", provision.TriggerSchedule, provision.TriggerManual)
	case len(j.Cursor) > maxCursorLen:
		return fault.Invalid("cursor", "longer than 64 KiB")
	case j.Finish != nil && (!j.Finish.Status.Final() || j.Finish.Status == provision.RunSkipped):
		return fault.Invalid("finish.status", "must be succeeded, partial or failed")
	case j.Finish != nil && j.Finish.FinishedAt.IsZero():
		return fault.Invalid("finish.finishedAt", "missing")
	}
	return nil
}

// Marshal validates j (filling in JobVersion when unset) and encodes it as a
// message body.
func (j Job) Marshal() (string, error) {
	if j.Version == 0 {
		j.Version = JobVersion
	}
	if err := j.Validate(); err != nil {
		return "", err
	}
	b, err := json.Marshal(j)
	if err != nil {
		return "", fault.Wrap(fault.Validation, err, "encode job")
	}
	return string(b), nil
}

// ParseJob decodes a message body. A body that is not a JSON object, an
// unknown version or a missing field gives a fault.Invalid naming the field.
// Unknown fields are ignored so that a newer producer can add optional ones.
func ParseJob(body string) (Job, error) {
	var j Job
	dec := json.NewDecoder(strings.NewReader(body))
	if err := dec.Decode(&j); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return Job{}, fault.Invalid(te.Field, "want a JSON %s, got %s", te.Type, te.Value)
		}
		return Job{}, fault.Invalid("body", "not a job: %v", err)
	}
	if dec.More() {
		return Job{}, fault.Invalid("body", "trailing data after the job")
	}
	if err := j.Validate(); err != nil {
		return Job{}, err
	}
	return j, nil
}

// String is for logs: it names the job without its cursor.
func (j Job) String() string {
	return fmt.Sprintf("job{tenant=%s sync=%s trigger=%s dryRun=%t}", j.TenantID, j.SyncID, j.Trigger, j.DryRun)
}
