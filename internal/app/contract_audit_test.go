package app_test

import (
	"testing"

	"trinetsync/internal/api"
	"trinetsync/internal/provision"
)

// Contract audit (audit2): behaviour the contract names that the backend and
// the runner do not show yet. Each test fails until its finding is fixed.

// TestPersonExplainedAfterADryRun: "GET …/people/{userId} | explain one
// person: … "latest":{plan item + its issues}, "history":[…] (the last 20
// runs that touched the person)". A dry run records "the run, its plan and
// its issues" — the seed's "suggest creating them" step — and its plan names
// the person. Today the person index skips dry runs, so after the dry run an
// admin uses to ask "who would be created?", asking why Cleo would be is 404:
// the service claims to know nothing of her.
func TestPersonExplainedAfterADryRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()))
	e.connect(false)
	ctx := ctxFor(t)
	cleo := e.userID(cleanPeople()[2])
	dry := e.handle(e.runner, e.job("dry", provision.TriggerManual, true))
	if got := e.planOf(dry.SyncID)[cleo]; got.Action != provision.ActionSuggest {
		t.Fatalf("the dry run planned Cleo %+v, want suggest", got)
	}
	p, err := e.svc.Person(ctx, e.tenant, cleo)
	if err != nil {
		t.Fatalf("GET …/people/%s after a dry run that planned her: %v", cleo, err)
	}
	if len(p.History) != 1 || p.History[0].SyncID != dry.SyncID || p.Latest == nil || p.Latest.SyncID != dry.SyncID ||
		p.Latest.Item.Action != provision.ActionSuggest {
		t.Errorf("Cleo explained as %+v; want the dry run in history and as latest (suggest)", p)
	}
}

// TestSubsetRunLeavesTheSCIMWarningToAFullRun: "If a later connection has
// no SCIM token, SCIM mappings are dropped and the next run warns
// `scim_unavailable`", and the admin reads warnings on GET …/errors: "items
// of the latest finished full run". A subset run is never that run, yet when
// it is the first run after the reconnect it drops the mappings for good and
// takes the one warning with it: no full run, and so no errors page, ever
// says why gender and birth date stopped syncing. (A subset run also changes
// the tenant's saved settings, which is more than "the rest untouched".)
func TestSubsetRunLeavesTheSCIMWarningToAFullRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withPeople(cleanPeople()))
	e.connect(true)
	ctx := ctxFor(t)
	noSCIM := e.creds
	noSCIM.Leapsome.SCIMToken = ""
	if _, err := e.svc.Connect(ctx, e.tenant, noSCIM); err != nil {
		t.Fatal(err)
	}
	ada := e.userID(cleanPeople()[0])
	if sub := e.handle(e.runner, e.triggered(api.TriggerRequest{People: []string{ada}})); !sub.Status.Final() {
		t.Fatalf("subset run %+v", sub)
	}
	if full := e.handle(e.runner, e.triggered(api.TriggerRequest{})); !full.Status.Final() {
		t.Fatalf("full run %+v", full)
	}
	page, err := e.svc.Issues(ctx, e.tenant, "", api.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if !hasIssue(page.Items, "", "scim_unavailable") {
		t.Errorf("the errors page (run %s) never shows scim_unavailable after a reconnect without SCIM: %+v", page.SyncID, page.Items)
	}
}
