package provision

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// Transforms turn a Leapsome value into the value TriNet takes, and normalise
// TriNet's own values the same way, so that comparing them says "changed" only
// when something changed. They never put the value itself into a problem's
// message: the value may be personal data (a birth date, a gender).

// defaultPhoneRegion is the country of a phone number written without "+" when
// the person's work location has no known country. The service's TriNet
// companies are US PEO clients, so US is the likely country.
const defaultPhoneRegion = "US"

// problem is why a value cannot be sent; it becomes a per-person issue.
type problem struct {
	code    string
	message string
}

func invalid(msg string) *problem { return &problem{code: CodeInvalidValue, message: msg} }

// applyValueMap translates v by vm: exact match of the trimmed value first, then
// a case-insensitive one. An unmapped value passes through.
func applyValueMap(v string, vm map[string]string) string {
	if len(vm) == 0 {
		return v
	}
	tv := strings.TrimSpace(v)
	if to, ok := vm[tv]; ok {
		return to
	}
	if to, ok := vm[v]; ok {
		return to
	}
	for from, to := range vm {
		if strings.EqualFold(strings.TrimSpace(from), tv) {
			return to
		}
	}
	return v
}

// genderCode maps Leapsome's gender (or an already mapped code) to TriNet's.
func genderCode(v string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "male", "m":
		return "M", true
	case "female", "f":
		return "F", true
	}
	return "", false
}

// normDate turns an RFC 3339 time or a YYYY-MM-DD date into the UTC date.
func normDate(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if len(v) == len("2006-01-02") {
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return t.Format(time.DateOnly), true
		}
		return "", false
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		// The UTC day of an offset time can leave the four-digit years.
		if u := t.UTC(); u.Year() >= 1 && u.Year() <= 9999 {
			return u.Format(time.DateOnly), true
		}
	}
	return "", false
}

// normPhone formats a phone number as E.164; a number without "+" is read as a
// number of region (ISO alpha-2), or of the default region when region is empty.
func normPhone(v, region string) (string, bool) {
	v = strings.TrimSpace(v)
	if region == "" {
		region = defaultPhoneRegion
	}
	n, err := phonenumbers.Parse(v, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// normHours reads standard weekly hours as a decimal between 0 and 168.
func normHours(v string) (string, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	// ParseFloat reads "NaN", for which every comparison is false.
	if err != nil || math.IsNaN(f) || f <= 0 || f > 168 {
		return "", false
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}

// normSSN keeps the nine digits of a US social security number.
func normSSN(v string) (string, bool) {
	var b strings.Builder
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '-' || r == ' ':
		default:
			return "", false
		}
	}
	if b.Len() != 9 {
		return "", false
	}
	return b.String(), true
}

// nameIndex resolves TriNet department or location names to ids.
type nameIndex struct {
	byName map[string]string // lower-case trimmed name → id
	byID   map[string]string // lower-case id → id
}

func newNameIndex(n int) nameIndex {
	return nameIndex{byName: make(map[string]string, n), byID: make(map[string]string, n)}
}

func (x nameIndex) add(id, name string) {
	k := strings.ToLower(strings.TrimSpace(name))
	if _, dup := x.byName[k]; !dup && k != "" {
		x.byName[k] = id // the first of two equal names wins, so the choice is stable
	}
	x.byID[strings.ToLower(id)] = id
}

// resolve finds a name case-insensitively, then, for a value map that names
// TriNet's id directly, the id itself.
func (x nameIndex) resolve(v string) (string, bool) {
	k := strings.ToLower(strings.TrimSpace(v))
	if id, ok := x.byName[k]; ok {
		return id, true
	}
	id, ok := x.byID[k]
	return id, ok
}

// quoted is ` "v"` for a message about t, or "" when t is sensitive: its
// values (an address, a birth date, …) are personal data and never reach an
// issue, which the API serves and the run record keeps.
func quoted(t *Target, v string) string {
	if t.Sensitive {
		return ""
	}
	return ` "` + clip(v) + `"`
}

// normalise applies a target's own rules to a Leapsome value (after the value
// map). region is the person's work location country for phone numbers.
func (pl *planner) normalise(t *Target, v, region string) (string, *problem) {
	v = strings.TrimSpace(v)
	switch t.kind {
	case kindGender:
		c, ok := genderCode(v)
		if !ok {
			return "", &problem{CodeUnsupportedGender, "Only Male or Female can be sent to TriNet. Change the person's gender in Leapsome or remove the gender mapping."}
		}
		return c, nil
	case kindDate:
		d, ok := normDate(v)
		if !ok {
			return "", invalid("The " + t.Target + " in Leapsome is not a valid date (YYYY-MM-DD). Correct it in Leapsome.")
		}
		return d, nil
	case kindCode:
		c := strings.ToUpper(v)
		if !slices.Contains(t.Codes, c) {
			return "", invalid("The " + t.Target + " value from Leapsome is not one TriNet accepts (" + strings.Join(t.Codes, ", ") + "). Correct it in Leapsome or add it to the field's value map.")
		}
		return c, nil
	case kindCountry:
		c, ok := pl.country(v)
		if !ok {
			return "", invalid("The " + t.Target + quoted(t, v) + " in Leapsome is not a known country. Use the country's name or ISO code in Leapsome.")
		}
		return c, nil
	case kindPhone:
		p, ok := normPhone(v, region)
		if !ok {
			return "", invalid("The phone number in Leapsome is not a valid number. Correct it in Leapsome, ideally with its country code (+1 …).")
		}
		return p, nil
	case kindDepartment:
		id, ok := pl.depts.resolve(v)
		if !ok {
			return "", &problem{CodeDepartmentNotFound, "TriNet has no department named" + quoted(t, v) + ". Create it in TriNet or correct the department in Leapsome (or the field's value map)."}
		}
		return id, nil
	case kindLocation:
		id, ok := pl.locs.resolve(v)
		if !ok {
			return "", &problem{CodeLocationNotFound, "TriNet has no location named" + quoted(t, v) + ". Create it in TriNet or correct the work location in Leapsome (or the field's value map)."}
		}
		return id, nil
	case kindHours:
		h, ok := normHours(v)
		if !ok {
			return "", invalid("The standard hours from Leapsome are not a number of hours per week between 0 and 168. Correct them in Leapsome.")
		}
		return h, nil
	case kindSSN:
		s, ok := normSSN(v)
		if !ok {
			return "", invalid("The SSN from Leapsome is not nine digits. Correct it in Leapsome.")
		}
		return s, nil
	case kindEmail:
		if !strings.Contains(v, "@") {
			return "", invalid("The work email in Leapsome is not an email address. Correct it in Leapsome.")
		}
		return v, nil
	default: // text and supervisor (resolved later)
		return v, nil
	}
}

// current returns TriNet's value of an updatable target, normalised like a
// Leapsome value so that equal values compare equal. A TriNet value the rules
// cannot read is kept as it is, so that it differs and is overwritten.
func (pl *planner) current(t *Target, e *Employee, region string) string {
	return pl.trinetValue(t, t.current(e), e, region)
}

// trinetValue is v, TriNet's value of t for employee e, normalised like a
// Leapsome value of t; a value the rules cannot read is kept as it is.
func (pl *planner) trinetValue(t *Target, v string, e *Employee, region string) string {
	v = strings.TrimSpace(v)
	switch t.kind {
	case kindGender, kindCode:
		return strings.ToUpper(v)
	case kindDate:
		if d, ok := normDate(v); ok {
			return d
		}
	case kindCountry:
		if c, ok := pl.country(v); ok {
			return c
		}
	case kindPhone:
		// TriNet's number without "+" is of the employee's TriNet location.
		if r := pl.locCountry[e.LocationID]; r != "" {
			region = r
		}
		if p, ok := normPhone(v, region); ok {
			return p
		}
	case kindHours:
		if h, ok := normHours(v); ok {
			return h
		}
	}
	return v
}
