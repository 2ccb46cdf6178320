// Package trinet is the client for TriNet's API as the project's TriNet API
// profile (docs/trinet-api.md) describes it: the client-credentials token,
// the company look-ups, the paged employee list, the new-hire POST and the
// three effective-dated updates.
//
// It owns how the service talks to TriNet: token caching and renewal, the
// per-company adaptive pace (internal/pacing), both shared through a Shared
// that the long-lived clients object owns, retries under the one policy of
// internal/retry that honour Retry-After and the caller's deadline, the
// rule that a hire is never resent once it may have been applied, and the
// translation of TriNet's answers into internal/fault classes and provision
// types. Every assumption about TriNet's wire format is in profile.go.
package trinet
