package localstack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"trinetsync/internal/provision"
)

// The API scenarios drive one stack, as `make run` starts it, through its
// HTTP API only, as an outside QA engineer would: each scenario gets its own
// tenant, TriNet company and Leapsome tenant (made over the sandboxes' admin
// surfaces), so that one scenario's runs cannot explain another's results.

// scenarioSecret signs the scenarios' tokens, so that they can mint odd ones.
const scenarioSecret = "api-scenario-jwt-secret-of-32-bytes-at-least"

// apiError is the contract's error body.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

// send sends one request and answers the status and raw body.
func (c apiClient) send(method, path string, body any) (int, []byte) {
	c.t.Helper()
	return httpJSON(c.t, method, c.base+path, c.token, body)
}

// refused expects an error answer with status, code and (when not "") field.
func (c apiClient) refused(method, path string, body any, status int, code, field string) apiError {
	c.t.Helper()
	got, raw := c.send(method, path, body)
	var e apiError
	if err := json.Unmarshal(raw, &e); err != nil {
		c.t.Errorf("%s %s: answer is not the contract's JSON error: %d %s", method, path, got, raw)
		return e
	}
	if got != status || e.Error.Code != code || (field != "" && e.Error.Field != field) {
		c.t.Errorf("%s %s: got %d %s, want %d code %q field %q", method, path, got, raw, status, code, field)
	}
	return e
}

// fixture is one tenant of the service with its own TriNet company and
// Leapsome tenant in the sandboxes.
type fixture struct {
	t                *testing.T
	st               *Stack
	tenant, co, ls   string
	clientID, secret string
	apiSecret, scim  string
	wl               string // the Leapsome work location id
	c, admin         apiClient
	n                int
	people           map[string]string // Leapsome id → email
	tnBase, lsAdmin  string
}

// newFixture makes the tenant's TriNet company (one department, one
// location) and Leapsome tenant (one work location); connected says whether
// the tenant is connected through the API, with auto-create on.
func newFixture(t *testing.T, st *Stack, tenant string, withSCIM, connected bool) *fixture {
	t.Helper()
	f := &fixture{
		t: t, st: st, tenant: tenant, co: "CO-" + strings.ToUpper(tenant), ls: "ls-" + tenant,
		clientID: "client-" + tenant, secret: "secret-" + tenant, apiSecret: "lsapi-" + tenant,
		wl: fmt.Sprintf("%024x", 0xa11), people: map[string]string{},
		tnBase: st.Infra.TriNetURL, lsAdmin: strings.TrimSuffix(st.Infra.LeapsomeURL, "/v1"),
		c: st.client(t, tenant, false), admin: st.client(t, "", true),
	}
	if withSCIM {
		f.scim = "scim-" + tenant
	}
	f.sandbox(http.MethodPost, f.tnBase+"/_admin/companies", map[string]any{
		"id": f.co, "name": "Company " + tenant, "clientId": f.clientID, "clientSecret": f.secret,
		"departments": []map[string]any{{"id": "D1", "name": "Engineering"}},
		"locations":   []map[string]any{{"id": "L1", "name": "San Francisco", "country": "US"}},
	})
	lsTenant := map[string]any{"id": f.ls, "apiSecret": f.apiSecret}
	if withSCIM {
		lsTenant["scimToken"] = f.scim
	}
	f.sandbox(http.MethodPost, f.lsAdmin+"/_admin/tenants", lsTenant)
	f.sandbox(http.MethodPut, f.lsAdmin+"/_admin/tenants/"+f.ls+"/work-locations/"+f.wl, map[string]any{
		"name": "San Francisco", "country": "United States", "city": "San Francisco",
	})
	if connected {
		f.connect()
		var set provision.Settings
		f.c.call(http.MethodGet, f.path("/settings"), nil, http.StatusOK, &set)
		set.AutoCreateNewHires = true
		f.c.call(http.MethodPut, f.path("/settings"), set, http.StatusOK, nil)
	}
	return f
}

func (f *fixture) path(p string) string { return "/v1/tenants/" + f.tenant + p }

func (f *fixture) sandbox(method, u string, body any) []byte {
	f.t.Helper()
	status, raw := httpJSON(f.t, method, u, "", body)
	if status/100 != 2 {
		f.t.Fatalf("sandbox %s %s: %d %s", method, u, status, raw)
	}
	return raw
}

func (f *fixture) connectBody() map[string]any {
	ls := map[string]any{"apiSecret": f.apiSecret}
	if f.scim != "" {
		ls["scimToken"] = f.scim
	}
	return map[string]any{
		"trinet":   map[string]any{"companyId": f.co, "clientId": f.clientID, "clientSecret": f.secret},
		"leapsome": ls,
	}
}

func (f *fixture) connect() connection {
	f.t.Helper()
	var conn connection
	f.c.call(http.MethodPut, f.path("/connection"), f.connectBody(), http.StatusOK, &conn)
	if conn.Status != "connected" {
		f.t.Fatalf("connect %s: %+v", f.tenant, conn)
	}
	return conn
}

// addPerson adds one person to Leapsome (starting startDays from today) and,
// when inTriNet, the same person to TriNet; it answers the Leapsome id.
func (f *fixture) addPerson(inTriNet bool, startDays int) string {
	f.t.Helper()
	f.n++
	id := fmt.Sprintf("%08x%016x", 0xbeef, f.n)
	email := fmt.Sprintf("person%d@%s.example", f.n, f.tenant)
	last := "Tester" + strings.Repeat("x", f.n%5)
	first := "Pat" + string(rune('a'+f.n%26))
	start := time.Now().UTC().AddDate(0, 0, startDays)
	f.sandbox(http.MethodPut, f.lsAdmin+"/_admin/tenants/"+f.ls+"/employees/"+id, map[string]any{
		"email": email, "firstName": first, "lastName": last, "status": "active", "lifecycleStatus": "active",
		"startDate": start.Format(time.DateOnly), "title": "Engineer",
		"departments": []map[string]any{{"name": "Engineering"}}, "workLocation": map[string]any{"id": f.wl, "name": "San Francisco"},
	})
	if inTriNet {
		f.sandbox(http.MethodPost, f.tnBase+"/_admin/companies/"+f.co+"/employees", map[string]any{
			"firstName": first, "lastName": last, "workEmail": email, "status": "A", "startDate": start.Format(time.DateOnly),
			"title": "Engineer", "deptId": "D1", "locationId": "L1", "country": "US", "approvalStatus": "A",
		})
	}
	f.people[id] = email
	return id
}

// hiresOf counts the hire POSTs TriNet received for each work email.
func (f *fixture) hiresOf() map[string]int {
	f.t.Helper()
	out := map[string]int{}
	for _, w := range trinetWrites(f.t, f.tnBase, f.co) {
		if w.Endpoint != "hire" || w.Method != http.MethodPost {
			continue
		}
		var body struct {
			EmploymentInfo struct {
				WorkEmail string `json:"workEmail"`
			} `json:"employmentInfo"`
		}
		if err := json.Unmarshal(w.Body, &body); err != nil {
			f.t.Fatalf("hire body: %v: %s", err, w.Body)
		}
		out[body.EmploymentInfo.WorkEmail]++
	}
	return out
}

func (f *fixture) faults(v map[string]any) {
	f.t.Helper()
	f.sandbox(http.MethodPut, f.tnBase+"/_admin/companies/"+f.co+"/faults", v)
}

type connection struct {
	Status      string   `json:"status"`
	CompanyID   string   `json:"companyId"`
	RevokedAt   *string  `json:"revokedAt"`
	LastRun     *wireRun `json:"lastRun"`
	NextRunAt   *string  `json:"nextRunAt"`
	ConnectedAt *string  `json:"connectedAt"`
	Backoff     *struct {
		Until    string `json:"until"`
		Reason   string `json:"reason"`
		Failures int    `json:"failures"`
	} `json:"backoff"`
}

type planPage struct {
	Items []struct {
		UserID string  `json:"userId"`
		Email  string  `json:"email"`
		Action string  `json:"action"`
		Code   *string `json:"code"`
	} `json:"items"`
	NextToken *string `json:"nextToken"`
}

type issuePage struct {
	SyncID *string `json:"syncId"`
	Items  []struct {
		UserID   *string `json:"userId"`
		Email    *string `json:"email"`
		Severity string  `json:"severity"`
		Code     string  `json:"code"`
	} `json:"items"`
	NextToken *string `json:"nextToken"`
}

type hirePage struct {
	Items []struct {
		UserID     string  `json:"userId"`
		Email      string  `json:"email"`
		State      string  `json:"state"`
		EmployeeID *string `json:"employeeId"`
		SyncID     string  `json:"syncId"`
	} `json:"items"`
	NextToken *string `json:"nextToken"`
}

// planActions maps each userId of a run's plan to its action (and code).
func (f *fixture) planActions(syncID string) map[string]string {
	f.t.Helper()
	var p planPage
	f.c.call(http.MethodGet, f.path("/syncs/"+syncID+"/plan?limit=1000"), nil, http.StatusOK, &p)
	out := map[string]string{}
	for _, it := range p.Items {
		a := it.Action
		if it.Code != nil {
			a += ":" + *it.Code
		}
		out[it.UserID] = a
	}
	return out
}

func mint(t *testing.T, secret string, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestAPIScenario runs the QA scenarios against one stack.
func TestAPIScenario(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dataDir := t.TempDir()
	// A day-long schedule: no scheduled run should appear in the scenarios'
	// histories (the tests tolerate one all the same).
	st := startStack(t, ctx, Config{
		DataDir: dataDir, APIAddr: "127.0.0.1:0", SyncInterval: 24 * time.Hour, JWTSecret: scenarioSecret,
		DemoTenant: "", Logger: testLogger(),
	})
	defer st.Close()

	t.Run("paging", func(t *testing.T) { scenarioPaging(t, st) })
	t.Run("trigger, back-off, console revocation, reconnect", func(t *testing.T) { scenarioRevocation(t, st, dataDir) })
	t.Run("disconnect keeps runs", func(t *testing.T) { scenarioDisconnect(t, st) })
	t.Run("errors and runs of other or unknown runs", func(t *testing.T) { scenarioRunLookups(t, st) })
	t.Run("hires ledger and release", func(t *testing.T) { scenarioHires(t, st) })
	t.Run("tenancy and tokens", func(t *testing.T) { scenarioTenancy(t, st) })
	t.Run("settings validation", func(t *testing.T) { scenarioSettings(t, st) })
	t.Run("dry run then real run", func(t *testing.T) { scenarioDryThenReal(t, st) })
	t.Run("mass-create brake", func(t *testing.T) { scenarioMassCreate(t, st) })
}

func scenarioPaging(t *testing.T, st *Stack) {
	a := newFixture(t, st, "page-a", false, true)
	b := newFixture(t, st, "page-b", false, true)
	for range 3 {
		a.addPerson(true, -400)
	}
	b.addPerson(true, -400)
	var mine []string
	for i := range 4 {
		r := a.c.trigger(a.tenant, map[string]any{"dryRun": i%2 == 1})
		mine = append(mine, r.SyncID)
	}
	b.c.trigger(b.tenant, map[string]any{})

	var all struct {
		Items     []wireRun `json:"items"`
		NextToken *string   `json:"nextToken"`
	}
	a.c.call(http.MethodGet, a.path("/syncs?limit=1000"), nil, http.StatusOK, &all)
	if all.NextToken != nil && *all.NextToken != "" {
		t.Errorf("one page holds every run, yet nextToken = %q", *all.NextToken)
	}
	var ids []string
	for _, r := range all.Items {
		ids = append(ids, r.SyncID)
	}
	// Newest first: the four triggers appear in reverse order.
	var order []string
	for _, id := range ids {
		if slices.Contains(mine, id) {
			order = append(order, id)
		}
	}
	want := slices.Clone(mine)
	slices.Reverse(want)
	if !slices.Equal(order, want) {
		t.Errorf("run history order %v, want newest first %v", order, want)
	}

	// Walk one at a time: every run exactly once, in the same order.
	var walked []string
	token := ""
	var firstToken string
	for page := 0; page < 50; page++ {
		q := "/syncs?limit=1"
		if token != "" {
			q += "&nextToken=" + url.QueryEscape(token)
		}
		var p struct {
			Items     []wireRun `json:"items"`
			NextToken *string   `json:"nextToken"`
		}
		a.c.call(http.MethodGet, a.path(q), nil, http.StatusOK, &p)
		if len(p.Items) > 1 {
			t.Fatalf("limit=1 answered %d runs", len(p.Items))
		}
		for _, r := range p.Items {
			walked = append(walked, r.SyncID)
		}
		if p.NextToken == nil || *p.NextToken == "" {
			break
		}
		token = *p.NextToken
		if firstToken == "" {
			firstToken = token
		}
	}
	if !slices.Equal(walked, ids) {
		t.Errorf("walking with limit=1 gave %v, the full list is %v", walked, ids)
	}
	if firstToken == "" {
		t.Fatal("no nextToken given with limit=1 over several runs")
	}

	// A's token on B: refused naming nextToken, never B's (or A's) data.
	b.c.refused(http.MethodGet, b.path("/syncs?limit=1&nextToken="+url.QueryEscape(firstToken)), nil, http.StatusBadRequest, "bad_request", "nextToken")
	// A runs token on a plan list is not a plan token either.
	a.c.refused(http.MethodGet, a.path("/syncs/"+mine[0]+"/plan?limit=1&nextToken="+url.QueryEscape(firstToken)), nil, http.StatusBadRequest, "bad_request", "nextToken")
	a.c.refused(http.MethodGet, a.path("/syncs?nextToken=not-a-token"), nil, http.StatusBadRequest, "bad_request", "nextToken")

	for _, lim := range []string{"0", "1001", "abc", "-1", "1.5"} {
		a.c.refused(http.MethodGet, a.path("/syncs?limit="+lim), nil, http.StatusBadRequest, "bad_request", "limit")
		a.c.refused(http.MethodGet, a.path("/hires?limit="+lim), nil, http.StatusBadRequest, "bad_request", "limit")
		a.c.refused(http.MethodGet, a.path("/errors?limit="+lim), nil, http.StatusBadRequest, "bad_request", "limit")
	}

	// The plan of a run with 3 people pages with limit=1 too.
	var plan []string
	token = ""
	for page := 0; page < 10; page++ {
		q := "/syncs/" + mine[0] + "/plan?limit=1"
		if token != "" {
			q += "&nextToken=" + url.QueryEscape(token)
		}
		var p planPage
		a.c.call(http.MethodGet, a.path(q), nil, http.StatusOK, &p)
		for _, it := range p.Items {
			plan = append(plan, it.UserID)
		}
		if p.NextToken == nil || *p.NextToken == "" {
			break
		}
		token = *p.NextToken
	}
	slices.Sort(plan)
	var people []string
	for id := range a.people {
		people = append(people, id)
	}
	slices.Sort(people)
	if !slices.Equal(plan, people) {
		t.Errorf("plan walked with limit=1: %v, want each person once: %v", plan, people)
	}
}

func scenarioRevocation(t *testing.T, st *Stack, dataDir string) {
	f := newFixture(t, st, "revoke", false, false)
	f.addPerson(true, -400)

	// Never connected: no run, nothing to trigger.
	f.c.refused(http.MethodPost, f.path("/syncs"), map[string]any{}, http.StatusConflict, "not_connected", "")
	var conn connection
	f.c.call(http.MethodGet, f.path("/connection"), nil, http.StatusOK, &conn)
	if conn.Status != "not_connected" || conn.LastRun != nil || conn.Backoff != nil {
		t.Errorf("connection of a tenant never connected: %+v", conn)
	}
	status, raw := f.c.send(http.MethodGet, f.path("/errors"), nil)
	var none map[string]json.RawMessage
	if err := json.Unmarshal(raw, &none); status != http.StatusOK || err != nil ||
		string(none["syncId"]) != "null" || string(none["items"]) != "[]" {
		t.Errorf(`errors before any run: %d %s, want {"syncId":null,"items":[]}`, status, raw)
	}

	f.connect()
	if r := f.c.trigger(f.tenant, map[string]any{}); r.Status != "succeeded" {
		t.Fatalf("first sync: %+v", r)
	}

	// Someone changes the TriNet client secret stored in Secrets Manager
	// (edits the secret file): TriNet refuses it, and three failed runs put
	// the tenant in back-off; manual triggers are still allowed.
	secretFile := filepath.Join(dataDir, "secrets", "trinet-sync_tenants_"+f.tenant+".json")
	editSecret(t, secretFile, func(doc map[string]any, creds map[string]any) {
		creds["trinet"].(map[string]any)["clientSecret"] = "rotated-elsewhere"
	})
	for i := range 3 {
		r := f.c.trigger(f.tenant, map[string]any{})
		if r.Status != "failed" || r.Error == nil {
			t.Fatalf("run %d with a refused TriNet secret: %+v", i+1, r)
		}
	}
	// The runner records the outcome (and so the back-off) just after it
	// writes the run final, which is what the trigger waited for.
	poll(t, "back-off after 3 failed runs", 10*time.Second, func() bool {
		f.c.call(http.MethodGet, f.path("/connection"), nil, http.StatusOK, &conn)
		return conn.Backoff != nil
	})
	if conn.Backoff == nil || conn.Backoff.Failures < 3 || conn.Status != "connected" {
		t.Errorf("after 3 failed runs the tenant should back off: %+v", conn)
	} else if conn.NextRunAt == nil || *conn.NextRunAt < conn.Backoff.Until {
		t.Errorf("nextRunAt %v is before backoff.until %s", conn.NextRunAt, conn.Backoff.Until)
	}

	// The console deletion: the next (manual) run marks the tenant revoked.
	if err := os.Remove(secretFile); err != nil {
		t.Fatal(err)
	}
	r := f.c.trigger(f.tenant, map[string]any{})
	if r.Status != "failed" || r.Error == nil || r.Error.Code != "credentials_revoked" {
		t.Fatalf("run after the secret was deleted: %+v", r)
	}
	f.c.call(http.MethodGet, f.path("/connection"), nil, http.StatusOK, &conn)
	if conn.Status != "revoked" || conn.RevokedAt == nil || conn.LastRun == nil || conn.LastRun.SyncID != r.SyncID {
		t.Errorf("connection after the console deletion: %+v", conn)
	}
	f.c.refused(http.MethodPost, f.path("/syncs"), map[string]any{}, http.StatusConflict, "not_connected", "")
	f.c.refused(http.MethodPost, f.path("/syncs"), map[string]any{"dryRun": true}, http.StatusConflict, "not_connected", "")

	// Reconnect: connected, back-off cleared, triggers work again.
	conn = f.connect()
	if conn.Backoff != nil || conn.RevokedAt != nil {
		t.Errorf("reconnecting should clear the back-off and revokedAt: %+v", conn)
	}
	if r := f.c.trigger(f.tenant, map[string]any{}); r.Status != "succeeded" {
		t.Errorf("sync after reconnecting: %+v", r)
	}

	// A secret scheduled for deletion in the console is revoked the same way;
	// reconnecting restores it.
	g := newFixture(t, st, "revoke-scheduled", false, true)
	g.addPerson(true, -400)
	gFile := filepath.Join(dataDir, "secrets", "trinet-sync_tenants_"+g.tenant+".json")
	editSecret(t, gFile, func(doc map[string]any, _ map[string]any) {
		now := time.Now().UTC()
		doc["deletedDate"] = now.Format(time.RFC3339)
		doc["deletionDate"] = now.AddDate(0, 0, 7).Format(time.RFC3339)
	})
	r = g.c.trigger(g.tenant, map[string]any{})
	if r.Status != "failed" || r.Error == nil || r.Error.Code != "credentials_revoked" {
		t.Errorf("run with the secret scheduled for deletion: %+v", r)
	}
	g.c.call(http.MethodGet, g.path("/connection"), nil, http.StatusOK, &conn)
	if conn.Status != "revoked" {
		t.Errorf("connection with the secret scheduled for deletion: %+v", conn)
	}
	g.connect()
	if r := g.c.trigger(g.tenant, map[string]any{}); r.Status != "succeeded" {
		t.Errorf("sync after reconnecting a secret scheduled for deletion: %+v", r)
	}
}

// editSecret edits the Secrets Manager stand-in's file of one secret, as an
// operator would in the AWS console: edit gets the file's document and the
// decoded secret value, and the value is written back.
func editSecret(t *testing.T, file string, edit func(doc, creds map[string]any)) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("secret file: %v", err)
	}
	value, _ := doc["secretString"].(string)
	var creds map[string]any
	if err := json.Unmarshal([]byte(value), &creds); err != nil {
		t.Fatalf("secret value is not JSON: %v", err)
	}
	edit(doc, creds)
	v, err := json.Marshal(creds)
	if err != nil {
		t.Fatal(err)
	}
	doc["secretString"] = string(v)
	if raw, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

func scenarioDisconnect(t *testing.T, st *Stack) {
	f := newFixture(t, st, "disconnect", false, true)
	f.addPerson(true, -400)
	tooOld := f.addPerson(false, -30) // start_date_too_old
	r := f.c.trigger(f.tenant, map[string]any{})
	if r.Status != "partial" || r.Counts["errors"] != 1 {
		t.Fatalf("sync with one person in error: %+v", r)
	}
	f.c.call(http.MethodDelete, f.path("/connection"), nil, http.StatusNoContent, nil)
	f.c.call(http.MethodDelete, f.path("/connection"), nil, http.StatusNoContent, nil)
	var conn connection
	f.c.call(http.MethodGet, f.path("/connection"), nil, http.StatusOK, &conn)
	if conn.Status != "not_connected" || conn.LastRun == nil || conn.LastRun.SyncID != r.SyncID || conn.NextRunAt != nil {
		t.Errorf("connection after DELETE twice: %+v (want not_connected, lastRun %s, no nextRunAt)", conn, r.SyncID)
	}
	for _, q := range []string{"/errors", "/errors?syncId=" + r.SyncID} {
		var issues issuePage
		f.c.call(http.MethodGet, f.path(q), nil, http.StatusOK, &issues)
		found := false
		for _, it := range issues.Items {
			found = found || (it.UserID != nil && *it.UserID == tooOld && it.Code == "start_date_too_old" && it.Severity == "error")
		}
		if issues.SyncID == nil || *issues.SyncID != r.SyncID || !found {
			t.Errorf("GET %s after disconnecting: %+v", q, issues)
		}
	}
	var run wireRun
	f.c.call(http.MethodGet, f.path("/syncs/"+r.SyncID), nil, http.StatusOK, &run)
	f.c.refused(http.MethodPost, f.path("/syncs"), map[string]any{}, http.StatusConflict, "not_connected", "")
}

func scenarioRunLookups(t *testing.T, st *Stack) {
	a := newFixture(t, st, "lookup-a", false, true)
	b := newFixture(t, st, "lookup-b", false, true)
	a.addPerson(true, -400)
	bNew := b.addPerson(false, -30)
	bRun := b.c.trigger(b.tenant, map[string]any{})

	// A's run is held running by TriNet latency: a second trigger with the
	// same flags answers it; one with other flags queues behind it.
	a.faults(map[string]any{"latency": "1500ms"})
	var first, again, dry, dryAgain struct {
		SyncID string `json:"syncId"`
		Status string `json:"status"`
	}
	a.c.call(http.MethodPost, a.path("/syncs"), map[string]any{}, http.StatusAccepted, &first)
	a.c.call(http.MethodPost, a.path("/syncs"), map[string]any{"dryRun": false, "confirmCreates": false}, http.StatusAccepted, &again)
	if again.SyncID != first.SyncID {
		t.Errorf("a second trigger while %s is %s made another run %s", first.SyncID, first.Status, again.SyncID)
	}
	a.c.call(http.MethodPost, a.path("/syncs"), map[string]any{"dryRun": true}, http.StatusAccepted, &dry)
	a.c.call(http.MethodPost, a.path("/syncs"), map[string]any{"dryRun": true}, http.StatusAccepted, &dryAgain)
	if dry.SyncID == first.SyncID || dryAgain.SyncID != dry.SyncID {
		t.Errorf("dry triggers: %s then %s (the real run is %s)", dry.SyncID, dryAgain.SyncID, first.SyncID)
	}
	// The dry run waits for the real one's lease: it has not finished, and
	// shows so (null finishedAt and error, RFC 3339 UTC times).
	var dr map[string]json.RawMessage
	a.c.call(http.MethodGet, a.path("/syncs/"+dry.SyncID), nil, http.StatusOK, &dr)
	if st := string(dr["status"]); st != `"queued"` && st != `"running"` {
		t.Errorf("the dry run behind a running one: %v", dr)
	} else {
		if string(dr["finishedAt"]) != "null" || string(dr["error"]) != "null" || string(dr["trigger"]) != `"manual"` || string(dr["dryRun"]) != "true" {
			t.Errorf("an unfinished run on the wire: %v", dr)
		}
		if sa := string(dr["startedAt"]); sa != "null" {
			if ts, err := time.Parse(`"`+time.RFC3339Nano+`"`, sa); err != nil || !strings.HasSuffix(sa, `Z"`) || ts.IsZero() {
				t.Errorf("startedAt %s is not RFC 3339 UTC", sa)
			}
		}
		// Issues of a run that has not finished: none yet, never an error.
		var issues issuePage
		status, raw := a.c.send(http.MethodGet, a.path("/errors?syncId="+dry.SyncID), nil)
		if status != http.StatusOK || json.Unmarshal(raw, &issues) != nil || issues.SyncID == nil || *issues.SyncID != dry.SyncID || len(issues.Items) != 0 {
			t.Errorf("errors of the unfinished run %s: %d %s", dry.SyncID, status, raw)
		}
	}
	a.c.refused(http.MethodPost, a.path("/syncs"), map[string]any{"dryRunn": true}, http.StatusBadRequest, "bad_request", "dryRunn")
	a.c.refused(http.MethodPost, a.path("/syncs"), map[string]any{"dryRun": "yes"}, http.StatusBadRequest, "bad_request", "dryRun")
	a.c.waitRun(a.tenant, first.SyncID)
	a.c.waitRun(a.tenant, dry.SyncID)
	a.faults(map[string]any{})

	// Unknown runs and B's run seen from A: 404, never B's data.
	for _, p := range []string{
		"/errors?syncId=manual-does-not-exist", "/syncs/manual-does-not-exist", "/syncs/manual-does-not-exist/plan",
		"/errors?syncId=" + bRun.SyncID, "/syncs/" + bRun.SyncID, "/syncs/" + bRun.SyncID + "/plan",
	} {
		e := a.c.refused(http.MethodGet, a.path(p), nil, http.StatusNotFound, "not_found", "")
		if strings.Contains(e.Error.Message, b.people[bNew]) {
			t.Errorf("GET %s leaks B's data: %+v", p, e)
		}
	}
	// B sees its own.
	var issues issuePage
	b.c.call(http.MethodGet, b.path("/errors?syncId="+bRun.SyncID), nil, http.StatusOK, &issues)
	if len(issues.Items) == 0 {
		t.Errorf("B's own errors: %+v", issues)
	}
}

func scenarioHires(t *testing.T, st *Stack) {
	f := newFixture(t, st, "hires", false, true)
	f.addPerson(true, -400)
	h1 := f.addPerson(false, 0)
	h2 := f.addPerson(false, 2)

	f.faults(map[string]any{"loseHireResponse": 1, "endpoint": "hire"})
	r := f.c.trigger(f.tenant, map[string]any{})
	f.faults(map[string]any{})
	if r.Status == "failed" {
		t.Fatalf("sync with a lost hire response: %+v", r)
	}
	var all, unknown, pending hirePage
	f.c.call(http.MethodGet, f.path("/hires"), nil, http.StatusOK, &all)
	f.c.call(http.MethodGet, f.path("/hires?state=unknown"), nil, http.StatusOK, &unknown)
	f.c.call(http.MethodGet, f.path("/hires?state=pending"), nil, http.StatusOK, &pending)
	if len(all.Items) != 2 || len(unknown.Items) != 1 || len(pending.Items) != 1 {
		t.Fatalf("hire ledger: all %+v, unknown %+v, pending %+v", all, unknown, pending)
	}
	lost, ok := unknown.Items[0].UserID, pending.Items[0].UserID
	if !(lost == h1 && ok == h2 || lost == h2 && ok == h1) || unknown.Items[0].State != "unknown" || pending.Items[0].EmployeeID == nil {
		t.Fatalf("hire ledger: unknown %+v, pending %+v", unknown.Items, pending.Items)
	}
	if got := f.hiresOf(); got[f.people[lost]] != 1 || got[f.people[ok]] != 1 {
		t.Fatalf("hire POSTs: %v", got)
	}
	f.c.refused(http.MethodGet, f.path("/hires?state=bogus"), nil, http.StatusBadRequest, "bad_request", "state")
	f.c.refused(http.MethodGet, f.path("/hires?state=submitted"), nil, http.StatusBadRequest, "bad_request", "state")

	// A second sync keeps both: warned, never hired again.
	r2 := f.c.trigger(f.tenant, map[string]any{})
	acts := f.planActions(r2.SyncID)
	if acts[lost] != "pending:hire_outcome_unknown" || acts[ok] != "pending:pending_approval" || r2.Counts["created"] != 0 {
		t.Errorf("plan of the sync after the lost response: %v (%+v)", acts, r2)
	}

	f.c.refused(http.MethodDelete, f.path("/hires/"+ok), nil, http.StatusConflict, "conflict", "")
	f.c.refused(http.MethodDelete, f.path("/hires/"+fmt.Sprintf("%024x", 0xdead)), nil, http.StatusNotFound, "not_found", "")
	f.c.call(http.MethodDelete, f.path("/hires/"+lost), nil, http.StatusNoContent, nil)
	f.c.refused(http.MethodDelete, f.path("/hires/"+lost), nil, http.StatusNotFound, "not_found", "")
	f.c.call(http.MethodGet, f.path("/hires?state=unknown"), nil, http.StatusOK, &unknown)
	if len(unknown.Items) != 0 {
		t.Errorf("unknown hires after the release: %+v", unknown.Items)
	}

	// The next sync hires the released person again, exactly once.
	r3 := f.c.trigger(f.tenant, map[string]any{})
	if r3.Counts["created"] != 1 {
		t.Errorf("sync after the release: %+v", r3)
	}
	r4 := f.c.trigger(f.tenant, map[string]any{})
	if r4.Counts["created"] != 0 || r4.Counts["pending"] != 2 {
		t.Errorf("sync after the re-hire: %+v", r4)
	}
	if got := f.hiresOf(); got[f.people[lost]] != 2 || got[f.people[ok]] != 1 {
		t.Errorf("hire POSTs after the release and two syncs: %v (want the released person twice in all, the other once)", got)
	}
	f.c.call(http.MethodGet, f.path("/hires?state=pending"), nil, http.StatusOK, &pending)
	if len(pending.Items) != 2 {
		t.Errorf("pending hires after the re-hire: %+v", pending.Items)
	}
}

func scenarioTenancy(t *testing.T, st *Stack) {
	a := newFixture(t, st, "tenancy-a", false, true)
	b := newFixture(t, st, "tenancy-b", false, true)
	b.addPerson(false, -30)
	bRun := b.c.trigger(b.tenant, map[string]any{})
	routes := []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/connection", nil},
		{http.MethodPut, "/connection", b.connectBody()},
		{http.MethodDelete, "/connection", nil},
		{http.MethodGet, "/settings", nil},
		{http.MethodPut, "/settings", provision.DefaultSettings(false)},
		{http.MethodPost, "/syncs", map[string]any{}},
		{http.MethodGet, "/syncs", nil},
		{http.MethodGet, "/syncs/" + bRun.SyncID, nil},
		{http.MethodGet, "/syncs/" + bRun.SyncID + "/plan", nil},
		{http.MethodGet, "/errors", nil},
		{http.MethodGet, "/hires", nil},
		{http.MethodDelete, "/hires/" + fmt.Sprintf("%024x", 1), nil},
	}
	for _, rt := range routes {
		a.c.refused(rt.method, b.path(rt.path), rt.body, http.StatusForbidden, "forbidden", "")
	}
	var conn connection
	b.c.call(http.MethodGet, b.path("/connection"), nil, http.StatusOK, &conn)
	if conn.Status != "connected" || conn.LastRun == nil || conn.LastRun.SyncID != bRun.SyncID {
		t.Errorf("B after A's refused calls: %+v", conn)
	}
	// The admin token reads every tenant.
	for _, rt := range routes {
		if rt.method != http.MethodGet {
			continue
		}
		for _, f := range []*fixture{a, b} {
			status, raw := a.admin.send(rt.method, f.path(rt.path), nil)
			want := http.StatusOK
			if f == a && strings.Contains(rt.path, bRun.SyncID) {
				want = http.StatusNotFound
			}
			if status != want {
				t.Errorf("admin GET %s: %d %s, want %d", f.path(rt.path), status, raw, want)
			}
		}
	}

	other := func(tok string) apiClient { return apiClient{t: t, base: st.APIURL, token: tok} }
	now := time.Now()
	expired := mint(t, scenarioSecret, jwt.MapClaims{"sub": "x", "tenant_id": a.tenant, "exp": now.Add(-time.Minute).Unix()})
	foreign := mint(t, "another-secret", jwt.MapClaims{"sub": "x", "tenant_id": a.tenant, "exp": now.Add(time.Hour).Unix()})
	foreignAdmin := mint(t, "another-secret", jwt.MapClaims{"sub": "x", "scope": "trinet-sync:admin", "exp": now.Add(time.Hour).Unix()})
	noExp := mint(t, scenarioSecret, jwt.MapClaims{"sub": "x", "tenant_id": a.tenant})
	noSub := mint(t, scenarioSecret, jwt.MapClaims{"tenant_id": a.tenant, "exp": now.Add(time.Hour).Unix()})
	none := strings.Join(strings.Split(expired, ".")[:2], ".") + "."
	for name, tok := range map[string]string{"expired": expired, "other secret": foreign, "other secret, admin": foreignAdmin,
		"no exp": noExp, "no sub": noSub, "unsigned": none, "none": "", "garbage": "abc.def.ghi"} {
		e := other(tok).refused(http.MethodGet, a.path("/connection"), nil, http.StatusUnauthorized, "unauthorized", "")
		if e.Error.Code != "unauthorized" {
			t.Errorf("token %s: %+v", name, e)
		}
	}
	// Tenant ids are lower case: a token naming "Tenancy-A" reaches neither
	// spelling; the upper-case path is refused before anything else.
	upper := other(mint(t, scenarioSecret, jwt.MapClaims{"sub": "x", "tenant_id": strings.ToUpper(a.tenant), "exp": now.Add(time.Hour).Unix()}))
	upper.refused(http.MethodGet, a.path("/connection"), nil, http.StatusForbidden, "forbidden", "")
	upper.refused(http.MethodGet, "/v1/tenants/"+strings.ToUpper(a.tenant)+"/connection", nil, http.StatusBadRequest, "bad_request", "tenant")
	a.admin.refused(http.MethodGet, "/v1/tenants/"+strings.ToUpper(a.tenant)+"/connection", nil, http.StatusBadRequest, "bad_request", "tenant")
	a.admin.refused(http.MethodGet, "/v1/tenants/-lead/connection", nil, http.StatusBadRequest, "bad_request", "tenant")
	a.admin.refused(http.MethodGet, "/v1/tenants/"+strings.Repeat("a", 64)+"/connection", nil, http.StatusBadRequest, "bad_request", "tenant")
	// A token with no tenant and no admin scope reaches no tenant.
	bare := other(mint(t, scenarioSecret, jwt.MapClaims{"sub": "x", "exp": now.Add(time.Hour).Unix()}))
	bare.refused(http.MethodGet, a.path("/connection"), nil, http.StatusForbidden, "forbidden", "")
	// The router's own answers are the contract's JSON.
	a.c.refused(http.MethodGet, "/v1/nothing-here", nil, http.StatusNotFound, "not_found", "")
	a.c.refused(http.MethodPatch, a.path("/settings"), map[string]any{}, http.StatusMethodNotAllowed, "method_not_allowed", "")
	if status, raw := httpJSON(t, http.MethodGet, st.APIURL+"/healthz", "", nil); status != http.StatusOK {
		t.Errorf("healthz: %d %s", status, raw)
	}
}

func scenarioSettings(t *testing.T, st *Stack) {
	f := newFixture(t, st, "settings", false, true)
	var before provision.Settings
	f.c.call(http.MethodGet, f.path("/settings"), nil, http.StatusOK, &before)
	for _, m := range before.Mappings {
		if strings.HasPrefix(m.Source, "scim.") {
			t.Errorf("a connection without SCIM shows a SCIM mapping: %+v", m)
		}
	}
	with := func(edit func(s *provision.Settings)) provision.Settings {
		s := provision.Settings{AutoCreateNewHires: before.AutoCreateNewHires, MassCreateMaxPercent: before.MassCreateMaxPercent,
			Mappings: slices.Clone(before.Mappings)}
		edit(&s)
		return s
	}
	fieldHas := func(what string, e apiError, parts ...string) {
		for _, p := range parts {
			if !strings.Contains(e.Error.Field, p) {
				t.Errorf("%s: field %q does not name %q (%+v)", what, e.Error.Field, p, e)
			}
		}
	}
	e := f.c.refused(http.MethodPut, f.path("/settings"), with(func(s *provision.Settings) {
		s.Mappings = append(s.Mappings, provision.Mapping{Target: "gender", Source: "scim.gender"})
	}), http.StatusBadRequest, "bad_request", "")
	fieldHas("SCIM source without a SCIM token", e, "source")
	big := map[string]string{}
	for i := range 501 {
		big[fmt.Sprintf("title %d", i)] = fmt.Sprintf("Title %d", i)
	}
	e = f.c.refused(http.MethodPut, f.path("/settings"), with(func(s *provision.Settings) {
		for i := range s.Mappings {
			if s.Mappings[i].Target == "jobTitle" {
				s.Mappings[i].ValueMap = big
			}
		}
	}), http.StatusBadRequest, "bad_request", "")
	fieldHas("501 value-map entries", e, "valueMap")
	e = f.c.refused(http.MethodPut, f.path("/settings"), with(func(s *provision.Settings) {
		s.Mappings = slices.DeleteFunc(s.Mappings, func(m provision.Mapping) bool { return m.Target == "lastName" })
	}), http.StatusBadRequest, "bad_request", "")
	if !strings.Contains(e.Error.Field+e.Error.Message, "lastName") {
		t.Errorf("leaving out lastName: %+v", e)
	}
	e = f.c.refused(http.MethodPut, f.path("/settings"), with(func(s *provision.Settings) {
		s.Mappings = append(s.Mappings, provision.Mapping{Target: "shoeSize", Source: "title"})
	}), http.StatusBadRequest, "bad_request", "")
	fieldHas("unknown target", e, "target")
	f.c.refused(http.MethodPut, f.path("/settings"), with(func(s *provision.Settings) { s.MassCreateMaxPercent = 101 }),
		http.StatusBadRequest, "bad_request", "massCreateMaxPercent")
	f.c.refused(http.MethodPut, f.path("/settings"), map[string]any{"autoCreateNewHires": true, "massCreateMaxPercent": 20,
		"mappings": before.Mappings, "autoCreate": true}, http.StatusBadRequest, "bad_request", "autoCreate")
	f.c.refused(http.MethodPut, f.path("/settings"), map[string]any{"autoCreateNewHires": "yes", "massCreateMaxPercent": 20,
		"mappings": before.Mappings}, http.StatusBadRequest, "bad_request", "autoCreateNewHires")
	huge := with(func(s *provision.Settings) {
		s.Mappings = append(s.Mappings, provision.Mapping{Target: "customGroupA", Source: "const:" + strings.Repeat("x", 70<<10)})
	})
	f.c.refused(http.MethodPut, f.path("/settings"), huge, http.StatusRequestEntityTooLarge, "payload_too_large", "")
	f.c.refused(http.MethodPost, f.path("/syncs"), map[string]any{"dryRun": true, "pad": strings.Repeat("x", 70<<10)},
		http.StatusRequestEntityTooLarge, "payload_too_large", "")

	// Nothing refused was saved.
	var after provision.Settings
	f.c.call(http.MethodGet, f.path("/settings"), nil, http.StatusOK, &after)
	a, _ := json.Marshal(after)
	b, _ := json.Marshal(before)
	if string(a) != string(b) {
		t.Errorf("settings changed by refused PUTs:\n%s\nwas\n%s", a, b)
	}
	// A good PUT answers and keeps what was saved.
	good := with(func(s *provision.Settings) {
		s.MassCreateMaxPercent = 35
		s.Mappings = append(s.Mappings, provision.Mapping{Target: "employeeType", Source: "const:Full", ValueMap: map[string]string{"Full": "F"}})
	})
	var saved provision.Settings
	f.c.call(http.MethodPut, f.path("/settings"), good, http.StatusOK, &saved)
	f.c.call(http.MethodGet, f.path("/settings"), nil, http.StatusOK, &after)
	if after.MassCreateMaxPercent != 35 || len(after.Mappings) != len(good.Mappings) || saved.MassCreateMaxPercent != 35 {
		t.Errorf("saved settings: %+v, answered %+v", after, saved)
	}
}

func scenarioDryThenReal(t *testing.T, st *Stack) {
	f := newFixture(t, st, "dryreal", false, true)
	linked := []string{f.addPerson(true, -400), f.addPerson(true, -300)}
	newbies := []string{f.addPerson(false, 0), f.addPerson(false, 1), f.addPerson(false, 10)}

	dry := f.c.trigger(f.tenant, map[string]any{"dryRun": true})
	if !dry.DryRun || dry.Status != "succeeded" || dry.Counts["created"] != 3 || dry.Counts["linked"] != 2 {
		t.Fatalf("dry run: %+v", dry)
	}
	acts := f.planActions(dry.SyncID)
	var planned []string
	for id, a := range acts {
		if a == "create" {
			planned = append(planned, id)
		}
	}
	slices.Sort(planned)
	want := slices.Clone(newbies)
	slices.Sort(want)
	if !slices.Equal(planned, want) {
		t.Errorf("dry run plans creates for %v, want %v (%v)", planned, want, acts)
	}
	if ws := trinetWrites(t, f.tnBase, f.co); len(ws) != 0 {
		t.Fatalf("the dry run wrote to TriNet: %+v", ws)
	}
	var hires hirePage
	f.c.call(http.MethodGet, f.path("/hires"), nil, http.StatusOK, &hires)
	if len(hires.Items) != 0 {
		t.Errorf("the dry run wrote hire ledger entries: %+v", hires.Items)
	}
	// No link was stored: a second dry run still links the same people.
	dry2 := f.c.trigger(f.tenant, map[string]any{"dryRun": true})
	for _, id := range linked {
		if a := f.planActions(dry2.SyncID)[id]; a != "link" {
			t.Errorf("second dry run: %s is %q, want link (a dry run stores no link)", id, a)
		}
	}

	live := f.c.trigger(f.tenant, map[string]any{})
	if live.DryRun || live.Counts["created"] != 3 || live.Counts["linked"] != 2 {
		t.Fatalf("real run: %+v", live)
	}
	got := f.hiresOf()
	for _, id := range newbies {
		if got[f.people[id]] != 1 {
			t.Errorf("TriNet hires for %s: %d, want 1 (%v)", f.people[id], got[f.people[id]], got)
		}
	}
	if len(got) != 3 {
		t.Errorf("TriNet hires: %v, want exactly the 3 planned", got)
	}
	again := f.c.trigger(f.tenant, map[string]any{})
	if again.Counts["created"] != 0 || again.Counts["linked"] != 0 || again.Counts["unchanged"] != 2 || again.Counts["pending"] != 3 {
		t.Errorf("sync after the real run: %+v", again)
	}
}

func scenarioMassCreate(t *testing.T, st *Stack) {
	f := newFixture(t, st, "brake", false, true)
	var linked []string
	for range 22 {
		linked = append(linked, f.addPerson(true, -400))
	}
	first := f.c.trigger(f.tenant, map[string]any{})
	if first.Counts["linked"] != 22 || first.Status != "succeeded" {
		t.Fatalf("first sync: %+v", first)
	}
	var newbies []string
	for range 8 {
		newbies = append(newbies, f.addPerson(false, 1))
	}
	// Everything else is applied while the creates are held.
	f.sandbox(http.MethodPut, f.lsAdmin+"/_admin/tenants/"+f.ls+"/employees/"+linked[0], map[string]any{"title": "Principal Engineer"})

	held := f.c.trigger(f.tenant, map[string]any{})
	if held.Counts["held"] != 8 || held.Counts["created"] != 0 || held.Counts["updated"] != 1 {
		t.Errorf("sync with 8 new of 30: %+v", held)
	}
	acts := f.planActions(held.SyncID)
	for _, id := range newbies {
		if acts[id] != "held:mass_create_held" {
			t.Errorf("plan of %s: %q, want held:mass_create_held", id, acts[id])
		}
	}
	if got := f.hiresOf(); len(got) != 0 {
		t.Fatalf("held creates reached TriNet: %v", got)
	}
	var issues issuePage
	f.c.call(http.MethodGet, f.path("/errors"), nil, http.StatusOK, &issues)
	heldIssues := 0
	for _, it := range issues.Items {
		if it.Code == "mass_create_held" {
			heldIssues++
		}
	}
	if heldIssues == 0 {
		t.Errorf("the held run's issues do not say mass_create_held: %+v", issues.Items)
	}
	// A dry run with confirmCreates plans the creates and writes nothing.
	dry := f.c.trigger(f.tenant, map[string]any{"dryRun": true, "confirmCreates": true})
	if dry.Counts["created"] != 8 || dry.Counts["held"] != 0 {
		t.Errorf("dry run confirming creates: %+v", dry)
	}
	if got := f.hiresOf(); len(got) != 0 {
		t.Fatalf("the dry run hired: %v", got)
	}
	confirmed := f.c.trigger(f.tenant, map[string]any{"confirmCreates": true})
	if confirmed.Counts["created"] != 8 || confirmed.Counts["held"] != 0 {
		t.Errorf("confirmed sync: %+v", confirmed)
	}
	got := f.hiresOf()
	for _, id := range newbies {
		if got[f.people[id]] != 1 {
			t.Errorf("hires of %s: %d, want 1", f.people[id], got[f.people[id]])
		}
	}
}
