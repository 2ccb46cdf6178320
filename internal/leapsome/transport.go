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
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/retry"
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
	// read, when set, consumes a 2xx body as it arrives (a page is decoded
	// as it streams, never held whole); do then answers no body. It is called
	// afresh for each attempt, so it must start over each time. An error it
	// returns ends the call as it is, unless the body could not be read to
	// the end (a dropped connection), which is retried like any transport
	// failure.
	read func(body io.Reader) error
}

// outcome of one attempt: final errors are returned as they are, others are
// retried after retryAfter (when the server said) or the next backoff.
type outcome struct {
	body       []byte
	err        error
	final      bool
	retryAfter time.Duration
	throttled  bool // HTTP 429: the pace honours its Retry-After
	again      bool // the token was renewed: send once more, not a retry
}

// do sends r under the retry policy (internal/retry): 429, 5xx and
// connection failures are retried with exponential backoff and jitter,
// honouring Retry-After, at most MaxRetries times, within MaxElapsed and
// before ctx's deadline; every attempt waits for the API's pace.
func (c *Client) do(ctx context.Context, r request) ([]byte, error) {
	p := c.policy
	p.Sleep = c.sleep
	p.Gate = c.limiter(r.api)
	renewed := false
	var body []byte
	err := p.Do(ctx, r.op, func(actx context.Context) retry.Attempt {
		o := c.attempt(ctx, actx, r, &renewed)
		body = o.body
		return retry.Attempt{Err: o.err, Retry: !o.final && fault.Retryable(o.err), RetryAfter: o.retryAfter,
			Throttled: o.throttled, Again: o.again}
	})
	if err != nil {
		return nil, err
	}
	return body, nil
}

// attempt sends r once; a 401 on the Content API renews the token and asks
// for one more attempt (at most once per do). ctx is the call's, actx the
// attempt's: only ctx ending means the caller gave up.
func (c *Client) attempt(ctx, actx context.Context, r request, renewed *bool) outcome {
	u := c.baseURL(r.api) + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	req, err := http.NewRequestWithContext(actx, http.MethodGet, u, nil)
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
		if tok, err = c.token(actx, "", false); err != nil {
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
	if r.read != nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return c.stream(ctx, r, resp)
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
		if _, err := c.token(actx, tok, false); err != nil {
			return outcome{err: err, final: true}
		}
		return outcome{err: fault.New(fault.Auth, "leapsome %s: status 401: token renewed", r.op), again: true}
	}
	return c.classify(r, resp)
}

// stream hands a 2xx body to r.read as it arrives.
func (c *Client) stream(ctx context.Context, r request, resp *http.Response) outcome {
	defer resp.Body.Close()
	body := &countingReader{r: io.LimitReader(resp.Body, maxBodyBytes+1)}
	err := r.read(body)
	if err == nil {
		// Whatever follows a complete page is read (and refused by r.read
		// when it is not white space), so the connection can be used again.
		_, _ = io.Copy(io.Discard, body)
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "leapsome call",
		slog.String("api", r.api.String()), slog.String("op", r.op), slog.Int("status", resp.StatusCode))
	switch {
	case body.err != nil:
		if ctx.Err() != nil {
			return outcome{err: canceled(ctx, r.op), final: true}
		}
		return outcome{err: fault.Wrap(fault.Transient, stripURL(body.err), "leapsome %s: reading response failed", r.op)}
	case body.n > maxBodyBytes:
		return outcome{err: fault.New(fault.Transient, "leapsome %s: response larger than %d bytes", r.op, maxBodyBytes), final: true}
	case err != nil:
		return outcome{err: err, final: true}
	}
	return outcome{}
}

// countingReader counts what it reads and keeps the first failure to read
// (end of body aside), so that a body cut off by the network is told from
// one that is not valid JSON.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
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
		return outcome{err: fault.New(fault.Throttled, "%s", msg), retryAfter: retry.ParseRetryAfter(resp.Header.Get("Retry-After"), c.now()), throttled: true}
	case st >= 500 || st == http.StatusRequestTimeout:
		// A 408 is the server giving up on a slow request: it may pass, like a 5xx.
		return outcome{err: fault.New(fault.Transient, "%s", msg), retryAfter: retry.ParseRetryAfter(resp.Header.Get("Retry-After"), c.now())}
	default:
		// 400 and any other 4xx: Leapsome refused a read we built; repeating
		// it cannot help, and it is our fault, never the API caller's 400.
		return outcome{err: fault.New(fault.Internal, "%s", msg), final: true}
	}
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
