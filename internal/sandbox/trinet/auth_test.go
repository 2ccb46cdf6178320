package trinet

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestTokenIssue(t *testing.T) {
	f := newFixture(t)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			r := f.must(method, "/oauth/accesstoken?grant_type=client_credentials", basic(idA, secretA), nil)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
			var body map[string]any
			if err := json.Unmarshal(r.raw, &body); err != nil {
				t.Fatal(err)
			}
			for k, v := range body {
				if _, isString := v.(string); !isString {
					t.Errorf("%s = %v (%T), want a string", k, v, v)
				}
			}
			want := map[string]string{
				"token_type": "BearerToken",
				"expires_in": "3599",
				"issued_at":  strconv.FormatInt(epoch.UnixMilli(), 10),
				"client_id":  idA,
			}
			for k, v := range want {
				if body[k] != v {
					t.Errorf("%s = %v, want %q", k, body[k], v)
				}
			}
			if tok, _ := body["access_token"].(string); len(tok) < 20 {
				t.Errorf("access_token %q too short", tok)
			}
			if _, has := body["scope"]; !has {
				t.Error("scope missing")
			}
		})
	}
}

func TestTokenRejected(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name   string
		path   string
		auth   func(*http.Request)
		status int
	}{
		{"wrong secret", "/oauth/accesstoken?grant_type=client_credentials", basic(idA, "nope"), http.StatusUnauthorized},
		{"other company's secret", "/oauth/accesstoken?grant_type=client_credentials", basic(idA, secretB), http.StatusUnauthorized},
		{"unknown client", "/oauth/accesstoken?grant_type=client_credentials", basic("who", secretA), http.StatusUnauthorized},
		{"no credentials", "/oauth/accesstoken?grant_type=client_credentials", nil, http.StatusUnauthorized},
		{"bearer instead of basic", "/oauth/accesstoken?grant_type=client_credentials", bearer("x"), http.StatusUnauthorized},
		{"no grant type", "/oauth/accesstoken", basic(idA, secretA), http.StatusBadRequest},
		{"other grant type", "/oauth/accesstoken?grant_type=password", basic(idA, secretA), http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := f.must(http.MethodGet, tc.path, tc.auth, nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			if r.env.StatusCode != strconv.Itoa(tc.status) || r.env.RequestID == "" {
				t.Errorf("not an error envelope: %s", r.raw)
			}
			if strings.Contains(string(r.raw), secretA) || strings.Contains(string(r.raw), secretB) {
				t.Errorf("answer leaks a secret: %s", r.raw)
			}
		})
	}
	// Token calls count against the company whose client id they carry,
	// good or bad secret; a call naming no known client counts nowhere.
	if got := f.sb.Calls(coA)["token"]; got != 4 {
		t.Errorf("token calls for %s = %d, want 4", coA, got)
	}
	if got := f.sb.Calls(coB)["token"]; got != 0 {
		t.Errorf("token calls for %s = %d, want 0", coB, got)
	}
}

func TestBearerToken(t *testing.T) {
	f := newFixture(t)
	tokA := f.token(idA, secretA)
	tokB := f.token(idB, secretB)
	org := "/v1/manage-company/" + coA + "/org-details"
	cases := []struct {
		name   string
		path   string
		auth   func(*http.Request)
		status int
	}{
		{"valid", org, bearer(tokA), http.StatusOK},
		{"scheme is case-insensitive", org, func(r *http.Request) { r.Header.Set("Authorization", "bearer "+tokA) }, http.StatusOK},
		{"missing", org, nil, http.StatusUnauthorized},
		{"basic instead of bearer", org, basic(idA, secretA), http.StatusUnauthorized},
		{"unknown token", org, bearer("not-a-token"), http.StatusUnauthorized},
		{"other company's token", org, bearer(tokB), http.StatusForbidden},
		{"unknown company", "/v1/manage-company/ZZZ/org-details", bearer(tokA), http.StatusForbidden},
		{"unknown company, no token", "/v1/manage-company/ZZZ/org-details", nil, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := f.must(http.MethodGet, tc.path, tc.auth, nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
		})
	}
	r := f.must(http.MethodGet, org, bearer(tokA), nil)
	var d map[string]string
	r.data(t, &d)
	if d["companyId"] != coA || d["companyName"] != "Cj Six Inc" {
		t.Errorf("org-details = %v", d)
	}
}

func TestTokenExpiry(t *testing.T) {
	f := newFixture(t)
	org := "/v1/manage-company/" + coA + "/org-details"
	tok := f.token(idA, secretA)
	f.clock.Add(3600*time.Second - time.Nanosecond)
	if r := f.must(http.MethodGet, org, bearer(tok), nil); r.status != http.StatusOK {
		t.Fatalf("just before the TTL: status %d", r.status)
	}
	f.clock.Add(time.Nanosecond)
	if r := f.must(http.MethodGet, org, bearer(tok), nil); r.status != http.StatusUnauthorized {
		t.Fatalf("at the TTL: status %d, want 401", r.status)
	}

	fresh := f.token(idA, secretA)
	other := f.token(idB, secretB)
	f.sb.ExpireTokens()
	for _, tk := range []string{fresh, other} {
		if r := f.must(http.MethodGet, org, bearer(tk), nil); r.status != http.StatusUnauthorized {
			t.Fatalf("after ExpireTokens: status %d, want 401", r.status)
		}
	}
	if r := f.must(http.MethodGet, org, bearer(f.token(idA, secretA)), nil); r.status != http.StatusOK {
		t.Fatalf("a token issued after ExpireTokens: status %d", r.status)
	}
}

func TestTokenTTLOption(t *testing.T) {
	clk := &clock{t: epoch}
	sb := New(Options{Now: clk.Now, TokenTTL: 90 * time.Second})
	if err := sb.AddCompany(Company{ID: coA, ClientID: idA, ClientSecret: secretA}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, sb: sb, clock: clk}
	f.ts = newServer(t, sb)
	r := f.must(http.MethodGet, "/oauth/accesstoken?grant_type=client_credentials", basic(idA, secretA), nil)
	var body map[string]string
	if err := json.Unmarshal(r.raw, &body); err != nil {
		t.Fatal(err)
	}
	if body["expires_in"] != "89" {
		t.Errorf("expires_in = %q, want 89", body["expires_in"])
	}
	clk.Add(90 * time.Second)
	if r := f.must(http.MethodGet, "/v1/company/"+coA+"/departments", bearer(body["access_token"]), nil); r.status != http.StatusUnauthorized {
		t.Errorf("after TTL: status %d, want 401", r.status)
	}
}

func TestAddCompanyRejects(t *testing.T) {
	sb := New(Options{})
	if err := sb.AddCompany(Company{ID: "A", ClientID: "a", ClientSecret: "s"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		c    Company
	}{
		{"no id", Company{ClientID: "x", ClientSecret: "s"}},
		{"no client id", Company{ID: "B", ClientSecret: "s"}},
		{"no secret", Company{ID: "B", ClientID: "b"}},
		{"duplicate id", Company{ID: "A", ClientID: "b", ClientSecret: "s"}},
		{"duplicate client id", Company{ID: "B", ClientID: "a", ClientSecret: "s"}},
		{"duplicate department", Company{ID: "B", ClientID: "b", ClientSecret: "s", Departments: []Department{{ID: "D"}, {ID: "D"}}}},
		{"location without id", Company{ID: "B", ClientID: "b", ClientSecret: "s", Locations: []Location{{Name: "X"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := sb.AddCompany(tc.c); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestEnvelopeAndRouting(t *testing.T) {
	f := newFixture(t)
	tok := f.token(idA, secretA)
	cases := []struct {
		name, method, path string
		status             int
		allow              string
	}{
		{"success", http.MethodGet, "/v1/company/" + coA + "/departments", http.StatusOK, ""},
		{"unknown route", http.MethodGet, "/v1/nothing/here", http.StatusNotFound, ""},
		{"root", http.MethodGet, "/", http.StatusNotFound, ""},
		{"wrong method on a list", http.MethodPost, "/v1/company/" + coA + "/employees", http.StatusMethodNotAllowed, "GET"},
		{"wrong method on hire", http.MethodGet, "/v1/hire/" + coA + "/employees", http.StatusMethodNotAllowed, "POST"},
		{"wrong method on names", http.MethodPost, "/v1/identity/" + coA + "/00000001/names", http.StatusMethodNotAllowed, "PUT"},
		{"wrong method on token", http.MethodDelete, "/oauth/accesstoken?grant_type=client_credentials", http.StatusMethodNotAllowed, "GET, POST"},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := f.must(tc.method, tc.path, bearer(tok), nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d", r.status, tc.status)
			}
			if r.env.StatusCode != strconv.Itoa(tc.status) || r.env.StatusText != http.StatusText(tc.status) ||
				r.env.RequestID == "" || r.env.StatusMessage == "" {
				t.Errorf("envelope %s", r.raw)
			}
			if seen[r.env.RequestID] {
				t.Errorf("request id %s repeated", r.env.RequestID)
			}
			seen[r.env.RequestID] = true
			if got := r.header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow = %q, want %q", got, tc.allow)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestLookups(t *testing.T) {
	f := newFixture(t)
	tok := f.token(idA, secretA)
	var depts []map[string]string
	f.must(http.MethodGet, "/v1/company/"+coA+"/departments", bearer(tok), nil).data(t, &depts)
	wantDepts := []map[string]string{{"deptId": "D100", "deptName": "Engineering"}, {"deptId": "D200", "deptName": "Sales"}}
	if !equalJSON(t, depts, wantDepts) {
		t.Errorf("departments = %v", depts)
	}
	var locs []map[string]string
	f.must(http.MethodGet, "/v1/company/"+coA+"/locations", bearer(tok), nil).data(t, &locs)
	wantLocs := []map[string]string{
		{"locationId": "SF1", "locationName": "San Francisco", "country": "US"},
		{"locationId": "TO1", "locationName": "Toronto", "country": "CA"},
	}
	if !equalJSON(t, locs, wantLocs) {
		t.Errorf("locations = %v", locs)
	}
	// A company without any still answers an empty list, not null.
	r := f.must(http.MethodGet, "/v1/company/"+coB+"/departments", bearer(f.token(idB, secretB)), nil)
	if string(r.env.Data) != "[]" {
		t.Errorf("empty departments = %s, want []", r.env.Data)
	}
}

func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var va, vb any
	_ = json.Unmarshal(ja, &va)
	_ = json.Unmarshal(jb, &vb)
	na, _ := json.Marshal(va)
	nb, _ := json.Marshal(vb)
	return string(na) == string(nb)
}
