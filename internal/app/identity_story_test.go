package app_test

// The admins' stories behind issue 9 ("Identity that cannot go wrong"), run
// through the real parts: the store on dynalite, the worker, and the TriNet
// and Leapsome sandboxes over HTTP; the stories that change the connection go
// through the HTTP API. Each names the numbered defect of the issue it
// reproduces; the engine's rule-by-rule tests are in internal/provision.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"trinetsync/internal/api"
	"trinetsync/internal/app"
	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
	leapsomesandbox "trinetsync/internal/sandbox/leapsome"
	trinetsandbox "trinetsync/internal/sandbox/trinet"
	"trinetsync/internal/store"
)

// issueNaming is the person's issue with code, and whether its message names
// every one of ids.
func issueNaming(issues []provision.Issue, userID, code string, ids ...string) (provision.Issue, bool) {
	for _, is := range issues {
		if is.UserID != userID || is.Code != code {
			continue
		}
		for _, id := range ids {
			if !strings.Contains(is.Message, id) {
				return is, false
			}
		}
		return is, true
	}
	return provision.Issue{}, false
}

// trinetEmployee is a TriNet record of p in company co under id, started a
// year ago.
func (e *env) trinetEmployee(p person, id string) trinetsandbox.Employee {
	return trinetsandbox.Employee{
		ID: id, FirstName: p.first, LastName: p.last, Gender: "F", BirthDate: "1990-01-02", Country: "US",
		StartDate: time.Now().UTC().AddDate(-1, 0, 0).Format(time.DateOnly), Title: p.title, EmployeeType: "F",
		FLSACode: "E", StandardHours: "40", WorkEmail: e.email(p), LocationID: "SF1", DeptID: "D1", ApprovalStatus: "A",
	}
}

// Defect 2. A new hire waits for approval in TriNet; meanwhile HR keys the
// same person in by hand. The next run must not link the hand-keyed record
// and drop the hire's id: it reports both ids and writes to neither, and the
// ledger keeps the hire's id. When TriNet approves the hire, the person is
// linked to it and the hand-keyed record is reported as a duplicate, never
// written.
func TestStoryHRKeysAPersonByHandWhileTheHireIsPending(t *testing.T) {
	t.Parallel()
	ada, ben := cleanPeople()[0], cleanPeople()[1]
	cleo := person{n: 3, first: "Cleo", last: "Hopper", title: "Engineer", dept: "Engineering", startDays: 0}
	e := newEnv(t, withPeople([]person{ada, ben, cleo}))
	e.connect(true)
	e.handle(e.runner, e.job("sched-hire", provision.TriggerSchedule, false))
	hire := e.hires()[e.userID(cleo)]
	if hire.State != provision.HirePending || hire.EmployeeID == "" {
		t.Fatalf("Cleo's hire %+v, want pending with an id", hire)
	}

	byHand, err := inf.TriNet.PutEmployee(e.company, e.trinetEmployee(cleo, ""))
	if err != nil {
		t.Fatal(err)
	}
	inf.TriNet.ResetCounters(e.company)
	r2 := e.handle(e.runner, e.job("sched-hand-keyed", provision.TriggerSchedule, false))
	it := e.planOf(r2.SyncID)[e.userID(cleo)]
	if it.Action != provision.ActionError || it.Code != "duplicate_employee" {
		t.Errorf("Cleo after the hand-keyed record: %+v, want error duplicate_employee", it)
	}
	if is, ok := issueNaming(e.issuesOf(r2.SyncID), e.userID(cleo), "duplicate_employee", hire.EmployeeID, byHand.ID); !ok {
		t.Errorf("issue %+v: must be an error naming both %s and %s", is, hire.EmployeeID, byHand.ID)
	}
	if w := e.trinetWrites(); len(w) != 0 {
		t.Errorf("%d TriNet writes, want none to either record: %+v", len(w), w)
	}
	if h := e.hires()[e.userID(cleo)]; h.EmployeeID != hire.EmployeeID || h.State != provision.HirePending {
		t.Errorf("ledger %+v: the hire's id %s must be kept", h, hire.EmployeeID)
	}
	if l, ok := e.links()[e.userID(cleo)]; ok {
		t.Errorf("Cleo linked to %s, want no link until an admin decides", l)
	}

	// TriNet approves the hire: two active records share the email.
	if err := inf.TriNet.Approve(e.company, hire.EmployeeID); err != nil {
		t.Fatal(err)
	}
	r3 := e.handle(e.runner, e.job("sched-approved", provision.TriggerSchedule, false))
	if it := e.planOf(r3.SyncID)[e.userID(cleo)]; it.Action != provision.ActionLink {
		t.Errorf("Cleo once her hire is approved: %+v, want linked to it", it)
	}
	if l := e.links()[e.userID(cleo)]; l != hire.EmployeeID {
		t.Errorf("Cleo linked to %q, want her hire %s", l, hire.EmployeeID)
	}
	if is, ok := issueNaming(e.issuesOf(r3.SyncID), e.userID(cleo), "duplicate_in_trinet", hire.EmployeeID, byHand.ID); !ok {
		t.Errorf("issue %+v: the duplicate must be reported naming both records", is)
	}
	if w := writesTo(e.company, byHand.ID); len(w) != 0 {
		t.Errorf("the hand-keyed record was written: %+v", w)
	}
}

// After defect 2's report an admin links the person to the hand-keyed record
// (PUT …/links/{userId}): from then on the sync writes to that record only.
func TestStoryAdminLinksTheHandKeyedRecord(t *testing.T) {
	t.Parallel()
	ada := cleanPeople()[0]
	cleo := person{n: 3, first: "Cleo", last: "Hopper", title: "Engineer", dept: "Engineering", startDays: 0}
	e := newEnv(t, withPeople([]person{ada, cleo}))
	e.connect(true)
	ctx := ctxFor(t)
	e.handle(e.runner, e.job("sched-hire", provision.TriggerSchedule, false))
	hire := e.hires()[e.userID(cleo)]
	hand := e.trinetEmployee(cleo, "")
	hand.Title = "Intern"
	byHand, err := inf.TriNet.PutEmployee(e.company, hand)
	if err != nil {
		t.Fatal(err)
	}
	// The checks: an employee TriNet does not list, a terminated one, one linked to someone else.
	wantClass(t, errOf(e.svc.SetLink(ctx, e.tenant, e.userID(cleo), "99999999")), fault.NotFound, "employeeId")
	wantClass(t, errOf(e.svc.SetLink(ctx, e.tenant, e.userID(cleo), hire.EmployeeID)), fault.NotFound, "employeeId")
	e.handle(e.runner, e.job("sched-link-ada", provision.TriggerSchedule, false))
	wantClass(t, errOf(e.svc.SetLink(ctx, e.tenant, e.userID(cleo), ada.employeeID)), fault.Conflict, "employeeId")

	l, err := e.svc.SetLink(ctx, e.tenant, e.userID(cleo), byHand.ID)
	if err != nil || l.Origin != provision.OriginManual || l.EmployeeID != byHand.ID || l.Email != e.email(cleo) {
		t.Fatalf("SetLink: %+v %v", l, err)
	}
	inf.TriNet.ResetCounters(e.company)
	r := e.handle(e.runner, e.job("sched-after-link", provision.TriggerSchedule, false))
	if it := e.planOf(r.SyncID)[e.userID(cleo)]; it.Action != provision.ActionUpdate {
		t.Errorf("Cleo %+v, want the hand-keyed record updated", it)
	}
	if got, _ := inf.TriNet.Employee(e.company, byHand.ID); got.Title != cleo.title {
		t.Errorf("hand-keyed record's title %q, want %q", got.Title, cleo.title)
	}
	if n := len(hirePosts(e.company)); n != 0 {
		t.Errorf("%d hire POSTs after the link", n)
	}
	// The hire is approved later: reported as the duplicate, never written.
	if err := inf.TriNet.Approve(e.company, hire.EmployeeID); err != nil {
		t.Fatal(err)
	}
	r = e.handle(e.runner, e.job("sched-hire-approved", provision.TriggerSchedule, false))
	if _, ok := issueNaming(e.issuesOf(r.SyncID), e.userID(cleo), "duplicate_in_trinet", hire.EmployeeID, byHand.ID); !ok {
		t.Errorf("no duplicate_in_trinet naming both records: %+v", e.issuesOf(r.SyncID))
	}
	if w := writesTo(e.company, hire.EmployeeID); len(w) != 0 {
		t.Errorf("the hire's record was written although the admin linked the other: %+v", w)
	}
	// Removing the admin's link lets email matching decide again.
	if err := e.svc.DeleteLink(ctx, e.tenant, e.userID(cleo)); err != nil {
		t.Fatal(err)
	}
	wantClass(t, e.svc.DeleteLink(ctx, e.tenant, e.userID(cleo)), fault.NotFound, "")
	if _, ok := e.links()[e.userID(cleo)]; ok {
		t.Error("link still there after DeleteLink")
	}
}

func errOf(_ provision.Link, err error) error { return err }

// Defect 4, a typo'd duplicate. Someone adds a second Leapsome person with
// Ada's work email. Ada, who is linked, keeps syncing; only the new,
// unlinked person is blocked.
func TestStoryATypoedDuplicateInLeapsome(t *testing.T) {
	t.Parallel()
	ada := cleanPeople()[0]
	e := newEnv(t, withPeople(cleanPeople()[:2]))
	e.connect(true)
	e.handle(e.runner, e.job("sched-first", provision.TriggerSchedule, false))

	adaLS := e.lsEmployee(ada)
	adaLS.Title = "Principal Engineer"
	e.putLeapsome(adaLS)
	typo := e.lsEmployee(person{n: 9, first: "Ada", last: "Lovelase", title: "Engineer", dept: "Engineering", startDays: -10})
	typo.Email = e.email(ada)
	e.putLeapsome(typo)
	inf.TriNet.ResetCounters(e.company)
	r := e.handle(e.runner, e.job("sched-typo", provision.TriggerSchedule, false))
	plan := e.planOf(r.SyncID)
	if it := plan[e.userID(ada)]; it.Action != provision.ActionUpdate {
		t.Errorf("Ada %+v: the linked person must keep syncing", it)
	}
	if got, _ := inf.TriNet.Employee(e.company, ada.employeeID); got.Title != "Principal Engineer" {
		t.Errorf("Ada's title in TriNet %q", got.Title)
	}
	if it := plan[typo.ID]; it.Action != provision.ActionError || it.Code != provision.CodeDuplicateEmail {
		t.Errorf("the duplicate %+v, want error duplicate_email", it)
	}
	if n := len(hirePosts(e.company)); n != 0 {
		t.Errorf("%d hire POSTs", n)
	}
}

// Defect 4, a re-created account. Ada's Leapsome account is removed and
// created again (a new id, the same work email). The new account takes her
// link over, with a warning naming both accounts, instead of being stuck on
// duplicate_email for ever.
func TestStoryAReCreatedLeapsomeAccount(t *testing.T) {
	t.Parallel()
	ada := cleanPeople()[0]
	e := newEnv(t, withPeople(cleanPeople()[:2]))
	e.connect(true)
	e.handle(e.runner, e.job("sched-first", provision.TriggerSchedule, false))

	old := e.lsEmployee(ada)
	old.Status = "removed"
	e.putLeapsome(old)
	again := person{n: 10, first: ada.first, last: ada.last, title: "Principal Engineer", dept: ada.dept, startDays: ada.startDays}
	e.putLeapsome(e.lsEmployee(again))
	inf.TriNet.ResetCounters(e.company)
	for i, sync := range []string{"sched-recreated", "sched-after"} {
		r := e.handle(e.runner, e.job(sync, provision.TriggerSchedule, false))
		it := e.planOf(r.SyncID)[e.userID(again)]
		switch {
		case i == 0 && it.Action != provision.ActionLink:
			t.Errorf("the re-created account %+v, want linked to Ada's employee", it)
		case i == 1 && it.Action != provision.ActionUnchanged && it.UserID != "":
			t.Errorf("the next run %+v, want unchanged", it)
		}
		if i == 0 {
			if is, ok := issueNaming(e.issuesOf(r.SyncID), e.userID(again), "relinked", e.userID(ada), e.userID(again)); !ok || is.Severity != provision.SeverityWarning {
				t.Errorf("issue %+v: want a relinked warning naming both accounts", is)
			}
		}
	}
	links := e.links()
	if links[e.userID(again)] != ada.employeeID {
		t.Errorf("links %v: the new account must be linked to %s", links, ada.employeeID)
	}
	if _, ok := links[e.userID(ada)]; ok {
		t.Errorf("the removed account is still linked: %v", links)
	}
	if got, _ := inf.TriNet.Employee(e.company, ada.employeeID); got.Title != "Principal Engineer" {
		t.Errorf("Ada's title in TriNet %q", got.Title)
	}
	if n := len(hirePosts(e.company)); n != 0 {
		t.Errorf("%d hire POSTs: the re-created account was hired again", n)
	}
}

// Defect 4, a rehire. TriNet terminates Ada and rehires her under a new
// employee id with the same work email. Her link follows to the new record,
// with a warning naming both ids, and nothing is written to the old one.
func TestStoryARehireUnderANewID(t *testing.T) {
	t.Parallel()
	ada := cleanPeople()[0]
	e := newEnv(t, withPeople(cleanPeople()[:2]))
	e.connect(true)
	e.handle(e.runner, e.job("sched-first", provision.TriggerSchedule, false))

	cur, _ := inf.TriNet.Employee(e.company, ada.employeeID)
	cur.Status = "T"
	if _, err := inf.TriNet.PutEmployee(e.company, cur); err != nil {
		t.Fatal(err)
	}
	rehired := e.trinetEmployee(ada, "10000011")
	rehired.Title = "Junior Engineer"
	if _, err := inf.TriNet.PutEmployee(e.company, rehired); err != nil {
		t.Fatal(err)
	}
	inf.TriNet.ResetCounters(e.company)
	r := e.handle(e.runner, e.job("sched-rehired", provision.TriggerSchedule, false))
	if it := e.planOf(r.SyncID)[e.userID(ada)]; it.Action != provision.ActionLink {
		t.Errorf("Ada %+v, want linked to her new record", it)
	}
	if is, ok := issueNaming(e.issuesOf(r.SyncID), e.userID(ada), "relinked", ada.employeeID, rehired.ID); !ok || is.Severity != provision.SeverityWarning {
		t.Errorf("issue %+v: want a relinked warning naming both ids", is)
	}
	if l := e.links()[e.userID(ada)]; l != rehired.ID {
		t.Errorf("Ada linked to %q, want %s", l, rehired.ID)
	}
	if got, _ := inf.TriNet.Employee(e.company, rehired.ID); got.Title != ada.title {
		t.Errorf("the new record's title %q, want %q", got.Title, ada.title)
	}
	if w := writesTo(e.company, ada.employeeID); len(w) != 0 {
		t.Errorf("the terminated record was written: %+v", w)
	}
	if n := len(hirePosts(e.company)); n != 0 {
		t.Errorf("%d hire POSTs", n)
	}
}

// Defect 5. Mary was hired by the sync and linked once TriNet listed her;
// then HR removed her record in TriNet. Rex joins with Mary as his manager:
// he is hired without a supervisor, with a warning, instead of his hire being
// rejected by TriNet on every run.
func TestStoryAManagerRemovedInTriNet(t *testing.T) {
	t.Parallel()
	ada := cleanPeople()[0]
	mary := person{n: 5, first: "Mary", last: "Manager", title: "Engineering Manager", dept: "Engineering", startDays: 0}
	e := newEnv(t, withPeople([]person{ada, mary}))
	e.connect(true)
	e.handle(e.runner, e.job("sched-hire-mary", provision.TriggerSchedule, false))
	m := e.hires()[e.userID(mary)].EmployeeID
	if err := inf.TriNet.Approve(e.company, m); err != nil {
		t.Fatal(err)
	}
	e.handle(e.runner, e.job("sched-link-mary", provision.TriggerSchedule, false))
	if e.links()[e.userID(mary)] != m {
		t.Fatalf("Mary not linked to %s: %v", m, e.links())
	}

	if err := inf.TriNet.RemoveEmployee(e.company, m); err != nil {
		t.Fatal(err)
	}
	rex := person{n: 6, first: "Rex", last: "Report", title: "Engineer", dept: "Engineering", startDays: 0}
	rexLS := e.lsEmployee(rex)
	rexLS.Manager = &leapsomesandbox.Ref{ID: e.userID(mary), Name: "Mary Manager"}
	e.putLeapsome(rexLS)
	inf.TriNet.ResetCounters(e.company)
	r := e.handle(e.runner, e.job("sched-rex", provision.TriggerSchedule, false))
	if it := e.planOf(r.SyncID)[e.userID(rex)]; it.Action != provision.ActionCreate {
		t.Errorf("Rex %+v, want created", it)
	}
	if is, ok := issueNaming(e.issuesOf(r.SyncID), e.userID(rex), provision.CodeSupervisorNotInTriNet); !ok || is.Severity != provision.SeverityWarning {
		t.Errorf("issue %+v: want a supervisor_not_in_trinet warning", is)
	}
	posts := hirePosts(e.company)
	if len(posts) != 1 || posts[0].Status != http.StatusOK || strings.Contains(string(posts[0].Body), "supervisorId") {
		t.Errorf("hire POSTs %+v, want Rex's, accepted, without a supervisor", posts)
	}
}

// flakyStore fails the next n calls of one write, as DynamoDB may.
type flakyStore struct {
	*store.Store
	failConnect, failDeleteLinks atomic.Int32
}

var errThrottled = fault.New(fault.Throttled, "DynamoDB throttled the write")

func (f *flakyStore) Connect(ctx context.Context, t store.Tenant) (store.Tenant, error) {
	if f.failConnect.Add(-1) >= 0 {
		return store.Tenant{}, errThrottled
	}
	return f.Store.Connect(ctx, t)
}

func (f *flakyStore) DeleteLinks(ctx context.Context, id string) error {
	if f.failDeleteLinks.Add(-1) >= 0 {
		return errThrottled
	}
	return f.Store.DeleteLinks(ctx, id)
}

// switchWorld is a tenant linked in its TriNet test company and a production
// company in which the employee ids of the test company name strangers.
type switchWorld struct {
	e              *env
	api            *httptest.Server
	token          string
	store          *flakyStore
	prod           api.ConnectRequest
	stranger, adaP trinetsandbox.Employee
}

const storySecret = "identity-story-jwt-secret"

func newSwitchWorld(t *testing.T) *switchWorld {
	ada, ben := cleanPeople()[0], cleanPeople()[1]
	e := newEnv(t, withPeople([]person{ada, ben}))
	w := &switchWorld{e: e, store: &flakyStore{Store: e.svcs.Store()}}
	svc := app.NewBackend(e.cfg, w.store, e.svcs.Secrets(), e.svcs.Clients(), e.svcs.Publisher(), e.clk.Now, e.log)
	w.api = httptest.NewServer(api.New(svc, api.HS256Authenticator{Secret: []byte(storySecret)}, api.Options{Logger: e.log}))
	t.Cleanup(w.api.Close)
	var err error
	if w.token, err = api.MintToken(storySecret, "admin@example.com", e.tenant, "", time.Hour); err != nil {
		t.Fatal(err)
	}
	if status := w.putConnection(e.creds); status != http.StatusOK {
		t.Fatalf("connect to the test company: %d", status)
	}
	e.handle(e.runner, e.job("sched-test-company", provision.TriggerSchedule, false))
	if l := e.links(); l[e.userID(ada)] != ada.employeeID || l[e.userID(ben)] != ben.employeeID {
		t.Fatalf("links in the test company %v", l)
	}

	prodID := e.company + "PROD"
	w.prod = e.creds
	w.prod.TriNet = api.TriNetCredentials{CompanyID: prodID, ClientID: "prod-client-" + randHex(6), ClientSecret: "tnsecret-" + randHex(12)}
	if err := inf.TriNet.AddCompany(trinetsandbox.Company{
		ID: prodID, Name: "Production", ClientID: w.prod.TriNet.ClientID, ClientSecret: w.prod.TriNet.ClientSecret,
		Departments: []trinetsandbox.Department{{ID: "D1", Name: "Engineering"}, {ID: "D2", Name: "Sales"}},
		Locations:   []trinetsandbox.Location{{ID: "SF1", Name: "San Francisco", Country: "US"}},
	}); err != nil {
		t.Fatal(err)
	}
	// In production Ada's test-company id is a stranger's; Ada and Ben have other ids.
	w.stranger = e.trinetEmployee(person{first: "Zoe", last: "Stranger", title: "CFO"}, ada.employeeID)
	w.stranger.WorkEmail = "zoe.stranger@prod.example"
	w.adaP = e.trinetEmployee(ada, "10000021")
	benP := e.trinetEmployee(ben, "10000022")
	for _, emp := range []trinetsandbox.Employee{w.stranger, w.adaP, benP} {
		if _, err := inf.TriNet.PutEmployee(prodID, emp); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *switchWorld) putConnection(c api.ConnectRequest) int {
	body, _ := json.Marshal(map[string]any{
		"trinet":   map[string]string{"companyId": c.TriNet.CompanyID, "clientId": c.TriNet.ClientID, "clientSecret": c.TriNet.ClientSecret},
		"leapsome": map[string]string{"apiSecret": c.Leapsome.APISecret, "scimToken": c.Leapsome.SCIMToken},
	})
	req, _ := http.NewRequest(http.MethodPut, w.api.URL+"/v1/tenants/"+w.e.tenant+"/connection", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+w.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.e.t.Fatalf("PUT connection: %v", err)
	}
	res.Body.Close()
	return res.StatusCode
}

// checkProduction runs a sync in production and checks that the stranger
// holding Ada's test-company id is untouched and Ada is linked to her own
// production record.
func (w *switchWorld) checkProduction(t *testing.T, syncID string) {
	e := w.e
	ada := cleanPeople()[0]
	r := e.handle(e.runner, e.job(syncID, provision.TriggerSchedule, false))
	prodID := w.prod.TriNet.CompanyID
	if ws := writesTo(prodID, w.stranger.ID); len(ws) != 0 {
		t.Errorf("the production employee %s (a stranger) received %d write(s) meant for Ada: %s %s",
			w.stranger.ID, len(ws), ws[0].Path, ws[0].Body)
	}
	if got, _ := inf.TriNet.Employee(prodID, w.stranger.ID); got.FirstName != "Zoe" || got.Title != "CFO" {
		t.Errorf("the stranger was overwritten: %+v", got)
	}
	if it := e.planOf(r.SyncID)[e.userID(ada)]; it.Action != provision.ActionLink {
		t.Errorf("Ada in production %+v, want linked by email", it)
	}
	links, err := e.svcs.Store().Links(ctxFor(t), e.tenant, prodID)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if l.UserID == e.userID(ada) && l.EmployeeID != w.adaP.ID {
			t.Errorf("Ada linked to %s in production, want %s", l.EmployeeID, w.adaP.ID)
		}
	}
}

// Defect 3, first story. Switching from the test company to production, the
// admin's first PUT …/connection fails half-way (the store throttles a
// write) and the admin sends it again. The next sync must not follow the
// test company's links into production.
func TestStoryCompanySwitchFailsHalfWayAndIsRetried(t *testing.T) {
	t.Parallel()
	w := newSwitchWorld(t)
	w.store.failDeleteLinks.Store(1)
	w.store.failConnect.Store(0)
	ok := false
	for range 3 { // the admin retries until it works
		if w.putConnection(w.prod) == http.StatusOK {
			ok = true
			break
		}
	}
	if !ok {
		t.Fatal("PUT …/connection to production never succeeded")
	}
	w.checkProduction(t, "sched-production")
}

// Defect 3, second story. The production credentials are stored, then the
// tenant record's write fails: PUT answers an error, and a scheduled run
// comes before the admin retries. It must stop (failed, not_connected) and
// write nothing anywhere; after the retry the sync runs in production.
func TestStoryCompanySwitchSecretAheadOfTheRecord(t *testing.T) {
	t.Parallel()
	w := newSwitchWorld(t)
	e := w.e
	w.store.failConnect.Store(1)
	if status := w.putConnection(w.prod); status == http.StatusOK {
		t.Fatalf("PUT answered %d although the record was not written", status)
	}
	inf.TriNet.ResetCounters(e.company)
	r := e.handle(e.runner, e.job("sched-between", provision.TriggerSchedule, false))
	wantRunError(t, r, provision.RunFailed, app.CodeNotConnected)
	for _, co := range []string{e.company, w.prod.TriNet.CompanyID} {
		if ws := inf.TriNet.Writes(co); len(ws) != 0 {
			t.Errorf("%d write(s) to company %s by a run whose secret and record disagree: %s %s", len(ws), co, ws[0].Path, ws[0].Body)
		}
	}
	if status := w.putConnection(w.prod); status != http.StatusOK {
		t.Fatalf("retried PUT: %d", status)
	}
	w.checkProduction(t, "sched-production")
}

// An admin moves the tenant to production while a long run of the test
// company is between two invocations: the continuation does not go on in
// production with the test company's progress; the run ends not_connected and
// writes nothing there, and the next run syncs production from the start.
func TestStoryCompanySwitchWhileARunContinues(t *testing.T) {
	t.Parallel()
	w := newSwitchWorld(t)
	e := w.e
	ctx := ctxFor(t)
	app.SetSafety(e.runner, time.Hour) // each invocation does one person and checkpoints
	short, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	job := e.job("manual-long", provision.TriggerManual, false)
	if out := e.runner.Handle(short, job, 1); out.Retry {
		t.Fatalf("first invocation: %+v", out)
	}
	r := e.run(job.SyncID)
	if r.Status != provision.RunRunning || r.Cursor == "" {
		t.Fatalf("after the first invocation: %+v", r)
	}
	if status := w.putConnection(w.prod); status != http.StatusOK {
		t.Fatalf("PUT production: %d", status)
	}
	inf.TriNet.ResetCounters(w.prod.TriNet.CompanyID)
	next := job
	next.Cursor = r.Cursor
	if out := e.runner.Handle(short, next, 1); out.Retry {
		t.Fatalf("continuation: %+v", out)
	}
	wantRunError(t, e.run(job.SyncID), provision.RunFailed, app.CodeNotConnected)
	if ws := inf.TriNet.Writes(w.prod.TriNet.CompanyID); len(ws) != 0 {
		t.Fatalf("%d write(s) to production by the test company's run: %s %s", len(ws), ws[0].Path, ws[0].Body)
	}
	app.SetSafety(e.runner, 0)
	w.checkProduction(t, "sched-production")
}
