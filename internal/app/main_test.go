package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"trinetsync/internal/api"
	"trinetsync/internal/app"
	"trinetsync/internal/fault"
	"trinetsync/internal/localstack"
	"trinetsync/internal/provision"
	"trinetsync/internal/queue"
	leapsomesandbox "trinetsync/internal/sandbox/leapsome"
	trinetsandbox "trinetsync/internal/sandbox/trinet"
	"trinetsync/internal/store"
)

// One set of emulators and sandboxes for the package. Each test gets its own
// table, queue, TriNet company, Leapsome tenant and tenant id, so tests run
// in parallel without seeing each other.
var (
	inf *localstack.Infra
	seq atomic.Int64
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	var emuLog io.Writer = io.Discard
	if os.Getenv("EMULATOR_LOG") != "" {
		emuLog = os.Stderr
	}
	var err error
	inf, err = localstack.StartInfra(ctx, localstack.InfraConfig{EmulatorLog: emuLog})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "app tests need the local infrastructure (dynalite, goaws):", err)
		return 1
	}
	defer inf.Close()
	return m.Run()
}

// clock is a settable test clock shared by the service, the runner and the store.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// logBuffer collects the service's JSON log lines for inspection.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// person is one member of a test company: in Leapsome, and in TriNet when
// employeeID is set.
type person struct {
	n          int
	first      string
	last       string
	title      string
	dept       string // Leapsome department name
	startDays  int    // start date relative to today
	employeeID string // TriNet employee id; "" = not in TriNet
	trinetDept string // TriNet department id when in TriNet
	trTitle    string // TriNet's title ("" = same as Leapsome)
}

// defaultPeople: two people TriNet already has (one with a stale title), one
// new hire, and one whose department TriNet lacks (a per-person error).
func defaultPeople() []person {
	return []person{
		{n: 1, first: "Ada", last: "Lovelace", title: "Engineer", dept: "Engineering", startDays: -400, employeeID: "10000001", trinetDept: "D1", trTitle: "Junior Engineer"},
		{n: 2, first: "Ben", last: "Turing", title: "Account Executive", dept: "Sales", startDays: -300, employeeID: "10000002", trinetDept: "D2"},
		{n: 3, first: "Cleo", last: "Hopper", title: "Engineer", dept: "Engineering", startDays: 7},
		{n: 4, first: "Dan", last: "Marketer", title: "Marketer", dept: "Marketing", startDays: -200, employeeID: "10000004", trinetDept: "D2"},
	}
}

// cleanPeople are defaultPeople without the person in error.
func cleanPeople() []person { return defaultPeople()[:3] }

// env is one test's tenant, wired to the shared infrastructure.
type env struct {
	t        *testing.T
	n        int64
	tenant   string
	clk      *clock
	logs     *logBuffer
	log      *slog.Logger
	cfg      app.Config
	svcs     *app.Wiring
	svc      *app.Backend
	runner   *app.Runner
	queueURL string
	company  string // TriNet company id
	lsTenant string // Leapsome tenant id
	domain   string
	people   []person
	creds    api.ConnectRequest
}

type envOption func(*envSetup)

type envSetup struct {
	people []person
	noSCIM bool
}

func withPeople(p []person) envOption { return func(s *envSetup) { s.people = p } }
func withoutSCIM() envOption          { return func(s *envSetup) { s.noSCIM = true } }

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func ctxFor(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newEnv gives the test a fresh table, queue, sandbox company and tenant id.
// The tenant is not connected yet.
func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	setup := envSetup{people: defaultPeople()}
	for _, o := range opts {
		o(&setup)
	}
	ctx := ctxFor(t)
	e := &env{t: t, clk: &clock{now: time.Now().UTC()}, logs: &logBuffer{}}
	e.name(setup)
	n := e.n
	e.log = slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	table := fmt.Sprintf("app-test-%d", n)
	if err := store.CreateTable(ctx, inf.AWS.DynamoDB, table); err != nil {
		t.Fatalf("create table: %v", err)
	}
	q, err := inf.AWS.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName:  aws.String(fmt.Sprintf("app-test-jobs-%d", n)),
		Attributes: map[string]string{"VisibilityTimeout": "60"},
	})
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}
	e.queueURL = aws.ToString(q.QueueUrl)

	e.cfg = inf.Config(10 * time.Minute)
	e.cfg.TableName, e.cfg.QueueURL = table, e.queueURL
	e.cfg.TriNetRPS = 1000 // the tests measure behaviour, not pacing
	e.svcs = app.NewWiring(e.cfg, inf.AWS, nil, e.log)
	e.svcs.Store = store.New(inf.AWS.DynamoDB, store.Config{Table: table, Now: e.clk.Now, Logger: e.log})
	e.svcs.Now = e.clk.Now
	e.svcs.Clients.RetryBaseDelay = time.Millisecond
	e.svcs.Clients.RetryMaxDelay = 2 * time.Millisecond
	e.svc = e.svcs.Backend()
	e.runner = e.svcs.Runner()

	e.seed(setup)
	t.Cleanup(func() { e.assertNoSecretsLogged() })
	return e
}

// name gives e a fresh number, tenant id and sandbox identities.
func (e *env) name(setup envSetup) {
	e.n = seq.Add(1)
	slug := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(e.t.Name()), "-"), "-")
	e.tenant = fmt.Sprintf("t%d-%s", e.n, slug)
	if len(e.tenant) > 63 {
		e.tenant = strings.TrimRight(e.tenant[:63], "-")
	}
	e.company, e.lsTenant = fmt.Sprintf("CO%d", e.n), fmt.Sprintf("ls%d", e.n)
	e.domain, e.people = fmt.Sprintf("co%d.example", e.n), setup.people
}

// sibling is another tenant, with its own sandbox company, served by the same
// table, queue, services and clock as e.
func (e *env) sibling(opts ...envOption) *env {
	e.t.Helper()
	setup := envSetup{people: defaultPeople()}
	for _, o := range opts {
		o(&setup)
	}
	s := *e
	s.name(setup)
	s.seed(setup)
	e.t.Cleanup(func() { s.assertNoSecretsLogged() })
	return &s
}

func (e *env) email(p person) string {
	return strings.ToLower(p.first) + "." + strings.ToLower(p.last) + "@" + e.domain
}

func (e *env) userID(p person) string { return fmt.Sprintf("%08x%016x", e.n, p.n) }

// seed creates the env's company in both sandboxes.
func (e *env) seed(setup envSetup) {
	e.t.Helper()
	tag := randHex(6)
	e.creds = api.ConnectRequest{
		TriNet: api.TriNetCredentials{
			CompanyID: e.company, ClientID: fmt.Sprintf("client-%d-%s", e.n, tag),
			ClientSecret: "tnsecret-" + randHex(12),
		},
		Leapsome: api.LeapsomeCredentials{APISecret: "lssecret-" + randHex(12)},
	}
	if !setup.noSCIM {
		e.creds.Leapsome.SCIMToken = "scimtoken-" + randHex(12)
	}
	err := inf.TriNet.AddCompany(trinetsandbox.Company{
		ID: e.company, Name: "Company " + e.company,
		ClientID: e.creds.TriNet.ClientID, ClientSecret: e.creds.TriNet.ClientSecret,
		Departments: []trinetsandbox.Department{{ID: "D1", Name: "Engineering"}, {ID: "D2", Name: "Sales"}},
		Locations:   []trinetsandbox.Location{{ID: "SF1", Name: "San Francisco", Country: "US"}},
	})
	if err != nil {
		e.t.Fatalf("add TriNet company: %v", err)
	}
	if err := inf.Leapsome.AddTenant(leapsomesandbox.Tenant{
		ID: e.lsTenant, APISecret: e.creds.Leapsome.APISecret, SCIMToken: e.creds.Leapsome.SCIMToken,
	}); err != nil {
		e.t.Fatalf("add Leapsome tenant: %v", err)
	}
	locID := fmt.Sprintf("%08x%016x", e.n, 0xffff)
	if err := inf.Leapsome.PutWorkLocation(e.lsTenant, leapsomesandbox.WorkLocation{
		ID: locID, Name: "San Francisco", Country: "United States", City: "San Francisco",
	}); err != nil {
		e.t.Fatalf("add work location: %v", err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for _, p := range e.people {
		start := today.AddDate(0, 0, p.startDays)
		err := inf.Leapsome.PutEmployee(e.lsTenant, leapsomesandbox.Employee{
			ID: e.userID(p), Email: e.email(p), FirstName: p.first, LastName: p.last,
			Status: "active", LifecycleStatus: "active", Title: p.title,
			Departments:  []leapsomesandbox.Ref{{Name: p.dept}},
			WorkLocation: &leapsomesandbox.Ref{ID: locID, Name: "San Francisco"},
			StartDate:    start.Format("2006-01-02"),
			Gender:       "female", Birthday: "1990-01-02",
		})
		if err != nil {
			e.t.Fatalf("add Leapsome person %d: %v", p.n, err)
		}
		if p.employeeID == "" {
			continue
		}
		title := p.title
		if p.trTitle != "" {
			title = p.trTitle
		}
		if _, err := inf.TriNet.PutEmployee(e.company, trinetsandbox.Employee{
			ID: p.employeeID, FirstName: p.first, LastName: p.last, Gender: "F", BirthDate: "1990-01-02",
			Country: "US", StartDate: start.Format(time.DateOnly), Title: title, EmployeeType: "F",
			FLSACode: "E", StandardHours: "40", WorkEmail: e.email(p), LocationID: "SF1", DeptID: p.trinetDept,
			ApprovalStatus: "A",
		}); err != nil {
			e.t.Fatalf("add TriNet employee %d: %v", p.n, err)
		}
	}
}

// secretValues are the strings that must never appear in a log line or an answer.
func (e *env) secretValues() []string {
	out := []string{e.creds.TriNet.ClientSecret, e.creds.Leapsome.APISecret, "1990-01-02"}
	if e.creds.Leapsome.SCIMToken != "" {
		out = append(out, e.creds.Leapsome.SCIMToken)
	}
	return out
}

func (e *env) assertNoSecretsLogged() {
	logs := e.logs.String()
	for _, s := range e.secretValues() {
		if strings.Contains(logs, s) {
			e.t.Errorf("a secret or birth date (%.6s…) appears in the logs", s)
		}
	}
}

// assertNoSecretsIn fails when v, as JSON, holds a secret.
func (e *env) assertNoSecretsIn(what string, v any) {
	e.t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		e.t.Fatalf("marshal %s: %v", what, err)
	}
	for _, s := range e.secretValues() {
		if strings.Contains(string(raw), s) {
			e.t.Errorf("%s holds a secret or birth date (%.6s…)", what, s)
		}
	}
}

// connect connects the tenant and saves settings with auto-create as asked.
func (e *env) connect(autoCreate bool) api.Connection {
	e.t.Helper()
	ctx := ctxFor(e.t)
	conn, err := e.svc.Connect(ctx, e.tenant, e.creds)
	if err != nil {
		e.t.Fatalf("connect: %v", err)
	}
	set, err := e.svc.Settings(ctx, e.tenant)
	if err != nil {
		e.t.Fatalf("settings: %v", err)
	}
	set.AutoCreateNewHires = autoCreate
	if _, err := e.svc.PutSettings(ctx, e.tenant, set); err != nil {
		e.t.Fatalf("put settings: %v", err)
	}
	return conn
}

func (e *env) job(syncID string, trigger provision.Trigger, dryRun bool) queue.Job {
	return queue.Job{Version: queue.JobVersion, TenantID: e.tenant, SyncID: syncID, Trigger: trigger, DryRun: dryRun}
}

func (e *env) run(syncID string) provision.Run {
	e.t.Helper()
	r, err := e.svcs.Store.Run(ctxFor(e.t), e.tenant, syncID)
	if err != nil {
		e.t.Fatalf("read run %s: %v", syncID, err)
	}
	return r
}

func (e *env) tenantRecord() store.Tenant {
	e.t.Helper()
	tn, err := e.svcs.Store.Tenant(ctxFor(e.t), e.tenant)
	if err != nil {
		e.t.Fatalf("read tenant: %v", err)
	}
	return tn
}

// secretFile is the stand-in's file of the tenant's secret; deleting it is
// the local equivalent of deleting the secret in the AWS console.
func (e *env) secretFile() string {
	return filepath.Join(inf.SecretsDir, strings.ReplaceAll(localstack.SecretPrefix+e.tenant, "/", "_")+".json")
}

// trinetDown makes every TriNet call of the env's company fail with a 500.
func (e *env) trinetDown() {
	inf.TriNet.SetFaults(e.company, trinetsandbox.Faults{ServerErrors: 1 << 20})
}
func (e *env) trinetUp() { inf.TriNet.SetFaults(e.company, trinetsandbox.Faults{}) }

// trinetWrites are the POSTs and PUTs the company received.
func (e *env) trinetWrites() []trinetsandbox.Write { return inf.TriNet.Writes(e.company) }

// message is one message received from the env's queue.
type message struct {
	id, body, receipt string
	receiveCount      int
	job               queue.Job
}

// receive polls the env's queue until it has want messages or within passes.
func (e *env) receive(want int, within time.Duration) []message {
	e.t.Helper()
	var out []message
	e.receiveEach(want, within, func(m message) { out = append(out, m) })
	return out
}

// receiveEach is receive handing each message to fn as soon as it arrives, so
// that fn can delete it before its visibility ends: a receipt kept past that
// is no longer valid, and a slow receive of the last messages can outlast it.
func (e *env) receiveEach(want int, within time.Duration, fn func(message)) {
	e.t.Helper()
	ctx := ctxFor(e.t)
	deadline := time.Now().Add(within)
	got := 0
	for got < want && time.Now().Before(deadline) {
		// No long polling: goaws v0.5.4 loses messages received by a waiting
		// call (10 of 300 in a test), so poll with short pauses instead.
		res, err := inf.AWS.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(e.queueURL), MaxNumberOfMessages: int32(min(10, want-got)),
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount},
		})
		if err != nil {
			e.t.Fatalf("receive: %v", err)
		}
		for _, m := range res.Messages {
			msg := message{id: aws.ToString(m.MessageId), body: aws.ToString(m.Body), receipt: aws.ToString(m.ReceiptHandle)}
			msg.receiveCount, _ = strconv.Atoi(m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)])
			if msg.job, err = queue.ParseJob(msg.body); err != nil {
				e.t.Fatalf("message %s is not a job: %v", msg.id, err)
			}
			got++
			fn(msg)
		}
		if len(res.Messages) == 0 {
			pause(ctx, 20*time.Millisecond)
		}
	}
	if got < want {
		e.t.Fatalf("received %d messages within %s, want %d", got, within, want)
	}
}

// deleteMessage removes a received message from the env's queue.
func (e *env) deleteMessage(m message) {
	e.t.Helper()
	if _, err := inf.AWS.SQS.DeleteMessage(ctxFor(e.t), &sqs.DeleteMessageInput{QueueUrl: aws.String(e.queueURL), ReceiptHandle: aws.String(m.receipt)}); err != nil {
		e.t.Fatalf("delete message: %v", err)
	}
}

// sqsRecord is a received message as Lambda's event source mapping hands it over.
func sqsRecord(m message) events.SQSMessage {
	return events.SQSMessage{
		MessageId: m.id, ReceiptHandle: m.receipt, Body: m.body,
		Attributes: map[string]string{"ApproximateReceiveCount": strconv.Itoa(max(m.receiveCount, 1))},
	}
}

// queueDepth is how many messages are visible in the env's queue.
func (e *env) queueDepth() int {
	e.t.Helper()
	out, err := inf.AWS.SQS.GetQueueAttributes(ctxFor(e.t), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(e.queueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages},
	})
	if err != nil {
		e.t.Fatalf("queue attributes: %v", err)
	}
	n, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	return n
}

// wantClass fails unless err is a fault of class c naming field (when given).
func wantClass(t *testing.T, err error, c fault.Class, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", c)
	}
	got, ok := fault.ClassOf(err)
	if !ok || got != c {
		t.Fatalf("error %v is of class %v, want %s", err, got, c)
	}
	if field != "" {
		var fe *fault.Error
		if !errors.As(err, &fe) || fault.FieldOf(err) != field {
			t.Fatalf("error %v names field %q, want %q", err, fault.FieldOf(err), field)
		}
	}
}

// pause is the interval of a poll that found nothing.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func trinetFaultsDown() trinetsandbox.Faults { return trinetsandbox.Faults{ServerErrors: 1 << 20} }
func trinetFaultsUp() trinetsandbox.Faults   { return trinetsandbox.Faults{} }

// testOutcome is a finished run with a sync id of its own, for tests that
// set a tenant's back-off up directly.
func testOutcome(failed bool, reason string, at time.Time) store.RunOutcome {
	return store.RunOutcome{SyncID: fmt.Sprintf("test-run-%d", outcomeSeq.Add(1)), Failed: failed, Reason: reason, At: at}
}

var outcomeSeq atomic.Int64
