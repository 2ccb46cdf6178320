package trinet

import (
	"bytes"
	"encoding/json"
	"errors"

	"trinetsync/internal/jsonscan"
)

// A page of employees is most of what the TriNet client decodes, and
// json.Unmarshal spends its time there on reflection: every one of a
// record's twenty-odd values is a flexString, found by reflection, skipped
// over to find its end and handed to UnmarshalJSON. decodeEmployeePage reads
// a page that jsonscan.Valid has checked by a walk over its members that
// does what json.Unmarshal does with the wire types: keys matched exactly or
// else case-insensitively (bytes.EqualFold, after unescaping), each value
// handed to the same UnmarshalJSON in the same order, null leaving a struct
// as it is and setting a slice nil, an object decoded into the struct
// already there. Whatever it is not sure of — a list whose key repeats (the
// elements would be decoded into those already there), a value of another
// type than the wire type's, a value a flex type refuses — it leaves to
// json.Unmarshal, whose result and error are the reference
// (TestFastEmployeePageMatchesUnmarshal, FuzzFastEmployeePage).

// errDecline: the page is for json.Unmarshal.
var errDecline = errors.New("declined")

func decodeEmployeePage(b []byte, env *envelope[wireEmployeePage]) error {
	if jsonscan.Valid(b) {
		var fast envelope[wireEmployeePage]
		if fastEmployeePage(b, &fast) == nil {
			*env = fast
			return nil
		}
	}
	*env = envelope[wireEmployeePage]{}
	return json.Unmarshal(b, env)
}

var (
	envelopeKeys = jsonscan.FieldNames("data", "_requestId", "_statusCode", "_statusText", "_statusMessage")
	pageKeys     = jsonscan.FieldNames("hasMore", "employeeData")
	employeeKeys = jsonscan.FieldNames("employeeId", "names", "biographicalInfo", "employmentInfo")
	nameKeys     = jsonscan.FieldNames("nameType", "firstName", "middleName", "lastName")
	bioKeys      = jsonscan.FieldNames("gender", "birthDate", "ethnicity", "maritalStatus", "country")
	jobKeys      = jsonscan.FieldNames("employmentStatus", "startDate", "businessTitle", "employeeType", "flsaCode", "standardHours",
		"workEmail", "workPhone", "customGroupA", "customGroupB", "location", "department", "supervisor")
	locationKeys   = jsonscan.FieldNames("locationId", "locationName")
	departmentKeys = jsonscan.FieldNames("deptId", "deptName")
	supervisorKeys = jsonscan.FieldNames("supervisorId")
)

// object reads the JSON value val into a struct whose keys are keys: an
// object's members are handed to set by the index of the key they match
// (the others are skipped), null leaves the struct as it is, anything else
// is for json.Unmarshal.
func object(val []byte, keys jsonscan.Fields, set func(i int, val []byte) error) error {
	switch val[0] {
	case 'n':
		return nil
	case '{':
	default:
		return errDecline
	}
	if keys.Members(val, set) != nil {
		return errDecline
	}
	return nil
}

// flex reads val into one of the flex types, as json.Unmarshal does.
func flex(f json.Unmarshaler, val []byte) error {
	if f.UnmarshalJSON(val) != nil {
		return errDecline
	}
	return nil
}

// flexes reads into the i-th of fields.
func flexes(fields ...*flexString) func(i int, val []byte) error {
	return func(i int, val []byte) error { return flex(fields[i], val) }
}

// list reads a JSON array into a new slice, each element by elem into a
// zero value (null leaves it zero); null is a nil slice. A list's second
// occurrence is for json.Unmarshal.
func list[T any](val []byte, again bool, elem func(e *T, val []byte) error) ([]T, error) {
	switch {
	case again:
		return nil, errDecline
	case val[0] == 'n':
		return nil, nil
	case val[0] != '[':
		return nil, errDecline
	}
	items, ok := jsonscan.SplitArray(val)
	if !ok {
		return nil, errDecline
	}
	out := make([]T, len(items))
	for i, it := range items {
		if err := elem(&out[i], it); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func fastEmployeePage(b []byte, env *envelope[wireEmployeePage]) error {
	return object(bytes.TrimSpace(b), envelopeKeys, func(i int, val []byte) error {
		switch i {
		case 0:
			return fastPageData(val, &env.Data)
		case 1:
			return flex(&env.RequestID, val)
		case 2:
			return flex(&env.StatusCode, val)
		case 3:
			return flex(&env.StatusText, val)
		}
		return flex(&env.StatusMessage, val)
	})
}

func fastPageData(val []byte, p *wireEmployeePage) error {
	seen := false
	return object(val, pageKeys, func(i int, val []byte) error {
		if i == 0 {
			return flex(&p.HasMore, val)
		}
		var err error
		p.EmployeeData, err = list(val, seen, fastEmployee)
		seen = true
		return err
	})
}

func fastEmployee(e *wireEmployee, val []byte) error {
	seen := false
	return object(val, employeeKeys, func(i int, val []byte) error {
		switch i {
		case 0:
			return flex(&e.EmployeeID, val)
		case 1:
			var err error
			e.Names, err = list(val, seen, func(n *wireName, val []byte) error {
				return object(val, nameKeys, flexes(&n.NameType, &n.FirstName, &n.MiddleName, &n.LastName))
			})
			seen = true
			return err
		case 2:
			b := &e.BiographicalInfo
			return object(val, bioKeys, flexes(&b.Gender, &b.BirthDate, &b.Ethnicity, &b.MaritalStatus, &b.Country))
		}
		m := &e.EmploymentInfo
		strs := flexes(&m.EmploymentStatus, &m.StartDate, &m.BusinessTitle, &m.EmployeeType, &m.FLSACode, &m.StandardHours,
			&m.WorkEmail, &m.WorkPhone, &m.CustomGroupA, &m.CustomGroupB)
		return object(val, jobKeys, func(i int, val []byte) error {
			switch i {
			case 10:
				return object(val, locationKeys, flexes(&m.Location.LocationID, &m.Location.LocationName))
			case 11:
				return object(val, departmentKeys, flexes(&m.Department.DeptID, &m.Department.DeptName))
			case 12:
				return object(val, supervisorKeys, flexes(&m.Supervisor.SupervisorID))
			}
			return strs(i, val)
		})
	})
}
