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
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"trinetsync/internal/fault"
	"trinetsync/internal/pacing"
	"trinetsync/internal/provision"
	"trinetsync/internal/retry"
)

// Config is one tenant's Leapsome connection. Zero knobs take the defaults of
// profile.go.
type Config struct {
	BaseURL   string // Content API, ending /v1
	SCIMURL   string // SCIM API, ending /scim/v1; needed only with SCIMToken
	APISecret string
	SCIMToken string // optional; "" = SCIM not configured

	HTTPClient *http.Client     // default: http.Client{}; the retry policy bounds each attempt
	Now        func() time.Time // default time.Now
	Logger     *slog.Logger     // default slog.Default()

	// MaxRetries is how often a 429, 5xx or connection failure is retried
	// (at least 5; default 6). MaxElapsed bounds the time one call may spend
	// retrying (default 2 min); BaseDelay and MaxDelay shape the exponential
	// backoff (defaults 500 ms and 20 s). RequestTimeout bounds each attempt
	// (default 60 s), or the caller's deadline when sooner (internal/retry).
	MaxRetries     int
	BaseDelay      time.Duration
	MaxDelay       time.Duration
	MaxElapsed     time.Duration
	RequestTimeout time.Duration

	// Shared is the process's tokens and client-side rate limits (see
	// Shared). Without it the Client has its own, at ContentRPS and SCIMRPS
	// (defaults 20/s and 30/s, Leapsome's documented limits); with it the
	// rates are Shared's and these must be zero.
	Shared     *Shared
	ContentRPS float64
	SCIMRPS    float64
}

// Client reads one tenant's people from Leapsome.
type Client struct {
	cfg     Config
	http    *http.Client
	now     func() time.Time
	log     *slog.Logger
	shared  *Shared
	tokens  *tokenSlot
	content *pacing.Pacer
	scim    *pacing.Pacer
	policy  retry.Policy // without gate and sleep: do adds them per call
	// sleep waits between retries; tests replace it to see the waits
	// without spending them.
	sleep func(context.Context, time.Duration) error
	// maxPages cuts off a listing that does not end (maxPages of profile.go).
	maxPages int
}

var _ provision.PeopleSource = (*Client)(nil)

// New checks cfg and returns a client. Errors name the field at fault.
func New(cfg Config) (*Client, error) {
	var err error
	if cfg.BaseURL, err = checkURL(fieldBaseURL, cfg.BaseURL); err != nil {
		return nil, err
	}
	if cfg.APISecret == "" {
		return nil, fault.Invalid(fieldAPISecret, "is required")
	}
	if cfg.SCIMToken != "" {
		if cfg.SCIMURL, err = checkURL(fieldSCIMURL, cfg.SCIMURL); err != nil {
			return nil, err
		}
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = defaultMaxRetries
	case cfg.MaxRetries < minMaxRetries:
		return nil, fault.Invalid("MaxRetries", "must be at least %d", minMaxRetries)
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = defaultBaseDelay
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = defaultMaxDelay
	}
	cfg.MaxDelay = max(cfg.MaxDelay, cfg.BaseDelay)
	if cfg.MaxElapsed <= 0 {
		cfg.MaxElapsed = defaultMaxElapsed
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = defaultTimeout
	}
	if cfg.Shared != nil && (cfg.ContentRPS != 0 || cfg.SCIMRPS != 0) {
		// One rule for the rates: they are the Shared's, set once per process.
		return nil, fault.Invalid("ContentRPS", "is set on the Shared state (leapsome.Limits), not per client")
	}
	c := &Client{cfg: cfg, http: cfg.HTTPClient, now: cfg.Now, log: cfg.Logger, shared: cfg.Shared,
		sleep: retry.Sleep, maxPages: maxPages}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.shared == nil {
		c.shared = NewShared(Limits{ContentRPS: cfg.ContentRPS, SCIMRPS: cfg.SCIMRPS})
		c.cfg.ContentRPS, c.cfg.SCIMRPS = c.shared.limits.ContentRPS, c.shared.limits.SCIMRPS
	}
	c.policy = retry.Policy{MaxRetries: cfg.MaxRetries, BaseDelay: cfg.BaseDelay, MaxDelay: cfg.MaxDelay,
		MaxElapsed: cfg.MaxElapsed, RequestTimeout: cfg.RequestTimeout, Now: c.now, Service: "leapsome", Logger: c.log}
	content := newCredential(cfg.BaseURL, cfg.APISecret)
	c.tokens = c.shared.slot(content)
	c.content = c.shared.pacer(contentAPI, content)
	if cfg.SCIMToken != "" {
		c.scim = c.shared.pacer(scimAPI, newCredential(cfg.SCIMURL, cfg.SCIMToken))
	}
	return c, nil
}

func checkURL(field, raw string) (string, error) {
	raw = strings.TrimRight(strings.TrimSpace(raw), "/")
	if raw == "" {
		return "", fault.Invalid(field, "is required")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fault.Invalid(field, "must be an http(s) URL without query")
	}
	return raw, nil
}

func (c *Client) baseURL(api apiKind) string {
	if api == scimAPI {
		return c.cfg.SCIMURL
	}
	return c.cfg.BaseURL
}

func (c *Client) limiter(api apiKind) *pacing.Pacer {
	if api == scimAPI {
		return c.scim
	}
	return c.content
}

// CheckToken exchanges the API secret for a token (never from the cache, so a
// revoked secret is seen). A rejected secret is fault.ErrAuth naming
// leapsome.apiSecret.
func (c *Client) CheckToken(ctx context.Context) error {
	_, err := c.token(ctx, "", true)
	return err
}

// CheckSCIM reads one SCIM user. A rejected token (401 or 403) is
// fault.ErrAuth naming leapsome.scimToken.
func (c *Client) CheckSCIM(ctx context.Context) error {
	if c.cfg.SCIMToken == "" {
		return fault.Invalid(fieldSCIMToken, "is not configured")
	}
	op := "GET " + pathSCIMUsers
	body, err := c.do(ctx, request{api: scimAPI, path: pathSCIMUsers, query: url.Values{paramCount: {"1"}}, op: op})
	if err != nil {
		return err
	}
	_, err = decodeSCIMPage(op, body)
	return err
}

// Directory reads every person (whatever their status: scope is the engine's
// decision), every work location and, when a SCIM token is configured, every
// SCIM user, merged into the people by id. The three listings run at once.
func (c *Client) Directory(ctx context.Context) (provision.Directory, error) {
	var (
		people []provision.Person
		locs   []provision.WorkLocation
		users  map[string]*provision.SCIMUser
		// One report per listing, as the listings run at once.
		peopleRep = newReadReport(pathEmployees, provision.ListEmployees)
		locRep    = newReadReport(pathWorkLocations, provision.ListWorkLocations)
		scimRep   = newReadReport(pathSCIMUsers, provision.ListSCIMUsers)
	)
	// One token before the listings start, so that they do not queue for
	// it and a rejected secret fails once.
	if _, err := c.token(ctx, "", false); err != nil {
		return provision.Directory{}, err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { people, err = c.employees(gctx, peopleRep); return err })
	g.Go(func() (err error) { locs, err = c.workLocations(gctx, locRep); return err })
	if c.cfg.SCIMToken != "" {
		g.Go(func() (err error) { users, err = c.scimUsers(gctx, scimRep); return err })
	}
	if err := g.Wait(); err != nil {
		return provision.Directory{}, err
	}
	matched := 0
	for i := range people {
		if u, ok := users[people[i].ID]; ok {
			people[i].SCIM = u
			matched++
		}
	}
	if len(users) > matched {
		c.log.LogAttrs(ctx, slog.LevelDebug, "leapsome SCIM users without a Content API person",
			slog.Int("count", len(users)-matched))
	}
	var anomalies []provision.Anomaly
	for _, r := range []*readReport{peopleRep, scimRep, locRep} {
		anomalies = append(anomalies, r.anomalies...)
	}
	return provision.Directory{People: people, Locations: locs, SCIM: c.cfg.SCIMToken != "", Anomalies: anomalies}, nil
}

// decoded is one record as its decoder left it: the value, the fields read
// as absent, or why it was skipped.
type decoded[T any] struct {
	v   T
	bad []string
	err error
}

// sizeHint bounds how much room a listing's announced total reserves: the
// total is the server's word, and a listing is cut off at maxPages anyway.
const sizeHint = 1 << 20

func (c *Client) employees(ctx context.Context, rep *readReport) ([]provision.Person, error) {
	var people []provision.Person
	defer rep.log(ctx, c.log)
	err := contentPages(ctx, c, pathEmployees,
		func(raw json.RawMessage) decoded[provision.Person] {
			p, bad, err := decodeEmployee(raw)
			return decoded[provision.Person]{p, bad, err}
		},
		func(d decoded[provision.Person]) {
			if rep.keep(d.v.ID, d.bad, d.err) {
				people = append(people, d.v)
			}
		},
		// The people are most of what a run holds: one array of the right
		// size, not a doubling one and its discarded halves.
		func(total int) { people = slices.Grow(people, total) })
	return people, err
}

func (c *Client) workLocations(ctx context.Context, rep *readReport) ([]provision.WorkLocation, error) {
	var locs []provision.WorkLocation
	defer rep.log(ctx, c.log)
	err := contentPages(ctx, c, pathWorkLocations,
		func(raw json.RawMessage) decoded[provision.WorkLocation] {
			w, bad, err := decodeWorkLocation(raw)
			return decoded[provision.WorkLocation]{w, bad, err}
		},
		func(d decoded[provision.WorkLocation]) {
			if rep.keep(d.v.ID, d.bad, d.err) {
				locs = append(locs, d.v)
			}
		}, nil)
	return locs, err
}

type scimDecoded struct {
	id string
	u  *provision.SCIMUser
}

func (c *Client) scimUsers(ctx context.Context, rep *readReport) (map[string]*provision.SCIMUser, error) {
	var users map[string]*provision.SCIMUser
	defer rep.log(ctx, c.log)
	start := scimFirstIndex
	var items []decoded[scimDecoded]
	for n := 0; ; n++ {
		if n >= c.maxPages {
			return nil, fault.New(fault.Transient, "leapsome GET %s: paging did not end after %d pages", pathSCIMUsers, c.maxPages)
		}
		op := fmt.Sprintf("GET %s startIndex %d", pathSCIMUsers, start)
		var pg streamedPage
		_, err := c.do(ctx, request{api: scimAPI, path: pathSCIMUsers, op: op, query: url.Values{
			paramStartIndex: {strconv.Itoa(start)}, paramCount: {strconv.Itoa(scimPageSize)}},
			read: func(body io.Reader) (err error) {
				items = items[:0]
				pg, err = streamPage(op, body, scimEnvelope(), func(raw json.RawMessage) {
					id, u, bad, err := decodeSCIMUser(raw)
					items = append(items, decoded[scimDecoded]{scimDecoded{id, u}, bad, err})
				}, func() { items = items[:0] })
				return err
			}})
		if err != nil {
			return nil, err
		}
		if users == nil {
			users = make(map[string]*provision.SCIMUser, min(max(pg.total, 0), sizeHint))
		}
		for _, d := range items {
			if rep.keep(d.v.id, d.bad, d.err) {
				users[d.v.id] = d.v.u
			}
		}
		read := start - scimFirstIndex + len(items)
		if done(len(items), read, pg.total, pg.perPage, scimPageSize) {
			return users, nil
		}
		start += len(items)
	}
}

// contentPages reads every page of a Content API list, each decoded with
// decode as it streams, and hands each page's records to keep once the page
// is complete (a page whose reading is retried is decoded again from its
// start). sized, when set, is told the list's total the first time a page
// gives one.
func contentPages[T any](ctx context.Context, c *Client, path string, decode func(json.RawMessage) T, keep func(T), sized func(total int)) error {
	read := 0
	var items []T
	for page := contentFirstPage; ; page++ {
		if page-contentFirstPage >= c.maxPages {
			return fault.New(fault.Transient, "leapsome GET %s: paging did not end after %d pages", path, c.maxPages)
		}
		op := fmt.Sprintf("GET %s page %d", path, page)
		var pg streamedPage
		_, err := c.do(ctx, request{api: contentAPI, path: path, op: op, bearer: true, query: url.Values{
			paramPage: {strconv.Itoa(page)}, paramPageSize: {strconv.Itoa(contentPageSize)}},
			read: func(body io.Reader) (err error) {
				items = items[:0]
				pg, err = streamPage(op, body, contentEnvelope(), func(raw json.RawMessage) { items = append(items, decode(raw)) },
					func() { items = items[:0] })
				return err
			}})
		if err != nil {
			return err
		}
		if sized != nil && pg.total > 0 {
			sized(int(min(pg.total, sizeHint)))
			sized = nil
		}
		for _, it := range items {
			keep(it)
		}
		read += len(items)
		if done(len(items), read, pg.total, pg.perPage, contentPageSize) {
			return nil
		}
	}
}

// done decides whether a listing is complete after a page of n items: an
// empty page ends it; else the server's total decides, or, without one, a
// page shorter than the page size.
func done(n, read int, total, perPage int64, asked int) bool {
	switch {
	case n == 0:
		return true
	case total >= 0:
		return int64(read) >= total
	case perPage > 0:
		return int64(n) < perPage
	default:
		return n < asked
	}
}

// readReport sums up what one listing left out or read as absent, logged
// once per listing rather than per record (a systematic oddity would
// otherwise log thousands of lines). It also keeps each oddity as a
// provision.Anomaly, one per record and field, for the engine to report to
// the tenant's admins. It names fields and ids, never values.
type readReport struct {
	list      string // the path, for the log
	kind      string // provision.List*, for the anomalies
	seen      map[string]bool
	skipped   map[string]int // reason → records
	dropped   map[string]int // field → records
	sample    []string       // ids of some records with dropped fields
	anomalies []provision.Anomaly
}

func newReadReport(list, kind string) *readReport {
	return &readReport{list: list, kind: kind, seen: map[string]bool{}, skipped: map[string]int{}, dropped: map[string]int{}}
}

// anomaly is an Anomaly of this listing about the record with id ("" when
// it had none), which is a person's id except in the work location list.
func (r *readReport) anomaly(id, field, reason string) provision.Anomaly {
	a := provision.Anomaly{List: r.kind, Field: field, Reason: reason}
	if r.kind == provision.ListWorkLocations {
		a.LocationID = id
	} else {
		a.UserID = id
	}
	return a
}

// skipReason is the Anomaly reason of a decoding error.
func skipReason(err error) string {
	switch {
	case errors.Is(err, errNotObject):
		return provision.ReasonNotObject
	case errors.Is(err, errNoID):
		return provision.ReasonNoID
	}
	return err.Error()
}

// keep records one decoded record and says whether to keep it. Offset paging
// may repeat a record when the list changes between pages: the first copy
// is kept.
func (r *readReport) keep(id string, bad []string, err error) bool {
	switch {
	case err != nil:
		r.skipped[err.Error()]++
		r.anomalies = append(r.anomalies, r.anomaly("", "", skipReason(err)))
		return false
	case r.seen[id]:
		r.skipped["duplicate id"]++
		r.anomalies = append(r.anomalies, r.anomaly(id, "", provision.ReasonDuplicate))
		return false
	}
	r.seen[id] = true
	for _, f := range bad {
		r.dropped[f]++
		r.anomalies = append(r.anomalies, r.anomaly(id, f, provision.ReasonWrongType))
	}
	if len(bad) > 0 && len(r.sample) < 5 {
		r.sample = append(r.sample, id)
	}
	return true
}

func (r *readReport) log(ctx context.Context, log *slog.Logger) {
	if len(r.skipped) > 0 {
		log.LogAttrs(ctx, slog.LevelWarn, "leapsome records skipped",
			slog.String("list", r.list), slog.Any("reasons", r.skipped))
	}
	if len(r.dropped) > 0 {
		log.LogAttrs(ctx, slog.LevelWarn, "leapsome fields ignored: unexpected type",
			slog.String("list", r.list), slog.Any("fields", r.dropped), slog.Any("sampleIds", r.sample))
	}
}
