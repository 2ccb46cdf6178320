package trinet

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkListAll pages through a 10,000-employee company, 100 at a time,
// through the handler: one iteration is one full listing (100 pages).
func BenchmarkListAll(b *testing.B) {
	sb := New(Options{})
	if err := sb.AddCompany(Company{
		ID: coA, ClientID: idA, ClientSecret: secretA,
		Departments: []Department{{ID: "D100", Name: "Engineering"}},
		Locations:   []Location{{ID: "SF1", Name: "San Francisco", Country: "US"}},
	}); err != nil {
		b.Fatal(err)
	}
	const n = 10000
	for i := 0; i < n; i++ {
		if _, err := sb.PutEmployee(coA, Employee{
			FirstName: "First", LastName: fmt.Sprint("Last", i), StartDate: "2020-01-01",
			WorkEmail: fmt.Sprintf("p%d@example.com", i), DeptID: "D100", LocationID: "SF1", SupervisorID: "00000001",
		}); err != nil {
			b.Fatal(err)
		}
	}
	tr := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/oauth/accesstoken?grant_type=client_credentials", nil)
	req.SetBasicAuth(idA, secretA)
	sb.ServeHTTP(tr, req)
	tok := tokenFrom(b, tr.Body)

	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for offset := 1; offset <= n; offset += 100 {
			req := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/v1/company/%s/employees?viewType=All&offset=%d&limit=100", coA, offset), nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			sb.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
	}
}

func tokenFrom(b *testing.B, r io.Reader) string {
	b.Helper()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := jsonDecode(r, &body); err != nil || body.AccessToken == "" {
		b.Fatalf("token: %v", err)
	}
	return body.AccessToken
}
