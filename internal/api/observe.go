package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/google/uuid"

	"trinetsync/internal/metrics"
)

// RequestIDHeader answers every request with its id: API Gateway's request
// id in AWS (the one in its access log), a fresh one locally. The audit
// trail records it with each admin action.
const RequestIDHeader = "X-Request-Id"

type requestIDKey struct{}

// RequestIDFrom is the id of the request ctx belongs to ("" outside one).
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestIDOf is API Gateway's id of the request when it came through API
// Gateway, else a new one. A client's own X-Request-Id is not taken: the id
// is the audit trail's, and a caller must not be able to choose it.
func requestIDOf(r *http.Request) string {
	if rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && rc.RequestID != "" {
		return rc.RequestID
	}
	return uuid.NewString()
}

// Metric names of the API; template.yaml's dashboard and alarms name them.
const (
	MetricRequests       = "Requests"
	MetricRequestLatency = "RequestLatency"
	DimensionRoute       = "Route"
	DimensionStatusClass = "StatusClass"
	// routeUnmatched is the Route of a request no route takes (404, 405).
	routeUnmatched = "unmatched"
)

// count writes the request's metrics: by route pattern (a handful of
// values, never the path with its ids) and status class.
func (s *server) count(r *http.Request, status int, d time.Duration) {
	if s.metrics == nil {
		return
	}
	if err := s.metrics.Write(requestRecord(r, status, d)); err != nil {
		s.log.ErrorContext(r.Context(), "write metrics", "err", err)
	}
}

func requestRecord(r *http.Request, status int, d time.Duration) metrics.Record {
	route := r.Pattern
	if route == "" {
		route = routeUnmatched
	}
	if status == 0 {
		status = http.StatusOK
	}
	props := map[string]any{"requestId": RequestIDFrom(r.Context()), "method": r.Method, "status": status}
	if t := r.PathValue("tenant"); ValidTenantID(t) {
		props["tenant"] = t
	}
	return metrics.Record{
		Dimensions: map[string]string{DimensionRoute: route, DimensionStatusClass: strconv.Itoa(status/100) + "xx"},
		Properties: props,
		Groups: []metrics.Group{
			{DimensionSets: [][]string{{DimensionRoute, DimensionStatusClass}, {DimensionStatusClass}},
				Metrics: []metrics.Metric{{Name: MetricRequests, Unit: metrics.Count, Value: 1}}},
			{DimensionSets: [][]string{{DimensionRoute}},
				Metrics: []metrics.Metric{{Name: MetricRequestLatency, Unit: metrics.Milliseconds, Value: float64(d.Microseconds()) / 1000}}},
		},
	}
}

// SampleRecords are the records the API writes, built by the code that
// writes them: tests hold the dashboard and the alarms of template.yaml to
// these names.
func SampleRecords() []metrics.Record {
	r, _ := http.NewRequest(http.MethodGet, "/v1/tenants/sample/syncs", nil)
	r.Pattern = "GET /v1/tenants/{tenant}/syncs"
	return []metrics.Record{requestRecord(r, http.StatusInternalServerError, time.Millisecond)}
}
