package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/leapsome"
	"trinetsync/internal/provision"
	"trinetsync/internal/secrets"
	"trinetsync/internal/trinet"
)

// Clients builds a tenant's TriNet and Leapsome clients from its credentials.
type Clients interface {
	// ForTenant's clients log through log, which carries the tenant and sync ids.
	ForTenant(c secrets.Credentials, log *slog.Logger) (provision.PeopleSource, provision.Company, error)
}

// APIClients builds the production HTTP clients. It is the long-lived
// clients object: built once per cold start (NewAPIClients), it owns what the
// per-run clients share — TriNet and Leapsome access tokens per credential,
// TriNet's adaptive pace per company, Leapsome's rate limits per credential —
// in bounded caches that drop expired tokens and idle pacers. Building the
// clients per run is therefore cheap, and a run starts from the pace the
// previous runs of the same company learned.
type APIClients struct {
	TriNetBaseURL string
	LeapsomeURL   string
	LeapsomeSCIM  string
	HTTPClient    *http.Client
	Logger        *slog.Logger
	// RetryBaseDelay and RetryMaxDelay shape both clients' backoff between
	// retries of 429, 5xx and dropped connections; zero keeps each client's
	// default. Tests and the soak shorten them so that an outage surfaces in
	// milliseconds rather than a minute; the local stack keeps the defaults,
	// as in AWS.
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	// RequestTimeout bounds each attempt of an upstream call; the run's
	// deadline, when sooner, bounds it instead. Zero keeps each client's
	// default (TriNet 30 s, Leapsome 60 s).
	RequestTimeout time.Duration

	trinetShared   *trinet.Shared
	leapsomeShared *leapsome.Shared
}

// NewAPIClients builds clients for the URLs of cfg, pacing TriNet from
// cfg.TriNetRPS within [cfg.TriNetMinRPS, cfg.TriNetMaxRPS].
func NewAPIClients(cfg Config, hc *http.Client, log *slog.Logger) *APIClients {
	if hc == nil {
		// The engine writes several people at once and TriNet's pages are read
		// in windows: keep that many connections per host open, or each burst
		// pays a TLS handshake again (the default keeps two). No client-wide
		// timeout: the retry policy bounds each attempt by the run's deadline.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 16
		hc = &http.Client{Transport: t}
	}
	return &APIClients{
		TriNetBaseURL: cfg.TriNetBaseURL, LeapsomeURL: cfg.LeapsomeURL, LeapsomeSCIM: cfg.LeapsomeSCIM,
		HTTPClient: hc, Logger: log,
		trinetShared:   trinet.NewShared(trinet.Pacing{RPS: cfg.TriNetRPS, MinRPS: cfg.TriNetMinRPS, MaxRPS: cfg.TriNetMaxRPS}),
		leapsomeShared: leapsome.NewShared(leapsome.Limits{}),
	}
}

func (a *APIClients) trinet(c secrets.Credentials, log *slog.Logger) (*trinet.Client, error) {
	return trinet.New(trinet.Config{
		BaseURL: a.TriNetBaseURL, CompanyID: c.TriNet.CompanyID, ClientID: c.TriNet.ClientID,
		ClientSecret: c.TriNet.ClientSecret, HTTPClient: a.HTTPClient, Shared: a.trinetShared, Logger: log,
		BaseDelay: a.RetryBaseDelay, MaxDelay: a.RetryMaxDelay, RequestTimeout: a.RequestTimeout,
	})
}

func (a *APIClients) leapsome(c secrets.Credentials, log *slog.Logger) (*leapsome.Client, error) {
	return leapsome.New(leapsome.Config{
		BaseURL: a.LeapsomeURL, SCIMURL: a.LeapsomeSCIM, APISecret: c.Leapsome.APISecret,
		SCIMToken: c.Leapsome.SCIMToken, HTTPClient: a.HTTPClient, Shared: a.leapsomeShared, Logger: log,
		BaseDelay: a.RetryBaseDelay, MaxDelay: a.RetryMaxDelay, RequestTimeout: a.RequestTimeout,
	})
}

// ForTenant implements Clients.
func (a *APIClients) ForTenant(c secrets.Credentials, log *slog.Logger) (provision.PeopleSource, provision.Company, error) {
	tn, err := a.trinet(c, log)
	if err != nil {
		return nil, nil, err
	}
	ls, err := a.leapsome(c, log)
	if err != nil {
		return nil, nil, err
	}
	return ls, tn, nil
}

// Check verifies each given credential against its API, as connect does:
// TriNet token and org details, Leapsome token, and SCIM when a token is given.
// A rejection is a fault.Auth error naming the field at fault.
func (a *APIClients) Check(ctx context.Context, c secrets.Credentials) error {
	tn, err := a.trinet(c, a.Logger)
	if err != nil {
		return err
	}
	if _, err := tn.OrgDetails(ctx); err != nil {
		switch {
		case errors.Is(err, fault.ErrAuth):
			return &fault.Error{Class: fault.Auth, Field: "trinet.clientSecret", Message: "TriNet rejected the client id or client secret", Err: err}
		case errors.Is(err, fault.ErrForbidden), errors.Is(err, fault.ErrNotFound):
			return &fault.Error{Class: fault.Forbidden, Field: "trinet.companyId", Message: "these TriNet credentials may not access this company", Err: err}
		}
		return err
	}
	ls, err := a.leapsome(c, a.Logger)
	if err != nil {
		return err
	}
	if err := ls.CheckToken(ctx); err != nil {
		if errors.Is(err, fault.ErrAuth) || errors.Is(err, fault.ErrForbidden) {
			return &fault.Error{Class: fault.Auth, Field: "leapsome.apiSecret", Message: "Leapsome rejected the API secret", Err: err}
		}
		return err
	}
	if c.Leapsome.SCIMToken != "" {
		if err := ls.CheckSCIM(ctx); err != nil {
			if errors.Is(err, fault.ErrAuth) || errors.Is(err, fault.ErrForbidden) {
				return &fault.Error{Class: fault.Auth, Field: "leapsome.scimToken", Message: "Leapsome rejected the SCIM token", Err: err}
			}
			return err
		}
	}
	return nil
}
