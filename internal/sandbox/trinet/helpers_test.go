package trinet

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests speak to the sandbox over real HTTP and decode answers into
// their own shapes, so that they check the wire format, not the server's
// types.

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	t     *testing.T
	sb    *Server
	ts    *httptest.Server
	clock *clock
}

// Late evening UTC, so that a client in a western time zone would already
// see tomorrow's date locally only if it got the UTC rule wrong.
var epoch = time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC)

const (
	coA, idA, secretA = "CJ6", "cj6-client", "cj6-secret-value"
	coB, idB, secretB = "ACM", "acm-client", "acm-secret-value"
)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clk := &clock{t: epoch}
	sb := New(Options{Now: clk.Now})
	for _, c := range []Company{
		{
			ID: coA, Name: "Cj Six Inc", ClientID: idA, ClientSecret: secretA,
			Departments: []Department{{ID: "D100", Name: "Engineering"}, {ID: "D200", Name: "Sales"}},
			Locations:   []Location{{ID: "SF1", Name: "San Francisco", Country: "US"}, {ID: "TO1", Name: "Toronto", Country: "CA"}},
		},
		{ID: coB, Name: "Acme", ClientID: idB, ClientSecret: secretB},
	} {
		if err := sb.AddCompany(c); err != nil {
			t.Fatalf("AddCompany(%s): %v", c.ID, err)
		}
	}
	return &fixture{t: t, sb: sb, ts: newServer(t, sb), clock: clk}
}

func newServer(t *testing.T, h http.Handler) *httptest.Server {
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

func (f *fixture) today(days int) string {
	return f.clock.Now().UTC().AddDate(0, 0, days).Format("2006-01-02")
}

// reply is an answer as the tests see it.
type reply struct {
	status int
	header http.Header
	raw    []byte
	env    struct {
		Data          json.RawMessage `json:"data"`
		RequestID     string          `json:"_requestId"`
		StatusCode    string          `json:"_statusCode"`
		StatusText    string          `json:"_statusText"`
		StatusMessage string          `json:"_statusMessage"`
	}
}

func (r *reply) fields() []string {
	var d struct {
		Errors []struct{ Field, Message string } `json:"errors"`
	}
	_ = json.Unmarshal(r.env.Data, &d)
	out := make([]string, len(d.Errors))
	for i, e := range d.Errors {
		out[i] = e.Field
	}
	return out
}

func (r *reply) errorMessage(field string) string {
	var d struct {
		Errors []struct{ Field, Message string } `json:"errors"`
	}
	_ = json.Unmarshal(r.env.Data, &d)
	for _, e := range d.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

func (r *reply) data(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.env.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.env.Data, err)
	}
}

// send makes one call; body is marshalled unless it is a string or []byte.
func (f *fixture) send(method, path string, auth func(*http.Request), body any) (*reply, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			f.t.Fatalf("marshal: %v", err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, f.ts.URL+path, rd)
	if err != nil {
		f.t.Fatalf("request: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != nil {
		auth(req)
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	r := &reply{status: resp.StatusCode, header: resp.Header}
	if r.raw, err = io.ReadAll(resp.Body); err != nil {
		return nil, err
	}
	_ = json.Unmarshal(r.raw, &r.env)
	return r, nil
}

func (f *fixture) must(method, path string, auth func(*http.Request), body any) *reply {
	f.t.Helper()
	r, err := f.send(method, path, auth, body)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func basic(id, secret string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(id, secret) }
}

// token gets a fresh access token for a company's credentials.
func (f *fixture) token(id, secret string) string {
	f.t.Helper()
	r := f.must(http.MethodGet, "/oauth/accesstoken?grant_type=client_credentials", basic(id, secret), nil)
	if r.status != http.StatusOK {
		f.t.Fatalf("token: status %d: %s", r.status, r.raw)
	}
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(r.raw, &body); err != nil || body.AccessToken == "" {
		f.t.Fatalf("token body %s: %v", r.raw, err)
	}
	return body.AccessToken
}

func (f *fixture) seed(co string, e Employee) Employee {
	f.t.Helper()
	stored, err := f.sb.PutEmployee(co, e)
	if err != nil {
		f.t.Fatalf("PutEmployee: %v", err)
	}
	return stored
}

// hireBody is the profile's example hire, starting today.
func (f *fixture) hireBody() map[string]any {
	return map[string]any{
		"approvalStatus": "I",
		"name":           map[string]any{"firstName": "Ada", "middleName": "", "lastName": "Lovelace"},
		"biographicalInfo": map[string]any{
			"gender": "F", "ethnicity": "WHITE", "birthDate": "1990-12-10", "country": "US", "nationalId": "123456789",
		},
		"homeContact": map[string]any{
			"address1": "1 Main St", "address2": "", "city": "Austin", "state": "TX", "postalCode": "78701", "country": "US",
		},
		"employmentInfo": map[string]any{
			"startDate": f.today(0), "reasonCode": "HIR", "employeeType": "F", "regularTemporary": "R",
			"businessTitle": "Engineer", "locationId": "SF1", "workEmail": "ada@example.com",
			"workPhone": "+14155550100", "standardHoursPerWeek": 40,
			"homeDepartment": map[string]any{"deptId": "D100"}, "compliance": map[string]any{"flsaCode": "T"},
		},
	}
}

// jsonNull makes setPath send an explicit null.
var jsonNull any = &struct{ null bool }{}

// setPath sets (or with value nil, deletes) a dotted path in a JSON object.
func setPath(m map[string]any, path string, value any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	last := parts[len(parts)-1]
	if value == jsonNull {
		m[last] = nil
		return
	}
	if value == nil {
		delete(m, last)
		return
	}
	m[last] = value
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
