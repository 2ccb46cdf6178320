package trinet

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"trinetsync/internal/fault"
)

// tokenEntry is one credential's access token, shared by every Client that
// uses the credential. TriNet issues no refresh token: a new one is asked for
// before the old one expires, and once more when a call answers 401.
type tokenEntry struct {
	mu      sync.Mutex
	token   string
	renewAt time.Time
	// clock and used tell the Shared cache when the entry is idle.
	clock func() time.Time
	used  time.Time
	// flight makes concurrent callers wait for one token request instead of
	// each asking TriNet for its own.
	flight singleflight.Group
}

func (e *tokenEntry) valid(now time.Time) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.clock != nil {
		e.used = e.clock()
	}
	if e.token != "" && now.Before(e.renewAt) {
		return e.token, true
	}
	return "", false
}

// idle says whether the entry holds no usable token and nobody asked for one
// for idleFor.
func (e *tokenEntry) idle(now time.Time, idleFor time.Duration) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return (e.token == "" || !now.Before(e.renewAt)) && now.Sub(e.used) >= idleFor
}

// invalidate forgets tok if it is still the cached token; a token renewed by
// another caller meanwhile is kept.
func (e *tokenEntry) invalidate(tok string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.token == tok {
		e.token = ""
	}
}

// renewAfter is how long a token with the given lifetime is used.
func renewAfter(ttl time.Duration) time.Duration {
	if ttl >= 4*tokenMargin {
		return ttl - tokenMargin
	}
	return ttl * 3 / 4
}

// token returns a valid access token, asking TriNet for one if needed.
func (c *Client) token(ctx context.Context) (string, error) {
	if t, ok := c.tok.valid(c.now()); ok {
		return t, nil
	}
	ch := c.tok.flight.DoChan("token", func() (any, error) {
		if t, ok := c.tok.valid(c.now()); ok {
			return t, nil
		}
		// The request outlives the caller that started it: others may be
		// waiting for the same token.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.policy.MaxElapsed+c.policy.RequestTimeout)
		defer cancel()
		t, ttl, err := c.fetchToken(fctx)
		if err != nil {
			return "", err
		}
		c.tok.mu.Lock()
		c.tok.token, c.tok.renewAt = t, c.now().Add(renewAfter(ttl))
		c.tok.mu.Unlock()
		return t, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", fault.Wrap(fault.Transient, ctx.Err(), "trinet token: cancelled while waiting")
	}
}

func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	var tr tokenResponse
	q := url.Values{queryGrantType: {grantType}}
	err := c.do(ctx, &call{
		endpoint: epToken,
		method:   http.MethodGet,
		path:     pathToken,
		query:    q.Encode(),
		basic:    base64.StdEncoding.EncodeToString([]byte(c.id + ":" + c.secret)),
		decode: func(b []byte) error {
			// The token answer is not enveloped.
			if err := json.Unmarshal(b, &tr); err != nil {
				return err
			}
			if tr.AccessToken == "" {
				return fault.Invalid("access_token", "missing from the token answer")
			}
			return nil
		},
	})
	if err != nil {
		return "", 0, err
	}
	ttl := defaultTokenTTL
	if s, err := strconv.ParseFloat(strings.TrimSpace(string(tr.ExpiresIn)), 64); err == nil && s > 0 {
		ttl = time.Duration(s * float64(time.Second))
	} else {
		c.log.WarnContext(ctx, "trinet token: expires_in missing or not a number; assuming a short lifetime",
			"company", c.rawCo, "assumed", defaultTokenTTL)
	}
	return string(tr.AccessToken), ttl, nil
}
