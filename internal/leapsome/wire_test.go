package leapsome

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
	lsandbox "trinetsync/internal/sandbox/leapsome"
)

func TestPlainNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"40", "40"},
		{"37.5", "37.5"},
		{"-2", "-2"},
		{"0", "0"},
		{"4e1", "40"},
		{"4E+1", "40"},
		{"1.5e2", "150"},
		{"3.75E-1", "0.375"},
		{"1e-3", "0.001"},
		{"-1.25e1", "-12.5"},
		{"12345678901234567890e2", "1234567890123456789000"},
		{"1.0e0", "1"},
		{"0e5", "0"},
	}
	for _, tt := range tests {
		if got := plainNumber(tt.in); got != tt.want {
			t.Errorf("plainNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDecodeEmployee(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		want    provision.Person
		bad     []string
		skipped bool
	}{
		{
			name: "profile example",
			json: `{"id":"64b7f0c2a1b2c3d4e5f60718","email":"ada@example.com","firstname":"Ada","middlename":"","lastname":"Lovelace",
				"displayedName":"Ada L.","status":"active","lifecycleStatus":"active",
				"manager":{"id":"64b7f0c2a1b2c3d4e5f60001","name":"Grace Hopper"},
				"startDate":"2024-01-08T00:00:00.000Z","endDate":null,"phone":"+14155550100","title":"Engineer",
				"departments":[{"id":"d1","name":"Engineering"},{"id":"d2","name":"Research"}],"teams":[{"id":"t1","name":"Platform"}],
				"workLocation":{"id":"w1","name":"San Francisco"},
				"customAttributes":{"Employee type":"Full time","Hours":40,"Rate":37.5,"Big":1e21,"Remote":true,"Union":false,"Gone":null}}`,
			want: provision.Person{
				ID: "64b7f0c2a1b2c3d4e5f60718", Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace",
				DisplayedName: "Ada L.", Status: "active", LifecycleStatus: "active", ManagerID: "64b7f0c2a1b2c3d4e5f60001",
				StartDate: "2024-01-08T00:00:00.000Z", Phone: "+14155550100", Title: "Engineer",
				Departments: []string{"Engineering", "Research"}, Teams: []string{"Platform"},
				WorkLocationID: "w1", WorkLocation: "San Francisco",
				CustomAttributes: map[string]string{"Employee type": "Full time", "Hours": "40", "Rate": "37.5",
					"Big": "1000000000000000000000", "Remote": "true", "Union": "false"},
			},
		},
		{
			name: "everything null",
			json: `{"id":"a1","email":null,"firstname":null,"manager":null,"departments":null,"teams":null,"workLocation":null,"customAttributes":null}`,
			want: provision.Person{ID: "a1"},
		},
		{
			name: "only an id",
			json: `{"id":"a1"}`,
			want: provision.Person{ID: "a1"},
		},
		{
			name: "wrong types are read as absent and named",
			json: `{"id":"a1","email":"x@example.com","firstname":7,"manager":"boss","departments":[{"name":"Sales"},"Ops",{"name":3}],
				"teams":{"name":"x"},"workLocation":{"id":"w1","name":["SF"]},"customAttributes":{"ok":"yes","nested":{"a":1},"list":[1]}}`,
			want: provision.Person{ID: "a1", Email: "x@example.com", Departments: []string{"Sales", "", ""},
				WorkLocationID: "w1", CustomAttributes: map[string]string{"ok": "yes"}},
			bad: []string{"customAttributes.list", "customAttributes.nested", "departments[1]", "departments[2].name",
				"firstname", "manager", "teams", "workLocation.name"},
		},
		{name: "no id", json: `{"email":"x@example.com"}`, skipped: true},
		{name: "blank id", json: `{"id":"  "}`, skipped: true},
		{name: "numeric id", json: `{"id":12}`, skipped: true},
		{name: "not an object", json: `"ada"`, skipped: true},
		{name: "null record", json: `null`, skipped: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, bad, err := decodeEmployee(json.RawMessage(tt.json))
			if tt.skipped {
				if err == nil {
					t.Fatalf("decoded %+v, want the record skipped", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.CustomAttributes) == 0 && len(tt.want.CustomAttributes) == 0 {
				got.CustomAttributes, tt.want.CustomAttributes = nil, nil
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
			slices.Sort(bad)
			if !slices.Equal(bad, tt.bad) {
				t.Fatalf("bad fields = %v, want %v", bad, tt.bad)
			}
		})
	}
}

func TestDecodeSCIMUser(t *testing.T) {
	tests := []struct {
		name string
		json string
		id   string
		want provision.SCIMUser
		bad  []string
	}{
		{"full", `{"id":"u1","userName":"a@example.com","active":true,"name":{"givenName":"Ada","familyName":"Lovelace","formatted":"Augusta Ada King"},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"birthday":"1815-12-10","gender":"female","employmentType":"internal","6140868326541a4da586db0b":"x"}}`,
			"u1", provision.SCIMUser{Gender: "female", Birthday: "1815-12-10", EmploymentType: "internal", LegalName: "Augusta Ada King", Active: true}, nil},
		{"no extension", `{"id":"u2","active":false}`, "u2", provision.SCIMUser{}, nil},
		{"string active", `{"id":"u3","active":"True","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":null}`, "u3", provision.SCIMUser{Active: true}, nil},
		{"odd types", `{"id":"u4","active":1,"name":"Ada","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"gender":1}}`, "u4",
			provision.SCIMUser{}, []string{"active", "name", scimEnterpriseKey + ".gender"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, u, bad, err := decodeSCIMUser(json.RawMessage(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			if id != tt.id || *u != tt.want {
				t.Fatalf("got %s %+v, want %s %+v", id, *u, tt.id, tt.want)
			}
			slices.Sort(bad)
			if !slices.Equal(bad, tt.bad) {
				t.Fatalf("bad = %v, want %v", bad, tt.bad)
			}
		})
	}
}

func TestNewValidatesConfig(t *testing.T) {
	ok := Config{BaseURL: "https://api.leapsome.com/v1/", APISecret: "s"}
	tests := []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"no base URL", func(c *Config) { c.BaseURL = "" }, fieldBaseURL},
		{"base URL not http", func(c *Config) { c.BaseURL = "ftp://x/v1" }, fieldBaseURL},
		{"base URL with query", func(c *Config) { c.BaseURL = "https://x/v1?a=b" }, fieldBaseURL},
		{"no secret", func(c *Config) { c.APISecret = "" }, fieldAPISecret},
		{"SCIM token without URL", func(c *Config) { c.SCIMToken = "t" }, fieldSCIMURL},
		{"too few retries", func(c *Config) { c.MaxRetries = 2 }, "MaxRetries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			_, err := New(cfg)
			if !errors.Is(err, fault.ErrValidation) || fault.FieldOf(err) != tt.field {
				t.Fatalf("New = %v, want a validation error naming %s", err, tt.field)
			}
		})
	}
	c, err := New(ok)
	if err != nil {
		t.Fatal(err)
	}
	if c.cfg.BaseURL != "https://api.leapsome.com/v1" || c.cfg.MaxRetries != defaultMaxRetries || c.cfg.ContentRPS != defaultContentRPS {
		t.Fatalf("defaults not applied: %+v", c.cfg)
	}
}

// fakeLeapsome serves fixed bodies per path; for answers the sandbox cannot
// produce (bad JSON, odd shapes, SCIM users without a person).
func fakeLeapsome(t *testing.T, bodies map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := validateRequest(t, r); err != nil {
			t.Errorf("request does not match Leapsome's OpenAPI document: %v", err)
		}
		body, ok := bodies[r.URL.Path]
		if !ok {
			switch r.URL.Path {
			case "/v1/token":
				body = `{"token":"tok","expiresIn":18000}`
			case "/v1/work-locations":
				body = `{"data":[],"meta":{"page":1,"pageSize":1000,"totalCount":0}}`
			case "/scim/v1/Users":
				body = `{"totalResults":0,"Resources":[]}`
			default:
				http.NotFound(w, r)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func fakeClient(t *testing.T, srv *httptest.Server, scim bool) *Client {
	cfg := Config{BaseURL: srv.URL + "/v1", APISecret: "secret-" + t.Name(), BaseDelay: time.Millisecond, MaxDelay: time.Millisecond,
		ContentRPS: 1000, SCIMRPS: 1000, Logger: slog.New(slog.DiscardHandler)}
	if scim {
		cfg.SCIMURL, cfg.SCIMToken = srv.URL+"/scim/v1", "scim-"+t.Name()
	}
	c, _ := newClient(t, cfg)
	return c
}

func TestUnusableResponses(t *testing.T) {
	const secretish = "123-45-6789"
	tests := []struct {
		name, path, body, wantOp string
	}{
		{"truncated employees", "/v1/employees", `{"data":[{"id":"a1","customAttributes":{"SSN":"` + secretish, "GET /employees page 1"},
		{"employees not an object", "/v1/employees", `[{"id":"a1"}]`, "GET /employees page 1"},
		{"employees without data", "/v1/employees", `{"items":[]}`, "GET /employees page 1"},
		{"data not a list", "/v1/employees", `{"data":{"id":"a1"}}`, "GET /employees page 1"},
		{"HTML work locations", "/v1/work-locations", `<html>` + secretish + `</html>`, "GET /work-locations page 1"},
		{"token not JSON", "/v1/token", `token=` + secretish, "GET /token"},
		{"token without token", "/v1/token", `{"expiresIn":18000}`, "GET /token"},
		{"SCIM garbage", "/scim/v1/Users", `{"Resources":"` + secretish + `"}`, "GET /Users startIndex 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bodies := map[string]string{"/v1/employees": `{"data":[],"meta":{"totalCount":0}}`}
			bodies[tt.path] = tt.body
			srv := fakeLeapsome(t, bodies)
			_, err := fakeClient(t, srv, true).Directory(t.Context())
			if !errors.Is(err, fault.ErrTransient) {
				t.Fatalf("err = %v, want fault.ErrTransient", err)
			}
			if !strings.Contains(err.Error(), tt.wantOp) {
				t.Fatalf("err = %q, want it to name %q", err, tt.wantOp)
			}
			if strings.Contains(err.Error(), secretish) {
				t.Fatalf("err = %q quotes the body", err)
			}
		})
	}
}

func TestMergeAndOddRecords(t *testing.T) {
	srv := fakeLeapsome(t, map[string]string{
		"/v1/employees": `{"data":[
			{"id":"a1","email":"ada@example.com","firstname":"Ada","customAttributes":{"Hours":40,"Exempt":true,"Note":null}},
			{"id":"b2","email":"bob@example.com","workLocation":null},
			{"email":"nobody@example.com"},
			42,
			{"id":"a1","email":"dup@example.com"},
			{"id":"c3","firstname":{"x":1},"email":"cy@example.com"}
		],"meta":{"page":1,"pageSize":1000,"totalCount":6}}`,
		"/v1/work-locations": `{"data":[{"id":"w1","name":"Berlin","status":"active","country":"Germany","street":null},{"name":"no id"}],"meta":{"totalCount":2}}`,
		"/scim/v1/Users": `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":3,"itemsPerPage":3,"startIndex":1,"Resources":[
			{"id":"a1","userName":"ada@example.com","active":true,"name":{"givenName":"Ada","familyName":"King","formatted":"Augusta Ada King"},
			 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"gender":"female","birthday":"1815-12-10","employmentType":"internal"}},
			{"id":"c3","userName":"cy@example.com","active":false},
			{"id":"zz","userName":"orphan@example.com"}]}`,
	})
	dir, err := fakeClient(t, srv, true).Directory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(dir.People))
	for i, p := range dir.People {
		ids[i] = p.ID
	}
	if want := []string{"a1", "b2", "c3"}; !slices.Equal(ids, want) {
		t.Fatalf("people %v, want %v (no id, not an object and duplicate skipped)", ids, want)
	}
	a, b, c := dir.People[0], dir.People[1], dir.People[2]
	if a.Email != "ada@example.com" {
		t.Errorf("the first copy of a duplicated id must be kept, got email %q", a.Email)
	}
	if want := (provision.SCIMUser{Gender: "female", Birthday: "1815-12-10", EmploymentType: "internal", LegalName: "Augusta Ada King", Active: true}); a.SCIM == nil || *a.SCIM != want {
		t.Errorf("a1 SCIM = %+v, want %+v", a.SCIM, want)
	}
	if want := map[string]string{"Hours": "40", "Exempt": "true"}; !maps.Equal(a.CustomAttributes, want) {
		t.Errorf("customAttributes = %v, want %v", a.CustomAttributes, want)
	}
	if b.SCIM != nil {
		t.Errorf("b2 has no SCIM user, got %+v", b.SCIM)
	}
	if c.SCIM == nil || c.SCIM.Active || c.FirstName != "" || c.Email != "cy@example.com" {
		t.Errorf("c3 = %+v (SCIM %+v): want firstname dropped, the rest kept", c, c.SCIM)
	}
	if want := []provision.WorkLocation{{ID: "w1", Name: "Berlin", Status: "active", Country: "Germany"}}; !slices.Equal(dir.Locations, want) {
		t.Errorf("locations = %+v, want %+v", dir.Locations, want)
	}
	if !dir.SCIM {
		t.Error("Directory.SCIM = false with a SCIM token")
	}
}

func TestPagingGuards(t *testing.T) {
	tests := []struct {
		name  string
		pages []string // answers for page 1, 2, …; the last one repeats
		want  int      // people read
		calls int
	}{
		{"empty page ends a list whose total lies", []string{
			`{"data":[{"id":"a"}],"meta":{"totalCount":5}}`, `{"data":[],"meta":{"totalCount":5}}`}, 1, 2},
		{"short page ends a list without total", []string{`{"data":[{"id":"a"},{"id":"b"}]}`}, 2, 1},
		{"short page of the server's own size does not end it", []string{
			`{"data":[{"id":"a"},{"id":"b"}],"meta":{"pageSize":2}}`, `{"data":[{"id":"c"}],"meta":{"pageSize":2}}`}, 3, 2},
		{"total as a string", []string{`{"data":[{"id":"a"}],"meta":{"totalCount":"1"}}`}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/v1/token":
					_, _ = w.Write([]byte(`{"token":"t","expiresIn":60}`))
				case "/v1/work-locations":
					_, _ = w.Write([]byte(`{"data":[]}`))
				case "/v1/employees":
					calls++
					_, _ = w.Write([]byte(tt.pages[min(calls, len(tt.pages))-1]))
				}
			}))
			defer srv.Close()
			dir, err := fakeClient(t, srv, false).Directory(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(dir.People) != tt.want || calls != tt.calls {
				t.Fatalf("read %d people in %d calls, want %d in %d", len(dir.People), calls, tt.want, tt.calls)
			}
		})
	}
}

func TestNeverEndingServer(t *testing.T) {
	// A server that ignores page and always answers a full page, claiming a
	// total it never reaches, is cut off rather than read for ever.
	page := `{"data":[` + strings.Repeat(`{"id":"x"},`, contentPageSize-1) + `{"id":"x"}],"meta":{"totalCount":999999999}}`
	var calls atomic.Int32 // the pages after the first are fetched at once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/token":
			_, _ = w.Write([]byte(`{"token":"t","expiresIn":60}`))
		case "/v1/work-locations":
			_, _ = w.Write([]byte(`{"data":[]}`))
		default:
			calls.Add(1)
			_, _ = w.Write([]byte(page))
		}
	}))
	defer srv.Close()
	c := fakeClient(t, srv, false)
	c.maxPages = 5
	_, err := c.Directory(t.Context())
	if !errors.Is(err, fault.ErrTransient) || !strings.Contains(err.Error(), "paging did not end") {
		t.Fatalf("err = %v, want a transient paging error", err)
	}
	if n := calls.Load(); n != 5 {
		t.Fatalf("%d calls, want 5", n)
	}
}

func TestSandboxMapping(t *testing.T) {
	e := newEnv(t, lsandbox.Options{})
	const wl = "bbbbbbbbbbbbbbbbbbbbbbbb"
	if err := e.sb.PutWorkLocation(e.tenant.ID, lsandbox.WorkLocation{ID: wl, Name: "San Francisco", Country: "United States"}); err != nil {
		t.Fatal(err)
	}
	boss := lsandbox.Employee{ID: "cccccccccccccccccccccccc", Email: "grace@example.com", FirstName: "Grace", LastName: "Hopper"}
	ada := lsandbox.Employee{
		ID: "aaaaaaaaaaaaaaaaaaaaaaaa", Email: "ada@example.com", FirstName: "Ada", MiddleName: "B", LastName: "Lovelace",
		DisplayedName: "Ada L.", Status: "invited", LifecycleStatus: "hired", Manager: &lsandbox.Ref{ID: boss.ID},
		StartDate: "2024-01-08T00:00:00.000Z", Phone: "+14155550100", Title: "Engineer",
		Departments: []lsandbox.Ref{{Name: "Engineering"}, {Name: "Research"}}, Teams: []lsandbox.Ref{{Name: "Platform"}},
		WorkLocation: &lsandbox.Ref{ID: wl}, CustomAttributes: map[string]any{"FLSA": "Exempt", "Hours": 40, "Rate": 37.5, "Remote": true, "Gone": nil},
		Gender: "diverse", Birthday: "1990-02-03", EmploymentType: "external", LegalName: "Augusta Ada King",
	}
	for _, p := range []lsandbox.Employee{boss, ada} {
		if err := e.sb.PutEmployee(e.tenant.ID, p); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := newClient(t, e.config())
	dir, err := c.Directory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(dir.People) != 2 {
		t.Fatalf("read %d people, want 2", len(dir.People))
	}
	got := dir.People[0]
	want := provision.Person{
		ID: ada.ID, Email: ada.Email, FirstName: "Ada", MiddleName: "B", LastName: "Lovelace", DisplayedName: "Ada L.",
		Status: "invited", LifecycleStatus: "hired", ManagerID: boss.ID, StartDate: "2024-01-08T00:00:00.000Z",
		Phone: "+14155550100", Title: "Engineer", Departments: []string{"Engineering", "Research"}, Teams: []string{"Platform"},
		WorkLocationID: wl, WorkLocation: "San Francisco",
		CustomAttributes: map[string]string{"FLSA": "Exempt", "Hours": "40", "Rate": "37.5", "Remote": "true"},
		SCIM:             &provision.SCIMUser{Gender: "diverse", Birthday: "1990-02-03", EmploymentType: "external", LegalName: "Augusta Ada King", Active: got.SCIM != nil && got.SCIM.Active},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v %+v\nwant %+v %+v", got, got.SCIM, want, want.SCIM)
	}
	if want := []provision.WorkLocation{{ID: wl, Name: "San Francisco", Status: "active", Country: "United States"}}; !slices.Equal(dir.Locations, want) {
		t.Fatalf("locations = %+v, want %+v", dir.Locations, want)
	}
}

func BenchmarkDecodeEmployeePage(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"data":[`)
	for i := range contentPageSize {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"id":"%024x","email":"p%d@example.com","firstname":"First","lastname":"Last","status":"active",
			"lifecycleStatus":"active","manager":{"id":"%024x","name":"Boss"},"startDate":"2024-01-08T00:00:00.000Z",
			"phone":"+14155550100","title":"Engineer","departments":[{"id":"d","name":"Engineering"}],"teams":[{"id":"t","name":"Platform"}],
			"workLocation":{"id":"w","name":"San Francisco"},"customAttributes":{"Employee type":"Full time","Hours":40}}`, i, i, i/10)
	}
	sb.WriteString(`],"meta":{"page":1,"pageSize":1000,"totalCount":1000}}`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		pg, err := decodeContentPage("bench", body)
		if err != nil {
			b.Fatal(err)
		}
		for _, raw := range pg.items {
			if _, _, err := decodeEmployee(raw); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// A 408 is the server giving up on a slow request: retried like a 5xx, then
// transient, never taken for a refused request.
func TestRequestTimeoutIsRetried(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/token" {
			calls++
			if calls == 1 {
				w.WriteHeader(http.StatusRequestTimeout)
				return
			}
			_, _ = w.Write([]byte(`{"token":"t","expiresIn":60}`))
			return
		}
		_, _ = w.Write([]byte(`{"data":[]}`))
	}))
	defer srv.Close()
	if err := fakeClient(t, srv, false).CheckToken(t.Context()); err != nil || calls != 2 {
		t.Fatalf("CheckToken = %v after %d calls, want success on the second", err, calls)
	}
}

// A page whose body the network cuts off half-way is read again from its
// start, and what the broken attempt decoded is not kept: each person once.
func TestPageCutOffMidBodyIsReadAgain(t *testing.T) {
	var mu sync.Mutex
	pageCalls := 0
	var sb strings.Builder
	sb.WriteString(`{"data":[`)
	for i := range 40 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"id":"u%02d","email":"p%d@example.com","firstname":"P","lastname":"%d"}`, i, i, i)
	}
	sb.WriteString(`],"meta":{"pageSize":1000,"totalCount":40}}`)
	page := sb.String()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/token":
			_, _ = w.Write([]byte(`{"token":"t","expiresIn":600}`))
		case "/v1/work-locations":
			_, _ = w.Write([]byte(`{"data":[],"meta":{"totalCount":0}}`))
		case "/v1/employees":
			mu.Lock()
			pageCalls++
			first := pageCalls == 1
			mu.Unlock()
			if !first {
				_, _ = w.Write([]byte(page))
				return
			}
			// Announce the whole page, send two thirds of it, and hang up.
			w.Header().Set("Content-Length", strconv.Itoa(len(page)))
			_, _ = w.Write([]byte(page[:2*len(page)/3]))
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	dir, err := fakeClient(t, srv, false).Directory(t.Context())
	if err != nil {
		t.Fatalf("Directory: %v", err)
	}
	if pageCalls != 2 || len(dir.People) != 40 || len(dir.Anomalies) != 0 {
		t.Fatalf("%d page calls, %d people, anomalies %+v; want the page read twice and 40 people once each", pageCalls, len(dir.People), dir.Anomalies)
	}
	for i, p := range dir.People {
		if p.ID != fmt.Sprintf("u%02d", i) {
			t.Fatalf("person %d is %s", i, p.ID)
		}
	}
}
