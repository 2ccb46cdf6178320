package trinet

// Contract audit: each test holds the client to one sentence of the TriNet
// API profile (docs/trinet-api.md) that it does not meet yet, against a
// small httptest TriNet as an independent implementation may answer.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

// CONTRACT (profile, "Envelope, errors, limits"): "A hire answered with 429
// or 4xx was not applied (a 429 may be retried); a hire whose answer is a
// 5xx, a timeout or a dropped connection has an unknown outcome". A 408 is a
// 4xx answer: TriNet says it did not take the request, so the hire must not
// read as outcome unknown (which holds the person until an admin releases
// them) and is not sent again by this call.
func TestAuditHireAnswered408WasNotApplied(t *testing.T) {
	var posts atomic.Int32
	srv, _ := stub(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		posts.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusRequestTimeout)
		_, _ = io.WriteString(w, `{"data":null,"_statusCode":"408","_statusText":"Request Timeout","_statusMessage":"request timed out"}`)
	})
	c := stubClient(t, srv.URL, nil)
	_, err := c.Hire(context.Background(), provision.Hire{FirstName: "A", LastName: "B", StartDate: "2026-12-01"})
	if err == nil {
		t.Fatal("a 408 answer must be an error")
	}
	if errors.Is(err, fault.ErrOutcomeUnknown) {
		t.Errorf("CONTRACT: a hire answered 408 (a 4xx) was not applied, but the client reports outcome unknown: %v", err)
	}
	if n := posts.Load(); n != 1 {
		t.Errorf("hire POSTs = %d, want 1", n)
	}
}
