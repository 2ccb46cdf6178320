package leapsome

import (
	"encoding/json"
	"testing"
	"time"
)

func TestAdminSurface(t *testing.T) {
	f := newFixture(t, Options{})
	const id = "dddddddddddddddddddddddd"
	var tok string
	steps := []struct {
		name   string
		method string
		path   string
		body   any
		want   int
		check  func(t *testing.T, r response)
	}{
		{"add tenant", "POST", "/_admin/tenants", Tenant{ID: "initech", APISecret: "s-initech", SCIMToken: "t-initech"}, 201, nil},
		{"duplicate tenant", "POST", "/_admin/tenants", Tenant{ID: "initech", APISecret: "other"}, 409, nil},
		{"tenant without secret", "POST", "/_admin/tenants", map[string]string{"id": "x"}, 400, fieldIs("apiSecret")},
		{"unknown field", "POST", "/_admin/tenants", map[string]string{"id": "y", "apiSecret": "z", "colour": "red"}, 400, nil},
		{"new tenant's secret works", "GET", "/v1/token?secret=s-initech", nil, 200, nil},
		{"work location", "PUT", "/_admin/tenants/initech/work-locations/eeeeeeeeeeeeeeeeeeeeeeee",
			WorkLocation{Name: "Toronto", Country: "Canada"}, 200, nil},
		{"bad work location id", "PUT", "/_admin/tenants/initech/work-locations/42", WorkLocation{Name: "X"}, 400, fieldIs("id")},
		{"list work locations", "GET", "/_admin/tenants/initech/work-locations", nil, 200, func(t *testing.T, r response) {
			var ls []WorkLocation
			r.decode(t, &ls)
			if len(ls) != 1 || ls[0].Status != "active" || ls[0].Country != "Canada" {
				t.Fatalf("got %+v", ls)
			}
		}},
		{"create person by PUT", "PUT", "/_admin/tenants/initech/employees/" + id,
			Employee{Email: "milton@initech.test", FirstName: "Milton", LastName: "Waddams", Title: "Collator",
				WorkLocation: &Ref{Name: "Toronto"}, Gender: "male"}, 201, nil},
		{"merge: only the title changes", "PUT", "/_admin/tenants/initech/employees/" + id,
			map[string]string{"title": "Stapler keeper"}, 200, func(t *testing.T, r response) {
				var e Employee
				r.decode(t, &e)
				if e.Title != "Stapler keeper" || e.FirstName != "Milton" || e.Gender != "male" ||
					e.WorkLocation == nil || e.WorkLocation.ID != "eeeeeeeeeeeeeeeeeeeeeeee" {
					t.Fatalf("got %+v", e)
				}
			}},
		{"bad field", "PUT", "/_admin/tenants/initech/employees/" + id, map[string]string{"gender": "x"}, 400, fieldIs("gender")},
		{"bad id", "PUT", "/_admin/tenants/initech/employees/not-hex", Employee{FirstName: "A"}, 400, fieldIs("id")},
		{"create by POST", "POST", "/_admin/tenants/initech/employees", Employee{FirstName: "Peter", LastName: "Gibbons"}, 201,
			func(t *testing.T, r response) {
				var e Employee
				r.decode(t, &e)
				if !objectID.MatchString(e.ID) || e.Status != "active" {
					t.Fatalf("got %+v", e)
				}
			}},
		{"POST with an id", "POST", "/_admin/tenants/initech/employees", Employee{ID: id}, 400, fieldIs("id")},
		{"get one", "GET", "/_admin/tenants/initech/employees/" + id, nil, 200, nil},
		{"list", "GET", "/_admin/tenants/initech/employees", nil, 200, func(t *testing.T, r response) {
			var es []Employee
			r.decode(t, &es)
			if len(es) != 2 {
				t.Fatalf("got %d people", len(es))
			}
		}},
		{"delete", "DELETE", "/_admin/tenants/initech/employees/" + id, nil, 204, nil},
		{"deleted is gone", "GET", "/_admin/tenants/initech/employees/" + id, nil, 404, nil},
		{"delete again", "DELETE", "/_admin/tenants/initech/employees/" + id, nil, 404, nil},
		{"unknown tenant", "GET", "/_admin/tenants/nobody/employees", nil, 404, nil},
		{"unknown admin path", "GET", "/_admin/nothing", nil, 404, nil},
		{"faults", "PUT", "/_admin/tenants/initech/faults", map[string]any{"throttle": 1, "retryAfter": 3, "endpoint": "token"}, 204, nil},
		{"faults apply", "GET", "/v1/token?secret=s-initech", nil, 429, func(t *testing.T, r response) {
			if r.header.Get("Retry-After") != "3" {
				t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
			}
		}},
		{"faults consumed", "GET", "/v1/token?secret=s-initech", nil, 200, func(t *testing.T, r response) {
			var body struct{ Token string }
			r.decode(t, &body)
			tok = body.Token
		}},
		{"bad latency", "PUT", "/_admin/tenants/initech/faults", map[string]any{"latency": "soon"}, 400, fieldIs("latency")},
		{"bad endpoint", "PUT", "/_admin/tenants/initech/faults", map[string]any{"endpoint": "hire"}, 400, fieldIs("endpoint")},
		{"latency parsed", "PUT", "/_admin/tenants/initech/faults", map[string]any{"latency": "1ms"}, 204, func(t *testing.T, _ response) {
			f.s.mu.Lock()
			defer f.s.mu.Unlock()
			if got := f.s.tenants["initech"].faults.Latency; got != time.Millisecond {
				t.Fatalf("latency %v", got)
			}
		}},
		{"calls", "GET", "/_admin/tenants/initech/calls", nil, 200, func(t *testing.T, r response) {
			var calls map[string]int
			r.decode(t, &calls)
			if calls["token"] != 3 {
				t.Fatalf("calls %v", calls)
			}
		}},
		{"reset calls", "DELETE", "/_admin/tenants/initech/calls", nil, 204, nil},
		{"expire tokens", "POST", "/_admin/expire-tokens", nil, 204, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			r := f.do(t, st.method, st.path, "", st.body)
			if r.status != st.want {
				t.Fatalf("status %d, want %d: %s", r.status, st.want, r.body)
			}
			if st.check != nil {
				st.check(t, r)
			}
		})
	}
	if r := f.do(t, "GET", "/v1/employees", tok, nil); r.status != 401 {
		t.Fatalf("token after expire-tokens: %d", r.status)
	}
	if got := f.s.Calls("initech"); got["employees"] != 1 || got["token"] != 0 {
		t.Fatalf("calls after reset %v", got)
	}
}

func fieldIs(field string) func(t *testing.T, r response) {
	return func(t *testing.T, r response) {
		var body map[string]string
		if err := json.Unmarshal(r.body, &body); err != nil || body["field"] != field {
			t.Fatalf("error body %s does not name field %q", r.body, field)
		}
	}
}
