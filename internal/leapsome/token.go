package leapsome

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"trinetsync/internal/fault"
)

// Tokens and rate limiters belong to a credential, not to a Client value: the
// worker builds a new Client for every run, and parallel runs of one tenant
// must share one token and one request budget.

// credential identifies one Leapsome credential without holding the secret.
type credential struct {
	base string // the API's base URL
	hash string // hex SHA-256 of the secret or token
}

func newCredential(base, secret string) credential {
	sum := sha256.Sum256([]byte(secret))
	return credential{base: base, hash: hex.EncodeToString(sum[:])}
}

// tokenSlot caches the Content API token of one credential. lock is a
// one-slot channel rather than a mutex so that a caller waiting for another's
// token exchange can give up when its context ends; holding it while the
// exchange runs keeps concurrent callers from stampeding /token.
type tokenSlot struct {
	lock    chan struct{}
	token   string
	expires time.Time
}

var (
	tokenSlots sync.Map // credential -> *tokenSlot
	limiters   sync.Map // limiterKey -> *rate.Limiter
)

type limiterKey struct {
	api  apiKind
	cred credential
}

func slotFor(cred credential) *tokenSlot {
	if s, ok := tokenSlots.Load(cred); ok {
		return s.(*tokenSlot)
	}
	s, _ := tokenSlots.LoadOrStore(cred, &tokenSlot{lock: make(chan struct{}, 1)})
	return s.(*tokenSlot)
}

// limiterFor returns the shared limiter of a credential on one API; the first
// Client to ask sets its rate.
func limiterFor(api apiKind, cred credential, rps float64) *rate.Limiter {
	key := limiterKey{api: api, cred: cred}
	if l, ok := limiters.Load(key); ok {
		return l.(*rate.Limiter)
	}
	// Burst 1 spreads requests evenly: a burst would spend Leapsome's
	// per-second budget at once and invite 429s from a strict server.
	l, _ := limiters.LoadOrStore(key, rate.NewLimiter(rate.Limit(rps), 1))
	return l.(*rate.Limiter)
}

// token returns a usable Content API token. stale, when not empty, is a
// token the server has just refused: it is not returned again, and a new one
// is fetched unless another caller has already replaced it. force fetches a
// new token whatever the cache holds.
func (c *Client) token(ctx context.Context, stale string, force bool) (string, error) {
	s := c.tokens
	select {
	case s.lock <- struct{}{}:
	case <-ctx.Done():
		return "", fault.Wrap(fault.Transient, ctx.Err(), "leapsome GET %s: waiting for token", pathToken)
	}
	defer func() { <-s.lock }()

	now := c.now()
	if !force && s.token != "" && s.token != stale && now.Before(s.expires) {
		return s.token, nil
	}
	tok, ttl, err := c.exchange(ctx)
	if err != nil {
		return "", err
	}
	margin := min(tokenRenewMargin, ttl/10)
	s.token, s.expires = tok, c.now().Add(ttl-margin)
	return tok, nil
}

// exchange trades the API secret for a token: GET /token?secret=…
func (c *Client) exchange(ctx context.Context) (string, time.Duration, error) {
	body, err := c.do(ctx, request{
		api:   contentAPI,
		path:  pathToken,
		query: url.Values{paramSecret: {c.cfg.APISecret}},
		op:    "GET " + pathToken,
	})
	if err != nil {
		return "", 0, err
	}
	var auth struct {
		Token     string          `json:"token"`
		ExpiresIn json.RawMessage `json:"expiresIn"`
	}
	if err := json.Unmarshal(body, &auth); err != nil {
		return "", 0, badJSON("GET "+pathToken, err)
	}
	if auth.Token == "" {
		return "", 0, fault.New(fault.Transient, "leapsome GET %s: response has no token", pathToken)
	}
	return auth.Token, parseTTL(auth.ExpiresIn), nil
}

// parseTTL reads expiresIn (seconds). The documents say integer; a string or
// a fraction is accepted too, anything unusable falls back to the default.
func parseTTL(raw json.RawMessage) time.Duration {
	var secs float64
	if err := json.Unmarshal(raw, &secs); err != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return defaultTokenTTL
		}
		if err := json.Unmarshal([]byte(s), &secs); err != nil {
			return defaultTokenTTL
		}
	}
	if secs <= 0 || secs > 366*24*3600 {
		return defaultTokenTTL
	}
	return time.Duration(secs * float64(time.Second))
}
