package leapsome

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
	"unique"

	"trinetsync/internal/provision"
)

// The fast path. Nearly every record Leapsome sends has the documented
// types, and for those a single json.Unmarshal into plain Go types gives
// exactly what the tolerant types of wire.go give, at a fraction of the cost:
// the tolerant types call json.Unmarshal again for every nested object, and
// each call validates its bytes anew (a tenth of a sync's CPU went there).
//
// A fast decoder answers ok=false, and the record is read again field by
// field, whenever its reading could differ from the tolerant one:
//   - any value of the wrong type (json.Unmarshal reports it);
//   - a repeated key that plain types read differently: encoding/json resets
//     a pointer, slice or map on a later null and merges a repeated map,
//     where the tolerant types keep the earlier value or replace the map.
//     Such a repeat is looked for only when the outcome shows a nil that a
//     repeat could have caused, so well-formed records pay nothing for it.
//
// TestFastPathMatchesTolerant holds the two paths to the same results.

type fastRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type fastEmployee struct {
	ID               string     `json:"id"`
	Email            string     `json:"email"`
	FirstName        string     `json:"firstname"`
	MiddleName       string     `json:"middlename"`
	LastName         string     `json:"lastname"`
	DisplayedName    string     `json:"displayedName"`
	Status           string     `json:"status"`
	LifecycleStatus  string     `json:"lifecycleStatus"`
	Manager          *fastRef   `json:"manager"`
	StartDate        string     `json:"startDate"`
	EndDate          string     `json:"endDate"`
	Phone            string     `json:"phone"`
	Title            string     `json:"title"`
	Departments      []*fastRef `json:"departments"`
	Teams            []*fastRef `json:"teams"`
	WorkLocation     *fastRef   `json:"workLocation"`
	CustomAttributes fastAttrs  `json:"customAttributes"`
}

// Keys whose repetition plain types read differently (customAttributes
// declines by itself: fastAttrs sees its second occurrence).
var (
	employeeResettable = [][]byte{[]byte("manager"), []byte("departments"), []byte("teams"), []byte("workLocation")}
	scimResettable     = [][]byte{[]byte("name"), []byte(scimEnterpriseKey)}
)

func decodeEmployeeFast(raw json.RawMessage) (p provision.Person, bad []string, ok bool, err error) {
	var w fastEmployee
	if json.Unmarshal(raw, &w) != nil {
		return p, nil, false, nil
	}
	mayReset := w.Manager == nil || w.WorkLocation == nil || w.Departments == nil || w.Teams == nil ||
		slices.Contains(w.Departments, nil) || slices.Contains(w.Teams, nil)
	if mayReset && repeatsKey(raw, employeeResettable) {
		return p, nil, false, nil
	}
	if strings.TrimSpace(w.ID) == "" {
		return p, nil, true, errNoID
	}
	p = provision.Person{
		ID:               w.ID,
		Email:            w.Email,
		FirstName:        w.FirstName,
		MiddleName:       w.MiddleName,
		LastName:         w.LastName,
		DisplayedName:    w.DisplayedName,
		Status:           shared(w.Status),
		LifecycleStatus:  shared(w.LifecycleStatus),
		StartDate:        w.StartDate,
		EndDate:          w.EndDate,
		Phone:            w.Phone,
		Title:            w.Title,
		Departments:      fastNames("departments", w.Departments, &bad),
		Teams:            fastNames("teams", w.Teams, &bad),
		CustomAttributes: w.CustomAttributes.v,
	}
	if w.Manager != nil {
		p.ManagerID = w.Manager.ID
	}
	if w.WorkLocation != nil {
		p.WorkLocationID, p.WorkLocation = shared(w.WorkLocation.ID), shared(w.WorkLocation.Name)
	}
	for _, k := range w.CustomAttributes.badKeys {
		bad = append(bad, "customAttributes."+k)
	}
	return p, bad, true, nil
}

// fastNames is badFields.names for well-typed lists: a null element keeps
// its place as "" and is named.
func fastNames(name string, refs []*fastRef, bad *[]string) []string {
	if len(refs) == 0 {
		return nil
	}
	out := make([]string, len(refs))
	for i, r := range refs {
		if r == nil {
			*bad = append(*bad, fmt.Sprintf("%s[%d]", name, i))
			continue
		}
		out[i] = shared(r.Name)
	}
	return out
}

func decodeWorkLocationFast(raw json.RawMessage) (provision.WorkLocation, bool, error) {
	var w struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Status  string `json:"status"`
		Country string `json:"country"`
	}
	if json.Unmarshal(raw, &w) != nil {
		return provision.WorkLocation{}, false, nil
	}
	if strings.TrimSpace(w.ID) == "" {
		return provision.WorkLocation{}, true, errNoID
	}
	return provision.WorkLocation{ID: w.ID, Name: w.Name, Status: w.Status, Country: w.Country}, true, nil
}

type fastEnterprise struct {
	Birthday       string `json:"birthday"`
	Gender         string `json:"gender"`
	EmploymentType string `json:"employmentType"`
}

func decodeSCIMUserFast(raw json.RawMessage) (string, *provision.SCIMUser, bool, error) {
	var w struct {
		ID     string `json:"id"`
		Active bool   `json:"active"`
		Name   *struct {
			Formatted string `json:"formatted"`
		} `json:"name"`
		Ext *fastEnterprise `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
	}
	if json.Unmarshal(raw, &w) != nil {
		return "", nil, false, nil
	}
	if (w.Name == nil || w.Ext == nil) && repeatsKey(raw, scimResettable) {
		return "", nil, false, nil
	}
	if strings.TrimSpace(w.ID) == "" {
		return "", nil, true, errNoID
	}
	u := &provision.SCIMUser{Active: w.Active}
	if w.Name != nil {
		u.LegalName = w.Name.Formatted
	}
	if w.Ext != nil {
		u.Birthday, u.Gender, u.EmploymentType = w.Ext.Birthday, shared(w.Ext.Gender), shared(w.Ext.EmploymentType)
	}
	return w.ID, u, true, nil
}

var errRepeated = errors.New("repeated key")

// shared is the one copy of a value that many people hold alike (a status,
// a department, a work location, a custom attribute's name), so that 10,000
// people hold one "active", not 10,000. Values of one person (names, emails,
// ids) are not passed here: canonical copies of them would only cost.
func shared(s string) string {
	if s == "" {
		return ""
	}
	return unique.Make(s).Value()
}

// fastAttrs is optAttrs without the intermediate map of raw values: it walks
// the object it is given (already validated by json.Unmarshal) once. A
// second occurrence of customAttributes, or a repeated attribute name, is
// an error so that the tolerant path decides.
type fastAttrs struct {
	v       map[string]string
	badKeys []string
	seen    bool
}

func (a *fastAttrs) UnmarshalJSON(b []byte) error {
	if a.seen {
		return errRepeated
	}
	a.seen = true
	if isNull(b) {
		return nil
	}
	a.v = make(map[string]string)
	var absent []string // names read as null or dropped, to see repeats
	return eachMember(b, func(key, raw []byte) error {
		k, err := unquote(key)
		if err != nil {
			return err
		}
		k = shared(k)
		if _, dup := a.v[k]; dup || slices.Contains(absent, k) {
			return errRepeated
		}
		switch c := raw[0]; {
		case c == 'n':
			absent = append(absent, k)
		case c == '"':
			s, err := unquote(raw)
			if err != nil {
				return err
			}
			a.v[k] = s
		case c == 't' || c == 'f':
			a.v[k] = string(raw)
		case c == '-' || (c >= '0' && c <= '9'):
			a.v[k] = plainNumber(string(raw))
		default:
			absent = append(absent, k)
			a.badKeys = append(a.badKeys, k)
		}
		return nil
	})
}

// unquote reads a JSON string literal as encoding/json does; most have no
// escapes and are copied as they are.
func unquote(q []byte) (string, error) {
	if len(q) >= 2 && q[0] == '"' && q[len(q)-1] == '"' {
		if in := q[1 : len(q)-1]; bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
			return string(in), nil
		}
	}
	var s string
	err := json.Unmarshal(q, &s)
	return s, err
}

// repeatsKey says whether raw is an object in which one of names occurs
// more than once, keys matched as encoding/json matches them to fields
// (bytes.EqualFold, after unescaping).
func repeatsKey(raw []byte, names [][]byte) bool {
	var seen [8]bool
	repeated := false
	err := eachMember(raw, func(q, _ []byte) error {
		key := q[1 : len(q)-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			s, err := unquote(q)
			if err != nil {
				return err
			}
			key = []byte(s)
		}
		for i, name := range names {
			if bytes.EqualFold(key, name) {
				if seen[i] {
					repeated = true
					return errRepeated
				}
				seen[i] = true
			}
		}
		return nil
	})
	return repeated || (err != nil && !errors.Is(err, errShape))
}

// The scanners below walk JSON that encoding/json has already validated (a
// page body, or the bytes it hands an UnmarshalJSON method), so they only
// find boundaries. On malformed input they report errShape or -1 and never
// panic.

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd is the index just past the string literal starting at b[i].
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// valueEnd is the index just past the value starting at b[i].
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				if i = stringEnd(b, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	case ',', ':', '}', ']':
		return -1
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
		j++
	}
	return j
}

// eachMember calls fn with each key (a string literal, quotes included) and
// value of the JSON object b, in order, and stops at fn's first error.
func eachMember(b []byte, fn func(key, val []byte) error) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errShape
	}
	if i = skipSpace(b, i+1); i < len(b) && b[i] == '}' {
		return nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return errShape
		}
		kEnd := stringEnd(b, i)
		if kEnd < 0 {
			return errShape
		}
		key := b[i:kEnd]
		if i = skipSpace(b, kEnd); i >= len(b) || b[i] != ':' {
			return errShape
		}
		i = skipSpace(b, i+1)
		vEnd := valueEnd(b, i)
		if vEnd < 0 {
			return errShape
		}
		if err := fn(key, b[i:vEnd]); err != nil {
			return err
		}
		if i = skipSpace(b, vEnd); i >= len(b) {
			return errShape
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return nil
		default:
			return errShape
		}
	}
}
