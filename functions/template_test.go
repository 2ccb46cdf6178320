// Package functions_test checks the deployment description: template.yaml and
// the Makefile targets that sam build calls.
package functions_test

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
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
}

func TestTemplateAPI(t *testing.T) {
	tpl := readTemplate(t)
	jwt := at(t, tpl, "Resources", "HttpApi", "Properties", "Auth", "Authorizers", "JwtAuthorizer", "JwtConfiguration")
	if fmt.Sprint(at(t, jwt, "issuer")) != "map[Ref:JwtIssuer]" || fmt.Sprint(at(t, jwt, "audience")) != "map[Ref:JwtAudience]" {
		t.Errorf("JWT issuer/audience should be parameters: %v", jwt)
	}
	at(t, tpl, "Parameters", "JwtIssuer")
	at(t, tpl, "Parameters", "JwtAudience")
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
	if len(at(t, table, "GlobalSecondaryIndexes").([]any)) == 0 {
		t.Errorf("no GSI")
	}
}

func TestTemplateLeastPrivilege(t *testing.T) {
	tpl := readTemplate(t)
	for _, fn := range []string{"WorkerFunction", "ApiFunction"} {
		policies := at(t, tpl, "Resources", fn, "Properties", "Policies").([]any)
		found := false
		for _, p := range policies {
			pm, _ := p.(map[string]any)
			stmts, ok := pm["Statement"].([]any)
			if !ok {
				continue
			}
			for _, s := range stmts {
				res := fmt.Sprint(at(t, s, "Resource"))
				if strings.Contains(fmt.Sprint(at(t, s, "Action")), "secretsmanager:") {
					found = true
					if !strings.Contains(res, "${SecretPrefix}*") {
						t.Errorf("%s: secrets access not limited to the tenant prefix: %s", fn, res)
					}
				}
			}
		}
		if !found {
			t.Errorf("%s: no secrets statement", fn)
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
		})
	}
}
