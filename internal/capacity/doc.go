// Package capacity is what the service needs to serve a fleet of tenants:
// the per-run figures measured by its benchmarks (time, heap, DynamoDB
// capacity units, SQS and Secrets Manager calls, against the emulators and the
// sandboxes) and a discrete-event simulation of the scheduler and the workers
// (Simulate) that says how many tenants of each size fit the schedule's
// interval at a given worker concurrency. docs/capacity.md and
// docs/performance.md report the figures and how to reproduce them.
package capacity
