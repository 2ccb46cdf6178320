package leapsome

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

func TestSnapshotRestoreKeepsTenantsLocationsAndPeople(t *testing.T) {
	f := newFixture(t, Options{})
	loc := WorkLocation{ID: "64a0c0de0000000000000001", Name: "Berlin", Country: "Germany"}
	if err := f.s.PutWorkLocation(tenantA, loc); err != nil {
		t.Fatal(err)
	}
	ada := f.put(t, tenantA, Employee{Email: "ada@acme.example", FirstName: "Ada", LastName: "Byron",
		WorkLocation: &Ref{Name: "Berlin"}, Departments: []Ref{{Name: "Engineering"}},
		CustomAttributes: map[string]any{"FLSA": "Exempt"}, Gender: "female", Birthday: "1815-12-10"})
	f.clock.Advance(90)
	ada.Title = "Analyst"
	ada = f.put(t, tenantA, ada) // version 2, modified later than created
	f.s.SetFaults(tenantA, Faults{ServerErrors: 5})

	before := f.s.Snapshot()
	raw, err := json.Marshal(before)
	if err != nil {
		t.Fatal(err)
	}
	var decoded Snapshot
	if err := json.Unmarshal(raw, &decoded); err != nil {
		t.Fatal(err)
	}
	fresh := New(Options{Now: f.clock.Now})
	if err := fresh.Restore(decoded); err != nil {
		t.Fatal(err)
	}
	after := fresh.Snapshot()
	if !reflect.DeepEqual(roundTrip(t, before), roundTrip(t, after)) {
		t.Fatalf("restored state differs:\nbefore %+v\nafter  %+v", before, after)
	}
	if got := after.Tenants[0].People[0]; got.Version != 2 || !got.Modified.After(got.Created) {
		t.Fatalf("bookkeeping lost: %+v", got)
	}

	// The restored sandbox serves the person with the stored credentials, and
	// the faults of the old one were not carried over.
	srv := httptest.NewServer(fresh)
	defer srv.Close()
	g := &fixture{s: fresh, srv: srv, clock: f.clock}
	r := g.do(t, http.MethodGet, "/scim/v1/Users/"+ada.ID, scimTokenA, nil)
	if r.status != http.StatusOK {
		t.Fatalf("SCIM user on restored sandbox: %d %s", r.status, r.body)
	}
	if r = g.do(t, http.MethodGet, "/v1/employees?page=1&pageSize=10", g.token(t, secretA), nil); r.status != http.StatusOK {
		t.Fatalf("employees on restored sandbox: %d %s", r.status, r.body)
	}
	// New ids do not collide with restored ones.
	bob := g.put(t, tenantA, Employee{Email: "bob@acme.example", FirstName: "Bob", LastName: "Ross"})
	if bob.ID == ada.ID {
		t.Fatalf("new person reused id %s", ada.ID)
	}
	if err := fresh.Restore(decoded); err == nil {
		t.Fatal("restoring a tenant that exists succeeded")
	}
}

// roundTrip drops what JSON cannot keep exactly (monotonic clock readings,
// nil versus empty).
func roundTrip(t *testing.T, s Snapshot) Snapshot {
	t.Helper()
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var out Snapshot
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
