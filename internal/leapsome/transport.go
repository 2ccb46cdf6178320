package leapsome

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"

	"trinetsync/internal/fault"
)

type apiKind int

const (
	contentAPI apiKind = iota + 1
	scimAPI
)

func (a apiKind) String() string {
	if a == scimAPI {
		return "scim"
	}
	return "content"
}

// request is one GET. op names it in errors and logs ("GET /employees page 2");
// it never carries query values, because the token call's query is the secret.
type request struct {
	api   apiKind
	path  string
	query url.Values
	op    string
	// bearer: send the cached Content API token (every Content call but /token).
	bearer bool
}

// outcome of one attempt: final errors are returned as they are, others are
// retried after retryAfter (when the server said) or the next backoff.
type outcome struct {
	body       []byte
	err        error
	final      bool
	retryAfter time.Duration
}

// do sends r, retrying 429, 5xx and connection failures with exponential
// backoff and jitter, honouring Retry-After, at most MaxRetries times and
// within MaxElapsed, until ctx ends.
func (c *Client) do(ctx context.Context, r request) ([]byte, error) {
	start := c.now()
	bo := &backoff.ExponentialBackOff{
		InitialInterval:     c.cfg.BaseDelay,
		RandomizationFactor: 0.5,
		Multiplier:          2,
		MaxInterval:         c.cfg.MaxDelay,
	}
	bo.Reset()
	renewed := false
	for attempt := 0; ; attempt++ {
		o := c.attempt(ctx, r, &renewed)
		if o.err == nil {
			return o.body, nil
		}
		if o.final || !fault.Retryable(o.err) {
			return nil, o.err
		}
		if ctx.Err() != nil {
			return nil, canceled(ctx, r.op)
		}
		if attempt >= c.cfg.MaxRetries {
			return nil, fmt.Errorf("after %d attempts: %w", attempt+1, o.err)
		}
		wait := o.retryAfter
		if wait <= 0 {
			// The jitter may reach 1.5× the interval; MaxDelay is the cap.
			wait = min(bo.NextBackOff(), c.cfg.MaxDelay)
		}
		if c.now().Sub(start)+wait > c.cfg.MaxElapsed {
			return nil, fmt.Errorf("after %d attempts, retry budget spent: %w", attempt+1, o.err)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return nil, fmt.Errorf("after %d attempts, deadline too close to retry: %w", attempt+1, o.err)
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "leapsome retry",
			slog.String("api", r.api.String()), slog.String("op", r.op),
			slog.Int("attempt", attempt+1), slog.Duration("wait", wait), slog.String("err", o.err.Error()))
		if err := c.sleep(ctx, wait); err != nil {
			return nil, canceled(ctx, r.op)
		}
	}
}

// attempt sends r once; a 401 on the Content API renews the token and sends
// it once more (at most once per do).
func (c *Client) attempt(ctx context.Context, r request, renewed *bool) outcome {
	for {
		if err := c.limiter(r.api).Wait(ctx); err != nil {
			return outcome{err: fault.Wrap(fault.Transient, err, "leapsome %s: rate limiter", r.op), final: true}
		}
		u := c.baseURL(r.api) + r.path
		if len(r.query) > 0 {
			u += "?" + r.query.Encode()
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			// The URL was checked in New: only a broken path could get here.
			return outcome{err: fault.New(fault.Validation, "leapsome %s: cannot build request", r.op), final: true}
		}
		req.Header.Set("Accept", "application/json")
		var tok string
		switch {
		case r.api == scimAPI:
			req.Header.Set("Authorization", "Bearer "+c.cfg.SCIMToken)
		case r.bearer:
			// The exchange has its own retries; its failure ends this call.
			if tok, err = c.token(ctx, "", false); err != nil {
				return outcome{err: err, final: true}
			}
			req.Header.Set("Authorization", "Bearer "+tok)
		}

		resp, err := c.http.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return outcome{err: canceled(ctx, r.op), final: true}
			}
			return outcome{err: fault.Wrap(fault.Transient, stripURL(err), "leapsome %s: connection failed", r.op)}
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
		resp.Body.Close()
		c.log.LogAttrs(ctx, slog.LevelDebug, "leapsome call",
			slog.String("api", r.api.String()), slog.String("op", r.op), slog.Int("status", resp.StatusCode))
		if err != nil {
			if ctx.Err() != nil {
				return outcome{err: canceled(ctx, r.op), final: true}
			}
			return outcome{err: fault.Wrap(fault.Transient, stripURL(err), "leapsome %s: reading response failed", r.op)}
		}

		st := resp.StatusCode
		switch {
		case st >= 200 && st < 300:
			if len(body) > maxBodyBytes {
				return outcome{err: fault.New(fault.Transient, "leapsome %s: response larger than %d bytes", r.op, maxBodyBytes), final: true}
			}
			return outcome{body: body}
		case st == http.StatusUnauthorized && r.api == contentAPI && r.bearer && !*renewed:
			*renewed = true
			if _, err := c.token(ctx, tok, false); err != nil {
				return outcome{err: err, final: true}
			}
			continue
		}
		return c.classify(r, resp)
	}
}

// classify turns a non-2xx answer into an error of the fault classes. The
// body is never quoted: Leapsome may echo personal data in it.
func (c *Client) classify(r request, resp *http.Response) outcome {
	st := resp.StatusCode
	msg := fmt.Sprintf("leapsome %s: status %d", r.op, st)
	switch {
	case r.api == scimAPI && (st == http.StatusUnauthorized || st == http.StatusForbidden):
		// SCIM answers 403 for a bad token, and the documents list 401 too.
		return outcome{err: &fault.Error{Class: fault.Auth, Field: fieldSCIMToken, Message: msg + ": SCIM token rejected"}, final: true}
	case st == http.StatusUnauthorized:
		return outcome{err: &fault.Error{Class: fault.Auth, Field: fieldAPISecret, Message: msg + ": API secret rejected"}, final: true}
	case st == http.StatusForbidden:
		return outcome{err: fault.New(fault.Forbidden, "%s", msg), final: true}
	case st == http.StatusNotFound:
		return outcome{err: fault.New(fault.NotFound, "%s", msg), final: true}
	case st == http.StatusTooManyRequests:
		return outcome{err: fault.New(fault.Throttled, "%s", msg), retryAfter: retryAfter(resp.Header.Get("Retry-After"), c.now())}
	case st >= 500 || st == http.StatusRequestTimeout:
		// A 408 is the server giving up on a slow request: it may pass, like a 5xx.
		return outcome{err: fault.New(fault.Transient, "%s", msg), retryAfter: retryAfter(resp.Header.Get("Retry-After"), c.now())}
	default:
		// 400 and any other 4xx: Leapsome refused a read we built; repeating
		// it cannot help, and it is our fault, never the API caller's 400.
		return outcome{err: fault.New(fault.Internal, "%s", msg), final: true}
	}
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if secs, err := strconv.Atoi(h); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// stripURL drops the *url.Error wrapper, whose text holds the full URL and
// so, for /token, the API secret.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func canceled(ctx context.Context, op string) error {
	return fault.Wrap(fault.Transient, context.Cause(ctx), "leapsome %s: cancelled", op)
}

// badJSON reports an unusable response without quoting it: the error text of
// encoding/json may hold a piece of the body.
func badJSON(op string, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fault.New(fault.Transient, "leapsome %s: response is not valid JSON (offset %d)", op, se.Offset)
	}
	return fault.New(fault.Transient, "leapsome %s: response does not have the documented shape", op)
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
