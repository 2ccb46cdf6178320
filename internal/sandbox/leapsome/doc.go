// Package leapsome is an in-memory stand-in for Leapsome's public APIs, served
// over real HTTP: the Content API under /v1 (token, employees, work locations)
// and the SCIM API under /scim/v1 (Users), for many tenants at once, each with
// its own API secret and optional SCIM token.
//
// It is written from the project's Leapsome profile (docs/leapsome-api.md) and
// Leapsome's own OpenAPI documents, never from the project's Leapsome
// client, so that one misreading cannot hide in both; its tests validate every
// kind of response against those documents.
//
// Tests, benchmarks and the local stack drive it through its Go API (tenants,
// people, work locations, faults, call counts) or through the same operations
// under /_admin/ over HTTP. Faults (latency, 429 with Retry-After, 500,
// dropped connections) and per-tenant rate limits can be switched on to
// exercise a client's error paths.
package leapsome
