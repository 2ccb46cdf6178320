package trinet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"trinetsync/internal/cache"
	"trinetsync/internal/pacing"
)

// Pacing sets up the per-company pace of a Shared (internal/pacing): it
// starts at RPS and adapts to what TriNet accepts, within [MinRPS, MaxRPS].
type Pacing struct {
	RPS    float64 // the start (TRINET_RPS); default 10
	MinRPS float64 // default RPS/10
	MaxRPS float64 // default 50×RPS
	// Now and Sleep are the pacers' clock (default the wall clock); a
	// benchmark may run it faster, with the sandbox's limit on the same clock.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Shared is what the Clients built with it share in one process: one access
// token per credential, and one pacer per company, since TriNet's limit is
// the company's however many Clients call it. The long-lived clients object
// (app.APIClients) makes one per cold start; Clients are built per run.
//
// Both caches are bounded (maxShared entries each): an access token is
// dropped once it has expired and nobody asked for it for a minute, a pacer
// once unused for pacerIdle (its learned rate is learned again), and the
// least recently used entry beyond the bound. The pace is set once, here:
// a Client cannot change it.
type Shared struct {
	pace   Pacing
	now    func() time.Time
	tokens *cache.Cache[string, *tokenEntry]
	pacers *cache.Cache[string, *pacing.Pacer]
}

const (
	// maxShared bounds each cache: far more companies than one process
	// serves between cold starts.
	maxShared = 4096
	// pacerIdle is how long an unused pacer keeps its learned rate: longer
	// than the schedule's 10 minutes, so that a tenant's next run starts
	// from what the last one learned.
	pacerIdle = time.Hour
	// tokenIdle: an expired token entry untouched this long has no caller
	// waiting on it.
	tokenIdle = time.Minute
)

// NewShared returns an empty Shared pacing every company with p.
func NewShared(p Pacing) *Shared {
	if !(p.RPS > 0) {
		p.RPS = defaultRPS
	}
	s := &Shared{pace: p, now: p.Now}
	if s.now == nil {
		s.now = time.Now
	}
	s.tokens = cache.New[string](maxShared, func(e *tokenEntry) bool { return e.idle(s.now(), tokenIdle) })
	s.pacers = cache.New[string](maxShared, func(pc *pacing.Pacer) bool { return pc.IdleSince(s.now().Add(-pacerIdle)) })
	return s
}

// Pacer is the pacer of a company, made at the shared pace if new. Tests
// and benchmarks read its Stats.
func (s *Shared) Pacer(baseURL, companyID string) *pacing.Pacer {
	base, err := checkBaseURL(baseURL)
	if err != nil {
		base = baseURL
	}
	return s.pacer(base, companyID)
}

func (s *Shared) pacer(base, company string) *pacing.Pacer {
	return s.pacers.Get(base+"\x00"+company, func() *pacing.Pacer {
		return pacing.New(pacing.Config{Start: s.pace.RPS, Floor: s.pace.MinRPS, Ceiling: s.pace.MaxRPS,
			Now: s.pace.Now, Sleep: s.pace.Sleep})
	})
}

// token is a credential's entry, keyed by base URL, client id and a hash of
// the secret (a changed secret is a new credential; the secret itself is
// not kept as a key).
func (s *Shared) token(base, clientID, secret string) *tokenEntry {
	h := sha256.Sum256([]byte(secret))
	return s.tokens.Get(base+"\x00"+clientID+"\x00"+hex.EncodeToString(h[:]), func() *tokenEntry { return &tokenEntry{clock: s.now, used: s.now()} })
}
