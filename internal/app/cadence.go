package app

import (
	"time"

	"trinetsync/internal/provision"
)

// A tenant's cadence. The scheduler ticks once a slot (10 minutes in AWS,
// SYNC_INTERVAL locally) and reads nothing per tenant, so a tenant's
// schedule must be decided from the slot and what the connected index
// projects. An interval of k × 10 minutes makes the tenant due in one slot of
// every k: the one whose number, plus a phase drawn from a hash of the tenant
// id, is a multiple of k. The phase spreads the tenants of one interval over
// its slots (a daily schedule does not put every daily tenant in the slot
// after midnight), and, being the tenant's alone, keeps its runs exactly one
// interval apart. Locally a slot stands for the 10 minutes: an interval of
// 30m is every third tick.

// ticksPer is how many slots an interval spans: at least one.
func ticksPer(every time.Duration) int64 {
	if every <= 0 {
		every = provision.DefaultInterval
	}
	return max(1, int64(every/provision.IntervalStep))
}

// phaseOf is a tenant's place among k slots.
func phaseOf(tenantID string, k int64) int64 {
	if k == 1 {
		return 0
	}
	return int64(tenantHash(tenantID) % uint64(k))
}

// slotNumber numbers the slots of length base; consecutive slots differ by one.
func slotNumber(slot time.Time, base time.Duration) int64 {
	return slot.UnixNano() / int64(base)
}

// Due reports whether a tenant with an interval of every (0: the default) is
// due in the slot that starts at slot, slots being base long.
func Due(tenantID string, slot time.Time, base, every time.Duration) bool {
	k := ticksPer(every)
	return (slotNumber(slot, base)+phaseOf(tenantID, k))%k == 0
}

// dueFrom is the start of the first slot, from the slot that starts at from
// on, in which the tenant is due.
func dueFrom(tenantID string, from time.Time, base, every time.Duration) time.Time {
	k := ticksPer(every)
	r := (slotNumber(from, base) + phaseOf(tenantID, k)) % k
	if r == 0 {
		return from
	}
	return from.Add(time.Duration(k-r) * base)
}

// NextRunAt is when the scheduler next queues a tenant's run, as GET
// …/connection shows it: the start of the first slot after now in which it
// is due, or, when its back-off ends later, the end of the back-off (on the
// default schedule, as the contract says) or the first slot it is due in
// after that. Zero when the schedule is paused.
func NextRunAt(tenantID string, now time.Time, base time.Duration, sc provision.Schedule, backoffUntil time.Time) time.Time {
	if sc.Paused {
		return time.Time{}
	}
	every := sc.Every()
	next := dueFrom(tenantID, Slot(now, base).Add(base), base, every)
	if !backoffUntil.After(next) {
		return next
	}
	if ticksPer(every) == 1 {
		return backoffUntil
	}
	from := Slot(backoffUntil, base)
	if from.Before(backoffUntil) {
		from = from.Add(base)
	}
	return dueFrom(tenantID, from, base, every)
}
