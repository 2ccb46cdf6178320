package trinet

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/pacing"
	"trinetsync/internal/provision"
	"trinetsync/internal/retry"
)

var _ provision.Company = (*Client)(nil)

// Config is one tenant's connection to TriNet. Zero knobs take the defaults of
// profile.go.
type Config struct {
	BaseURL      string // scheme and host, no path, e.g. https://api.trinet.com
	CompanyID    string
	ClientID     string
	ClientSecret string
	HTTPClient   *http.Client // optional; redirects are never followed
	// Shared is the process's token cache and per-company pacers (see
	// Shared). Without it the Client has its own, paced from RPS; with it
	// the pace is Shared's and RPS must be zero.
	Shared *Shared
	RPS    float64
	Now    func() time.Time // default time.Now
	Logger *slog.Logger     // default slog.Default()

	// Retry policy for 429, 5xx and connection errors (internal/retry).
	MaxRetries int           // retries after the first attempt; default 6, at least 5
	MaxElapsed time.Duration // bound on one call's total time spent retrying; default 60s
	BaseDelay  time.Duration // first backoff interval, then ×1.5 each retry with ±50 % jitter (internal/retry); default 250ms
	MaxDelay   time.Duration // largest backoff interval; default 8s
	// RequestTimeout bounds each attempt (default 30s); the caller's
	// deadline, when sooner, bounds it instead.
	RequestTimeout time.Duration
	// PageWindow is how many employee pages are fetched at once; default 8.
	PageWindow int
	// Sleep waits d or until ctx ends; default retry.Sleep. Tests replace it
	// to see the retry waits (Retry-After) without spending them.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client talks to one TriNet company. It is safe for concurrent use.
type Client struct {
	base    string
	company string // path-escaped
	rawCo   string
	id      string
	secret  string
	http    *http.Client
	pacer   *pacing.Pacer
	tok     *tokenEntry
	now     func() time.Time
	log     *slog.Logger
	policy  retry.Policy // without its gate: do adds the pacer to API calls
	window  int
}

// OrgDetails is what TriNet says about the company the credentials belong to.
type OrgDetails struct {
	CompanyID   string
	CompanyName string
}

// New checks cfg and returns a client. A bad field gives a fault.Validation
// error naming it.
func New(cfg Config) (*Client, error) {
	base, err := checkBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.CompanyID == "" || strings.TrimSpace(cfg.CompanyID) != cfg.CompanyID || strings.ContainsAny(cfg.CompanyID, "/?#%") {
		return nil, fault.Invalid("CompanyID", "must be a TriNet company id such as CJ6")
	}
	if cfg.ClientID == "" {
		return nil, fault.Invalid("ClientID", "is required")
	}
	if cfg.ClientSecret == "" {
		return nil, fault.Invalid("ClientSecret", "is required")
	}
	if cfg.RPS < 0 || math.IsNaN(cfg.RPS) || math.IsInf(cfg.RPS, 0) {
		return nil, fault.Invalid("RPS", "must be a positive number")
	}
	if cfg.Shared != nil && cfg.RPS != 0 {
		// One rule for the pace: it is the Shared's, set once per process.
		return nil, fault.Invalid("RPS", "is set on the Shared state (trinet.Pacing), not per client")
	}
	if cfg.MaxRetries != 0 && cfg.MaxRetries < minMaxRetries {
		return nil, fault.Invalid("MaxRetries", "must be at least %d", minMaxRetries)
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"MaxElapsed", cfg.MaxElapsed}, {"BaseDelay", cfg.BaseDelay}, {"MaxDelay", cfg.MaxDelay}, {"RequestTimeout", cfg.RequestTimeout}} {
		if d.v < 0 {
			return nil, fault.Invalid(d.field, "must not be negative")
		}
	}
	if cfg.PageWindow < 0 {
		return nil, fault.Invalid("PageWindow", "must not be negative")
	}
	c := &Client{
		base:    base,
		company: url.PathEscape(cfg.CompanyID),
		rawCo:   cfg.CompanyID,
		id:      cfg.ClientID,
		secret:  cfg.ClientSecret,
		http:    cfg.HTTPClient,
		now:     cfg.Now,
		log:     cfg.Logger,
		window:  orDefault(cfg.PageWindow, defaultPageWindow),
	}
	if c.http == nil {
		// No client-wide timeout: the retry policy bounds each attempt.
		c.http = &http.Client{}
	}
	// A redirect would make net/http send the hire POST again: nothing TriNet
	// answers is followed, a 3xx is handed back as it is.
	noRedirect := *c.http
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.http = &noRedirect
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.policy = retry.Policy{
		MaxRetries:     orDefault(cfg.MaxRetries, defaultMaxRetries),
		BaseDelay:      orDefault(cfg.BaseDelay, defaultBaseDelay),
		MaxDelay:       orDefault(cfg.MaxDelay, defaultMaxDelay),
		MaxElapsed:     orDefault(cfg.MaxElapsed, defaultMaxElapsed),
		RequestTimeout: orDefault(cfg.RequestTimeout, defaultTimeout),
		Now:            c.now,
		Sleep:          cfg.Sleep,
		Service:        "trinet",
		Logger:         c.log,
	}
	shared := cfg.Shared
	if shared == nil {
		shared = NewShared(Pacing{RPS: cfg.RPS})
	}
	c.pacer = shared.pacer(base, cfg.CompanyID)
	c.tok = shared.token(base, cfg.ClientID, cfg.ClientSecret)
	return c, nil
}

func checkBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fault.Invalid("BaseURL", "must be an http(s) URL such as https://api.trinet.com")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fault.Invalid("BaseURL", "must have no path, query or user info")
	}
	return u.Scheme + "://" + u.Host, nil
}

func orDefault[T comparable](v, d T) T {
	var zero T
	if v == zero {
		return d
	}
	return v
}

func (c *Client) path(format string, args ...string) string {
	a := make([]any, 0, len(args)+1)
	a = append(a, c.company)
	for _, s := range args {
		a = append(a, url.PathEscape(s))
	}
	return fmt.Sprintf(format, a...)
}
