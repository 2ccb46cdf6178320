package trinet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

var _ provision.Company = (*Client)(nil)

// Config is one tenant's connection to TriNet. Zero knobs take the defaults of
// profile.go.
type Config struct {
	BaseURL      string // scheme and host, no path, e.g. https://api.trinet.com
	CompanyID    string
	ClientID     string
	ClientSecret string
	HTTPClient   *http.Client // optional; default has a 30s timeout
	// RPS is the client-side rate limit, shared by every Client of the same
	// BaseURL and CompanyID in this process (the last New sets it).
	RPS    float64
	Now    func() time.Time // default time.Now
	Logger *slog.Logger     // default slog.Default()

	// Retry policy for 429, 5xx and connection errors.
	MaxRetries int           // retries after the first attempt; default 6, at least 5
	MaxElapsed time.Duration // bound on one call's total time spent retrying; default 60s
	BaseDelay  time.Duration // first backoff interval, doubled with jitter; default 250ms
	MaxDelay   time.Duration // largest backoff interval; default 8s
	// PageWindow is how many employee pages are fetched at once; default 6.
	PageWindow int
	// Sleep waits d or until ctx ends; default a timer. Tests replace it to see
	// the waits (Retry-After) without spending them.
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
	limiter *rate.Limiter
	tok     *tokenEntry
	now     func() time.Time
	log     *slog.Logger
	sleep   func(context.Context, time.Duration) error

	maxRetries int
	maxElapsed time.Duration
	baseDelay  time.Duration
	maxDelay   time.Duration
	window     int
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
	if cfg.MaxRetries != 0 && cfg.MaxRetries < minMaxRetries {
		return nil, fault.Invalid("MaxRetries", "must be at least %d", minMaxRetries)
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"MaxElapsed", cfg.MaxElapsed}, {"BaseDelay", cfg.BaseDelay}, {"MaxDelay", cfg.MaxDelay}} {
		if d.v < 0 {
			return nil, fault.Invalid(d.field, "must not be negative")
		}
	}
	if cfg.PageWindow < 0 {
		return nil, fault.Invalid("PageWindow", "must not be negative")
	}
	c := &Client{
		base:       base,
		company:    url.PathEscape(cfg.CompanyID),
		rawCo:      cfg.CompanyID,
		id:         cfg.ClientID,
		secret:     cfg.ClientSecret,
		http:       cfg.HTTPClient,
		now:        cfg.Now,
		log:        cfg.Logger,
		sleep:      cfg.Sleep,
		maxRetries: orDefault(cfg.MaxRetries, defaultMaxRetries),
		maxElapsed: orDefault(cfg.MaxElapsed, defaultMaxElapsed),
		baseDelay:  orDefault(cfg.BaseDelay, defaultBaseDelay),
		maxDelay:   orDefault(cfg.MaxDelay, defaultMaxDelay),
		window:     orDefault(cfg.PageWindow, defaultPageWindow),
	}
	if c.maxDelay < c.baseDelay {
		c.maxDelay = c.baseDelay
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: defaultTimeout}
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
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	c.limiter = sharedLimiter(base, cfg.CompanyID, orDefault(cfg.RPS, defaultRPS))
	c.tok = sharedToken(base, cfg.ClientID, cfg.ClientSecret)
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

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// limiters holds one limiter per (base URL, company): TriNet's limit is the
// company's, however many Client values a process makes for it.
var limiters sync.Map

func sharedLimiter(base, company string, rps float64) *rate.Limiter {
	burst := max(1, int(math.Ceil(rps)))
	v, loaded := limiters.LoadOrStore(base+"\x00"+company, rate.NewLimiter(rate.Limit(rps), burst))
	l := v.(*rate.Limiter)
	if loaded && l.Limit() != rate.Limit(rps) {
		l.SetLimit(rate.Limit(rps))
		l.SetBurst(burst)
	}
	return l
}

// tokens holds one token per credential, keyed by base URL, client id and a
// hash of the secret (a changed secret is a new credential; the secret itself
// is not kept as a key).
var tokens sync.Map

func sharedToken(base, clientID, secret string) *tokenEntry {
	h := sha256.Sum256([]byte(secret))
	key := base + "\x00" + clientID + "\x00" + hex.EncodeToString(h[:])
	v, _ := tokens.LoadOrStore(key, &tokenEntry{})
	return v.(*tokenEntry)
}

func (c *Client) path(format string, args ...string) string {
	a := make([]any, 0, len(args)+1)
	a = append(a, c.company)
	for _, s := range args {
		a = append(a, url.PathEscape(s))
	}
	return fmt.Sprintf(format, a...)
}
