package provision_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/leapsome"
	"trinetsync/internal/provision"
	leapsb "trinetsync/internal/sandbox/leapsome"
	trinetsb "trinetsync/internal/sandbox/trinet"
	"trinetsync/internal/trinet"
)

// A whole sync over real HTTP: the engine with the real TriNet and Leapsome
// clients against both sandboxes on loopback listeners, links and ledger in
// memory. The sandboxes run in the same process, so the figures include
// their work (rendering and serving every page) as well as ours.

// benchCo is the TriNet company of the sync benchmarks.
const benchCo = "BENCH"

// benchWorld is a company of n people, each in Leapsome and in TriNet with
// the same work email; every tenth TriNet employee differs from Leapsome in
// one field (last name, marital status or job title in turn), so that a
// first run links everyone and writes one update call for a tenth of them.
type benchWorld struct {
	*world
	links *indexedLinks
	n     int
	// stale are the differing TriNet employees as seeded: restoring them
	// undoes what a first run wrote.
	stale []trinetsb.Employee
	lsURL string // the Leapsome sandbox, without path
	// sb counts the sandboxes' calls, in this process or in their own
	// (world.tn and world.ls are nil then).
	sb benchSandboxes
}

// benchOptions adjust a bench world's sandboxes.
type benchOptions struct {
	tn func(*trinetsb.Options)
}

func newBenchWorld(b *testing.B, n int, opt benchOptions) *benchWorld {
	b.Helper()
	c := &clock{t: benchStart}
	w := &benchWorld{n: n, world: &world{clock: c, wlSF: hexID(900)}}
	opts := trinetsb.Options{Now: c.Now}
	if opt.tn != nil {
		opt.tn(&opts)
	}
	w.tn = trinetsb.New(opts)
	w.ls = leapsb.New(leapsb.Options{Now: c.Now})
	tnSrv := httptest.NewServer(w.tn)
	lsSrv := httptest.NewServer(w.ls)
	// The handlers are let go after Close: the testing package may keep the
	// cleanup closures, and with them a whole world, for later sub-benchmarks
	// to count as their live heap.
	b.Cleanup(func() { tnSrv.Close(); tnSrv.Config.Handler = nil })
	b.Cleanup(func() { lsSrv.Close(); lsSrv.Config.Handler = nil })
	var err error
	w.stale, err = seedBench(w.world, w.tn, w.ls, n)
	bmust(b, err)
	w.sb = localSandboxes{tn: w.tn, ls: w.ls}
	w.connect(b, tnSrv.URL, lsSrv.URL)
	return w
}

// benchStart is the bench worlds' clock, in the sandboxes and the engine.
var benchStart = time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC)

// seedBench puts the bench world's company, tenant and n people into both
// sandboxes and answers the TriNet employees seeded stale. It goes through
// the sandboxes' Go APIs: a 10,000-person world is ready in well under a
// second, where seeding over HTTP would dominate the run.
func seedBench(w *world, tn *trinetsb.Server, ls *leapsb.Server, n int) ([]trinetsb.Employee, error) {
	if err := tn.AddCompany(trinetsb.Company{ID: benchCo, Name: "Bench Co", ClientID: "bench-client", ClientSecret: "secret",
		Departments: []trinetsb.Department{{ID: "D100", Name: "Engineering"}, {ID: "D200", Name: "Sales"}},
		Locations:   []trinetsb.Location{{ID: "SF1", Name: "San Francisco", Country: "US"}}}); err != nil {
		return nil, err
	}
	if err := ls.AddTenant(leapsb.Tenant{ID: tenant, APISecret: "ls-secret", SCIMToken: "scim-token"}); err != nil {
		return nil, err
	}
	if err := ls.PutWorkLocation(tenant, leapsb.WorkLocation{ID: w.wlSF, Name: "San Francisco", Country: "United States"}); err != nil {
		return nil, err
	}
	var stale []trinetsb.Employee
	for i := range n {
		p, e, isStale := benchPerson(w, i)
		if err := ls.PutEmployee(tenant, p); err != nil {
			return nil, err
		}
		if _, err := tn.PutEmployee(benchCo, e); err != nil {
			return nil, err
		}
		if isStale {
			stale = append(stale, e)
		}
	}
	return stale, nil
}

// benchPerson is the i-th person of the bench world, in Leapsome and in
// TriNet with the same work email; every tenth TriNet record differs in one
// field (stale).
func benchPerson(w *world, i int) (p leapsb.Employee, e trinetsb.Employee, stale bool) {
	email := fmt.Sprintf("p%05d@example.com", i)
	p = w.basePerson(hexID(i+1), email)
	p.LastName = fmt.Sprintf("L%05d", i)
	e = baseEmployee(fmt.Sprintf("%08d", i+1), email)
	e.LastName = p.LastName
	if i%10 != 0 {
		return p, e, false
	}
	switch (i / 10) % 3 {
	case 0:
		e.LastName = "Stale"
	case 1:
		e.MaritalStatus = "M"
	case 2:
		e.Title = "Stale title"
	}
	return p, e, true
}

// connect builds the clients and the engine for sandboxes at these URLs.
func (w *benchWorld) connect(b *testing.B, tnURL, lsURL string) {
	w.tnURL, w.lsURL = tnURL, lsURL
	quiet := slog.New(slog.DiscardHandler)
	var err error
	// Limits far above what the loopback sandboxes need, so that the figures
	// are our work and not the pacing (the defaults are discussed in
	// docs/benchmarks.md). The HTTP clients are the clients' defaults.
	w.comp, err = trinet.New(trinet.Config{BaseURL: tnURL, CompanyID: benchCo, ClientID: "bench-client", ClientSecret: "secret",
		RPS: 1e6, Now: w.clock.Now, Logger: quiet})
	bmust(b, err)
	w.people, err = leapsome.New(leapsome.Config{BaseURL: lsURL + "/v1", SCIMURL: lsURL + "/scim/v1",
		APISecret: "ls-secret", SCIMToken: "scim-token", ContentRPS: 1e6, SCIMRPS: 1e6, Now: w.clock.Now, Logger: quiet})
	bmust(b, err)
	// The production default concurrency.
	w.engine = provision.New(provision.Config{Now: w.clock.Now, Logger: quiet})
	w.fresh()
}

func bmust(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// fresh forgets every link and hire: the next run is a tenant's first.
func (w *benchWorld) fresh() {
	w.links = &indexedLinks{byUser: map[string]provision.Link{}, byEmployee: map[string]string{}}
	w.ledger = &ledger{m: map[string]provision.HireEntry{}}
}

// indexedLinks is the in-memory link store with an index by employee: the
// shared tests' store checks uniqueness by scanning every link, which at
// 10,000 people costs a first run 10^8 map steps and would be measured as
// the engine's (DynamoDB checks it with a condition on one item).
type indexedLinks struct {
	mu         sync.Mutex
	byUser     map[string]provision.Link
	byEmployee map[string]string // employee id → user id
}

func (l *indexedLinks) Links(context.Context, string, string) ([]provision.Link, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]provision.Link, 0, len(l.byUser))
	for _, x := range l.byUser {
		out = append(out, x)
	}
	return out, nil
}

func (l *indexedLinks) PutLink(_ context.Context, _ string, x provision.Link) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if u, ok := l.byEmployee[x.EmployeeID]; ok && u != x.UserID {
		return fault.New(fault.Conflict, "linked")
	}
	if old, ok := l.byUser[x.UserID]; ok {
		delete(l.byEmployee, old.EmployeeID)
	}
	l.byUser[x.UserID] = x
	l.byEmployee[x.EmployeeID] = x.UserID
	return nil
}

func (l *indexedLinks) MoveLink(ctx context.Context, tenant string, x provision.Link, from string) error {
	l.mu.Lock()
	if old, ok := l.byUser[from]; ok && old.EmployeeID == x.EmployeeID {
		delete(l.byUser, from)
		delete(l.byEmployee, x.EmployeeID)
	}
	l.mu.Unlock()
	return l.PutLink(ctx, tenant, x)
}

func (l *indexedLinks) CountLinks(_ context.Context, _ string, atMost int) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return min(len(l.byUser), atMost), nil
}

// restore puts back the employees a first run updated, and zeroes both
// sandboxes' call counters and TriNet's record of writes.
func (w *benchWorld) restore(b *testing.B) {
	for _, e := range w.stale {
		_, err := w.tn.PutEmployee(benchCo, e)
		bmust(b, err)
	}
	w.resetCounters()
}

func (w *benchWorld) resetCounters() { w.sb.reset() }

// calls is the number of API calls both sandboxes have served since the
// counters were last reset.
func (w *benchWorld) calls() (tn, ls int) {
	tnCalls, lsCalls := w.sb.calls()
	for _, v := range tnCalls {
		tn += v
	}
	for _, v := range lsCalls {
		ls += v
	}
	return tn, ls
}

var syncSeq atomic.Int64

func (w *benchWorld) sync(b *testing.B) provision.Result {
	res, err := w.engine.Run(context.Background(), provision.Input{TenantID: tenant, SyncID: fmt.Sprintf("bench-%d", syncSeq.Add(1)),
		CompanyID: benchCo, Settings: seedSettings(), SCIMConfigured: true, People: w.people, Company: w.comp, Links: w.links, Ledger: w.ledger})
	bmust(b, err)
	return res
}

// checkFirstRun: everyone linked, no errors, and exactly one accepted update
// call per differing employee.
func (w *benchWorld) checkFirstRun(b *testing.B, res provision.Result) {
	b.Helper()
	if res.Counts.Linked != w.n || res.ErrorPeople != 0 || len(res.Issues) != 0 {
		b.Fatalf("first run: counts %+v, %d people in error, issues %.3v", res.Counts, res.ErrorPeople, res.Issues)
	}
	writes := w.sb.writes()
	if len(writes) != len(w.stale) {
		b.Fatalf("first run wrote %d calls, want %d", len(writes), len(w.stale))
	}
	for _, wr := range writes {
		if wr.Status != 200 || wr.Method != "PUT" {
			b.Fatalf("first run write %s %s: status %d", wr.Method, wr.Path, wr.Status)
		}
	}
}

// heapPeak samples the heap in use (HeapInuse: live and not yet swept
// objects plus unused space in spans) while a benchmark runs. runtime/metrics
// does not stop the world, unlike runtime.ReadMemStats.
type heapPeak struct {
	stop chan struct{}
	done sync.WaitGroup
	peak uint64
}

var heapMetrics = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes"}

func heapInUse(s []metrics.Sample) uint64 {
	metrics.Read(s)
	var n uint64
	for _, x := range s {
		n += x.Value.Uint64()
	}
	return n
}

func newHeapSamples() []metrics.Sample {
	s := make([]metrics.Sample, len(heapMetrics))
	for i, name := range heapMetrics {
		s[i].Name = name
	}
	return s
}

func watchHeap() *heapPeak {
	h := &heapPeak{stop: make(chan struct{})}
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		s := newHeapSamples()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			h.peak = max(h.peak, heapInUse(s))
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// end stops sampling and returns the peak in MiB.
func (h *heapPeak) end() float64 {
	close(h.stop)
	h.done.Wait()
	return float64(h.peak) / (1 << 20)
}

// baseHeap is the live heap after a collection: the two sandboxes' state and
// the world's, before a sync adds its own. (Heap in use would also count the
// free space left in spans by earlier sub-benchmarks.)
func baseHeap() float64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return float64(s[0].Value.Uint64()) / (1 << 20)
}

func reportSync(b *testing.B, w *benchWorld, tnCalls, lsCalls, writes int, base, peak float64) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(w.n), "ns/person")
	b.ReportMetric(float64(tnCalls)/float64(b.N), "trinet-calls/sync")
	b.ReportMetric(float64(lsCalls)/float64(b.N), "leapsome-calls/sync")
	b.ReportMetric(float64(writes)/float64(b.N), "writes/sync")
	b.ReportMetric(base, "MiB-live-before")
	b.ReportMetric(peak, "MiB-inuse-peak")
}

var benchSizes = []int{1000, 10_000}

// BenchmarkSyncFirstRun: a tenant's first sync, where everyone is matched by
// work email, linked, and a tenth are updated. Between iterations (timer
// stopped) the links and ledger start empty again and the updated TriNet
// employees are put back as seeded, so every iteration is a first run.
func BenchmarkSyncFirstRun(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			w := newBenchWorld(b, n, benchOptions{})
			base := baseHeap()
			var tnCalls, lsCalls, writes int
			var h *heapPeak
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				w.fresh()
				w.restore(b)
				if h == nil {
					h = watchHeap()
				}
				b.StartTimer()
				res := w.sync(b)
				b.StopTimer()
				w.checkFirstRun(b, res)
				t, l := w.calls()
				tnCalls, lsCalls, writes = tnCalls+t, lsCalls+l, writes+len(w.tn.Writes(benchCo))
				b.StartTimer()
			}
			reportSync(b, w, tnCalls, lsCalls, writes, base, h.end())
		})
	}
}

// BenchmarkSyncSteadyState: nothing changed since the last sync; a run reads
// both sides, plans everyone unchanged and writes nothing.
func BenchmarkSyncSteadyState(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			w := newBenchWorld(b, n, benchOptions{})
			w.checkFirstRun(b, w.sync(b))
			w.resetCounters()
			if res := w.sync(b); res.Counts.Unchanged != n || len(res.Issues) != 0 || len(w.tn.Writes(benchCo)) != 0 {
				b.Fatalf("second run: counts %+v, issues %.3v, %d writes", res.Counts, res.Issues, len(w.tn.Writes(benchCo)))
			}
			w.resetCounters()
			base := baseHeap()
			h := watchHeap()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				w.sync(b)
			}
			b.StopTimer()
			tnCalls, lsCalls := w.calls()
			writes := len(w.tn.Writes(benchCo))
			if writes != 0 {
				b.Fatalf("steady state wrote %d calls", writes)
			}
			reportSync(b, w, tnCalls, lsCalls, writes, base, h.end())
		})
	}
}
