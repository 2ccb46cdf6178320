package localstack

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

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
				c.external() || !c.FirstSync || !c.ProcessEnv {
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
		{name: "interval not a duration", env: map[string]string{"SYNC_INTERVAL": "10"}, field: "SYNC_INTERVAL"},
		{name: "external URLs and demo credentials", env: map[string]string{
			"TRINET_BASE_URL": "https://api.trinet.example/", "LEAPSOME_BASE_URL": "https://api.leapsome.example/v1",
			"LEAPSOME_SCIM_URL": "https://api.leapsome.example/scim/v1", "DEMO_TRINET_COMPANY_ID": "CJ6",
			"DEMO_TRINET_CLIENT_ID": "id", "DEMO_TRINET_CLIENT_SECRET": "secret", "DEMO_LEAPSOME_API_SECRET": "ls",
		}, check: func(t *testing.T, c Config) {
			if c.TriNetURL != "https://api.trinet.example" || !c.external() || !c.DemoCredentials.complete() || c.DemoCredentials.LeapsomeSCIMToken != "" {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "TriNet URL with a path", env: map[string]string{"TRINET_BASE_URL": "https://api.trinet.example/v1"}, field: "TRINET_BASE_URL"},
		{name: "TriNet URL not http", env: map[string]string{"TRINET_BASE_URL": "api.trinet.example"}, field: "TRINET_BASE_URL"},
		{name: "Leapsome URL without /v1", env: map[string]string{"LEAPSOME_BASE_URL": "https://api.leapsome.example"}, field: "LEAPSOME_BASE_URL"},
		{name: "SCIM URL without /scim/v1", env: map[string]string{"LEAPSOME_SCIM_URL": "https://api.leapsome.example/v1"}, field: "LEAPSOME_SCIM_URL"},
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

// TestPollerDeadLettersAPoisonMessage: a message the worker cannot read is
// reported as a batch item failure each time, never deleted, and after the
// queue's receive limit the redrive policy moves it to the dead-letter queue.
func TestPollerDeadLettersAPoisonMessage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out := &syncBuffer{}
	st := startStack(t, ctx, Config{APIAddr: "127.0.0.1:0", VisibilityTimeout: time.Second, MaxReceiveCount: 2, Progress: out,
		Logger: slog.New(slog.DiscardHandler)})
	defer st.Close()
	q := st.Services.AWS.SQS
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(st.Infra.QueueURL), MessageBody: aws.String(`{"v":1,"tenantId":"Not A Tenant"}`)}); err != nil {
		t.Fatal(err)
	}
	var body string
	poll(t, "the poison message in the dead-letter queue", 45*time.Second, func() bool {
		got, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(st.Infra.DLQURL), MaxNumberOfMessages: 1})
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
	if !strings.Contains(out.String(), "dead-letter queue") {
		t.Fatalf("no progress line about the dead letter:\n%s", out)
	}
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
