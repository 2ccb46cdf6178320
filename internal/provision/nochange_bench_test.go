package provision_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"trinetsync/internal/leapsome"
	"trinetsync/internal/sandbox/apart"
	leapsb "trinetsync/internal/sandbox/leapsome"
	trinetsb "trinetsync/internal/sandbox/trinet"
	"trinetsync/internal/trinet"
)

// BenchmarkNoChangeSync: a steady-state sync (nothing changed) with every
// call of both APIs taking 20 ms and no limit enforced by the sandboxes (the
// clients pace as production does unless "unpaced"), against the floor of
// the table: 20 ms × (Leapsome pages + TriNet pages fetched 8 at a
// time). Target: wall ≤ 1.5 × floor.
//
// "apart" runs the two sandboxes in a process of their own (this test
// binary again, as internal/capacity does), behind a front that gives each
// call its 20 ms and answers a page it has rendered before from memory
// (pageFront): the 20 ms are the model of the servers' whole time, and
// rendering thousands of people again on the two cores the sync runs on
// would be charged to the sync. It measures the sync's own time: round
// trips, pacing and our CPU. "together" runs the sandboxes in this process,
// rendering every page, as the figures before this benchmark were taken.
// "cold" builds the clients' shared state anew for each sync (a cold start:
// tokens fetched, TriNet's pace from TRINET_RPS); "warm" keeps TriNet's
// (its token and learned pace) and Leapsome's token, as a warm worker does
// minutes after its last run of the tenant; "unpaced" lifts both clients'
// pacing (1e6 requests/s) to tell the pacing's share from the rest.
// cpu-s/sync is this process's CPU during the sync.
func BenchmarkNoChangeSync(b *testing.B) {
	const latency = 20 * time.Millisecond
	for _, n := range []int{3000, 10_000} {
		for _, where := range []string{"apart", "together"} {
			for _, mode := range []string{"cold", "warm", "unpaced"} {
				b.Run(fmt.Sprintf("%d/%s/%s", n, where, mode), func(b *testing.B) {
					var w *benchWorld
					if where == "apart" {
						w = newBenchWorldApart(b, n)
					} else {
						w = newBenchWorld(b, n, benchOptions{})
					}
					benchNoChange(b, w, mode, latency)
				})
			}
		}
	}
}

func benchNoChange(b *testing.B, w *benchWorld, mode string, latency time.Duration) {
	warm, unpaced := mode == "warm", mode == "unpaced"
	n := w.n
	w.checkFirstRun(b, w.sync(b))
	w.sync(b) // steady state from here
	w.sb.setLatency(b, latency)
	clk := newScaledClock(1)
	tnShared := trinet.NewShared(trinet.Pacing{})
	var wall, cpu time.Duration
	var lsCalls, tnPages int
	for b.Loop() {
		b.StopTimer()
		lsShared := leapsome.NewShared(leapsome.Limits{})
		switch {
		case unpaced:
			tnShared, lsShared = trinet.NewShared(trinet.Pacing{RPS: 1e6}), leapsome.NewShared(leapsome.Limits{ContentRPS: 1e6, SCIMRPS: 1e6})
		case !warm:
			tnShared = trinet.NewShared(trinet.Pacing{})
		}
		w.comp = w.pacedCompany(b, tnShared, clk)
		var err error
		w.people, err = leapsome.New(leapsome.Config{BaseURL: w.lsURL + "/v1", SCIMURL: w.lsURL + "/scim/v1",
			APISecret: "ls-secret", SCIMToken: "scim-token", Shared: lsShared, Now: w.clock.Now, Logger: slog.New(slog.DiscardHandler)})
		bmust(b, err)
		if warm {
			// Leapsome's pace is fixed and the last run of the tenant was
			// minutes ago: a new pacer, holding only the token exchange
			// that left a token in the cache.
			bmust(b, w.people.CheckToken(b.Context()))
		}
		w.resetCounters()
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		res := w.sync(b)
		wall, cpu = wall+time.Since(start), cpu+cpuTime()-cpu0
		b.StopTimer()
		if res.Counts.Unchanged != n || len(w.sb.writes()) != 0 {
			b.Fatalf("counts %+v, %d writes: want nothing changed", res.Counts, len(w.sb.writes()))
		}
		tn, ls := w.sb.calls()
		lsCalls += ls[leapsb.EndpointEmployees] + ls[leapsb.EndpointWorkLocations] + ls[leapsb.EndpointSCIMUsers]
		tnPages += tn["employees"]
		b.StartTimer()
	}
	per := float64(b.N)
	// The floor counts the pages a listing needs, not the calls made: a
	// Leapsome call answered 429 (or retried) shows as extra calls.
	lsPages := math.Ceil(float64(n)/1000) + 1 + math.Ceil(float64(n)/5000)
	floor := latency.Seconds() * (lsPages + math.Ceil(float64(n)/100/8))
	b.ReportMetric(wall.Seconds()/per, "wall-s/sync")
	b.ReportMetric(floor, "floor-s")
	b.ReportMetric(wall.Seconds()/per/floor, "wall/floor")
	b.ReportMetric(float64(lsCalls)/per-lsPages, "leapsome-extra-calls")
	b.ReportMetric(float64(tnPages)/per, "trinet-page-calls")
	// The CPU of this process during the sync: the sync's alone when the
	// sandboxes are apart.
	b.ReportMetric(cpu.Seconds()/per, "cpu-s/sync")
}

// benchSandboxes is what the sync benchmarks ask of the two sandboxes, in
// this process or in one of their own.
type benchSandboxes interface {
	reset()
	calls() (tn, ls map[string]int)
	writes() []trinetsb.Write
	setLatency(b *testing.B, d time.Duration)
}

type localSandboxes struct {
	tn *trinetsb.Server
	ls *leapsb.Server
}

func (s localSandboxes) reset() {
	s.tn.ResetCounters(benchCo)
	s.ls.ResetCalls(tenant)
}

func (s localSandboxes) calls() (tn, ls map[string]int) {
	return s.tn.Calls(benchCo), s.ls.Calls(tenant)
}

func (s localSandboxes) writes() []trinetsb.Write { return s.tn.Writes(benchCo) }

func (s localSandboxes) setLatency(_ *testing.B, d time.Duration) {
	s.tn.SetFaults(benchCo, trinetsb.Faults{Latency: d})
	s.ls.SetFaults(tenant, leapsb.Faults{Latency: d})
}

// remoteSandboxes are the sandboxes of the process newBenchWorldApart
// started, driven through their admin APIs.
type remoteSandboxes struct {
	b            *testing.B
	tnURL, lsURL string
	http         *http.Client
}

func (s remoteSandboxes) do(method, url string, body any, out any) {
	s.b.Helper()
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		bmust(s.b, err)
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(s.b.Context(), method, url, rd)
	bmust(s.b, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Do(req)
	bmust(s.b, err)
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		s.b.Fatalf("%s %s: status %d", method, url, resp.StatusCode)
	}
	if out != nil {
		bmust(s.b, json.NewDecoder(resp.Body).Decode(out))
	}
}

func (s remoteSandboxes) reset() {
	s.do(http.MethodPost, s.tnURL+"/_admin/companies/"+benchCo+"/reset-counters", nil, nil) // and its writes
	s.do(http.MethodDelete, s.tnURL+"/_bench/calls", nil, nil)
	s.do(http.MethodDelete, s.lsURL+"/_bench/calls", nil, nil)
}

func (s remoteSandboxes) calls() (tn, ls map[string]int) {
	s.do(http.MethodGet, s.tnURL+"/_bench/calls", nil, &tn)
	s.do(http.MethodGet, s.lsURL+"/_bench/calls", nil, &ls)
	return tn, ls
}

func (s remoteSandboxes) writes() []trinetsb.Write {
	var env struct{ Data []trinetsb.Write }
	s.do(http.MethodGet, s.tnURL+"/_admin/companies/"+benchCo+"/writes", nil, &env)
	return env.Data
}

func (s remoteSandboxes) setLatency(b *testing.B, d time.Duration) {
	s.do(http.MethodPut, s.tnURL+"/_bench/latency", d.String(), nil)
	s.do(http.MethodPut, s.lsURL+"/_bench/latency", d.String(), nil)
}

// pageFront stands before a sandbox in the sandboxes' process. It gives
// every API call the latency (as the sandboxes' latency fault does) and
// counts it by endpoint, and answers a GET it has answered with 200 before
// from memory, the same bytes: in a no-change sync nothing changes between
// syncs, and the 20 ms are the model of the server's whole time, so that
// rendering thousands of people again, on the two cores the sync runs on,
// is not charged to the sync. Any other method empties the memory and goes
// to the sandbox, as do the admin calls and the token calls. A page from
// memory skips the sandbox's own checks (credentials, faults): the
// benchmark's calls all pass them.
type pageFront struct {
	next     http.Handler
	endpoint func(path string) string // "" for a call that is not cached

	mu      sync.Mutex
	latency time.Duration
	calls   map[string]int
	pages   map[string]cachedPage
}

type cachedPage struct {
	contentType string
	body        []byte
}

func (f *pageFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/_bench/calls" && r.Method == http.MethodGet:
		f.mu.Lock()
		buf, _ := json.Marshal(f.calls)
		f.mu.Unlock()
		_, _ = w.Write(buf)
		return
	case r.URL.Path == "/_bench/calls" && r.Method == http.MethodDelete:
		f.mu.Lock()
		f.calls = map[string]int{}
		f.mu.Unlock()
		return
	case r.URL.Path == "/_bench/latency" && r.Method == http.MethodPut:
		var v string
		d, err := time.Duration(0), json.NewDecoder(r.Body).Decode(&v)
		if err == nil {
			d, err = time.ParseDuration(v)
		}
		if err != nil {
			http.Error(w, "want a duration", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.latency = d
		f.mu.Unlock()
		return
	case strings.HasPrefix(r.URL.Path, "/_admin/"):
		f.next.ServeHTTP(w, r)
		return
	}
	ep := f.endpoint(r.URL.Path)
	key := r.URL.RequestURI()
	f.mu.Lock()
	f.calls[cmp.Or(ep, r.URL.Path)]++
	lat := f.latency
	if r.Method != http.MethodGet {
		clear(f.pages)
	}
	page, hit := f.pages[key]
	f.mu.Unlock()
	if lat > 0 {
		t := time.NewTimer(lat)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	if hit && r.Method == http.MethodGet && ep != "" {
		w.Header().Set("Content-Type", page.contentType)
		_, _ = w.Write(page.body)
		return
	}
	if r.Method != http.MethodGet || ep == "" {
		f.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	f.next.ServeHTTP(rec, r)
	if rec.Code == http.StatusOK {
		f.mu.Lock()
		f.pages[key] = cachedPage{contentType: rec.Header().Get("Content-Type"), body: rec.Body.Bytes()}
		f.mu.Unlock()
	}
	maps.Copy(w.Header(), rec.Header())
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// The endpoints the fronts cache and count by name: the listings, under
// the names the sandboxes count them by.
func trinetEndpoint(path string) string {
	switch {
	case strings.HasSuffix(path, "/employees"):
		return "employees"
	case strings.HasSuffix(path, "/departments"):
		return "departments"
	case strings.HasSuffix(path, "/locations"):
		return "locations"
	}
	return ""
}

func leapsomeEndpoint(path string) string {
	switch path {
	case "/v1/employees":
		return leapsb.EndpointEmployees
	case "/v1/work-locations":
		return leapsb.EndpointWorkLocations
	case "/scim/v1/Users":
		return leapsb.EndpointSCIMUsers
	}
	return ""
}

// benchSandboxPeople, set, makes this test binary the sandboxes' process of
// newBenchWorldApart (see TestMain).
const benchSandboxPeople = "PROVISION_BENCH_SANDBOX_PEOPLE"

func TestMain(m *testing.M) {
	if n := os.Getenv(benchSandboxPeople); n != "" {
		os.Exit(serveBenchSandboxes(n))
	}
	os.Exit(m.Run())
}

// serveBenchSandboxes is the sandboxes' process: it seeds the bench world of
// n people, serves both sandboxes on
// loopback, prints "ready <TriNet URL> <Leapsome URL>" and serves until its
// standard input closes.
func serveBenchSandboxes(people string) int {
	n, err := strconv.Atoi(people)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sandboxes:", benchSandboxPeople, "is not a number:", people)
		return 2
	}
	c := &clock{t: benchStart}
	tn, ls := trinetsb.New(trinetsb.Options{Now: c.Now}), leapsb.New(leapsb.Options{Now: c.Now})
	if _, err := seedBench(&world{clock: c, wlSF: hexID(900)}, tn, ls, n); err != nil {
		fmt.Fprintln(os.Stderr, "sandboxes: seed:", err)
		return 1
	}
	return apart.Serve(
		&pageFront{next: tn, endpoint: trinetEndpoint, calls: map[string]int{}, pages: map[string]cachedPage{}},
		&pageFront{next: ls, endpoint: leapsomeEndpoint, calls: map[string]int{}, pages: map[string]cachedPage{}})
}

// newBenchWorldApart is the bench world of n people with its sandboxes in a
// process of their own (its stale employees cannot be restored from here).
func newBenchWorldApart(b *testing.B, n int) *benchWorld {
	b.Helper()
	f := apart.Start(b, 2, benchSandboxPeople+"="+strconv.Itoa(n))
	c := &clock{t: benchStart}
	w := &benchWorld{n: n, world: &world{clock: c, wlSF: hexID(900)}}
	for i := range n {
		if _, e, stale := benchPerson(w.world, i); stale {
			w.stale = append(w.stale, e)
		}
	}
	w.sb = remoteSandboxes{b: b, tnURL: f[0], lsURL: f[1], http: &http.Client{Timeout: time.Minute}}
	w.connect(b, f[0], f[1])
	return w
}
