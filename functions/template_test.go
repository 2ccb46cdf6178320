// Package functions_test checks the three Lambda functions as deployed: the
// deployment description (template.yaml and the Makefile targets that sam build
// calls), the handlers their main.go files wire, fed the sample events in
// process, and the built bootstraps under the Runtime Interface Emulator.
package functions_test

import (
	"context"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
	"gopkg.in/yaml.v3"

	"trinetsync/internal/api"
	"trinetsync/internal/app"
	"trinetsync/internal/metrics"
	"trinetsync/internal/secrets"
	"trinetsync/internal/store"
)

// readTemplate reads template.yaml keeping CloudFormation's short tags
// (!Ref, !GetAtt, !Sub, …) as {"Fn::X": value} maps, as CloudFormation reads them.
func readTemplate(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	m, ok := nodeValue(doc.Content[0]).(map[string]any)
	if !ok {
		t.Fatal("template.yaml is not a mapping")
	}
	return m
}

func nodeValue(n *yaml.Node) any {
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = nodeValue(n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		s := []any{}
		for _, c := range n.Content {
			s = append(s, nodeValue(c))
		}
		v = s
	case yaml.AliasNode:
		return nodeValue(n.Alias)
	default:
		v = n.Value
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		name := strings.TrimPrefix(n.Tag, "!")
		if name != "Ref" && name != "Condition" {
			name = "Fn::" + name
		}
		return map[string]any{name: v}
	}
	return v
}

// at walks a path of map keys and sequence indexes.
func at(t *testing.T, v any, path ...string) any {
	t.Helper()
	for _, p := range path {
		switch c := v.(type) {
		case map[string]any:
			next, ok := c[p]
			if !ok {
				t.Fatalf("template: %s: missing", strings.Join(path, "."))
			}
			v = next
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(c) {
				t.Fatalf("template: %s: bad index %q", strings.Join(path, "."), p)
			}
			v = c[i]
		default:
			t.Fatalf("template: %s: cannot descend into %T at %q", strings.Join(path, "."), v, p)
		}
	}
	return v
}

func number(t *testing.T, v any) int {
	t.Helper()
	n, err := strconv.Atoi(fmt.Sprint(v))
	if err != nil {
		t.Fatalf("not a number: %v", v)
	}
	return n
}

var functions = []string{"SchedulerFunction", "WorkerFunction", "ApiFunction"}

func TestTemplateFunctions(t *testing.T) {
	tpl := readTemplate(t)
	globals := at(t, tpl, "Globals", "Function")
	if got := at(t, globals, "Runtime"); got != "provided.al2023" {
		t.Errorf("Runtime = %v, want provided.al2023", got)
	}
	if got := fmt.Sprint(at(t, globals, "Architectures")); got != "[arm64]" {
		t.Errorf("Architectures = %v, want [arm64]", got)
	}
	for _, fn := range functions {
		res := at(t, tpl, "Resources", fn)
		if got := at(t, res, "Type"); got != "AWS::Serverless::Function" {
			t.Errorf("%s: Type = %v", fn, got)
		}
		if got := at(t, res, "Metadata", "BuildMethod"); got != "makefile" {
			t.Errorf("%s: BuildMethod = %v, want makefile", fn, got)
		}
		if _, ok := at(t, res, "Properties").(map[string]any)["LoggingConfig"]; !ok {
			t.Errorf("%s: no LoggingConfig with its own log group", fn)
		}
	}
	sched := at(t, tpl, "Resources", "SchedulerFunction", "Properties", "Events", "Tick")
	if at(t, sched, "Type") != "Schedule" || at(t, sched, "Properties", "Schedule") != "rate(10 minutes)" {
		t.Errorf("scheduler event = %v, want Schedule rate(10 minutes)", sched)
	}
}

func TestTemplateQueue(t *testing.T) {
	tpl := readTemplate(t)
	jobs := at(t, tpl, "Resources", "WorkerFunction", "Properties", "Events", "Jobs")
	if at(t, jobs, "Type") != "SQS" {
		t.Fatalf("worker event type = %v", at(t, jobs, "Type"))
	}
	if got := fmt.Sprint(at(t, jobs, "Properties", "FunctionResponseTypes")); got != "[ReportBatchItemFailures]" {
		t.Errorf("FunctionResponseTypes = %s", got)
	}
	if _, ok := at(t, jobs, "Properties", "ScalingConfig", "MaximumConcurrency").(map[string]any); !ok {
		t.Errorf("ScalingConfig.MaximumConcurrency should be a parameter reference")
	}
	workerTimeout := number(t, at(t, tpl, "Resources", "WorkerFunction", "Properties", "Timeout"))
	queue := at(t, tpl, "Resources", "SyncJobsQueue", "Properties")
	if vis := number(t, at(t, queue, "VisibilityTimeout")); vis < 6*workerTimeout {
		t.Errorf("queue visibility %ds < 6 × worker timeout %ds", vis, workerTimeout)
	}
	if n := number(t, at(t, queue, "RedrivePolicy", "maxReceiveCount")); n < 5 {
		t.Errorf("maxReceiveCount = %d, want ≥ 5", n)
	}
	dlq := at(t, queue, "RedrivePolicy", "deadLetterTargetArn").(map[string]any)
	if fmt.Sprint(dlq["Fn::GetAtt"]) != "SyncJobsDeadLetterQueue.Arn" {
		t.Errorf("dead letter target = %v", dlq)
	}
	// The worker reads the same figures to decide when a run is abandoned.
	env := at(t, tpl, "Globals", "Function", "Environment", "Variables")
	if at(t, env, "WORKER_TIMEOUT") != fmt.Sprintf("%ds", workerTimeout) {
		t.Errorf("WORKER_TIMEOUT = %v, want %ds", at(t, env, "WORKER_TIMEOUT"), workerTimeout)
	}
	if at(t, env, "QUEUE_VISIBILITY_TIMEOUT") != fmt.Sprintf("%ds", number(t, at(t, queue, "VisibilityTimeout"))) {
		t.Errorf("QUEUE_VISIBILITY_TIMEOUT disagrees with the queue")
	}
	if number(t, at(t, env, "QUEUE_MAX_RECEIVE_COUNT")) != number(t, at(t, queue, "RedrivePolicy", "maxReceiveCount")) {
		t.Errorf("QUEUE_MAX_RECEIVE_COUNT disagrees with the queue")
	}
	// No job may expire before it can reach the dead-letter queue: a job
	// waits at most its receives × the visibility timeout (a manual run
	// waiting on a busy tenant is abandoned then); a day of margin on top.
	retention := number(t, at(t, queue, "MessageRetentionPeriod"))
	longestWait := number(t, at(t, queue, "RedrivePolicy", "maxReceiveCount")) * number(t, at(t, queue, "VisibilityTimeout"))
	if retention < longestWait+86400 {
		t.Errorf("jobs queue keeps messages %ds: a job may wait %ds, and a day of margin is wanted", retention, longestWait)
	}
	// A message moved to the dead-letter queue keeps its first enqueue time:
	// the DLQ must keep it well after the jobs queue would have (a week).
	dlqRetention := number(t, at(t, tpl, "Resources", "SyncJobsDeadLetterQueue", "Properties", "MessageRetentionPeriod"))
	if dlqRetention < retention+7*86400 {
		t.Errorf("dead-letter queue keeps messages %ds, jobs queue %ds: a dead letter must stay a week after", dlqRetention, retention)
	}
}

// TestTemplateConcurrency: API traffic cannot take the account's concurrency
// from the worker and the scheduler.
func TestTemplateConcurrency(t *testing.T) {
	tpl := readTemplate(t)
	props := func(fn string) map[string]any {
		return at(t, tpl, "Resources", fn, "Properties").(map[string]any)
	}
	apiReserved, ok := props("ApiFunction")["ReservedConcurrentExecutions"]
	if !ok || fmt.Sprint(apiReserved) != "map[Ref:ApiReservedConcurrency]" {
		t.Errorf("ApiFunction: ReservedConcurrentExecutions = %v, want the ApiReservedConcurrency parameter", apiReserved)
	}
	at(t, tpl, "Parameters", "ApiReservedConcurrency")
	// The worker keeps as much as the queue may drive.
	workerReserved := fmt.Sprint(props("WorkerFunction")["ReservedConcurrentExecutions"])
	scaling := fmt.Sprint(at(t, tpl, "Resources", "WorkerFunction", "Properties", "Events", "Jobs", "Properties", "ScalingConfig", "MaximumConcurrency"))
	if workerReserved != scaling {
		t.Errorf("WorkerFunction: reserved concurrency %s, the queue drives up to %s", workerReserved, scaling)
	}
	if n, ok := props("SchedulerFunction")["ReservedConcurrentExecutions"]; !ok || number(t, n) < 1 {
		t.Errorf("SchedulerFunction: reserved concurrency %v, want at least 1", n)
	}
	routes := at(t, tpl, "Resources", "HttpApi", "Properties", "DefaultRouteSettings")
	for _, k := range []string{"ThrottlingRateLimit", "ThrottlingBurstLimit"} {
		if _, ok := routes.(map[string]any)[k]; !ok {
			t.Errorf("HttpApi: no %s", k)
		}
	}
}

func TestTemplateAPI(t *testing.T) {
	tpl := readTemplate(t)
	jwt := at(t, tpl, "Resources", "HttpApi", "Properties", "Auth", "Authorizers", "JwtAuthorizer", "JwtConfiguration")
	if fmt.Sprint(at(t, jwt, "issuer")) != "map[Ref:JwtIssuer]" || fmt.Sprint(at(t, jwt, "audience")) != "map[Ref:JwtAudience]" {
		t.Errorf("JWT issuer/audience should be parameters: %v", jwt)
	}
	at(t, tpl, "Parameters", "JwtIssuer")
	at(t, tpl, "Parameters", "JwtAudience")
	if at(t, tpl, "Resources", "HttpApi", "Properties", "Auth", "DefaultAuthorizer") != "JwtAuthorizer" {
		t.Errorf("the JWT authorizer must guard every route by default")
	}
	route := at(t, tpl, "Resources", "ApiFunction", "Properties", "Events", "Api", "Properties")
	if at(t, route, "Path") != "/{proxy+}" || at(t, route, "Method") != "ANY" {
		t.Errorf("every path should reach the handler (its JSON 404/405): %v", route)
	}
	health := at(t, tpl, "Resources", "ApiFunction", "Properties", "Events", "Health", "Properties")
	if at(t, health, "Path") != "/healthz" || at(t, health, "Auth", "Authorizer") != "NONE" {
		t.Errorf("healthz must be public: %v", health)
	}
}

func TestTemplateTable(t *testing.T) {
	tpl := readTemplate(t)
	table := at(t, tpl, "Resources", "SyncTable", "Properties")
	if at(t, table, "BillingMode") != "PAY_PER_REQUEST" {
		t.Errorf("table must be on-demand")
	}
	if at(t, table, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled") != "true" {
		t.Errorf("point-in-time recovery must be on")
	}
	if at(t, table, "TimeToLiveSpecification", "Enabled") != "true" || at(t, table, "TimeToLiveSpecification", "AttributeName") != "expiresAt" {
		t.Errorf("TTL on expiresAt must be enabled")
	}
	// The hire ledger must outlive the stack: losing it would hire pending
	// people again.
	if at(t, table, "DeletionProtectionEnabled") != "true" {
		t.Errorf("table: DeletionProtectionEnabled must be true")
	}
	for _, policy := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
		if got := at(t, tpl, "Resources", "SyncTable", policy); got != "Retain" {
			t.Errorf("table: %s = %v, want Retain", policy, got)
		}
	}
	// The same layout as store.CreateTable, which tests and the local stack use.
	def := store.TableDefinition("t")
	wantAttrs := map[string]string{}
	for _, a := range def.AttributeDefinitions {
		wantAttrs[aws.ToString(a.AttributeName)] = string(a.AttributeType)
	}
	gotAttrs := map[string]string{}
	for _, a := range at(t, table, "AttributeDefinitions").([]any) {
		gotAttrs[fmt.Sprint(at(t, a, "AttributeName"))] = fmt.Sprint(at(t, a, "AttributeType"))
	}
	if !maps.Equal(gotAttrs, wantAttrs) {
		t.Errorf("attribute definitions %v, store declares %v", gotAttrs, wantAttrs)
	}
	keySchema := func(v any) string {
		var parts []string
		for _, k := range v.([]any) {
			parts = append(parts, fmt.Sprint(at(t, k, "AttributeName"), ":", at(t, k, "KeyType")))
		}
		return strings.Join(parts, ",")
	}
	storeKeys := func(ks []types.KeySchemaElement) string {
		var parts []string
		for _, k := range ks {
			parts = append(parts, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
		}
		return strings.Join(parts, ",")
	}
	if got, want := keySchema(at(t, table, "KeySchema")), storeKeys(def.KeySchema); got != want {
		t.Errorf("key schema %s, store declares %s", got, want)
	}
	gotIdx := map[string]string{}
	for _, g := range at(t, table, "GlobalSecondaryIndexes").([]any) {
		proj := fmt.Sprint(at(t, g, "Projection", "ProjectionType"))
		if nk, ok := at(t, g, "Projection").(map[string]any)["NonKeyAttributes"]; ok {
			proj += fmt.Sprint(nk)
		}
		gotIdx[fmt.Sprint(at(t, g, "IndexName"))] = keySchema(at(t, g, "KeySchema")) + " " + proj
	}
	wantIdx := map[string]string{}
	for _, g := range def.GlobalSecondaryIndexes {
		proj := string(g.Projection.ProjectionType)
		if len(g.Projection.NonKeyAttributes) > 0 {
			proj += fmt.Sprint(g.Projection.NonKeyAttributes)
		}
		wantIdx[aws.ToString(g.IndexName)] = storeKeys(g.KeySchema) + " " + proj
	}
	if !maps.Equal(gotIdx, wantIdx) {
		t.Errorf("indexes %v, store declares %v", gotIdx, wantIdx)
	}
}

// statements lists a function's inline policy statements as action → resource.
func statements(t *testing.T, tpl map[string]any, fn string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range at(t, tpl, "Resources", fn, "Properties", "Policies").([]any) {
		pm, _ := p.(map[string]any)
		stmts, _ := pm["Statement"].([]any)
		for _, s := range stmts {
			if at(t, s, "Effect") != "Allow" {
				continue
			}
			for _, a := range at(t, s, "Action").([]any) {
				out[fmt.Sprint(a)] = fmt.Sprint(at(t, s, "Resource"))
			}
		}
	}
	return out
}

func TestTemplateLeastPrivilege(t *testing.T) {
	tpl := readTemplate(t)
	for _, fn := range []string{"WorkerFunction", "ApiFunction"} {
		found := false
		for action, res := range statements(t, tpl, fn) {
			if strings.HasPrefix(action, "secretsmanager:") {
				found = true
				if !strings.Contains(res, "${SecretPrefix}*") {
					t.Errorf("%s: %s not limited to the tenant prefix: %s", fn, action, res)
				}
			}
			if strings.Contains(action, "*") {
				t.Errorf("%s: wildcard action %s", fn, action)
			}
		}
		if !found {
			t.Errorf("%s: no secrets statement", fn)
		}
	}
	// The worker reads secrets only; the API manages them; the scheduler never sees them.
	worker, apiFn, sched := statements(t, tpl, "WorkerFunction"), statements(t, tpl, "ApiFunction"), map[string]string{}
	if _, ok := at(t, tpl, "Resources", "SchedulerFunction", "Properties").(map[string]any)["Policies"]; ok {
		sched = statements(t, tpl, "SchedulerFunction")
	}
	for action := range sched {
		if strings.HasPrefix(action, "secretsmanager:") {
			t.Errorf("scheduler may %s", action)
		}
	}
	for _, a := range []string{"secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:PutSecretValue"} {
		if _, ok := worker[a]; ok {
			t.Errorf("worker may %s", a)
		}
		if _, ok := apiFn[a]; !ok {
			t.Errorf("api may not %s", a)
		}
	}
	// The API never reads a secret's value; the internet-facing function must not be able to.
	if _, ok := apiFn["secretsmanager:GetSecretValue"]; ok {
		t.Errorf("api may secretsmanager:GetSecretValue, but never reads a secret")
	}
	// Failed jobs get a growing visibility timeout: the worker must be allowed to set it, on its queue only.
	if res, ok := worker["sqs:ChangeMessageVisibility"]; !ok || res != "map[Fn::GetAtt:SyncJobsQueue.Arn]" {
		t.Errorf("worker: sqs:ChangeMessageVisibility on the jobs queue = %q, %v", res, ok)
	}
	for _, lg := range []string{"SchedulerLogGroup", "WorkerLogGroup", "ApiLogGroup"} {
		if at(t, tpl, "Resources", lg, "Type") != "AWS::Logs::LogGroup" {
			t.Errorf("%s is not a log group", lg)
		}
		if fmt.Sprint(at(t, tpl, "Resources", lg, "Properties", "RetentionInDays")) != "map[Ref:LogRetentionDays]" {
			t.Errorf("%s: retention should be the LogRetentionDays parameter", lg)
		}
	}
	for _, alarm := range []string{"DeadLetterAlarm", "WorkerErrorsAlarm"} {
		if at(t, tpl, "Resources", alarm, "Type") != "AWS::CloudWatch::Alarm" {
			t.Errorf("%s missing", alarm)
		}
	}
	for _, out := range []string{"ApiUrl", "QueueUrl", "TableName"} {
		at(t, tpl, "Outputs", out)
	}
}

// TestBuildTargetsProduceArm64 runs each build-<LogicalId> target as sam build
// would and checks the bootstrap is an arm64 ELF executable.
func TestBuildTargetsProduceArm64(t *testing.T) {
	for _, fn := range functions {
		t.Run(fn, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command("make", "-s", "-C", "..", "build-"+fn, "ARTIFACTS_DIR="+dir)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("make build-%s: %v\n%s", fn, err, out)
			}
			f, err := elf.Open(filepath.Join(dir, "bootstrap"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Machine != elf.EM_AARCH64 {
				t.Errorf("bootstrap machine = %v, want EM_AARCH64", f.Machine)
			}
			if f.Type != elf.ET_EXEC {
				t.Errorf("bootstrap type = %v, want an executable", f.Type)
			}
			info, err := buildinfo.ReadFile(filepath.Join(dir, "bootstrap"))
			if err != nil {
				t.Fatal(err)
			}
			settings := map[string]string{}
			for _, s := range info.Settings {
				settings[s.Key] = s.Value
			}
			if settings["-tags"] != "lambda.norpc" || settings["-trimpath"] != "true" || settings["GOARCH"] != "arm64" || settings["CGO_ENABLED"] != "0" {
				t.Errorf("build settings %v, want -tags lambda.norpc -trimpath, arm64, no cgo", settings)
			}
		})
	}
}

// secretsCalls records the Secrets Manager operations the code makes and
// plays the answers of a scenario.
type secretsCalls struct {
	ops      map[string]bool
	create   error
	get      error
	del      error
	describe *secretsmanager.DescribeSecretOutput
}

func (f *secretsCalls) note(op string) { f.ops["secretsmanager:"+op] = true }

func (f *secretsCalls) CreateSecret(context.Context, *secretsmanager.CreateSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error) {
	f.note("CreateSecret")
	err := f.create
	f.create = nil
	return &secretsmanager.CreateSecretOutput{}, err
}

func (f *secretsCalls) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.note("GetSecretValue")
	if f.get != nil {
		return nil, f.get
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(`{"trinet":{"companyId":"CJ6","clientId":"c","clientSecret":"s"},"leapsome":{"apiSecret":"a"}}`)}, nil
}

func (f *secretsCalls) PutSecretValue(context.Context, *secretsmanager.PutSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error) {
	f.note("PutSecretValue")
	return &secretsmanager.PutSecretValueOutput{}, nil
}

func (f *secretsCalls) DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	f.note("DescribeSecret")
	return f.describe, nil
}

func (f *secretsCalls) DeleteSecret(context.Context, *secretsmanager.DeleteSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DeleteSecretOutput, error) {
	f.note("DeleteSecret")
	err := f.del
	f.del = nil
	return &secretsmanager.DeleteSecretOutput{}, err
}

func (f *secretsCalls) RestoreSecret(context.Context, *secretsmanager.RestoreSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.RestoreSecretOutput, error) {
	f.note("RestoreSecret")
	return &secretsmanager.RestoreSecretOutput{}, nil
}

// TestTemplateSecretsPermissionsMatchTheCode holds each function's secrets
// permissions to the operations the code makes on every path: the API's
// connect (create, or restore and version an existing secret) and
// disconnect; the worker's read (including the check of a secret scheduled
// for deletion). Nothing more is granted than the code uses.
func TestTemplateSecretsPermissionsMatchTheCode(t *testing.T) {
	tpl := readTemplate(t)
	apiErr := func(code string) error { return &smithy.GenericAPIError{Code: code, Fault: smithy.FaultClient} }
	deleted := time.Now()
	scheduled := &secretsmanager.DescribeSecretOutput{DeletedDate: &deleted}
	creds := secrets.Credentials{TriNet: secrets.TriNetCredentials{CompanyID: "CJ6", ClientID: "c", ClientSecret: "s"},
		Leapsome: secrets.LeapsomeCredentials{APISecret: "a"}}
	ctx := context.Background()
	quiet := secrets.Config{CreateBackoff: time.Millisecond, Logger: slog.New(slog.DiscardHandler)}

	apiOps := map[string]bool{}
	for _, f := range []*secretsCalls{
		{},
		{create: apiErr("ResourceExistsException"), describe: &secretsmanager.DescribeSecretOutput{}},
		{create: apiErr("InvalidRequestException"), describe: scheduled},
		{del: apiErr("InvalidRequestException"), describe: scheduled},
	} {
		f.ops = apiOps
		m := secrets.New(f, quiet)
		if err := m.Put(ctx, "acme", creds); err != nil {
			t.Fatalf("Put: %v", err)
		}
		if err := m.Delete(ctx, "acme"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	workerOps := map[string]bool{}
	for _, f := range []*secretsCalls{{}, {get: apiErr("InvalidRequestException"), describe: scheduled}} {
		f.ops = workerOps
		_, _ = secrets.New(f, quiet).Get(ctx, "acme")
	}
	for fn, used := range map[string]map[string]bool{"ApiFunction": apiOps, "WorkerFunction": workerOps} {
		granted := map[string]bool{}
		for action := range statements(t, tpl, fn) {
			if strings.HasPrefix(action, "secretsmanager:") {
				granted[action] = true
			}
		}
		if !maps.Equal(granted, used) {
			t.Errorf("%s may %v; its code calls %v", fn, slices.Sorted(maps.Keys(granted)), slices.Sorted(maps.Keys(used)))
		}
	}
}

// namespaceSub is how template.yaml names the metrics' namespace: the stack's own.
const namespaceSub = "TriNetSync/${AWS::StackName}"

// emitted is what the code writes: for each metric name, its unit and the
// dimension sets it is published under (names joined by ",").
func emitted(t *testing.T) map[string]map[string]bool {
	t.Helper()
	var buf strings.Builder
	w := metrics.New(&buf, "")
	for _, r := range append(app.SampleRecords(), api.SampleRecords()...) {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	pts, err := metrics.Decode(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]bool{}
	for _, p := range pts {
		if out[p.Name] == nil {
			out[p.Name] = map[string]bool{}
		}
		out[p.Name][strings.Join(p.Dimensions, ",")] = true
	}
	return out
}

// subText is the text of an Fn::Sub value.
func subText(t *testing.T, v any) string {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not a !Sub: %v", v)
	}
	s, ok := m["Fn::Sub"].(string)
	if !ok {
		t.Fatalf("not a !Sub of a string: %v", v)
	}
	return s
}

var subVar = regexp.MustCompile(`\$\{([^}]+)\}`)

// TestTemplateDashboard holds the dashboard to what the code writes: every
// widget metric in the service's namespace is one the code emits, under a
// dimension set it emits; and the widgets an operator needs are there.
func TestTemplateDashboard(t *testing.T) {
	tpl := readTemplate(t)
	env := at(t, tpl, "Globals", "Function", "Environment", "Variables")
	if got := subText(t, at(t, env, "METRICS_NAMESPACE")); got != namespaceSub {
		t.Fatalf("METRICS_NAMESPACE %q, want %q", got, namespaceSub)
	}
	body := subText(t, at(t, tpl, "Resources", "Dashboard", "Properties", "DashboardBody"))
	resources := at(t, tpl, "Resources").(map[string]any)
	body = subVar.ReplaceAllStringFunc(body, func(v string) string {
		name := subVar.FindStringSubmatch(v)[1]
		if name == "AWS::StackName" || name == "AWS::Region" {
			return strings.ToLower(strings.TrimPrefix(name, "AWS::"))
		}
		if _, ok := resources[strings.Split(name, ".")[0]]; !ok {
			t.Errorf("dashboard refers to ${%s}, which is no resource", name)
		}
		return "ref:" + name
	})
	var doc struct {
		Widgets []struct {
			Type       string `json:"type"`
			Properties struct {
				Title   string  `json:"title"`
				Stat    string  `json:"stat"`
				Metrics [][]any `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("DashboardBody is not JSON: %v", err)
	}
	ours := strings.ReplaceAll(namespaceSub, "${AWS::StackName}", "stackname")
	code := emitted(t)
	seen := map[string]bool{} // "namespace name dims=values stat"
	for _, w := range doc.Widgets {
		if w.Type != "metric" {
			continue
		}
		for _, m := range w.Properties.Metrics {
			var parts []string
			stat := w.Properties.Stat
			for _, x := range m {
				switch v := x.(type) {
				case string:
					parts = append(parts, v)
				case map[string]any:
					if s, ok := v["stat"].(string); ok {
						stat = s
					}
				}
			}
			if len(parts) < 2 || len(parts)%2 != 0 || slices.Contains(parts, ".") {
				t.Errorf("%s: metric %v must spell namespace, name and dimension pairs out", w.Properties.Title, m)
				continue
			}
			var dims, pairs []string
			for i := 2; i < len(parts); i += 2 {
				dims = append(dims, parts[i])
				pairs = append(pairs, parts[i]+"="+parts[i+1])
			}
			seen[parts[0]+" "+parts[1]+" "+strings.Join(pairs, ",")+" "+stat] = true
			if parts[0] != ours {
				if !strings.HasPrefix(parts[0], "AWS/") {
					t.Errorf("%s: namespace %q is neither the service's nor AWS's", w.Properties.Title, parts[0])
				}
				continue
			}
			sets, ok := code[parts[1]]
			if !ok {
				t.Errorf("%s: widget on %s, which the code never writes", w.Properties.Title, parts[1])
				continue
			}
			if !sets[strings.Join(dims, ",")] {
				t.Errorf("%s: %s with dimensions [%s]; the code writes it with %v", w.Properties.Title, parts[1], strings.Join(dims, ","), sets)
			}
		}
	}
	for _, want := range []string{
		ours + " Runs Status=succeeded Sum", ours + " Runs Status=partial Sum", ours + " Runs Status=failed Sum",
		ours + " PeopleCreated  Sum", ours + " PeopleUpdated  Sum", ours + " ErrorItems  Sum",
		"AWS/SQS ApproximateNumberOfMessagesVisible QueueName=ref:SyncJobsQueue.QueueName Maximum",
		"AWS/SQS ApproximateAgeOfOldestMessage QueueName=ref:SyncJobsQueue.QueueName Maximum",
		"AWS/SQS ApproximateNumberOfMessagesVisible QueueName=ref:SyncJobsDeadLetterQueue.QueueName Maximum",
		ours + " TriNet429s  Sum", ours + " RunDuration  p50", ours + " RunDuration  p95",
		"AWS/ApiGateway 5xx ApiId=ref:HttpApi Sum", ours + " Requests StatusClass=5xx Sum",
	} {
		if !seen[want] {
			t.Errorf("the dashboard has no widget metric %q", want)
		}
	}
}

// runbookSections reads docs/operations.md's "## Alarms": section title →
// its text.
func runbookSections(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	_, alarms, ok := strings.Cut(string(raw), "\n## Alarms\n")
	if !ok {
		t.Fatal(`docs/operations.md has no "## Alarms" chapter`)
	}
	if i := strings.Index(alarms, "\n## "); i >= 0 {
		alarms = alarms[:i]
	}
	out := map[string]string{}
	for _, sec := range strings.Split(alarms, "\n### ")[1:] {
		title, text, _ := strings.Cut(sec, "\n")
		out[strings.TrimSpace(title)] = text
	}
	return out
}

// TestTemplateAlarms: every alarm notifies the alarm topic (the stack's own
// unless one is given), reads metrics that exist, and has a runbook section
// of its name in docs/operations.md with what it means, the Logs Insights
// query and what to do; every section is an alarm's.
func TestTemplateAlarms(t *testing.T) {
	tpl := readTemplate(t)
	resources := at(t, tpl, "Resources").(map[string]any)
	if at(t, resources, "AlarmTopic", "Type") != "AWS::SNS::Topic" || at(t, resources, "AlarmTopic", "Condition") != "CreateAlarmTopic" {
		t.Errorf("the stack must create the alarm topic unless AlarmTopicArn is given")
	}
	sub := at(t, resources, "AlarmEmailSubscription")
	if at(t, sub, "Condition") != "HasAlarmEmail" || at(t, sub, "Properties", "Protocol") != "email" ||
		fmt.Sprint(at(t, sub, "Properties", "Endpoint")) != "map[Ref:AlarmEmail]" {
		t.Errorf("alarm email subscription %v", sub)
	}
	if fmt.Sprint(at(t, tpl, "Conditions", "CreateAlarmTopic")) != `map[Fn::Equals:[map[Ref:AlarmTopicArn] ]]` {
		t.Errorf("CreateAlarmTopic = %v", at(t, tpl, "Conditions", "CreateAlarmTopic"))
	}
	topic := "[map[Fn::If:[CreateAlarmTopic map[Ref:AlarmTopic] map[Ref:AlarmTopicArn]]]]"
	runbook := runbookSections(t)
	code := emitted(t)
	alarms := map[string]map[string]any{}
	for name, r := range resources {
		if at(t, r, "Type") == "AWS::CloudWatch::Alarm" {
			alarms[name] = at(t, r, "Properties").(map[string]any)
		}
	}
	for _, want := range []string{"DeadLetterAlarm", "WorkerErrorsAlarm", "OldestJobAlarm", "SchedulerStoppedAlarm",
		"SchedulerErrorsAlarm", "ApiErrorsAlarm", "HiresUnknownAlarm", "TenantBackoffAlarm"} {
		if alarms[want] == nil {
			t.Errorf("no %s", want)
		}
	}
	for name, p := range alarms {
		if got := fmt.Sprint(p["AlarmActions"]); got != topic {
			t.Errorf("%s: AlarmActions %s, want the alarm topic", name, got)
		}
		// The metrics it reads: one, or a metric math expression's.
		type ref struct{ ns, name string }
		var refs []ref
		if ms, ok := p["Metrics"].([]any); ok {
			for _, m := range ms {
				if stat, ok := m.(map[string]any)["MetricStat"]; ok {
					refs = append(refs, ref{fmt.Sprint(at(t, stat, "Metric", "Namespace")), fmt.Sprint(at(t, stat, "Metric", "MetricName"))})
				}
			}
		} else {
			refs = append(refs, ref{fmt.Sprint(p["Namespace"]), fmt.Sprint(p["MetricName"])})
		}
		for _, r := range refs {
			switch {
			case r.ns == "map[Fn::Sub:"+namespaceSub+"]":
				if code[r.name] == nil {
					t.Errorf("%s: alarm on %s, which the code never writes", name, r.name)
				}
			case !strings.HasPrefix(r.ns, "AWS/"):
				t.Errorf("%s: namespace %s", name, r.ns)
			}
		}
		sec, ok := runbook[name]
		if !ok {
			t.Errorf("%s has no runbook section (### %s under ## Alarms in docs/operations.md)", name, name)
			continue
		}
		for _, part := range []string{"**What it means**", "**Logs Insights**", "**What to do**"} {
			if !strings.Contains(sec, part) {
				t.Errorf("runbook %s: no %s", name, part)
			}
		}
		// The query itself, ready to paste: fields and a filter, in a code block.
		if q, ok := between(sec, "```", "```"); !ok || !strings.Contains(q, "fields ") || !strings.Contains(q, "filter ") {
			t.Errorf("runbook %s: no Logs Insights query in a code block", name)
		}
	}
	for title := range runbook {
		if alarms[title] == nil {
			t.Errorf("runbook section %q names no alarm of template.yaml", title)
		}
	}
	// One slot, 20 minutes: as the brief of each alarm says.
	if n := number(t, alarms["OldestJobAlarm"]["Threshold"]); n != 600 {
		t.Errorf("OldestJobAlarm threshold %ds, want one slot (600s)", n)
	}
	st := alarms["SchedulerStoppedAlarm"]
	if number(t, st["Period"])*number(t, st["EvaluationPeriods"]) != 1200 || st["TreatMissingData"] != "breaching" {
		t.Errorf("SchedulerStoppedAlarm must fire after 20 minutes without an invocation (missing data breaching): %v", st)
	}
}

func between(s, open, close string) (string, bool) {
	_, rest, ok := strings.Cut(s, open)
	if !ok {
		return "", false
	}
	in, _, ok := strings.Cut(rest, close)
	return in, ok
}

// TestTemplateEventBus: the functions that publish (worker, API) may put
// events on the service's bus and nowhere else; the scheduler may not.
func TestTemplateEventBus(t *testing.T) {
	tpl := readTemplate(t)
	if at(t, tpl, "Resources", "EventBus", "Type") != "AWS::Events::EventBus" {
		t.Fatal("no event bus")
	}
	if got := fmt.Sprint(at(t, tpl, "Globals", "Function", "Environment", "Variables", "EVENT_BUS_NAME")); got != "map[Ref:EventBus]" {
		t.Errorf("EVENT_BUS_NAME = %s", got)
	}
	for _, fn := range []string{"WorkerFunction", "ApiFunction"} {
		res, ok := statements(t, tpl, fn)["events:PutEvents"]
		if !ok || res != "map[Fn::GetAtt:EventBus.Arn]" {
			t.Errorf("%s: events:PutEvents on %q, want the event bus only", fn, res)
		}
	}
	if _, ok := at(t, tpl, "Resources", "SchedulerFunction", "Properties").(map[string]any)["Policies"]; ok {
		if _, ok := statements(t, tpl, "SchedulerFunction")["events:PutEvents"]; ok {
			t.Error("the scheduler publishes no event")
		}
	}
}

// TestTemplateMemory: each function's memory holds what the benchmarks
// measured (docs/performance.md, "Memory"), and each tells the Go runtime its
// ceiling (GOMEMLIMIT) below the function's memory, leaving room for the
// runtime, stacks and binary, so that the collector works harder near the
// limit instead of the function running out of memory.
func TestTemplateMemory(t *testing.T) {
	tpl := readTemplate(t)
	// MiB the Go heap must be able to hold, from the benchmarks: the worker
	// five 50,000-person runs' live heaps at once (5 × ~155 MiB) over a
	// process of ~20 MiB; the scheduler twice the heap peak of a
	// 100,000-tenant tick (~130 MiB); the API ten times a process serving a
	// 1,000-item plan page (~20 MiB).
	needs := map[string]int{"WorkerFunction": 5*155 + 20, "SchedulerFunction": 2 * 130, "ApiFunction": 2 * 20}
	for _, fn := range functions {
		props := at(t, tpl, "Resources", fn, "Properties")
		memMB := number(t, at(t, props, "MemorySize"))
		limit := fmt.Sprint(at(t, props, "Environment", "Variables", "GOMEMLIMIT"))
		mib, ok := strings.CutSuffix(limit, "MiB")
		if !ok {
			t.Errorf("%s: GOMEMLIMIT %q, want MiB", fn, limit)
			continue
		}
		lim := number(t, mib)
		memMiB := float64(memMB) * 1e6 / (1 << 20)
		if f := float64(lim) / memMiB; f < 0.75 || f > 0.9 {
			t.Errorf("%s: GOMEMLIMIT %d MiB is %.0f %% of its %d MB, want 75-90 %%", fn, lim, 100*f, memMB)
		}
		if lim < needs[fn] {
			t.Errorf("%s: GOMEMLIMIT %d MiB, the benchmarks need %d", fn, lim, needs[fn])
		}
	}
}
