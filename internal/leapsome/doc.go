// Package leapsome is the client of Leapsome's Content API and SCIM API: it
// reads one tenant's people, work locations and (with a SCIM token) SCIM
// users, and hands them to the engine as a provision.Directory.
//
// It owns the token exchange and its cache and the client-side rate limits
// (both shared through a Shared that the long-lived clients object owns),
// retries under the one policy of internal/retry, the classification of
// Leapsome's answers into the error classes of internal/fault, and the
// tolerant reading of Leapsome's JSON.
// Everything it assumes about Leapsome beyond the published documents is in
// profile.go. It never logs a secret, a token or a person's data.
package leapsome
