package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"trinetsync/internal/api"
	"trinetsync/internal/provision"
)

// fuzzBackend is memBackend with Connect and Trigger made total (memBackend's
// Connect masks the client id by slicing it, which a one-byte id would break)
// and recording what they received, so the fuzz test can check that a body
// the API accepted reached the backend whole.
type fuzzBackend struct {
	*memBackend
	lastTrigger api.TriggerRequest
}

func (b *fuzzBackend) Connect(ctx context.Context, tenant string, req api.ConnectRequest) (api.Connection, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastConnect = req
	return api.Connection{Status: api.StatusConnected, CompanyID: req.TriNet.CompanyID, ClientIDMasked: "…",
		SCIMConfigured: req.Leapsome.SCIMToken != "", ConnectedAt: t0}, nil
}

func (b *fuzzBackend) Trigger(ctx context.Context, tenant string, req api.TriggerRequest) (provision.Run, error) {
	b.mu.Lock()
	b.lastTrigger = req
	b.mu.Unlock()
	return b.memBackend.Trigger(ctx, tenant, req)
}

// secretMarker is planted in the seeds' secrets: an error answer must never
// carry it unless it is the name of the field at fault (unknown keys are
// named back to the client).
const secretMarker = "S3CR3T"

var fuzzRoutes = []struct{ method, path string }{
	{http.MethodPut, "/v1/tenants/demo/connection"},
	{http.MethodPut, "/v1/tenants/demo/settings"},
	{http.MethodPost, "/v1/tenants/demo/syncs"},
}

// FuzzRequestBodies drives the three request bodies through the real handler:
// whatever the body, the answer is never a 500 (a panic is answered 500), an
// error answer is the contract's envelope and echoes no secret, and a body
// that is accepted reaches the backend with nothing dropped.
func FuzzRequestBodies(f *testing.F) {
	const conn = `{"trinet":{"companyId":"CJ6","clientId":"client-1","clientSecret":"S3CR3T-trinet-0001"},` +
		`"leapsome":{"apiSecret":"S3CR3T-leapsome-0002","scimToken":"S3CR3T-scim-0003"}}`
	seeds := []struct {
		route uint8
		body  string
	}{
		{0, conn},
		{0, `{"trinet":{"companyId":"CJ6","clientId":"c","clientSecret":"S3CR3T-x"},"leapsome":{"apiSecret":"S3CR3T-y","scimToken":null}}`},
		{0, `{"trinet":{"companyId":"CJ6","clientId":"c","clientSecret":"S3CR3T-x"},"leapsome":{"apiSecret":"S3CR3T-y","scimToken":""}}`},
		{0, `{"trinet":{"companyId":"CJ6","clientId":"c","clientSecret":"S3CR3T-x","S3CR3T":1},"leapsome":{"apiSecret":"a"}}`},
		{0, `{"trinet":{"companyId":"CJ6","clientId":"c","clientSecret":42},"leapsome":{"apiSecret":"S3CR3T-y"}}`},
		{0, `{"trinet":{"companyId":"CJ6","clientId":"c","clientSecret":"S3CR3T-x"},"leapsome":{"apiSecret":"   "}}`},
		{0, `{"trinet":{"companyId":"CJ6","clientId":"c","clientSecret":"S3CR3T-` + strings.Repeat("x", 4100) + `"},"leapsome":{"apiSecret":"a"}}`},
		{0, `{"trinet":{"companyId":"CJ6","clientId":"c","clientSecret":"S3CR3T\u0000\ud800"},"leapsome":{"apiSecret":"S3CR3T-y"}}`},
		{0, "{\"trinet\":{\"companyId\":\"CJ6\",\"clientId\":\"c\",\"clientSecret\":\"S3CR3T\xff\xfe\"},\"leapsome\":{\"apiSecret\":\"S3CR3T-y\"}}"},
		{0, `{"trinet":{"companyId":"CJ6","clientId":"c","clientSecret":"S3CR3T-x"},"leapsome":{"apiSecret":"S3CR3T-y"}} {"x":1}`},
		{0, `{"trinet":{"companyId":"CJ6","clientId":"c","clientSecret":"S3CR3T-x"`},
		{0, `{"trinet":null,"leapsome":{"apiSecret":"S3CR3T-y"}}`},
		{0, `{"trinet":[],"leapsome":{}}`},
		{0, `{"TriNet":{"CompanyID":"CJ6","clientid":"c","CLIENTSECRET":"S3CR3T-x"},"leapsome":{"apiSecret":"S3CR3T-y"}}`},
		{0, `{"trinet":{"companyId":"CJ6","clientId":"c","clientSecret":"S3CR3T-a","clientSecret":"S3CR3T-b"},"leapsome":{"apiSecret":"S3CR3T-y"}}`},
		{0, ``}, {0, `null`}, {0, `[]`}, {0, `"S3CR3T"`}, {0, `{}`}, {0, strings.Repeat(`{"trinet":`, 2000)},
		{1, `{"autoCreateNewHires":true,"massCreateMaxPercent":20,"mappings":[{"target":"firstName","source":"firstname"},` +
			`{"target":"gender","source":"scim.gender","valueMap":{"male":"M","female":"F"}}]}`},
		{1, `{"mappings":[]}`},
		{1, `{"autoCreateNewHires":null,"massCreateMaxPercent":null,"mappings":[{"target":"","source":""}]}`},
		{1, `{"autoCreateNewHires":true,"massCreateMaxPercent":-1,"mappings":[]}`},
		{1, `{"autoCreateNewHires":true,"massCreateMaxPercent":1e99,"mappings":[]}`},
		{1, `{"autoCreateNewHires":true,"massCreateMaxPercent":20.5,"mappings":[]}`},
		{1, `{"autoCreateNewHires":"yes","mappings":[]}`},
		{1, `{"mappings":[{"target":"firstName"}]}`},
		{1, `{"mappings":[{"target":"firstName","source":"nonsense"}]}`},
		{1, `{"mappings":[{"target":"gender","source":"scim.gender","valueMap":{"a":1}}]}`},
		{1, `{"mappings":[{"target":"gender","source":"scim.gender","valueMap":null}]}`},
		{1, `{"mappings":[null]}`},
		{1, `{"mappings":` + "[" + strings.Repeat(`{"target":"t","source":"s"},`, 200) + `{"target":"t","source":"s"}]}`},
		{1, `{"mappings":{}}`},
		{2, ``}, {2, ` `}, {2, `{}`}, {2, `{"dryRun":true}`}, {2, `{"dryRun":true,"confirmCreates":true}`},
		{2, `{"dryRun":"yes"}`}, {2, `{"dryrun2":true}`}, {2, `null`}, {2, `[true]`}, {2, `{"dryRun":true}{}`},
		{2, `{"people":["u1","u2","u1"],"approveCreates":["u2"]}`}, {2, `{"people":[]}`}, {2, `{"people":["u1"],"onlyFailed":true}`},
		{2, `{"onlyFailed":true,"approveCreates":["u9"]}`}, {2, `{"people":["u1"],"approveCreates":["u2"]}`}, {2, `{"people":[""]}`},
		{2, `{"dryRun":true,"settings":{"mappings":[{"target":"firstName","source":"firstname"},{"target":"lastName","source":"lastname"}]}}`},
		{2, `{"settings":{"mappings":[]}}`}, {2, `{"dryRun":true,"settings":null}`}, {2, `{"dryRun":true,"settings":{"schedule":{"interval":5}}}`},
	}
	for _, s := range seeds {
		f.Add(s.route, s.body)
	}

	b := &fuzzBackend{memBackend: newMemBackend()}
	handler := api.New(b, api.HS256Authenticator{Secret: []byte(testSecret)},
		api.Options{Logger: slog.New(slog.DiscardHandler), MaxBodyBytes: 8192})
	token, err := api.MintToken(testSecret, "ops@example.com", "", api.AdminScope, 24*time.Hour)
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, route uint8, body string) {
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		req := httptest.NewRequest(rt.method, rt.path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)

		raw := rec.Body.Bytes()
		switch st := rec.Code; {
		case st >= 500:
			t.Fatalf("%s %s %q: answered %d\n%s", rt.method, rt.path, body, st, raw)
		case st == http.StatusOK || st == http.StatusAccepted:
			checkAccepted(t, b, int(route)%len(fuzzRoutes), body)
		case st == http.StatusBadRequest || st == http.StatusRequestEntityTooLarge:
			checkErrorAnswer(t, body, raw)
		default:
			t.Fatalf("%s %s %q: unexpected status %d\n%s", rt.method, rt.path, body, st, raw)
		}
	})
}

// checkErrorAnswer holds a 4xx answer to the contract's envelope and checks that
// it echoes none of the secrets the body carried.
func checkErrorAnswer(t *testing.T, body string, raw []byte) {
	t.Helper()
	var env struct {
		Error *struct {
			Code    *string `json:"code"`
			Message *string `json:"message"`
			Field   *string `json:"field"`
		} `json:"error"`
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil || env.Error == nil || env.Error.Code == nil || env.Error.Message == nil {
		t.Fatalf("body %q: answer is not the error envelope (%v): %s", body, err, raw)
	}
	if *env.Error.Code == "" || *env.Error.Message == "" {
		t.Fatalf("body %q: empty code or message: %s", body, raw)
	}
	field := ""
	if env.Error.Field != nil {
		field = *env.Error.Field
		if field == "" {
			t.Fatalf("body %q: field present but empty: %s", body, raw)
		}
	}
	if strings.Contains(*env.Error.Message, secretMarker) && !strings.Contains(field, secretMarker) {
		t.Fatalf("body %q: the error message carries a secret: %s", body, raw)
	}
	// Secrets that decode (the body may be broken elsewhere) must not be
	// quoted back, unless the same text is also a key, which is named back.
	var loose struct {
		TriNet *struct {
			ClientSecret any `json:"clientSecret"`
		} `json:"trinet"`
		Leapsome *struct {
			APISecret any `json:"apiSecret"`
			SCIMToken any `json:"scimToken"`
		} `json:"leapsome"`
	}
	if json.Unmarshal([]byte(body), &loose) != nil {
		return
	}
	var secrets []any
	if loose.TriNet != nil {
		secrets = append(secrets, loose.TriNet.ClientSecret)
	}
	if loose.Leapsome != nil {
		secrets = append(secrets, loose.Leapsome.APISecret, loose.Leapsome.SCIMToken)
	}
	for _, s := range secrets {
		v, ok := s.(string)
		if !ok || len(v) < 8 || strings.Contains(field, v) {
			continue
		}
		if strings.Contains(*env.Error.Message, v) {
			t.Fatalf("body %q: the error message quotes the secret %q: %s", body, v, raw)
		}
	}
}

// checkAccepted decodes an accepted body the lenient way and checks that the
// backend received every value of it.
func checkAccepted(t *testing.T, b *fuzzBackend, route int, body string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	switch route {
	case 0:
		var in struct {
			TriNet   struct{ CompanyID, ClientID, ClientSecret string } `json:"trinet"`
			Leapsome struct{ APISecret, SCIMToken string }              `json:"leapsome"`
		}
		if err := json.Unmarshal([]byte(body), &in); err != nil {
			t.Fatalf("connection body %q accepted but does not decode: %v", body, err)
		}
		want := api.ConnectRequest{
			TriNet:   api.TriNetCredentials{CompanyID: in.TriNet.CompanyID, ClientID: in.TriNet.ClientID, ClientSecret: in.TriNet.ClientSecret},
			Leapsome: api.LeapsomeCredentials{APISecret: in.Leapsome.APISecret, SCIMToken: in.Leapsome.SCIMToken},
		}
		if b.lastConnect != want {
			t.Fatalf("connection body %q: backend got %+v, want %+v", body, b.lastConnect, want)
		}
		for _, v := range []string{want.TriNet.CompanyID, want.TriNet.ClientID, want.TriNet.ClientSecret, want.Leapsome.APISecret} {
			if strings.TrimSpace(v) == "" {
				t.Fatalf("connection body %q accepted with a blank required value", body)
			}
		}
	case 1:
		in := struct {
			AutoCreateNewHires   bool
			MassCreateMaxPercent *int
			Mappings             []struct {
				Target, Source string
				ValueMap       map[string]string
			}
		}{}
		if err := json.Unmarshal([]byte(body), &in); err != nil {
			t.Fatalf("settings body %q accepted but does not decode: %v", body, err)
		}
		want := provision.Settings{AutoCreateNewHires: in.AutoCreateNewHires, MassCreateMaxPercent: provision.DefaultMassCreateMaxPercent,
			Mappings: []provision.Mapping{}}
		if in.MassCreateMaxPercent != nil {
			want.MassCreateMaxPercent = *in.MassCreateMaxPercent
		}
		for _, m := range in.Mappings {
			want.Mappings = append(want.Mappings, provision.Mapping{Target: m.Target, Source: m.Source, ValueMap: m.ValueMap})
		}
		if !reflect.DeepEqual(b.lastSettings, want) {
			t.Fatalf("settings body %q: backend got %+v, want %+v", body, b.lastSettings, want)
		}
	case 2:
		var in struct {
			DryRun, ConfirmCreates, OnlyFailed bool
			People, ApproveCreates             []string
			Settings                           *json.RawMessage
		}
		if strings.TrimSpace(body) != "" {
			if err := json.Unmarshal([]byte(body), &in); err != nil {
				t.Fatalf("trigger body %q accepted but does not decode: %v", body, err)
			}
		}
		once := func(ids []string) []string {
			var out []string
			for _, id := range ids {
				if !slices.Contains(out, id) {
					out = append(out, id)
				}
			}
			return out
		}
		got := b.lastTrigger
		if got.DryRun != in.DryRun || got.ConfirmCreates != in.ConfirmCreates || got.OnlyFailed != in.OnlyFailed ||
			!slices.Equal(got.People, once(in.People)) || !slices.Equal(got.ApproveCreates, once(in.ApproveCreates)) ||
			(got.Settings != nil) != (in.Settings != nil) {
			t.Fatalf("trigger body %q: backend got %+v, want %+v", body, got, in)
		}
	}
}
