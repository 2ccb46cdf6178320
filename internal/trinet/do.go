package trinet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
	"trinetsync/internal/retry"
)

// call is one logical TriNet request, which may take several attempts.
type call struct {
	endpoint string // name for logs and errors
	method   string
	path     string
	query    string // encoded
	body     []byte // JSON; never logged
	// once marks a call that is not idempotent (the hire): once its request
	// may have reached TriNet, it is never sent again.
	once bool
	// basic is the Basic credential for the token call; other calls use the
	// bearer token.
	basic string
	// redact lists values of the request (SSN, birth date) that must not
	// reach an error message even if TriNet echoes them.
	redact []string
	// decode reads a 2xx body. An error makes the attempt a transient failure
	// (retried unless once).
	decode func([]byte) error
}

// failure is one failed attempt.
type failure struct {
	err        error // classified
	retry      bool
	retryAfter time.Duration
	// throttled: TriNet answered 429 (the pacer slows down).
	throttled bool
	// unauthorized is the bearer token TriNet answered 401 to.
	unauthorized string
}

// do runs cl under the retry policy (internal/retry): 429, 5xx, connection
// errors and unreadable answers are retried with exponential backoff and
// jitter, up to MaxRetries times while MaxElapsed and ctx's deadline allow,
// waiting at least Retry-After; each attempt of an API call waits for the
// company's pacer, and a 401 renews the token once. A call marked once is
// not repeated after its request may have been applied.
//
// For a call marked once, fault.OutcomeUnknown means exactly that the request
// was written and TriNet's answer does not say it was refused (5xx, an odd
// status, a timeout or a dropped connection after the headers went out).
// Every failure before the request was written — the token could not be had,
// the pacer or the caller's context stopped it, the connection could not be
// opened — keeps its own class (fault.Transient, fault.Throttled, fault.Auth,
// …): TriNet certainly did not apply it.
func (c *Client) do(ctx context.Context, cl *call) error {
	p := c.policy
	if cl.basic == "" {
		// The token call is not paced: TriNet's limit is on its API.
		p.Gate = c.pacer
	}
	renewed := false
	n := 0
	return p.Do(ctx, cl.endpoint, func(actx context.Context) retry.Attempt {
		n++
		f := c.attempt(ctx, actx, cl, n)
		switch {
		case f == nil:
			return retry.Attempt{}
		case f.unauthorized != "" && renewed:
			return retry.Attempt{Err: fault.New(fault.Auth, "trinet %s: HTTP 401 after renewing the access token", cl.endpoint)}
		case f.unauthorized != "":
			renewed = true
			c.tok.invalidate(f.unauthorized)
			return retry.Attempt{Err: fault.New(fault.Auth, "trinet %s: HTTP 401", cl.endpoint), Again: true}
		}
		return retry.Attempt{Err: f.err, Retry: f.retry, RetryAfter: f.retryAfter, Throttled: f.throttled}
	})
}

// attempt sends cl once. ctx is the call's, actx the attempt's (ctx bounded
// by the request timeout): only ctx ending means the caller gave up.
func (c *Client) attempt(ctx, actx context.Context, cl *call, n int) *failure {
	auth := tokenAuthScheme + " " + cl.basic
	bearer := ""
	if cl.basic == "" {
		tok, err := c.token(actx)
		if err != nil {
			return &failure{err: notSent(cl, err)}
		}
		bearer = tok
		auth = apiAuthScheme + " " + tok
	}
	target := c.base + cl.path
	if cl.query != "" {
		target += "?" + cl.query
	}
	var wrote atomic.Bool
	rctx := actx
	if cl.once {
		rctx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
			WroteHeaders: func() { wrote.Store(true) },
		})
	}
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(rctx, cl.method, target, body)
	if err != nil {
		return &failure{err: fault.Wrap(fault.Validation, err, "trinet %s: bad request", cl.endpoint)}
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", jsonContentType)
	req.Header.Set("User-Agent", userAgent)
	if cl.body != nil {
		req.Header.Set("Content-Type", jsonContentType)
	}

	began := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.logAttempt(ctx, cl, n, 0, began)
		err = scrubURLError(err)
		switch {
		case cl.once && wrote.Load():
			return &failure{err: fault.Wrap(fault.OutcomeUnknown, err,
				"trinet %s: no answer; it may or may not have been applied, and is not sent again", cl.endpoint)}
		case ctx.Err() != nil:
			return &failure{err: fault.Wrap(fault.Transient, ctx.Err(), "trinet %s: cancelled", cl.endpoint)}
		default:
			return &failure{err: fault.Wrap(fault.Transient, err, "trinet %s: connection failed", cl.endpoint), retry: true}
		}
	}
	defer resp.Body.Close()
	data, readErr := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	c.logAttempt(ctx, cl, n, resp.StatusCode, began)
	if readErr == nil && len(data) > maxBody {
		readErr = errors.New("answer larger than the client reads")
	}

	st := resp.StatusCode
	switch {
	case st >= 200 && st < 300:
		if readErr != nil {
			if cl.once {
				// Applied (TriNet said 2xx); only the details were lost.
				return nil
			}
			return &failure{err: fault.Wrap(fault.Transient, readErr, "trinet %s: reading the answer", cl.endpoint), retry: true}
		}
		if cl.decode != nil {
			if err := cl.decode(data); err != nil {
				if cl.once {
					return nil
				}
				return &failure{err: decodeFailure(cl.endpoint, err), retry: true}
			}
		}
		return nil
	case st == http.StatusUnauthorized:
		if bearer == "" {
			return &failure{err: fault.New(fault.Auth, "trinet %s: HTTP 401: TriNet rejected the client id or secret", cl.endpoint)}
		}
		return &failure{unauthorized: bearer}
	case st == http.StatusForbidden:
		return &failure{err: fault.New(fault.Forbidden, "trinet %s: HTTP 403: the credentials may not access company %s%s",
			cl.endpoint, c.rawCo, detail(data, c.redactions(cl, bearer)))}
	case st == http.StatusNotFound:
		return &failure{err: fault.New(fault.NotFound, "trinet %s: HTTP 404: not found%s", cl.endpoint, detail(data, c.redactions(cl, bearer)))}
	case st == http.StatusTooManyRequests:
		return &failure{
			err:        fault.New(fault.Throttled, "trinet %s: HTTP 429: rate limited", cl.endpoint),
			retry:      true,
			retryAfter: retry.ParseRetryAfter(resp.Header.Get(retryAfterHdr), c.now()),
			throttled:  true,
		}
	case st == http.StatusRequestTimeout && cl.once:
		// TriNet says it did not take the whole request: like any 4xx, the
		// hire was not applied, so it is not unknown and not sent again here.
		return &failure{err: fault.New(fault.Validation, "trinet %s: rejected (HTTP 408): TriNet did not receive the whole request in time", cl.endpoint)}
	case st >= 500 || st == http.StatusRequestTimeout:
		if cl.once {
			return &failure{err: fault.New(fault.OutcomeUnknown,
				"trinet %s: HTTP %d; it may or may not have been applied, and is not sent again", cl.endpoint, st)}
		}
		return &failure{
			err:        fault.New(fault.Transient, "trinet %s: HTTP %d", cl.endpoint, st),
			retry:      true,
			retryAfter: retry.ParseRetryAfter(resp.Header.Get(retryAfterHdr), c.now()),
		}
	case st >= 400:
		field, msg := validation(data, c.redactions(cl, bearer))
		return &failure{err: fault.Invalid(targetOf(cl.endpoint, field), "trinet %s: rejected (HTTP %d)%s", cl.endpoint, st, msg)}
	default:
		if cl.once {
			// TriNet (or something in front of it) took the request and answered
			// oddly: it may have been applied.
			return &failure{err: fault.New(fault.OutcomeUnknown,
				"trinet %s: unexpected HTTP %d; it may or may not have been applied, and is not sent again", cl.endpoint, st)}
		}
		return &failure{err: fault.New(fault.Transient, "trinet %s: unexpected HTTP %d", cl.endpoint, st)}
	}
}

// redactions are the values a message quoted from TriNet must not show: the
// request's personal values and, whatever TriNet echoes, our credentials and
// token. Built only for an answer whose message is quoted, not per attempt.
func (c *Client) redactions(cl *call, bearer string) []string {
	return slices.Concat(cl.redact, []string{c.secret, cl.basic, bearer})
}

// notSent classifies a failure that happened before cl's request was
// written. For a call marked once it must never read as OutcomeUnknown (the
// engine would hold the person until an admin releases them), so a cause
// without a class, or with that one, becomes Transient.
func notSent(cl *call, err error) error {
	if !cl.once {
		return err
	}
	class, ok := fault.ClassOf(err)
	if !ok || errors.Is(err, fault.ErrOutcomeUnknown) {
		// Not kept as the cause: errors.Is would still find the class.
		return fault.New(fault.Transient, "trinet %s: not sent: %s", cl.endpoint, err)
	}
	return fault.Wrap(class, err, "trinet %s: not sent", cl.endpoint)
}

func (c *Client) logAttempt(ctx context.Context, cl *call, n, status int, began time.Time) {
	c.log.LogAttrs(ctx, slog.LevelDebug, "trinet call",
		slog.String("company", c.rawCo), slog.String("endpoint", cl.endpoint),
		slog.String("method", cl.method), slog.Int("status", status), slog.Int("attempt", n),
		slog.Duration("took", time.Since(began)))
}

// decodeFailure classifies an unreadable 2xx answer without quoting it.
func decodeFailure(endpoint string, err error) error {
	var fe *fault.Error
	if errors.As(err, &fe) {
		return fault.Wrap(fault.Transient, err, "trinet %s: unusable answer", endpoint)
	}
	return fault.New(fault.Transient, "trinet %s: unreadable answer: %s", endpoint, decodeError(err))
}

// validation reads the field and message of a 4xx answer.
func validation(data []byte, redact []string) (field, msg string) {
	var env envelope[errorData]
	if json.Unmarshal(data, &env) != nil {
		return "", ""
	}
	if len(env.Data.Errors) > 0 {
		// A field is a path such as biographicalInfo.gender; anything else
		// (say, a path with the value appended) is not repeated.
		if f := string(env.Data.Errors[0].Field); fieldPath.MatchString(f) {
			field = f
		}
	}
	m := string(env.StatusMessage)
	if m == "" && len(env.Data.Errors) > 0 {
		m = string(env.Data.Errors[0].Message)
	}
	if m = clean(m, redact); m != "" {
		msg = ": " + m
	}
	return field, msg
}

// detail is TriNet's _statusMessage, cleaned, for messages that carry it.
func detail(data []byte, redact []string) string {
	var env envelope[json.RawMessage]
	if json.Unmarshal(data, &env) != nil {
		return ""
	}
	if m := clean(string(env.StatusMessage), redact); m != "" {
		return ": " + m
	}
	return ""
}

// fieldPath is the form of a field name TriNet may name in an error.
var fieldPath = regexp.MustCompile(`^[A-Za-z0-9_.\[\]]{1,64}$`)

// ssnLike matches anything shaped like a US SSN, as a last guard for
// messages that echo the request.
var ssnLike = regexp.MustCompile(`\b\d{3}-?\d{2}-?\d{4}\b`)

// minRedact is the shortest value clean cuts out: shorter ones (a state or
// gender code) would mangle the words around them.
const minRedact = 3

// clean strips the request's sensitive values (ignoring case and spaces at
// their ends) and SSN-shaped numbers from a TriNet message and bounds its
// length.
func clean(m string, redact []string) string {
	vals := make([]string, 0, len(redact))
	for _, v := range redact {
		if v = strings.TrimSpace(v); len(v) >= minRedact {
			vals = append(vals, v)
		}
	}
	if len(vals) > 0 {
		// Longest first, so a value inside another (a postal code in an
		// address) does not leave the rest of the longer one behind.
		sort.Slice(vals, func(i, j int) bool { return len(vals[i]) > len(vals[j]) })
		quoted := make([]string, len(vals))
		for i, v := range vals {
			quoted[i] = regexp.QuoteMeta(v)
		}
		m = regexp.MustCompile(`(?i)`+strings.Join(quoted, "|")).ReplaceAllString(m, "[redacted]")
	}
	m = ssnLike.ReplaceAllString(m, "[redacted]")
	m = strings.Join(strings.Fields(m), " ")
	m = provision.Shorten(m, maxMessage)
	return m
}

// scrubURLError keeps the transport's reason but not the URL's query, which
// for the token call names the grant (harmless) and could name more later.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		u := ue.URL
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		return &url.Error{Op: ue.Op, URL: u, Err: ue.Err}
	}
	return err
}
