package localstack

import (
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"

	"trinetsync/internal/fault"
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
	// DemoCredentials connect the demo tenant when an external URL is given
	// (the sandboxes' own demo credentials are used otherwise).
	DemoCredentials DemoCredentials
	// FirstSync triggers a manual sync of the demo tenant once the stack is up.
	FirstSync bool

	// ProcessEnv exports the functions' environment (AWS_ENDPOINT_URL_*,
	// AWS_REGION, dummy credentials) into this process and builds the SDK
	// clients from it, exactly as a Lambda function does. Off, the clients get
	// their endpoints explicitly, so several stacks can run in one process.
	ProcessEnv bool

	// BatchSize is the event source mapping's batch size (default 5);
	// Invocations how many worker invocations may run at once (default 2).
	BatchSize   int
	Invocations int
	// VisibilityTimeout and MaxReceiveCount configure the jobs queue (defaults
	// 60s and 5); WorkerTimeout is each invocation's deadline (default 5m).
	VisibilityTimeout time.Duration
	MaxReceiveCount   int
	WorkerTimeout     time.Duration
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

// complete reports whether the required credentials are all there.
func (d DemoCredentials) complete() bool {
	return d.TriNetCompanyID != "" && d.TriNetClientID != "" && d.TriNetClientSecret != "" && d.LeapsomeAPISecret != ""
}

// Defaults of the local stack.
const (
	DefaultDataDir      = ".local"
	DefaultAPIAddr      = "127.0.0.1:8080"
	DefaultSyncInterval = 10 * time.Minute
	DefaultDemoTenant   = "demo"
)

var tenantPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ConfigFromEnv reads the stack's configuration as `make run` does:
// DATA_DIR, API_ADDR, SYNC_INTERVAL, LOCAL_JWT_SECRET, TRINET_BASE_URL,
// LEAPSOME_BASE_URL, LEAPSOME_SCIM_URL, DEMO_TENANT (unset = "demo", empty =
// none) and DEMO_TRINET_COMPANY_ID, DEMO_TRINET_CLIENT_ID,
// DEMO_TRINET_CLIENT_SECRET, DEMO_LEAPSOME_API_SECRET, DEMO_LEAPSOME_SCIM_TOKEN.
// A bad value is a fault.Validation error naming the variable. The result
// runs a first sync and exports the functions' environment (ProcessEnv).
func ConfigFromEnv(lookup func(string) (string, bool)) (Config, error) {
	get := func(k string) string {
		v, _ := lookup(k)
		return strings.TrimSpace(v)
	}
	c := Config{
		DataDir:      get("DATA_DIR"),
		APIAddr:      get("API_ADDR"),
		JWTSecret:    get("LOCAL_JWT_SECRET"),
		SyncInterval: DefaultSyncInterval,
		FirstSync:    true,
		ProcessEnv:   true,
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
	if v := get("SYNC_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return Config{}, fault.Invalid("SYNC_INTERVAL", "must be a duration of at least 1s such as 10m or 30s, got %q", v)
		}
		c.SyncInterval = d
	}
	var err error
	if c.TriNetURL, err = baseURL(get("TRINET_BASE_URL"), "TRINET_BASE_URL", ""); err != nil {
		return Config{}, err
	}
	if c.LeapsomeURL, err = baseURL(get("LEAPSOME_BASE_URL"), "LEAPSOME_BASE_URL", "/v1"); err != nil {
		return Config{}, err
	}
	if c.LeapsomeSCIMURL, err = baseURL(get("LEAPSOME_SCIM_URL"), "LEAPSOME_SCIM_URL", "/scim/v1"); err != nil {
		return Config{}, err
	}
	if v, set := lookup("DEMO_TENANT"); !set {
		c.DemoTenant = DefaultDemoTenant
	} else if c.DemoTenant = strings.TrimSpace(v); c.DemoTenant != "" && !tenantPattern.MatchString(c.DemoTenant) {
		return Config{}, fault.Invalid("DEMO_TENANT", "must match %s (or be empty for no demo tenant), got %q", tenantPattern, c.DemoTenant)
	}
	return c, nil
}

// baseURL checks an external API URL: http(s), a host, and the path the
// contract asks for ("" = none).
func baseURL(v, name, path string) (string, error) {
	if v == "" {
		return "", nil
	}
	v = strings.TrimRight(v, "/")
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fault.Invalid(name, "must be an http(s) URL, got %q", v)
	}
	if strings.TrimRight(u.Path, "/") != path {
		if path == "" {
			return "", fault.Invalid(name, "must have no path (such as https://api.trinet.com), got %q", v)
		}
		return "", fault.Invalid(name, "must end with %s, got %q", path, v)
	}
	return v, nil
}

func (c *Config) withDefaults() {
	if c.APIAddr == "" {
		c.APIAddr = DefaultAPIAddr
	}
	if c.SyncInterval <= 0 {
		c.SyncInterval = DefaultSyncInterval
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 5
	}
	if c.Invocations <= 0 {
		c.Invocations = 2
	}
	if c.VisibilityTimeout <= 0 {
		c.VisibilityTimeout = time.Minute
	}
	if c.MaxReceiveCount <= 0 {
		c.MaxReceiveCount = 5
	}
	if c.WorkerTimeout <= 0 {
		c.WorkerTimeout = 5 * time.Minute
	}
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
func (c Config) external() bool {
	return c.TriNetURL != "" || c.LeapsomeURL != "" || c.LeapsomeSCIMURL != ""
}
