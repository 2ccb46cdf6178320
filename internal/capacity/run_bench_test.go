package capacity_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"trinetsync/internal/app"
	"trinetsync/internal/localstack"
	"trinetsync/internal/provision"
	"trinetsync/internal/queue"
	"trinetsync/internal/secrets"
	"trinetsync/internal/store"
)

// callCounter counts the AWS API calls of the SDK clients it is installed
// in, by service and operation ("SQS.SendMessage").
type callCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *callCounter) option(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("countCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			if c.n == nil {
				c.n = map[string]int{}
			}
			c.n[middleware.GetServiceID(ctx)+"."+middleware.GetOperationName(ctx)]++
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
}

// take answers the counts so far and starts again from zero.
func (c *callCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = nil
	return n
}

func sum(calls map[string]int, service string) int {
	total := 0
	for k, v := range calls {
		if strings.HasPrefix(k, service+".") {
			total += v
		}
	}
	return total
}

// runWorld is one tenant of n people, connected, with every person linked:
// the worker's steady state, run through app.Runner as the worker function
// runs it, against dynalite, goaws, the Secrets Manager stand-in and the
// sandboxes (in their own process).
type runWorld struct {
	n      int
	tenant string
	runner *app.Runner
	store  *store.Store
	meter  *store.Capacity
	calls  *callCounter
	slot   time.Time
}

var quiet = slog.New(slog.DiscardHandler)

func newRunWorld(b *testing.B, n int, latency time.Duration) *runWorld {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	tnURL, lsURL := startSandboxes(b, n, latency)
	inf, err := localstack.StartInfra(ctx, localstack.InfraConfig{TriNetURL: tnURL, LeapsomeURL: lsURL + "/v1", LeapsomeSCIMURL: lsURL + "/scim/v1"})
	if err != nil {
		b.Fatalf("start the local infrastructure (dynalite, goaws): %v", err)
	}
	b.Cleanup(inf.Close)

	w := &runWorld{n: n, tenant: "bench", meter: &store.Capacity{}, calls: &callCounter{},
		slot: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	awsCfg := aws.Config{Region: localstack.Region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		APIOptions: []func(*middleware.Stack) error{w.calls.option}}
	ddb := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(inf.Dynalite.Endpoint()) })
	sqsc := sqs.NewFromConfig(awsCfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(inf.Goaws.Endpoint()) })
	sm := secretsmanager.NewFromConfig(awsCfg, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(inf.SecretsURL) })

	// Production's settings: the worker's timeout and queue, TriNet's pace
	// from its default of 10 requests/s (learned across runs, as in a warm
	// function), Leapsome at its documented limits.
	cfg := inf.Config(10 * time.Minute)
	cfg.TriNetRPS = 10
	w.store = store.New(w.meter.Client(ddb), store.Config{Table: localstack.TableName, Logger: quiet})
	sec := secrets.New(sm, secrets.Config{Prefix: cfg.SecretPrefix, Logger: quiet})
	pub := queue.NewPublisher(sqsc, cfg.QueueURL, queue.Options{Logger: quiet})
	w.runner = app.NewRunner(cfg, w.store, sec, pub, app.NewAPIClients(cfg, nil, quiet), provision.New(provision.Config{Logger: quiet}), nil, quiet)

	creds := secrets.Credentials{}
	creds.TriNet.CompanyID, creds.TriNet.ClientID, creds.TriNet.ClientSecret = benchCompany, benchClient, benchSecret
	creds.Leapsome.APISecret, creds.Leapsome.SCIMToken = benchLSSecret, benchSCIMToken
	bmust(b, sec.Put(ctx, w.tenant, creds))
	_, err = w.store.Connect(ctx, store.Tenant{ID: w.tenant, CompanyID: benchCompany, ClientIDMasked: "be…nt",
		SecretName: sec.Name(w.tenant), SCIMConfigured: true, ConnectedAt: time.Now().UTC()})
	bmust(b, err)
	bmust(b, w.store.SaveSettings(ctx, w.tenant, provision.Settings{AutoCreateNewHires: true, MassCreateMaxPercent: 20, Mappings: benchMappings()}))
	links := make([]provision.Link, n)
	for i := range links {
		links[i] = provision.Link{UserID: userID(i), EmployeeID: employeeID(i), CompanyID: benchCompany, Origin: provision.OriginEmail,
			Email: workEmail(i), LinkedAt: time.Now().UTC()}
	}
	bmust(b, w.store.PutLinks(ctx, w.tenant, links))
	// One run before measuring: the steady state is checked, and the
	// process's clients (tokens, pace) are warm, as in a function that has
	// run before.
	w.check(b, w.run(b))
	return w
}

func bmust(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// run runs the tenant's next scheduled job as the worker does, within the
// worker's timeout, and answers its sync id.
func (w *runWorld) run(b *testing.B) string {
	w.slot = w.slot.Add(10 * time.Minute)
	syncID := app.ScheduledSyncID(w.tenant, w.slot)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Second)
	defer cancel()
	out := w.runner.Handle(ctx, queue.Job{Version: queue.JobVersion, TenantID: w.tenant, SyncID: syncID, Trigger: provision.TriggerSchedule}, 1)
	if out.Retry {
		b.Fatalf("run %s asks to be retried", syncID)
	}
	return syncID
}

// check: the run succeeded with everyone unchanged.
func (w *runWorld) check(b *testing.B, syncID string) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := w.store.Run(ctx, w.tenant, syncID)
	bmust(b, err)
	if r.Status != provision.RunSucceeded || r.Counts.Unchanged != w.n || r.Counts.Warnings != 0 {
		b.Fatalf("run %s: %s, counts %+v; want succeeded with all %d unchanged", syncID, r.Status, r.Counts, w.n)
	}
}

// heapWatch samples the heap while a run goes: the heap in use (live and not
// yet swept objects plus free space in spans, what a memory limit must hold)
// and the live heap as of the last collection. runtime/metrics does not stop
// the world.
type heapWatch struct {
	stop       chan struct{}
	done       sync.WaitGroup
	inUse      uint64
	live       uint64
	totalBytes uint64
}

func watchHeap() *heapWatch {
	h := &heapWatch{stop: make(chan struct{})}
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			h.inUse = max(h.inUse, s[0].Value.Uint64()+s[1].Value.Uint64())
			h.live = max(h.live, s[2].Value.Uint64())
			h.totalBytes = max(h.totalBytes, s[3].Value.Uint64()-s[4].Value.Uint64())
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapWatch) end() (inUse, live, total float64) {
	close(h.stop)
	h.done.Wait()
	const mib = 1 << 20
	return float64(h.inUse) / mib, float64(h.live) / mib, float64(h.totalBytes) / mib
}

// peakRSS is the process's resident set high-water mark in MiB (Linux; 0
// elsewhere); resetPeakRSS starts it again from the current size.
func peakRSS() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// BenchmarkWorkerRun measures one scheduled run of a tenant in steady state
// (everyone linked, nothing changed) as the worker function runs it: the
// runner with the production clients, store, secrets and queue, against
// dynalite, goaws, the Secrets Manager stand-in and both sandboxes in a
// process of their own, every mapping target mapped. Per run it reports the
// wall time, the DynamoDB capacity units DynamoDB reported
// (ReturnConsumedCapacity), the AWS calls by service, and the process's heap
// peak, live heap peak, memory from the OS and resident set peak. latency is
// added by the sandboxes to every TriNet and Leapsome call.
func BenchmarkWorkerRun(b *testing.B) {
	for _, tc := range []struct {
		people  int
		latency time.Duration
	}{
		{100, 0}, {1000, 0}, {10_000, 0}, {50_000, 0},
		{100, 20 * time.Millisecond}, {1000, 20 * time.Millisecond}, {10_000, 20 * time.Millisecond}, {50_000, 20 * time.Millisecond},
	} {
		b.Run(fmt.Sprintf("people=%d/latency=%s", tc.people, tc.latency), func(b *testing.B) {
			w := newRunWorld(b, tc.people, tc.latency)
			var (
				wall                        time.Duration
				wcu, rcu                    float64
				calls                       = map[string]int{}
				inUse, live, total, rssPeak float64
			)
			runtime.GC()
			resetPeakRSS()
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				w.meter.Reset()
				w.calls.take()
				h := watchHeap()
				b.StartTimer()
				start := time.Now()
				syncID := w.run(b)
				wall += time.Since(start)
				b.StopTimer()
				i, l, t := h.end()
				inUse, live, total = max(inUse, i), max(live, l), max(total, t)
				used := w.meter.Used()
				wcu, rcu = wcu+used.Write, rcu+used.Read
				for k, v := range w.calls.take() {
					calls[k] += v
				}
				w.check(b, syncID)
				b.StartTimer()
			}
			b.StopTimer()
			rssPeak = peakRSS()
			per := float64(b.N)
			b.ReportMetric(wall.Seconds()/per, "s/run")
			b.ReportMetric(wcu/per, "WCU/run")
			b.ReportMetric(rcu/per, "RCU/run")
			b.ReportMetric(float64(sum(calls, "DynamoDB"))/per, "dynamodb-calls/run")
			b.ReportMetric(float64(sum(calls, "SQS"))/per, "sqs-calls/run")
			b.ReportMetric(float64(sum(calls, "Secrets Manager"))/per, "secrets-calls/run")
			b.ReportMetric(inUse, "MiB-heap-peak")
			b.ReportMetric(live, "MiB-live-peak")
			b.ReportMetric(total, "MiB-runtime-peak")
			if rssPeak > 0 {
				b.ReportMetric(rssPeak, "MiB-rss-peak")
			}
		})
	}
}
