package provision

import "strings"

// Who is synced (leapsome-api.md "Which people are synced"): an account status
// that is live or on its way in, a lifecycle that has not ended, and an email.

var syncedStatuses = map[string]bool{
	"created":            true,
	"active":             true,
	"invited":            true,
	"preboardinginvited": true,
	"preboardingactive":  true,
}

var endedLifecycles = map[string]bool{
	"terminated":  true,
	"deactivated": true,
}

// Scope decides whether p is synced. It returns "" for a person in scope, else
// the exclusion code: status_not_synced, lifecycle_not_synced or missing_email.
// Statuses are compared case-insensitively; an unknown account status is not
// synced (a new status Leapsome adds is not assumed to be live) and an absent
// lifecycle status counts as notSet, which is synced.
func Scope(p *Person) string {
	switch {
	case !syncedStatuses[strings.ToLower(strings.TrimSpace(p.Status))]:
		return CodeStatusNotSynced
	case endedLifecycles[strings.ToLower(strings.TrimSpace(p.LifecycleStatus))]:
		return CodeLifecycleNotSynced
	case normEmail(p.Email) == "":
		return CodeMissingEmail
	}
	return ""
}

// normEmail is the matching key of a work email: trimmed and lower-case.
func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

var excludedMessages = map[string]string{
	CodeStatusNotSynced:    "The person's Leapsome account is removed or deactivated, so they are not synced.",
	CodeLifecycleNotSynced: "The person is terminated or deactivated in Leapsome, so they are not synced; terminate them in TriNet by hand.",
	CodeMissingEmail:       "The person has no email in Leapsome, so they cannot be matched to TriNet. Add their work email in Leapsome.",
}
