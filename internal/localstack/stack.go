package localstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"trinetsync/internal/api"
	"trinetsync/internal/app"
	"trinetsync/internal/metrics"
	"trinetsync/internal/provision"
	"trinetsync/internal/sandbox/demo"
	"trinetsync/internal/secrets/standin"
)

// Stack is the whole service running on this machine: the infrastructure
// (emulators, secrets stand-in, sandboxes), the HTTP API, the scheduler's
// tick and the SQS poller that feeds the worker, all through the same
// handlers and SDK clients as in AWS.
type Stack struct {
	Infra *Infra
	// APIURL is the API's base URL (http://host:port, no path).
	APIURL string
	// JWTSecret signs the API's tokens (LOCAL_JWT_SECRET or the kept one).
	JWTSecret string
	// DemoTenant is the demo tenant's id, "" when there is none or it could
	// not be connected; DemoNote says why when it was not.
	DemoTenant string
	DemoNote   string
	// FirstSyncID is the sync the stack triggered on start ("" when none).
	FirstSyncID string
	// Requeued and Interrupted count the runs the previous stop left
	// unfinished that this start settled: queued ones sent again, running
	// ones written failed (interrupted).
	Requeued, Interrupted int
	// EventsPath and MetricsPath are the files the events and the metrics
	// are appended to ("" when none).
	EventsPath, MetricsPath string
	metricsFile             *os.File

	cfg      Config
	wiring   *app.Wiring
	progress *progress
	api      *http.Server
	apiDone  chan error
	cancel   context.CancelFunc // stops polling and ticking
	stopWork context.CancelFunc // cancels invocations in flight
	bg       sync.WaitGroup     // ticker, snapshots
	pollers  sync.WaitGroup
	closed   sync.Once
}

// Start starts the stack; on error, whatever was started is stopped.
func Start(ctx context.Context, cfg Config) (_ *Stack, err error) {
	cfg.withDefaults()
	if err := cfg.QueueConfig.Check(); err != nil {
		return nil, err
	}
	if err := checkLeapsomeURLs(cfg.LeapsomeURL, cfg.LeapsomeSCIMURL); err != nil {
		return nil, err
	}
	if err := prerequisites(); err != nil {
		return nil, err
	}
	prog := &progress{out: cfg.Progress, now: cfg.Now, starts: map[string]time.Time{}}
	log := slogWith(cfg.Logger, prog)
	st := &Stack{cfg: cfg, progress: prog, apiDone: make(chan error, 1)}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()

	if cfg.DataDir != "" {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("DATA_DIR %s: %w", cfg.DataDir, err)
		}
	}
	if st.JWTSecret, err = jwtSecret(cfg); err != nil {
		return nil, err
	}
	// The API's port is taken first: a busy port is the likeliest failure and
	// should not wait for the emulators.
	ln, err := net.Listen("tcp", cfg.APIAddr)
	if err != nil {
		return nil, fmt.Errorf("API_ADDR %s: %w (is another stack running? set API_ADDR=127.0.0.1:0 for any free port)", cfg.APIAddr, err)
	}
	st.APIURL = "http://" + ln.Addr().String()
	// Until the API server owns the listener, a failed start closes it here.
	defer func() {
		if err != nil && st.api == nil {
			ln.Close()
		}
	}()

	st.Infra, err = StartInfra(ctx, InfraConfig{
		DataDir: cfg.DataDir, TriNetURL: cfg.TriNetURL, LeapsomeURL: cfg.LeapsomeURL, LeapsomeSCIMURL: cfg.LeapsomeSCIMURL,
		QueueConfig: cfg.QueueConfig, EmulatorLog: cfg.EmulatorLog,
	})
	if err != nil {
		return nil, err
	}
	freshTriNet, freshLeapsome, err := st.loadSandboxes()
	if err != nil {
		return nil, err
	}
	// Each sandbox that runs holds its side of the demo company, also when
	// the other API is external.
	if freshTriNet || freshLeapsome {
		if _, err := st.Infra.seed(freshTriNet, freshLeapsome, cfg.Now()); err != nil {
			return nil, fmt.Errorf("seed the demo company: %w", err)
		}
	}

	// The service gets its configuration and its SDK clients (with the
	// endpoints AWS_ENDPOINT_URL_* gives the functions) directly: nothing is
	// written to this process's environment.
	awsClients := st.Infra.AWS
	appCfg := st.Infra.Config(cfg.SyncInterval)
	if appCfg.MetricsNamespace == "" {
		appCfg.MetricsNamespace = metrics.DefaultNamespace
	}
	tel, err := st.telemetry(appCfg.MetricsNamespace)
	if err != nil {
		return nil, err
	}
	st.wiring = app.NewWiring(appCfg, awsClients, app.WiringOptions{Logger: log, Now: cfg.Now, Telemetry: tel})

	if err := st.settle(ctx); err != nil {
		return nil, err
	}

	st.api = &http.Server{
		Handler:           st.wiring.API(api.HS256Authenticator{Secret: []byte(st.JWTSecret), Now: cfg.Now}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		if err := st.api.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			st.apiDone <- fmt.Errorf("API server: %w", err)
		}
	}()

	arn, err := queueARN(ctx, awsClients.SQS, st.Infra.QueueURL)
	if err != nil {
		return nil, fmt.Errorf("read the jobs queue's ARN: %w", err)
	}
	pollCtx, cancel := context.WithCancel(context.Background())
	workCtx, stopWork := context.WithCancel(context.Background())
	st.cancel, st.stopWork = cancel, stopWork
	p := &poller{
		sqs: awsClients.SQS, queueURL: st.Infra.QueueURL, queueARN: arn, handler: st.wiring.Worker(),
		batch: cfg.BatchSize, timeout: cfg.WorkerTimeout, maxReceive: cfg.MaxReceiveCount,
		log: log, progress: prog, receives: map[string]int{},
	}
	for range cfg.Invocations {
		st.pollers.Add(1)
		go func() {
			defer st.pollers.Done()
			p.run(pollCtx, workCtx)
		}()
	}
	st.bg.Add(2)
	go func() {
		defer st.bg.Done()
		st.tickLoop(pollCtx)
	}()
	go func() {
		defer st.bg.Done()
		st.snapshotLoop(pollCtx)
	}()

	if err := st.setUpDemo(ctx); err != nil {
		return nil, err
	}
	return st, nil
}

// telemetry gives the services what AWS gives the functions: the metrics
// (EMF lines) go to cfg.Metrics or DATA_DIR/metrics.jsonl instead of a log
// group, and the events are printed and kept in DATA_DIR/events.jsonl
// instead of going on an EventBridge bus.
func (st *Stack) telemetry(namespace string) (app.Telemetry, error) {
	out := st.cfg.Metrics
	if dir := st.cfg.DataDir; dir != "" {
		st.EventsPath = filepath.Join(dir, EventsFile)
		if out == nil {
			st.MetricsPath = filepath.Join(dir, MetricsFile)
			f, err := os.OpenFile(st.MetricsPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
			if err != nil {
				return app.Telemetry{}, fmt.Errorf("metrics file: %w", err)
			}
			st.metricsFile, out = f, f
		}
	}
	tel := app.Telemetry{Events: &eventJournal{path: st.EventsPath, progress: st.progress}}
	if out != nil {
		tel.Metrics = metrics.New(out, namespace)
	}
	return tel, nil
}

// prerequisites names what must be installed by hand, before anything starts.
func prerequisites() error {
	if os.Getenv("DYNALITE_BIN") == "" {
		if _, err := exec.LookPath("node"); err != nil {
			return errors.New("node (Node.js) is required: dynalite, the local DynamoDB, runs on it; install Node.js 20 or later with npm, then run `make run` again")
		}
	}
	return nil
}

// Tick runs the scheduler once, as EventBridge would at now.
func (st *Stack) Tick(ctx context.Context, now time.Time) (app.TickResult, error) {
	return st.wiring.Scheduler().Tick(ctx, now)
}

// tickLoop ticks at every slot boundary, so that the nextRunAt the API
// shows is when the run is queued.
func (st *Stack) tickLoop(ctx context.Context) {
	for {
		now := st.cfg.Now()
		next := app.Slot(now, st.cfg.SyncInterval).Add(st.cfg.SyncInterval)
		t := time.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if _, err := st.Tick(ctx, next); err != nil && ctx.Err() == nil {
			st.cfg.Logger.Error("scheduler tick", "err", err)
		}
	}
}

// Token mints an API token: for one tenant, or for every tenant (admin).
func (st *Stack) Token(tenant string, admin bool, ttl time.Duration) (string, error) {
	if admin {
		return api.MintToken(st.JWTSecret, "local-admin", "", api.AdminScope, ttl)
	}
	return api.MintToken(st.JWTSecret, "local-"+tenant, tenant, "", ttl)
}

// Wait blocks until ctx is done (nil) or a part of the stack stops on its
// own (an emulator exits, the API server fails): that error.
func (st *Stack) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-st.Infra.Dynalite.Done():
		return fmt.Errorf("dynalite (DynamoDB) exited: %v", st.Infra.Dynalite.Err())
	case <-st.Infra.Goaws.Done():
		return fmt.Errorf("goaws (SQS) exited: %v", st.Infra.Goaws.Err())
	case err := <-st.apiDone:
		return err
	}
}

// Close stops everything: the tick and the poller first, then invocations in
// flight (given ShutdownGrace to finish), the API, and last the sandboxes
// (their state saved under DataDir) and the emulators. Safe to call twice.
func (st *Stack) Close() {
	st.closed.Do(func() {
		if st.cancel != nil {
			st.cancel()
		}
		done := make(chan struct{})
		go func() {
			st.pollers.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(st.cfg.ShutdownGrace):
			st.progress.printf("stopping: worker invocations still running after %s are cancelled", st.cfg.ShutdownGrace)
			st.cancelWork()
			<-done
		}
		st.cancelWork()
		st.bg.Wait()
		if st.api != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = st.api.Shutdown(ctx)
			cancel()
		}
		if st.Infra != nil {
			if err := st.saveSandboxes(); err != nil {
				st.cfg.Logger.Error("save the sandboxes' state", "err", err)
			}
			st.Infra.Close()
		}
		if st.metricsFile != nil {
			_ = st.metricsFile.Close()
		}
	})
}

// cancelWork cancels invocations in flight; a start that failed early has
// none to cancel.
func (st *Stack) cancelWork() {
	if st.stopWork != nil {
		st.stopWork()
	}
}

// settle finishes, through the service's own use case, what the last stop
// left: goaws kept its messages in memory, so a queued run's job is sent
// again, and a running run (its invocation is gone) is failed as
// interrupted, its lease released. The tenants looked at are the connected
// ones, the demo tenant and every tenant with a secret file: one revoked
// since may have a run left.
func (st *Stack) settle(ctx context.Context) error {
	var also []string
	if st.cfg.DemoTenant != "" {
		also = append(also, st.cfg.DemoTenant)
	}
	if files, err := filepath.Glob(filepath.Join(st.Infra.SecretsDir, standin.FileName(SecretPrefix+"*"))); err == nil {
		prefix, suffix, _ := strings.Cut(standin.FileName(SecretPrefix+"*"), "*")
		for _, f := range files {
			id := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), prefix), suffix)
			if provision.TenantIDPattern.MatchString(id) {
				also = append(also, id)
			}
		}
	}
	settled, err := st.wiring.Restart().SettleInterrupted(ctx, also...)
	for _, r := range settled.Requeued {
		st.progress.printf("sync %s %s was queued when the stack stopped: queued again", r.TenantID, r.SyncID)
	}
	for _, r := range settled.Interrupted {
		st.progress.printf("sync %s %s was running when the stack stopped: marked failed (%s)", r.TenantID, r.SyncID, app.CodeInterrupted)
	}
	st.Requeued, st.Interrupted = len(settled.Requeued), len(settled.Interrupted)
	return err
}

// setUpDemo connects the demo tenant on first start (to the sandboxes with
// the settings the demo shows off; to real accounts with the defaults) and
// triggers a first sync on every start.
func (st *Stack) setUpDemo(ctx context.Context) error {
	cfg := st.cfg
	if cfg.DemoTenant == "" {
		st.DemoNote = "no demo tenant (DEMO_TENANT is empty)"
		return nil
	}
	state, err := st.readState()
	if err != nil {
		return err
	}
	svc := st.wiring.Backend()
	if state.DemoTenant != cfg.DemoTenant {
		creds, missing := st.demoCredentials()
		if len(missing) > 0 {
			var set []string
			if cfg.trinetExternal() {
				set = append(set, "TRINET_BASE_URL")
			}
			if cfg.leapsomeExternal() {
				set = append(set, "LEAPSOME_BASE_URL and LEAPSOME_SCIM_URL")
			}
			st.DemoNote = fmt.Sprintf("demo tenant not connected: with %s set, set %s too",
				strings.Join(set, ", "), strings.Join(missing, ", "))
			return nil
		}
		if _, err := svc.Connect(ctx, cfg.DemoTenant, api.ConnectRequest{
			TriNet:   api.TriNetCredentials{CompanyID: creds.TriNetCompanyID, ClientID: creds.TriNetClientID, ClientSecret: creds.TriNetClientSecret},
			Leapsome: api.LeapsomeCredentials{APISecret: creds.LeapsomeAPISecret, SCIMToken: creds.LeapsomeSCIMToken},
		}); err != nil {
			if cfg.external() {
				// Real accounts can be wrong or down: the stack is still useful.
				st.DemoNote = fmt.Sprintf("demo tenant not connected: %v", err)
				return nil
			}
			return fmt.Errorf("connect the demo tenant to the sandboxes: %w", err)
		}
		state.DemoTenant = cfg.DemoTenant
		if cfg.external() {
			// Real accounts keep the defaults, auto-create off: the first
			// sync suggests hires rather than making them in a real company.
			st.progress.printf("tenant %q connected to the given accounts (default settings, auto-create off)", cfg.DemoTenant)
		} else {
			if _, err := svc.PutSettings(ctx, cfg.DemoTenant, demoSettings(creds.LeapsomeSCIMToken != "")); err != nil {
				return fmt.Errorf("save the demo tenant's settings: %w", err)
			}
			st.progress.printf("demo tenant %q connected to the sandboxes (auto-create on)", cfg.DemoTenant)
		}
		if err := st.writeState(state); err != nil {
			return err
		}
	}
	st.DemoTenant = cfg.DemoTenant
	if !cfg.FirstSync {
		return nil
	}
	// Against real accounts the start's sync only plans: writing to a real
	// TriNet company is for the user to ask.
	run, err := svc.Trigger(ctx, cfg.DemoTenant, api.TriggerRequest{DryRun: cfg.external()})
	if errors.Is(err, api.ErrNotConnected) {
		// The user disconnected it, or TriNet revoked it: say which.
		conn, cerr := svc.Connection(ctx, cfg.DemoTenant)
		if cerr != nil {
			return fmt.Errorf("read the demo tenant's connection: %w", cerr)
		}
		st.DemoNote = fmt.Sprintf("demo tenant %q is %s: no first sync (PUT its connection to reconnect)", cfg.DemoTenant, conn.Status)
		return nil
	}
	if err != nil {
		return fmt.Errorf("trigger the first sync: %w", err)
	}
	st.FirstSyncID = run.SyncID
	return nil
}

// demoCredentials connect the demo tenant: for a sandbox its demo company's
// (DefaultCredentials: it was seeded with them, and accepts no others), for
// an external API the given ones. missing names the DEMO_* variables the
// external APIs need and that were not given.
func (st *Stack) demoCredentials() (c DemoCredentials, missing []string) {
	given, d := st.cfg.DemoCredentials, demo.DefaultCredentials()
	c = DemoCredentials{
		TriNetCompanyID: d.TriNetCompanyID, TriNetClientID: d.TriNetClientID, TriNetClientSecret: d.TriNetClientSecret,
		LeapsomeAPISecret: d.LeapsomeAPISecret, LeapsomeSCIMToken: d.LeapsomeSCIMToken,
	}
	if st.cfg.trinetExternal() {
		c.TriNetCompanyID, c.TriNetClientID, c.TriNetClientSecret = given.TriNetCompanyID, given.TriNetClientID, given.TriNetClientSecret
	}
	if st.cfg.leapsomeExternal() {
		c.LeapsomeAPISecret, c.LeapsomeSCIMToken = given.LeapsomeAPISecret, given.LeapsomeSCIMToken
	}
	return c, given.missing(st.cfg.trinetExternal(), st.cfg.leapsomeExternal())
}

// demoSettings are the demo tenant's settings: the default mappings,
// auto-create on, and the demo company's custom attributes mapped to
// TriNet's employee type and FLSA codes.
func demoSettings(scim bool) provision.Settings {
	s := provision.DefaultSettings(scim)
	s.AutoCreateNewHires = true
	s.Mappings = append(s.Mappings,
		provision.Mapping{Target: "employeeType", Source: "customAttributes.Employee type", ValueMap: map[string]string{"Full time": "F", "Part time": "P"}},
		provision.Mapping{Target: "flsaCode", Source: "customAttributes.FLSA", ValueMap: map[string]string{"Exempt": "T", "Non-exempt": "N"}},
		provision.Mapping{Target: "standardHours", Source: "const:40"},
	)
	return s
}

// slogWith puts the progress lines in front of the service's logger.
func slogWith(l *slog.Logger, p *progress) *slog.Logger {
	return slog.New(newProgressHandler(l.Handler(), p))
}
