package localstack

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"trinetsync/internal/provision"
	"trinetsync/internal/sandbox/demo"
	"trinetsync/internal/store"
)

// The demo company's ids (see internal/sandbox/demo).
const (
	demoCompany = "ACM"
	demoLS      = "acme"
	liamTriNet  = "00001008"
)

// TestMakeRunEndToEnd starts the stack as `make run` does on a fresh
// DATA_DIR, drives it through the HTTP API only, edits data through the
// sandboxes' admin surfaces, restarts it, and checks what reached TriNet.
func TestMakeRunEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	keepEnv(t)
	dataDir := t.TempDir()
	env := map[string]string{"DATA_DIR": dataDir, "API_ADDR": "127.0.0.1:0"}
	cfg, err := ConfigFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.ProcessEnv || !cfg.FirstSync || cfg.DemoTenant != "demo" {
		t.Fatalf("make run's configuration: %+v", cfg)
	}
	progress := &syncBuffer{}
	cfg.Progress, cfg.Logger = progress, testLogger()

	st := startStack(t, ctx, cfg)
	defer st.Close()
	if got := os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"); got != st.Infra.Dynalite.Endpoint() {
		t.Fatalf("AWS_ENDPOINT_URL_DYNAMODB = %q, want the dynalite endpoint %s", got, st.Infra.Dynalite.Endpoint())
	}
	var usage strings.Builder
	if err := st.WriteUsage(&usage); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{st.APIURL, "export ADMIN_TOKEN=", "export TOKEN=", "/v1/tenants/demo/errors", `{"dryRun":true}`, st.FirstSyncID} {
		if !strings.Contains(usage.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, usage.String())
		}
	}
	tn := st.Infra.TriNetURL
	lsBase := strings.TrimSuffix(st.Infra.LeapsomeURL, "/v1")
	c := st.client(t, "demo", false)

	// The first sync: hires, links and per-person errors.
	if st.FirstSyncID == "" {
		t.Fatal("no first sync was triggered")
	}
	first := c.waitRun("demo", st.FirstSyncID)
	if first.Status != "partial" || first.Counts["created"] == 0 || first.Counts["linked"] == 0 || first.Counts["errors"] == 0 {
		t.Fatalf("first sync: %+v", first)
	}
	writes := trinetWrites(t, tn, demoCompany)
	if hires := countEndpoint(writes, "hire"); hires != first.Counts["created"] {
		t.Fatalf("TriNet received %d hires, the run says %d created", hires, first.Counts["created"])
	}
	var errs struct {
		SyncID string `json:"syncId"`
		Items  []struct {
			Email, Severity, Code, Field string
		} `json:"items"`
	}
	c.call(http.MethodGet, "/v1/tenants/demo/errors", nil, http.StatusOK, &errs)
	codes := map[string]bool{}
	for _, it := range errs.Items {
		codes[it.Code] = true
	}
	if errs.SyncID != st.FirstSyncID || !codes["unsupported_gender"] || !codes["start_date_too_old"] {
		t.Fatalf("errors of the first sync: %+v", errs)
	}
	poll(t, "progress line of the first sync", 5*time.Second, func() bool {
		return containsLine(progress.String(), "sync demo "+st.FirstSyncID+" finished partial")
	})

	// Connection: connected, with the last run and the next slot.
	var conn struct {
		Status  string   `json:"status"`
		LastRun *wireRun `json:"lastRun"`
	}
	c.call(http.MethodGet, "/v1/tenants/demo/connection", nil, http.StatusOK, &conn)
	if conn.Status != "connected" || conn.LastRun == nil || conn.LastRun.SyncID != st.FirstSyncID {
		t.Fatalf("connection: %+v", conn)
	}

	// A person changes in Leapsome: a dry run shows the update and writes nothing.
	liam := demo.LeapsomeID(8)
	if status, raw := httpJSON(t, http.MethodPut, lsBase+"/_admin/tenants/"+demoLS+"/employees/"+liam, "",
		map[string]any{"title": "Staff Software Engineer"}); status != http.StatusOK {
		t.Fatalf("edit Liam in Leapsome: %d %s", status, raw)
	}
	dry := c.trigger("demo", map[string]any{"dryRun": true})
	if !dry.DryRun || dry.Counts["updated"] != 1 {
		t.Fatalf("dry run: %+v", dry)
	}
	var plan struct {
		Items []struct {
			UserID string `json:"userId"`
			Action string `json:"action"`
			Fields []struct {
				Field string `json:"field"`
				To    any    `json:"to"`
			} `json:"fields"`
		} `json:"items"`
	}
	c.call(http.MethodGet, "/v1/tenants/demo/syncs/"+dry.SyncID+"/plan?limit=100", nil, http.StatusOK, &plan)
	planned := false
	for _, it := range plan.Items {
		if it.UserID == liam && it.Action == "update" {
			for _, f := range it.Fields {
				planned = planned || (f.Field == "jobTitle" && f.To == "Staff Software Engineer")
			}
		}
	}
	if !planned {
		t.Fatalf("the dry run's plan does not update Liam's job title: %+v", plan)
	}
	if n := len(trinetWrites(t, tn, demoCompany)); n != len(writes) {
		t.Fatalf("the dry run wrote to TriNet: %d writes, was %d", n, len(writes))
	}

	// Settings: the phone is no longer synced.
	var set provision.Settings
	c.call(http.MethodGet, "/v1/tenants/demo/settings", nil, http.StatusOK, &set)
	if !set.AutoCreateNewHires {
		t.Fatalf("demo settings: auto-create is off: %+v", set)
	}
	set.Mappings = slices.DeleteFunc(set.Mappings, func(m provision.Mapping) bool { return m.Target == "phoneNumber" })
	var saved provision.Settings
	c.call(http.MethodPut, "/v1/tenants/demo/settings", set, http.StatusOK, &saved)
	if len(saved.Mappings) != len(set.Mappings) {
		t.Fatalf("saved settings: %+v", saved)
	}

	// The real sync sends the title to TriNet.
	sync := c.trigger("demo", map[string]any{})
	if sync.Counts["updated"] != 1 || sync.Counts["created"] != 0 {
		t.Fatalf("sync after the edit: %+v", sync)
	}
	after := trinetWrites(t, tn, demoCompany)
	titled := false
	for _, w := range after[len(writes):] {
		titled = titled || (w.Endpoint == "jobs" && strings.Contains(w.Path, liamTriNet) &&
			strings.Contains(string(w.Body), "Staff Software Engineer") && w.Status == http.StatusOK)
	}
	if !titled {
		t.Fatalf("TriNet did not receive Liam's new title: %+v", after[len(writes):])
	}
	var runs struct {
		Items []wireRun `json:"items"`
	}
	c.call(http.MethodGet, "/v1/tenants/demo/syncs", nil, http.StatusOK, &runs)
	if len(runs.Items) != 3 || runs.Items[0].SyncID != sync.SyncID || runs.Items[2].SyncID != st.FirstSyncID {
		t.Fatalf("run history: %+v", runs.Items)
	}

	// Restart: tenants, links, runs and the sandboxes' state are kept; the
	// start's sync finds nothing to write.
	st.Close()
	cfg.Progress = &syncBuffer{}
	st = startStack(t, ctx, cfg)
	defer st.Close()
	c = st.client(t, "demo", false)
	tn = st.Infra.TriNetURL
	again := c.waitRun("demo", st.FirstSyncID)
	if again.Status != "partial" || again.Counts["created"] != 0 || again.Counts["updated"] != 0 || again.Counts["linked"] != 0 {
		t.Fatalf("sync after the restart: %+v", again)
	}
	if again.Counts["pending"] != first.Counts["created"] {
		t.Fatalf("hires made before the restart should be pending approval: %+v", again)
	}
	restarted := trinetWrites(t, tn, demoCompany)
	if len(restarted) != len(after) {
		t.Fatalf("TriNet's record changed across the restart: %d writes, was %d: %+v", len(restarted), len(after), restarted[len(after):])
	}
	c.call(http.MethodGet, "/v1/tenants/demo/syncs", nil, http.StatusOK, &runs)
	if len(runs.Items) != 4 {
		t.Fatalf("run history after the restart: %+v", runs.Items)
	}

	// TriNet approves one of the hires: the next sync links it.
	var hires struct {
		Items []struct {
			UserID     string  `json:"userId"`
			State      string  `json:"state"`
			EmployeeID *string `json:"employeeId"`
		} `json:"items"`
	}
	c.call(http.MethodGet, "/v1/tenants/demo/hires?state=pending", nil, http.StatusOK, &hires)
	if len(hires.Items) != first.Counts["created"] || hires.Items[0].EmployeeID == nil {
		t.Fatalf("pending hires: %+v", hires.Items)
	}
	pendingID := *hires.Items[0].EmployeeID
	if status, raw := httpJSON(t, http.MethodPost, tn+"/_admin/companies/"+demoCompany+"/employees/"+pendingID+"/approve", "", nil); status != http.StatusOK {
		t.Fatalf("approve hire %q: %d %s", pendingID, status, raw)
	}
	linked := c.trigger("demo", map[string]any{})
	if linked.Counts["linked"] != 1 || linked.Counts["pending"] != first.Counts["created"]-1 {
		t.Fatalf("sync after an approval: %+v", linked)
	}

	// Revoke through the API: not connected, secret gone, no more syncs.
	c.call(http.MethodDelete, "/v1/tenants/demo/connection", nil, http.StatusNoContent, nil)
	c.call(http.MethodGet, "/v1/tenants/demo/connection", nil, http.StatusOK, &conn)
	if conn.Status != "not_connected" {
		t.Fatalf("after revoke: %+v", conn)
	}
	c.call(http.MethodPost, "/v1/tenants/demo/syncs", map[string]any{}, http.StatusConflict, nil)
	if _, err := os.Stat(filepath.Join(dataDir, "secrets", "trinet-sync_tenants_demo.json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the demo's secret file is still there after revoke: %v", err)
	}

	// Reconnect through the API: a wrong TriNet secret is refused naming it;
	// the demo credentials connect again.
	d := demo.DefaultCredentials()
	connect := func(clientSecret string) map[string]any {
		return map[string]any{
			"trinet":   map[string]any{"companyId": d.TriNetCompanyID, "clientId": d.TriNetClientID, "clientSecret": clientSecret},
			"leapsome": map[string]any{"apiSecret": d.LeapsomeAPISecret, "scimToken": d.LeapsomeSCIMToken},
		}
	}
	var refused struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Field   string `json:"field"`
		} `json:"error"`
	}
	c.call(http.MethodPut, "/v1/tenants/demo/connection", connect("not-the-secret"), http.StatusUnprocessableEntity, &refused)
	if refused.Error.Field != "trinet.clientSecret" || strings.Contains(refused.Error.Message, "not-the-secret") {
		t.Fatalf("connect with a wrong TriNet secret: %+v", refused)
	}
	c.call(http.MethodPut, "/v1/tenants/demo/connection", connect(d.TriNetClientSecret), http.StatusOK, &conn)
	if conn.Status != "connected" {
		t.Fatalf("after reconnecting: %+v", conn)
	}
	// Revoking dropped the settings: auto-create is turned on again, so only
	// the hire ledger, kept across the revoke, stops the earlier hires from
	// being made twice.
	c.call(http.MethodPut, "/v1/tenants/demo/settings", set, http.StatusOK, &saved)
	if !saved.AutoCreateNewHires {
		t.Fatalf("settings after reconnecting: %+v", saved)
	}
	hiresBefore := hirePOSTs(trinetWrites(t, tn, demoCompany))
	reconnected := c.trigger("demo", map[string]any{})
	if reconnected.Status == "failed" || reconnected.Counts["created"] != 0 || reconnected.Counts["pending"] != first.Counts["created"]-1 {
		t.Fatalf("sync after reconnecting: %+v", reconnected)
	}
	if got := hirePOSTs(trinetWrites(t, tn, demoCompany)); got != hiresBefore || hiresBefore != first.Counts["created"] {
		t.Fatalf("TriNet received %d hire POSTs after reconnecting, had %d (the first sync created %d)", got, hiresBefore, first.Counts["created"])
	}
}

// hirePOSTs counts the hires TriNet received.
func hirePOSTs(ws []trinetWrite) int {
	n := 0
	for _, w := range ws {
		if w.Endpoint == "hire" && w.Method == http.MethodPost {
			n++
		}
	}
	return n
}

// TestConsoleRevocation: deleting the tenant's secret file (the local
// equivalent of deleting the secret in the AWS console) makes the next run
// fail with credentials_revoked, the status read revoked, and the scheduler
// stop enqueuing the tenant.
func TestConsoleRevocation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dataDir := t.TempDir()
	st := startStack(t, ctx, Config{
		DataDir: dataDir, APIAddr: "127.0.0.1:0", SyncInterval: 10 * time.Minute,
		DemoTenant: "demo", FirstSync: true, Logger: testLogger(),
	})
	defer st.Close()
	// The worker, the queue and the service's configuration agree: the
	// queue's visibility is 6 × the worker timeout, as in template.yaml.
	if c := st.Wiring.Config; c.WorkerTimeout != 5*time.Minute || c.VisibilityTimeout != 30*time.Minute || c.MaxReceiveCount != 5 {
		t.Fatalf("service configuration: worker timeout %s, visibility %s, max receives %d", c.WorkerTimeout, c.VisibilityTimeout, c.MaxReceiveCount)
	}
	if got := queueAttr(t, ctx, st.Wiring.AWS.SQS, st.Infra.QueueURL, sqstypes.QueueAttributeNameVisibilityTimeout); got != "1800" {
		t.Fatalf("jobs queue visibility %qs, want 1800s", got)
	}
	c := st.client(t, "demo", false)
	if r := c.waitRun("demo", st.FirstSyncID); r.Status != "partial" {
		t.Fatalf("first sync: %+v", r)
	}
	before := trinetWrites(t, st.Infra.TriNetURL, demoCompany)

	if err := os.Remove(filepath.Join(dataDir, "secrets", "trinet-sync_tenants_demo.json")); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tick, err := st.Tick(ctx, now)
	if err != nil || tick.Enqueued != 1 {
		t.Fatalf("tick before the revocation is seen: %+v, %v", tick, err)
	}
	// The scheduled run of that slot fails and marks the tenant revoked.
	var runs struct {
		Items []wireRun `json:"items"`
	}
	poll(t, "the scheduled run to finish", 60*time.Second, func() bool {
		c.call(http.MethodGet, "/v1/tenants/demo/syncs", nil, http.StatusOK, &runs)
		return len(runs.Items) == 2 && runs.Items[0].Trigger == "schedule" && runs.Items[0].final()
	})
	sched := runs.Items[0]
	if sched.Status != "failed" || sched.Error == nil || sched.Error.Code != "credentials_revoked" {
		t.Fatalf("scheduled run after the secret was deleted: %+v", sched)
	}
	var conn struct {
		Status    string  `json:"status"`
		RevokedAt *string `json:"revokedAt"`
	}
	c.call(http.MethodGet, "/v1/tenants/demo/connection", nil, http.StatusOK, &conn)
	if conn.Status != "revoked" || conn.RevokedAt == nil {
		t.Fatalf("connection after the console deletion: %+v", conn)
	}
	// No more syncs: the scheduler skips the tenant and a trigger is refused.
	tick, err = st.Tick(ctx, now.Add(10*time.Minute))
	if err != nil || tick.Enqueued != 0 {
		t.Fatalf("tick after the revocation: %+v, %v", tick, err)
	}
	c.call(http.MethodPost, "/v1/tenants/demo/syncs", map[string]any{}, http.StatusConflict, nil)
	if after := trinetWrites(t, st.Infra.TriNetURL, demoCompany); len(after) != len(before) {
		t.Fatalf("TriNet received writes after the revocation: %+v", after[len(before):])
	}
}

// TestRestartSettlesUnfinishedRuns: a run left queued by a stop (its
// message died with goaws) is queued again and finishes; one left running
// is failed as interrupted and its lease released.
func TestRestartSettlesUnfinishedRuns(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := Config{DataDir: t.TempDir(), APIAddr: "127.0.0.1:0", DemoTenant: "demo", Logger: testLogger()}
	st := startStack(t, ctx, cfg)
	s := st.Wiring.Store
	now := time.Now().UTC()
	queued := provision.Run{TenantID: "demo", SyncID: "manual-left-queued", Trigger: provision.TriggerManual, Status: provision.RunQueued, CreatedAt: now}
	running := provision.Run{TenantID: "demo", SyncID: "manual-left-running", Trigger: provision.TriggerManual, Status: provision.RunRunning,
		CreatedAt: now.Add(-time.Second), StartedAt: now, LeaseUntil: now.Add(6 * time.Minute)}
	for _, r := range []provision.Run{queued, running} {
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if held, _, err := s.AcquireLease(ctx, "demo", running.SyncID, "", 6*time.Minute); err != nil || !held {
		t.Fatalf("lease for the running run: %v %v", held, err)
	}
	st.Close()

	st = startStack(t, ctx, cfg)
	defer st.Close()
	if st.Requeued != 1 || st.Interrupted != 1 {
		t.Fatalf("settled: requeued %d, interrupted %d", st.Requeued, st.Interrupted)
	}
	c := st.client(t, "demo", false)
	if r := c.waitRun("demo", queued.SyncID); r.Status != "partial" {
		t.Fatalf("the re-queued run: %+v", r)
	}
	r := c.waitRun("demo", running.SyncID)
	if r.Status != "failed" || r.Error == nil || r.Error.Code != interruptedCode {
		t.Fatalf("the interrupted run: %+v", r)
	}
	// The runner releases the lease just after it writes the run final,
	// which is what waitRun waited for.
	var holder string
	var err error
	poll(t, "the lease released", 10*time.Second, func() bool {
		holder, _, err = st.Wiring.Store.Lease(ctx, "demo")
		return err != nil || holder == ""
	})
	if err != nil || holder != "" {
		t.Fatalf("lease after the runs: holder %q, %v", holder, err)
	}
	if tenant, err := st.Wiring.Store.Tenant(ctx, "demo"); err != nil || tenant.Backoff != nil || tenant.Status != store.Connected {
		t.Fatalf("an interruption must not count against the tenant: %+v %v", tenant, err)
	}
}

// TestStopDuringARun: a stop lets a running sync finish within the grace; past
// the grace the invocation is cancelled and the next start writes the run
// failed (interrupted). Either way no run is left running.
func TestStopDuringARun(t *testing.T) {
	cases := []struct {
		name    string
		latency string        // added to every TriNet call
		grace   time.Duration // ShutdownGrace
		want    string        // the run's final status
	}{
		{name: "finishes within the grace", latency: "100ms", grace: 30 * time.Second, want: "partial"},
		{name: "cancelled after the grace", latency: "3s", grace: 200 * time.Millisecond, want: "failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cfg := Config{DataDir: t.TempDir(), APIAddr: "127.0.0.1:0", DemoTenant: "demo", ShutdownGrace: tc.grace, Logger: testLogger()}
			st := startStack(t, ctx, cfg)
			if status, raw := httpJSON(t, http.MethodPut, st.Infra.TriNetURL+"/_admin/companies/"+demoCompany+"/faults", "",
				map[string]any{"latency": tc.latency}); status != http.StatusOK {
				t.Fatalf("set TriNet latency: %d %s", status, raw)
			}
			c := st.client(t, "demo", false)
			var q struct {
				SyncID string `json:"syncId"`
			}
			c.call(http.MethodPost, "/v1/tenants/demo/syncs", map[string]any{}, http.StatusAccepted, &q)
			var r wireRun
			poll(t, "the sync to start", 30*time.Second, func() bool {
				c.call(http.MethodGet, "/v1/tenants/demo/syncs/"+q.SyncID, nil, http.StatusOK, &r)
				return r.Status == "running"
			})
			st.Close()

			st = startStack(t, ctx, cfg)
			defer st.Close()
			c = st.client(t, "demo", false)
			r = c.waitRun("demo", q.SyncID)
			if r.Status != tc.want {
				t.Fatalf("run after the stop: %+v", r)
			}
			if tc.want == "failed" && (r.Error == nil || r.Error.Code != interruptedCode || st.Interrupted != 1) {
				t.Fatalf("cancelled run: %+v (interrupted %d)", r, st.Interrupted)
			}
			if holder, _, err := st.Wiring.Store.Lease(ctx, "demo"); err != nil || holder != "" {
				t.Fatalf("lease after the stop: %q %v", holder, err)
			}
		})
	}
}
