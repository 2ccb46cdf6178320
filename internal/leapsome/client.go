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
	"sync"
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
	err := readList(ctx, c, listing[decoded[scimDecoded]]{
		path: pathSCIMUsers, first: scimFirstIndex, asked: scimPageSize,
		fetch: func(ctx context.Context, start int) (items []decoded[scimDecoded], pg streamedPage, err error) {
			op := fmt.Sprintf("GET %s startIndex %d", pathSCIMUsers, start)
			_, err = c.do(ctx, request{api: scimAPI, path: pathSCIMUsers, op: op, query: url.Values{
				paramStartIndex: {strconv.Itoa(start)}, paramCount: {strconv.Itoa(scimPageSize)}},
				read: func(body io.Reader) (err error) {
					items = items[:0]
					pg, err = streamPage(op, body, scimEnvelope(), func(raw json.RawMessage) {
						id, u, bad, err := decodeSCIMUser(raw)
						items = append(items, decoded[scimDecoded]{scimDecoded{id, u}, bad, err})
					}, func() { items = items[:0] })
					return err
				}})
			return items, pg, err
		},
		// Offset paging: a page starts where the one before it ended, and
		// the pages to come are as long as the latest.
		next:    func(start, n int) int { return start + n },
		spacing: func(_ streamedPage, n int) (stride, size int) { return n, n },
	}, func(d decoded[scimDecoded]) {
		if users == nil {
			users = map[string]*provision.SCIMUser{}
		}
		if rep.keep(d.v.id, d.bad, d.err) {
			users[d.v.id] = d.v.u
		}
	}, func(total int) { users = make(map[string]*provision.SCIMUser, total) })
	if err != nil {
		return nil, err
	}
	return users, nil
}

// contentPages reads every page of a Content API list, each decoded with
// decode as it streams, and hands the records to keep in the list's order
// (a page whose reading is retried is decoded again from its start). sized,
// when set, is told the list's total the first time a page gives one.
func contentPages[T any](ctx context.Context, c *Client, path string, decode func(json.RawMessage) T, keep func(T), sized func(total int)) error {
	return readList(ctx, c, listing[T]{
		path: path, first: contentFirstPage, asked: contentPageSize,
		fetch: func(ctx context.Context, page int) (items []T, pg streamedPage, err error) {
			op := fmt.Sprintf("GET %s page %d", path, page)
			_, err = c.do(ctx, request{api: contentAPI, path: path, op: op, bearer: true, query: url.Values{
				paramPage: {strconv.Itoa(page)}, paramPageSize: {strconv.Itoa(contentPageSize)}},
				read: func(body io.Reader) (err error) {
					items = items[:0]
					pg, err = streamPage(op, body, contentEnvelope(), func(raw json.RawMessage) { items = append(items, decode(raw)) },
						func() { items = items[:0] })
					return err
				}})
			return items, pg, err
		},
		// Numbered pages: a short page does not move the next one. A page
		// holds the server's page size when it says, else what was asked.
		next: func(page, _ int) int { return page + 1 },
		spacing: func(pg streamedPage, _ int) (stride, size int) {
			if pg.perPage > 0 {
				return 1, int(min(pg.perPage, contentPageSize))
			}
			return 1, contentPageSize
		},
	}, keep, sized)
}

// listing is how one list pages, for readList.
type listing[T any] struct {
	path  string
	first int // where the first page starts: a page number or an index
	asked int // the page size asked for
	// fetch reads the page at pos, each record decoded as it streams.
	fetch func(ctx context.Context, pos int) ([]T, streamedPage, error)
	// next is where the page after one at pos with n records starts.
	next func(pos, n int) int
	// spacing, after a page of n records, is how far apart the pages that
	// follow start (stride) and how many records each is taken to hold
	// (size), to count the pages a total leaves.
	spacing func(pg streamedPage, n int) (stride, size int)
}

// readList reads every page of l and hands the records to keep in order.
//
// Leapsome's lists announce their length (meta.totalCount, SCIM
// totalResults) on every page, so after the first page the pages that the
// total leaves are fetched at once (at most pagesAtOnce), under the API's
// pace, instead of one round trip after another. The listing still ends as
// if read one page at a time — at an empty page, when the records read reach
// the latest page's total, or, without a total, at a short page — so a page
// fetched past that end (the total fell while the list was read) is
// dropped, whatever its answer; a total that grew makes the next window. A
// page that starts elsewhere than the page before it ended (an offset list
// with a short page) is dropped with the rest of its window, and the next
// window starts where the list really goes on. Without a total the pages
// are read one at a time. Each page's call is retried on its own (c.do), and
// a page that fails cancels the ones after it in its window: whether it is
// needed or past the end, they are not needed either.
func readList[T any](ctx context.Context, c *Client, l listing[T], keep func(T), sized func(total int)) error {
	pos, read, fetched := l.first, 0, 0
	var last streamedPage // the latest page kept
	lastN := 0
	for {
		if fetched >= c.maxPages {
			return fault.New(fault.Transient, "leapsome GET %s: paging did not end after %d pages", l.path, c.maxPages)
		}
		width, stride := 1, 0
		if fetched > 0 && last.total > int64(read) {
			var size int
			stride, size = l.spacing(last, lastN)
			if size > 0 {
				left := (last.total - int64(read) + int64(size) - 1) / int64(size)
				width = int(min(max(left, 1), pagesAtOnce))
			}
		}
		width = min(width, c.maxPages-fetched)
		win := fetchWindow(ctx, l, pos, width, stride)
		fetched += width
		for i := range win {
			p := &win[i]
			if p.pos != pos {
				break // a page before it was short: the window goes on from pos
			}
			if p.err != nil {
				return p.err // a page the listing needs
			}
			if sized != nil && p.pg.total > 0 {
				sized(int(min(p.pg.total, sizeHint)))
				sized = nil
			}
			for _, it := range p.items {
				keep(it)
			}
			n := len(p.items)
			read += n
			if done(n, read, p.pg.total, p.pg.perPage, l.asked) {
				return nil
			}
			pos, last, lastN = l.next(pos, n), p.pg, n
		}
	}
}

// listPage is one page of a window as its fetch left it.
type listPage[T any] struct {
	pos   int
	items []T
	pg    streamedPage
	err   error
}

// fetchWindow fetches width pages at once, the first at pos and the others
// stride apart, and waits for all of them, so that the pages asked for
// depend only on the server's answers.
func fetchWindow[T any](ctx context.Context, l listing[T], pos, width, stride int) []listPage[T] {
	win := make([]listPage[T], width)
	if width == 1 {
		win[0].pos = pos
		win[0].items, win[0].pg, win[0].err = l.fetch(ctx, pos)
		return win
	}
	cancels := make([]context.CancelFunc, width)
	ctxs := make([]context.Context, width)
	for i := range win {
		ctxs[i], cancels[i] = context.WithCancel(ctx)
	}
	defer func() {
		for _, cancel := range cancels {
			cancel()
		}
	}()
	var wg sync.WaitGroup
	for i := range win {
		p := &win[i]
		p.pos = pos + i*stride
		wg.Go(func() {
			p.items, p.pg, p.err = l.fetch(ctxs[i], p.pos)
			if p.err != nil {
				for _, cancel := range cancels[i+1:] {
					cancel()
				}
			}
		})
	}
	wg.Wait()
	return win
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
