package trinet

// Tests of the parts a sandbox cannot reach: config checks, answers TriNet's
// sandbox never gives (bad JSON, echoed personal data, pages past the end),
// header parsing and the transport edge cases, among them when a hire reads
// as outcome unknown. Small httptest servers play TriNet.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// stub is a tiny TriNet: a token endpoint and one handler for everything else.
func stub(t *testing.T, api http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var tokens atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == pathToken {
			tokens.Add(1)
			if r.URL.Query().Get("grant_type") != "client_credentials" || !strings.HasPrefix(r.Header.Get("Authorization"), "Basic ") {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			_, _ = io.WriteString(w, `{"token_type":"BearerToken","access_token":"tok-1","expires_in":"120","issued_at":"1","client_id":"x"}`)
			return
		}
		if r.Header.Get("Authorization") != "Bearer tok-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		api(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &tokens
}

func stubClient(t *testing.T, base string, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		BaseURL: base, CompanyID: "CJ6", ClientID: "id-" + t.Name(), ClientSecret: "secret",
		RPS: 1000, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, Logger: quietLogger(),
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestNewRejectsBadConfig(t *testing.T) {
	good := Config{BaseURL: "https://api.example.test", CompanyID: "CJ6", ClientID: "id", ClientSecret: "s"}
	tests := []struct {
		name  string
		mod   func(*Config)
		field string
	}{
		{"no base url", func(c *Config) { c.BaseURL = "" }, "BaseURL"},
		{"base url with path", func(c *Config) { c.BaseURL = "https://api.example.test/v1" }, "BaseURL"},
		{"base url not http", func(c *Config) { c.BaseURL = "ftp://api.example.test" }, "BaseURL"},
		{"base url with user", func(c *Config) { c.BaseURL = "https://u:p@api.example.test" }, "BaseURL"},
		{"no company", func(c *Config) { c.CompanyID = "" }, "CompanyID"},
		{"company with slash", func(c *Config) { c.CompanyID = "CJ6/../x" }, "CompanyID"},
		{"no client id", func(c *Config) { c.ClientID = "" }, "ClientID"},
		{"no secret", func(c *Config) { c.ClientSecret = "" }, "ClientSecret"},
		{"negative rps", func(c *Config) { c.RPS = -1 }, "RPS"},
		{"too few retries", func(c *Config) { c.MaxRetries = 4 }, "MaxRetries"},
		{"negative window", func(c *Config) { c.PageWindow = -1 }, "PageWindow"},
		{"negative total wait", func(c *Config) { c.MaxElapsed = -time.Second }, "MaxElapsed"},
		{"negative base delay", func(c *Config) { c.BaseDelay = -time.Second }, "BaseDelay"},
		{"negative max delay", func(c *Config) { c.MaxDelay = -time.Second }, "MaxDelay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.mod(&cfg)
			_, err := New(cfg)
			if !errors.Is(err, fault.ErrValidation) || fault.FieldOf(err) != tt.field {
				t.Fatalf("err = %v (field %q), want validation of %s", err, fault.FieldOf(err), tt.field)
			}
		})
	}
	if _, err := New(good); err != nil {
		t.Fatalf("good config: %v", err)
	}
	trailing := good
	trailing.BaseURL = "https://api.example.test/"
	if _, err := New(trailing); err != nil {
		t.Fatalf("trailing slash: %v", err)
	}
}

func TestBadJSONIsClassifiedWithoutTheBody(t *testing.T) {
	tests := []struct {
		name string
		body string
		call func(*Client) error
		want string // in the message
	}{
		{"employees not json", `{"data": {"hasMore": false, "employeeData": [{"employeeId": "1", "ssn": "123-45-6789"`,
			func(c *Client) error { _, err := c.Employees(context.Background()); return err }, "employees"},
		{"employees wrong type", `{"data": {"hasMore": false, "employeeData": "Secret Person"}}`,
			func(c *Client) error { _, err := c.Employees(context.Background()); return err }, "employees"},
		{"name block is a scalar", `{"data": {"hasMore": false, "employeeData": [{"employeeId": "1", "names": "Secret Person"}]}}`,
			func(c *Client) error { _, err := c.Employees(context.Background()); return err }, "employees"},
		{"departments html", `<html>Secret Person</html>`,
			func(c *Client) error { _, err := c.Departments(context.Background()); return err }, "departments"},
		{"org details object where scalar", `{"data": {"companyId": {"x": "Secret Person"}}}`,
			func(c *Client) error { _, err := c.OrgDetails(context.Background()); return err }, "org-details"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv, _ := stub(t, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				_, _ = io.WriteString(w, tt.body)
			})
			err := tt.call(stubClient(t, srv.URL, nil))
			if !errors.Is(err, fault.ErrTransient) {
				t.Fatalf("err = %v, want transient", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Fatalf("message %q does not name the call %q", msg, tt.want)
			}
			if strings.Contains(msg, "Secret") || strings.Contains(msg, "6789") {
				t.Fatalf("message carries the body: %q", msg)
			}
			// An unreadable answer may be a glitch: it was retried.
			if got := calls.Load(); got != defaultMaxRetries+1 {
				t.Fatalf("calls = %d, want %d", got, defaultMaxRetries+1)
			}
		})
	}
}

func TestValidationMessageNeverCarriesPersonalData(t *testing.T) {
	srv, _ := stub(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"data":{"errors":[{"field":"biographicalInfo.nationalId","message":"bad"}]},`+
			`"_statusCode":"400","_statusMessage":"nationalId 987654321 (born 1990-12-10) is not valid; ssn 123-45-6789"}`)
	})
	c := stubClient(t, srv.URL, nil)
	_, err := c.Hire(context.Background(), provision.Hire{FirstName: "A", LastName: "B", StartDate: "2026-12-01",
		NationalID: "987654321", BirthDate: "1990-12-10"})
	if !errors.Is(err, fault.ErrValidation) || fault.FieldOf(err) != "ssn" {
		t.Fatalf("err = %v, want validation of ssn (biographicalInfo.nationalId)", err)
	}
	for _, leak := range []string{"987654321", "1990-12-10", "123-45-6789"} {
		if strings.Contains(err.Error(), leak) {
			t.Fatalf("message %q carries %s", err, leak)
		}
	}
	if !strings.Contains(err.Error(), "is not valid") {
		t.Fatalf("message %q lost TriNet's explanation", err)
	}
}

func TestHireNotWrittenIsRetriedNotUnknown(t *testing.T) {
	// The token is fetched, then TriNet goes away: the hire's connection is
	// refused before a byte is written, so it is known not to be applied.
	srv, _ := stub(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"data":{"companyId":"CJ6","companyName":"Acme"}}`)
	})
	c := stubClient(t, srv.URL, func(c *Config) { c.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}} })
	if _, err := c.OrgDetails(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	_, err := c.Hire(context.Background(), provision.Hire{FirstName: "A", LastName: "B", StartDate: "2026-12-01"})
	if !errors.Is(err, fault.ErrTransient) || errors.Is(err, fault.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want transient (never sent), not outcome unknown", err)
	}
}

func TestHireAcceptedWithoutIDIsNotAnError(t *testing.T) {
	for _, body := range []string{`{"data":{"approvalStatus":"I"}}`, `not json`, ``} {
		t.Run(body, func(t *testing.T) {
			var posts atomic.Int32
			srv, _ := stub(t, func(w http.ResponseWriter, r *http.Request) {
				posts.Add(1)
				_, _ = io.WriteString(w, body)
			})
			res, err := stubClient(t, srv.URL, nil).Hire(context.Background(),
				provision.Hire{FirstName: "A", LastName: "B", StartDate: "2026-12-01"})
			if err != nil || res.EmployeeID != "" {
				t.Fatalf("got %+v, %v; want an empty id and no error", res, err)
			}
			if posts.Load() != 1 {
				t.Fatalf("posts = %d, want 1", posts.Load())
			}
		})
	}
}

func TestTokenLifetimeFromStringExpiresIn(t *testing.T) {
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	var clock atomic.Pointer[time.Time]
	clock.Store(&now)
	srv, tokens := stub(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"data":{"companyId":"CJ6","companyName":"Acme"}}`)
	})
	c := stubClient(t, srv.URL, func(c *Config) { c.Now = func() time.Time { return *clock.Load() } })
	ctx := context.Background()
	steps := []struct {
		advance time.Duration
		tokens  int32
	}{
		{0, 1},
		{80 * time.Second, 1}, // "120" s lives 90 s (three quarters: shorter than 4 margins)
		{11 * time.Second, 2},
		{89 * time.Second, 2},
	}
	for i, s := range steps {
		next := clock.Load().Add(s.advance)
		clock.Store(&next)
		if _, err := c.OrgDetails(ctx); err != nil {
			t.Fatal(err)
		}
		if got := tokens.Load(); got != s.tokens {
			t.Fatalf("step %d: token calls = %d, want %d", i, got, s.tokens)
		}
	}
}

func TestFlexibleScalars(t *testing.T) {
	var v struct {
		A, B, C, D, E flexString
		M, N, O       flexBool
	}
	in := `{"A":"40","B":40,"C":37.5,"D":null,"E":"a\"b","M":true,"N":"true","O":null}`
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != "40" || v.B != "40" || v.C != "37.5" || v.D != "" || v.E != `a"b` || !bool(v.M) || !bool(v.N) || bool(v.O) {
		t.Fatalf("got %+v", v)
	}
	if err := json.Unmarshal([]byte(`{"A":{"x":1}}`), &v); err == nil {
		t.Fatal("an object as a scalar must fail")
	}
	if err := json.Unmarshal([]byte(`{"M":"maybe"}`), &v); err == nil {
		t.Fatal("a non-boolean must fail")
	}
}

// TestClientsShareLimiterAndToken: Clients built with one Shared share the
// company's pacer and the credential's token; another company or secret gets
// its own, and a Client built without a Shared shares nothing.
func TestClientsShareLimiterAndToken(t *testing.T) {
	shared := NewShared(Pacing{RPS: 3})
	cfg := Config{BaseURL: "https://share.example.test", CompanyID: "CJ6", ClientID: "id", ClientSecret: "s", Shared: shared}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(cfg)
	other := cfg
	other.CompanyID, other.ClientSecret = "XY1", "s2"
	o, _ := New(other)
	if a.pacer != b.pacer || a.tok != b.tok {
		t.Fatal("two clients of one company and credential must share pacer and token")
	}
	if a.pacer == o.pacer || a.tok == o.tok {
		t.Fatal("another company or secret must not share them")
	}
	if a.pacer != shared.Pacer("https://share.example.test/", "CJ6") || a.pacer.Stats().Rate != 3 {
		t.Fatalf("the shared pacer is not the company's, or not at the shared start rate: %+v", a.pacer.Stats())
	}
	alone := cfg
	alone.Shared = nil
	p, _ := New(alone)
	if p.pacer == a.pacer || p.tok == a.tok {
		t.Fatal("a client without a Shared must have its own pacer and token")
	}
	// The pace is the Shared's: a client cannot set another.
	withRPS := cfg
	withRPS.RPS = 50
	if _, err := New(withRPS); fault.FieldOf(err) != "RPS" {
		t.Fatalf("New with a Shared and an RPS = %v, want an error naming RPS", err)
	}
}
func TestRateLimitBoundsCalls(t *testing.T) {
	srv, _ := stub(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"data":{"companyId":"CJ6","companyName":"Acme"}}`)
	})
	// One call per ~3 hours: the second call cannot fit in a 1 s deadline,
	// and the limiter says so at once instead of waiting.
	c := stubClient(t, srv.URL, func(c *Config) { c.RPS = 0.0001 })
	if _, err := c.OrgDetails(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := c.OrgDetails(ctx)
	if !errors.Is(err, fault.ErrThrottled) {
		t.Fatalf("err = %v, want throttled by the client-side limit", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the limiter waited instead of failing fast")
	}
}

func TestEmployeesShortPagesDuplicatesAndOddRecords(t *testing.T) {
	// TriNet may answer a short page that still has more, shift records
	// between pages, send numbers for strings, unknown fields and records
	// without an id. Nothing is skipped, nothing is listed twice.
	pages := map[string]string{
		"1": `{"data":{"hasMore":true,"employeeData":[
			{"employeeId":"A","names":[{"nameType":"preferred","firstName":"Al"},{"nameType":"primary","firstName":"Albert","lastName":"Ng"}],
			 "employmentInfo":{"standardHours":40,"department":{"deptId":100}},"futureBlock":{"x":[1,2]}},
			{"employeeId":"B","names":[{"firstName":"Bea","lastName":"Oz"}],"employmentInfo":{"standardHours":"37.5"}}]}}`,
		"3": `{"data":{"hasMore":"true","employeeData":[{"employeeId":"B"},{"employeeId":"C","biographicalInfo":null},
			{"names":[{"nameType":"primary","firstName":"No","lastName":"Id"}]},{"employeeId":"D","employmentInfo":{"supervisor":null}}]}}`,
		"103": `{"data":{"hasMore":false,"employeeData":[{"employeeId":"Z"}]}}`,
		"7":   `{"data":{"hasMore":false,"employeeData":[]}}`,
	}
	var mu sync.Mutex
	var asked []string
	srv, _ := stub(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("viewType") != "All" || q.Get("limit") != "100" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		asked = append(asked, q.Get("offset"))
		mu.Unlock()
		body, ok := pages[q.Get("offset")]
		if !ok {
			body = `{"data":{"hasMore":false,"employeeData":[]}}`
		}
		_, _ = io.WriteString(w, body)
	})
	got, err := stubClient(t, srv.URL, nil).Employees(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []provision.Employee{
		{ID: "A", FirstName: "Albert", LastName: "Ng", StandardHours: "40", DeptID: "100"},
		{ID: "B", FirstName: "Bea", LastName: "Oz", StandardHours: "37.5"},
		{ID: "C"},
		{ID: "D"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	sort.Strings(asked)
	if w := []string{"1", "103", "107", "207", "3", "307", "7"}; !reflect.DeepEqual(asked, w) {
		t.Fatalf("offsets asked %v, want %v", asked, w)
	}
}

func TestEmployeesPageErrorFailsTheList(t *testing.T) {
	srv, _ := stub(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("offset") == "3" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		_, _ = io.WriteString(w, `{"data":{"hasMore":true,"employeeData":[{"employeeId":"x`+r.URL.Query().Get("offset")+`"}]}}`)
	})
	_, err := stubClient(t, srv.URL, func(c *Config) { c.PageWindow = 1 }).Employees(context.Background())
	if !errors.Is(err, fault.ErrForbidden) || !strings.Contains(err.Error(), "offset") {
		t.Fatalf("err = %v, want forbidden naming the offset", err)
	}
}

func BenchmarkDecodeEmployeePage(b *testing.B) {
	rec := `{"employeeId":"00001234","names":[{"nameType":"primary","firstName":"Ada","middleName":"","lastName":"Lovelace"}],
	"biographicalInfo":{"gender":"F","birthDate":"1990-12-10","ethnicity":"WHITE","maritalStatus":"S","country":"US"},
	"employmentInfo":{"employmentStatus":"A","startDate":"2024-01-08","businessTitle":"Engineer","employeeType":"F","flsaCode":"T",
	"standardHours":"40","workEmail":"ada@example.com","workPhone":"+14155550100","customGroupA":"","customGroupB":"",
	"location":{"locationId":"SF1","locationName":"San Francisco"},"department":{"deptId":"D100","deptName":"Engineering"},
	"supervisor":{"supervisorId":"00001000","supervisorName":"Grace Hopper"}}}`
	body := []byte(`{"data":{"hasMore":true,"employeeData":[` + strings.TrimSuffix(strings.Repeat(rec+",", pageLimit), ",") + `]},"_statusCode":"200"}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var env envelope[wireEmployeePage]
		if err := json.Unmarshal(body, &env); err != nil {
			b.Fatal(err)
		}
		for i := range env.Data.EmployeeData {
			if _, ok := toEmployee(&env.Data.EmployeeData[i]); !ok {
				b.Fatal("no id")
			}
		}
	}
}

func TestHireOutcomeUnknownOnlyWhenSent(t *testing.T) {
	tests := []struct {
		name  string
		token func(w http.ResponseWriter) // nil: a good token
		hire  func(w http.ResponseWriter) // nil: never reached
		// before runs before the hire; it may close the server or cancel ctx.
		before func(srv *httptest.Server, cancel context.CancelFunc)
		want   error
		posts  int32
	}{
		{name: "token endpoint down", want: fault.ErrTransient,
			token: func(w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) }},
		{name: "token answer without a token", want: fault.ErrTransient,
			token: func(w http.ResponseWriter) { _, _ = io.WriteString(w, `{"token_type":"BearerToken"}`) }},
		{name: "credentials rejected", want: fault.ErrAuth,
			token: func(w http.ResponseWriter) { w.WriteHeader(http.StatusUnauthorized) }},
		{name: "cancelled before sending", want: fault.ErrTransient,
			before: func(_ *httptest.Server, cancel context.CancelFunc) { cancel() }},
		{name: "connection refused", want: fault.ErrTransient,
			before: func(srv *httptest.Server, _ context.CancelFunc) { srv.Close() }},
		{name: "429 to the end", want: fault.ErrThrottled, posts: defaultMaxRetries + 1,
			hire: func(w http.ResponseWriter) { w.WriteHeader(http.StatusTooManyRequests) }},
		{name: "502 is unknown", want: fault.ErrOutcomeUnknown, posts: 1,
			hire: func(w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) }},
		{name: "odd status is unknown", want: fault.ErrOutcomeUnknown, posts: 1,
			hire: func(w http.ResponseWriter) { w.WriteHeader(http.StatusMultipleChoices) }},
		{name: "a redirect is not followed (it would resend the POST)", want: fault.ErrOutcomeUnknown, posts: 1,
			hire: func(w http.ResponseWriter) {
				w.Header().Set("Location", "/v1/hire/CJ6/employees")
				w.WriteHeader(http.StatusTemporaryRedirect)
			}},
		{name: "dropped after the request is unknown", want: fault.ErrOutcomeUnknown, posts: 1,
			hire: func(w http.ResponseWriter) {
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					_ = conn.Close()
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var posts atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == pathToken {
					if tt.token != nil {
						tt.token(w)
						return
					}
					_, _ = io.WriteString(w, `{"access_token":"tok-1","expires_in":"120"}`)
					return
				}
				if r.Method == http.MethodPost {
					posts.Add(1)
					if tt.hire != nil {
						tt.hire(w)
						return
					}
				}
				w.WriteHeader(http.StatusTeapot)
			}))
			defer srv.Close()
			c := stubClient(t, srv.URL, func(c *Config) {
				c.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.before != nil {
				tt.before(srv, cancel)
			}
			_, err := c.Hire(ctx, provision.Hire{FirstName: "A", LastName: "B", StartDate: "2026-12-01"})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want != fault.ErrOutcomeUnknown && errors.Is(err, fault.ErrOutcomeUnknown) {
				t.Fatalf("err = %v: a hire that never reached TriNet reads as outcome unknown", err)
			}
			if got := posts.Load(); got != tt.posts {
				t.Fatalf("hire POSTs = %d, want %d", got, tt.posts)
			}
		})
	}
}

// pagedTriNet serves total employees 100 a page; an offset past the last
// record, or one in fail, answers 400 as an independent TriNet might.
func pagedTriNet(t *testing.T, total int, fail map[int]bool) (*httptest.Server, func() []int) {
	var mu sync.Mutex
	var asked []int
	srv, _ := stub(t, func(w http.ResponseWriter, r *http.Request) {
		off, err := strconv.Atoi(r.URL.Query().Get("offset"))
		if err != nil || off < 1 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		asked = append(asked, off)
		mu.Unlock()
		if off > total || fail[off] {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"_statusCode":"400","_statusMessage":"offset out of range"}`)
			return
		}
		last := min(off+pageLimit-1, total)
		recs := make([]string, 0, pageLimit)
		for i := off; i <= last; i++ {
			recs = append(recs, fmt.Sprintf(`{"employeeId":"E%05d"}`, i))
		}
		fmt.Fprintf(w, `{"data":{"hasMore":%t,"employeeData":[%s]}}`, last < total, strings.Join(recs, ","))
	})
	return srv, func() []int {
		mu.Lock()
		defer mu.Unlock()
		return append([]int(nil), asked...)
	}
}

func TestEmployeesPagesPastTheEndMayFail(t *testing.T) {
	tests := []struct {
		name       string
		total      int
		window     int
		fail       []int // offsets inside the list that answer 400
		wantErr    bool
		pastTheEnd bool // the test must have asked for a page past the end
	}{
		{name: "one page", total: 50, window: 6},
		{name: "second page short, third past the end", total: 150, window: 6, pastTheEnd: true},
		{name: "four past the end", total: 350, window: 6, pastTheEnd: true},
		{name: "last page full", total: 400, window: 6, pastTheEnd: true},
		{name: "window of one", total: 250, window: 1},
		{name: "needed page fails", total: 350, window: 6, fail: []int{201}, wantErr: true},
		{name: "needed page in a wide window fails", total: 350, window: 6, fail: []int{301}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fail := map[int]bool{}
			for _, o := range tt.fail {
				fail[o] = true
			}
			srv, asked := pagedTriNet(t, tt.total, fail)
			got, err := stubClient(t, srv.URL, func(c *Config) { c.PageWindow = tt.window }).Employees(context.Background())
			if tt.wantErr {
				if !errors.Is(err, fault.ErrValidation) || !strings.Contains(err.Error(), "offset "+strconv.Itoa(tt.fail[0])) {
					t.Fatalf("err = %v, want the needed page's 400 naming its offset", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v; a page past the end must not fail the listing", err)
			}
			if len(got) != tt.total {
				t.Fatalf("got %d employees, want %d", len(got), tt.total)
			}
			for i, e := range got {
				if want := fmt.Sprintf("E%05d", i+1); e.ID != want {
					t.Fatalf("employee %d = %s, want %s", i, e.ID, want)
				}
			}
			past := false
			for _, o := range asked() {
				past = past || o > tt.total
			}
			if past != tt.pastTheEnd {
				t.Fatalf("asked %v: past the end %v, want %v", asked(), past, tt.pastTheEnd)
			}
		})
	}
}

func TestHireErrorsRedactPersonalValues(t *testing.T) {
	h := provision.Hire{
		FirstName: "Ada", LastName: "Lovelace", StartDate: "2026-12-01",
		NationalID: "987-65-4321", BirthDate: "1990-12-10",
		Address1: "12 Crescent Lane", Address2: "Apt 7B", City: "Springfield", State: "IL", PostalCode: "62704",
		WorkPhone: "+14155550100", WorkEmail: "ada.lovelace@example.com",
	}
	// TriNet echoes the request in its own spelling: other case, digits only.
	echo := "Ada Lovelace: address 12 CRESCENT LANE apt 7b, springfield IL 62704; phone 14155550100 (+14155550100); " +
		"email Ada.Lovelace@Example.com; ssn 987654321 / 987-65-4321; born 1990-12-10 is not valid"
	leaks := []string{"crescent", "7b", "springfield", "62704", "4155550100", "lovelace@", "987654321", "987-65-4321", "1990-12-10"}
	tests := []struct {
		status int
		want   error
	}{
		{http.StatusBadRequest, fault.ErrValidation},
		{http.StatusUnprocessableEntity, fault.ErrValidation},
		{http.StatusForbidden, fault.ErrForbidden},
		{http.StatusNotFound, fault.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			srv, _ := stub(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				fmt.Fprintf(w, `{"data":{"errors":[{"field":"homeContact.address1","message":"bad"}]},"_statusCode":"%d","_statusMessage":%q}`,
					tt.status, echo)
			})
			_, err := stubClient(t, srv.URL, nil).Hire(context.Background(), h)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			msg := strings.ToLower(err.Error())
			for _, leak := range leaks {
				if strings.Contains(msg, leak) {
					t.Errorf("message %q carries %q", err, leak)
				}
			}
			// Names and TriNet's explanation stay: the admin needs both.
			if !strings.Contains(err.Error(), "Ada Lovelace") || !strings.Contains(err.Error(), "is not valid") {
				t.Fatalf("message %q lost the name or TriNet's explanation", err)
			}
		})
	}
}

func TestCleanKeepsShortValuesAndOrder(t *testing.T) {
	tests := []struct {
		msg    string
		redact []string
		want   string
	}{
		{"state IL is wrong", []string{"IL"}, "state IL is wrong"},
		{"postal 62704 in 12 Main St 62704", []string{"62704", "12 Main St 62704"}, "postal [redacted] in [redacted]"},
		{"City SPRINGFIELD", []string{" Springfield "}, "City [redacted]"},
		{"a.b (x)", []string{"a.b (x)"}, "[redacted]"},
		{"no match", []string{"", "zzz"}, "no match"},
		// A long message is cut on a character boundary, never inside one.
		{strings.Repeat("a", maxMessage-1) + "é and more", nil, strings.Repeat("a", maxMessage-1) + "…"},
	}
	for _, tt := range tests {
		if got := clean(tt.msg, tt.redact); got != tt.want || !utf8.ValidString(got) {
			t.Errorf("clean(%q, %q) = %q, want %q", tt.msg, tt.redact, got, tt.want)
		}
	}
}
