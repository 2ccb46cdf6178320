package leapsome

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	type step struct {
		path string // "" = the employees list
		want int    // 0 = connection dropped
	}
	tests := []struct {
		name   string
		faults Faults
		steps  []step
		header string // Retry-After on the first 429
	}{
		{"throttle with Retry-After", Faults{Throttle: 2, RetryAfter: 7}, []step{{"", 429}, {"", 429}, {"", 200}}, "7"},
		{"throttle without Retry-After", Faults{Throttle: 1}, []step{{"", 429}, {"", 200}}, ""},
		{"server errors", Faults{ServerErrors: 2}, []step{{"", 500}, {"", 500}, {"", 200}}, ""},
		{"drop", Faults{Drop: 1}, []step{{"", 0}, {"", 200}}, ""},
		{"order: drop, throttle, server error", Faults{Drop: 1, Throttle: 1, ServerErrors: 1}, []step{{"", 0}, {"", 429}, {"", 500}, {"", 200}}, ""},
		{"endpoint filter", Faults{ServerErrors: 1, Endpoint: EndpointWorkLocations},
			[]step{{"", 200}, {"/v1/work-locations", 500}, {"/v1/work-locations", 200}}, ""},
		{"SCIM endpoint", Faults{Throttle: 1, RetryAfter: 2, Endpoint: EndpointSCIMUsers},
			[]step{{"", 200}, {"/scim/v1/Users", 429}, {"/scim/v1/Users", 200}}, "2"},
		{"token endpoint", Faults{ServerErrors: 1, Endpoint: EndpointToken},
			[]step{{"", 200}, {"/v1/token?secret=" + secretA, 500}, {"/v1/token?secret=" + secretA, 200}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			tok := f.token(t, secretA)
			f.s.SetFaults(tenantA, tt.faults)
			f.s.SetFaults(tenantB, Faults{ServerErrors: 100})
			sawHeader := false
			for i, st := range tt.steps {
				path, auth := st.path, tok
				switch {
				case path == "":
					path = "/v1/employees"
				case path == "/scim/v1/Users":
					auth = scimTokenA
				}
				if st.want == 0 {
					// A fresh connection: on a reused one Go's transport
					// silently retries an idempotent GET that got no answer.
					req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
					req.Header.Set("Authorization", "Bearer "+auth)
					client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
					resp, err := client.Do(req)
					if err == nil {
						resp.Body.Close()
						t.Fatalf("step %d: want a dropped connection, got %d", i, resp.StatusCode)
					}
					continue
				}
				r := f.do(t, "GET", path, auth, nil)
				if r.status != st.want {
					t.Fatalf("step %d %s: status %d, want %d: %s", i, path, r.status, st.want, r.body)
				}
				if r.status == 429 && !sawHeader {
					sawHeader = true
					if got := r.header.Get("Retry-After"); got != tt.header {
						t.Fatalf("Retry-After %q, want %q", got, tt.header)
					}
				}
			}
		})
	}
}

func TestLatencyFault(t *testing.T) {
	f := newFixture(t, Options{})
	tok := f.token(t, secretA)
	f.s.SetFaults(tenantA, Faults{Latency: 2 * time.Second, Endpoint: EndpointEmployees})
	call := func(path string, timeout time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", f.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := f.srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := call("/v1/employees", 50*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("employees under 2s latency with a 50ms deadline: %v, want deadline exceeded", err)
	}
	// Another endpoint is not delayed: a generous deadline (still far below
	// the latency) must be met.
	if err := call("/v1/work-locations", time.Second); err != nil {
		t.Fatalf("work-locations: %v", err)
	}
}

func TestRateLimits(t *testing.T) {
	tests := []struct {
		name    string
		enforce bool
		path    string
		auth    func(t testing.TB, f *fixture) string
		limit   int
	}{
		{"Content API", true, "/v1/employees", func(t testing.TB, f *fixture) string { return f.token(t, secretA) }, 20},
		{"SCIM", true, "/scim/v1/Users?count=1", func(testing.TB, *fixture) string { return scimTokenA }, 30},
		{"off by default", false, "/v1/employees", func(t testing.TB, f *fixture) string { return f.token(t, secretA) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{EnforceRateLimits: tt.enforce})
			auth := tt.auth(t, f)
			f.clock.Advance(time.Second) // the token call refills
			n := tt.limit
			if n == 0 {
				n = 200
			}
			for i := range n {
				if r := f.do(t, "GET", tt.path, auth, nil); r.status != 200 {
					t.Fatalf("call %d: %d", i+1, r.status)
				}
			}
			if !tt.enforce {
				return
			}
			r := f.do(t, "GET", tt.path, auth, nil)
			if r.status != 429 || r.header.Get("Retry-After") != "1" {
				t.Fatalf("call %d: %d (Retry-After %q), want 429 with Retry-After 1", n+1, r.status, r.header.Get("Retry-After"))
			}
			// Another tenant has its own bucket.
			other := "/scim/v1/Users?count=1"
			otherAuth := scimTokenB
			if tt.path != other {
				other, otherAuth = "/v1/token?secret="+secretB, ""
			}
			if r := f.do(t, "GET", other, otherAuth, nil); r.status != 200 {
				t.Fatalf("other tenant throttled: %d", r.status)
			}
			f.clock.Advance(time.Second)
			if r := f.do(t, "GET", tt.path, auth, nil); r.status != 200 {
				t.Fatalf("after a second: %d", r.status)
			}
		})
	}
}

func TestCalls(t *testing.T) {
	f := newFixture(t, Options{})
	tok := f.token(t, secretA)
	f.do(t, "GET", "/v1/employees", tok, nil)
	f.do(t, "GET", "/v1/employees?page=0", tok, nil) // rejected, still counted
	f.do(t, "GET", "/v1/work-locations", tok, nil)
	f.do(t, "GET", "/scim/v1/Users", scimTokenA, nil)
	f.do(t, "GET", "/scim/v1/Users/ffffffffffffffffffffffff", scimTokenA, nil)
	f.do(t, "GET", "/v1/token?secret=wrong", "", nil) // names no tenant
	f.s.ExpireTokens()
	f.do(t, "GET", "/v1/employees", tok, nil) // expired, still the tenant's
	want := map[string]int{"token": 1, "employees": 3, "work-locations": 1, "scim-users": 2}
	if got := f.s.Calls(tenantA); !maps.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	if got := f.s.Calls(tenantB); len(got) != 0 {
		t.Fatalf("tenant B calls %v", got)
	}
	f.s.ResetCalls(tenantA)
	if got := f.s.Calls(tenantA); len(got) != 0 {
		t.Fatalf("after reset %v", got)
	}
	if got := f.s.Calls("nobody"); got == nil || len(got) != 0 {
		t.Fatalf("unknown tenant %v", got)
	}
}

func BenchmarkListEmployees(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			f := newFixture(b, Options{})
			for i := range n {
				f.put(b, tenantA, Employee{Email: fmt.Sprintf("p%05d@acme.test", i), FirstName: "P", LastName: fmt.Sprint(i),
					Departments: []Ref{{Name: "Engineering"}}, Title: "Engineer", StartDate: "2024-01-08"})
			}
			tok := f.token(b, secretA)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				for page := 1; page <= n/1000; page++ {
					if _, err := f.send("GET", fmt.Sprintf("/v1/employees?page=%d&pageSize=1000", page), tok, nil); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
