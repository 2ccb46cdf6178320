package localstack

import (
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"trinetsync/internal/app"
	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

// Config says how to run the stack. ConfigFromEnv reads it as `make run`
// does; tests fill it in directly.
type Config struct {
	// DataDir keeps everything that outlives a stop: DynamoDB's data, the
	// secrets (one file each), the sandboxes' state, the generated JWT secret.
	DataDir string
	// APIAddr is where the HTTP API listens (host:port; port 0 = any free one).
	APIAddr string
	// SyncInterval is the schedule's period: a tick at every slot boundary.
	SyncInterval time.Duration
	// JWTSecret signs and checks the API's HS256 tokens; "" = generated once
	// and kept in DataDir/jwt-secret.
	JWTSecret string

	// External API URLs; for each one left empty its sandbox is started.
	TriNetURL       string // no path
	LeapsomeURL     string // ending /v1
	LeapsomeSCIMURL string // ending /scim/v1

	// DemoTenant is the tenant connected to the demo company on first start;
	// "" = none.
	DemoTenant string
	// DemoCredentials connect the demo tenant to the APIs whose URL is given
	// (for a sandbox its own demo credentials are used instead).
	DemoCredentials DemoCredentials
	// FirstSync triggers a manual sync of the demo tenant once the stack is up.
	FirstSync bool

	// BatchSize is the event source mapping's batch size (default 5);
	// Invocations how many worker invocations may run at once (default 2).
	BatchSize   int
	Invocations int
	// QueueConfig is each invocation's deadline (the worker function's
	// timeout) and the jobs queue's redelivery, with the service's defaults
	// (as in template.yaml); a visibility below the worker timeout is
	// refused, as Lambda refuses such a queue: a run outlasting it would be
	// delivered again mid-run.
	app.QueueConfig
	// ShutdownGrace is how long a stop waits for invocations in flight
	// before cancelling them (default 30s).
	ShutdownGrace time.Duration

	// Progress receives one human-readable line per run start and end and
	// per scheduler tick (default discarded).
	Progress io.Writer
	// Logger receives the service's own logs (default discarded).
	Logger *slog.Logger
	// EmulatorLog receives dynalite's and goaws's output (default discarded).
	EmulatorLog io.Writer
	// Metrics receives the service's metrics, the CloudWatch EMF lines the
	// functions print in AWS (default DataDir/metrics.jsonl, or none without
	// a data folder). Events always go to the progress lines and, with a
	// data folder, to DataDir/events.jsonl.
	Metrics io.Writer
	// Now is the service's clock (default time.Now).
	Now func() time.Time
}

// DemoCredentials connect the demo tenant to real (or other) TriNet and
// Leapsome accounts.
type DemoCredentials struct {
	TriNetCompanyID    string
	TriNetClientID     string
	TriNetClientSecret string
	LeapsomeAPISecret  string
	LeapsomeSCIMToken  string // optional
}

// missing names the DEMO_* variables that the external APIs need and that
// are not given; a sandbox's side needs none (its demo credentials are known).
func (d DemoCredentials) missing(trinetExternal, leapsomeExternal bool) []string {
	var m []string
	add := func(v, name string) {
		if v == "" {
			m = append(m, name)
		}
	}
	if trinetExternal {
		add(d.TriNetCompanyID, "DEMO_TRINET_COMPANY_ID")
		add(d.TriNetClientID, "DEMO_TRINET_CLIENT_ID")
		add(d.TriNetClientSecret, "DEMO_TRINET_CLIENT_SECRET")
	}
	if leapsomeExternal {
		add(d.LeapsomeAPISecret, "DEMO_LEAPSOME_API_SECRET")
	}
	return m
}

// Defaults of the local stack; the service's own (the schedule, the queue's
// timings) are app's.
const (
	DefaultDataDir    = ".local"
	DefaultAPIAddr    = "127.0.0.1:8080"
	DefaultDemoTenant = "demo"
)

// ConfigFromEnv reads the stack's configuration as `make run` does:
// DATA_DIR, API_ADDR, SYNC_INTERVAL, LOCAL_JWT_SECRET, TRINET_BASE_URL,
// LEAPSOME_BASE_URL, LEAPSOME_SCIM_URL, DEMO_TENANT (unset = "demo", empty =
// none) and DEMO_TRINET_COMPANY_ID, DEMO_TRINET_CLIENT_ID,
// DEMO_TRINET_CLIENT_SECRET, DEMO_LEAPSOME_API_SECRET, DEMO_LEAPSOME_SCIM_TOKEN.
// A bad value is a fault.Validation error naming the variable. The result
// runs a first sync.
func ConfigFromEnv(lookup func(string) (string, bool)) (Config, error) {
	get := func(k string) string {
		v, _ := lookup(k)
		return strings.TrimSpace(v)
	}
	c := Config{
		DataDir:   get("DATA_DIR"),
		APIAddr:   get("API_ADDR"),
		JWTSecret: get("LOCAL_JWT_SECRET"),
		FirstSync: true,
		DemoCredentials: DemoCredentials{
			TriNetCompanyID:    get("DEMO_TRINET_COMPANY_ID"),
			TriNetClientID:     get("DEMO_TRINET_CLIENT_ID"),
			TriNetClientSecret: get("DEMO_TRINET_CLIENT_SECRET"),
			LeapsomeAPISecret:  get("DEMO_LEAPSOME_API_SECRET"),
			LeapsomeSCIMToken:  get("DEMO_LEAPSOME_SCIM_TOKEN"),
		},
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.APIAddr == "" {
		c.APIAddr = DefaultAPIAddr
	}
	var err error
	if c.SyncInterval, err = app.ParseSyncInterval(get("SYNC_INTERVAL")); err != nil {
		return Config{}, err
	}
	if c.TriNetURL, err = baseURL(get("TRINET_BASE_URL"), "TRINET_BASE_URL", ""); err != nil {
		return Config{}, err
	}
	if c.LeapsomeURL, err = baseURL(get("LEAPSOME_BASE_URL"), "LEAPSOME_BASE_URL", "/v1"); err != nil {
		return Config{}, err
	}
	if c.LeapsomeSCIMURL, err = baseURL(get("LEAPSOME_SCIM_URL"), "LEAPSOME_SCIM_URL", "/scim/v1"); err != nil {
		return Config{}, err
	}
	// One Leapsome account serves both APIs, the SCIM API at /scim/v1 beside
	// the Content API's /v1: a URL given for one of them names the other too,
	// so the sandbox is not started for half an account (which would read two
	// companies), and an outside Leapsome given by one URL is used whole.
	switch {
	case c.LeapsomeURL != "" && c.LeapsomeSCIMURL == "":
		c.LeapsomeSCIMURL = strings.TrimSuffix(c.LeapsomeURL, "/v1") + "/scim/v1"
	case c.LeapsomeSCIMURL != "" && c.LeapsomeURL == "":
		c.LeapsomeURL = strings.TrimSuffix(c.LeapsomeSCIMURL, "/scim/v1") + "/v1"
	}
	if err := checkJWTSecret(c.JWTSecret); err != nil {
		return Config{}, err
	}
	if v, set := lookup("DEMO_TENANT"); !set {
		c.DemoTenant = DefaultDemoTenant
	} else if c.DemoTenant = strings.TrimSpace(v); c.DemoTenant != "" && !provision.TenantIDPattern.MatchString(c.DemoTenant) {
		return Config{}, fault.Invalid("DEMO_TENANT", "must match %s (or be empty for no demo tenant), got %q", provision.TenantIDPattern, c.DemoTenant)
	}
	return c, nil
}

// MinJWTSecretBytes is the shortest LOCAL_JWT_SECRET taken: an HS256 key
// shorter than the hash's 256 bits is weaker than the algorithm (RFC 7518
// §3.2 asks for at least that), and a short one can be guessed offline from
// any token.
const MinJWTSecretBytes = 32

// checkJWTSecret refuses a given LOCAL_JWT_SECRET that is too short ("" is
// fine: one is generated).
func checkJWTSecret(secret string) error {
	if secret != "" && len(secret) < MinJWTSecretBytes {
		return fault.Invalid("LOCAL_JWT_SECRET", "must be at least %d bytes, got %d (for example: openssl rand -hex 32; or unset it to have one generated and kept in DATA_DIR/jwt-secret)",
			MinJWTSecretBytes, len(secret))
	}
	return nil
}

// baseURL checks an external API URL: http(s), a host, and the ending of
// its path the contract asks for ("" = no path at all).
func baseURL(v, name, path string) (string, error) {
	if v == "" {
		return "", nil
	}
	v = strings.TrimRight(v, "/")
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fault.Invalid(name, "must be an http(s) URL, got %q", v)
	}
	p := strings.TrimRight(u.Path, "/")
	switch {
	case path == "" && p != "":
		return "", fault.Invalid(name, "must have no path (such as https://api.trinet.com), got %q", v)
	case path != "" && (!strings.HasSuffix(p, path) || (path == "/v1" && strings.HasSuffix(p, "/scim/v1"))):
		// A Leapsome may sit under a path of its own (…/leapsome/v1); the
		// Content API's URL must not be the SCIM API's.
		return "", fault.Invalid(name, "must end with %s, got %q", path, v)
	}
	return v, nil
}

func (c *Config) withDefaults() {
	if c.APIAddr == "" {
		c.APIAddr = DefaultAPIAddr
	}
	if c.SyncInterval <= 0 {
		c.SyncInterval = app.DefaultSyncInterval
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 5
	}
	if c.Invocations <= 0 {
		c.Invocations = 2
	}
	c.QueueConfig = c.QueueConfig.WithDefaults()
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = 30 * time.Second
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.EmulatorLog == nil {
		c.EmulatorLog = io.Discard
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// external reports whether any API is a real (not sandbox) one.
func (c Config) external() bool { return c.trinetExternal() || c.leapsomeExternal() }

func (c Config) trinetExternal() bool   { return c.TriNetURL != "" }
func (c Config) leapsomeExternal() bool { return c.LeapsomeURL != "" || c.LeapsomeSCIMURL != "" }

// checkLeapsomeURLs refuses one Leapsome API external and the other the
// sandbox: they would read two different companies.
func checkLeapsomeURLs(content, scim string) error {
	switch {
	case content != "" && scim == "":
		return fault.Invalid("LeapsomeSCIMURL", "must be given with LeapsomeURL: both Leapsome APIs are the same account's")
	case content == "" && scim != "":
		return fault.Invalid("LeapsomeURL", "must be given with LeapsomeSCIMURL: both Leapsome APIs are the same account's")
	}
	return nil
}
