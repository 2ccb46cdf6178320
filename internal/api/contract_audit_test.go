package api_test

import "testing"

// TestUnknownNestedFieldNamedByItsPath (contract audit): an error's field is
// "the field at fault, as a JSON path into the body" (docs/openapi.yaml; the
// contract's `field` "when one is at fault"), as a wrong type or a duplicate
// key inside an object already is ("trinet.companyId"). An unknown key inside
// an object is named by its bare key instead, so "every" cannot be told from
// a top-level field of that name, and inside a trigger's settings preview the
// client is not told that the preview is at fault.
func TestUnknownNestedFieldNamedByItsPath(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tok := tenantToken(t, "demo")
	for _, tt := range []struct {
		name, method, path, body, field string
	}{
		{"schedule", "PUT", "/v1/tenants/demo/settings", `{"mappings":[],"schedule":{"every":"10m"}}`, "schedule.every"},
		{"mapping", "PUT", "/v1/tenants/demo/settings", `{"mappings":[{"target":"firstName","source":"firstname","mode":"x"}]}`, "mappings[0].mode"},
		{"credentials", "PUT", "/v1/tenants/demo/connection",
			`{"trinet":{"companyId":"CJ6","clientId":"c","clientSecret":"s","region":"us"},"leapsome":{"apiSecret":"a"}}`, "trinet.region"},
		{"preview", "POST", "/v1/tenants/demo/syncs", `{"dryRun":true,"settings":{"mappings":[],"paused":true}}`, "settings.paused"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := h.do(call{method: tt.method, path: tt.path, body: tt.body, token: tok, invalid: true})
			wantError(t, res, 400, "bad_request", tt.field)
		})
	}
}
