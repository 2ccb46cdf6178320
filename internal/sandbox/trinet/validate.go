package trinet

import (
	"encoding/json"
	"net/mail"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/biter777/countries"
)

// Request bodies are checked against a schema of the fields the profile
// names. Unknown fields are refused rather than ignored: a sandbox that
// silently dropped a misspelt field would hide a client bug that the real
// API would turn into data that never arrives.

type kind int

const (
	kString kind = iota
	kNumber
	kObject
)

type rule struct {
	kind     kind
	required bool                           // strings: present and not blank
	check    func(v *vctx, s string) string // strings: "" when valid
	numCheck func(f float64) string
	fields   map[string]*rule // objects
	refuse   string           // any value is refused with this message
}

// vctx is what checks may consult: the company's look-ups and today's date.
// Callers hold the server's lock while walking.
type vctx struct {
	co    *company
	today string
}

func str(m map[string]any, path string) (string, bool) {
	v, present := lookup(m, path)
	s, isStr := v.(string)
	return s, present && isStr
}

func num(m map[string]any, path string) (float64, bool) {
	v, present := lookup(m, path)
	f, isNum := v.(float64)
	return f, present && isNum
}

func lookup(m map[string]any, path string) (any, bool) {
	parts := strings.Split(path, ".")
	for i, p := range parts {
		v, present := m[p]
		if !present || v == nil {
			return nil, false
		}
		if i == len(parts)-1 {
			return v, true
		}
		if m, present = v.(map[string]any); !present {
			return nil, false
		}
	}
	return nil, false
}

// parseObject decodes a request body that must be a JSON object.
func parseObject(body []byte) (map[string]any, []fieldError) {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, []fieldError{{Field: "body", Message: "is required (a JSON object)"}}
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, []fieldError{{Field: "body", Message: "malformed JSON"}}
	}
	m, isObj := doc.(map[string]any)
	if !isObj {
		return nil, []fieldError{{Field: "body", Message: "must be a JSON object"}}
	}
	return m, nil
}

// walk checks obj against r and returns every problem, by field path. A null
// value counts as absent.
func (v *vctx) walk(obj map[string]any, r *rule, prefix string) []fieldError {
	keys := make([]string, 0, len(obj)+len(r.fields))
	for k := range r.fields {
		keys = append(keys, k)
	}
	for k := range obj {
		if _, known := r.fields[k]; !known {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var errs []fieldError
	add := func(path, msg string) { errs = append(errs, fieldError{Field: path, Message: msg}) }
	for _, k := range keys {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		val, present := obj[k]
		present = present && val != nil
		sub, known := r.fields[k]
		switch {
		case !known:
			if present {
				add(path, "unknown field")
			}
			continue
		case sub.refuse != "":
			if present {
				add(path, sub.refuse)
			}
			continue
		case !present:
			if sub.kind == kObject {
				errs = append(errs, v.walk(nil, sub, path)...)
			} else if sub.required {
				add(path, "is required")
			}
			continue
		}
		switch sub.kind {
		case kString:
			s, isStr := val.(string)
			switch {
			case !isStr:
				add(path, "must be a string")
			case sub.required && strings.TrimSpace(s) == "":
				add(path, "is required")
			case sub.check != nil:
				if msg := sub.check(v, s); msg != "" {
					add(path, msg)
				}
			}
		case kNumber:
			f, isNum := val.(float64)
			switch {
			case !isNum:
				add(path, "must be a number")
			case sub.numCheck != nil:
				if msg := sub.numCheck(f); msg != "" {
					add(path, msg)
				}
			}
		case kObject:
			m, isObj := val.(map[string]any)
			if !isObj {
				add(path, "must be an object")
				continue
			}
			errs = append(errs, v.walk(m, sub, path)...)
		}
	}
	return errs
}

func object(fields map[string]*rule) *rule { return &rule{kind: kObject, fields: fields} }

func text() *rule { return &rule{kind: kString} }

func requiredText() *rule { return &rule{kind: kString, required: true} }

func checked(f func(v *vctx, s string) string) *rule { return &rule{kind: kString, check: f} }

func refused(msg string) *rule { return &rule{refuse: msg} }

func requiredChecked(f func(v *vctx, s string) string) *rule {
	return &rule{kind: kString, required: true, check: f}
}

func oneOf(codes ...string) func(*vctx, string) string {
	msg := "must be one of " + strings.Join(codes, ", ")
	return func(_ *vctx, s string) string {
		if slices.Contains(codes, s) {
			return ""
		}
		return msg
	}
}

func parseDate(s string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil && len(s) == len(time.DateOnly)
}

func isDate(_ *vctx, s string) string {
	if _, valid := parseDate(s); !valid {
		return "must be a date YYYY-MM-DD"
	}
	return ""
}

func isBirthDate(v *vctx, s string) string {
	if msg := isDate(v, s); msg != "" {
		return msg
	}
	if s > v.today {
		return "must not be in the future"
	}
	return ""
}

// isStartDate enforces TriNet's rule that a hire's start date is not more
// than three days in the past (UTC dates).
func isStartDate(v *vctx, s string) string {
	if msg := isDate(v, s); msg != "" {
		return msg
	}
	today, _ := parseDate(v.today)
	if earliest := today.AddDate(0, 0, -3).Format(time.DateOnly); s < earliest {
		return "must not be more than 3 days in the past (earliest " + earliest + ")"
	}
	return ""
}

func isCountry(_ *vctx, s string) string {
	if c := countries.ByName(s); c == countries.Unknown || !c.IsValid() || c.Alpha2() != s {
		return "must be an ISO 3166 alpha-2 country code"
	}
	return ""
}

func isEmail(_ *vctx, s string) string {
	if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
		return "must be an email address"
	}
	return ""
}

// isPhone accepts an empty value (no phone) or a number written with the
// usual punctuation and 7 to 15 digits (E.164's maximum).
func isPhone(_ *vctx, s string) string {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == ' ', r == '-', r == '(', r == ')', r == '.':
		default:
			return "must be a phone number"
		}
	}
	if s != "" && (digits < 7 || digits > 15) {
		return "must be a phone number"
	}
	return ""
}

func isNationalID(_ *vctx, s string) string {
	digits := strings.ReplaceAll(s, "-", "")
	if len(digits) != 9 || strings.Trim(digits, "0123456789") != "" {
		return "must be 9 digits"
	}
	return ""
}

func isHours(f float64) string {
	if f <= 0 || f > 168 {
		return "must be more than 0 and at most 168"
	}
	return ""
}

// A supervisor may be any employee of the company, a pending hire included.
func isSupervisor(v *vctx, s string) string {
	if _, found := v.co.employees[s]; !found {
		return "unknown employee id " + s
	}
	return ""
}

func isLocation(v *vctx, s string) string {
	if _, found := v.co.locs[s]; !found {
		return "unknown location id " + s
	}
	return ""
}

func isDepartment(v *vctx, s string) string {
	if _, found := v.co.depts[s]; !found {
		return "unknown department id " + s
	}
	return ""
}

var (
	genders          = oneOf("M", "F")
	ethnicities      = oneOf("HISPA", "WHITE", "BLACK", "PACIF", "ASIAN", "AMIND", "TWO", "NSPEC")
	employeeTypes    = oneOf("F", "P")
	regularTemporary = oneOf("R", "T")
	flsaCodes        = oneOf("T", "N", "C", "Z")
	maritalStatuses  = oneOf("S", "M", "D", "W", "H", "U")
	reasonCodes      = oneOf("HIR", "REH")
	isPending        = func(_ *vctx, s string) string {
		if s != approvalPending {
			return "must be I (Incomplete)"
		}
		return ""
	}
)

const (
	notOnHire     = "not accepted on new hire (update only)"
	notUpdatable  = "not updatable via API"
	effectiveDate = "effectiveDate"
)

var hireSchema = object(map[string]*rule{
	"approvalStatus": requiredChecked(isPending),
	"name": object(map[string]*rule{
		"firstName":  requiredText(),
		"middleName": text(),
		"lastName":   requiredText(),
	}),
	"biographicalInfo": object(map[string]*rule{
		"gender":        checked(genders),
		"ethnicity":     checked(ethnicities),
		"birthDate":     checked(isBirthDate),
		"country":       checked(isCountry),
		"nationalId":    checked(isNationalID),
		"maritalStatus": refused(notOnHire),
	}),
	"homeContact": object(map[string]*rule{
		"address1":   text(),
		"address2":   text(),
		"city":       text(),
		"state":      text(),
		"postalCode": text(),
		"country":    checked(isCountry),
	}),
	"employmentInfo": object(map[string]*rule{
		"startDate":            requiredChecked(isStartDate),
		"reasonCode":           checked(reasonCodes),
		"employeeType":         checked(employeeTypes),
		"regularTemporary":     checked(regularTemporary),
		"businessTitle":        text(),
		"supervisorId":         checked(isSupervisor),
		"locationId":           checked(isLocation),
		"workEmail":            checked(isEmail),
		"workPhone":            checked(isPhone),
		"standardHoursPerWeek": {kind: kNumber, numCheck: isHours},
		"homeDepartment":       object(map[string]*rule{"deptId": checked(isDepartment)}),
		"compliance":           object(map[string]*rule{"flsaCode": checked(flsaCodes)}),
		"customGroupA":         refused(notOnHire),
		"customGroupB":         refused(notOnHire),
		"optionalGrouping":     refused(notOnHire),
	}),
})

var namesSchema = object(map[string]*rule{
	effectiveDate: requiredChecked(isDate),
	"nameType": requiredChecked(func(_ *vctx, s string) string {
		if s != "PRI" {
			return "must be PRI (only the primary name can be updated)"
		}
		return ""
	}),
	"firstName":  requiredText(),
	"middleName": text(),
	"lastName":   requiredText(),
})

var personalsSchema = object(map[string]*rule{
	effectiveDate:   requiredChecked(isDate),
	"gender":        checked(genders),
	"birthDate":     checked(isBirthDate),
	"ethnicity":     checked(ethnicities),
	"country":       checked(isCountry),
	"maritalStatus": checked(maritalStatuses),
	"nationalId":    refused(notUpdatable),
})

// updateSchemas are the update calls' bodies, by endpoint.
var updateSchemas = map[string]*rule{epNames: namesSchema, epPersonals: personalsSchema, epJobs: jobsSchema}

var jobsSchema = object(map[string]*rule{
	effectiveDate:      requiredChecked(isDate),
	"businessTitle":    text(),
	"deptId":           checked(isDepartment),
	"workPhone":        checked(isPhone),
	"employeeTransfer": object(map[string]*rule{"locationId": checked(isLocation)}),
	"optionalGrouping": object(map[string]*rule{"groupA": text(), "groupB": text()}),
	// New-hire-only data has no update call (product article's table).
	"managerId":            refused(notUpdatable),
	"supervisorId":         refused(notUpdatable),
	"jobReclassification":  refused(notUpdatable),
	"workEmail":            refused(notUpdatable),
	"startDate":            refused(notUpdatable),
	"hireDate":             refused(notUpdatable),
	"standardHours":        refused(notUpdatable),
	"standardHoursPerWeek": refused(notUpdatable),
	"employeeType":         refused(notUpdatable),
	"flsaCode":             refused(notUpdatable),
	"compliance":           refused(notUpdatable),
	"homeContact":          refused(notUpdatable),
	"address":              refused(notUpdatable),
	"address1":             refused(notUpdatable),
	"address2":             refused(notUpdatable),
	"city":                 refused(notUpdatable),
	"state":                refused(notUpdatable),
	"postalCode":           refused(notUpdatable),
	"nationalId":           refused(notUpdatable),
})
