package app_test

// Tests of the worker at its limits (issue 10): the invocation's deadline,
// a failed final write, a panicking message, a manual run waiting on a busy
// tenant, the worker's settings write racing an admin's, and the faults of
// our own side that are neither the caller's 400 nor rejected credentials.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"trinetsync/internal/api"
	"trinetsync/internal/app"
	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
	"trinetsync/internal/queue"
	trinetsandbox "trinetsync/internal/sandbox/trinet"
	"trinetsync/internal/secrets"
	"trinetsync/internal/store"
)

// errKilled is what a write gets once Lambda has ended the invocation.
var errKilled = fault.New(fault.Transient, "the invocation was killed at its deadline")

// lambdaDeath is the store and queue as a Lambda invocation sees them: at
// its deadline the process is frozen or killed, so nothing it writes later
// happens. Only the writes are cut (reads after the deadline change
// nothing); lost records what the invocation tried to write too late.
type lambdaDeath struct {
	*store.Store
	jobs *queue.Publisher
	at   time.Time

	mu   sync.Mutex
	lost []string
}

func (d *lambdaDeath) dead(what string) bool {
	if time.Now().Before(d.at) {
		return false
	}
	d.mu.Lock()
	d.lost = append(d.lost, what)
	d.mu.Unlock()
	return true
}

func (d *lambdaDeath) lostWrites() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.lost)
}

func (d *lambdaDeath) UpdateHire(ctx context.Context, tenantID string, e provision.HireEntry) error {
	if d.dead("UpdateHire") {
		return errKilled
	}
	return d.Store.UpdateHire(ctx, tenantID, e)
}

func (d *lambdaDeath) DeleteHire(ctx context.Context, tenantID, companyID, userID string) error {
	if d.dead("DeleteHire") {
		return errKilled
	}
	return d.Store.DeleteHire(ctx, tenantID, companyID, userID)
}

func (d *lambdaDeath) PutPlan(ctx context.Context, tenantID, syncID string, items []provision.PlanItem) error {
	if d.dead("PutPlan") {
		return errKilled
	}
	return d.Store.PutPlan(ctx, tenantID, syncID, items)
}

func (d *lambdaDeath) PutIssues(ctx context.Context, tenantID, syncID string, items []provision.Issue) error {
	if d.dead("PutIssues") {
		return errKilled
	}
	return d.Store.PutIssues(ctx, tenantID, syncID, items)
}

func (d *lambdaDeath) UpdateRun(ctx context.Context, r provision.Run, from ...provision.RunStatus) error {
	if d.dead("UpdateRun") {
		return errKilled
	}
	return d.Store.UpdateRun(ctx, r, from...)
}

func (d *lambdaDeath) HandOffLease(ctx context.Context, tenantID, syncID, handoff string, ttl time.Duration) error {
	if d.dead("HandOffLease") {
		return errKilled
	}
	return d.Store.HandOffLease(ctx, tenantID, syncID, handoff, ttl)
}

func (d *lambdaDeath) ReleaseLease(ctx context.Context, tenantID, syncID string) error {
	if d.dead("ReleaseLease") {
		return errKilled
	}
	return d.Store.ReleaseLease(ctx, tenantID, syncID)
}

func (d *lambdaDeath) RecordRunOutcome(ctx context.Context, id string, o store.RunOutcome) (store.Tenant, error) {
	if d.dead("RecordRunOutcome") {
		return store.Tenant{}, errKilled
	}
	return d.Store.RecordRunOutcome(ctx, id, o)
}

func (d *lambdaDeath) Send(ctx context.Context, job queue.Job, delay time.Duration) error {
	if d.dead("Send") {
		return errKilled
	}
	return d.jobs.Send(ctx, job, delay)
}

// Defect 1: a hire still waiting in TriNet's back-off when the invocation's
// time runs out was never sent: it is cleared, and the invocation's plan,
// issues and final state are written before Lambda ends it.
func TestRunnerDeadlineLeavesRoomForTheBookkeeping(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()))
	e.connect(true)
	// Every hire POST is throttled with a Retry-After far beyond the
	// invocation: the client waits in back-off and never sends it.
	// (Within the client's 60 s retry budget, beyond the invocation.)
	inf.TriNet.SetFaults(e.company, trinetsandbox.Faults{Endpoint: "hire", Throttle: 1 << 20, RetryAfter: 30})

	const invocation = 8 * time.Second
	ctx, cancel := context.WithTimeout(ctxFor(t), invocation)
	defer cancel()
	deadline, _ := ctx.Deadline()
	death := &lambdaDeath{Store: e.svcs.Store, jobs: e.svcs.Publisher, at: deadline}
	r := app.NewRunner(e.cfg, death, e.svcs.Secrets, death, e.svcs.Clients, e.svcs.Engine, e.clk.Now, e.log)
	app.SetBookkeeping(r, 3*time.Second)
	app.SetSafety(r, time.Second)

	out := r.Handle(ctx, e.job("sched-deadline", provision.TriggerSchedule, false), 1)
	if lost := death.lostWrites(); len(lost) > 0 {
		t.Fatalf("writes after the invocation's deadline, lost with the process: %v", lost)
	}
	if out.Retry {
		t.Fatalf("outcome %+v, want the message done", out)
	}
	if n := inf.TriNet.Calls(e.company)["hire"]; n == 0 {
		t.Fatal("the hire was never tried: the test did not reach the deadline with a hire in flight")
	}
	cleo := e.userID(cleanPeople()[2])
	if h, ok := e.hires()[cleo]; ok {
		t.Fatalf("a hire that was never sent is left in the ledger as %s", h.State)
	}
	for _, w := range hirePosts(e.company) {
		if w.Status/100 == 2 {
			t.Fatalf("TriNet took a hire: %s %d", w.Path, w.Status)
		}
	}
	run := e.run("sched-deadline")
	wantRunError(t, run, provision.RunPartial, "")
	if actions(run.Counts) != len(cleanPeople()) {
		t.Fatalf("counts %+v, want all %d people accounted for", run.Counts, len(cleanPeople()))
	}
	if it, ok := e.planOf("sched-deadline")[cleo]; !ok || it.Action != provision.ActionError {
		t.Fatalf("plan item of the unsent hire %+v (%t), want action error", it, ok)
	}
	if !hasIssue(e.issuesOf("sched-deadline"), cleo, "trinet_unavailable") {
		t.Fatalf("issues %+v: want trinet_unavailable for the unsent hire", e.issuesOf("sched-deadline"))
	}
	if h := e.leaseHolder(); h != "" {
		t.Fatalf("lease still held by %s", h)
	}
}

// failingFinal fails every write of a final run state while fail is set,
// as DynamoDB can for a while (throttling, a dropped connection).
type failingFinal struct {
	*store.Store
	fail  atomic.Bool
	tries atomic.Int32
}

func (f *failingFinal) UpdateRun(ctx context.Context, r provision.Run, from ...provision.RunStatus) error {
	if r.Status.Final() && f.fail.Load() {
		f.tries.Add(1)
		return fault.New(fault.Transient, "DynamoDB: connection reset")
	}
	return f.Store.UpdateRun(ctx, r, from...)
}

type brokenSender struct{}

func (brokenSender) Send(context.Context, queue.Job, time.Duration) error {
	return fault.New(fault.Transient, "SQS unavailable")
}

// Defect 2: a sync whose final state cannot be written is not lost: its
// outcome travels in a follow-up message that records it without running
// again; when even that cannot be sent, the message itself is retried.
func TestRunnerFailedFinalWriteKeepsTheOutcome(t *testing.T) {
	t.Parallel()
	t.Run("outcome carried by a follow-up message", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, withPeople(cleanPeople()))
		e.connect(true)
		ctx := ctxFor(t)
		st := &failingFinal{Store: e.svcs.Store}
		st.fail.Store(true)
		r := app.NewRunner(e.cfg, st, e.svcs.Secrets, e.svcs.Publisher, e.svcs.Clients, e.svcs.Engine, e.clk.Now, e.log)

		out := r.Handle(ctx, e.job("sched-final", provision.TriggerSchedule, false), 1)
		if out.Retry {
			t.Fatalf("outcome %+v: the outcome message was sent, the job is done", out)
		}
		if st.tries.Load() < 2 {
			t.Fatalf("the final write was tried %d times, want it retried", st.tries.Load())
		}
		if r := e.run("sched-final"); r.Status != provision.RunRunning {
			t.Fatalf("run is %s before the outcome message is handled", r.Status)
		}
		msgs := e.receive(1, 10*time.Second)
		e.deleteMessage(msgs[0])
		if msgs[0].job.Finish == nil || msgs[0].job.Finish.Status != provision.RunSucceeded {
			t.Fatalf("follow-up job %+v, want the outcome succeeded", msgs[0].job)
		}

		if len(hirePosts(e.company)) != 1 {
			t.Fatalf("%d hire POSTs, want 1", len(hirePosts(e.company)))
		}
		st.fail.Store(false)
		e.clk.Advance(time.Minute)
		e.resetCalls()
		if out := r.Handle(ctx, msgs[0].job, 1); out.Retry {
			t.Fatalf("outcome message: %+v", out)
		}
		e.assertNoUpstreamCalls()
		run := e.run("sched-final")
		wantRunError(t, run, provision.RunSucceeded, "")
		if run.Counts.Created != 1 || run.Counts.Linked != 2 {
			t.Fatalf("counts %+v, want the first invocation's", run.Counts)
		}
		if h := e.leaseHolder(); h != "" {
			t.Fatalf("lease still held by %s", h)
		}
		if tn := e.tenantRecord(); tn.ConsecutiveFailures != 0 {
			t.Fatalf("a succeeded run counted as a failure: %d", tn.ConsecutiveFailures)
		}
		// A second delivery of the outcome changes nothing.
		if out := r.Handle(ctx, msgs[0].job, 2); out.Retry || e.run("sched-final").FinishedAt != run.FinishedAt {
			t.Fatalf("duplicate outcome message: %+v", out)
		}
	})
	t.Run("no queue either: the message is retried", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, withPeople(cleanPeople()))
		e.connect(true)
		ctx := ctxFor(t)
		st := &failingFinal{Store: e.svcs.Store}
		st.fail.Store(true)
		r := app.NewRunner(e.cfg, st, e.svcs.Secrets, brokenSender{}, e.svcs.Clients, e.svcs.Engine, e.clk.Now, e.log)
		out := r.Handle(ctx, e.job("sched-final", provision.TriggerSchedule, false), 1)
		if !out.Retry {
			t.Fatalf("outcome %+v: the message was let go with its run unrecorded", out)
		}
		// Redelivered after the run's lease has expired, with the store
		// healed: the run ends, and nobody is hired twice.
		st.fail.Store(false)
		e.clk.Advance(e.cfg.LeaseTTL() + time.Second)
		if out := r.Handle(ctx, e.job("sched-final", provision.TriggerSchedule, false), 2); out.Retry {
			t.Fatalf("redelivery: %+v", out)
		}
		if s := e.run("sched-final").Status; !s.Final() || s == provision.RunFailed {
			t.Fatalf("run is %s after the redelivery", s)
		}
		if len(hirePosts(e.company)) != 1 {
			t.Fatalf("%d hire POSTs, want 1", len(hirePosts(e.company)))
		}
	})
}

// panicky panics while building one company's clients, with personal data
// in the panic's value.
type panicky struct {
	app.Clients
	company string
}

const panicPII = "ada.secret@example.com 123-45-6789"

func (p panicky) ForTenant(c secrets.Credentials, log *slog.Logger) (provision.PeopleSource, provision.Company, error) {
	if c.TriNet.CompanyID == p.company {
		panic(errors.New("cannot map " + panicPII))
	}
	return p.Clients.ForTenant(c, log)
}

// Defect 3: a panicking message fails only itself, and its log line carries
// no personal data.
func TestWorkerPanicFailsOnlyItsMessage(t *testing.T) {
	t.Parallel()
	ok := newEnv(t, withPeople(cleanPeople()))
	ok.connect(true)
	bad := ok.sibling(withPeople(cleanPeople()))
	bad.connect(true)
	r := app.NewRunner(ok.cfg, ok.svcs.Store, ok.svcs.Secrets, ok.svcs.Publisher,
		panicky{Clients: ok.svcs.Clients, company: bad.company}, ok.svcs.Engine, ok.clk.Now, ok.log)
	w := &app.Worker{Runner: r, QueueURL: ok.queueURL, Logger: ok.log}
	var ev events.SQSEvent
	for i, e := range []*env{ok, bad} {
		body, err := e.job("sched-panic", provision.TriggerSchedule, false).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprintf("m%d", i), Body: body,
			Attributes: map[string]string{"ApproximateReceiveCount": "1"}})
	}
	res, err := w.Handle(ctxFor(t), ev)
	if err != nil {
		t.Fatal(err)
	}
	if got := failedIDs(res); !slices.Equal(got, []string{"m1"}) {
		t.Fatalf("batch item failures %v, want only the panicking message m1", got)
	}
	wantRunError(t, ok.run("sched-panic"), provision.RunSucceeded, "")
	logs := ok.logs.String()
	if !strings.Contains(logs, "panic handling a job") {
		t.Fatal("the panic was not logged")
	}
	if strings.Contains(logs, "ada.secret") || strings.Contains(logs, "123-45-6789") {
		t.Fatal("the panic's personal data reached the logs")
	}
}

// delayRecorder keeps the delays of the jobs a runner re-sends.
type delayRecorder struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (d *delayRecorder) Send(_ context.Context, _ queue.Job, delay time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.delays = append(d.delays, delay)
	return nil
}

// Defect 4: a manual run waiting on a busy tenant looks again after a delay
// that grows with its wait: a few dozen messages until it is abandoned,
// not one every 5 s.
func TestManualRunWaitsWithAGrowingDelay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(true)
	ctx := ctxFor(t)
	if held, _, err := e.svcs.Store.AcquireLease(ctx, e.tenant, "other-run", "", 24*time.Hour); err != nil || !held {
		t.Fatalf("take lease: %t %v", held, err)
	}
	run, err := e.svc.Trigger(ctx, e.tenant, api.TriggerRequest{})
	if err != nil {
		t.Fatal(err)
	}
	e.deleteMessage(e.receive(1, 10*time.Second)[0])
	rec := &delayRecorder{}
	r := app.NewRunner(e.cfg, e.svcs.Store, e.svcs.Secrets, rec, e.svcs.Clients, e.svcs.Engine, e.clk.Now, e.log)
	job := e.job(run.SyncID, provision.TriggerManual, false)
	const most = 60
	for i := 0; ; i++ {
		if i == most {
			t.Fatalf("%d messages within %s of waiting; delays %v", most, e.clk.Now().Sub(run.CreatedAt), rec.delays)
		}
		if out := r.Handle(ctx, job, 1); out.Retry {
			t.Fatalf("wait %d: %+v", i, out)
		}
		if s := e.run(run.SyncID).Status; s.Final() {
			wantRunError(t, e.run(run.SyncID), provision.RunFailed, app.CodeAbandoned)
			break
		}
		e.clk.Advance(rec.delays[len(rec.delays)-1])
	}
	first, last := rec.delays[0], rec.delays[len(rec.delays)-1]
	if first < 5*time.Second || first > 10*time.Second || last < 10*time.Minute {
		t.Fatalf("delays %v: want from about 5 s growing past 10 minutes", rec.delays)
	}
	if !slices.IsSorted(rec.delays) {
		t.Fatalf("delays %v shrink", rec.delays)
	}
}

func TestBusyDelay(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ waited, want time.Duration }{
		{0, 5 * time.Second},
		{8 * time.Second, 5 * time.Second},
		{time.Minute, 30 * time.Second},
		{20 * time.Minute, 10 * time.Minute},
		{2 * time.Hour, queue.MaxDelay},
	} {
		if got := app.BusyDelay(tc.waited); got != tc.want {
			t.Errorf("BusyDelay(%s) = %s, want %s", tc.waited, got, tc.want)
		}
	}
}

// hangUp is the queue as a trigger sees it when the client hangs up during
// the send: the request's context ends, and the send fails with it.
type hangUp struct{ cancel context.CancelFunc }

func (h hangUp) Send(ctx context.Context, _ queue.Job, _ time.Duration) error {
	h.cancel()
	<-ctx.Done()
	return fault.Wrap(fault.Transient, ctx.Err(), "send sync job")
}

// Defect 4: the write that fails a manual run whose job could not be queued
// has its own context, so the next trigger is not answered with a dead run.
func TestTriggerCompensatesOnAFreshContext(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(true)
	reqCtx, cancel := context.WithCancel(ctxFor(t))
	svc := app.NewBackend(e.cfg, e.svcs.Store, e.svcs.Secrets, e.svcs.Clients, hangUp{cancel}, e.clk.Now, e.log)
	if _, err := svc.Trigger(reqCtx, e.tenant, api.TriggerRequest{}); err == nil {
		t.Fatal("trigger whose job was not queued answered without error")
	}
	runs, _, err := e.svcs.Store.ListRuns(ctxFor(t), e.tenant, 10, "")
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs %+v, %v", runs, err)
	}
	wantRunError(t, runs[0], provision.RunFailed, app.CodeUpstream)
	next, err := e.svc.Trigger(ctxFor(t), e.tenant, api.TriggerRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if next.SyncID == runs[0].SyncID {
		t.Fatalf("the next trigger answered the run that was never queued (%s)", next.SyncID)
	}
}

// beforeClients runs before, once, when the runner builds the tenant's
// clients: after it read the tenant and its secret, before it writes.
type beforeClients struct {
	app.Clients
	once   sync.Once
	before func()
}

func (b *beforeClients) ForTenant(c secrets.Credentials, log *slog.Logger) (provision.PeopleSource, provision.Company, error) {
	b.once.Do(b.before)
	return b.Clients.ForTenant(c, log)
}

// Defect 5: the worker drops the SCIM mappings of a connection without a
// SCIM token only over the record it read: an admin's PUT …/settings or a
// disconnect in between wins.
func TestRunnerSCIMDropDoesNotUndoAConcurrentChange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		between func(e *env) provision.Settings // what the settings must be after the run; nil Mappings = none
	}{
		{"admin saves settings", func(e *env) provision.Settings {
			s := provision.DefaultSettings(false)
			s.AutoCreateNewHires, s.MassCreateMaxPercent = false, 7
			if _, err := e.svc.PutSettings(ctxFor(e.t), e.tenant, s); err != nil {
				e.t.Fatal(err)
			}
			return s
		}},
		{"admin disconnects", func(e *env) provision.Settings {
			if err := e.svc.Disconnect(ctxFor(e.t), e.tenant); err != nil {
				e.t.Fatal(err)
			}
			return provision.Settings{}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.connect(true)
			ctx := ctxFor(t)
			noSCIM := e.creds
			noSCIM.Leapsome.SCIMToken = ""
			if _, err := e.svc.Connect(ctx, e.tenant, noSCIM); err != nil {
				t.Fatal(err)
			}
			var want provision.Settings
			hook := &beforeClients{Clients: e.svcs.Clients}
			hook.before = func() { want = tc.between(e) }
			r := app.NewRunner(e.cfg, e.svcs.Store, e.svcs.Secrets, e.svcs.Publisher, hook, e.svcs.Engine, e.clk.Now, e.log)
			r.Handle(ctx, e.job("manual-scim", provision.TriggerManual, false), 1)
			got := e.tenantRecord().Settings
			switch {
			case want.Mappings == nil && got != nil:
				t.Fatalf("settings %+v came back after the disconnect", got)
			case want.Mappings != nil && (got == nil || got.MassCreateMaxPercent != want.MassCreateMaxPercent || got.AutoCreateNewHires):
				t.Fatalf("settings %+v, want the admin's %+v", got, want)
			}
		})
	}
}

// Defect 6 (the service's side): a company id that could change a URL is
// the caller's 400 naming trinet.companyId; a 400 from Leapsome to our own
// check is our fault (internal), not the caller's.
func TestConnectFaultsThatAreNotTheCallers(t *testing.T) {
	t.Parallel()
	t.Run("company id with a slash", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		req := e.creds
		req.TriNet.CompanyID = "a/b"
		_, err := e.svc.Connect(ctxFor(t), e.tenant, req)
		wantClass(t, err, fault.Validation, "trinet.companyId")
		e.assertNothingStored()
	})
	t.Run("Leapsome answers 400", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"bad request"}`))
		}))
		defer refusing.Close()
		clients := *e.svcs.Clients
		clients.LeapsomeURL, clients.LeapsomeSCIM = refusing.URL+"/v1", refusing.URL+"/scim/v1"
		svc := app.NewBackend(e.cfg, e.svcs.Store, e.svcs.Secrets, &clients, e.svcs.Publisher, e.clk.Now, e.log)
		_, err := svc.Connect(ctxFor(t), e.tenant, e.creds)
		wantClass(t, err, fault.Internal, "")
		e.assertNothingStored()
	})
}

// refusingSecrets is Secrets Manager answering every call with code, as AWS
// does when our role may not read the secret or KMS may not decrypt it.
func refusingSecrets(t *testing.T, code string) *secrets.Manager {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", code)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, `{"__type":%q,"message":"refused"}`, code)
	}))
	t.Cleanup(srv.Close)
	client := secretsmanager.New(secretsmanager.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	return secrets.New(client, secrets.Config{})
}

// Defect 6 (the worker's side): Secrets Manager refusing our own access is
// an internal failure of the run, never "TriNet rejected the credentials".
func TestRunnerSecretRefusedIsNotARejection(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"AccessDeniedException", "DecryptionFailure"} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.connect(true)
			r := app.NewRunner(e.cfg, e.svcs.Store, refusingSecrets(t, code), e.svcs.Publisher, e.svcs.Clients, e.svcs.Engine, e.clk.Now, e.log)
			if out := r.Handle(ctxFor(t), e.job("sched-refused", provision.TriggerSchedule, false), 1); out.Retry {
				t.Fatalf("outcome %+v, want the run failed", out)
			}
			wantRunError(t, e.run("sched-refused"), provision.RunFailed, app.CodeInternal)
			if tn := e.tenantRecord(); tn.Status != store.Connected {
				t.Fatalf("tenant is %s", tn.Status)
			}
		})
	}
}

// finishWatch notes, at the moment a run's final state is written, the
// consecutive failures the tenant record shows.
type finishWatch struct {
	*store.Store
	mu       sync.Mutex
	failures []int
}

func (w *finishWatch) UpdateRun(ctx context.Context, r provision.Run, from ...provision.RunStatus) error {
	if r.Status.Final() {
		tn, err := w.Store.Tenant(ctx, r.TenantID)
		if err != nil {
			return err
		}
		w.mu.Lock()
		w.failures = append(w.failures, tn.ConsecutiveFailures)
		w.mu.Unlock()
	}
	return w.Store.UpdateRun(ctx, r, from...)
}

// A reader that sees a run finished sees what it did to the tenant's
// back-off: the outcome is recorded before the final state is written.
func TestRunnerRecordsTheOutcomeBeforeTheFinalState(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()))
	e.connect(true)
	ctx := ctxFor(t)
	for range 2 {
		if _, err := e.svcs.Store.RecordRunOutcome(ctx, e.tenant, testOutcome(true, app.CodeUpstream, e.clk.Now())); err != nil {
			t.Fatal(err)
		}
	}
	w := &finishWatch{Store: e.svcs.Store}
	r := app.NewRunner(e.cfg, w, e.svcs.Secrets, e.svcs.Publisher, e.svcs.Clients, e.svcs.Engine, e.clk.Now, e.log)
	if out := r.Handle(ctx, e.job("sched-order", provision.TriggerSchedule, false), 1); out.Retry {
		t.Fatalf("outcome %+v", out)
	}
	if st := e.run("sched-order").Status; st != provision.RunSucceeded && st != provision.RunPartial {
		t.Fatalf("run %s, want it to go through", st)
	}
	if len(w.failures) != 1 || w.failures[0] != 0 {
		t.Fatalf("when the final state was written the tenant showed %v consecutive failures, want the run's success already recorded (0)", w.failures)
	}
}

// refusingQueue is SQS refusing the job for a reason of our own making.
type refusingQueue struct{ class fault.Class }

func (q refusingQueue) Send(context.Context, queue.Job, time.Duration) error {
	return fault.New(q.class, "the jobs queue refused the job")
}

// A queue that is missing or refuses us is the service's fault: the trigger
// answers a server error, never the caller's 400, 403 or 404; a queue that is
// only unavailable keeps its class (a 503 the caller may retry).
func TestTriggerQueueFaultsAreNotTheCallers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(true)
	for _, tc := range []struct {
		queue fault.Class
		want  fault.Class
	}{
		{fault.NotFound, fault.Internal},
		{fault.Forbidden, fault.Internal},
		{fault.Validation, fault.Internal},
		{fault.Auth, fault.Internal},
		{fault.Transient, fault.Transient},
		{fault.Throttled, fault.Throttled},
	} {
		svc := app.NewBackend(e.cfg, e.svcs.Store, e.svcs.Secrets, e.svcs.Clients, refusingQueue{tc.queue}, e.clk.Now, e.log)
		_, err := svc.Trigger(ctxFor(t), e.tenant, api.TriggerRequest{})
		if got, _ := fault.ClassOf(err); got != tc.want {
			t.Errorf("queue %s: trigger error %v of class %s, want %s", tc.queue, err, got, tc.want)
		}
	}
}
