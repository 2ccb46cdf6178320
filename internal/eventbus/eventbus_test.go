package eventbus_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"trinetsync/internal/eventbus"
	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

var at = time.Date(2025, 11, 30, 8, 0, 0, 0, time.UTC)

// fakeEventBridge speaks EventBridge's JSON protocol over HTTP, so the test
// goes through the real SDK's serialisation: there is no EventBridge
// emulator here. answer decides each call's reply.
type fakeEventBridge struct {
	mu     sync.Mutex
	calls  []putEventsBody
	answer func(n int, body putEventsBody) (status int, reply string)
}

type putEventsBody struct {
	Entries []struct {
		EventBusName string
		Source       string
		DetailType   string
		Detail       string
		Time         float64
	}
}

func (f *fakeEventBridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if got := r.Header.Get("X-Amz-Target"); got != "AWSEvents.PutEvents" {
		http.Error(w, "unexpected target "+got, http.StatusBadRequest)
		return
	}
	raw, _ := io.ReadAll(r.Body)
	var body putEventsBody
	if err := json.Unmarshal(raw, &body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, body)
	n := len(f.calls)
	f.mu.Unlock()
	status, reply := http.StatusOK, ""
	if f.answer != nil {
		status, reply = f.answer(n, body)
	}
	if reply == "" {
		var ids []string
		for i := range body.Entries {
			ids = append(ids, fmt.Sprintf(`{"EventId":"e-%d-%d"}`, n, i))
		}
		reply = `{"FailedEntryCount":0,"Entries":[` + strings.Join(ids, ",") + `]}`
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, reply)
}

func newBus(t *testing.T, f *fakeEventBridge) *eventbus.EventBridge {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	client := eventbridge.New(eventbridge.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("k", "s", ""),
		RetryMaxAttempts: 1,
	})
	return eventbus.NewEventBridge(client, "trinet-sync-events")
}

func partialRun() provision.Run {
	return provision.Run{TenantID: "acme", SyncID: "manual-1", Trigger: provision.TriggerManual,
		Status: provision.RunPartial, StartedAt: at.Add(-time.Minute), FinishedAt: at,
		Counts: provision.Counts{Created: 2, Errors: 1, Warnings: 3}}
}

func TestPublishPutsEntriesOnTheBus(t *testing.T) {
	f := &fakeEventBridge{}
	bus := newBus(t, f)
	sf, ok := eventbus.SyncFinished(partialRun())
	if !ok {
		t.Fatal("a partial run is announced")
	}
	evs := []eventbus.Event{sf}
	for i := range 11 {
		evs = append(evs, eventbus.HireOutcomeUnknown("acme", fmt.Sprintf("s%d", i), 1, at))
	}
	if err := bus.Publish(context.Background(), evs...); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 2 || len(f.calls[0].Entries) != 10 || len(f.calls[1].Entries) != 2 {
		t.Fatalf("want 10 entries then 2, got %d calls", len(f.calls))
	}
	e := f.calls[0].Entries[0]
	if e.EventBusName != "trinet-sync-events" || e.Source != "trinet-sync" || e.DetailType != "Sync Finished" || int64(e.Time) != at.Unix() {
		t.Fatalf("entry %+v", e)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
		t.Fatal(err)
	}
	if d["tenantId"] != "acme" || d["status"] != "partial" || d["errorCode"] != nil || d["counts"].(map[string]any)["created"] != 2.0 {
		t.Fatalf("detail %s", e.Detail)
	}
}

func TestPublishClassifiesFailures(t *testing.T) {
	ev := eventbus.CredentialsRevoked("acme", "s1", at)
	tests := []struct {
		name   string
		status int
		reply  string
		want   error
	}{
		{"access denied", 400, `{"__type":"AccessDeniedException","message":"not allowed"}`, fault.ErrInternal},
		{"no such bus", 400, `{"__type":"ResourceNotFoundException","message":"no bus"}`, fault.ErrInternal},
		{"throttled", 400, `{"__type":"ThrottlingException","message":"slow down"}`, fault.ErrThrottled},
		{"server error", 500, `{"__type":"InternalException","message":"oops"}`, fault.ErrTransient},
		{"entry refused", 200, `{"FailedEntryCount":1,"Entries":[{"ErrorCode":"InternalFailure","ErrorMessage":"x"}]}`, fault.ErrTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := newBus(t, &fakeEventBridge{answer: func(int, putEventsBody) (int, string) { return tt.status, tt.reply }})
			err := bus.Publish(context.Background(), ev)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want class %v", err, tt.want)
			}
		})
	}
}

// TestDetailsCarryNoPersonalData: each detail type has only ids, states,
// times and counts; a field added later must be looked at here.
func TestDetailsCarryNoPersonalData(t *testing.T) {
	bo := eventbus.TenantBackedOff("acme", "s1", 3, at.Add(time.Hour), "upstream_unavailable", at)
	sf, _ := eventbus.SyncFinished(partialRun())
	allowed := map[string][]string{
		eventbus.TypeSyncFinished:       {"tenantId", "syncId", "trigger", "dryRun", "status", "counts", "errorCode", "startedAt", "finishedAt"},
		eventbus.TypeTenantBackedOff:    {"tenantId", "syncId", "failures", "until", "reason"},
		eventbus.TypeCredentialsRevoked: {"tenantId", "syncId", "revokedAt"},
		eventbus.TypeHireOutcomeUnknown: {"tenantId", "syncId", "count"},
	}
	for _, e := range []eventbus.Event{sf, bo, eventbus.CredentialsRevoked("acme", "s1", at), eventbus.HireOutcomeUnknown("acme", "s1", 2, at)} {
		raw, err := e.DetailJSON()
		if err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		_ = json.Unmarshal(raw, &d)
		want := allowed[e.DetailType]
		if len(d) != len(want) {
			t.Errorf("%s: detail %s has fields beyond %v", e.DetailType, raw, want)
		}
		for _, k := range want {
			if _, ok := d[k]; !ok {
				t.Errorf("%s: no %s in %s", e.DetailType, k, raw)
			}
		}
		if e.TenantID() != "acme" {
			t.Errorf("%s: TenantID %q", e.DetailType, e.TenantID())
		}
	}
	for _, s := range []provision.RunStatus{provision.RunSucceeded, provision.RunSkipped, provision.RunRunning} {
		r := partialRun()
		r.Status = s
		if _, ok := eventbus.SyncFinished(r); ok {
			t.Errorf("a %s run is announced", s)
		}
	}
}
