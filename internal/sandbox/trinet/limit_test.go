package trinet

import (
	"net/http"
	"testing"
	"time"
)

// TestLimit: a company's limit is a token bucket: a burst's worth of calls
// pass, the next is answered 429 with the whole seconds until a token is
// there, and the bucket refills at the limit's rate. Token calls and other
// companies are not counted.
func TestLimit(t *testing.T) {
	lc := &clock{t: epoch}
	sb := New(Options{Now: lc.Now, LimitClock: lc.Now})
	for _, c := range []Company{{ID: coA, Name: "A", ClientID: idA, ClientSecret: secretA}, {ID: coB, Name: "B", ClientID: idB, ClientSecret: secretB}} {
		if err := sb.AddCompany(c); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{t: t, sb: sb, ts: newServer(t, sb), clock: lc}
	if err := sb.SetLimit(coA, Limit{RPS: 0.5, Burst: 2}); err != nil {
		t.Fatal(err)
	}
	tokA, tokB := f.token(idA, secretA), f.token(idB, secretB)
	get := func(tok, co string) *reply {
		return f.must(http.MethodGet, "/v1/company/"+co+"/departments", bearer(tok), nil)
	}
	for i, want := range []int{200, 200, 429} {
		if r := get(tokA, coA); r.status != want {
			t.Fatalf("call %d: status %d, want %d", i, r.status, want)
		} else if want == 429 && r.header.Get("Retry-After") != "2" {
			t.Fatalf("Retry-After %q, want 2 (a token every 2 s)", r.header.Get("Retry-After"))
		}
	}
	f.token(idA, secretA) // not limited
	for range 5 {
		if r := get(tokB, coB); r.status != 200 {
			t.Fatalf("another company was limited: %d", r.status)
		}
	}
	lc.Add(1500 * time.Millisecond)
	if r := get(tokA, coA); r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Fatalf("1.5 s on: status %d, Retry-After %q; want 429 and 1", r.status, r.header.Get("Retry-After"))
	}
	lc.Add(500 * time.Millisecond)
	if r := get(tokA, coA); r.status != 200 {
		t.Fatalf("2 s on: status %d, want a refilled token", r.status)
	}
	if l, st := sb.LimitOf(coA); l != (Limit{RPS: 0.5, Burst: 2}) || st != (LimitStats{Allowed: 3, Refused: 2}) {
		t.Fatalf("LimitOf = %+v, %+v", l, st)
	}
	// Lifted.
	if err := sb.SetLimit(coA, Limit{}); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if r := get(tokA, coA); r.status != 200 {
			t.Fatalf("after the limit was lifted: %d", r.status)
		}
	}
}

// TestLimitAdmin: the limit is read and switched per company over the admin
// surface, and a default for every company comes from the options.
func TestLimitAdmin(t *testing.T) {
	f := newFixture(t)
	adm := func(method, path string, body any) *reply {
		return f.must(method, "/_admin"+path, nil, body)
	}
	var l Limit
	adm(http.MethodPut, "/companies/"+coA+"/limit", map[string]any{"rps": 5}).data(t, &l)
	if l != (Limit{RPS: 5, Burst: 5}) {
		t.Fatalf("limit %+v, want 5/s with a burst of one second", l)
	}
	adm(http.MethodGet, "/companies/"+coA+"/limit", nil).data(t, &l)
	if got, _ := f.sb.LimitOf(coA); got != l {
		t.Fatalf("admin says %+v, server %+v", l, got)
	}
	for _, bad := range []map[string]any{{"rps": -1}, {"rps": 1, "burst": -2}, {"rate": 3}} {
		if r := adm(http.MethodPut, "/companies/"+coA+"/limit", bad); r.status != http.StatusBadRequest {
			t.Errorf("PUT %v: status %d, want 400", bad, r.status)
		}
	}
	if r := adm(http.MethodPut, "/companies/NOPE/limit", map[string]any{"rps": 1}); r.status != http.StatusNotFound {
		t.Errorf("unknown company: status %d, want 404", r.status)
	}

	sb := New(Options{Limit: Limit{RPS: 20}})
	if err := sb.AddCompany(Company{ID: "X", ClientID: "x", ClientSecret: "y"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := sb.LimitOf("X"); got != (Limit{RPS: 20, Burst: 20}) {
		t.Fatalf("default limit %+v", got)
	}
}
