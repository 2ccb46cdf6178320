// Package trinet is the client for TriNet's API as the project's profile
// (docs/trinet-api.md) describes it: the client-credentials token,
// the company look-ups, the paged employee list, the new-hire POST and the
// three effective-dated updates.
//
// It owns how the service talks to TriNet: token caching and renewal (shared
// by every Client of one credential), the per-company client-side rate limit,
// retries with backoff that honour Retry-After, the rule that a hire is never
// resent once it may have been applied, and the translation of TriNet's
// answers into internal/fault classes and provision types. Every assumption
// about TriNet's wire format is in profile.go.
package trinet
