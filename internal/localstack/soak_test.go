package localstack

// The fault soak (issue 10): the service's own handlers, store, queue and
// clients, against the sandboxes, for many sync runs under seeded random
// fault schedules, checking after every run that nothing a user relies on
// broke, and at the end of each episode that the faults left no trace once
// they stop.
//
//	make soak                        # SOAK_RUNS=1000
//	SOAK_RUNS=60 SOAK_SEED=7 make soak
//	make soak SOAK_SEED=<seed> SOAK_RUNS=<runs per episode>   # replay one episode
//
// A short fixed-seed soak runs in `make test`. Runs are grouped in episodes:
// each has its own tenant, TriNet company and Leapsome people, all drawn
// from the episode's seed (SOAK_SEED + episode number), so a failing
// episode is replayed alone with its seed as SOAK_SEED. The seed fixes the
// people, their changes, the fault schedule and the points where an
// invocation is cancelled or DynamoDB restarted; how the engine interleaves
// people within one run is left to the scheduler (SOAK_SERIAL=1 writes one
// person at a time, which makes a replay exact).

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
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
	"trinetsync/internal/emulator"
	"trinetsync/internal/provision"
	"trinetsync/internal/queue"
	leapsomesandbox "trinetsync/internal/sandbox/leapsome"
	trinetsandbox "trinetsync/internal/sandbox/trinet"
	"trinetsync/internal/secrets"
	"trinetsync/internal/store"
)

// soakConfig is read from the environment: SOAK_RUNS (sync runs in all),
// SOAK_SEED (the first episode's seed), SOAK_EPISODE_RUNS (runs per
// episode), SOAK_SERIAL (one person at a time), SOAK_LOG (a file for the
// service's logs).
type soakConfig struct {
	runs, perEpisode int
	seed             uint64
	serial           bool
	logPath          string
}

func soakConfigFromEnv(t *testing.T) soakConfig {
	c := soakConfig{runs: 12, perEpisode: 4, seed: 1, serial: os.Getenv("SOAK_SERIAL") == "1", logPath: os.Getenv("SOAK_LOG")}
	for name, dst := range map[string]*int{"SOAK_RUNS": &c.runs, "SOAK_EPISODE_RUNS": &c.perEpisode} {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				t.Fatalf("%s=%q: want a whole number of at least 1", name, v)
			}
			*dst = n
		}
	}
	if v := os.Getenv("SOAK_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("SOAK_SEED=%q: want a whole number", v)
		}
		c.seed = n
	}
	return c
}

// TestSoak is the fault soak. Its short default (12 runs, seed 1) runs in
// `make test`; `make soak` runs 1,000.
func TestSoak(t *testing.T) {
	cfg := soakConfigFromEnv(t)
	h := newSoakHarness(t, cfg)
	started := time.Now()
	for ep := 0; h.stats.Cycles < cfg.runs; ep++ {
		seed := cfg.seed + uint64(ep)
		runs := min(cfg.perEpisode, cfg.runs-h.stats.Cycles)
		if err := h.episode(seed, runs); err != nil {
			t.Fatalf("soak: episode seed %d: %v\n  replay: make soak SOAK_SEED=%d SOAK_RUNS=%d (SOAK_SERIAL=1 for the same interleaving of people; SOAK_LOG=file for the service's logs)",
				seed, err, seed, runs)
		}
	}
	h.stats.Seconds = time.Since(started).Seconds()
	h.stats.FirstSeed, h.stats.Seeds = cfg.seed, h.stats.Episodes
	out, _ := json.MarshalIndent(h.stats, "", "  ")
	t.Logf("soak figures:\n%s", out)
	if path := os.Getenv("SOAK_FIGURES"); path != "" {
		if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// soakStats are the figures docs/reliability.md reports.
type soakStats struct {
	// Cycles are the faulty runs asked for (SOAK_RUNS): each triggers one
	// sync (a scheduler tick, or manual triggers) under a fault schedule.
	// Runs counts every run recorded, the clean ones after the faults
	// stopped included.
	Cycles    int            `json:"faultyRuns"`
	CleanRuns int            `json:"cleanRuns"`
	Runs      int            `json:"runsRecorded"`
	Episodes  int            `json:"episodes"`
	FirstSeed uint64         `json:"firstSeed"`
	Seeds     int            `json:"seeds"`
	Statuses  map[string]int `json:"statuses"`
	Codes     map[string]int `json:"runErrorCodes"`
	Faults    map[string]int `json:"faultsInjected"`
	// Invocations of the worker handler, and messages it was handed.
	Invocations int `json:"invocations"`
	Messages    int `json:"messages"`
	Retried     int `json:"messagesRetried"`
	Triggers    int `json:"manualTriggers"`
	// Upstream calls made, per API.
	TriNetCalls   int `json:"trinetCalls"`
	LeapsomeCalls int `json:"leapsomeCalls"`
	// Hires: accepted by TriNet in all; people hired once; people hired more
	// than once (must be 0); hires an admin released after checking TriNet.
	HiresAccepted   int `json:"hiresAccepted"`
	PeopleHired     int `json:"peopleHired"`
	PeopleHiredTwce int `json:"peopleHiredMoreThanOnce"`
	Released        int `json:"unknownHiresReleased"`
	People          int `json:"people"`
	// Convergence once faults stop: clean runs needed (most, in all), time.
	ConvergeRunsMax   int     `json:"convergeRunsMax"`
	ConvergeRuns      int     `json:"convergeRuns"`
	ConvergeSecondsMx float64 `json:"convergeSecondsMax"`
	ClockAdvances     int     `json:"clockAdvances"`
	Seconds           float64 `json:"seconds"`
	// AbandonedSeeds are the first episodes with an abandoned run, to replay.
	AbandonedSeeds []uint64 `json:"abandonedSeeds,omitempty"`
}

// soakClock is the service's clock: it moves only when the harness waits
// for a lease or a queued run to expire, so leases and abandonment follow
// the schedule rather than the machine's speed.
type soakClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *soakClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *soakClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// proxy is a TCP front for dynalite with a fixed address, so that the
// harness can restart dynalite (on another port, same data) under a running
// service; while it restarts, connections are refused.
type proxy struct {
	ln      net.Listener
	backend atomic.Value // string host:port, "" while down
}

func newProxy(t *testing.T) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	p.backend.Store("")
	go p.serve()
	t.Cleanup(func() { ln.Close() })
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			addr := p.backend.Load().(string)
			if addr == "" {
				return
			}
			b, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer b.Close()
			done := make(chan struct{}, 2)
			go func() { _, _ = io.Copy(b, c); done <- struct{}{} }()
			go func() { _, _ = io.Copy(c, b); done <- struct{}{} }()
			<-done
		}()
	}
}

// callCounter counts upstream calls and runs the hook set for the current
// invocation (a cancellation, a DynamoDB restart) at the chosen call.
type callCounter struct {
	next  http.RoundTripper
	n     atomic.Int64
	mu    sync.Mutex
	at    int64
	hook  func()
	calls map[string]int
}

func (c *callCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	n := c.n.Add(1)
	c.mu.Lock()
	c.calls[r.URL.Host]++
	var hook func()
	if c.hook != nil && n >= c.at {
		hook, c.hook = c.hook, nil
	}
	c.mu.Unlock()
	if hook != nil {
		hook()
	}
	return c.next.RoundTrip(r)
}

// after runs hook at the k-th call from now.
func (c *callCounter) after(k int64, hook func()) {
	c.mu.Lock()
	c.at, c.hook = c.n.Load()+k, hook
	c.mu.Unlock()
}

func (c *callCounter) clear() {
	c.mu.Lock()
	c.hook = nil
	c.mu.Unlock()
}

type soakHarness struct {
	t     *testing.T
	cfg   soakConfig
	ctx   context.Context
	inf   *Infra
	dyn   *emulator.Process
	dynMu sync.Mutex
	dir   string
	px    *proxy
	clk   *soakClock
	calls *callCounter
	app   app.Config
	store *store.Store
	sched *app.Scheduler
	svc   *app.Backend
	w     *app.Worker
	jobs  string     // queue URL
	mu    sync.Mutex // recv and the invocation figures
	recv  map[string]int
	stats soakStats
}

func newSoakHarness(t *testing.T, cfg soakConfig) *soakHarness {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	startCtx, startCancel := context.WithTimeout(ctx, 2*time.Minute)
	defer startCancel()
	inf, err := StartInfra(startCtx, InfraConfig{})
	if err != nil {
		t.Fatalf("soak needs the local infrastructure (dynalite, goaws): %v", err)
	}
	t.Cleanup(inf.Close)
	h := &soakHarness{t: t, cfg: cfg, ctx: ctx, inf: inf, dir: t.TempDir(), clk: &soakClock{now: time.Now().UTC()},
		recv: map[string]int{}, stats: soakStats{Statuses: map[string]int{}, Codes: map[string]int{}, Faults: map[string]int{}}}
	h.px = newProxy(t)
	if err := h.startDynalite(startCtx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h.dynMu.Lock()
		defer h.dynMu.Unlock()
		h.dyn.Stop()
	})
	ddb := emulator.DynamoDBClient("http://" + h.px.ln.Addr().String())
	if err := store.CreateTable(startCtx, ddb, TableName); err != nil {
		t.Fatal(err)
	}
	dlq, err := inf.AWS.SQS.CreateQueue(startCtx, &sqs.CreateQueueInput{QueueName: aws.String("soak-jobs-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	arn, err := queueARN(startCtx, inf.AWS.SQS, aws.ToString(dlq.QueueUrl))
	if err != nil {
		t.Fatal(err)
	}
	// A returned message is visible again after a second: the service's
	// own delays are minutes, which the soak's clock cannot shorten.
	q, err := inf.AWS.SQS.CreateQueue(startCtx, &sqs.CreateQueueInput{QueueName: aws.String("soak-jobs"), Attributes: map[string]string{
		"VisibilityTimeout": "1",
		"RedrivePolicy":     fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, arn, app.DefaultMaxReceiveCount),
	}})
	if err != nil {
		t.Fatal(err)
	}
	h.jobs = aws.ToString(q.QueueUrl)

	h.app = inf.Config(10 * time.Minute)
	h.app.QueueURL = h.jobs
	h.app.TriNetRPS = 1000
	h.app.WorkerTimeout = 20 * time.Second
	var logOut io.Writer = io.Discard
	if cfg.logPath != "" {
		f, err := os.Create(cfg.logPath)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		logOut = f
	}
	log := slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.calls = &callCounter{next: http.DefaultTransport, calls: map[string]int{}}
	hc := &http.Client{Transport: h.calls, Timeout: 10 * time.Second}
	// The service's parts, built as app.Wiring builds them but each given the
	// soak's clock, HTTP client, quick retries and engine.
	h.store = store.New(ddb, store.Config{Table: TableName, Now: h.clk.Now, Logger: log})
	sec := secrets.New(inf.AWS.SecretsManager, secrets.Config{Prefix: h.app.SecretPrefix, Logger: log})
	pub := queue.NewPublisher(inf.AWS.SQS, h.app.QueueURL, queue.Options{Logger: log})
	clients := app.NewAPIClients(h.app, hc, log)
	clients.RetryBaseDelay, clients.RetryMaxDelay = time.Millisecond, 5*time.Millisecond
	conc := 0
	if cfg.serial {
		conc = 1
	}
	engine := provision.New(provision.Config{Concurrency: conc, Logger: log})
	h.svc = app.NewBackend(h.app, h.store, sec, clients, pub, h.clk.Now, log)
	h.sched = &app.Scheduler{Interval: h.app.SyncInterval, Tenants: h.store, Jobs: pub, Logger: log}
	runner := app.NewRunner(h.app, h.store, sec, quickSender{pub}, clients, engine, h.clk.Now, log)
	h.w = &app.Worker{Runner: runner, Visibility: soakVisibility{h.clk}, QueueURL: h.jobs, Logger: log}
	return h
}

// soakVisibility compresses a returned message's delay: the message comes
// back after the queue's second, and the service's clock moves on by the
// delay the worker asked for (a lease to expire, a back-off to pass), as it
// would have in AWS before the redelivery.
type soakVisibility struct{ clk *soakClock }

func (v soakVisibility) ChangeMessageVisibility(_ context.Context, in *sqs.ChangeMessageVisibilityInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	v.clk.Advance(time.Duration(in.VisibilityTimeout) * time.Second)
	return &sqs.ChangeMessageVisibilityOutput{}, nil
}

// quickSender sends the service's delayed jobs (a manual run waiting on a
// busy tenant) after at most a second: SQS delays are real time, and the
// soak's clock is not.
type quickSender struct{ p *queue.Publisher }

func (q quickSender) Send(ctx context.Context, job queue.Job, delay time.Duration) error {
	return q.p.Send(ctx, job, min(delay, time.Second))
}

func (h *soakHarness) startDynalite(ctx context.Context) error {
	p, err := emulator.Dynalite(ctx, h.dir, io.Discard)
	if err != nil {
		return fmt.Errorf("start dynalite: %w", err)
	}
	h.dyn = p
	h.px.backend.Store(net.JoinHostPort("127.0.0.1", strconv.Itoa(p.Port)))
	return nil
}

// restartDynalite stops DynamoDB and starts it again on the same data.
func (h *soakHarness) restartDynalite() {
	h.dynMu.Lock()
	defer h.dynMu.Unlock()
	h.px.backend.Store("")
	h.dyn.Stop()
	if err := h.startDynalite(h.ctx); err != nil {
		h.t.Errorf("restart dynalite: %v", err)
	}
}

// soakPerson is one Leapsome person of an episode.
type soakPerson struct {
	n          int
	first      string
	title      string
	dept       string
	startDays  int
	active     bool
	employeeID string // in TriNet at the episode's start
}

type episode struct {
	seed     uint64
	rng      *rand.Rand
	tenant   string
	ref      string // the reference tenant: one clean run of the same people
	company  string
	refCo    string
	lsTenant string
	domain   string
	people   []*soakPerson
	creds    api.ConnectRequest
	refCreds api.ConnectRequest
}

// soakLocation is the Leapsome id of every episode's one work location.
const soakLocation = "00000000000000000000ffff"

var (
	soakTitles = []string{"Engineer", "Senior Engineer", "Account Executive", "Designer", "Marketer", "Recruiter"}
	soakFirsts = []string{"Ada", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea"}
	// Marketing is not a TriNet department: a person there is an error.
	soakDepts = []string{"Engineering", "Engineering", "Sales", "Sales", "Marketing"}
)

func (e *episode) email(p *soakPerson) string {
	return fmt.Sprintf("%s.p%d@%s", strings.ToLower(p.first), p.n, e.domain)
}

func (e *episode) userID(p *soakPerson) string { return fmt.Sprintf("%016x%08x", e.seed%(1<<62), p.n) }

func (h *soakHarness) episode(seed uint64, runs int) error {
	h.stats.Episodes++
	e := &episode{
		seed: seed, rng: rand.New(rand.NewPCG(seed, 0x50a4)),
		tenant: fmt.Sprintf("soak-%d", seed), ref: fmt.Sprintf("soak-ref-%d", seed),
		company: fmt.Sprintf("SK%d", seed), refCo: fmt.Sprintf("RF%d", seed),
		lsTenant: fmt.Sprintf("lssoak%d", seed), domain: fmt.Sprintf("soak%d.example", seed),
	}
	if err := h.seed(e); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	for i := 0; i < runs; i++ {
		if i > 0 {
			h.change(e)
		}
		if err := h.cycle(e, i, true); err != nil {
			return fmt.Errorf("run %d of %d: %w", i+1, runs, err)
		}
	}
	return h.converge(e)
}

// seed creates the episode's people in Leapsome and, for some, in TriNet
// (in the episode's company and the reference company alike), and connects
// both tenants with auto-create on.
func (h *soakHarness) seed(e *episode) error {
	dept := []trinetsandbox.Department{{ID: "D1", Name: "Engineering"}, {ID: "D2", Name: "Sales"}}
	loc := []trinetsandbox.Location{{ID: "SF1", Name: "San Francisco", Country: "US"}}
	e.creds = api.ConnectRequest{
		TriNet:   api.TriNetCredentials{CompanyID: e.company, ClientID: "soak-client-" + e.company, ClientSecret: "soak-secret-" + e.company},
		Leapsome: api.LeapsomeCredentials{APISecret: "soak-ls-" + e.lsTenant, SCIMToken: "soak-scim-" + e.lsTenant},
	}
	e.refCreds = e.creds
	e.refCreds.TriNet = api.TriNetCredentials{CompanyID: e.refCo, ClientID: "soak-client-" + e.refCo, ClientSecret: "soak-secret-" + e.refCo}
	for _, c := range []api.TriNetCredentials{e.creds.TriNet, e.refCreds.TriNet} {
		if err := h.inf.TriNet.AddCompany(trinetsandbox.Company{ID: c.CompanyID, Name: c.CompanyID, ClientID: c.ClientID,
			ClientSecret: c.ClientSecret, Departments: dept, Locations: loc}); err != nil {
			return err
		}
	}
	if err := h.inf.Leapsome.AddTenant(leapsomesandbox.Tenant{ID: e.lsTenant, APISecret: e.creds.Leapsome.APISecret, SCIMToken: e.creds.Leapsome.SCIMToken}); err != nil {
		return err
	}
	if err := h.inf.Leapsome.PutWorkLocation(e.lsTenant, leapsomesandbox.WorkLocation{ID: soakLocation, Name: "San Francisco", Country: "United States", City: "San Francisco"}); err != nil {
		return err
	}
	n := 4 + e.rng.IntN(5)
	for i := 1; i <= n; i++ {
		p := &soakPerson{n: i, first: soakFirsts[e.rng.IntN(len(soakFirsts))], title: soakTitles[e.rng.IntN(len(soakTitles))],
			dept: soakDepts[e.rng.IntN(len(soakDepts))], startDays: -400 + e.rng.IntN(380), active: true}
		if e.rng.IntN(2) == 0 {
			p.employeeID = fmt.Sprintf("%08d", 10000000+i)
		} else {
			p.startDays = -e.rng.IntN(3) // hireable, and listed by TriNet once approved
		}
		e.people = append(e.people, p)
		if err := h.putPerson(e, p); err != nil {
			return err
		}
		if p.employeeID == "" {
			continue
		}
		title := p.title
		if e.rng.IntN(2) == 0 {
			title = "Former " + title // stale in TriNet: the first run updates it
		}
		deptID := "D1"
		if p.dept == "Sales" {
			deptID = "D2"
		}
		for _, co := range []string{e.company, e.refCo} {
			if _, err := h.inf.TriNet.PutEmployee(co, trinetsandbox.Employee{
				ID: p.employeeID, FirstName: p.first, LastName: fmt.Sprintf("P%d", p.n), Gender: "F", BirthDate: "1990-01-02",
				Country: "US", StartDate: h.day(p.startDays), Title: title, EmployeeType: "F", FLSACode: "E", StandardHours: "40",
				WorkEmail: e.email(p), LocationID: "SF1", DeptID: deptID, ApprovalStatus: "A",
			}); err != nil {
				return err
			}
		}
	}
	h.stats.People += n
	return h.connect(e.tenant, e.creds)
}

// connect connects a tenant with auto-create on and no brake: the soak's
// people are few, and every hire is the point.
func (h *soakHarness) connect(tenant string, creds api.ConnectRequest) error {
	if _, err := h.svc.Connect(h.ctx, tenant, creds); err != nil {
		return fmt.Errorf("connect %s: %w", tenant, err)
	}
	set := provision.DefaultSettings(true)
	set.AutoCreateNewHires, set.MassCreateMaxPercent = true, 100
	if _, err := h.svc.PutSettings(h.ctx, tenant, set); err != nil {
		return fmt.Errorf("settings of %s: %w", tenant, err)
	}
	return nil
}

func (h *soakHarness) day(offset int) string {
	return time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, offset).Format(time.DateOnly)
}

func (h *soakHarness) putPerson(e *episode, p *soakPerson) error {
	status := "active"
	if !p.active {
		status = "deactivated"
	}
	return h.inf.Leapsome.PutEmployee(e.lsTenant, leapsomesandbox.Employee{
		ID: e.userID(p), Email: e.email(p), FirstName: p.first, LastName: fmt.Sprintf("P%d", p.n),
		Status: status, LifecycleStatus: "active", Title: p.title,
		Departments: []leapsomesandbox.Ref{{Name: p.dept}}, WorkLocation: &leapsomesandbox.Ref{ID: soakLocation, Name: "San Francisco"},
		StartDate: h.day(p.startDays), Gender: "female", Birthday: "1990-01-02",
	})
}

// change edits the people between runs, as Leapsome admins do.
func (h *soakHarness) change(e *episode) {
	for range e.rng.IntN(3) {
		p := e.people[e.rng.IntN(len(e.people))]
		switch e.rng.IntN(5) {
		case 0, 1:
			p.title = soakTitles[e.rng.IntN(len(soakTitles))]
			h.stats.Faults["people: title changed"]++
		case 2:
			p.dept = soakDepts[e.rng.IntN(len(soakDepts))]
			h.stats.Faults["people: department changed"]++
		case 3:
			np := &soakPerson{n: len(e.people) + 1, first: soakFirsts[e.rng.IntN(len(soakFirsts))],
				title: soakTitles[e.rng.IntN(len(soakTitles))], dept: soakDepts[e.rng.IntN(len(soakDepts))],
				startDays: -e.rng.IntN(3), active: true}
			e.people = append(e.people, np)
			h.stats.People++
			p = np
			h.stats.Faults["people: new hire added"]++
		case 4:
			p.active = !p.active
			h.stats.Faults["people: status toggled (out of scope / back)"]++
		}
		if err := h.putPerson(e, p); err != nil {
			h.t.Fatalf("edit person: %v", err)
		}
	}
}

// schedule is one run's faults.
type schedule struct {
	trinet    trinetsandbox.Faults
	leapsome  leapsomesandbox.Faults
	cancelAt  int64 // cancel the first invocation after this many upstream calls (0 = no)
	restartAt int64 // restart DynamoDB after this many upstream calls (0 = no)
	twice     bool  // the first batch is delivered twice at once
	manual    int   // concurrent manual triggers (0 = the scheduler's tick)
}

var soakEndpoints = []string{"", "employees", "hire", "names", "personals", "jobs", "departments", "token"}

func (h *soakHarness) draw(e *episode) schedule {
	var s schedule
	r := e.rng
	f := &s.trinet
	if r.IntN(10) < 8 {
		f.Endpoint = soakEndpoints[r.IntN(len(soakEndpoints))]
		for range 1 + r.IntN(2) {
			switch r.IntN(5) {
			case 0:
				f.Throttle, f.RetryAfter = 1+r.IntN(4), r.IntN(2)
				h.stats.Faults["trinet: 429 (Retry-After 0-1 s)"] += f.Throttle
			case 1:
				f.ServerErrors = 1 + r.IntN(4)
				h.stats.Faults["trinet: 500"] += f.ServerErrors
			case 2:
				f.Drop = 1 + r.IntN(2)
				h.stats.Faults["trinet: connection dropped"] += f.Drop
			case 3:
				f.Latency = time.Duration(20+r.IntN(200)) * time.Millisecond
				h.stats.Faults["trinet: slow (20-220 ms a call)"]++
			case 4:
				f.LoseHireResponse = 1
				h.stats.Faults["trinet: hire applied, response lost"]++
			}
		}
	}
	if r.IntN(10) < 3 {
		s.leapsome = leapsomesandbox.Faults{ServerErrors: 1 + r.IntN(3)}
		h.stats.Faults["leapsome: 500"] += s.leapsome.ServerErrors
	}
	if r.IntN(4) == 0 {
		s.cancelAt = int64(1 + r.IntN(20))
		h.stats.Faults["worker: invocation cancelled mid-run"]++
	}
	if r.IntN(20) == 0 {
		s.restartAt = int64(1 + r.IntN(15))
		h.stats.Faults["dynamodb: dynalite restarted mid-run"]++
	}
	if r.IntN(5) == 0 {
		s.twice = true
		h.stats.Faults["sqs: message delivered twice at once"]++
	}
	if r.IntN(2) == 0 {
		s.manual = 1 + r.IntN(3)
		if s.manual > 1 {
			h.stats.Faults["api: concurrent manual triggers"]++
		}
	}
	return s
}

// cycle is one sync run of the episode's tenant under a fault schedule
// (faulty), then the checks.
func (h *soakHarness) cycle(e *episode, i int, faulty bool) error {
	var s schedule
	if faulty {
		s = h.draw(e)
	}
	h.inf.TriNet.SetFaults(e.company, s.trinet)
	h.inf.Leapsome.SetFaults(e.lsTenant, s.leapsome)
	defer func() {
		h.inf.TriNet.SetFaults(e.company, trinetsandbox.Faults{})
		h.inf.Leapsome.SetFaults(e.lsTenant, leapsomesandbox.Faults{})
	}()
	if faulty {
		h.stats.Cycles++
	} else {
		h.stats.CleanRuns++
	}

	// Trigger: the scheduler's tick for this slot, or manual triggers at once
	// (also when the tenant backs off: the scheduler leaves it out then, and
	// manual triggers are allowed).
	h.clk.Advance(h.app.SyncInterval)
	tn, err := h.store.Tenant(h.ctx, e.tenant)
	if err != nil {
		return err
	}
	if tn.Backoff != nil && tn.Backoff.Until.After(h.clk.Now()) && s.manual == 0 {
		s.manual = 1
	}
	if s.manual == 0 {
		if _, err := h.sched.Tick(h.ctx, h.clk.Now()); err != nil {
			return fmt.Errorf("tick: %w", err)
		}
	} else {
		var wg sync.WaitGroup
		errs := make(chan error, s.manual)
		for range s.manual {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := h.svc.Trigger(h.ctx, e.tenant, api.TriggerRequest{}); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			return fmt.Errorf("trigger: %w", err)
		}
		h.stats.Triggers += s.manual
	}
	if err := h.drain(e, s); err != nil {
		return err
	}
	return h.check(e)
}

// drain delivers the queue's messages to the worker, as Lambda's event
// source mapping does, until every run of the episode is final.
func (h *soakHarness) drain(e *episode, s schedule) error {
	first := true
	idle := 0
	for iter := 0; iter < 400; iter++ {
		msgs, err := h.receive()
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			done, err := h.allFinal(e.tenant)
			if err != nil || done {
				return err
			}
			idle++
			switch {
			case idle%20 == 0:
				// Nothing comes and nothing is on its way (a message in
				// flight or delayed comes back in real time, later on a
				// loaded machine; jumping the clock past it would abandon a
				// run that was about to go on): a lease or a queued run must
				// expire first.
				if n, err := h.queued(); err != nil || n > 0 {
					if err != nil {
						return err
					}
					h.clk.Advance(h.app.LeaseTTL())
					h.stats.ClockAdvances++
					break
				}
				h.clk.Advance(h.app.AbandonAfter() + h.app.LeaseTTL())
				h.stats.ClockAdvances++
				if _, _, err := h.svc.Runs(h.ctx, e.tenant, api.Page{Limit: 100}); err != nil {
					return fmt.Errorf("settle runs: %w", err)
				}
			case idle%5 == 0:
				h.clk.Advance(h.app.LeaseTTL())
				h.stats.ClockAdvances++
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		idle = 0
		if first && (s.cancelAt > 0 || s.restartAt > 0 || s.twice) {
			first = false
			h.invokeFaulty(msgs, s)
			continue
		}
		h.invoke(h.ctx, msgs)
	}
	return errors.New("the queue did not settle within 400 deliveries")
}

func (h *soakHarness) receive() ([]sqstypes.Message, error) {
	out, err := h.inf.AWS.SQS.ReceiveMessage(h.ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(h.jobs), MaxNumberOfMessages: 5,
	})
	if err != nil {
		return nil, fmt.Errorf("receive: %w", err)
	}
	return out.Messages, nil
}

// queued counts the job queue's messages, visible, in flight and delayed
// alike (goaws's ApproximateNumberOfMessages holds them all).
func (h *soakHarness) queued() (int, error) {
	out, err := h.inf.AWS.SQS.GetQueueAttributes(h.ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(h.jobs), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages},
	})
	if err != nil {
		return 0, fmt.Errorf("queue attributes: %w", err)
	}
	return strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
}

// invokeFaulty is the first delivery of a run under the schedule's
// worker-side faults: delivered twice at once, cancelled after some
// upstream calls, DynamoDB restarted after some.
func (h *soakHarness) invokeFaulty(msgs []sqstypes.Message, s schedule) {
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	switch {
	case s.cancelAt > 0:
		h.calls.after(s.cancelAt, cancel)
	case s.restartAt > 0:
		h.calls.after(s.restartAt, func() { go h.restartDynalite() })
	}
	defer h.calls.clear()
	if !s.twice {
		h.invoke(ctx, msgs)
		return
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.invoke(ctx, msgs)
		}()
	}
	wg.Wait()
}

// invoke hands one batch to the worker with the function's timeout and
// deletes the messages it did not return.
func (h *soakHarness) invoke(ctx context.Context, msgs []sqstypes.Message) {
	ev := events.SQSEvent{}
	for _, m := range msgs {
		id := aws.ToString(m.MessageId)
		h.mu.Lock() // shared by the two deliveries of a batch
		h.recv[id]++
		n := h.recv[id]
		h.mu.Unlock()
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: id, ReceiptHandle: aws.ToString(m.ReceiptHandle),
			Body: aws.ToString(m.Body), Attributes: map[string]string{"ApproximateReceiveCount": strconv.Itoa(n)}})
	}
	ictx, cancel := context.WithTimeout(ctx, h.app.WorkerTimeout)
	res, err := h.w.Handle(ictx, ev)
	cancel()
	h.mu.Lock()
	h.stats.Invocations++
	h.stats.Messages += len(msgs)
	h.stats.Retried += len(res.BatchItemFailures)
	h.mu.Unlock()
	if err != nil {
		return
	}
	failed := map[string]bool{}
	for _, f := range res.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	for _, rec := range ev.Records {
		if failed[rec.MessageId] {
			continue
		}
		_, _ = h.inf.AWS.SQS.DeleteMessage(context.WithoutCancel(ctx), &sqs.DeleteMessageInput{QueueUrl: aws.String(h.jobs), ReceiptHandle: aws.String(rec.ReceiptHandle)})
	}
}

func (h *soakHarness) runs(tenant string) ([]provision.Run, error) {
	var all []provision.Run
	token := ""
	for {
		runs, next, err := h.store.ListRuns(h.ctx, tenant, 100, token)
		if err != nil {
			return nil, err
		}
		all = append(all, runs...)
		if next == "" {
			return all, nil
		}
		token = next
	}
}

func (h *soakHarness) allFinal(tenant string) (bool, error) {
	runs, err := h.runs(tenant)
	if err != nil {
		// DynamoDB may be restarting.
		return false, nil
	}
	for _, r := range runs {
		if !r.Status.Final() {
			return false, nil
		}
	}
	return true, nil
}

// hireEmails are the work emails of the hires TriNet applied, one per hire.
func (h *soakHarness) hireEmails(company string) []string {
	var out []string
	for _, w := range h.inf.TriNet.Writes(company) {
		if w.Endpoint != "hire" || w.Status/100 != 2 {
			continue
		}
		var body struct {
			EmploymentInfo struct {
				WorkEmail string `json:"workEmail"`
			} `json:"employmentInfo"`
		}
		_ = json.Unmarshal(w.Body, &body)
		out = append(out, strings.ToLower(body.EmploymentInfo.WorkEmail))
	}
	return out
}

// check holds the episode's tenant to the invariants after a run: every run
// final and truthful, at most one hire per person, no ledger entry left
// submitted, every hire TriNet took on the ledger.
func (h *soakHarness) check(e *episode) error {
	runs, err := h.runs(e.tenant)
	if err != nil {
		return err
	}
	ledger, err := h.store.Hires(h.ctx, e.tenant, e.company)
	if err != nil {
		return err
	}
	byUser := map[string]provision.HireEntry{}
	byEmail := map[string]provision.HireEntry{}
	for _, l := range ledger {
		if l.State == provision.HireSubmitted {
			return fmt.Errorf("hire of %s left submitted by %s", l.UserID, l.SyncID)
		}
		byUser[l.UserID], byEmail[strings.ToLower(l.Email)] = l, l
	}
	hired := map[string]int{}
	for _, email := range h.hireEmails(e.company) {
		hired[email]++
		if hired[email] > 1 {
			return fmt.Errorf("%s was hired %d times", email, hired[email])
		}
		if _, ok := byEmail[email]; !ok {
			return fmt.Errorf("TriNet took a hire of %s that the ledger does not hold", email)
		}
	}
	inTriNet := map[string]bool{}
	for _, emp := range h.inf.TriNet.Employees(e.company) {
		inTriNet[strings.ToLower(emp.WorkEmail)] = true
	}
	for _, r := range runs {
		if err := h.truthful(e, r, byUser, inTriNet); err != nil {
			return fmt.Errorf("run %s (%s): %w", r.SyncID, r.Status, err)
		}
	}
	return nil
}

func (h *soakHarness) truthful(e *episode, r provision.Run, byUser map[string]provision.HireEntry, inTriNet map[string]bool) error {
	switch {
	case !r.Status.Final():
		return errors.New("not final")
	case r.FinishedAt.IsZero():
		return errors.New("final without a finish time")
	case (r.Status == provision.RunFailed) != (r.Error != nil):
		return fmt.Errorf("error %+v does not match the status", r.Error)
	case r.Status == provision.RunSucceeded && (r.Counts.Errors > 0 || r.ErrorPeople > 0):
		return fmt.Errorf("succeeded with errors: %+v", r.Counts)
	case r.Status == provision.RunPartial && r.Counts.Errors == 0 && r.ErrorPeople == 0:
		return fmt.Errorf("partial without errors: %+v", r.Counts)
	case r.Status == provision.RunSkipped && r.Counts != (provision.Counts{}):
		return fmt.Errorf("skipped with counts %+v", r.Counts)
	}
	if r.Status != provision.RunSucceeded && r.Status != provision.RunPartial {
		return nil
	}
	plan, _, err := h.store.ListPlan(h.ctx, e.tenant, r.SyncID, 1000, "")
	if err != nil {
		return err
	}
	created := 0
	for _, it := range plan {
		if it.Action != provision.ActionCreate {
			continue
		}
		created++
		l, ok := byUser[it.UserID]
		if !ok || l.SyncID != r.SyncID {
			return fmt.Errorf("plan says %s was created, the ledger says %+v", it.UserID, l)
		}
		if !inTriNet[strings.ToLower(it.Email)] {
			return fmt.Errorf("plan says %s was created; TriNet does not have %s", it.UserID, it.Email)
		}
	}
	if created != r.Counts.Created {
		return fmt.Errorf("counts say %d created, the plan %d", r.Counts.Created, created)
	}
	return nil
}

// converge stops the faults and plays the admin: approve TriNet's pending
// hires, release the hires whose outcome is unknown and that TriNet does
// not have, and sync until a run writes nothing. Then TriNet must hold what
// one clean run of the same people produces (the reference company).
func (h *soakHarness) converge(e *episode) error {
	start := time.Now()
	rounds := 0
	for ; ; rounds++ {
		if rounds == 6 {
			hires, _ := h.store.Hires(h.ctx, e.tenant, e.company)
			writes := h.inf.TriNet.Writes(e.company)
			last := writes[max(0, len(writes)-3):]
			var desc []string
			for _, w := range last {
				desc = append(desc, fmt.Sprintf("%s %s %d %s", w.Method, w.Path, w.Status, w.Body))
			}
			return fmt.Errorf("no steady state within %d clean runs after the faults stopped: ledger %+v; last writes %v", rounds, hires, desc)
		}
		released, err := h.admin(e.tenant, e.company)
		if err != nil {
			return err
		}
		before := len(h.inf.TriNet.Writes(e.company))
		if err := h.cycle(e, -1, false); err != nil {
			return fmt.Errorf("clean run %d: %w", rounds+1, err)
		}
		// Steady: the run wrote nothing and the admin had nothing to release.
		// (A hire starting in the future stays pending: TriNet lists it from
		// its start date, in the reference company alike.)
		if len(h.inf.TriNet.Writes(e.company)) == before && released == 0 {
			break
		}
	}
	h.stats.ConvergeRuns += rounds + 1
	h.stats.ConvergeRunsMax = max(h.stats.ConvergeRunsMax, rounds+1)
	h.stats.ConvergeSecondsMx = max(h.stats.ConvergeSecondsMx, time.Since(start).Seconds())

	// The reference: one clean run of the same people into a company that
	// started as the episode's did, its hires approved. Connected only now,
	// so that the scheduler's ticks during the episode leave it alone.
	if err := h.connect(e.ref, e.refCreds); err != nil {
		return err
	}
	if _, err := h.svc.Trigger(h.ctx, e.ref, api.TriggerRequest{}); err != nil {
		return err
	}
	if err := h.drain(&episode{tenant: e.ref}, schedule{}); err != nil {
		return fmt.Errorf("reference run: %w", err)
	}
	for _, emp := range h.inf.TriNet.Employees(e.refCo) {
		_ = h.inf.TriNet.Approve(e.refCo, emp.ID)
	}
	if err := h.compare(e); err != nil {
		return err
	}
	hired := map[string]int{}
	for _, email := range h.hireEmails(e.company) {
		hired[email]++
	}
	h.stats.HiresAccepted += len(h.hireEmails(e.company))
	h.stats.PeopleHired += len(hired)
	for _, n := range hired {
		if n > 1 {
			h.stats.PeopleHiredTwce++
		}
	}
	runs, err := h.runs(e.tenant)
	if err != nil {
		return err
	}
	h.stats.Runs += len(runs)
	for _, r := range runs {
		h.stats.Statuses[string(r.Status)]++
		if r.Error != nil {
			h.stats.Codes[r.Error.Code]++
			if r.Error.Code == app.CodeAbandoned && len(h.stats.AbandonedSeeds) < 10 && !slices.Contains(h.stats.AbandonedSeeds, e.seed) {
				h.stats.AbandonedSeeds = append(h.stats.AbandonedSeeds, e.seed)
			}
		}
	}
	h.calls.mu.Lock()
	for host, n := range h.calls.calls {
		if strings.Contains(h.inf.TriNetURL, host) {
			h.stats.TriNetCalls += n
		} else {
			h.stats.LeapsomeCalls += n
		}
	}
	clear(h.calls.calls)
	h.calls.mu.Unlock()
	// Done with: the scheduler's next ticks leave both tenants out.
	for _, tenant := range []string{e.tenant, e.ref} {
		if err := h.svc.Disconnect(h.ctx, tenant); err != nil {
			return fmt.Errorf("disconnect %s: %w", tenant, err)
		}
	}
	return nil
}

// admin does what an admin does after checking TriNet: approve the pending
// hires, and release each hire whose outcome is unknown and that TriNet
// does not have.
func (h *soakHarness) admin(tenant, company string) (released int, err error) {
	has := map[string]bool{}
	for _, emp := range h.inf.TriNet.Employees(company) {
		_ = h.inf.TriNet.Approve(company, emp.ID)
		has[strings.ToLower(emp.WorkEmail)] = true
	}
	hires, err := h.store.Hires(h.ctx, tenant, company)
	if err != nil {
		return 0, err
	}
	for _, l := range hires {
		if l.State == provision.HireUnknown && !has[strings.ToLower(l.Email)] {
			if err := h.svc.ReleaseHire(h.ctx, tenant, l.UserID); err != nil {
				return released, fmt.Errorf("release %s: %w", l.UserID, err)
			}
			released++
		}
	}
	h.stats.Released += released
	return released, nil
}

// compare holds the episode's company to the reference, person by person
// of those Leapsome has in scope now. The supervisor is left out: it is set
// on a hire only, and a manager whose own hire was held up by a fault is
// warned about (supervisor_not_in_trinet), not fixed later.
func (h *soakHarness) compare(e *episode) error {
	type view struct{ First, Middle, Last, Title, Dept, Loc, Country, Start, Gender, Birth, Phone, Approval string }
	index := func(co string) map[string]view {
		out := map[string]view{}
		for _, emp := range h.inf.TriNet.Employees(co) {
			out[strings.ToLower(emp.WorkEmail)] = view{emp.FirstName, emp.MiddleName, emp.LastName, emp.Title, emp.DeptID,
				emp.LocationID, emp.Country, emp.StartDate, emp.Gender, emp.BirthDate, emp.WorkPhone, cmp.Or(emp.ApprovalStatus, "A")}
		}
		return out
	}
	got, want := index(e.company), index(e.refCo)
	for _, p := range e.people {
		if !p.active {
			continue
		}
		email := e.email(p)
		g, inGot := got[email]
		w, inWant := want[email]
		if p.dept == "Marketing" {
			// Not a TriNet department: the service cannot write it
			// (department_not_found), nor hire the person now, so what TriNet
			// has depends on the person's history, not on the faults.
			if inGot != inWant {
				continue
			}
			g.Dept, w.Dept = "", ""
		}
		switch {
		case inGot != inWant:
			return fmt.Errorf("once faults stopped, %s is in TriNet: %t; one clean run: %t", email, inGot, inWant)
		case g != w:
			return fmt.Errorf("once faults stopped, %s in TriNet is %+v; one clean run gives %+v", email, g, w)
		}
	}
	return nil
}
