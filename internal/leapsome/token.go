package leapsome

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"sync/atomic"
	"time"

	"trinetsync/internal/cache"
	"trinetsync/internal/fault"
	"trinetsync/internal/pacing"
)

// Tokens and rate limiters belong to a credential, not to a Client value: the
// worker builds a new Client for every run, and parallel runs of one tenant
// must share one token and one request budget. A Shared holds them.

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
	// used (on the Shared's clock) tells the cache when the slot is idle;
	// it is written under lock.
	used atomic.Int64
}

// idle says whether the slot holds no usable token, nobody holds it, and
// nobody asked for it for idleFor.
func (s *tokenSlot) idle(now time.Time, idleFor time.Duration) bool {
	select {
	case s.lock <- struct{}{}:
		defer func() { <-s.lock }()
	default:
		return false
	}
	return (s.token == "" || !now.Before(s.expires)) && now.Sub(time.Unix(0, s.used.Load())) >= idleFor
}

type limiterKey struct {
	api  apiKind
	cred credential
}

// Limits are the request rates a Shared paces each credential at: fixed, as
// Leapsome documents them (zero takes 20/s Content API and 30/s SCIM).
type Limits struct {
	ContentRPS float64
	SCIMRPS    float64
}

// Shared is what the Clients built with it share in one process: one token
// per API secret, and one pacer per credential and API. The long-lived
// clients object (app.APIClients) makes one per cold start; Clients are
// built per run. Both caches are bounded (maxShared entries each): a token
// is dropped once expired and unasked for a minute, a pacer once unused for
// an hour, and the least recently used entry beyond the bound. The rates
// are set once, here: a Client cannot change them.
type Shared struct {
	limits Limits
	now    func() time.Time
	tokens *cache.Cache[credential, *tokenSlot]
	pacers *cache.Cache[limiterKey, *pacing.Pacer]
}

const (
	maxShared   = 4096
	tokenIdle   = time.Minute
	limiterIdle = time.Hour
)

// NewShared returns an empty Shared pacing every credential at l.
func NewShared(l Limits) *Shared {
	if !(l.ContentRPS > 0) {
		l.ContentRPS = defaultContentRPS
	}
	if !(l.SCIMRPS > 0) {
		l.SCIMRPS = defaultSCIMRPS
	}
	s := &Shared{limits: l, now: time.Now}
	s.tokens = cache.New[credential](maxShared, func(t *tokenSlot) bool { return t.idle(s.now(), tokenIdle) })
	s.pacers = cache.New[limiterKey](maxShared, func(p *pacing.Pacer) bool { return p.IdleSince(s.now().Add(-limiterIdle)) })
	return s
}

func (s *Shared) slot(cred credential) *tokenSlot {
	return s.tokens.Get(cred, func() *tokenSlot {
		t := &tokenSlot{lock: make(chan struct{}, 1)}
		t.used.Store(s.now().UnixNano())
		return t
	})
}

// pacer is the shared pace of a credential on one API: Leapsome's documented
// "maximum of N requests per second", read as at most N requests in any
// second. The pacer lets a second's worth go together (a sliding window
// widened by pacing.BurstMargin, never a bucket that would allow twice that
// in a second), so that the pages of a listing whose length the first page
// announced are fetched at once. A server that counts more strictly says so
// with a 429, which ends the burst: the credential's calls are evenly
// spaced from then on.
func (s *Shared) pacer(api apiKind, cred credential) *pacing.Pacer {
	rps := s.limits.ContentRPS
	if api == scimAPI {
		rps = s.limits.SCIMRPS
	}
	return s.pacers.Get(limiterKey{api: api, cred: cred}, func() *pacing.Pacer {
		cfg := pacing.Fixed(rps)
		cfg.Burst = int(rps)
		return pacing.New(cfg)
	})
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
	s.used.Store(c.shared.now().UnixNano())

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
