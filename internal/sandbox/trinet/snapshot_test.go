package trinet

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

func TestSnapshotRestoreKeepsCompaniesEmployeesAndWrites(t *testing.T) {
	f := newFixture(t)
	if _, err := f.sb.PutEmployee(coA, Employee{ID: "00000042", FirstName: "Ada", LastName: "Byron", WorkEmail: "ada@cj6.example"}); err != nil {
		t.Fatal(err)
	}
	// A names update through the API leaves a write on the record.
	if r := f.must(http.MethodPut, "/v1/identity/"+coA+"/00000042/names", bearer(f.token(idA, secretA)),
		map[string]any{"firstName": "Augusta", "lastName": "Byron"}); r.status >= 500 {
		t.Fatalf("names update: %d %s", r.status, r.raw)
	}
	before := f.sb.Snapshot()
	if len(before.Companies) != 2 || len(before.Companies[1].Writes) != 1 {
		t.Fatalf("snapshot: %d companies, writes of %s: %+v", len(before.Companies), coA, before.Companies[1].Writes)
	}
	f.sb.SetFaults(coA, Faults{ServerErrors: 3})

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
	if !reflect.DeepEqual(normalise(before), normalise(after)) {
		t.Fatalf("restored state differs:\nbefore %+v\nafter  %+v", before, after)
	}
	// New ids continue after the restored ones rather than reusing them.
	e, err := fresh.PutEmployee(coA, Employee{FirstName: "New", LastName: "Person"})
	if err != nil {
		t.Fatal(err)
	}
	if e.ID != "00000043" {
		t.Fatalf("next id %s, want 00000043", e.ID)
	}
	// Credentials work on the restored sandbox; faults were not carried over.
	ts := httptest.NewServer(fresh)
	defer ts.Close()
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/oauth/accesstoken?grant_type=client_credentials", nil)
	req.SetBasicAuth(idA, secretA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token on restored sandbox: %d", resp.StatusCode)
	}
	if err := fresh.Restore(decoded); err == nil {
		t.Fatal("restoring a company that exists succeeded")
	}
}

// normalise drops what JSON cannot round-trip exactly (monotonic clock
// readings, nil versus empty slices).
func normalise(s Snapshot) Snapshot {
	raw, _ := json.Marshal(s)
	var out Snapshot
	_ = json.Unmarshal(raw, &out)
	return out
}
