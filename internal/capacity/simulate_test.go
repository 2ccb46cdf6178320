package capacity_test

import (
	"fmt"
	"testing"
	"time"

	"trinetsync/internal/capacity"
)

// Per-run durations of a steady-state scheduled run, measured by
// BenchmarkWorkerRun with 20 ms added to every TriNet and Leapsome call (a warm
// worker; see docs/capacity.md for the run they come from). The sizes between
// measured ones are interpolated linearly in people.
var measured = []struct {
	people int
	run    time.Duration
}{
	{100, 89 * time.Millisecond},
	{1000, 170 * time.Millisecond},
	{10_000, 2290 * time.Millisecond},
	{50_000, 16_150 * time.Millisecond},
}

// runFor is the measured run time of a tenant of n people, interpolated.
func runFor(n int) time.Duration {
	if n <= measured[0].people {
		return measured[0].run
	}
	for i := 1; i < len(measured); i++ {
		a, b := measured[i-1], measured[i]
		if n <= b.people {
			f := float64(n-a.people) / float64(b.people-a.people)
			return a.run + time.Duration(f*float64(b.run-a.run))
		}
	}
	return measured[len(measured)-1].run
}

// realisticMix is the fleet the capacity model is checked with: mostly small
// companies, a tail of large ones (mean ≈ 780 people a tenant).
func realisticMix() []capacity.Class {
	mix := []capacity.Class{
		{People: 50, Share: 0.40}, {People: 200, Share: 0.35}, {People: 1000, Share: 0.18},
		{People: 5000, Share: 0.06}, {People: 10_000, Share: 0.009}, {People: 50_000, Share: 0.001},
	}
	for i := range mix {
		mix[i].Run = runFor(mix[i].People)
	}
	return mix
}

// production is the fleet as template.yaml and the scheduler run it: a
// 10-minute interval spread over the slot, batches of 5 run at once, a
// batching window of 1 s, and a tick that enqueues its jobs within 5 s.
func production(tenants, concurrency int) capacity.Fleet {
	return capacity.Fleet{Tenants: tenants, Mix: realisticMix(), Interval: 10 * time.Minute, Spread: 10 * time.Minute,
		Concurrency: concurrency, BatchSize: 5, BatchWindow: time.Second, Tick: 5 * time.Second, Slots: 3}
}

// 100,000 tenants of the realistic mix, at the template's default worker
// concurrency: every run ends before the tenant's next run is due, jobs wait
// well under a minute for a worker, and the load is steady: runs start at
// about the fleet's mean rate in every second, and the most runs at once stay
// within a few times their mean.
func TestFleetOf100kTenantsFitsTheSlot(t *testing.T) {
	t.Parallel()
	f := production(100_000, 20)
	r := capacity.Simulate(f)
	t.Logf("%+v", r)
	if r.Runs != 3*100_000 {
		t.Fatalf("%d runs, want %d", r.Runs, 3*100_000)
	}
	if !r.Fits() {
		t.Fatalf("%d of %d runs ended after the tenant's next run was due", r.Late, r.Runs)
	}
	if r.MaxWait > 30*time.Second {
		t.Errorf("a job waited %s for a worker", r.MaxWait)
	}
	if float64(r.PeakRunning) > 3*r.MeanRunning {
		t.Errorf("peak of %d runs at once against a mean of %.1f: the load is not steady", r.PeakRunning, r.MeanRunning)
	}
	if mean := float64(f.Tenants) / f.Spread.Seconds(); float64(r.PeakStarts) > 2*mean {
		t.Errorf("%d runs started in one second, against a mean of %.0f a second", r.PeakStarts, mean)
	}
}

// Without the spread every job is due at the slot's start: the workers are
// saturated at once, jobs queue for minutes, and TriNet sees a spike at every
// tick. The spread is what makes the same fleet fit with far less waiting.
func TestSpreadTurnsTheTickSpikeIntoASteadyLoad(t *testing.T) {
	t.Parallel()
	spread := capacity.Simulate(production(100_000, 20))
	f := production(100_000, 20)
	f.Spread = 0
	spike := capacity.Simulate(f)
	t.Logf("spread: %+v", spread)
	t.Logf("spike:  %+v", spike)
	if spike.PeakStarts < 4*spread.PeakStarts {
		t.Errorf("runs started in one second: %d without spread, %d with; want the spike four times higher at least", spike.PeakStarts, spread.PeakStarts)
	}
	if spike.MaxWait < 10*spread.MaxWait || spike.MaxWait < time.Minute {
		t.Errorf("longest wait for a worker: %s without spread, %s with", spike.MaxWait, spread.MaxWait)
	}
	if spike.PeakRunning != 20*5 {
		t.Errorf("without spread the peak is %d runs at once, want every worker busy (%d)", spike.PeakRunning, 20*5)
	}
}

// Too few workers for the fleet's work: runs end late, and the simulation
// says so (the check above can fail).
func TestTooFewWorkersAreLate(t *testing.T) {
	t.Parallel()
	f := production(100_000, 4)
	r := capacity.Simulate(f)
	if r.Fits() || r.Late == 0 {
		t.Fatalf("4 workers for 100,000 tenants: %+v, want late runs", r)
	}
	// The work alone says why: one slot needs more run-seconds than four
	// workers of five runs each have in ten minutes.
	if have := time.Duration(4*5) * f.Interval; capacity.WorkPerSlot(f.Mix, f.Tenants) <= have {
		t.Fatalf("work per slot %s within %s, yet late", capacity.WorkPerSlot(f.Mix, f.Tenants), have)
	}
}

// The capacity table of docs/capacity.md: how many tenants of one size (or
// of the realistic mix) one unit of worker concurrency serves, found with the
// simulation at a concurrency of 2 (tenants scale with it, as the next test
// checks for the mix). Never more than the work allows (every invocation busy
// the whole interval); fleets of one size come within 10 % of that bound,
// since their batches are even, the mix within half of it (a batch lasts as
// long as its longest run). Run with -v to print the table.
func TestCapacityTable(t *testing.T) {
	t.Parallel()
	type row struct {
		name    string
		mix     []capacity.Class
		atLeast float64 // of the work bound
	}
	rows := []row{{"realistic mix", realisticMix(), 0.5}}
	for _, n := range []int{100, 1000, 10_000, 50_000} {
		rows = append(rows, row{fmt.Sprintf("%d people", n), []capacity.Class{{People: n, Share: 1, Run: runFor(n)}}, 0.9})
	}
	const c = 2
	for _, rw := range rows {
		f := production(0, c)
		f.Mix, f.Slots = rw.mix, 2
		bound := int(time.Duration(c*5) * f.Interval / capacity.WorkPerSlot(rw.mix, 1))
		got := capacity.MaxTenants(f, 1, bound+1)
		t.Logf("%-14s %8.0f tenants per unit of WorkerMaximumConcurrency (work bound %.0f)", rw.name+":", float64(got)/c, float64(bound)/c)
		if got > bound || float64(got) < rw.atLeast*float64(bound) {
			t.Errorf("%s: %d tenants at concurrency %d, work bound %d", rw.name, got, c, bound)
		}
	}
}

// The default concurrency (20) serves about 185,000 tenants of the mix: the
// simulation fits 180,000 and not 200,000.
func TestDefaultConcurrencyServesTheMix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		tenants int
		fits    bool
	}{{180_000, true}, {200_000, false}} {
		f := production(tc.tenants, 20)
		f.Slots = 2
		if r := capacity.Simulate(f); r.Fits() != tc.fits {
			t.Errorf("%d tenants at concurrency 20: %+v, want fits=%t", tc.tenants, r, tc.fits)
		}
	}
}
