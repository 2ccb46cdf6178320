package app

import "time"

// SetSafety lets tests choose how long before the invocation's deadline the
// engine stops starting people, so that a continuation can be forced without
// waiting for a real deadline.
func SetSafety(r *Runner, d time.Duration) { r.safety = d }
