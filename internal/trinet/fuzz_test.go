package trinet

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// pageErrorPattern is every message an unreadable employee page may give:
// positions, known field paths and JSON kinds, never bytes of the body.
var pageErrorPattern = regexp.MustCompile(`^trinet employees: unreadable answer: ` +
	`(invalid JSON at byte \d+|truncated JSON|malformed JSON|` +
	`field [A-Za-z.]+ has the wrong type \((string|number|bool|array|object)\)|` +
	`wrong JSON type \((string|number|bool|array|object)\) at byte \d+)$`)

// FuzzEmployeePage decodes an employee list page as Employees does (envelope,
// then lister.add): never a panic; an unreadable page is an error that quotes
// nothing of the body; a readable one gives exactly its records that have an
// employeeId, each once, with the values TriNet sent.
func FuzzEmployeePage(f *testing.F) {
	for _, seed := range []string{
		`{"data":{"hasMore":true,"employeeData":[{"employeeId":"00012","names":[{"nameType":"primary","firstName":"Ada","lastName":"Lovelace"}],` +
			`"biographicalInfo":{"gender":"F","birthDate":"1990-12-10","country":"US"},` +
			`"employmentInfo":{"employmentStatus":"A","startDate":"2024-01-02","standardHours":40,"workEmail":"ada@example.com",` +
			`"location":{"locationId":" L1 ","locationName":"HQ"},"department":{"deptId":"D1"},"supervisor":{"supervisorId":7}}}]},` +
			`"_requestId":"r1","_statusCode":200}`,
		`{"data":{"hasMore":"false","employeeData":[{"employeeId":""},{"employeeId":null},{"employeeId":"  "},{"names":[]},{"employeeId":42}]}}`,
		`{"data":{"hasMore":null,"employeeData":[{"employeeId":"1"},{"employeeId":"1"},{"employeeId":" 1 "}]}}`,
		`{"data":{"employeeData":[{"employeeId":true,"names":[{"firstName":"Only"}]},{"employeeId":"2","names":[{"nameType":"PRIMARY","firstName":"A"},{"nameType":"primary","firstName":"B"}]}]}}`,
		`{"data":{"employeeData":[{"employeeId":"3","names":[{"firstName":"x"},{"firstName":"y"}]}]}}`,
		`{"data":{"employeeData":[{"employeeId":"\u0000\ud800","names":[{"nameType":"primary","firstName":"\"Zq9PII\""}]}]}}`,
		"{\"data\":{\"employeeData\":[{\"employeeId\":\"\xff\xfeZq9\",\"names\":[{\"firstName\":\"\xc3\"}]}]}}",
		`{"data":{"employeeData":[{"employeeId":{"x":"Zq9PII"}}]}}`,
		`{"data":{"employeeData":[{"employeeId":["Zq9PII"]}]}}`,
		`{"data":{"employeeData":[{"employeeId":"4","names":"Zq9PII"}]}}`,
		`{"data":{"employeeData":[{"employeeId":"5","biographicalInfo":["Zq9PII"]}]}}`,
		`{"data":{"employeeData":{"employeeId":"6"}}}`,
		`{"data":{"hasMore":"Zq9PII","employeeData":[]}}`,
		`{"data":{"hasMore":1,"employeeData":[]}}`,
		`{"data":{"employeeData":[{"employeeId":12345678901234567890123,"biographicalInfo":{"birthDate":19901210}}]}}`,
		`{"data":{"employeeData":[{"EmployeeID":"7","employeeid":"8"}]}}`,
		`{"data":{"employeeData":[{"employeeId":"9"}]}} trailing Zq9PII`,
		`{"data":{"employeeData":[{"employeeId":"Zq9PII"`,
		`{"data":null}`, `{"data":[]}`, `{"data":"Zq9PII"}`, `null`, `[]`, `{}`, ``, `Zq9PII`, `{"data":{"employeeData":[null,{}]}}`,
		`<html>Zq9PII</html>`,
		strings.Repeat(`{"data":`, 5000),
	} {
		f.Add(seed)
	}
	c := &Client{log: quietLogger(), rawCo: "CJ6"}
	f.Fuzz(func(t *testing.T, body string) {
		var env envelope[wireEmployeePage]
		if err := json.Unmarshal([]byte(body), &env); err != nil {
			msg := decodeFailure(epEmployees, err).Error()
			if !pageErrorPattern.MatchString(msg) {
				t.Fatalf("body %q: error %q may quote the body", body, msg)
			}
			return
		}
		l := lister{c: c, seen: map[string]struct{}{}}
		next, more := l.add(page{offset: 1, data: env.Data})
		recs := env.Data.EmployeeData
		if next != 1+len(recs) {
			t.Fatalf("body %q: next offset %d after %d records", body, next, len(recs))
		}
		if more && len(recs) == 0 {
			t.Fatalf("body %q: an empty page says there is more", body)
		}

		var want []string
		seen := map[string]bool{}
		for i := range recs {
			id := strings.TrimSpace(string(recs[i].EmployeeID))
			if id != "" && !seen[id] {
				seen[id] = true
				want = append(want, id)
			}
		}
		if len(l.out) != len(want) {
			t.Fatalf("body %q: %d employees out, want %d (%v)", body, len(l.out), len(want), want)
		}
		scalars := scalarsOf(t, body)
		for i, e := range l.out {
			if e.ID != want[i] {
				t.Fatalf("body %q: employee %d has id %q, want %q", body, i, e.ID, want[i])
			}
			if !scalars[replaceInvalid(e.ID)] {
				t.Fatalf("body %q: id %q is not a value of the body", body, e.ID)
			}
		}
		// Every value of the first record with an id reaches the employee.
		for i := range recs {
			w := &recs[i]
			if strings.TrimSpace(string(w.EmployeeID)) != want0(want) {
				continue
			}
			e := l.out[0]
			b, m := &w.BiographicalInfo, &w.EmploymentInfo
			pairs := [][2]string{
				{e.Gender, string(b.Gender)}, {e.BirthDate, string(b.BirthDate)}, {e.Country, string(b.Country)},
				{e.Status, string(m.EmploymentStatus)}, {e.StartDate, string(m.StartDate)}, {e.Title, string(m.BusinessTitle)},
				{e.WorkEmail, string(m.WorkEmail)}, {e.WorkPhone, string(m.WorkPhone)},
				{e.StandardHours, strings.TrimSpace(string(m.StandardHours))},
				{e.DeptID, strings.TrimSpace(string(m.Department.DeptID))},
				{e.SupervisorID, strings.TrimSpace(string(m.Supervisor.SupervisorID))},
			}
			for _, p := range pairs {
				if p[0] != p[1] {
					t.Fatalf("body %q: employee value %q, TriNet sent %q", body, p[0], p[1])
				}
			}
			break
		}
	})
}

func want0(ids []string) string {
	if len(ids) == 0 {
		return "\x00none"
	}
	return ids[0]
}

// scalarsOf collects every scalar of body, trimmed, as flexString would keep it.
func scalarsOf(t *testing.T, body string) map[string]bool {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("body %q decodes into the wire types but not generically: %v", body, err)
	}
	out := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case string:
			out[strings.TrimSpace(x)] = true
		case json.Number:
			out[x.String()] = true
		case bool:
			out[map[bool]string{true: "true", false: "false"}[x]] = true
		}
	}
	walk(v)
	return out
}

// replaceInvalid spells s as encoding/json does: each invalid byte becomes U+FFFD.
func replaceInvalid(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}
