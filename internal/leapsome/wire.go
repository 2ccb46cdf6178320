package leapsome

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"trinetsync/internal/jsonscan"
	"trinetsync/internal/provision"
)

// Reading Leapsome's JSON. One person's odd data must not cost the others,
// so the rule is, per record:
//   - the envelope of a page ({"data":[…],"meta":{…}} or a SCIM list) must
//     parse, else the whole call fails with a classified error;
//   - a record that is not an object, or has no usable id, is skipped (and
//     counted in the log, never its content): without an id it cannot be
//     matched to anything, so leaving it out is the only safe choice;
//   - a field whose value has the wrong type is read as absent (and its name
//     logged): absent values are never written to TriNet, so this cannot
//     clear or corrupt data, and the rest of the person still syncs.
// Either way the oddity is also returned as a provision.Anomaly (id and
// field, never the value), so that the engine can tell the tenant's admins.
// Absent and null are the same everywhere.

// page is one decoded list page.
type page struct {
	items   []json.RawMessage
	total   int64 // -1 when the server gave none
	perPage int64 // 0 when the server gave none
}

// decodeContentPage reads a Content API page held in memory (the client
// streams its pages; see wire_stream.go for the rules both follow).
func decodeContentPage(op string, body []byte) (page, error) {
	return collectPage(op, body, contentEnvelope())
}

// decodeSCIMPage reads a SCIM list page held in memory.
func decodeSCIMPage(op string, body []byte) (page, error) {
	return collectPage(op, body, scimEnvelope())
}

var (
	errShape     = jsonscan.ErrShape
	errNotObject = errors.New("record is not an object")
	errNoID      = errors.New("record has no id")
)

type wireRef struct {
	ID   optString `json:"id"`
	Name optString `json:"name"`
}

type wireEmployee struct {
	ID               optString        `json:"id"`
	Email            optString        `json:"email"`
	FirstName        optString        `json:"firstname"`
	MiddleName       optString        `json:"middlename"`
	LastName         optString        `json:"lastname"`
	DisplayedName    optString        `json:"displayedName"`
	Status           optString        `json:"status"`
	LifecycleStatus  optString        `json:"lifecycleStatus"`
	Manager          optObj[wireRef]  `json:"manager"`
	StartDate        optString        `json:"startDate"`
	EndDate          optString        `json:"endDate"`
	Phone            optString        `json:"phone"`
	Title            optString        `json:"title"`
	Departments      optList[wireRef] `json:"departments"`
	Teams            optList[wireRef] `json:"teams"`
	WorkLocation     optObj[wireRef]  `json:"workLocation"`
	CustomAttributes optAttrs         `json:"customAttributes"`
}

// decodeEmployee maps one Employee. bad names the fields read as absent
// because of their type; err means the record is skipped.
func decodeEmployee(raw json.RawMessage) (provision.Person, []string, error) {
	if p, bad, ok, err := decodeEmployeeFast(raw); ok {
		return p, bad, err
	}
	return decodeEmployeeTolerant(raw)
}

// decodeEmployeeTolerant is decodeEmployee field by field, for records the
// fast path declines.
func decodeEmployeeTolerant(raw json.RawMessage) (p provision.Person, bad []string, err error) {
	var w wireEmployee
	if err := json.Unmarshal(raw, &w); err != nil {
		return p, nil, errNotObject
	}
	if w.ID.bad || strings.TrimSpace(w.ID.v) == "" {
		return p, nil, errNoID
	}
	b := badFields{}
	p = provision.Person{
		ID:               w.ID.v,
		Email:            b.str("email", w.Email),
		FirstName:        b.str("firstname", w.FirstName),
		MiddleName:       b.str("middlename", w.MiddleName),
		LastName:         b.str("lastname", w.LastName),
		DisplayedName:    b.str("displayedName", w.DisplayedName),
		Status:           b.str("status", w.Status),
		LifecycleStatus:  b.str("lifecycleStatus", w.LifecycleStatus),
		StartDate:        b.str("startDate", w.StartDate),
		EndDate:          b.str("endDate", w.EndDate),
		Phone:            b.str("phone", w.Phone),
		Title:            b.str("title", w.Title),
		Departments:      b.names("departments", w.Departments),
		Teams:            b.names("teams", w.Teams),
		CustomAttributes: w.CustomAttributes.v,
	}
	if m := obj(&b, "manager", w.Manager); m != nil {
		p.ManagerID = b.str("manager.id", m.ID)
	}
	if wl := obj(&b, "workLocation", w.WorkLocation); wl != nil {
		p.WorkLocationID = b.str("workLocation.id", wl.ID)
		p.WorkLocation = b.str("workLocation.name", wl.Name)
	}
	if w.CustomAttributes.bad {
		b = append(b, "customAttributes")
	}
	for _, k := range w.CustomAttributes.badKeys {
		b = append(b, "customAttributes."+k)
	}
	return p, b, nil
}

func decodeWorkLocation(raw json.RawMessage) (provision.WorkLocation, []string, error) {
	if l, ok, err := decodeWorkLocationFast(raw); ok {
		return l, nil, err
	}
	return decodeWorkLocationTolerant(raw)
}

func decodeWorkLocationTolerant(raw json.RawMessage) (provision.WorkLocation, []string, error) {
	var w struct {
		ID      optString `json:"id"`
		Name    optString `json:"name"`
		Status  optString `json:"status"`
		Country optString `json:"country"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return provision.WorkLocation{}, nil, errNotObject
	}
	if w.ID.bad || strings.TrimSpace(w.ID.v) == "" {
		return provision.WorkLocation{}, nil, errNoID
	}
	b := badFields{}
	return provision.WorkLocation{
		ID:      w.ID.v,
		Name:    b.str("name", w.Name),
		Status:  b.str("status", w.Status),
		Country: b.str("country", w.Country),
	}, b, nil
}

type wireEnterprise struct {
	Birthday       optString `json:"birthday"`
	Gender         optString `json:"gender"`
	EmploymentType optString `json:"employmentType"`
}

func decodeSCIMUser(raw json.RawMessage) (string, *provision.SCIMUser, []string, error) {
	if id, u, ok, err := decodeSCIMUserFast(raw); ok {
		return id, u, nil, err
	}
	return decodeSCIMUserTolerant(raw)
}

func decodeSCIMUserTolerant(raw json.RawMessage) (string, *provision.SCIMUser, []string, error) {
	var w struct {
		ID     optString `json:"id"`
		Active optBool   `json:"active"`
		Name   optObj[struct {
			Formatted optString `json:"formatted"`
		}] `json:"name"`
		Ext optObj[wireEnterprise] `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return "", nil, nil, errNotObject
	}
	if w.ID.bad || strings.TrimSpace(w.ID.v) == "" {
		return "", nil, nil, errNoID
	}
	b := badFields{}
	u := &provision.SCIMUser{Active: w.Active.v}
	if w.Active.bad {
		b = append(b, "active")
	}
	if n := obj(&b, "name", w.Name); n != nil {
		u.LegalName = b.str("name.formatted", n.Formatted)
	}
	if e := obj(&b, scimEnterpriseKey, w.Ext); e != nil {
		u.Birthday = b.str(scimEnterpriseKey+".birthday", e.Birthday)
		u.Gender = b.str(scimEnterpriseKey+".gender", e.Gender)
		u.EmploymentType = b.str(scimEnterpriseKey+".employmentType", e.EmploymentType)
	}
	return w.ID.v, u, b, nil
}

// badFields collects the names of fields read as absent.
type badFields []string

func (b *badFields) str(name string, s optString) string {
	if s.bad {
		*b = append(*b, name)
	}
	return s.v
}

func (b *badFields) names(name string, l optList[wireRef]) []string {
	if l.bad {
		*b = append(*b, name)
	}
	if len(l.v) == 0 {
		return nil
	}
	out := make([]string, len(l.v))
	for i, r := range l.v {
		// A broken element keeps its place (as "") so that "the first
		// department" still means what Leapsome shows first.
		if !r.set || r.bad {
			*b = append(*b, fmt.Sprintf("%s[%d]", name, i))
			continue
		}
		out[i] = b.str(fmt.Sprintf("%s[%d].name", name, i), r.v.Name)
	}
	return out
}

func obj[T any](b *badFields, name string, o optObj[T]) *T {
	if o.bad {
		*b = append(*b, name)
	}
	if !o.set {
		return nil
	}
	return &o.v
}

// optString is a JSON string that may be absent or null.
type optString struct {
	v   string
	bad bool
}

func (s *optString) UnmarshalJSON(b []byte) error {
	switch {
	case isNull(b):
	case b[0] == '"':
		if v, err := jsonscan.Unquote(b); err == nil {
			s.v = v
		} else {
			s.bad = true
		}
	default:
		s.bad = true
	}
	return nil
}

// optBool is a JSON boolean that may be absent or null; "true"/"false" as
// strings are accepted, as some SCIM servers send them.
type optBool struct {
	v   bool
	bad bool
}

func (o *optBool) UnmarshalJSON(b []byte) error {
	switch {
	case isNull(b):
	case bytes.Equal(b, []byte("true")):
		o.v = true
	case bytes.Equal(b, []byte("false")):
	default:
		var s string
		if json.Unmarshal(b, &s) == nil {
			if v, err := strconv.ParseBool(s); err == nil {
				o.v = v
				return nil
			}
		}
		o.bad = true
	}
	return nil
}

// optInt is a paging number; a numeric string is accepted.
type optInt struct {
	n   int64
	set bool
}

func (o *optInt) UnmarshalJSON(b []byte) error {
	var num json.Number
	if json.Unmarshal(b, &num) != nil {
		return nil
	}
	if n, err := num.Int64(); err == nil && n >= 0 {
		o.n, o.set = n, true
	}
	return nil
}

func (o optInt) get(def int64) int64 {
	if o.set {
		return o.n
	}
	return def
}

// optObj is a JSON object that may be absent or null.
type optObj[T any] struct {
	v   T
	set bool
	bad bool
}

func (o *optObj[T]) UnmarshalJSON(b []byte) error {
	switch {
	case isNull(b):
	case b[0] == '{':
		if err := json.Unmarshal(b, &o.v); err != nil {
			o.bad = true
			return nil
		}
		o.set = true
	default:
		o.bad = true
	}
	return nil
}

// optList is a JSON array of objects that may be absent or null.
type optList[T any] struct {
	v   []optObj[T]
	bad bool
}

func (l *optList[T]) UnmarshalJSON(b []byte) error {
	switch {
	case isNull(b):
	case b[0] == '[':
		if err := json.Unmarshal(b, &l.v); err != nil {
			l.v, l.bad = nil, true
		}
	default:
		l.bad = true
	}
	return nil
}

// optAttrs is customAttributes: strings as they are, numbers as sent but
// never with an exponent, booleans as "true"/"false", nulls left out. Objects
// and arrays are not documented values: their keys are reported in badKeys.
type optAttrs struct {
	v       map[string]string
	badKeys []string
	bad     bool
}

func (a *optAttrs) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		return nil
	}
	var m map[string]json.RawMessage
	if b[0] != '{' || json.Unmarshal(b, &m) != nil {
		a.bad = true
		return nil
	}
	a.v = make(map[string]string, len(m))
	for k, raw := range m {
		k = shared(k)
		switch {
		case isNull(raw):
		case raw[0] == '"':
			s, err := jsonscan.Unquote(raw)
			if err != nil {
				a.badKeys = append(a.badKeys, k)
				continue
			}
			a.v[k] = s
		case raw[0] == 't' || raw[0] == 'f':
			a.v[k] = string(raw)
		case raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'):
			a.v[k] = plainNumber(string(raw))
		default:
			a.badKeys = append(a.badKeys, k)
		}
	}
	return nil
}

func isNull(b []byte) bool { return len(b) == 0 || bytes.Equal(b, []byte("null")) }

// plainNumber writes a JSON number literal without exponent, exactly (no
// float rounding): "4e1" → "40", "3.75E-1" → "0.375". Literals without an
// exponent are returned as sent.
func plainNumber(lit string) string {
	i := strings.IndexAny(lit, "eE")
	if i < 0 {
		return lit
	}
	exp, err := strconv.Atoi(lit[i+1:])
	if err != nil || exp > 1000 || exp < -1000 {
		// Absurd exponents: give the literal rather than a megabyte of zeros.
		return lit
	}
	mant, sign := lit[:i], ""
	if mant[0] == '-' {
		sign, mant = "-", mant[1:]
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	point := len(intPart) + exp
	var s string
	switch {
	case point <= 0:
		s = "0." + strings.Repeat("0", -point) + digits
	case point >= len(digits):
		s = digits + strings.Repeat("0", point-len(digits))
	default:
		s = digits[:point] + "." + digits[point:]
	}
	whole, fr, hasFrac := strings.Cut(s, ".")
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	if hasFrac {
		fr = strings.TrimRight(fr, "0")
	}
	if fr != "" {
		s = whole + "." + fr
	} else {
		s = whole
	}
	if s == "0" {
		return s
	}
	return sign + s
}
