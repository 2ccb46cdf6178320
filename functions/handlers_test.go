package functions_test

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"trinetsync/internal/api"
	"trinetsync/internal/app"
	"trinetsync/internal/provision"
	"trinetsync/internal/queue"
)

// TestHandlersWithSampleEvents invokes the handlers the functions' main.go
// files wire (the API through api.LambdaHandler with GatewayAuthenticator,
// the scheduler's Tick with the event's time, the worker's Handle) with every
// sample event in events/, in process, against dynalite, goaws, the secrets
// stand-in and the sandboxes. The steps share one tenant's story, so they run
// in order and stop at the first failure.
func TestHandlersWithSampleEvents(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	logs := newLogSink(t)
	inf, creds := startInfra(t, ctx, logs)
	cfg := inf.Config(10 * time.Minute)
	svcs := app.NewWiring(cfg, inf.AWS, app.WiringOptions{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	apiHandler := api.LambdaHandler(svcs.API(api.GatewayAuthenticator{}))
	scheduler := svcs.Scheduler()
	worker := svcs.Worker()
	service := svcs.Backend()

	used := map[string]bool{}
	// call sends an events/api sample, edited by edit if not nil, and checks the status.
	call := func(t *testing.T, file string, edit func(*events.APIGatewayV2HTTPRequest), want int) string {
		t.Helper()
		used[file] = true
		ev := apiEvent(t, file)
		if edit != nil {
			edit(&ev)
		}
		resp, err := apiHandler(ctx, ev)
		if err != nil {
			t.Fatalf("%s: handler error: %v", file, err)
		}
		if resp.StatusCode != want {
			t.Fatalf("%s: status %d, want %d\n%s", file, resp.StatusCode, want, resp.Body)
		}
		if ct := resp.Headers["Content-Type"]; resp.Body != "" && !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: Content-Type %q, want JSON", file, ct)
		}
		return resp.Body
	}
	wantError := func(t *testing.T, file, body, code string) {
		t.Helper()
		var e errorBody
		decodeBody(t, file, body, &e)
		if e.Error.Code != code {
			t.Errorf("%s: error code %q, want %q (%s)", file, e.Error.Code, code, e.Error.Message)
		}
	}
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}

	const tenant = "demo"
	var manualSyncID string
	step("api before connecting", func(t *testing.T) {
		call(t, "get-healthz.json", nil, http.StatusOK)
		var fields struct {
			Targets []struct {
				Target string `json:"target"`
				Mode   string `json:"mode"`
			} `json:"targets"`
			Sources []string `json:"sources"`
		}
		decodeBody(t, "get-fields.json", call(t, "get-fields.json", nil, http.StatusOK), &fields)
		if len(fields.Targets) == 0 || len(fields.Sources) == 0 {
			t.Errorf("field catalog is empty: %+v", fields)
		}
		var conn connectionBody
		decodeBody(t, "get-connection.json", call(t, "get-connection.json", nil, http.StatusOK), &conn)
		if conn.Status != "not_connected" {
			t.Errorf("connection status %q, want not_connected", conn.Status)
		}
		wantError(t, "post-syncs.json", call(t, "post-syncs.json", nil, http.StatusConflict), "not_connected")
	})

	step("api connect and settings", func(t *testing.T) {
		// The sample's credentials are examples that no sandbox company accepts.
		body := call(t, "put-connection.json", nil, http.StatusUnprocessableEntity)
		var rejected errorBody
		decodeBody(t, "put-connection.json", body, &rejected)
		if rejected.Error.Code != "credentials_rejected" || !strings.HasPrefix(rejected.Error.Field, "trinet.") {
			t.Errorf("sample credentials: error %+v, want credentials_rejected on a trinet field", rejected.Error)
		}
		body = call(t, "put-connection.json", func(ev *events.APIGatewayV2HTTPRequest) { ev.Body = connectBody(creds) }, http.StatusOK)
		var conn connectionBody
		decodeBody(t, "put-connection.json", body, &conn)
		if conn.Status != "connected" || conn.CompanyID != creds.TriNetCompanyID || !conn.SCIMConfigured {
			t.Errorf("connection %+v, want connected to %s with SCIM", conn, creds.TriNetCompanyID)
		}
		for _, secret := range []string{creds.TriNetClientSecret, creds.LeapsomeAPISecret, creds.LeapsomeSCIMToken} {
			if strings.Contains(body, secret) {
				t.Errorf("the connection answer shows a secret")
			}
		}

		var settings struct {
			AutoCreateNewHires   bool `json:"autoCreateNewHires"`
			MassCreateMaxPercent int  `json:"massCreateMaxPercent"`
			Mappings             []struct {
				Target string `json:"target"`
				Source string `json:"source"`
			} `json:"mappings"`
		}
		decodeBody(t, "get-settings.json", call(t, "get-settings.json", nil, http.StatusOK), &settings)
		if settings.AutoCreateNewHires || len(settings.Mappings) == 0 {
			t.Errorf("default settings %+v: want auto-create off and the default mappings", settings)
		}
		decodeBody(t, "put-settings.json", call(t, "put-settings.json", nil, http.StatusOK), &settings)
		if !settings.AutoCreateNewHires || settings.MassCreateMaxPercent != 20 || len(settings.Mappings) != 7 {
			t.Errorf("saved settings %+v, want the sample's", settings)
		}
	})

	step("api manual trigger", func(t *testing.T) {
		var trig struct {
			SyncID string `json:"syncId"`
			Status string `json:"status"`
		}
		decodeBody(t, "post-syncs.json", call(t, "post-syncs.json", nil, http.StatusAccepted), &trig)
		if trig.Status != "queued" || trig.SyncID == "" {
			t.Fatalf("trigger answered %+v, want a queued run", trig)
		}
		manualSyncID = trig.SyncID
		var runs runList
		decodeBody(t, "get-syncs.json", call(t, "get-syncs.json", nil, http.StatusOK), &runs)
		if len(runs.Items) != 1 || runs.Items[0].SyncID != manualSyncID || !runs.Items[0].DryRun || runs.Items[0].Trigger != "manual" {
			t.Errorf("runs %+v, want the queued dry run %s", runs.Items, manualSyncID)
		}
	})

	var tick events.EventBridgeEvent
	readEvent(t, "scheduler/tick.json", &tick)
	var jobs events.SQSEvent
	readEvent(t, "worker/jobs.json", &jobs)
	scheduledSyncID := app.ScheduledSyncID(tenant, app.Slot(tick.Time, cfg.SyncInterval))

	step("scheduler tick", func(t *testing.T) {
		if tick.DetailType != "Scheduled Event" || tick.Source != "aws.events" || tick.Time.IsZero() {
			t.Fatalf("tick.json is not a scheduled event: %+v", tick)
		}
		res, err := scheduler.HandleEvent(ctx, tick)
		if err != nil {
			t.Fatal(err)
		}
		if res.Enqueued != 1 || res.BackedOff != 0 || !res.Slot.Equal(tick.Time.Truncate(cfg.SyncInterval)) {
			t.Fatalf("tick %+v, want one job in the slot of %s", res, tick.Time)
		}
		// The queue holds the manual trigger's job and the tick's.
		got := map[string]queue.Job{}
		poll(t, 20*time.Second, "receive the jobs", func() (bool, error) {
			out, err := inf.AWS.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(inf.QueueURL), MaxNumberOfMessages: 10})
			if err != nil {
				return false, err
			}
			for _, m := range out.Messages {
				job, err := queue.ParseJob(aws.ToString(m.Body))
				if err != nil {
					t.Errorf("unreadable job on the queue: %v", err)
				}
				got[job.SyncID] = job
				if _, err := inf.AWS.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(inf.QueueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
					return false, err
				}
			}
			return len(got) == 2, nil
		})
		sched, ok := got[scheduledSyncID]
		if !ok || sched.TenantID != tenant || sched.Trigger != provision.TriggerSchedule || sched.DryRun {
			t.Fatalf("jobs %+v: want a scheduled job %s", got, scheduledSyncID)
		}
		if manual, ok := got[manualSyncID]; !ok || !manual.DryRun || manual.Trigger != provision.TriggerManual {
			t.Errorf("jobs %+v: want the manual dry run %s", got, manualSyncID)
		}
		// The worker's sample carries the job this tick enqueues.
		sample, err := queue.ParseJob(jobs.Records[0].Body)
		if err != nil || sample != sched {
			t.Errorf("events/worker/jobs.json's first job = %+v (%v), want what the tick enqueued: %+v", sample, err, sched)
		}
		// A second delivery of the same tick names the same run.
		again, err := scheduler.Tick(ctx, tick.Time.Add(time.Minute))
		if err != nil || again.Enqueued != 1 || !again.Slot.Equal(res.Slot) {
			t.Errorf("repeated tick %+v (%v), want the same slot", again, err)
		}
		if _, err := inf.AWS.SQS.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(inf.QueueURL)}); err != nil {
			t.Fatal(err)
		}
	})

	var writesAfterRun int
	var finished provision.Run
	step("worker jobs", func(t *testing.T) {
		if len(jobs.Records) != 2 {
			t.Fatalf("jobs.json has %d records, want 2", len(jobs.Records))
		}
		other, err := queue.ParseJob(jobs.Records[1].Body)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := worker.Handle(ctx, jobs)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.BatchItemFailures) != 0 {
			t.Fatalf("batch item failures %+v, want none", resp.BatchItemFailures)
		}
		finished, err = service.Run(ctx, tenant, scheduledSyncID)
		if err != nil {
			t.Fatal(err)
		}
		if finished.Status != provision.RunSucceeded && finished.Status != provision.RunPartial {
			t.Fatalf("scheduled run %s: %s %+v, want succeeded or partial", scheduledSyncID, finished.Status, finished.Error)
		}
		if finished.Trigger != provision.TriggerSchedule || finished.Counts.Linked == 0 {
			t.Errorf("scheduled run %+v: want a scheduled run that linked the TriNet employees", finished)
		}
		// The second job's tenant never connected: its run fails, and the
		// message is done with rather than retried.
		failed, err := service.Run(ctx, other.TenantID, other.SyncID)
		if err != nil {
			t.Fatal(err)
		}
		if failed.Status != provision.RunFailed || failed.Error == nil || failed.Error.Code != app.CodeNotConnected {
			t.Errorf("run of unconnected tenant %s: %s %+v, want failed not_connected", other.TenantID, failed.Status, failed.Error)
		}
		writesAfterRun = len(inf.TriNet.Writes(creds.TriNetCompanyID))
		t.Logf("scheduled run %s: %s, counts %+v, %d TriNet writes", scheduledSyncID, finished.Status, finished.Counts, writesAfterRun)

		// A duplicate delivery of the same batch finds both runs finished.
		resp, err = worker.Handle(ctx, jobs)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("duplicate delivery: %+v %v, want no failures", resp, err)
		}
		again, err := service.Run(ctx, tenant, scheduledSyncID)
		if err != nil || !again.FinishedAt.Equal(finished.FinishedAt) || again.Counts != finished.Counts {
			t.Errorf("duplicate delivery changed the run: %+v (%v)", again, err)
		}
		if n := len(inf.TriNet.Writes(creds.TriNetCompanyID)); n != writesAfterRun {
			t.Errorf("duplicate delivery wrote to TriNet: %d writes, had %d", n, writesAfterRun)
		}
	})

	step("worker bad messages", func(t *testing.T) {
		var bad events.SQSEvent
		readEvent(t, "worker/bad-message.json", &bad)
		resp, err := worker.Handle(ctx, bad)
		if err != nil {
			t.Fatal(err)
		}
		var failed, want []string
		for _, f := range resp.BatchItemFailures {
			failed = append(failed, f.ItemIdentifier)
		}
		for _, r := range bad.Records {
			want = append(want, r.MessageId)
		}
		slices.Sort(failed)
		slices.Sort(want)
		// Unreadable jobs go back to the queue, and from there to the dead-letter queue.
		if !slices.Equal(failed, want) {
			t.Errorf("batch item failures %v, want every record %v", failed, want)
		}
		if n := len(inf.TriNet.Writes(creds.TriNetCompanyID)); n != writesAfterRun {
			t.Errorf("a bad message wrote to TriNet")
		}
	})

	step("api reads after the run", func(t *testing.T) {
		known := map[string]bool{scheduledSyncID: true, manualSyncID: true}
		for _, file := range []string{"get-sync.json", "get-plan.json"} {
			ev := apiEvent(t, file)
			id := strings.Split(strings.TrimPrefix(ev.RawPath, "/v1/tenants/demo/syncs/"), "/")[0]
			if !known[id] {
				// The sample names a run this story never made.
				wantError(t, file, call(t, file, nil, http.StatusNotFound), "not_found")
			}
			// The same request for the run the worker just finished.
			path := strings.Replace(ev.RawPath, id, scheduledSyncID, 1)
			body := call(t, file, func(ev *events.APIGatewayV2HTTPRequest) { route(ev, http.MethodGet, path, ev.RawQueryString) }, http.StatusOK)
			if file == "get-sync.json" {
				var run runBody
				decodeBody(t, file, body, &run)
				if run.SyncID != scheduledSyncID || run.Status != string(finished.Status) || run.Counts["linked"] != finished.Counts.Linked || run.FinishedAt == nil {
					t.Errorf("run %+v, want %s %s", run, scheduledSyncID, finished.Status)
				}
				continue
			}
			var plan planList
			decodeBody(t, file, body, &plan)
			actions := map[string]int{}
			for _, it := range plan.Items {
				actions[it.Action]++
			}
			if actions["link"]+actions["update"]+actions["unchanged"] == 0 {
				t.Errorf("plan actions %v: want the linked employees", actions)
			}
		}
		// Liam, whom the scheduled run linked by email, explained.
		var person struct {
			UserID string `json:"userId"`
			Link   *struct {
				Origin string `json:"origin"`
			} `json:"link"`
			Latest *struct {
				SyncID string `json:"syncId"`
			} `json:"latest"`
			History []struct {
				SyncID string `json:"syncId"`
			} `json:"history"`
		}
		decodeBody(t, "get-person.json", call(t, "get-person.json", nil, http.StatusOK), &person)
		if person.Link == nil || person.Link.Origin != "email" || len(person.History) == 0 || person.History[0].SyncID != scheduledSyncID ||
			person.Latest == nil || person.Latest.SyncID != scheduledSyncID {
			t.Errorf("person %+v, want Liam linked by email in %s", person, scheduledSyncID)
		}
		var errs issuePage
		decodeBody(t, "get-errors.json", call(t, "get-errors.json", nil, http.StatusOK), &errs)
		if errs.SyncID == nil || *errs.SyncID != scheduledSyncID {
			t.Errorf("errors of run %v, want the latest finished run %s", errs.SyncID, scheduledSyncID)
		}
		if finished.Status == provision.RunPartial && len(errs.Items) == 0 {
			t.Errorf("a partial run lists no errors")
		}
		var hires struct {
			Items []struct {
				UserID string `json:"userId"`
				State  string `json:"state"`
			} `json:"items"`
		}
		decodeBody(t, "get-hires.json", call(t, "get-hires.json", nil, http.StatusOK), &hires)
		for _, h := range hires.Items {
			if h.State != "unknown" {
				t.Errorf("hire %+v listed under state=unknown", h)
			}
		}
		wantError(t, "delete-hire.json", call(t, "delete-hire.json", nil, http.StatusNotFound), "not_found")

		var links struct {
			Items []struct {
				EmployeeID *string `json:"employeeId"`
				Origin     string  `json:"origin"`
			} `json:"items"`
		}
		decodeBody(t, "get-links.json", call(t, "get-links.json", nil, http.StatusOK), &links)
		if len(links.Items) == 0 || links.Items[0].EmployeeID == nil || links.Items[0].Origin != "email" {
			t.Errorf("links %+v, want the employees the run matched by email", links.Items)
		}
		// The sample links Liam to his own record by hand (the run linked him by email).
		var manual struct {
			EmployeeID *string `json:"employeeId"`
			Origin     string  `json:"origin"`
		}
		decodeBody(t, "put-link.json", call(t, "put-link.json", nil, http.StatusOK), &manual)
		if manual.EmployeeID == nil || manual.Origin != "manual" {
			t.Errorf("manual link %+v", manual)
		}
		wantError(t, "put-link.json", call(t, "put-link.json", func(ev *events.APIGatewayV2HTTPRequest) { ev.Body = `{"employeeId":"99999999"}` },
			http.StatusNotFound), "not_found")
		call(t, "put-link.json", func(ev *events.APIGatewayV2HTTPRequest) { ev.Body = `{"employeeId":null}` }, http.StatusOK)
		call(t, "delete-link.json", nil, http.StatusNoContent)
		wantError(t, "delete-link.json", call(t, "delete-link.json", nil, http.StatusNotFound), "not_found")
	})

	step("api disconnect", func(t *testing.T) {
		if body := call(t, "delete-connection.json", nil, http.StatusNoContent); body != "" {
			t.Errorf("204 with a body: %s", body)
		}
		call(t, "delete-connection.json", nil, http.StatusNoContent) // idempotent
		var conn connectionBody
		decodeBody(t, "get-connection.json", call(t, "get-connection.json", nil, http.StatusOK), &conn)
		if conn.Status != "not_connected" || conn.LastRun == nil {
			t.Errorf("after disconnect: %+v, want not_connected with the runs kept", conn)
		}
		res, err := scheduler.Tick(ctx, tick.Time.Add(cfg.SyncInterval))
		if err != nil || res.Enqueued != 0 {
			t.Errorf("tick after disconnect: %+v %v, want nothing enqueued", res, err)
		}
	})

	step("api audit", func(t *testing.T) {
		var audit struct {
			Items []struct {
				At        time.Time      `json:"at"`
				Actor     string         `json:"actor"`
				Action    string         `json:"action"`
				RequestID string         `json:"requestId"`
				Details   map[string]any `json:"details"`
			} `json:"items"`
		}
		decodeBody(t, "get-audit.json", call(t, "get-audit.json", nil, http.StatusOK), &audit)
		// Newest first; refused requests (422, 404) are not actions.
		want := []string{
			"leapsome-ui disconnected", "leapsome-ui disconnected", "ops@example.com link_removed",
			"leapsome-ui link_set", "leapsome-ui link_set", "leapsome-ui sync_triggered",
			"leapsome-ui settings_changed", "leapsome-ui connected",
		}
		var got []string
		for _, it := range audit.Items {
			got = append(got, it.Actor+" "+it.Action)
			// API Gateway's request id, as the samples carry it.
			if it.RequestID != "Yx1aBcDeIAMEVkQ=" {
				t.Errorf("%s: request id %q", it.Action, it.RequestID)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("audit trail %q, want %q", got, want)
		}
		if trig := audit.Items[5].Details; trig["syncId"] != manualSyncID || trig["dryRun"] != true {
			t.Errorf("sync_triggered details %v, want the manual dry run %s", trig, manualSyncID)
		}
		if changed, _ := audit.Items[6].Details["changed"].([]any); !slices.Contains(changed, any("autoCreateNewHires")) {
			t.Errorf("settings_changed details %v, want autoCreateNewHires among the keys", audit.Items[6].Details)
		}
	})

	// Every sample must be exercised, so that a new one cannot go stale untested.
	files, err := filepath.Glob(eventPath("api/*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !used[filepath.Base(f)] {
			t.Errorf("events/api/%s is not exercised", filepath.Base(f))
		}
	}
}
