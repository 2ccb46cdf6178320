// Package trinet is an in-memory stand-in for TriNet's HTTP API, written from
// the project's TriNet API profile (docs/trinet-api.md) and the product's
// rules (docs/behaviour.md), never from the project's TriNet client: the two
// share no code, so a misreading of the profile cannot hide in both.
//
// It owns, for many companies at once: client-credential tokens bound to one
// company, the response envelope, company look-ups, paged employee lists that
// hide pending and not-yet-started hires, hire creation with TriNet's
// validation rules, effective-dated updates that refuse new-hire-only fields,
// fault injection (latency, 429 with Retry-After, 500, dropped connections,
// a hire applied whose response is lost), and an enforced per-company rate
// limit (a token bucket answering 429 with Retry-After) to measure a
// client's pacing against. Routing is Go's ServeMux with method and path
// patterns. Tests, benchmarks and the local stack drive it through the Go API
// on *Server or the unauthenticated admin surface under /_admin/:
//
//	POST /_admin/companies                              Company JSON (id, name, clientId, clientSecret, departments, locations)
//	GET  /_admin/companies                              companies, secrets left out
//	GET  /_admin/companies/{co}/employees               every employee, pending included
//	POST /_admin/companies/{co}/employees               Employee JSON; a new id is assigned
//	GET|PUT /_admin/companies/{co}/employees/{id}       PUT merges a partial Employee JSON
//	POST /_admin/companies/{co}/employees/{id}/approve
//	GET  /_admin/companies/{co}/writes | calls
//	GET|PUT /_admin/companies/{co}/faults               {"latency":"250ms"|250,"throttle":2,"retryAfter":1,...}
//	GET|PUT /_admin/companies/{co}/limit                {"rps":5,"burst":5}; {"rps":0} lifts it
//	POST /_admin/companies/{co}/reset-counters
//	POST /_admin/expire-tokens
//
// Admin answers use the API's envelope, with the result under "data".
package trinet
