package app

import "time"

// SetSafety lets tests choose how long before the invocation's deadline the
// engine stops starting people, so that a continuation can be forced without
// waiting for a real deadline.
func SetSafety(r *Runner, d time.Duration) { r.safety = d }

// SetCheckTimeout shortens the bound on a connect's credential checks.
func SetCheckTimeout(s *Service, d time.Duration) { s.checkTimeout = d }
