package app_test

// Adversarial scenarios, run through the real parts (dynalite, goaws, the
// sandboxes over HTTP): revocations and reconnections in the middle of things,
// racing triggers, odd Leapsome and TriNet data. Each asserts what the
// contract (or, where it is silent, what an admin would expect) says; an
// expectation the service does not meet is marked "CONTRACT:" and fails.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"trinetsync/internal/api"
	"trinetsync/internal/app"
	"trinetsync/internal/provision"
	"trinetsync/internal/queue"
	leapsomesandbox "trinetsync/internal/sandbox/leapsome"
	trinetsandbox "trinetsync/internal/sandbox/trinet"
	"trinetsync/internal/secrets"
	"trinetsync/internal/store"
)

// --- helpers ---------------------------------------------------------------

// lsEmployee is p as the env's seed writes it to Leapsome.
func (e *env) lsEmployee(p person) leapsomesandbox.Employee {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	locID := fmt.Sprintf("%08x%016x", e.n, 0xffff)
	return leapsomesandbox.Employee{
		ID: e.userID(p), Email: e.email(p), FirstName: p.first, LastName: p.last,
		Status: "active", LifecycleStatus: "active", Title: p.title,
		Departments:  []leapsomesandbox.Ref{{Name: p.dept}},
		WorkLocation: &leapsomesandbox.Ref{ID: locID, Name: "San Francisco"},
		StartDate:    today.AddDate(0, 0, p.startDays).Format(time.DateOnly),
		Gender:       "female", Birthday: "1990-01-02",
	}
}

func (e *env) putLeapsome(emp leapsomesandbox.Employee) {
	e.t.Helper()
	if err := inf.Leapsome.PutEmployee(e.lsTenant, emp); err != nil {
		e.t.Fatalf("put Leapsome person %s: %v", emp.ID, err)
	}
}

// handle runs one delivery of a job and fails unless the message is done with.
func (e *env) handle(r *app.Runner, job queue.Job) provision.Run {
	e.t.Helper()
	if out := r.Handle(ctxFor(e.t), job, 1); out.Retry {
		e.t.Fatalf("job %s: outcome %+v, want done", job.SyncID, out)
	}
	return e.run(job.SyncID)
}

// planOf is a run's plan by user id; a person listed twice fails the test.
func (e *env) planOf(syncID string) map[string]provision.PlanItem {
	e.t.Helper()
	out := map[string]provision.PlanItem{}
	for token := ""; ; {
		items, next, err := e.svc.Plan(ctxFor(e.t), e.tenant, syncID, api.Page{Limit: 1000, NextToken: token})
		if err != nil {
			e.t.Fatalf("plan of %s: %v", syncID, err)
		}
		for _, it := range items {
			if _, dup := out[it.UserID]; dup {
				e.t.Fatalf("plan of %s lists %s twice", syncID, it.UserID)
			}
			out[it.UserID] = it
		}
		if next == "" {
			return out
		}
		token = next
	}
}

func (e *env) issuesOf(syncID string) []provision.Issue {
	e.t.Helper()
	var out []provision.Issue
	for token := ""; ; {
		page, err := e.svc.Issues(ctxFor(e.t), e.tenant, syncID, api.Page{Limit: 1000, NextToken: token})
		if err != nil {
			e.t.Fatalf("issues of %s: %v", syncID, err)
		}
		out = append(out, page.Items...)
		if page.NextToken == "" {
			return out
		}
		token = page.NextToken
	}
}

func hasIssue(issues []provision.Issue, userID, code string) bool {
	for _, is := range issues {
		if is.UserID == userID && is.Code == code {
			return true
		}
	}
	return false
}

// hirePosts are the company's hire POSTs, accepted or not.
func hirePosts(company string) []trinetsandbox.Write {
	var out []trinetsandbox.Write
	for _, w := range inf.TriNet.Writes(company) {
		if w.Endpoint == "hire" {
			out = append(out, w)
		}
	}
	return out
}

// writesTo are the company's update PUTs addressed to one employee id.
func writesTo(company, employeeID string) []trinetsandbox.Write {
	var out []trinetsandbox.Write
	for _, w := range inf.TriNet.Writes(company) {
		if strings.Contains(w.Path, "/"+employeeID+"/") {
			out = append(out, w)
		}
	}
	return out
}

func (e *env) links() map[string]string {
	e.t.Helper()
	ls, err := e.svcs.Store().Links(ctxFor(e.t), e.tenant, e.company)
	if err != nil {
		e.t.Fatalf("links: %v", err)
	}
	out := map[string]string{}
	for _, l := range ls {
		out[l.UserID] = l.EmployeeID
	}
	return out
}

func (e *env) hires() map[string]provision.HireEntry {
	e.t.Helper()
	hs, err := e.svcs.Store().Hires(ctxFor(e.t), e.tenant, e.company)
	if err != nil {
		e.t.Fatalf("hire ledger: %v", err)
	}
	out := map[string]provision.HireEntry{}
	for _, h := range hs {
		out[h.UserID] = h
	}
	return out
}

// hookClients calls before once, inside the engine's read of Leapsome: after
// the run has read the tenant and its secret, before it writes anything.
type hookClients struct {
	inner  app.Clients
	once   *sync.Once
	before func(ctx context.Context)
}

func (h hookClients) ForTenant(c secrets.Credentials, log *slog.Logger) (provision.PeopleSource, provision.Company, error) {
	people, company, err := h.inner.ForTenant(c, log)
	return hookSource{people, h.once, h.before}, company, err
}

type hookSource struct {
	provision.PeopleSource
	once   *sync.Once
	before func(ctx context.Context)
}

func (s hookSource) Directory(ctx context.Context) (provision.Directory, error) {
	s.once.Do(func() { s.before(ctx) })
	return s.PeopleSource.Directory(ctx)
}

// --- scenarios ---------------------------------------------------------------

// Revoke (DELETE …/connection) while a run is between its reads and its
// writes. The contract: revoke deletes settings and links and stops syncing;
// runs and the ledger are kept so a reconnect hires nobody twice.
func TestScenarioRevokeDuringARun(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()))
	e.connect(true)
	ctx := ctxFor(t)
	hook := hookClients{inner: e.svcs.Clients(), once: &sync.Once{}, before: func(ctx context.Context) {
		if err := e.svc.Disconnect(ctx, e.tenant); err != nil {
			t.Errorf("disconnect during the run: %v", err)
		}
	}}
	runner := app.NewRunner(e.cfg, e.svcs.Store(), e.svcs.Secrets(), e.svcs.Publisher(), hook, e.svcs.Engine(), e.clk.Now, e.log)
	r := e.handle(runner, e.job("sched-revoke-mid", provision.TriggerSchedule, false))
	t.Logf("run that saw the revocation mid-way: status %s counts %+v error %+v", r.Status, r.Counts, r.Error)
	if !r.Status.Final() {
		t.Fatalf("run left %s", r.Status)
	}
	if h := e.leaseHolder(); h != "" {
		t.Fatalf("lease still held by %s", h)
	}
	tn := e.tenantRecord()
	if tn.Status != store.NotConnected || tn.ConsecutiveFailures != 0 || tn.Backoff != nil {
		t.Fatalf("tenant after the run %+v, want not_connected and untouched by the run", tn)
	}
	// The hire the run made is in the ledger, whatever happened to the rest.
	cleo := e.userID(cleanPeople()[2])
	if h, ok := e.hires()[cleo]; !ok || h.State != provision.HirePending {
		t.Fatalf("ledger entry of the new hire %+v (found %t), want pending", h, ok)
	}
	// CONTRACT: after DELETE …/connection answered 204 the tenant has no links.
	// A run that was in flight must not write them back.
	linksAfterRevoke := e.links()
	if len(linksAfterRevoke) != 0 {
		t.Errorf("CONTRACT: revoke deletes links, but %d links exist after the revocation (written by the run in flight): %v",
			len(linksAfterRevoke), linksAfterRevoke)
	}
	if set := e.tenantRecord().Settings; set != nil {
		t.Errorf("CONTRACT: revoke deletes settings, but the tenant has settings after the run: %+v", set)
	}

	// Reconnect: nobody is hired twice.
	if _, err := e.svc.Connect(ctx, e.tenant, e.creds); err != nil {
		t.Fatal(err)
	}
	set, err := e.svc.Settings(ctx, e.tenant)
	if err != nil {
		t.Fatal(err)
	}
	set.AutoCreateNewHires = true
	if _, err := e.svc.PutSettings(ctx, e.tenant, set); err != nil {
		t.Fatal(err)
	}
	r2 := e.handle(e.runner, e.job("sched-after-reconnect", provision.TriggerSchedule, false))
	wantRunError(t, r2, provision.RunSucceeded, "")
	if n := len(hirePosts(e.company)); n != 1 {
		t.Fatalf("%d hire POSTs across the revocation and reconnect, want 1", n)
	}
	if it := e.planOf(r2.SyncID)[cleo]; it.Action != provision.ActionPending || it.Code != provision.CodePendingApproval {
		t.Fatalf("new hire after the reconnect: %+v, want pending/pending_approval", it)
	}
}

// Reconnect (PUT …/connection, no revoke) to a DIFFERENT TriNet company whose
// employee ids overlap the old company's (ids are per company). The links
// stored for the old company must not make the service overwrite a stranger
// in the new one.
func TestScenarioReconnectToAnotherCompany(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()))
	e.connect(true)
	ctx := ctxFor(t)
	ada, ben, cleo := cleanPeople()[0], cleanPeople()[1], cleanPeople()[2]
	r1 := e.handle(e.runner, e.job("sched-company-a", provision.TriggerSchedule, false))
	wantRunError(t, r1, provision.RunSucceeded, "")
	if l := e.links(); l[e.userID(ada)] != ada.employeeID || l[e.userID(ben)] != ben.employeeID {
		t.Fatalf("links after the first run %v", l)
	}

	// Company B: employee 10000001 is somebody else; Ada is 10000009; Ben is absent.
	other := e.company + "B"
	credsB := e.creds
	credsB.TriNet = api.TriNetCredentials{CompanyID: other, ClientID: "client-b-" + randHex(6), ClientSecret: "tnsecret-" + randHex(12)}
	if err := inf.TriNet.AddCompany(trinetsandbox.Company{
		ID: other, Name: "Other company", ClientID: credsB.TriNet.ClientID, ClientSecret: credsB.TriNet.ClientSecret,
		Departments: []trinetsandbox.Department{{ID: "D1", Name: "Engineering"}, {ID: "D2", Name: "Sales"}},
		Locations:   []trinetsandbox.Location{{ID: "SF1", Name: "San Francisco", Country: "US"}},
	}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().AddDate(-1, 0, 0).Format(time.DateOnly)
	base := trinetsandbox.Employee{Gender: "F", BirthDate: "1990-01-02", Country: "US", StartDate: start, EmployeeType: "F",
		FLSACode: "E", StandardHours: "40", LocationID: "SF1", DeptID: "D1", ApprovalStatus: "A"}
	stranger := base
	stranger.ID, stranger.FirstName, stranger.LastName, stranger.Title, stranger.WorkEmail = ada.employeeID, "Zoe", "Stranger", "CFO", "zoe.stranger@other.example"
	adaB := base
	adaB.ID, adaB.FirstName, adaB.LastName, adaB.Title, adaB.WorkEmail = "10000009", ada.first, ada.last, ada.title, e.email(ada)
	for _, emp := range []trinetsandbox.Employee{stranger, adaB} {
		if _, err := inf.TriNet.PutEmployee(other, emp); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.Connect(ctx, e.tenant, credsB); err != nil {
		t.Fatalf("reconnect to company B: %v", err)
	}
	r2 := e.handle(e.runner, e.job("sched-company-b", provision.TriggerSchedule, false))
	plan := e.planOf(r2.SyncID)
	t.Logf("run on company B: %s %+v; Ada %+v; Ben %+v; Cleo %+v", r2.Status, r2.Counts,
		plan[e.userID(ada)], plan[e.userID(ben)], plan[e.userID(cleo)])

	// The contract ("Identity"): company B starts with no links and no ledger.
	// Ada is linked by email; Cleo, whose hire went to company A, is hired in B
	// (once); Ben, absent from B, would be too but his start date is too old.
	if posts := hirePosts(other); len(posts) != 1 || !strings.Contains(string(posts[0].Body), e.email(cleo)) {
		t.Errorf("%d hire POSTs in company B, want Cleo's alone: %v", len(posts), posts)
	}
	if it := plan[e.userID(ben)]; it.Action != provision.ActionError || it.Code != provision.CodeStartDateTooOld {
		t.Errorf("Ben in company B: %+v, want error start_date_too_old (no hire)", it)
	}
	if n := len(hirePosts(e.company)); n != 1 {
		t.Errorf("%d hire POSTs in company A, want the first run's 1", n)
	}
	// CONTRACT (silent; what an admin expects): the stranger who happens to
	// carry Ada's old employee id is never written.
	if w := writesTo(other, stranger.ID); len(w) != 0 {
		t.Errorf("CONTRACT: after reconnecting to another company, the stale link Ada→%s was followed and %d update(s) "+
			"were sent to a different person in company B: %s %s", stranger.ID, len(w), w[0].Path, w[0].Body)
	}
	if got, _ := inf.TriNet.Employee(other, stranger.ID); got.FirstName != "Zoe" || got.LastName != "Stranger" || got.Title != "CFO" {
		t.Errorf("CONTRACT: company B's employee %s was overwritten with Leapsome data of Ada: %s %s, %s",
			stranger.ID, got.FirstName, got.LastName, got.Title)
	}
	if w := writesTo(other, adaB.ID); len(w) != 0 {
		t.Errorf("Ada's record in company B was written although nothing differs: %v", w)
	}
}

// Settings change between two continuations of one run: whichever settings
// each part uses, every person gets exactly one action and a create in the
// plan matches a hire POST (none without one, never two).
func TestScenarioSettingsChangeBetweenContinuations(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		before, after bool // autoCreateNewHires
	}{
		{"auto-create switched off mid-run", true, false},
		{"auto-create switched on mid-run", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.connect(tc.before)
			ctx := ctxFor(t)
			app.SetSafety(e.runner, time.Hour) // one person per invocation
			short, cancel := context.WithTimeout(ctx, time.Hour)
			defer cancel()
			run, err := e.svc.Trigger(ctx, e.tenant, api.TriggerRequest{})
			if err != nil {
				t.Fatal(err)
			}
			next := e.receive(1, 10*time.Second)[0]
			e.deleteMessage(next)
			for i := 0; ; i++ {
				if i > 2*len(e.people) {
					t.Fatalf("run did not finish after %d continuations", i)
				}
				if out := e.runner.Handle(short, next.job, 1); out.Retry {
					t.Fatalf("invocation %d: %+v", i, out)
				}
				if i == 0 {
					set, err := e.svc.Settings(ctx, e.tenant)
					if err != nil {
						t.Fatal(err)
					}
					set.AutoCreateNewHires = tc.after
					if _, err := e.svc.PutSettings(ctx, e.tenant, set); err != nil {
						t.Fatal(err)
					}
				}
				if e.run(run.SyncID).Status.Final() {
					break
				}
				next = e.receive(1, 10*time.Second)[0]
				e.deleteMessage(next)
			}
			r := e.run(run.SyncID)
			plan := e.planOf(run.SyncID)
			if actions(r.Counts) != len(e.people) || len(plan) != len(e.people) {
				t.Fatalf("counts %+v / plan of %d people, want one account of %d", r.Counts, len(plan), len(e.people))
			}
			cleo := plan[e.userID(defaultPeople()[2])]
			posts := len(hirePosts(e.company))
			t.Logf("Cleo %s/%s, %d hire POSTs", cleo.Action, cleo.Code, posts)
			switch cleo.Action {
			case provision.ActionCreate:
				if posts != 1 {
					t.Fatalf("plan says create, %d hire POSTs", posts)
				}
			case provision.ActionSuggest:
				if posts != 0 {
					t.Fatalf("plan says suggest, %d hire POSTs", posts)
				}
			default:
				t.Fatalf("Cleo's action %s, want create or suggest", cleo.Action)
			}
		})
	}
}

// Two triggers with different flags at once, each sent twice: one run per
// flag set; then the dry run and the real run race for the tenant's lease.
func TestScenarioDryAndRealTriggersRace(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()))
	e.connect(true)
	ctx := ctxFor(t)
	reqs := []api.TriggerRequest{{}, {DryRun: true}, {}, {DryRun: true}}
	got := make([]provision.Run, len(reqs))
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	for i, rq := range reqs {
		wg.Add(1)
		go func() { defer wg.Done(); got[i], errs[i] = e.svc.Trigger(ctx, e.tenant, rq) }()
	}
	wg.Wait()
	ids := map[bool]map[string]bool{false: {}, true: {}}
	for i := range reqs {
		if errs[i] != nil {
			// The store may answer a conflict to a trigger that raced another;
			// the admin clicks again. Log it: it is not a lost run.
			t.Logf("trigger %d: %v", i, errs[i])
			continue
		}
		ids[reqs[i].DryRun][got[i].SyncID] = true
	}
	if len(ids[false]) != 1 || len(ids[true]) != 1 {
		t.Fatalf("runs per flag set: real %v dry %v, want exactly one each", ids[false], ids[true])
	}
	msgs := e.receive(2, 10*time.Second)
	for _, m := range msgs {
		e.deleteMessage(m)
	}
	// Both deliveries at once: one holds the lease, the other waits in a fresh message.
	wg = sync.WaitGroup{}
	for _, m := range msgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out := e.runner.Handle(ctx, m.job, 1); out.Retry {
				t.Errorf("delivery of %s: %+v", m.job.SyncID, out)
			}
		}()
	}
	wg.Wait()
	for range 2 {
		var pending []string
		for _, m := range msgs {
			if !e.run(m.job.SyncID).Status.Final() {
				pending = append(pending, m.job.SyncID)
			}
		}
		if len(pending) == 0 {
			break
		}
		again := e.receive(1, 20*time.Second)[0]
		e.deleteMessage(again)
		if out := e.runner.Handle(ctx, again.job, 1); out.Retry {
			t.Fatalf("waiting run's copy: %+v", out)
		}
	}
	for _, m := range msgs {
		r := e.run(m.job.SyncID)
		if r.Status == provision.RunSkipped || !r.Status.Final() {
			t.Fatalf("manual run %s (dry %t) is %s; manual runs are never skipped", r.SyncID, r.DryRun, r.Status)
		}
		if actions(r.Counts) != len(e.people) {
			t.Fatalf("run %s counts %+v", r.SyncID, r.Counts)
		}
	}
	if n := len(hirePosts(e.company)); n != 1 {
		t.Fatalf("%d hire POSTs, want 1 (the real run's)", n)
	}
	if h := e.leaseHolder(); h != "" {
		t.Fatalf("lease still held by %s", h)
	}
	if d := e.queueDepth(); d != 0 {
		t.Fatalf("%d messages left", d)
	}
}

// A new hire whose manager is also new and whose manager's hire TriNet
// rejects (400: birth date in the future) is hired without a supervisor and
// warned supervisor_not_in_trinet; the manager gets trinet_rejected and no
// ledger entry.
func TestScenarioManagerHireRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()[:2]))
	e.connect(true)
	report := person{n: 5, first: "Rae", last: "Report", title: "Engineer", dept: "Engineering", startDays: 5}
	manager := person{n: 6, first: "Max", last: "Manager", title: "Head of Engineering", dept: "Engineering", startDays: 5}
	m := e.lsEmployee(manager)
	m.Birthday = time.Now().UTC().AddDate(1, 0, 0).Format(time.DateOnly) // TriNet refuses a future birth date
	e.putLeapsome(m)
	rp := e.lsEmployee(report)
	rp.Manager = &leapsomesandbox.Ref{ID: e.userID(manager)}
	e.putLeapsome(rp)

	r := e.handle(e.runner, e.job("sched-mgr-rejected", provision.TriggerSchedule, false))
	wantRunError(t, r, provision.RunPartial, "")
	plan := e.planOf(r.SyncID)
	issues := e.issuesOf(r.SyncID)
	if it := plan[e.userID(manager)]; it.Action != provision.ActionError || it.Code != provision.CodeTriNetRejected {
		t.Fatalf("manager %+v, want error trinet_rejected", it)
	}
	if it := plan[e.userID(report)]; it.Action != provision.ActionCreate {
		t.Fatalf("report %+v, want create", it)
	}
	if !hasIssue(issues, e.userID(report), provision.CodeSupervisorNotInTriNet) {
		t.Fatalf("report has no supervisor_not_in_trinet warning: %+v", issues)
	}
	posts := hirePosts(e.company)
	if len(posts) != 2 {
		t.Fatalf("%d hire POSTs, want 2 (manager rejected, then report)", len(posts))
	}
	if !strings.Contains(string(posts[0].Body), e.email(manager)) || posts[0].Status != http.StatusBadRequest {
		t.Fatalf("first hire POST is not the manager's, rejected: %d %s", posts[0].Status, posts[0].Body)
	}
	if !strings.Contains(string(posts[1].Body), e.email(report)) || strings.Contains(string(posts[1].Body), "supervisorId") {
		t.Fatalf("report's hire %s, want it without a supervisor", posts[1].Body)
	}
	h := e.hires()
	if _, ok := h[e.userID(manager)]; ok {
		t.Fatalf("rejected manager still in the ledger: %+v", h[e.userID(manager)])
	}
	if h[e.userID(report)].State != provision.HirePending {
		t.Fatalf("report's ledger entry %+v, want pending", h[e.userID(report)])
	}
}

// A person removed from Leapsome after their hire was sent: the run goes on
// without them, the ledger keeps the entry, and their return hires nobody twice.
func TestScenarioPersonDeletedFromLeapsomeAfterHire(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()))
	e.connect(true)
	cleo := cleanPeople()[2]
	r1 := e.handle(e.runner, e.job("sched-hire", provision.TriggerSchedule, false))
	wantRunError(t, r1, provision.RunSucceeded, "")
	if err := inf.Leapsome.DeleteEmployee(e.lsTenant, e.userID(cleo)); err != nil {
		t.Fatal(err)
	}
	r2 := e.handle(e.runner, e.job("sched-gone", provision.TriggerSchedule, false))
	wantRunError(t, r2, provision.RunSucceeded, "")
	// The two remaining people are unchanged: counted, and not stored as
	// plan items (the plan lists the people whose action is not unchanged).
	if plan := e.planOf(r2.SyncID); len(plan) != 0 || r2.Counts.Unchanged != 2 || actions(r2.Counts) != 2 {
		t.Fatalf("plan %+v, counts %+v: want the two remaining people counted unchanged", plan, r2.Counts)
	}
	if h := e.hires()[e.userID(cleo)]; h.State != provision.HirePending {
		t.Fatalf("ledger entry %+v, want kept pending", h)
	}
	e.putLeapsome(e.lsEmployee(cleo))
	r3 := e.handle(e.runner, e.job("sched-back", provision.TriggerSchedule, false))
	if it := e.planOf(r3.SyncID)[e.userID(cleo)]; it.Action != provision.ActionPending {
		t.Fatalf("returning person %+v, want pending", it)
	}
	if n := len(hirePosts(e.company)); n != 1 {
		t.Fatalf("%d hire POSTs, want 1", n)
	}
}

// A linked person's email changes in Leapsome: the stored link wins, no new
// hire, updates keep flowing to the same employee.
func TestScenarioEmailChangeOfALinkedPerson(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()[:2]))
	e.connect(true)
	ada := cleanPeople()[0]
	e.handle(e.runner, e.job("sched-link", provision.TriggerSchedule, false))
	emp := e.lsEmployee(ada)
	emp.Email = "ada.renamed@" + e.domain
	emp.Title = "Staff Engineer"
	e.putLeapsome(emp)
	inf.TriNet.ResetCounters(e.company)
	r := e.handle(e.runner, e.job("sched-email", provision.TriggerSchedule, false))
	wantRunError(t, r, provision.RunSucceeded, "")
	it := e.planOf(r.SyncID)[e.userID(ada)]
	if it.Action != provision.ActionUpdate || len(it.Fields) != 1 || it.Fields[0].Field != "jobTitle" {
		t.Fatalf("Ada after an email change %+v, want an update of jobTitle only", it)
	}
	if n := len(hirePosts(e.company)); n != 0 {
		t.Fatalf("%d hire POSTs after an email change", n)
	}
	if w := writesTo(e.company, ada.employeeID); len(w) != 1 {
		t.Fatalf("writes to Ada's employee %v, want one jobs update", w)
	}
	if l := e.links()[e.userID(ada)]; l != ada.employeeID {
		t.Fatalf("link %q, want %s", l, ada.employeeID)
	}
}

// An employee terminated in TriNet after being linked: error
// terminated_in_trinet, no update sent to them, the others unaffected.
func TestScenarioLinkedEmployeeTerminatedInTriNet(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()[:2]))
	e.connect(true)
	ada, ben := cleanPeople()[0], cleanPeople()[1]
	e.handle(e.runner, e.job("sched-link", provision.TriggerSchedule, false))
	cur, _ := inf.TriNet.Employee(e.company, ada.employeeID)
	cur.Status = "T"
	if _, err := inf.TriNet.PutEmployee(e.company, cur); err != nil {
		t.Fatal(err)
	}
	for _, p := range []person{ada, ben} {
		emp := e.lsEmployee(p)
		emp.Title = "Principal " + p.title
		e.putLeapsome(emp)
	}
	inf.TriNet.ResetCounters(e.company)
	r := e.handle(e.runner, e.job("sched-terminated", provision.TriggerSchedule, false))
	wantRunError(t, r, provision.RunPartial, "")
	plan := e.planOf(r.SyncID)
	if it := plan[e.userID(ada)]; it.Action != provision.ActionError || it.Code != provision.CodeTerminatedInTriNet {
		t.Fatalf("terminated Ada %+v, want error terminated_in_trinet", it)
	}
	if it := plan[e.userID(ben)]; it.Action != provision.ActionUpdate {
		t.Fatalf("Ben %+v, want update", it)
	}
	if w := writesTo(e.company, ada.employeeID); len(w) != 0 {
		t.Fatalf("updates sent to a terminated employee: %v", w)
	}
	if n := len(hirePosts(e.company)); n != 0 {
		t.Fatalf("%d hire POSTs", n)
	}
}

// pagingShifter inserts a person ahead of everyone once the first page of
// Leapsome's employee list has been read, so offset paging repeats a record.
type pagingShifter struct {
	inner  http.RoundTripper
	once   sync.Once
	insert func()
}

func (p *pagingShifter) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := p.inner.RoundTrip(r)
	if err == nil && strings.HasSuffix(r.URL.Path, "/employees") && r.URL.Query().Get("page") == "1" && r.Method == http.MethodGet {
		p.once.Do(p.insert)
	}
	return res, err
}

// The same person twice in Leapsome's paging (the list changed between
// pages): one plan item each, no duplicate_email.
func TestScenarioPagingRepeatsAPerson(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople([]person{}), withoutSCIM())
	e.connect(false)
	const n = 1001 // one more than Leapsome's largest page
	for i := 1; i <= n; i++ {
		e.putLeapsome(e.lsEmployee(person{n: i, first: "P", last: fmt.Sprintf("N%04d", i), title: "Engineer", dept: "Engineering", startDays: 3}))
	}
	shift := &pagingShifter{inner: http.DefaultTransport, insert: func() {
		early := e.lsEmployee(person{n: 0, first: "Early", last: "Bird", title: "Engineer", dept: "Engineering", startDays: 3})
		early.ID = strings.Repeat("0", 24)
		e.putLeapsome(early)
	}}
	clients := *e.svcs.Clients()
	clients.HTTPClient = &http.Client{Transport: shift, Timeout: time.Minute}
	runner := app.NewRunner(e.cfg, e.svcs.Store(), e.svcs.Secrets(), e.svcs.Publisher(), &clients, e.svcs.Engine(), e.clk.Now, e.log)
	r := e.handle(runner, e.job("sched-paging", provision.TriggerSchedule, false))
	plan := e.planOf(r.SyncID)
	wantRunError(t, r, provision.RunSucceeded, "")
	if len(plan) != n || actions(r.Counts) != n || r.Counts.Suggested != n {
		t.Fatalf("plan of %d, counts %+v; want %d people, each suggested once", len(plan), r.Counts, n)
	}
	for _, is := range e.issuesOf(r.SyncID) {
		if is.Code == provision.CodeDuplicateEmail {
			t.Fatalf("a repeated record became %+v", is)
		}
	}
}

// The mass-create brake at its edges: exactly massCreateMaxPercent is not
// "more than" it; one more is held, and confirmCreates releases them.
func TestScenarioMassCreateBrakeAtTheThreshold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		newHires int
		held     bool
	}{
		{"20 links, 5 of 25 (exactly 20%) created", 5, false},
		{"20 links, 6 of 26 (23%) held", 6, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var people []person
			for i := 1; i <= provision.MassCreateMinLinks; i++ {
				people = append(people, person{n: i, first: "Old", last: fmt.Sprintf("Timer%02d", i), title: "Engineer", dept: "Engineering",
					startDays: -100, employeeID: fmt.Sprintf("1%07d", i), trinetDept: "D1"})
			}
			e := newEnv(t, withPeople(people))
			e.connect(true)
			ctx := ctxFor(t)
			r1 := e.handle(e.runner, e.job("sched-link-all", provision.TriggerSchedule, false))
			if r1.Counts.Linked != provision.MassCreateMinLinks || len(e.links()) != provision.MassCreateMinLinks {
				t.Fatalf("first run %+v, links %d", r1.Counts, len(e.links()))
			}
			for i := 0; i < tc.newHires; i++ {
				e.putLeapsome(e.lsEmployee(person{n: 100 + i, first: "New", last: fmt.Sprintf("Hire%02d", i), title: "Engineer", dept: "Engineering", startDays: 7}))
			}
			r2 := e.handle(e.runner, e.job("sched-new-hires", provision.TriggerSchedule, false))
			posts := len(hirePosts(e.company))
			if !tc.held {
				if r2.Counts.Created != tc.newHires || r2.Counts.Held != 0 || posts != tc.newHires {
					t.Fatalf("at the threshold: counts %+v, %d hire POSTs; want %d created", r2.Counts, posts, tc.newHires)
				}
				return
			}
			if r2.Counts.Held != tc.newHires || r2.Counts.Created != 0 || posts != 0 || r2.Counts.Unchanged != provision.MassCreateMinLinks {
				t.Fatalf("over the threshold: counts %+v, %d hire POSTs; want %d held, the rest applied", r2.Counts, posts, tc.newHires)
			}
			for _, it := range e.planOf(r2.SyncID) {
				if it.Action == provision.ActionHeld && it.Code != provision.CodeMassCreateHeld {
					t.Fatalf("held item %+v", it)
				}
			}
			run, err := e.svc.Trigger(ctx, e.tenant, api.TriggerRequest{ConfirmCreates: true})
			if err != nil {
				t.Fatal(err)
			}
			job := e.job(run.SyncID, provision.TriggerManual, false)
			job.ConfirmCreates = true
			r3 := e.handle(e.runner, job)
			if r3.Counts.Created != tc.newHires || len(hirePosts(e.company)) != tc.newHires {
				t.Fatalf("confirmed run %+v, %d hire POSTs; want %d created", r3.Counts, len(hirePosts(e.company)), tc.newHires)
			}
		})
	}
}

// Unicode and emoji in names and titles survive the round trip: the hire is
// created, and once TriNet lists it the service links it with nothing to
// write, and the next run writes nothing at all.
func TestScenarioUnicodeValuesRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()[:2]))
	e.connect(true)
	ada := cleanPeople()[0]
	adaLS := e.lsEmployee(ada)
	adaLS.Title = "  Ingénieure en chef 🚀 — 工程师  "
	e.putLeapsome(adaLS)
	zoe := person{n: 7, first: "Zoë 🎉", last: "Ñandú-Łukasiewicz ﷽", title: "Développeuse 👩‍💻", dept: "Engineering", startDays: -1}
	zoeLS := e.lsEmployee(zoe)
	zoeLS.Email = "zoe@" + e.domain
	zoeLS.MiddleName = "Ǆ"
	e.putLeapsome(zoeLS)

	r1 := e.handle(e.runner, e.job("sched-unicode-1", provision.TriggerSchedule, false))
	wantRunError(t, r1, provision.RunSucceeded, "")
	if got, _ := inf.TriNet.Employee(e.company, ada.employeeID); got.Title != strings.TrimSpace(adaLS.Title) {
		t.Fatalf("Ada's title in TriNet %q", got.Title)
	}
	h := e.hires()[e.userID(zoe)]
	if h.State != provision.HirePending || h.EmployeeID == "" {
		t.Fatalf("Zoë's ledger entry %+v", h)
	}
	if got, _ := inf.TriNet.Employee(e.company, h.EmployeeID); got.FirstName != zoe.first || got.LastName != zoe.last || got.Title != zoe.title {
		t.Fatalf("Zoë in TriNet: %q %q %q", got.FirstName, got.LastName, got.Title)
	}
	if err := inf.TriNet.Approve(e.company, h.EmployeeID); err != nil {
		t.Fatal(err)
	}
	inf.TriNet.ResetCounters(e.company)
	r2 := e.handle(e.runner, e.job("sched-unicode-2", provision.TriggerSchedule, false))
	wantRunError(t, r2, provision.RunSucceeded, "")
	plan := e.planOf(r2.SyncID)
	if it := plan[e.userID(zoe)]; it.Action != provision.ActionLink || len(it.Fields) != 0 {
		t.Fatalf("approved Zoë %+v, want link with nothing to write", it)
	}
	// Unchanged people (Ada and Ben) are counted, not stored: the plan lists Zoë only.
	if it, ok := plan[e.userID(ada)]; ok || r2.Counts.Unchanged != 2 || len(plan) != 1 {
		t.Fatalf("Ada %+v in the plan (counts %+v), want her counted unchanged and not listed", it, r2.Counts)
	}
	r3 := e.handle(e.runner, e.job("sched-unicode-3", provision.TriggerSchedule, false))
	if r3.Counts.Unchanged != 3 {
		t.Fatalf("third run %+v, want everyone unchanged", r3.Counts)
	}
	if w := e.trinetWrites(); len(w) != 0 {
		t.Fatalf("writes after the hire with nothing changed: %+v", w)
	}
}

// One person's absurdly long title (more than a DynamoDB item holds) must
// stay that person's problem: the run records every person and does not fail
// as a whole.
func TestScenarioVeryLongTitleStaysOnePersonsProblem(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()))
	e.connect(true)
	ada := cleanPeople()[0]
	emp := e.lsEmployee(ada)
	emp.Title = strings.Repeat("x", 420_000) // more than a DynamoDB item holds (400 KB)
	e.putLeapsome(emp)
	out := e.runner.Handle(ctxFor(t), e.job("sched-long", provision.TriggerSchedule, false), 1)
	r := e.run("sched-long")
	t.Logf("outcome %+v; run %s counts %+v error %+v; TriNet received %d writes (%d hire POSTs)",
		out, r.Status, r.Counts, r.Error, len(e.trinetWrites()), len(hirePosts(e.company)))
	if out.Retry || r.Status == provision.RunFailed || !r.Status.Final() {
		raw, _ := json.Marshal(r.Error)
		t.Fatalf("CONTRACT: one person's oversized value failed or stalled the whole run (retry %t, status %s, error %s); "+
			"want it reported as that person's error and the others recorded", out.Retry, r.Status, raw)
	}
	plan := e.planOf(r.SyncID)
	if len(plan) != len(e.people) {
		t.Fatalf("plan of %d people, want %d", len(plan), len(e.people))
	}
	for _, f := range plan[e.userID(ada)].Fields {
		t.Logf("Ada's plan field %s: %d bytes stored", f.Field, len(f.To))
	}
	if n := len(hirePosts(e.company)); n != 1 {
		t.Fatalf("%d hire POSTs, want 1", n)
	}
}
