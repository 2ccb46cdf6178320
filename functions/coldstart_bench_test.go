package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"trinetsync/internal/emulator"
	"trinetsync/internal/localstack"
)

// BenchmarkColdStart measures each function's bootstrap as Lambda gets it:
// its size (built as the Makefile builds it for provided.al2023, for arm64 as
// deployed and for this machine, whose build is the one run), and its cold
// start under the Runtime Interface Emulator: from starting the emulator
// with the bootstrap to the first answer, and the first invocation alone
// (the emulator starts the bootstrap when the first invocation arrives, so
// this one holds the process's start, its initialisation and the handler),
// against the second, warm invocation. Each function gets a cheap first
// event: the API GET /healthz, the worker an empty batch, the scheduler a
// tick over a table with no tenant.
func BenchmarkColdStart(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	rie, err := emulator.Binary("RIE_BIN", ".bin/aws-lambda-rie")
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := buildBootstraps(ctx, dir); err != nil {
		b.Fatal(err)
	}
	arm := b.TempDir()
	armSizes := map[string]int64{}
	for _, fn := range lambdaNames {
		out := filepath.Join(arm, fn)
		cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", out, "./functions/"+fn)
		root, err := emulator.ModuleRoot()
		if err != nil {
			b.Fatal(err)
		}
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("go build %s for arm64: %v\n%s", fn, err, msg)
		}
		st, err := os.Stat(out)
		if err != nil {
			b.Fatal(err)
		}
		armSizes[fn] = st.Size()
	}
	inf, err := localstack.StartInfra(ctx, localstack.InfraConfig{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(inf.Close)
	env := append(inf.Env(10*time.Minute), "AWS_LAMBDA_FUNCTION_TIMEOUT=60", "WORKER_TIMEOUT=60s", "LOG_LEVEL=warn",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512")

	firstEvents := map[string]any{
		"api": events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "$default", RawPath: "/healthz",
			RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: http.MethodGet, Path: "/healthz"}}},
		"worker":    events.SQSEvent{Records: []events.SQSMessage{}},
		"scheduler": events.EventBridgeEvent{Version: "0", DetailType: "Scheduled Event", Source: "aws.events", Time: time.Now().UTC()},
	}
	for _, fn := range lambdaNames {
		b.Run(fn, func(b *testing.B) {
			bootstrap := filepath.Join(dir, fn, "bootstrap")
			st, err := os.Stat(bootstrap)
			if err != nil {
				b.Fatal(err)
			}
			var toFirst, first, warm time.Duration
			for b.Loop() {
				port, err := emulator.FreePort()
				if err != nil {
					b.Fatal(err)
				}
				rport, err := emulator.FreePort()
				for err == nil && rport == port {
					rport, err = emulator.FreePort()
				}
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				p, err := emulator.Start(ctx, emulator.Spec{
					Name: "aws-lambda-rie " + fn, Path: rie,
					Args: []string{"--runtime-interface-emulator-address", "127.0.0.1:" + strconv.Itoa(port),
						"--runtime-api-address", "127.0.0.1:" + strconv.Itoa(rport), bootstrap},
					Env: append(env, "AWS_LAMBDA_FUNCTION_NAME=trinet-sync-"+fn), Dir: filepath.Dir(bootstrap), Port: port,
				})
				if err != nil {
					b.Fatal(err)
				}
				url := p.Endpoint() + "/2015-03-31/functions/function/invocations"
				sent := time.Now()
				invokeOnce(b, ctx, url, firstEvents[fn])
				toFirst += time.Since(start)
				first += time.Since(sent)
				sent = time.Now()
				invokeOnce(b, ctx, url, firstEvents[fn])
				warm += time.Since(sent)
				p.Stop()
			}
			n := float64(b.N)
			b.ReportMetric(float64(st.Size())/(1<<20), "MiB-bootstrap")
			b.ReportMetric(float64(armSizes[fn])/(1<<20), "MiB-bootstrap-arm64")
			b.ReportMetric(toFirst.Seconds()*1000/n, "ms-start-to-first-answer")
			b.ReportMetric(first.Seconds()*1000/n, "ms-first-invoke")
			b.ReportMetric(warm.Seconds()*1000/n, "ms-warm-invoke")
		})
	}
}

// invokeOnce sends one event and fails on a function error.
func invokeOnce(b *testing.B, ctx context.Context, url string, event any) {
	b.Helper()
	payload, err := json.Marshal(event)
	if err != nil {
		b.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		b.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var fnErr struct {
		ErrorType string `json:"errorType"`
	}
	_ = json.Unmarshal(body, &fnErr)
	if resp.StatusCode != http.StatusOK || fnErr.ErrorType != "" {
		b.Fatalf("invoke: HTTP %d: %s", resp.StatusCode, body)
	}
}
