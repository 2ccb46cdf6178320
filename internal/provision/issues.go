package provision

// Issue and plan-item codes. The contract's list, plus a few the contract left
// open ("more may be added"); the additions are marked.
const (
	CodeUnsupportedGender     = "unsupported_gender"
	CodeStartDateTooOld       = "start_date_too_old"
	CodeMissingStartDate      = "missing_start_date"
	CodeNotInTriNet           = "not_in_trinet"
	CodePendingApproval       = "pending_approval"
	CodeHireOutcomeUnknown    = "hire_outcome_unknown"
	CodeDuplicateEmail        = "duplicate_email"
	CodeMissingEmail          = "missing_email"
	CodeDepartmentNotFound    = "department_not_found"
	CodeLocationNotFound      = "location_not_found"
	CodeSupervisorNotInTriNet = "supervisor_not_in_trinet"
	CodeSupervisorCycle       = "supervisor_cycle"
	CodeTerminatedInTriNet    = "terminated_in_trinet"
	CodeMassCreateHeld        = "mass_create_held"
	CodeSCIMUnavailable       = "scim_unavailable"
	CodeTriNetRejected        = "trinet_rejected"
	CodeStatusNotSynced       = "status_not_synced"
	CodeLifecycleNotSynced    = "lifecycle_not_synced"
	CodeDuplicateEmployee     = "duplicate_employee"
	CodeDuplicateInTriNet     = "duplicate_in_trinet"
	CodeRelinked              = "relinked"
	CodeExcludedByAdmin       = "excluded_by_admin"
	CodeInvalidValue          = "invalid_value"           // a Leapsome value that cannot be read exactly (bad date, phone, code, country, empty name)
	CodeLinkedEmployeeMissing = "linked_employee_missing" // the TriNet employee a person is linked to is no longer listed; never hired again
	CodeTriNetUnavailable     = "trinet_unavailable"      // added: a write failed after its retries (5xx, 429, timeout) or a hire surely never reached TriNet; the next run retries
	CodeStoreUnavailable      = "store_unavailable"       // added: the hire ledger could not be written, so no hire was sent
	CodeUnreadableValue       = "unreadable_value"        // added (warning): Leapsome sent a person's field in a form that could not be read; it was not synced
	CodeUnreadableRecord      = "unreadable_record"       // added (warning, tenant-level): Leapsome sent records that could not be read (no id, not an object); they were skipped
	CodeInternalError         = "internal_error"          // added: the service failed on this person (a bug); the others went ahead and the next run retries
	CodeNotInLeapsome         = "not_in_leapsome"         // added (warning): a subset run or an approval names a person Leapsome does not list
	CodeNeedsFullRun          = "needs_full_run"          // added: a subset run would take over another person's link (a re-created account); a full run does it
)

// errorCodes are the codes of severity error: the contract's list (with
// invalid_value, an error on a required target — see SeverityFor) plus the
// added codes that make a person's action `error`, trinet_unavailable,
// store_unavailable and internal_error (the person's writes did not happen
// this run, or not all of them), so that
// /errors and counts.errors agree with the plan's error actions.
var errorCodes = map[string]bool{
	CodeUnsupportedGender:     true,
	CodeStartDateTooOld:       true,
	CodeMissingStartDate:      true,
	CodeDuplicateEmail:        true,
	CodeDuplicateEmployee:     true,
	CodeDepartmentNotFound:    true,
	CodeLocationNotFound:      true,
	CodeTerminatedInTriNet:    true,
	CodeTriNetRejected:        true,
	CodeInvalidValue:          true,
	CodeTriNetUnavailable:     true,
	CodeStoreUnavailable:      true,
	CodeLinkedEmployeeMissing: true,
	CodeInternalError:         true,
	CodeNeedsFullRun:          true,
}

// SeverityOf returns a code's severity: every code not in the error list is a
// warning. invalid_value is an error here, as on a required target; see
// SeverityFor for the severity of an issue about one field.
func SeverityOf(code string) Severity {
	if errorCodes[code] {
		return SeverityError
	}
	return SeverityWarning
}

// SeverityFor returns the severity of an issue with code about field (a
// target name, or ""): SeverityOf, except that invalid_value is a warning
// unless TriNet takes no hire without the target (see Target.needed): an
// optional target's unreadable value is left out and the rest goes ahead.
func SeverityFor(code, field string) Severity {
	if t := targetIndex[field]; code == CodeInvalidValue && (t == nil || !t.needed) {
		return SeverityWarning
	}
	return SeverityOf(code)
}

// personIssue builds an issue about p.
func personIssue(p *Person, code, field, msg string) Issue {
	return Issue{
		UserID:   p.ID,
		Email:    p.Email,
		Name:     personName(p),
		Severity: SeverityFor(code, field),
		Code:     code,
		Field:    field,
		Message:  msg,
	}
}

func personName(p *Person) string {
	switch {
	case p.FirstName != "" && p.LastName != "":
		return p.FirstName + " " + p.LastName
	case p.DisplayedName != "":
		return p.DisplayedName
	default:
		return p.FirstName + p.LastName
	}
}
