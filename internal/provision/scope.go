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

// lifecycles are Leapsome's lifecycle statuses, lower-case, and whether a
// person in each is synced.
var lifecycles = map[string]bool{
	"hired":       true,
	"active":      true,
	"leave":       true,
	"offboarding": true,
	"notset":      true,
	"preboarding": true,
	"terminated":  false,
	"deactivated": false,
}

// Scope decides whether p is synced. It returns "" for a person in scope, else
// the exclusion code: status_not_synced, lifecycle_not_synced, invalid_value
// (a lifecycle status that is not one of Leapsome's) or missing_email.
// Statuses are compared case-insensitively; an unknown account status is not
// synced (a new status Leapsome adds is not assumed to be live), nor is an
// unknown lifecycle status (it may mean the person left); an absent lifecycle
// status counts as notSet, which is synced.
func Scope(p *Person) string {
	lc := strings.ToLower(strings.TrimSpace(p.LifecycleStatus))
	synced, known := lifecycles[lc]
	switch {
	case !syncedStatuses[strings.ToLower(strings.TrimSpace(p.Status))]:
		return CodeStatusNotSynced
	case known && !synced:
		return CodeLifecycleNotSynced
	case !known && lc != "":
		return CodeInvalidValue
	case normEmail(p.Email) == "":
		return CodeMissingEmail
	}
	return ""
}

// normEmail is the matching key of a work email: trimmed and lower-case.
func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// excludedIssueField names the field of the issue an exclusion is reported
// with; the other exclusions are plan codes only, so that the errors list is
// not flooded with people who left.
var excludedIssueField = map[string]string{
	CodeMissingEmail: "email",
	CodeInvalidValue: "lifecycleStatus",
}

func excludedMessage(p *Person, code string) string {
	if code == CodeInvalidValue {
		return `The person's lifecycle status in Leapsome, "` + clip(strings.TrimSpace(p.LifecycleStatus)) +
			`", is not one this service knows, so the person is not synced: a status that cannot be read is never taken as active. Check the person's lifecycle status in Leapsome.`
	}
	return "The person has no email in Leapsome, so they cannot be matched to TriNet. Add their work email in Leapsome."
}
