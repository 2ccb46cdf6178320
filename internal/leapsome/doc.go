// Package leapsome is the client of Leapsome's Content API and SCIM API: it
// reads one tenant's people, work locations and (with a SCIM token) SCIM
// users, and hands them to the engine as a provision.Directory.
//
// It owns the token exchange and its cache, client-side rate limits, retries
// with backoff, the classification of Leapsome's answers into the error
// classes of internal/fault, and the tolerant reading of Leapsome's JSON.
// Everything it assumes about Leapsome beyond the published documents is in
// profile.go. It never logs a secret, a token or a person's data.
package leapsome
