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

// APIClients builds the production HTTP clients. The clients share their token
// caches and rate limiters per credential, so building them per run is cheap.
type APIClients struct {
	TriNetBaseURL string
	LeapsomeURL   string
	LeapsomeSCIM  string
	TriNetRPS     float64
	HTTPClient    *http.Client
	Now           func() time.Time
	Logger        *slog.Logger
	// RetryBaseDelay and RetryMaxDelay shape both clients' backoff between
	// retries of 429, 5xx and dropped connections; zero keeps each client's
	// default. The local stack and tests shorten them so that an outage
	// surfaces in milliseconds rather than a minute.
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
}

// NewAPIClients builds clients for the URLs of cfg.
func NewAPIClients(cfg Config, hc *http.Client, log *slog.Logger) *APIClients {
	if hc == nil {
		// The engine writes several people at once and TriNet's pages are read
		// in windows: keep that many connections per host open, or each burst
		// pays a TLS handshake again (the default keeps two).
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 16
		hc = &http.Client{Timeout: 60 * time.Second, Transport: t}
	}
	return &APIClients{
		TriNetBaseURL: cfg.TriNetBaseURL, LeapsomeURL: cfg.LeapsomeURL, LeapsomeSCIM: cfg.LeapsomeSCIM,
		TriNetRPS: cfg.TriNetRPS, HTTPClient: hc, Logger: log,
	}
}

func (a *APIClients) trinet(c secrets.Credentials, log *slog.Logger) (*trinet.Client, error) {
	return trinet.New(trinet.Config{
		BaseURL: a.TriNetBaseURL, CompanyID: c.TriNet.CompanyID, ClientID: c.TriNet.ClientID,
		ClientSecret: c.TriNet.ClientSecret, HTTPClient: a.HTTPClient, RPS: a.TriNetRPS, Now: a.Now, Logger: log,
		BaseDelay: a.RetryBaseDelay, MaxDelay: a.RetryMaxDelay,
	})
}

func (a *APIClients) leapsome(c secrets.Credentials, log *slog.Logger) (*leapsome.Client, error) {
	return leapsome.New(leapsome.Config{
		BaseURL: a.LeapsomeURL, SCIMURL: a.LeapsomeSCIM, APISecret: c.Leapsome.APISecret,
		SCIMToken: c.Leapsome.SCIMToken, HTTPClient: a.HTTPClient, Now: a.Now, Logger: log,
		BaseDelay: a.RetryBaseDelay, MaxDelay: a.RetryMaxDelay,
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
