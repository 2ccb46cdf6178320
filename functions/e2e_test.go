package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"golang.org/x/sync/errgroup"

	"trinetsync/internal/api"
	"trinetsync/internal/app"
	"trinetsync/internal/emulator"
	"trinetsync/internal/localstack"
	"trinetsync/internal/metrics"
	"trinetsync/internal/queue"
)

// lambdaNames are the functions under functions/, each built to a bootstrap.
var lambdaNames = []string{"scheduler", "worker", "api"}

// buildBootstraps builds each function as Lambda's provided.al2023 runtime
// runs it (a static binary named bootstrap, without the RPC shim), for this
// machine's architecture so that the emulator can run it: dir/<fn>/bootstrap.
func buildBootstraps(ctx context.Context, dir string) error {
	root, err := emulator.ModuleRoot()
	if err != nil {
		return err
	}
	out := filepath.Join(dir, "bin")
	// The Makefile's Lambda build flags, so that what runs here is what is deployed.
	args := []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", out + string(filepath.Separator)}
	for _, fn := range lambdaNames {
		args = append(args, "./functions/"+fn)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, msg)
	}
	for _, fn := range lambdaNames {
		if err := os.MkdirAll(filepath.Join(dir, fn), 0o755); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(out, fn), filepath.Join(dir, fn, "bootstrap")); err != nil {
			return err
		}
	}
	return nil
}

// lambdaFunction is one function running under its own Runtime Interface Emulator.
type lambdaFunction struct {
	name string
	url  string // the emulator's invoke URL
}

// prefixWriter tags each chunk of a process's output with its name.
type prefixWriter struct {
	prefix string
	w      io.Writer
}

func (p prefixWriter) Write(b []byte) (int, error) {
	var out bytes.Buffer
	for line := range bytes.Lines(b) {
		fmt.Fprintf(&out, "[%s] %s", p.prefix, line)
	}
	if _, err := p.w.Write(out.Bytes()); err != nil {
		return 0, err
	}
	return len(b), nil
}

// startFunction runs dir/<name>/bootstrap under the emulator at rie, on two
// free loopback ports: one for invokes, one for the Runtime API the
// bootstrap polls. The process is stopped when t ends.
func startFunction(t *testing.T, ctx context.Context, rie, dir, name string, env []string, log io.Writer) *lambdaFunction {
	t.Helper()
	invokePort, err := emulator.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	runtimePort, err := emulator.FreePort()
	for err == nil && runtimePort == invokePort {
		runtimePort, err = emulator.FreePort()
	}
	if err != nil {
		t.Fatal(err)
	}
	bootstrap := filepath.Join(dir, name, "bootstrap")
	p, err := emulator.Start(ctx, emulator.Spec{
		Name: "aws-lambda-rie " + name,
		Path: rie,
		Args: []string{
			"--runtime-interface-emulator-address", "127.0.0.1:" + strconv.Itoa(invokePort),
			"--runtime-api-address", "127.0.0.1:" + strconv.Itoa(runtimePort),
			bootstrap,
		},
		Env: append(slices.Clone(env),
			"AWS_LAMBDA_FUNCTION_NAME=trinet-sync-"+name,
			"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
		),
		// Lambda runs a bootstrap in its own folder (/var/task).
		Dir:  filepath.Dir(bootstrap),
		Port: invokePort,
		Log:  prefixWriter{prefix: name, w: log},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return &lambdaFunction{name: name, url: p.Endpoint() + "/2015-03-31/functions/function/invocations"}
}

// invoke sends one event to the function, as Lambda's Invoke API would, and
// decodes its answer into out. A function error is a test failure.
func (f *lambdaFunction) invoke(t *testing.T, ctx context.Context, event, out any) {
	t.Helper()
	payload, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("invoke %s: %v", f.name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("invoke %s: %v", f.name, err)
	}
	var fnErr struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal(body, &fnErr)
	if resp.StatusCode != http.StatusOK || fnErr.ErrorType != "" {
		t.Fatalf("invoke %s: HTTP %d: %s", f.name, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("invoke %s: answer is not the expected JSON: %v\n%s", f.name, err, body)
	}
}

// TestFunctionsUnderRIE builds the three functions' bootstraps and runs each
// under the Lambda Runtime Interface Emulator, with the environment they have
// in AWS pointed at dynalite, goaws, the secrets stand-in and the sandboxes.
// It drives them as AWS would: the API function connects the demo tenant and
// saves its settings, the schedule's event ticks the scheduler, the jobs it
// enqueues reach the worker as the SQS event source mapping delivers them
// (deleting handled messages, leaving failures to come back), and the results
// are read back through the API function.
func TestFunctionsUnderRIE(t *testing.T) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	logs := newLogSink(t)
	rie, err := emulator.Binary("RIE_BIN", ".bin/aws-lambda-rie")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var build errgroup.Group
	build.Go(func() error { return buildBootstraps(ctx, dir) })
	inf, creds := startInfra(t, ctx, logs)
	if err := build.Wait(); err != nil {
		t.Fatal(err)
	}
	t.Logf("bootstraps built and infrastructure started in %s", time.Since(start).Round(time.Millisecond))

	const interval = 10 * time.Minute
	env := append(inf.Env(interval),
		"AWS_LAMBDA_FUNCTION_TIMEOUT=60",
		"WORKER_TIMEOUT=60s",
		"LOG_LEVEL=info",
	)
	fns := map[string]*lambdaFunction{}
	for _, name := range lambdaNames {
		fns[name] = startFunction(t, ctx, rie, dir, name, env, logs)
	}

	const tenant = "demo"
	// callAPI sends an events/api sample as the admin, re-routed and with a body if given.
	callAPI := func(t *testing.T, sample, method, path, query, body string, want int) string {
		t.Helper()
		ev := apiEvent(t, sample)
		asAdmin(&ev)
		route(&ev, method, path, query)
		ev.Body = body
		var resp events.APIGatewayV2HTTPResponse
		fns["api"].invoke(t, ctx, ev, &resp)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: status %d, want %d\n%s", method, path, resp.StatusCode, want, resp.Body)
		}
		return resp.Body
	}
	base := "/v1/tenants/" + tenant

	// Connect and turn on auto-create.
	var conn connectionBody
	decodeBody(t, "connection", callAPI(t, "put-connection.json", http.MethodPut, base+"/connection", "", connectBody(creds), http.StatusOK), &conn)
	if conn.Status != "connected" || conn.CompanyID != creds.TriNetCompanyID {
		t.Fatalf("connection %+v, want connected", conn)
	}
	var settings map[string]any
	decodeBody(t, "settings", callAPI(t, "get-settings.json", http.MethodGet, base+"/settings", "", "", http.StatusOK), &settings)
	settings["autoCreateNewHires"] = true
	decodeBody(t, "settings", callAPI(t, "put-settings.json", http.MethodPut, base+"/settings", "", mustJSON(settings), http.StatusOK), &settings)
	if settings["autoCreateNewHires"] != true {
		t.Fatalf("saved settings %v, want autoCreateNewHires", settings)
	}

	// The schedule's tick.
	var tick events.EventBridgeEvent
	readEvent(t, "scheduler/tick.json", &tick)
	tick.Time = time.Now().UTC().Truncate(time.Second)
	var ticked app.TickResult
	fns["scheduler"].invoke(t, ctx, tick, &ticked)
	if ticked.Enqueued != 1 || !ticked.Slot.Equal(app.Slot(tick.Time, interval)) {
		t.Fatalf("tick %+v, want one job in the slot of %s", ticked, tick.Time)
	}
	syncID := app.ScheduledSyncID(tenant, ticked.Slot)

	// The event source mapping: receive, invoke the worker, delete what it handled,
	// until the run is final (a run too large for one invocation continues in
	// follow-up messages).
	arnOut, err := inf.AWS.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(inf.QueueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatal(err)
	}
	queueARN := arnOut.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	var run runBody
	invocations := 0
	poll(t, 60*time.Second, "the scheduled run to finish", func() (bool, error) {
		out, err := inf.AWS.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(inf.QueueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		if err != nil {
			return false, err
		}
		if len(out.Messages) > 0 {
			ev := events.SQSEvent{}
			for _, m := range out.Messages {
				job, err := queue.ParseJob(aws.ToString(m.Body))
				if err != nil || job.TenantID != tenant || job.SyncID != syncID {
					t.Errorf("job on the queue %+v (%v), want the tick's %s", job, err, syncID)
				}
				ev.Records = append(ev.Records, events.SQSMessage{
					MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle),
					Body: aws.ToString(m.Body), Md5OfBody: aws.ToString(m.MD5OfBody), Attributes: m.Attributes,
					EventSource: "aws:sqs", EventSourceARN: queueARN, AWSRegion: localstack.Region,
				})
			}
			var resp events.SQSEventResponse
			fns["worker"].invoke(t, ctx, ev, &resp)
			invocations++
			failed := map[string]bool{}
			for _, f := range resp.BatchItemFailures {
				failed[f.ItemIdentifier] = true
			}
			for _, m := range out.Messages {
				if failed[aws.ToString(m.MessageId)] {
					continue
				}
				if _, err := inf.AWS.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(inf.QueueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
					return false, err
				}
			}
		}
		var resp events.APIGatewayV2HTTPResponse
		ev := apiEvent(t, "get-sync.json")
		asAdmin(&ev)
		route(&ev, http.MethodGet, base+"/syncs/"+syncID, "")
		fns["api"].invoke(t, ctx, ev, &resp)
		if resp.StatusCode == http.StatusNotFound {
			return false, fmt.Errorf("run %s not created yet", syncID)
		}
		if resp.StatusCode != http.StatusOK {
			return false, fmt.Errorf("GET run: %d %s", resp.StatusCode, resp.Body)
		}
		run = runBody{}
		decodeBody(t, "run", resp.Body, &run)
		if !finalStatus(run.Status) {
			return false, fmt.Errorf("run %s is %s", syncID, run.Status)
		}
		return true, nil
	})
	t.Logf("run %s: %s after %d worker invocation(s), counts %v", syncID, run.Status, invocations, run.Counts)

	if run.Status != "succeeded" && run.Status != "partial" {
		t.Fatalf("run %+v, want succeeded or partial", run)
	}
	if run.Trigger != "schedule" || run.DryRun || run.Counts["created"] == 0 || run.Counts["linked"] == 0 || run.StartedAt == nil || run.FinishedAt == nil {
		t.Errorf("run %+v: want a scheduled run that created and linked employees", run)
	}

	var runs runList
	decodeBody(t, "syncs", callAPI(t, "get-syncs.json", http.MethodGet, base+"/syncs", "limit=20", "", http.StatusOK), &runs)
	if len(runs.Items) != 1 || runs.Items[0].SyncID != syncID || runs.Items[0].Status != run.Status {
		t.Errorf("run history %+v, want just %s", runs.Items, syncID)
	}

	var plan planList
	decodeBody(t, "plan", callAPI(t, "get-plan.json", http.MethodGet, base+"/syncs/"+syncID+"/plan", "limit=100", "", http.StatusOK), &plan)
	actions := map[string]int{}
	for _, it := range plan.Items {
		actions[it.Action]++
	}
	if plan.NextToken != nil || actions["create"] != run.Counts["created"] || actions["link"] == 0 {
		t.Errorf("plan actions %v (next %v), want %d creates and the links on one page", actions, plan.NextToken, run.Counts["created"])
	}

	var issues issuePage
	decodeBody(t, "errors", callAPI(t, "get-errors.json", http.MethodGet, base+"/errors", "", "", http.StatusOK), &issues)
	if issues.SyncID == nil || *issues.SyncID != syncID {
		t.Errorf("errors are of run %v, want %s", issues.SyncID, syncID)
	}
	errorsListed := 0
	for _, is := range issues.Items {
		if is.Severity == "error" {
			errorsListed++
		}
		if is.Code == "" || is.Message == "" {
			t.Errorf("issue without a code or message: %+v", is)
		}
	}
	if (run.Status == "partial") != (errorsListed > 0) {
		t.Errorf("run %s lists %d errors", run.Status, errorsListed)
	}

	// What TriNet received: a hire for each person created.
	hires := 0
	for _, w := range inf.TriNet.Writes(creds.TriNetCompanyID) {
		if w.Endpoint == "hire" && w.Status/100 == 2 {
			hires++
		}
	}
	if hires != run.Counts["created"] {
		t.Errorf("TriNet accepted %d hires, the run counts %d created", hires, run.Counts["created"])
	}

	// A second delivery of the tick (Lambda delivers at least once) names the
	// same run, which the worker finds finished: nothing is written twice.
	writes := len(inf.TriNet.Writes(creds.TriNetCompanyID))
	fns["scheduler"].invoke(t, ctx, tick, &ticked)
	poll(t, 20*time.Second, "the duplicate job to be handled", func() (bool, error) {
		out, err := inf.AWS.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(inf.QueueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil || len(out.Messages) == 0 {
			return false, err
		}
		ev := events.SQSEvent{}
		for _, m := range out.Messages {
			ev.Records = append(ev.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body), EventSource: "aws:sqs", EventSourceARN: queueARN})
		}
		var resp events.SQSEventResponse
		fns["worker"].invoke(t, ctx, ev, &resp)
		if len(resp.BatchItemFailures) != 0 {
			return false, fmt.Errorf("duplicate job returned to the queue: %+v", resp.BatchItemFailures)
		}
		return true, nil
	})
	if n := len(inf.TriNet.Writes(creds.TriNetCompanyID)); n != writes {
		t.Errorf("the duplicate tick wrote %d more times to TriNet", n-writes)
	}
	var again runBody
	decodeBody(t, "run", callAPI(t, "get-sync.json", http.MethodGet, base+"/syncs/"+syncID, "", "", http.StatusOK), &again)
	if again.Status != run.Status || !again.FinishedAt.Equal(*run.FinishedAt) {
		t.Errorf("the duplicate tick changed the run: %+v", again)
	}
	if strings.Contains(logs.String(), creds.TriNetClientSecret) || strings.Contains(logs.String(), creds.LeapsomeAPISecret) {
		t.Errorf("a secret appears in the functions' logs")
	}
	// Each bootstrap printed its metrics on standard output in CloudWatch's
	// Embedded Metric Format, as Lambda hands them to CloudWatch Logs.
	printed := map[string][]metrics.Point{}
	for line := range strings.Lines(logs.String()) {
		name, rest, ok := strings.Cut(strings.TrimPrefix(line, "["), "] ")
		if !ok || !strings.HasPrefix(rest, "{") || !strings.Contains(rest, `"_aws"`) {
			continue
		}
		pts, err := metrics.Decode(strings.NewReader(rest))
		if err != nil {
			t.Fatalf("%s printed a broken EMF record: %v", name, err)
		}
		printed[name] = append(printed[name], pts...)
	}
	has := func(fn, metric string, match func(metrics.Point) bool) bool {
		return slices.ContainsFunc(printed[fn], func(p metrics.Point) bool { return p.Name == metric && match(p) })
	}
	if !has("worker", app.MetricRuns, func(p metrics.Point) bool {
		return p.Values[app.DimensionStatus] == run.Status && p.Record["tenant"] == tenant && p.Record["syncId"] == syncID
	}) {
		t.Errorf("the worker printed no Runs{Status=%s} for %s", run.Status, syncID)
	}
	if !has("worker", app.MetricTriNetCalls, func(p metrics.Point) bool { return p.Value > 0 }) {
		t.Errorf("the worker printed no TriNet calls")
	}
	if !has("scheduler", app.MetricTenantsEnqueued, func(p metrics.Point) bool { return p.Value == 1 }) {
		t.Errorf("the scheduler printed no TenantsEnqueued")
	}
	if !has("api", api.MetricRequests, func(p metrics.Point) bool { return p.Values[api.DimensionStatusClass] == "2xx" }) {
		t.Errorf("the API printed no Requests")
	}
	t.Logf("end to end in %s", time.Since(start).Round(time.Millisecond))
}
