package queue

import (
	"errors"
	"testing"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

func TestParseJob(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		want      Job
		wantField string // empty: no error
	}{
		{
			name: "scheduled",
			body: `{"v":1,"tenantId":"acme","syncId":"s-1","trigger":"schedule","dryRun":false,"confirmCreates":false}`,
			want: Job{Version: 1, TenantID: "acme", SyncID: "s-1", Trigger: provision.TriggerSchedule},
		},
		{
			name: "manual continuation with unknown extra field",
			body: `{"v":1,"tenantId":"acme-2","syncId":"s-2","trigger":"manual","dryRun":true,"confirmCreates":true,"cursor":"p:3","future":1}`,
			want: Job{Version: 1, TenantID: "acme-2", SyncID: "s-2", Trigger: provision.TriggerManual, DryRun: true, ConfirmCreates: true, Cursor: "p:3"},
		},
		{name: "missing version", body: `{"tenantId":"acme","syncId":"s","trigger":"schedule"}`, wantField: "v"},
		{name: "unknown version", body: `{"v":2,"tenantId":"acme","syncId":"s","trigger":"schedule"}`, wantField: "v"},
		{name: "missing tenant", body: `{"v":1,"syncId":"s","trigger":"schedule"}`, wantField: "tenantId"},
		{name: "bad tenant", body: `{"v":1,"tenantId":"../Acme","syncId":"s","trigger":"schedule"}`, wantField: "tenantId"},
		{name: "missing sync id", body: `{"v":1,"tenantId":"acme","trigger":"schedule"}`, wantField: "syncId"},
		{name: "missing trigger", body: `{"v":1,"tenantId":"acme","syncId":"s"}`, wantField: "trigger"},
		{name: "unknown trigger", body: `{"v":1,"tenantId":"acme","syncId":"s","trigger":"cron"}`, wantField: "trigger"},
		{name: "wrong type", body: `{"v":1,"tenantId":"acme","syncId":"s","trigger":"manual","dryRun":"yes"}`, wantField: "dryRun"},
		{name: "not JSON", body: `tenant=acme`, wantField: "body"},
		{name: "not an object", body: `[1]`, wantField: "body"},
		{name: "empty", body: ``, wantField: "body"},
		{name: "null", body: `null`, wantField: "v"},
		{name: "trailing data", body: `{"v":1,"tenantId":"acme","syncId":"s","trigger":"manual"} {}`, wantField: "body"},
		{name: "finish that is not final", body: `{"v":1,"tenantId":"acme","syncId":"s","trigger":"manual","finish":{"status":"running","finishedAt":"2026-01-01T00:00:00Z"}}`, wantField: "finish.status"},
		{name: "finish without its time", body: `{"v":1,"tenantId":"acme","syncId":"s","trigger":"manual","finish":{"status":"partial"}}`, wantField: "finish.finishedAt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseJob(tt.body)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("ParseJob: %v", err)
				}
				if got != tt.want {
					t.Fatalf("ParseJob = %+v, want %+v", got, tt.want)
				}
				return
			}
			if !errors.Is(err, fault.ErrValidation) {
				t.Fatalf("ParseJob error = %v, want a validation error", err)
			}
			if f := fault.FieldOf(err); f != tt.wantField {
				t.Fatalf("field = %q, want %q (%v)", f, tt.wantField, err)
			}
		})
	}
}

func TestJobRoundTrip(t *testing.T) {
	in := Job{TenantID: "t-1", SyncID: "sched#2026-01-01T00:10Z", Trigger: provision.TriggerSchedule, Cursor: "c"}
	body, err := in.Marshal()
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	out, err := ParseJob(body)
	if err != nil {
		t.Fatalf("ParseJob(%s): %v", body, err)
	}
	in.Version = JobVersion
	if out != in {
		t.Fatalf("round trip = %+v, want %+v", out, in)
	}
}

func TestMarshalRejectsInvalidJob(t *testing.T) {
	_, err := Job{TenantID: "acme", Trigger: provision.TriggerManual}.Marshal()
	if fault.FieldOf(err) != "syncId" {
		t.Fatalf("Marshal error = %v, want one naming syncId", err)
	}
}

func TestFinishJobRoundTrip(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 10, 0, 0, time.UTC)
	in := Job{TenantID: "t-1", SyncID: "s-1", Trigger: provision.TriggerManual, Finish: &Finish{
		Status: provision.RunPartial, Counts: provision.Counts{Created: 2, Errors: 1}, ErrorPeople: 1,
		Error: nil, FinishedAt: at,
	}}
	body, err := in.Marshal()
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	out, err := ParseJob(body)
	if err != nil {
		t.Fatalf("ParseJob(%s): %v", body, err)
	}
	if out.Finish == nil || *out.Finish != *in.Finish {
		t.Fatalf("finish %+v, want %+v", out.Finish, in.Finish)
	}
}
