package app_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"trinetsync/internal/api"
	"trinetsync/internal/app"
	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
	"trinetsync/internal/queue"
	leapsomesandbox "trinetsync/internal/sandbox/leapsome"
	trinetsandbox "trinetsync/internal/sandbox/trinet"
	"trinetsync/internal/secrets"
	"trinetsync/internal/store"
)

// assertNothingStored fails if a rejected connect left a trace.
func (e *env) assertNothingStored() {
	e.t.Helper()
	if _, err := os.Stat(e.secretFile()); !errors.Is(err, os.ErrNotExist) {
		e.t.Fatalf("a secret was stored (stat: %v)", err)
	}
	tn := e.tenantRecord()
	if tn.Status != store.NotConnected || tn.CompanyID != "" || !tn.ConnectedAt.IsZero() {
		e.t.Fatalf("tenant recorded: %+v", tn)
	}
}

func TestConnectChecksEachCredential(t *testing.T) {
	t.Parallel()
	base := newEnv(t)
	other := base.sibling()
	for _, tc := range []struct {
		name  string
		edit  func(r *api.ConnectRequest)
		down  func()
		class fault.Class
		field string
	}{
		{"wrong TriNet secret", func(r *api.ConnectRequest) { r.TriNet.ClientSecret = "wrong-" + r.TriNet.ClientSecret }, nil, fault.Auth, "trinet.clientSecret"},
		{"unknown TriNet client", func(r *api.ConnectRequest) { r.TriNet.ClientID = "nobody" }, nil, fault.Auth, "trinet.clientSecret"},
		{"another company", func(r *api.ConnectRequest) { r.TriNet.CompanyID = other.company }, nil, fault.Forbidden, "trinet.companyId"},
		{"wrong Leapsome secret", func(r *api.ConnectRequest) { r.Leapsome.APISecret = "wrong-" + r.Leapsome.APISecret }, nil, fault.Auth, "leapsome.apiSecret"},
		{"bad SCIM token", func(r *api.ConnectRequest) { r.Leapsome.SCIMToken = "wrong-" + r.Leapsome.SCIMToken }, nil, fault.Auth, "leapsome.scimToken"},
		{"missing client id", func(r *api.ConnectRequest) { r.TriNet.ClientID = "  " }, nil, fault.Validation, "trinet.clientId"},
		{"missing API secret", func(r *api.ConnectRequest) { r.Leapsome.APISecret = "" }, nil, fault.Validation, "leapsome.apiSecret"},
		{"TriNet down", nil, func() { inf.TriNet.SetFaults(base.company, trinetFaultsDown()) }, fault.Transient, ""},
		{"Leapsome down", nil, func() {
			inf.Leapsome.SetFaults(base.lsTenant, leapsomesandbox.Faults{ServerErrors: 1 << 20})
		}, fault.Transient, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Each case has its own tenant id; the sandboxes are the base's.
			e := *base
			e.t = t
			e.name(envSetup{people: base.people})
			e.company, e.lsTenant = base.company, base.lsTenant
			req := base.creds
			if tc.edit != nil {
				tc.edit(&req)
			}
			if tc.down != nil {
				tc.down()
				defer inf.TriNet.SetFaults(base.company, trinetFaultsUp())
				defer inf.Leapsome.SetFaults(base.lsTenant, leapsomesandbox.Faults{})
			}
			_, err := e.svc.Connect(ctxFor(t), e.tenant, req)
			wantClass(t, err, tc.class, tc.field)
			for _, s := range append(base.secretValues(), req.TriNet.ClientSecret, req.Leapsome.APISecret, req.Leapsome.SCIMToken) {
				if s != "" && strings.Contains(err.Error(), s) {
					t.Fatalf("the error quotes a secret: %v", err)
				}
			}
			e.assertNothingStored()
		})
	}
}

func TestConnectStoresAndDescribesTheConnection(t *testing.T) {
	t.Parallel()
	for _, scim := range []bool{true, false} {
		t.Run(map[bool]string{true: "with SCIM", false: "without SCIM"}[scim], func(t *testing.T) {
			t.Parallel()
			var opts []envOption
			if !scim {
				opts = append(opts, withoutSCIM())
			}
			e := newEnv(t, opts...)
			ctx := ctxFor(t)
			before, err := e.svc.Connection(ctx, e.tenant)
			if err != nil || before.Status != api.StatusNotConnected || before.LastRun != nil || !before.NextRunAt.IsZero() {
				t.Fatalf("before connecting: %+v %v", before, err)
			}
			conn, err := e.svc.Connect(ctx, e.tenant, e.creds)
			if err != nil {
				t.Fatal(err)
			}
			now := e.clk.Now()
			if conn.Status != api.StatusConnected || conn.CompanyID != e.company || conn.SCIMConfigured != scim ||
				!conn.ConnectedAt.Equal(now) || !conn.RevokedAt.IsZero() || conn.Backoff != nil || conn.LastRun != nil {
				t.Fatalf("connection %+v", conn)
			}
			if want := secrets.MaskID(e.creds.TriNet.ClientID); conn.ClientIDMasked != want || strings.Contains(conn.ClientIDMasked, e.creds.TriNet.ClientID) {
				t.Fatalf("clientIdMasked %q, want %q", conn.ClientIDMasked, want)
			}
			if want := app.Slot(now, e.cfg.SyncInterval).Add(e.cfg.SyncInterval); !conn.NextRunAt.Equal(want) {
				t.Fatalf("nextRunAt %s, want %s", conn.NextRunAt, want)
			}
			e.assertNoSecretsIn("connection", conn)
			if _, err := os.Stat(e.secretFile()); err != nil {
				t.Fatalf("secret not stored: %v", err)
			}
			// The stored secret is the credentials, as the worker reads them.
			got, err := e.svcs.Secrets().Get(ctx, e.tenant)
			if err != nil || got.TriNet.ClientSecret != e.creds.TriNet.ClientSecret || got.Leapsome.SCIMToken != e.creds.Leapsome.SCIMToken {
				t.Fatalf("stored credentials differ (%v)", err)
			}
		})
	}
}

func TestReconnectClearsTheBackoff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(true)
	ctx := ctxFor(t)
	for range 3 {
		if _, err := e.svcs.Store().RecordRunOutcome(ctx, e.tenant, testOutcome(true, app.CodeUpstream, e.clk.Now())); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := e.svc.Connection(ctx, e.tenant)
	if err != nil || conn.Backoff == nil || conn.Backoff.Failures != 3 {
		t.Fatalf("before: %+v %v", conn.Backoff, err)
	}
	e.clk.Advance(time.Minute)
	conn, err = e.svc.Connect(ctx, e.tenant, e.creds)
	if err != nil || conn.Backoff != nil || !conn.ConnectedAt.Equal(e.clk.Now()) {
		t.Fatalf("after reconnecting: %+v %v", conn, err)
	}
	if tn := e.tenantRecord(); tn.ConsecutiveFailures != 0 || tn.Settings == nil || !tn.Settings.AutoCreateNewHires {
		t.Fatalf("tenant %+v: failures must clear, settings stay", tn)
	}
}

func TestDisconnect(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(true)
	ctx := ctxFor(t)
	if out := e.runner.Handle(ctx, e.job("before", provision.TriggerSchedule, false), 1); out.Retry {
		t.Fatal("run retried")
	}
	if links, _ := e.svcs.Store().Links(ctx, e.tenant, e.company); len(links) == 0 {
		t.Fatal("the run made no links")
	}
	for i := range 2 { // idempotent
		if err := e.svc.Disconnect(ctx, e.tenant); err != nil {
			t.Fatalf("disconnect %d: %v", i+1, err)
		}
	}
	if _, err := os.Stat(e.secretFile()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("secret still there (stat: %v)", err)
	}
	tn := e.tenantRecord()
	if tn.Status != store.NotConnected || tn.Settings != nil || tn.CompanyID != "" {
		t.Fatalf("tenant %+v", tn)
	}
	if links, err := e.svcs.Store().Links(ctx, e.tenant, e.company); err != nil || len(links) != 0 {
		t.Fatalf("links %+v %v, want none", links, err)
	}
	runs, _, err := e.svc.Runs(ctx, e.tenant, api.Page{Limit: 10})
	if err != nil || len(runs) != 1 || runs[0].SyncID != "before" {
		t.Fatalf("runs %+v %v, want kept", runs, err)
	}
	hires, _, err := e.svc.Hires(ctx, e.tenant, "", api.Page{Limit: 10})
	if err != nil || len(hires) != 1 || hires[0].State != provision.HirePending {
		t.Fatalf("hires %+v %v, want the pending hire kept", hires, err)
	}
	conn, err := e.svc.Connection(ctx, e.tenant)
	if err != nil || conn.Status != api.StatusNotConnected || !conn.NextRunAt.IsZero() || conn.LastRun == nil {
		t.Fatalf("connection %+v %v", conn, err)
	}
	if _, err := e.svc.Trigger(ctx, e.tenant, api.TriggerRequest{}); !errors.Is(err, api.ErrNotConnected) {
		t.Fatalf("trigger after disconnect: %v", err)
	}
	// A tenant never connected disconnects fine too.
	if err := e.svc.Disconnect(ctx, e.sibling().tenant); err != nil {
		t.Fatal(err)
	}
}

func TestSettingsDefaultsAndValidation(t *testing.T) {
	t.Parallel()
	hasTarget := func(s provision.Settings, target string) bool {
		return slices.ContainsFunc(s.Mappings, func(m provision.Mapping) bool { return m.Target == target })
	}
	for _, scim := range []bool{true, false} {
		t.Run(map[bool]string{true: "with SCIM", false: "without SCIM"}[scim], func(t *testing.T) {
			t.Parallel()
			var opts []envOption
			if !scim {
				opts = append(opts, withoutSCIM())
			}
			e := newEnv(t, opts...)
			ctx := ctxFor(t)
			if _, err := e.svc.Connect(ctx, e.tenant, e.creds); err != nil {
				t.Fatal(err)
			}
			def, err := e.svc.Settings(ctx, e.tenant)
			if err != nil {
				t.Fatal(err)
			}
			if def.AutoCreateNewHires || !hasTarget(def, "firstName") || !hasTarget(def, "jobTitle") {
				t.Fatalf("defaults %+v", def)
			}
			if hasTarget(def, "gender") != scim || hasTarget(def, "birthDate") != scim {
				t.Fatalf("defaults with SCIM %t: gender %t birthDate %t", scim, hasTarget(def, "gender"), hasTarget(def, "birthDate"))
			}

			withMapping := func(m provision.Mapping) provision.Settings {
				s := provision.DefaultSettings(false)
				s.Mappings = append(s.Mappings, m)
				return s
			}
			without := func(target string) provision.Settings {
				s := provision.DefaultSettings(false)
				s.Mappings = slices.DeleteFunc(s.Mappings, func(m provision.Mapping) bool { return m.Target == target })
				return s
			}
			bad := []struct {
				name string
				in   provision.Settings
			}{
				{"unknown target", withMapping(provision.Mapping{Target: "shoeSize", Source: "title"})},
				{"unknown source", withMapping(provision.Mapping{Target: "ethnicity", Source: "horoscope"})},
				{"no first name", without("firstName")},
				{"no last name", without("lastName")},
			}
			if !scim {
				bad = append(bad, struct {
					name string
					in   provision.Settings
				}{"SCIM source without a SCIM token", withMapping(provision.Mapping{Target: "gender", Source: "scim.gender"})})
			}
			for _, b := range bad {
				_, err := e.svc.PutSettings(ctx, e.tenant, b.in)
				if err == nil {
					t.Fatalf("%s: accepted", b.name)
				}
				wantClass(t, err, fault.Validation, "")
				if fault.FieldOf(err) == "" {
					t.Fatalf("%s: error %v names no field", b.name, err)
				}
			}
			if got, _ := e.svc.Settings(ctx, e.tenant); !slices.EqualFunc(got.Mappings, def.Mappings, func(a, b provision.Mapping) bool { return a.Target == b.Target && a.Source == b.Source }) {
				t.Fatalf("a rejected save changed the settings: %+v", got)
			}

			good := provision.DefaultSettings(scim)
			good.AutoCreateNewHires = true
			good.MassCreateMaxPercent = 35
			good.Mappings = append(good.Mappings, provision.Mapping{Target: "employeeType", Source: "customAttributes.Employee type", ValueMap: map[string]string{"Full time": "F"}})
			saved, err := e.svc.PutSettings(ctx, e.tenant, good)
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.svc.Settings(ctx, e.tenant)
			if err != nil || !got.AutoCreateNewHires || got.MassCreateMaxPercent != 35 || !hasTarget(got, "employeeType") || len(got.Mappings) != len(saved.Mappings) {
				t.Fatalf("saved %+v, read back %+v (%v)", saved, got, err)
			}
		})
	}
}

// TestSettingsChangedNamesAScheduleChange: "settings_changed (the keys that
// changed, never values of secrets)", and schedule is a key of the settings.
// Pausing a tenant, or changing its interval, is a settings change whose
// entry says what changed, so "who paused the sync?" has an answer.
func TestSettingsChangedNamesAScheduleChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(false)
	ctx := ctxFor(t)
	for _, step := range []struct {
		schedule provision.Schedule
		changed  []any
	}{
		{provision.Schedule{Interval: "1h"}, []any{"schedule.interval"}},
		{provision.Schedule{Interval: "1h", Paused: true}, []any{"schedule.paused"}},
		{provision.Schedule{Interval: "60m", Paused: true}, []any{}}, // the same interval, written otherwise
	} {
		// Entries of one instant sort by request id: a later save must be
		// later to be the newest entry.
		e.clk.Advance(time.Second)
		set, err := e.svc.Settings(ctx, e.tenant)
		if err != nil {
			t.Fatal(err)
		}
		set.Schedule = &step.schedule
		if _, err := e.svc.PutSettings(ctx, e.tenant, set); err != nil {
			t.Fatalf("save schedule %+v: %v", step.schedule, err)
		}
		entries, _, err := e.svc.Audit(ctx, e.tenant, api.Page{Limit: 1})
		if err != nil || len(entries) != 1 || entries[0].Action != app.AuditSettingsChanged {
			t.Fatalf("audit after saving schedule %+v: %+v %v", step.schedule, entries, err)
		}
		if changed, _ := entries[0].Details["changed"].([]any); !slices.Equal(changed, step.changed) {
			t.Errorf("schedule %+v saved; the entry says changed %v, want %v", step.schedule, changed, step.changed)
		}
	}
}

func TestTriggerDeduplicatesManualRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(true)
	ctx := ctxFor(t)
	trigger := func(r api.TriggerRequest) provision.Run {
		t.Helper()
		run, err := e.svc.Trigger(ctx, e.tenant, r)
		if err != nil {
			t.Fatal(err)
		}
		if (run.Status != provision.RunQueued && run.Status != provision.RunRunning) || run.Trigger != provision.TriggerManual || run.DryRun != r.DryRun || run.ConfirmCreates != r.ConfirmCreates {
			t.Fatalf("trigger %+v answered %+v", r, run)
		}
		return run
	}
	plain := trigger(api.TriggerRequest{})
	if again := trigger(api.TriggerRequest{}); again.SyncID != plain.SyncID {
		t.Fatalf("same flags, new run: %s then %s", plain.SyncID, again.SyncID)
	}
	dry := trigger(api.TriggerRequest{DryRun: true})
	confirm := trigger(api.TriggerRequest{ConfirmCreates: true})
	ids := []string{plain.SyncID, dry.SyncID, confirm.SyncID}
	if len(slices.Compact(slices.Sorted(slices.Values(ids)))) != 3 {
		t.Fatalf("different flags share a run: %v", ids)
	}
	msgs := e.receive(3, 10*time.Second)
	queued := map[string]queue.Job{}
	for _, m := range msgs {
		queued[m.job.SyncID] = m.job
	}
	if !queued[dry.SyncID].DryRun || !queued[confirm.SyncID].ConfirmCreates || queued[plain.SyncID].DryRun {
		t.Fatalf("queued jobs %+v", queued)
	}
	// While the run is running it still answers; once finished, a new run starts.
	app.SetSafety(e.runner, time.Hour)
	short, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	if out := e.runner.Handle(short, queued[plain.SyncID], 1); out.Retry {
		t.Fatal("retried")
	}
	if running := trigger(api.TriggerRequest{}); running.SyncID != plain.SyncID {
		t.Fatalf("while running: new run %s", running.SyncID)
	}
	app.SetSafety(e.runner, 0)
	for e.run(plain.SyncID).Status == provision.RunRunning {
		next := e.receive(1, 10*time.Second)[0]
		e.deleteMessage(next)
		if next.job.SyncID != plain.SyncID {
			continue
		}
		if out := e.runner.Handle(ctx, next.job, 1); out.Retry {
			t.Fatal("continuation retried")
		}
	}
	if fresh := trigger(api.TriggerRequest{}); fresh.SyncID == plain.SyncID {
		t.Fatal("a finished run answered a trigger")
	}
	// A scheduled run never answers a trigger.
	sched := e.job("sched-x", provision.TriggerSchedule, false)
	if err := e.svcs.Store().CreateRun(ctx, provision.Run{TenantID: e.tenant, SyncID: sched.SyncID, Trigger: provision.TriggerSchedule, Status: provision.RunQueued}); err != nil {
		t.Fatal(err)
	}
	if r := trigger(api.TriggerRequest{DryRun: true, ConfirmCreates: true}); r.SyncID == sched.SyncID {
		t.Fatal("a scheduled run answered a trigger")
	}

	notConnected := e.sibling()
	if _, err := e.svc.Trigger(ctx, notConnected.tenant, api.TriggerRequest{}); !errors.Is(err, api.ErrNotConnected) {
		t.Fatalf("trigger of a tenant never connected: %v", err)
	}
}

// brokenQueue is SQS refusing a message, which goaws cannot be made to do.
type brokenQueue struct{}

func (brokenQueue) Send(context.Context, queue.Job, time.Duration) error {
	return fault.New(fault.Transient, "queue unavailable")
}

func TestTriggerThatCannotBeQueuedDoesNotBlockTheNext(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(true)
	ctx := ctxFor(t)
	broken := app.NewBackend(e.cfg, e.svcs.Store(), e.svcs.Secrets(), e.svcs.Clients(), brokenQueue{}, e.clk.Now, e.log)
	_, err := broken.Trigger(ctx, e.tenant, api.TriggerRequest{})
	wantClass(t, err, fault.Transient, "")
	runs, _, err := e.svc.Runs(ctx, e.tenant, api.Page{Limit: 10})
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs %+v %v", runs, err)
	}
	wantRunError(t, runs[0], provision.RunFailed, app.CodeUpstream)
	run, err := e.svc.Trigger(ctx, e.tenant, api.TriggerRequest{})
	if err != nil || run.SyncID == runs[0].SyncID {
		t.Fatalf("next trigger: %+v %v", run, err)
	}
}

func TestReleaseHire(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(true)
	ctx := ctxFor(t)
	for _, h := range []provision.HireEntry{
		{UserID: "u-unknown", CompanyID: e.company, Email: "u@x.example", State: provision.HireUnknown, SubmittedAt: e.clk.Now(), SyncID: "s1"},
		{UserID: "u-pending", CompanyID: e.company, Email: "p@x.example", State: provision.HirePending, EmployeeID: "E9", SubmittedAt: e.clk.Now(), SyncID: "s1"},
	} {
		if err := e.svcs.Store().CreateHire(ctx, e.tenant, h); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		state provision.HireState
		want  []string
	}{
		{"", []string{"u-pending", "u-unknown"}},
		{provision.HireUnknown, []string{"u-unknown"}},
		{provision.HirePending, []string{"u-pending"}},
	} {
		hires, _, err := e.svc.Hires(ctx, e.tenant, tc.state, api.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range hires {
			ids = append(ids, h.UserID)
		}
		slices.Sort(ids)
		if !slices.Equal(ids, tc.want) {
			t.Fatalf("hires in state %q: %v, want %v", tc.state, ids, tc.want)
		}
	}
	if err := e.svc.ReleaseHire(ctx, e.tenant, "u-unknown"); err != nil {
		t.Fatalf("release unknown: %v", err)
	}
	if _, err := e.svcs.Store().Hire(ctx, e.tenant, e.company, "u-unknown"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("released hire still there: %v", err)
	}
	wantClass(t, e.svc.ReleaseHire(ctx, e.tenant, "u-pending"), fault.Conflict, "")
	if h, err := e.svcs.Store().Hire(ctx, e.tenant, e.company, "u-pending"); err != nil || h.State != provision.HirePending {
		t.Fatalf("pending hire %+v %v, want kept", h, err)
	}
	wantClass(t, e.svc.ReleaseHire(ctx, e.tenant, "u-none"), fault.NotFound, "")
	wantClass(t, e.svc.ReleaseHire(ctx, e.tenant, "u-unknown"), fault.NotFound, "")
}

func TestIssuesOfTheLatestFinishedRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(true)
	ctx := ctxFor(t)
	none, err := e.svc.Issues(ctx, e.tenant, "", api.Page{Limit: 10})
	if err != nil || none.SyncID != "" || len(none.Items) != 0 {
		t.Fatalf("before any run: %+v %v", none, err)
	}
	if out := e.runner.Handle(ctx, e.job("first", provision.TriggerSchedule, false), 1); out.Retry {
		t.Fatal("retried")
	}
	// A later skipped run does not hide the issues.
	e.clk.Advance(time.Minute)
	if held, _, err := e.svcs.Store().AcquireLease(ctx, e.tenant, "other", "", time.Minute); err != nil || !held {
		t.Fatal("lease")
	}
	if out := e.runner.Handle(ctx, e.job("skipped", provision.TriggerSchedule, false), 1); out.Retry {
		t.Fatal("retried")
	}
	wantRunError(t, e.run("skipped"), provision.RunSkipped, "")
	page, err := e.svc.Issues(ctx, e.tenant, "", api.Page{Limit: 10})
	if err != nil || page.SyncID != "first" || len(page.Items) != 1 {
		t.Fatalf("latest issues %+v %v", page, err)
	}
	is := page.Items[0]
	if is.Code != "department_not_found" || is.Severity != provision.SeverityError || is.Field != "department" || is.Email == "" || is.UserID == "" {
		t.Fatalf("issue %+v", is)
	}
	e.assertNoSecretsIn("issues", page)
	if page, err := e.svc.Issues(ctx, e.tenant, "skipped", api.Page{Limit: 10}); err != nil || page.SyncID != "skipped" || len(page.Items) != 0 {
		t.Fatalf("issues of the skipped run: %+v %v", page, err)
	}
	if _, err := e.svc.Issues(ctx, e.tenant, "no-such-run", api.Page{}); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("unknown run: %v", err)
	}
	if _, _, err := e.svc.Plan(ctx, e.tenant, "no-such-run", api.Page{}); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("plan of an unknown run: %v", err)
	}
	if _, err := e.svc.Run(ctx, e.tenant, "no-such-run"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("unknown run: %v", err)
	}
	// Another tenant sees none of it.
	if page, err := e.svc.Issues(ctx, e.sibling().tenant, "", api.Page{}); err != nil || page.SyncID != "" {
		t.Fatalf("another tenant's issues: %+v %v", page, err)
	}
}

func TestFieldsCatalog(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cat, err := e.svc.Fields(ctxFor(t))
	if err != nil || len(cat.Targets) == 0 || len(cat.Sources) == 0 {
		t.Fatalf("catalog %+v %v", cat, err)
	}
	for _, tg := range cat.Targets {
		if tg.Required != (tg.Target == "firstName" || tg.Target == "lastName") {
			t.Errorf("target %s required %t", tg.Target, tg.Required)
		}
	}
}

// The service's answers and logs over a whole tenant's life hold no secret
// (the logs of every test are scanned when it ends as well).
func TestNoSecretInAnswersOrLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxFor(t)
	conn := e.connect(true)
	run, err := e.svc.Trigger(ctx, e.tenant, api.TriggerRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if out := e.runner.Handle(ctx, e.job(run.SyncID, provision.TriggerManual, false), 1); out.Retry {
		t.Fatal("retried")
	}
	conn2, _ := e.svc.Connection(ctx, e.tenant)
	runs, _, _ := e.svc.Runs(ctx, e.tenant, api.Page{Limit: 10})
	plan, _, _ := e.svc.Plan(ctx, e.tenant, run.SyncID, api.Page{Limit: 100})
	issues, _ := e.svc.Issues(ctx, e.tenant, "", api.Page{Limit: 100})
	settings, _ := e.svc.Settings(ctx, e.tenant)
	hires, _, _ := e.svc.Hires(ctx, e.tenant, "", api.Page{})
	for what, v := range map[string]any{"connect": conn, "connection": conn2, "runs": runs, "plan": plan, "issues": issues, "settings": settings, "hires": hires} {
		e.assertNoSecretsIn(what, v)
	}
	if len(plan) == 0 || len(runs) == 0 {
		t.Fatal("nothing to inspect")
	}
	// Rejections are logged without the secret that was rejected.
	bad := e.creds
	bad.TriNet.ClientSecret = "wrong-" + bad.TriNet.ClientSecret
	if _, err := e.svc.Connect(ctx, e.tenant, bad); err == nil {
		t.Fatal("accepted a wrong secret")
	}
	if strings.Contains(e.logs.String(), bad.TriNet.ClientSecret) {
		t.Fatal("a rejected secret was logged")
	}
}

// A reconnect without a SCIM token drops the SCIM mappings: the settings no
// longer show them, the next run warns scim_unavailable once, and later runs
// do not.
func TestReconnectWithoutSCIMDropsSCIMMappings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(true)
	ctx := ctxFor(t)
	hasGender := func() bool {
		s, err := e.svc.Settings(ctx, e.tenant)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(s.Mappings, func(m provision.Mapping) bool { return m.Source == "scim.gender" })
	}
	if !hasGender() {
		t.Fatal("the SCIM defaults carry no gender mapping")
	}
	noSCIM := e.creds
	noSCIM.Leapsome.SCIMToken = ""
	if _, err := e.svc.Connect(ctx, e.tenant, noSCIM); err != nil {
		t.Fatal(err)
	}
	if hasGender() {
		t.Fatal("settings still show a SCIM mapping for a connection without SCIM")
	}
	warned := func(syncID string) bool {
		if out := e.runner.Handle(ctx, e.job(syncID, provision.TriggerManual, false), 1); out.Retry {
			t.Fatalf("%s: %+v", syncID, out)
		}
		page, err := e.svc.Issues(ctx, e.tenant, syncID, api.Page{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(page.Items, func(is provision.Issue) bool { return is.Code == "scim_unavailable" && is.UserID == "" })
	}
	if !warned("manual-after-reconnect") {
		t.Fatal("the first run after the reconnect did not warn scim_unavailable")
	}
	if warned("manual-later") {
		t.Fatal("a later run warned scim_unavailable again")
	}
}

// An upstream that hangs is answered as unavailable well before API Gateway
// gives up on the request, and nothing is stored.
func TestConnectCheckIsBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	app.SetCheckTimeout(e.svc, 300*time.Millisecond)
	inf.TriNet.SetFaults(e.company, trinetsandbox.Faults{Latency: time.Minute, Endpoint: "org-details"})
	defer inf.TriNet.SetFaults(e.company, trinetsandbox.Faults{})
	ctx, cancel := context.WithTimeout(ctxFor(t), 20*time.Second)
	defer cancel()
	_, err := e.svc.Connect(ctx, e.tenant, e.creds)
	if err == nil {
		t.Fatal("connect succeeded against a hanging TriNet")
	}
	if c, _ := fault.ClassOf(err); c != fault.Transient && c != fault.Throttled {
		t.Fatalf("error %v of class %v, want transient (answered 502)", err, c)
	}
	if ctx.Err() != nil {
		t.Fatal("the check ran into the caller's deadline instead of its own bound")
	}
	e.assertNothingStored()
}
