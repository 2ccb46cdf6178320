package app

import (
	"time"

	"trinetsync/internal/provision"
	"trinetsync/internal/queue"
	"trinetsync/internal/secrets"
	"trinetsync/internal/store"
)

// SetSafety lets tests choose how long before the engine's deadline it stops
// starting people, so that a continuation can be forced without waiting for
// a real deadline.
func SetSafety(r *Runner, d time.Duration) { r.safety, r.pinned = d, true }

// SetBookkeeping lets tests choose the bookkeeping budget: how long before
// the invocation's deadline the engine's context ends, and how long the
// writes that record the invocation may take.
func SetBookkeeping(r *Runner, d time.Duration) { r.bookkeeping, r.pinned = d, true }

// SetCheckTimeout shortens the bound on a connect's credential checks.
func SetCheckTimeout(s *Backend, d time.Duration) { s.checkTimeout = d }

// BusyDelay is how long a manual run that has waited so long for a busy
// tenant waits before it looks again.
func BusyDelay(waited time.Duration) time.Duration { return busyDelay(waited) }

// The wiring's adapters, for tests that look behind the use cases.
func (w *Wiring) Store() *store.Store         { return w.store }
func (w *Wiring) Secrets() *secrets.Manager   { return w.secrets }
func (w *Wiring) Publisher() *queue.Publisher { return w.publisher }
func (w *Wiring) Clients() *APIClients        { return w.clients }
func (w *Wiring) Engine() *provision.Engine   { return w.engine }

// SetTelemetry points the wiring's metrics and events somewhere a test reads.
func (w *Wiring) SetTelemetry(t Telemetry) { w.telemetry = t }
