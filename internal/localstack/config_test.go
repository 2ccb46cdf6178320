package localstack

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"trinetsync/internal/app"
	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
	"trinetsync/internal/sandbox/demo"
	leapsomesandbox "trinetsync/internal/sandbox/leapsome"
	trinetsandbox "trinetsync/internal/sandbox/trinet"
)

func TestConfigFromEnv(t *testing.T) {
	cases := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c Config)
		field string // the variable a bad value names
	}{
		{name: "defaults", env: map[string]string{}, check: func(t *testing.T, c Config) {
			if c.DataDir != ".local" || c.APIAddr != "127.0.0.1:8080" || c.SyncInterval != 10*time.Minute || c.DemoTenant != "demo" ||
				c.external() || !c.FirstSync {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "empty DEMO_TENANT means none", env: map[string]string{"DEMO_TENANT": ""}, check: func(t *testing.T, c Config) {
			if c.DemoTenant != "" {
				t.Fatalf("demo tenant %q", c.DemoTenant)
			}
		}},
		{name: "own demo tenant", env: map[string]string{"DEMO_TENANT": "acme-test"}, check: func(t *testing.T, c Config) {
			if c.DemoTenant != "acme-test" {
				t.Fatalf("demo tenant %q", c.DemoTenant)
			}
		}},
		{name: "bad demo tenant", env: map[string]string{"DEMO_TENANT": "Acme_Test"}, field: "DEMO_TENANT"},
		{name: "interval", env: map[string]string{"SYNC_INTERVAL": "30s"}, check: func(t *testing.T, c Config) {
			if c.SyncInterval != 30*time.Second {
				t.Fatalf("interval %s", c.SyncInterval)
			}
		}},
		{name: "interval too short", env: map[string]string{"SYNC_INTERVAL": "500ms"}, field: "SYNC_INTERVAL"},
		// HS256 wants a key at least as long as its hash.
		{name: "short JWT secret", env: map[string]string{"LOCAL_JWT_SECRET": "secret"}, field: "LOCAL_JWT_SECRET"},
		{name: "JWT secret one byte short", env: map[string]string{"LOCAL_JWT_SECRET": strings.Repeat("k", 31)}, field: "LOCAL_JWT_SECRET"},
		{name: "JWT secret of 32 bytes", env: map[string]string{"LOCAL_JWT_SECRET": strings.Repeat("k", 32)}, check: func(t *testing.T, c Config) {
			if c.JWTSecret != strings.Repeat("k", 32) {
				t.Fatalf("JWT secret %q", c.JWTSecret)
			}
		}},
		{name: "interval not a duration", env: map[string]string{"SYNC_INTERVAL": "10"}, field: "SYNC_INTERVAL"},
		{name: "external URLs and demo credentials", env: map[string]string{
			"TRINET_BASE_URL": "https://api.trinet.example/", "LEAPSOME_BASE_URL": "https://api.leapsome.example/v1",
			"LEAPSOME_SCIM_URL": "https://api.leapsome.example/scim/v1", "DEMO_TRINET_COMPANY_ID": "CJ6",
			"DEMO_TRINET_CLIENT_ID": "id", "DEMO_TRINET_CLIENT_SECRET": "secret", "DEMO_LEAPSOME_API_SECRET": "ls",
		}, check: func(t *testing.T, c Config) {
			if c.TriNetURL != "https://api.trinet.example" || !c.external() || len(c.DemoCredentials.missing(true, true)) != 0 || c.DemoCredentials.LeapsomeSCIMToken != "" {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "TriNet URL with a path", env: map[string]string{"TRINET_BASE_URL": "https://api.trinet.example/v1"}, field: "TRINET_BASE_URL"},
		{name: "TriNet URL not http", env: map[string]string{"TRINET_BASE_URL": "api.trinet.example"}, field: "TRINET_BASE_URL"},
		{name: "Leapsome URL without /v1", env: map[string]string{"LEAPSOME_BASE_URL": "https://api.leapsome.example"}, field: "LEAPSOME_BASE_URL"},
		{name: "SCIM URL without /scim/v1", env: map[string]string{"LEAPSOME_SCIM_URL": "https://api.leapsome.example/v1"}, field: "LEAPSOME_SCIM_URL"},
		{name: "Leapsome Content API URL that is SCIM's", env: map[string]string{"LEAPSOME_BASE_URL": "https://api.leapsome.example/scim/v1"}, field: "LEAPSOME_BASE_URL"},
		// One Leapsome account serves both APIs: one URL names both, so half
		// of it is never real and half the sandbox (two companies).
		{name: "Leapsome Content API without SCIM", env: map[string]string{"LEAPSOME_BASE_URL": "https://api.leapsome.example/v1"}, check: func(t *testing.T, c Config) {
			if c.LeapsomeSCIMURL != "https://api.leapsome.example/scim/v1" || !c.leapsomeExternal() {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "Leapsome SCIM without Content API", env: map[string]string{"LEAPSOME_SCIM_URL": "https://api.leapsome.example/scim/v1"}, check: func(t *testing.T, c Config) {
			if c.LeapsomeURL != "https://api.leapsome.example/v1" || !c.leapsomeExternal() {
				t.Fatalf("%+v", c)
			}
		}},
		// An outside Leapsome under a path of its own is taken as given.
		{name: "Leapsome under a path prefix", env: map[string]string{
			"LEAPSOME_BASE_URL": "http://127.0.0.1:9400/leapsome/v1", "LEAPSOME_SCIM_URL": "http://127.0.0.1:9400/leapsome/scim/v1",
		}, check: func(t *testing.T, c Config) {
			if c.LeapsomeURL != "http://127.0.0.1:9400/leapsome/v1" || c.LeapsomeSCIMURL != "http://127.0.0.1:9400/leapsome/scim/v1" {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "only TriNet external", env: map[string]string{"TRINET_BASE_URL": "https://api.trinet.example"}, check: func(t *testing.T, c Config) {
			if !c.trinetExternal() || c.leapsomeExternal() {
				t.Fatalf("%+v", c)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ConfigFromEnv(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
			if tc.field != "" {
				if !errors.Is(err, fault.ErrValidation) || fault.FieldOf(err) != tc.field {
					t.Fatalf("error %v, want a validation error naming %s", err, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestStartNamesWhatIsMissing(t *testing.T) {
	ctx := context.Background()
	t.Run("node", func(t *testing.T) {
		t.Setenv("DYNALITE_BIN", "")
		t.Setenv("PATH", t.TempDir())
		_, err := Start(ctx, Config{DataDir: t.TempDir(), APIAddr: "127.0.0.1:0"})
		if err == nil || !strings.Contains(err.Error(), "Node.js") || !strings.Contains(err.Error(), "npm") {
			t.Fatalf("error %v, want one naming Node.js and npm", err)
		}
	})
	t.Run("busy API port", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		_, err = Start(ctx, Config{DataDir: t.TempDir(), APIAddr: ln.Addr().String()})
		if err == nil || !strings.Contains(err.Error(), "API_ADDR") {
			t.Fatalf("error %v, want one naming API_ADDR", err)
		}
	})
}

func TestProgressLines(t *testing.T) {
	out := &syncBuffer{}
	clock := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	p := &progress{out: out, now: func() time.Time { return clock }, starts: map[string]time.Time{}}
	log := slogWith(slog.New(slog.DiscardHandler), p)
	run := log.With("tenant", "demo", "syncId", "manual-1")
	run.Info(msgRunStarted, "trigger", provision.TriggerManual, "dryRun", true, "cursor", "")
	clock = clock.Add(2500 * time.Millisecond)
	run.Info(msgRunFinished, "status", provision.RunPartial, "counts", provision.Counts{Created: 6, Linked: 19, Errors: 6, Warnings: 1})
	log.With("tenant", "demo", "syncId", "sched-1").Info(msgRunFinished, "status", provision.RunFailed, "counts", provision.Counts{}, "code", "credentials_revoked")
	log.Info(msgTick, "slot", clock.Truncate(10*time.Minute), "enqueued", 3, "backedOff", 1)
	log.Info("tenant connected", "tenant", "demo")
	want := strings.Join([]string{
		"09:00:00 sync demo manual-1 started (manual, dry run)",
		"09:00:02 sync demo manual-1 finished partial in 2.5s: created 6, linked 19, errors 6, warnings 1",
		"09:00:02 sync demo sched-1 finished failed (credentials_revoked)",
		"09:00:02 tick 09:00Z: 3 sync(s) queued, 1 tenant(s) backing off",
		"",
	}, "\n")
	if out.String() != want {
		t.Fatalf("progress:\n%s\nwant:\n%s", out.String(), want)
	}
}

// TestPollerDeadLettersAPoisonMessage: a message the worker reports as a
// batch item failure each time is never deleted, comes back after the
// queue's visibility timeout with a growing receive count, and after the
// queue's receive limit the redrive policy moves it to the dead-letter queue.
// The handler fails at once: the real worker also delays a failed message's
// next delivery by 30s and more, which would make this test slow.
func TestPollerDeadLettersAPoisonMessage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	inf, err := StartInfra(ctx, InfraConfig{QueueConfig: app.QueueConfig{WorkerTimeout: time.Second, VisibilityTimeout: time.Second, MaxReceiveCount: 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer inf.Close()
	q := inf.AWS.SQS
	if got := queueAttr(t, ctx, q, inf.QueueURL, sqstypes.QueueAttributeNameVisibilityTimeout); got != "1" {
		t.Fatalf("jobs queue visibility %q, want 1", got)
	}
	out := &syncBuffer{}
	h := &failingHandler{}
	p := &poller{sqs: q, queueURL: inf.QueueURL, handler: h, batch: 5, timeout: inf.WorkerTimeout, maxReceive: inf.MaxReceiveCount,
		log: slog.New(slog.DiscardHandler), progress: &progress{out: out, now: time.Now, starts: map[string]time.Time{}}, receives: map[string]int{}}
	pollCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.run(pollCtx, pollCtx)
	}()
	defer func() {
		stop()
		<-done
	}()
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(inf.QueueURL), MessageBody: aws.String(`{"v":1,"tenantId":"Not A Tenant"}`)}); err != nil {
		t.Fatal(err)
	}
	var body string
	poll(t, "the poison message in the dead-letter queue", 30*time.Second, func() bool {
		got, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(inf.DLQURL), MaxNumberOfMessages: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Messages) == 1 {
			body = aws.ToString(got.Messages[0].Body)
		}
		return body != ""
	})
	if !strings.Contains(body, "Not A Tenant") {
		t.Fatalf("dead letter %q", body)
	}
	if got := h.counts(); !slices.Equal(got, []string{"1", "2"}) {
		t.Fatalf("the handler saw receive counts %v, want [1 2]", got)
	}
	if !strings.Contains(out.String(), "dead-letter queue") {
		t.Fatalf("no progress line about the dead letter:\n%s", out)
	}
}

// failingHandler reports every message as a batch item failure and keeps
// the receive counts it was given.
type failingHandler struct {
	mu   sync.Mutex
	seen []string
}

func (f *failingHandler) Handle(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var r events.SQSEventResponse
	for _, m := range ev.Records {
		f.seen = append(f.seen, m.Attributes["ApproximateReceiveCount"])
		r.BatchItemFailures = append(r.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
	}
	return r, nil
}

func (f *failingHandler) counts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.seen)
}

// TestExternalAPIs: with the APIs' URLs given, no sandbox is started, and
// the demo tenant is connected only with the DEMO_* credentials, to default
// settings (auto-create off), its start sync being a dry run.
func TestExternalAPIs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Stand-ins for the real APIs: the sandboxes, served on their own.
	ls, tn := leapsomesandbox.New(leapsomesandbox.Options{}), trinetsandbox.New(trinetsandbox.Options{})
	creds, err := demo.Seed(ls, tn, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	lsSrv, tnSrv := httptest.NewServer(ls), httptest.NewServer(tn)
	defer lsSrv.Close()
	defer tnSrv.Close()
	base := Config{
		APIAddr: "127.0.0.1:0", DemoTenant: "mycompany", FirstSync: true, Logger: testLogger(),
		TriNetURL: tnSrv.URL, LeapsomeURL: lsSrv.URL + "/v1", LeapsomeSCIMURL: lsSrv.URL + "/scim/v1",
	}

	t.Run("without credentials", func(t *testing.T) {
		st := startStack(t, ctx, base)
		defer st.Close()
		if st.Infra.TriNet != nil || st.Infra.Leapsome != nil {
			t.Fatal("a sandbox was started although its URL was given")
		}
		if st.DemoTenant != "" || st.FirstSyncID != "" || !strings.Contains(st.DemoNote, "DEMO_TRINET_CLIENT_SECRET") {
			t.Fatalf("demo tenant %q, first sync %q, note %q", st.DemoTenant, st.FirstSyncID, st.DemoNote)
		}
	})
	t.Run("with credentials", func(t *testing.T) {
		cfg := base
		cfg.DemoCredentials = DemoCredentials{
			TriNetCompanyID: creds.TriNetCompanyID, TriNetClientID: creds.TriNetClientID, TriNetClientSecret: creds.TriNetClientSecret,
			LeapsomeAPISecret: creds.LeapsomeAPISecret,
		}
		st := startStack(t, ctx, cfg)
		defer st.Close()
		c := st.client(t, "mycompany", false)
		r := c.waitRun("mycompany", st.FirstSyncID)
		if !r.DryRun || r.Status != "partial" || r.Counts["suggested"] == 0 || r.Counts["created"] != 0 {
			t.Fatalf("start sync against the given accounts: %+v", r)
		}
		var set provision.Settings
		c.call(http.MethodGet, "/v1/tenants/mycompany/settings", nil, http.StatusOK, &set)
		if set.AutoCreateNewHires {
			t.Fatal("auto-create is on for real accounts")
		}
		if ws := tn.Writes(creds.TriNetCompanyID); len(ws) != 0 {
			t.Fatalf("TriNet received writes: %+v", ws)
		}
	})
}

// TestOneExternalAPI: with one API's URL given, the other's sandbox runs
// seeded with its side of the demo company, and the demo tenant connects
// with only the external API's credentials given (the sandbox's being the
// demo company's). The external API is simulated by the other sandbox,
// seeded with its own side, on its own server.
func TestOneExternalAPI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := demo.DefaultCredentials()
	// checkStart: the start's sync is a dry run against both sides of the
	// demo company, so it plans both links and hire suggestions.
	checkStart := func(t *testing.T, st *Stack) {
		t.Helper()
		if st.DemoTenant != "mycompany" || st.FirstSyncID == "" {
			t.Fatalf("demo tenant %q, first sync %q, note %q", st.DemoTenant, st.FirstSyncID, st.DemoNote)
		}
		c := st.client(t, "mycompany", false)
		r := c.waitRun("mycompany", st.FirstSyncID)
		if !r.DryRun || r.Status != "partial" || r.Counts["suggested"] == 0 || r.Counts["linked"] == 0 || r.Counts["created"] != 0 {
			t.Fatalf("start sync: %+v", r)
		}
	}

	t.Run("TriNet external", func(t *testing.T) {
		tn := trinetsandbox.New(trinetsandbox.Options{})
		if _, err := demo.SeedTriNet(tn, time.Now()); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(tn)
		defer srv.Close()
		st := startStack(t, ctx, Config{
			APIAddr: "127.0.0.1:0", DemoTenant: "mycompany", FirstSync: true, Logger: testLogger(), TriNetURL: srv.URL,
			DemoCredentials: DemoCredentials{TriNetCompanyID: d.TriNetCompanyID, TriNetClientID: d.TriNetClientID, TriNetClientSecret: d.TriNetClientSecret},
		})
		defer st.Close()
		if st.Infra.TriNet != nil || st.Infra.Leapsome == nil {
			t.Fatal("want the Leapsome sandbox alone")
		}
		if n := len(st.Infra.Leapsome.Employees(d.LeapsomeTenant)); n != 36 {
			t.Fatalf("the Leapsome sandbox holds %d demo people, want 36", n)
		}
		checkStart(t, st)
		if ws := tn.Writes(d.TriNetCompanyID); len(ws) != 0 {
			t.Fatalf("the external TriNet received writes: %+v", ws)
		}
	})

	t.Run("Leapsome external", func(t *testing.T) {
		ls := leapsomesandbox.New(leapsomesandbox.Options{})
		if _, err := demo.SeedLeapsome(ls, time.Now()); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(ls)
		defer srv.Close()
		st := startStack(t, ctx, Config{
			APIAddr: "127.0.0.1:0", DemoTenant: "mycompany", FirstSync: true, Logger: testLogger(),
			LeapsomeURL: srv.URL + "/v1", LeapsomeSCIMURL: srv.URL + "/scim/v1",
			DemoCredentials: DemoCredentials{LeapsomeAPISecret: d.LeapsomeAPISecret, LeapsomeSCIMToken: d.LeapsomeSCIMToken},
		})
		defer st.Close()
		if st.Infra.Leapsome != nil || st.Infra.TriNet == nil {
			t.Fatal("want the TriNet sandbox alone")
		}
		if n := len(st.Infra.TriNet.Employees(d.TriNetCompanyID)); n != 22 {
			t.Fatalf("the TriNet sandbox holds %d demo employees, want 22", n)
		}
		checkStart(t, st)
		if ws := st.Infra.TriNet.Writes(d.TriNetCompanyID); len(ws) != 0 {
			t.Fatalf("the TriNet sandbox received writes from a dry run: %+v", ws)
		}
	})
}

// TestQueueVisibilityFollowsWorkerTimeout: the jobs queue's visibility is 6
// × the worker timeout unless given (Lambda refuses a queue whose visibility
// is below the function's timeout; template.yaml has 1800s for 300s), so a
// run longer than a minute is not delivered again mid-run.
func TestQueueVisibilityFollowsWorkerTimeout(t *testing.T) {
	cases := []struct {
		name               string
		in                 Config
		worker, visibility time.Duration
		maxReceive         int
	}{
		{name: "defaults as in template.yaml", in: Config{}, worker: 300 * time.Second, visibility: 1800 * time.Second, maxReceive: 5},
		{name: "shorter worker timeout", in: Config{QueueConfig: app.QueueConfig{WorkerTimeout: 10 * time.Second}}, worker: 10 * time.Second, visibility: time.Minute, maxReceive: 5},
		{name: "given visibility", in: Config{QueueConfig: app.QueueConfig{WorkerTimeout: 10 * time.Second, VisibilityTimeout: 15 * time.Second, MaxReceiveCount: 2}},
			worker: 10 * time.Second, visibility: 15 * time.Second, maxReceive: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.in
			c.withDefaults()
			if c.WorkerTimeout != tc.worker || c.VisibilityTimeout != tc.visibility || c.MaxReceiveCount != tc.maxReceive {
				t.Fatalf("worker timeout %s, visibility %s, max receives %d; want %s, %s, %d",
					c.WorkerTimeout, c.VisibilityTimeout, c.MaxReceiveCount, tc.worker, tc.visibility, tc.maxReceive)
			}
		})
	}

	t.Run("visibility below the worker timeout is refused", func(t *testing.T) {
		_, err := Start(context.Background(), Config{APIAddr: "127.0.0.1:0", QueueConfig: app.QueueConfig{WorkerTimeout: time.Minute, VisibilityTimeout: 30 * time.Second}})
		if !errors.Is(err, fault.ErrValidation) || fault.FieldOf(err) != "VisibilityTimeout" {
			t.Fatalf("error %v, want a validation error naming VisibilityTimeout", err)
		}
		_, err = StartInfra(context.Background(), InfraConfig{QueueConfig: app.QueueConfig{WorkerTimeout: time.Minute, VisibilityTimeout: 30 * time.Second}})
		if !errors.Is(err, fault.ErrValidation) || fault.FieldOf(err) != "VisibilityTimeout" {
			t.Fatalf("StartInfra: error %v, want a validation error naming VisibilityTimeout", err)
		}
	})

	t.Run("the queue and the service agree", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		inf, err := StartInfra(ctx, InfraConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer inf.Close()
		if got := queueAttr(t, ctx, inf.AWS.SQS, inf.QueueURL, sqstypes.QueueAttributeNameVisibilityTimeout); got != "1800" {
			t.Fatalf("jobs queue visibility %qs, want 1800s", got)
		}
		redrive := queueAttr(t, ctx, inf.AWS.SQS, inf.QueueURL, sqstypes.QueueAttributeNameRedrivePolicy)
		if r := strings.ReplaceAll(redrive, " ", ""); !strings.Contains(r, `"maxReceiveCount":5`) && !strings.Contains(r, `"maxReceiveCount":"5"`) {
			t.Fatalf("redrive policy %s", redrive)
		}
		// The functions' environment and the configuration built from it say
		// the same as the queue.
		fromEnv, err := app.LoadConfig(envLookup(inf.Env(10 * time.Minute)))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []app.Config{fromEnv, inf.Config(10 * time.Minute)} {
			if c.WorkerTimeout != 300*time.Second || c.VisibilityTimeout != 1800*time.Second || c.MaxReceiveCount != 5 {
				t.Fatalf("service configuration: worker timeout %s, visibility %s, max receives %d", c.WorkerTimeout, c.VisibilityTimeout, c.MaxReceiveCount)
			}
		}
		// The functions run under the Lambda emulator and the service built
		// in this process are configured alike, the schedule's spread
		// included (none locally: a tick runs at once).
		byHand := inf.Config(10 * time.Minute)
		byHand.MetricsNamespace = fromEnv.MetricsNamespace // Start gives it the default, as LoadConfig does
		if fromEnv != byHand {
			t.Fatalf("the functions' environment reads as\n%#v\nthe stack's configuration is\n%#v", fromEnv, byHand)
		}
	})
}

// TestOneLeapsomeURLIsRefused: a Config built by hand (not from the
// environment) with one Leapsome URL is refused before anything starts.
func TestOneLeapsomeURLIsRefused(t *testing.T) {
	cases := []struct{ content, scim, field string }{
		{content: "http://127.0.0.1:1/v1", field: "LeapsomeSCIMURL"},
		{scim: "http://127.0.0.1:1/scim/v1", field: "LeapsomeURL"},
	}
	for _, tc := range cases {
		_, err := Start(context.Background(), Config{APIAddr: "127.0.0.1:0", LeapsomeURL: tc.content, LeapsomeSCIMURL: tc.scim})
		if !errors.Is(err, fault.ErrValidation) || fault.FieldOf(err) != tc.field {
			t.Fatalf("Start: error %v, want a validation error naming %s", err, tc.field)
		}
		_, err = StartInfra(context.Background(), InfraConfig{LeapsomeURL: tc.content, LeapsomeSCIMURL: tc.scim})
		if !errors.Is(err, fault.ErrValidation) || fault.FieldOf(err) != tc.field {
			t.Fatalf("StartInfra: error %v, want a validation error naming %s", err, tc.field)
		}
	}
}

// TestDemoCredentials: a sandbox's side of the demo tenant's credentials is
// its demo company's; only an external API's must be given.
func TestDemoCredentials(t *testing.T) {
	d := demo.DefaultCredentials()
	sandboxTriNet := DemoCredentials{TriNetCompanyID: d.TriNetCompanyID, TriNetClientID: d.TriNetClientID, TriNetClientSecret: d.TriNetClientSecret}
	givenTriNet := DemoCredentials{TriNetCompanyID: "CJ6", TriNetClientID: "id", TriNetClientSecret: "secret"}
	cases := []struct {
		name      string
		cfg       Config
		trinet    DemoCredentials // the TriNet half of the answer
		apiSecret string
		scimToken string
		missing   []string
	}{
		{name: "both sandboxes, given values ignored", cfg: Config{DemoCredentials: DemoCredentials{TriNetClientSecret: "x", LeapsomeAPISecret: "y"}},
			trinet: sandboxTriNet, apiSecret: d.LeapsomeAPISecret, scimToken: d.LeapsomeSCIMToken},
		{name: "TriNet external, nothing given", cfg: Config{TriNetURL: "https://api.trinet.example"},
			trinet: DemoCredentials{}, apiSecret: d.LeapsomeAPISecret, scimToken: d.LeapsomeSCIMToken,
			missing: []string{"DEMO_TRINET_COMPANY_ID", "DEMO_TRINET_CLIENT_ID", "DEMO_TRINET_CLIENT_SECRET"}},
		{name: "TriNet external, TriNet given", cfg: Config{TriNetURL: "https://api.trinet.example", DemoCredentials: givenTriNet},
			trinet: givenTriNet, apiSecret: d.LeapsomeAPISecret, scimToken: d.LeapsomeSCIMToken},
		{name: "Leapsome external, nothing given",
			cfg:    Config{LeapsomeURL: "https://api.leapsome.example/v1", LeapsomeSCIMURL: "https://api.leapsome.example/scim/v1"},
			trinet: sandboxTriNet, missing: []string{"DEMO_LEAPSOME_API_SECRET"}},
		{name: "Leapsome external, API secret given", cfg: Config{LeapsomeURL: "https://api.leapsome.example/v1",
			LeapsomeSCIMURL: "https://api.leapsome.example/scim/v1", DemoCredentials: DemoCredentials{LeapsomeAPISecret: "ls"}},
			trinet: sandboxTriNet, apiSecret: "ls"},
		{name: "both external, nothing given", cfg: Config{TriNetURL: "https://api.trinet.example", LeapsomeURL: "https://api.leapsome.example/v1",
			LeapsomeSCIMURL: "https://api.leapsome.example/scim/v1"},
			missing: []string{"DEMO_TRINET_COMPANY_ID", "DEMO_TRINET_CLIENT_ID", "DEMO_TRINET_CLIENT_SECRET", "DEMO_LEAPSOME_API_SECRET"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, missing := (&Stack{cfg: tc.cfg}).demoCredentials()
			want := tc.trinet
			want.LeapsomeAPISecret, want.LeapsomeSCIMToken = tc.apiSecret, tc.scimToken
			if got != want || !slices.Equal(missing, tc.missing) {
				t.Fatalf("credentials %+v missing %v; want %+v missing %v", got, missing, want, tc.missing)
			}
		})
	}
}

func queueAttr(t *testing.T, ctx context.Context, q *sqs.Client, url string, name sqstypes.QueueAttributeName) string {
	t.Helper()
	out, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{name}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes[string(name)]
}

// A JWT secret given to Start, or kept from an earlier start, is held to the
// same minimum as LOCAL_JWT_SECRET.
func TestJWTSecretMinimumLength(t *testing.T) {
	if _, err := jwtSecret(Config{JWTSecret: "short"}); fault.FieldOf(err) != "LOCAL_JWT_SECRET" {
		t.Fatalf("short given secret: %v, want an error naming LOCAL_JWT_SECRET", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, jwtSecretFile), []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := jwtSecret(Config{DataDir: dir}); err == nil || !strings.Contains(err.Error(), jwtSecretFile) {
		t.Fatalf("short kept secret: %v, want an error naming the file", err)
	}
	fresh, err := jwtSecret(Config{DataDir: t.TempDir()})
	if err != nil || len(fresh) < MinJWTSecretBytes {
		t.Fatalf("generated secret of %d bytes, %v", len(fresh), err)
	}
}
