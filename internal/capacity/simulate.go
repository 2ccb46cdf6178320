package capacity

import (
	"container/heap"
	"fmt"
	"math"
	"slices"
	"time"

	"trinetsync/internal/app"
)

// Class is one size of tenant in a fleet.
type Class struct {
	People int
	// Share is the fraction of the fleet's tenants of this size.
	Share float64
	// Run is how long one scheduled run of such a tenant takes (measured by
	// BenchmarkWorkerRun).
	Run time.Duration
}

// Fleet is what Simulate runs: tenants of a mix of sizes, scheduled every
// Interval and spread over Spread as the scheduler does (app.Offset of each
// tenant id), served by the worker function through SQS's event source
// mapping: at most Concurrency invocations at once, each taking a batch of
// up to BatchSize visible messages (waiting up to BatchWindow for a batch to
// fill) and running its messages at once, so that it lasts as long as its
// longest run.
type Fleet struct {
	Tenants     int
	Mix         []Class
	Interval    time.Duration
	Spread      time.Duration
	Concurrency int
	BatchSize   int
	BatchWindow time.Duration
	// Tick is how long the scheduler takes to enqueue a slot's jobs; they
	// are sent evenly over it (and each is then delayed by its offset).
	Tick time.Duration
	// Slots is how many slots are simulated, one after the other.
	Slots int
}

// Result is what a simulated fleet did.
type Result struct {
	Runs int
	// Late counts the runs that had not finished when the tenant's next run
	// became due (its offset, one interval on): that run would find the
	// tenant busy and be skipped.
	Late int
	// MaxWait is the longest a job waited in the queue, visible, before an
	// invocation took it; MaxTurnaround the longest from visible to done.
	MaxWait, MaxTurnaround time.Duration
	// PeakRunning is the most runs at once, MeanRunning their average over
	// the simulated slots; PeakStarts is the most runs started in one second.
	PeakRunning int
	MeanRunning float64
	PeakStarts  int
	// Work is the run-seconds of one slot: the sum of every tenant's run.
	Work time.Duration
	// Invocations is how many worker invocations served the runs.
	Invocations int
}

// Fits says whether every run finished before its tenant's next run.
func (r Result) Fits() bool { return r.Runs > 0 && r.Late == 0 }

func (f Fleet) withDefaults() Fleet {
	if f.Interval <= 0 {
		f.Interval = 10 * time.Minute
	}
	if f.BatchSize <= 0 {
		f.BatchSize = 1
	}
	if f.Slots <= 0 {
		f.Slots = 3
	}
	return f
}

// classes assigns each tenant a class: the first Share×Tenants tenants the
// first class, and so on (the last class takes what rounding leaves). Tenant
// ids, and so their offsets, do not depend on the class.
func (f Fleet) classes() []int {
	out := make([]int, f.Tenants)
	i := 0
	total := 0.0
	for c, cl := range f.Mix {
		total += cl.Share
		end := int(math.Round(total * float64(f.Tenants)))
		if c == len(f.Mix)-1 {
			end = f.Tenants
		}
		for ; i < end && i < f.Tenants; i++ {
			out[i] = c
		}
	}
	return out
}

// TenantID names the simulated tenant i, as a tenant id would look.
func TenantID(i int) string { return fmt.Sprintf("tenant-%06d", i) }

type job struct {
	due     time.Duration // when the tenant's run is due: slot start + offset
	visible time.Duration // when SQS shows it
	run     time.Duration
}

// Simulate runs the fleet on a virtual clock: a discrete-event simulation
// of the queue and the invocations, no waiting on the wall clock.
func Simulate(f Fleet) Result {
	f = f.withDefaults()
	cls := f.classes()
	var res Result
	jobs := make([]job, 0, f.Tenants*f.Slots)
	for i := range f.Tenants {
		off := app.Offset(TenantID(i), f.Spread)
		run := f.Mix[cls[i]].Run
		res.Work += run
		// The tick sends its jobs evenly over f.Tick in the order it lists
		// them (by tenant id here).
		sent := time.Duration(0)
		if f.Tenants > 1 {
			sent = time.Duration(int64(f.Tick) * int64(i) / int64(f.Tenants-1))
		}
		for s := range f.Slots {
			start := time.Duration(s) * f.Interval
			jobs = append(jobs, job{due: start + off, visible: start + sent + off, run: run})
		}
	}
	slices.SortFunc(jobs, func(a, b job) int { return int(a.visible - b.visible) })

	var (
		now      time.Duration
		next     int // next job to become visible
		waiting  []job
		busy     = &durations{} // invocation ends
		running  = &durations{} // run ends, for the count of runs at once
		area     float64        // ∫ running dt, for the mean
		lastT    time.Duration
		starts   = map[int64]int{}
		maxStart int
	)
	advance := func(t time.Duration) {
		for running.Len() > 0 && (*running)[0] <= t {
			end := (*running)[0]
			area += float64(running.Len()) * (end - lastT).Seconds()
			lastT = end
			heap.Pop(running)
		}
		area += float64(running.Len()) * (t - lastT).Seconds()
		lastT = t
		now = t
	}
	for next < len(jobs) || len(waiting) > 0 || busy.Len() > 0 {
		// Free the invocations that have ended by now.
		for busy.Len() > 0 && (*busy)[0] <= now {
			heap.Pop(busy)
		}
		for next < len(jobs) && jobs[next].visible <= now {
			waiting = append(waiting, jobs[next])
			next++
		}
		// Start invocations while one may start and a batch is ready: full,
		// or its first message has waited the batching window (or nothing
		// more will come).
		for busy.Len() < f.Concurrency && len(waiting) > 0 &&
			(len(waiting) >= f.BatchSize || now >= waiting[0].visible+f.BatchWindow || next == len(jobs)) {
			n := min(f.BatchSize, len(waiting))
			var longest time.Duration
			for _, j := range waiting[:n] {
				res.Runs++
				res.MaxWait = max(res.MaxWait, now-j.visible)
				end := now + j.run
				res.MaxTurnaround = max(res.MaxTurnaround, end-j.visible)
				if end > j.due+f.Interval {
					res.Late++
				}
				longest = max(longest, j.run)
				heap.Push(running, end)
			}
			res.PeakRunning = max(res.PeakRunning, running.Len())
			sec := int64(now / time.Second)
			starts[sec] += n
			maxStart = max(maxStart, starts[sec])
			waiting = waiting[n:]
			heap.Push(busy, now+longest)
			res.Invocations++
		}
		// The next moment something can change.
		t := time.Duration(math.MaxInt64)
		if next < len(jobs) {
			t = jobs[next].visible
		}
		if busy.Len() > 0 {
			t = min(t, (*busy)[0])
		}
		if len(waiting) > 0 && busy.Len() < f.Concurrency {
			t = min(t, waiting[0].visible+f.BatchWindow)
		}
		if t == time.Duration(math.MaxInt64) {
			break
		}
		advance(max(t, now))
	}
	advance(now)
	if span := time.Duration(f.Slots) * f.Interval; span > 0 {
		res.MeanRunning = area / span.Seconds()
	}
	res.PeakStarts = maxStart
	return res
}

// durations is a min-heap of times.
type durations []time.Duration

func (d durations) Len() int           { return len(d) }
func (d durations) Less(i, j int) bool { return d[i] < d[j] }
func (d durations) Swap(i, j int)      { d[i], d[j] = d[j], d[i] }
func (d *durations) Push(x any)        { *d = append(*d, x.(time.Duration)) }
func (d *durations) Pop() any {
	old := *d
	x := old[len(old)-1]
	*d = old[:len(old)-1]
	return x
}

// MaxTenants is the largest fleet of f's mix that fits (every run done before
// the tenant's next is due), found by bisection with Simulate between lo and
// hi tenants; 0 when not even lo fits.
func MaxTenants(f Fleet, lo, hi int) int {
	fits := func(n int) bool {
		g := f
		g.Tenants = n
		return Simulate(g).Fits()
	}
	if !fits(lo) {
		return 0
	}
	for hi-lo > max(1, lo/200) {
		mid := lo + (hi-lo)/2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// WorkPerSlot is the run-seconds one slot of n tenants of the mix needs.
func WorkPerSlot(mix []Class, n int) time.Duration {
	var w float64
	for _, c := range mix {
		w += c.Share * float64(n) * c.Run.Seconds()
	}
	return time.Duration(w * float64(time.Second))
}
