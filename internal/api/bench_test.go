package api_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"trinetsync/internal/api"
	"trinetsync/internal/provision"
)

// BenchmarkPlanPage measures the edge's own cost for the largest page (1,000
// plan items): routing, token check, rendering and JSON encoding.
func BenchmarkPlanPage(b *testing.B) {
	mb := newMemBackend()
	items := make([]provision.PlanItem, 1000)
	for i := range items {
		items[i] = provision.PlanItem{UserID: fmt.Sprintf("u%05d", i), Email: fmt.Sprintf("p%05d@example.com", i),
			Action: provision.ActionUpdate, Fields: []provision.FieldChange{
				{Field: "jobTitle", From: "Engineer", To: "Senior Engineer"},
				{Field: "phoneNumber", From: "+14155550100", To: "+14155550101"},
				{Field: "birthDate", Sensitive: true},
			}}
	}
	mb.tenants["demo"].plans["sched-20251130t075000z-demo"] = items
	h := api.New(mb, api.HS256Authenticator{Secret: []byte(testSecret)},
		api.Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	tok, err := api.MintToken(testSecret, "bench", "demo", "", 3600e9)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/v1/tenants/demo/syncs/sched-20251130t075000z-demo/plan?limit=1000", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
		b.SetBytes(int64(rec.Body.Len()))
	}
}
