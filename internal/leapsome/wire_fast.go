package leapsome

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unique"

	"trinetsync/internal/jsonscan"
	"trinetsync/internal/provision"
)

// The fast path. Nearly every record Leapsome sends has the documented
// types, and for those reading them into plain Go types as encoding/json
// would gives exactly what the tolerant types of wire.go give, at a fraction
// of the cost: the tolerant types call json.Unmarshal again for every nested
// object, and each call validates its bytes anew.
//
// The employees and SCIM users, most of what a sync decodes, are not even
// given to json.Unmarshal: their records come out of a page the page
// decoder has already validated, so a walk over their members (unmarshal
// below) reads them as encoding/json would read them into the fast types —
// keys matched exactly or case-insensitively (bytes.EqualFold), strings
// unquoted as encoding/json unquotes them, null leaving a string as it was
// and a pointer nil, an object decoded into the pointer already there — for
// a third of the CPU (json.Unmarshal scans every record twice, once to
// validate it and once to decode it, through reflection).
//
// A fast decoder answers ok=false, and the record is read again field by
// field, whenever its reading could differ from the tolerant one:
//   - any value of the wrong type;
//   - a repeated key that plain types read differently: encoding/json resets
//     a pointer, slice or map on a later null and merges a repeated map,
//     where the tolerant types keep the earlier value or replace the map.
//     A repeated list is always declined; a repeated object only when the
//     outcome is nil.
//
// TestFastPathMatchesTolerant holds the two paths to the same results.

// The fast types: what the fast decoders read a record into (the names
// their keys match are in the field lists below).
type fastRef struct {
	ID   string
	Name string
}

type fastEmployee struct {
	ID               string
	Email            string
	FirstName        string
	MiddleName       string
	LastName         string
	DisplayedName    string
	Status           string
	LifecycleStatus  string
	Manager          *fastRef
	StartDate        string
	EndDate          string
	Phone            string
	Title            string
	Departments      []*fastRef
	Teams            []*fastRef
	WorkLocation     *fastRef
	CustomAttributes fastAttrs
}

// The fields of the fast types, by the names encoding/json matches keys to,
// in the order the decoders below index them.
var (
	employeeFields = jsonscan.FieldNames("id", "email", "firstname", "middlename", "lastname", "displayedName", "status",
		"lifecycleStatus", "startDate", "endDate", "phone", "title", // the strings: employeeStrings of them
		"manager", "workLocation", "departments", "teams", "customAttributes")
	refFields  = jsonscan.FieldNames("id", "name")
	scimFields = jsonscan.FieldNames("id", "active", "name", scimEnterpriseKey)
	nameFields = jsonscan.FieldNames("formatted")
	extFields  = jsonscan.FieldNames("birthday", "gender", "employmentType")
)

const employeeStrings = 12

// errDecline says a record is not for the fast path.
var errDecline = errors.New("declined")

// unmarshal hands set the members of the object raw (validated JSON) whose
// keys name fields, as encoding/json matches them (jsonscan.Fields.Members).
// A record that is null sets
// nothing (encoding/json leaves the value alone); anything else that is not
// an object declines.
func unmarshal(raw []byte, fields jsonscan.Fields, set func(field int, val []byte) error) error {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return nil
	}
	err := fields.Members(raw, set)
	if errors.Is(err, errShape) {
		return errDecline
	}
	return err
}

// setString reads val into *s as encoding/json reads into a string: a
// string is unquoted, null leaves *s alone, anything else declines.
func setString(s *string, val []byte) error {
	switch val[0] {
	case 'n':
		return nil
	case '"':
		v, err := jsonscan.Unquote(val)
		if err != nil {
			return errDecline
		}
		*s = v
		return nil
	}
	return errDecline
}

// setRef reads val into *r as encoding/json reads into a *fastRef: null
// sets it nil, an object is decoded into the fastRef already there (or a
// new one).
func setRef(r **fastRef, val []byte) error {
	switch val[0] {
	case 'n':
		*r = nil
		return nil
	case '{':
		if *r == nil {
			*r = &fastRef{}
		}
		ref := *r
		return unmarshal(val, refFields, func(f int, v []byte) error {
			if f == 0 {
				return setString(&ref.ID, v)
			}
			return setString(&ref.Name, v)
		})
	}
	return errDecline
}

// setRefs reads a list of refs the first time its key occurs: null is a
// nil list, [] an empty one, a null element a nil ref.
func setRefs(refs *[]*fastRef, val []byte) error {
	switch val[0] {
	case 'n':
		*refs = nil
		return nil
	case '[':
	default:
		return errDecline
	}
	elems, ok := jsonscan.SplitArray(val)
	if !ok {
		return errDecline
	}
	out := make([]*fastRef, len(elems))
	for i, e := range elems {
		if err := setRef(&out[i], e); err != nil {
			return err
		}
	}
	*refs = out
	return nil
}

// unmarshalEmployee reads raw into w; repeatedRef says whether manager or
// workLocation occurred more than once.
func unmarshalEmployee(raw []byte, w *fastEmployee) (repeatedRef bool, err error) {
	strs := [employeeStrings]*string{&w.ID, &w.Email, &w.FirstName, &w.MiddleName, &w.LastName, &w.DisplayedName,
		&w.Status, &w.LifecycleStatus, &w.StartDate, &w.EndDate, &w.Phone, &w.Title}
	var seen uint32
	err = unmarshal(raw, employeeFields, func(f int, val []byte) error {
		again := seen&(1<<f) != 0
		seen |= 1 << f
		switch {
		case f < employeeStrings:
			return setString(strs[f], val)
		case f == employeeStrings:
			repeatedRef = repeatedRef || again
			return setRef(&w.Manager, val)
		case f == employeeStrings+1:
			repeatedRef = repeatedRef || again
			return setRef(&w.WorkLocation, val)
		case again && f < employeeStrings+4:
			// encoding/json would decode into the elements already there.
			return errDecline
		case f == employeeStrings+2:
			return setRefs(&w.Departments, val)
		case f == employeeStrings+3:
			return setRefs(&w.Teams, val)
		}
		return w.CustomAttributes.UnmarshalJSON(val)
	})
	return repeatedRef, err
}

func decodeEmployeeFast(raw json.RawMessage) (p provision.Person, bad []string, ok bool, err error) {
	var w fastEmployee
	repeated, uerr := unmarshalEmployee(raw, &w)
	if uerr != nil {
		return p, nil, false, nil
	}
	if repeated && (w.Manager == nil || w.WorkLocation == nil) {
		// A repeat ending in null: the tolerant types keep the earlier value.
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
	Birthday       string
	Gender         string
	EmploymentType string
}

type fastName struct {
	Formatted string
}

type fastSCIMUser struct {
	ID     string
	Active bool
	Name   *fastName
	Ext    *fastEnterprise
}

func unmarshalSCIMUser(raw []byte, w *fastSCIMUser) (repeated bool, err error) {
	var seen [4]bool
	err = unmarshal(raw, scimFields, func(f int, val []byte) error {
		repeated = repeated || (seen[f] && f >= 2)
		seen[f] = true
		switch f {
		case 0:
			return setString(&w.ID, val)
		case 1:
			switch string(val) {
			case "true":
				w.Active = true
			case "false":
				w.Active = false
			case "null":
			default:
				return errDecline
			}
			return nil
		case 2:
			switch val[0] {
			case 'n':
				w.Name = nil
				return nil
			case '{':
				if w.Name == nil {
					w.Name = &fastName{}
				}
				return unmarshal(val, nameFields, func(_ int, v []byte) error { return setString(&w.Name.Formatted, v) })
			}
			return errDecline
		}
		switch val[0] {
		case 'n':
			w.Ext = nil
			return nil
		case '{':
			if w.Ext == nil {
				w.Ext = &fastEnterprise{}
			}
			e := w.Ext
			return unmarshal(val, extFields, func(f int, v []byte) error {
				return setString([]*string{&e.Birthday, &e.Gender, &e.EmploymentType}[f], v)
			})
		}
		return errDecline
	})
	return repeated, err
}

func decodeSCIMUserFast(raw json.RawMessage) (string, *provision.SCIMUser, bool, error) {
	var w fastSCIMUser
	repeated, err := unmarshalSCIMUser(raw, &w)
	if err != nil {
		return "", nil, false, nil
	}
	if (w.Name == nil || w.Ext == nil) && repeated {
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
// the object it is given (validated JSON) once. A
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
	return jsonscan.EachMember(b, func(key, raw []byte) error {
		k, err := jsonscan.Unquote(key)
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
			s, err := jsonscan.Unquote(raw)
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
