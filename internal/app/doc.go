// Package app wires the service together and holds the three use cases that sit
// above the engine: the scheduler's tick, the worker's run of one sync job (run
// states, lease, continuation, revocation, back-off), and the HTTP API's backend
// (connect, settings, triggers, reads). The functions' main.go files and the local
// stack build a Config from the environment and call into this package; nothing
// here is specific to Lambda or to the local stack.
package app
