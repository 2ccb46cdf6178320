package localstack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Identity through the HTTP API only, against one stack as `make run` starts
// it: a tenant moving from a TriNet test company to production (issue 9,
// defect 1), and the admins' manual links.

type linkPage struct {
	Items []struct {
		UserID     string  `json:"userId"`
		EmployeeID *string `json:"employeeId"`
		Email      *string `json:"email"`
		Origin     string  `json:"origin"`
		LinkedAt   *string `json:"linkedAt"`
	} `json:"items"`
	NextToken *string `json:"nextToken"`
}

// linksOf maps each linked person to their employee ("" for keep-out).
func (f *fixture) linksOf() map[string]string {
	f.t.Helper()
	var p linkPage
	f.c.call(http.MethodGet, f.path("/links?limit=1000"), nil, http.StatusOK, &p)
	out := map[string]string{}
	for _, l := range p.Items {
		out[l.UserID] = ""
		if l.EmployeeID != nil {
			out[l.UserID] = *l.EmployeeID
		}
	}
	return out
}

// addCompany makes another TriNet company in the sandbox, with the fixture's
// department and location, and answers its connect body.
func (f *fixture) addCompany(id string) map[string]any {
	f.t.Helper()
	clientID, secret := "client-"+strings.ToLower(id), "secret-"+strings.ToLower(id)
	f.sandbox(http.MethodPost, f.tnBase+"/_admin/companies", map[string]any{
		"id": id, "name": "Company " + id, "clientId": clientID, "clientSecret": secret,
		"departments": []map[string]any{{"id": "D1", "name": "Engineering"}},
		"locations":   []map[string]any{{"id": "L1", "name": "San Francisco", "country": "US"}},
	})
	body := f.connectBody()
	body["trinet"] = map[string]any{"companyId": id, "clientId": clientID, "clientSecret": secret}
	return body
}

// addEmployee adds an employee to a TriNet company and answers its id.
func (f *fixture) addEmployee(co string, fields map[string]any) string {
	f.t.Helper()
	doc := map[string]any{"firstName": "Pat", "lastName": "Someone", "status": "A", "approvalStatus": "A",
		"startDate": time.Now().UTC().AddDate(-1, 0, 0).Format(time.DateOnly), "title": "Engineer", "deptId": "D1",
		"locationId": "L1", "country": "US"}
	for k, v := range fields {
		doc[k] = v
	}
	raw := f.sandbox(http.MethodPost, f.tnBase+"/_admin/companies/"+co+"/employees", doc)
	var env struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || env.Data.ID == "" {
		f.t.Fatalf("add employee to %s: %v %s", co, err, raw)
	}
	return env.Data.ID
}

// hirePOSTsTo counts the hire POSTs a company received per work email.
func (f *fixture) hirePOSTsTo(co string) map[string]int {
	f.t.Helper()
	out := map[string]int{}
	for _, w := range trinetWrites(f.t, f.tnBase, co) {
		if w.Endpoint != "hire" || w.Method != http.MethodPost {
			continue
		}
		var body struct {
			EmploymentInfo struct {
				WorkEmail string `json:"workEmail"`
			} `json:"employmentInfo"`
		}
		if err := json.Unmarshal(w.Body, &body); err != nil {
			f.t.Fatalf("hire body: %v", err)
		}
		out[body.EmploymentInfo.WorkEmail]++
	}
	return out
}

// writesTo are the update PUTs a company received for one employee.
func (f *fixture) writesTo(co, employeeID string) []trinetWrite {
	var out []trinetWrite
	for _, w := range trinetWrites(f.t, f.tnBase, co) {
		if strings.Contains(w.Path, "/"+employeeID+"/") {
			out = append(out, w)
		}
	}
	return out
}

// employeeIDOf is the id of the employee with a work email in a company.
func (f *fixture) employeeIDOf(co, email string) string {
	f.t.Helper()
	var env struct {
		Data []struct {
			ID        string `json:"id"`
			WorkEmail string `json:"workEmail"`
		} `json:"data"`
	}
	if err := json.Unmarshal(f.sandbox(http.MethodGet, f.tnBase+"/_admin/companies/"+co+"/employees", nil), &env); err != nil {
		f.t.Fatal(err)
	}
	for _, e := range env.Data {
		if e.WorkEmail == email {
			return e.ID
		}
	}
	return ""
}

func (f *fixture) hireOf(userID string) (state, employeeID string) {
	f.t.Helper()
	var p hirePage
	f.c.call(http.MethodGet, f.path("/hires"), nil, http.StatusOK, &p)
	for _, h := range p.Items {
		if h.UserID == userID {
			if h.EmployeeID != nil {
				employeeID = *h.EmployeeID
			}
			return h.State, employeeID
		}
	}
	return "", ""
}

func TestAPIScenarioIdentity(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	st := startStack(t, ctx, Config{
		DataDir: t.TempDir(), APIAddr: "127.0.0.1:0", SyncInterval: 24 * time.Hour, JWTSecret: scenarioSecret,
		DemoTenant: "", Logger: testLogger(),
	})
	defer st.Close()
	t.Run("switch from a TriNet test company to production", func(t *testing.T) { scenarioCompanySwitch(t, st) })
	t.Run("manual links", func(t *testing.T) { scenarioManualLinks(t, st) })
}

// Issue 9, defect 1. A tenant starts on a TriNet test company: Ada and Ben
// are linked there and Cleo is hired there (pending). The admin then
// connects production, where TriNet's ids 00000001… belong to strangers.
// Nobody's data may reach a stranger: Ada and Ben are linked by email in
// production, Cleo is hired in production (once) rather than left unknown.
// Going back to the test company finds its links and hires as they were.
func scenarioCompanySwitch(t *testing.T, st *Stack) {
	f := newFixture(t, st, "switch", false, true)
	ada, ben := f.addPerson(true, -400), f.addPerson(true, -400)
	cleo := f.addPerson(false, 2)
	r1 := f.c.trigger(f.tenant, map[string]any{})
	if r1.Status != "succeeded" {
		t.Fatalf("first sync in the test company: %+v", r1)
	}
	testLinks := map[string]string{ada: f.employeeIDOf(f.co, f.people[ada]), ben: f.employeeIDOf(f.co, f.people[ben])}
	_, cleoTestID := f.hireOf(cleo)
	if testLinks[ada] == "" || testLinks[ben] == "" || cleoTestID == "" {
		t.Fatalf("test company: ids %v, Cleo's hire %q", testLinks, cleoTestID)
	}

	prod := "PROD-" + strings.ToUpper(f.tenant)
	prodBody := f.addCompany(prod)
	// Production numbers its employees from 00000001 too: the test company's
	// ids of Ada, Ben and Cleo's hire are strangers' here.
	strangers := map[string]bool{}
	for i := 1; len(strangers) == 0 || !strangers[testLinks[ada]] || !strangers[testLinks[ben]] || !strangers[cleoTestID]; i++ {
		id := f.addEmployee(prod, map[string]any{"firstName": "Stranger", "lastName": fmt.Sprint(i), "title": "CFO",
			"workEmail": fmt.Sprintf("stranger%d@prod.example", i)})
		strangers[id] = true
		if i > 20 {
			t.Fatalf("production ids never reached the test company's: %v", strangers)
		}
	}
	adaProd := f.addEmployee(prod, map[string]any{"workEmail": f.people[ada]})
	benProd := f.addEmployee(prod, map[string]any{"workEmail": f.people[ben]})

	var conn connection
	f.c.call(http.MethodPut, f.path("/connection"), prodBody, http.StatusOK, &conn)
	if conn.CompanyID != prod {
		t.Fatalf("connection %+v", conn)
	}
	r2 := f.c.trigger(f.tenant, map[string]any{})
	acts := f.planActions(r2.SyncID)
	for id := range strangers {
		if w := f.writesTo(prod, id); len(w) != 0 {
			t.Errorf("production employee %s, a stranger, received %d write(s): %s %s", id, len(w), w[0].Path, w[0].Body)
		}
	}
	if acts[ada] != "link" || acts[ben] != "link" {
		t.Errorf("Ada %q, Ben %q in production: want both linked by email (%+v)", acts[ada], acts[ben], r2)
	}
	if acts[cleo] != "create" || f.hirePOSTsTo(prod)[f.people[cleo]] != 1 {
		t.Errorf("Cleo in production: %q, hire POSTs %v; want her hired there once", acts[cleo], f.hirePOSTsTo(prod))
	}
	if state, id := f.hireOf(cleo); state != "pending" || id == "" || id == cleoTestID && strangers[id] {
		t.Errorf("Cleo's hire in production: %s %q", state, id)
	}
	if links := f.linksOf(); links[ada] != adaProd || links[ben] != benProd || len(links) != 2 {
		t.Errorf("links in production %v, want Ada→%s and Ben→%s alone", links, adaProd, benProd)
	}

	// Back to the test company: its links and its pending hire are as they were.
	f.c.call(http.MethodPut, f.path("/connection"), f.connectBody(), http.StatusOK, &conn)
	r3 := f.c.trigger(f.tenant, map[string]any{})
	acts = f.planActions(r3.SyncID)
	if unchanged := map[string]bool{"": true, "unchanged": true}; !unchanged[acts[ada]] || !unchanged[acts[ben]] || acts[cleo] != "pending:pending_approval" {
		t.Errorf("back in the test company: %v, want Ada and Ben unchanged, Cleo pending", acts)
	}
	if links := f.linksOf(); links[ada] != testLinks[ada] || links[ben] != testLinks[ben] {
		t.Errorf("the test company's links %v, want %v", links, testLinks)
	}
	if n := f.hirePOSTsTo(f.co)[f.people[cleo]]; n != 1 {
		t.Errorf("Cleo hired %d times in the test company", n)
	}

	// A revocation removes the links (of every company) and keeps the ledger.
	f.c.call(http.MethodDelete, f.path("/connection"), nil, http.StatusNoContent, nil)
	if links := f.linksOf(); len(links) != 0 {
		t.Errorf("links after the revocation %v", links)
	}
	f.c.call(http.MethodPut, f.path("/connection"), prodBody, http.StatusOK, &conn)
	r4 := f.c.trigger(f.tenant, map[string]any{})
	acts = f.planActions(r4.SyncID)
	if acts[ada] != "link" || acts[cleo] != "pending:pending_approval" || f.hirePOSTsTo(prod)[f.people[cleo]] != 1 {
		t.Errorf("production after a revocation: %v, hires %v", acts, f.hirePOSTsTo(prod))
	}
}

// Manual links: an admin links a person whose emails differ between the
// systems, keeps a person out, and removes a decision; the checks answer
// 404 and 409 as the contract says.
func scenarioManualLinks(t *testing.T, st *Stack) {
	f := newFixture(t, st, "links", false, true)
	ada := f.addPerson(true, -400)
	bob := f.addPerson(false, -400)
	bobTN := f.addEmployee(f.co, map[string]any{"firstName": "Robert", "lastName": "Legacy", "title": "Old title",
		"workEmail": "robert@legacy.example"})
	gone := f.addEmployee(f.co, map[string]any{"status": "T", "workEmail": "gone@legacy.example"})
	f.c.trigger(f.tenant, map[string]any{})
	adaTN := f.linksOf()[ada]
	if adaTN == "" {
		t.Fatal("Ada not linked by email")
	}
	link := func(user string) string { return f.path("/links/" + url.PathEscape(user)) }

	f.c.refused(http.MethodPut, link(bob), map[string]any{"employeeId": "99999999"}, http.StatusNotFound, "not_found", "employeeId")
	f.c.refused(http.MethodPut, link(bob), map[string]any{"employeeId": gone}, http.StatusConflict, "conflict", "employeeId")
	f.c.refused(http.MethodPut, link(bob), map[string]any{"employeeId": adaTN}, http.StatusConflict, "conflict", "employeeId")
	f.c.refused(http.MethodPut, link(bob), map[string]any{}, http.StatusBadRequest, "bad_request", "employeeId")
	f.c.refused(http.MethodPut, link(bob), map[string]any{"employeeId": 7}, http.StatusBadRequest, "bad_request", "employeeId")
	f.c.refused(http.MethodPut, link(bob), map[string]any{"employeeId": "  "}, http.StatusBadRequest, "bad_request", "employeeId")

	var l struct {
		UserID     string  `json:"userId"`
		EmployeeID *string `json:"employeeId"`
		Email      *string `json:"email"`
		Origin     string  `json:"origin"`
	}
	f.c.call(http.MethodPut, link(bob), map[string]any{"employeeId": bobTN}, http.StatusOK, &l)
	if l.Origin != "manual" || l.EmployeeID == nil || *l.EmployeeID != bobTN || l.Email == nil || *l.Email != "robert@legacy.example" {
		t.Fatalf("manual link %+v", l)
	}
	r := f.c.trigger(f.tenant, map[string]any{})
	if acts := f.planActions(r.SyncID); acts[bob] != "update" {
		t.Errorf("Bob after the manual link: %q, want his TriNet record updated", acts[bob])
	}
	if w := f.writesTo(f.co, bobTN); len(w) == 0 {
		t.Error("nothing written to Bob's record")
	}

	// Keep Ada out: her change in Leapsome is not written.
	f.c.call(http.MethodPut, link(ada), map[string]any{"employeeId": nil}, http.StatusOK, &l)
	if l.EmployeeID != nil || l.Origin != "manual" {
		t.Fatalf("keep-out %+v", l)
	}
	f.sandbox(http.MethodPut, f.lsAdmin+"/_admin/tenants/"+f.ls+"/employees/"+ada, map[string]any{"title": "Chief Scientist"})
	before := len(f.writesTo(f.co, adaTN))
	r = f.c.trigger(f.tenant, map[string]any{})
	if acts := f.planActions(r.SyncID); acts[ada] != "excluded:excluded_by_admin" {
		t.Errorf("Ada kept out: %q", acts[ada])
	}
	if n := len(f.writesTo(f.co, adaTN)); n != before {
		t.Errorf("%d write(s) to a person an admin keeps out", n-before)
	}
	// One link a page: Ada's decision and Bob's link, each once.
	var walked []string
	for q, pages := "/links?limit=1", 0; pages < 5; pages++ {
		var page linkPage
		f.c.call(http.MethodGet, f.path(q), nil, http.StatusOK, &page)
		if len(page.Items) > 1 {
			t.Fatalf("limit=1 answered %d links", len(page.Items))
		}
		for _, it := range page.Items {
			walked = append(walked, it.UserID)
		}
		if page.NextToken == nil {
			break
		}
		q = "/links?limit=1&nextToken=" + url.QueryEscape(*page.NextToken)
	}
	if strings.Join(walked, ",") != ada+","+bob {
		t.Errorf("links walked one a page: %v, want %s then %s", walked, ada, bob)
	}

	// Dropping the decision lets email matching link her again.
	f.c.call(http.MethodDelete, link(ada), nil, http.StatusNoContent, nil)
	f.c.refused(http.MethodDelete, link(ada), nil, http.StatusNotFound, "not_found", "")
	r = f.c.trigger(f.tenant, map[string]any{})
	if acts := f.planActions(r.SyncID); acts[ada] != "link" {
		t.Errorf("Ada after the decision was dropped: %q", acts[ada])
	}

	idle := newFixture(t, st, "links-idle", false, false)
	idle.c.refused(http.MethodPut, idle.path("/links/"+ada), map[string]any{"employeeId": nil}, http.StatusConflict, "not_connected", "")
	var none linkPage
	idle.c.call(http.MethodGet, idle.path("/links"), nil, http.StatusOK, &none)
	if len(none.Items) != 0 {
		t.Errorf("links of a tenant never connected %+v", none)
	}
}
