package provision

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"trinetsync/internal/fault"
)

// linkedPerson adds a person TriNet has and a stored link to them; title is
// Leapsome's title (TriNet's stays "Engineer", so any other title is an update).
func (f *fixture) linkedPerson(id, employeeID, title string) {
	p := person(id, "Pat", "Linked"+id, id+"@example.com")
	p.Title = title
	f.addPerson(p)
	e := employee(employeeID, "Pat", "Linked"+id, id+"@example.com")
	e.StartDate = testNow.Format(time.DateOnly)
	f.company.put(e)
	f.links.links[id] = Link{UserID: id, EmployeeID: employeeID, CompanyID: "CJ6", Origin: OriginEmail, Email: id + "@example.com"}
}

func (f *fixture) newPerson(id string) {
	p := person(id, "Nia", "New"+id, id+"@example.com")
	f.addPerson(p)
}

func planned(res Result) map[string]string {
	out := map[string]string{}
	for _, it := range res.Plan {
		a := string(it.Action)
		if it.Code != "" {
			a += ":" + it.Code
		}
		out[it.UserID] = a
	}
	return out
}

// TestSubsetRunCoversOnlyItsPeople: a run of some people plans, writes and
// counts only them, and leaves every other person's TriNet record, link and
// ledger entry as they were.
func TestSubsetRunCoversOnlyItsPeople(t *testing.T) {
	f := newFixture()
	f.linkedPerson("u1", "00000001", "Staff Engineer")
	f.linkedPerson("u2", "00000002", "Principal Engineer") // changed, not in the subset
	f.newPerson("u3")                                      // new, in the subset
	f.newPerson("u4")                                      // new, not in the subset
	f.addPerson(person("u5", "Eve", "Emailed", "u5@example.com"))
	f.company.put(employee("00000005", "Eve", "Emailed", "u5@example.com")) // would be linked by email
	f.ledger.entries["u6"] = HireEntry{UserID: "u6", CompanyID: "CJ6", Email: "u6@example.com", State: HireSubmitted, SyncID: "old"}
	f.newPerson("u6") // a submitted hire a full run would move to unknown
	linksBefore := maps.Clone(f.links.links)
	ledgerBefore := maps.Clone(f.ledger.entries)
	emp2 := f.company.get("00000002")

	in := f.input(autoCreate(false))
	in.Subset = []string{"u1", "u3"}
	res := run(t, f, in)

	if got, want := planned(res), map[string]string{"u1": "update", "u3": "create"}; !maps.Equal(got, want) {
		t.Fatalf("plan %v, want %v", got, want)
	}
	if res.Counts != (Counts{Created: 1, Updated: 1}) {
		t.Fatalf("counts %+v, want only the subset's", res.Counts)
	}
	for _, w := range f.company.Writes() {
		if w.Call == "hire" && w.Hire.WorkEmail != "u3@example.com" || w.Call != "hire" && w.EmployeeID != "00000001" {
			t.Fatalf("a write for someone outside the subset: %+v", w)
		}
	}
	if len(f.company.Writes()) != 2 {
		t.Fatalf("writes %+v, want u1's jobs update and u3's hire", f.company.Writes())
	}
	if got := f.company.get("00000002"); got != emp2 {
		t.Fatalf("u2's TriNet record changed: %+v", got)
	}
	if !maps.Equal(f.links.links, linksBefore) {
		t.Fatalf("links changed: %v, were %v", f.links.links, linksBefore)
	}
	for id, e := range ledgerBefore {
		if got := f.ledger.entries[id]; got != e {
			t.Fatalf("ledger entry of %s changed: %+v, was %+v", id, got, e)
		}
	}
	if e, ok := f.ledger.get("u3"); !ok || e.State != HirePending {
		t.Fatalf("u3's own ledger entry: %+v %v", e, ok)
	}

	// The same world synced in full afterwards does what the subset left.
	res = run(t, f, f.input(autoCreate(false)))
	if got := planned(res); got["u2"] != "update" || got["u4"] != "create" || got["u5"] != "link" ||
		got["u6"] != "pending:hire_outcome_unknown" || got["u1"] != "unchanged" {
		t.Fatalf("full run after the subset: %v", got)
	}
}

// TestSubsetNamesSomeoneLeapsomeLacks: a person the subset or an approval
// names whom Leapsome does not list is a warning of the run, not an error
// and not a plan item; an empty subset plans nobody.
func TestSubsetNamesSomeoneLeapsomeLacks(t *testing.T) {
	f := newFixture()
	f.linkedPerson("u1", "00000001", "Engineer")
	in := f.input(DefaultSettings(false))
	in.Subset = []string{"u1", "ghost"}
	in.Approve = []string{"phantom"}
	res := run(t, f, in)
	if got := planned(res); !maps.Equal(got, map[string]string{"u1": "unchanged"}) {
		t.Fatalf("plan %v", got)
	}
	var codes []string
	for _, is := range res.Issues {
		if is.Code != CodeNotInLeapsome || is.Severity != SeverityWarning {
			t.Fatalf("issue %+v", is)
		}
		codes = append(codes, is.UserID)
	}
	if !slices.Equal(codes, []string{"ghost", "phantom"}) || res.Counts.Warnings != 2 || res.ErrorPeople != 0 {
		t.Fatalf("issues %+v counts %+v", res.Issues, res.Counts)
	}

	in.Subset, in.Approve = []string{}, nil
	res = run(t, f, in)
	if len(res.Plan) != 0 || res.Counts != (Counts{}) || len(f.company.Writes()) != 0 {
		t.Fatalf("an empty subset: plan %+v counts %+v", res.Plan, res.Counts)
	}
}

// TestApprovedCreateWithAutoCreateOff: an approved person is created with
// auto-create off; the other suggestions stay suggestions.
func TestApprovedCreateWithAutoCreateOff(t *testing.T) {
	f := newFixture()
	f.newPerson("n1")
	f.newPerson("n2")
	f.newPerson("n3")
	f.setPerson("n3", func(p *Person) { p.StartDate = "" })
	in := f.input(DefaultSettings(false))
	in.Approve = []string{"n1", "n3"}
	res := run(t, f, in)
	want := map[string]string{"n1": "create", "n2": "suggest:not_in_trinet", "n3": "error:missing_start_date"}
	if got := planned(res); !maps.Equal(got, want) {
		t.Fatalf("plan %v, want %v", got, want)
	}
	if h := f.company.hires(); len(h) != 1 || h[0].Hire.WorkEmail != "n1@example.com" {
		t.Fatalf("hires %+v", h)
	}
	if !hasCodeIssue(res, "n2", CodeNotInTriNet) || hasCodeIssue(res, "n1", CodeNotInTriNet) {
		t.Fatalf("issues %+v", res.Issues)
	}
}

// TestBrakeWithApprovalsAndSubsets: approved people are neither held nor
// counted by the mass-create brake; a subset's creates are weighed against
// every in-scope person, not against the subset alone.
func TestBrakeWithApprovalsAndSubsets(t *testing.T) {
	world := func() *fixture {
		f := newFixture()
		for i := range 25 {
			f.linkedPerson(fmt.Sprintf("l%02d", i), fmt.Sprintf("000001%02d", i), "Engineer")
		}
		for i := range 10 {
			f.newPerson(fmt.Sprintf("n%02d", i))
		}
		return f
	}
	tests := []struct {
		name             string
		subset, approve  []string
		created, held    int
		createdOnlyAmong []string
	}{
		{name: "full run: 10 of 35 is over 20%", created: 0, held: 10},
		{name: "approved ones go through, the rest is held", approve: []string{"n00", "n01"}, created: 2, held: 8,
			createdOnlyAmong: []string{"n00", "n01"}},
		{name: "approvals alone are outside the brake", approve: []string{"n00", "n01", "n02", "n03", "n04", "n05", "n06", "n07", "n08", "n09"},
			created: 10},
		{name: "a subset of 3 is 3 of 35", subset: []string{"n00", "n01", "n02"}, created: 3,
			createdOnlyAmong: []string{"n00", "n01", "n02"}},
		{name: "a subset of 8 is over 20% of 35", subset: []string{"n00", "n01", "n02", "n03", "n04", "n05", "n06", "n07", "l00"}, held: 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := world()
			in := f.input(autoCreate(false))
			in.Subset, in.Approve = tt.subset, tt.approve
			res := run(t, f, in)
			if res.Counts.Created != tt.created || res.Counts.Held != tt.held {
				t.Fatalf("counts %+v, want created %d held %d", res.Counts, tt.created, tt.held)
			}
			for _, h := range f.company.hires() {
				if tt.createdOnlyAmong != nil && !slices.ContainsFunc(tt.createdOnlyAmong, func(id string) bool { return h.Hire.WorkEmail == id+"@example.com" }) {
					t.Fatalf("hired %s", h.Hire.WorkEmail)
				}
			}
		})
	}
}

// TestSubsetHireFindsItsManager: a subset's hire gets the TriNet id of a
// manager outside the subset from the manager's link; a manager who would be
// hired in a full run but is outside the subset is not, and the report is
// hired without a supervisor.
func TestSubsetHireFindsItsManager(t *testing.T) {
	f := newFixture()
	f.linkedPerson("boss", "00000010", "Engineer")
	f.newPerson("newboss")
	f.newPerson("r1")
	f.setPerson("r1", func(p *Person) { p.ManagerID = "boss" })
	f.newPerson("r2")
	f.setPerson("r2", func(p *Person) { p.ManagerID = "newboss" })
	in := f.input(autoCreate(false))
	in.Subset = []string{"r1", "r2"}
	res := run(t, f, in)
	if got := planned(res); !maps.Equal(got, map[string]string{"r1": "create", "r2": "create"}) {
		t.Fatalf("plan %v", got)
	}
	sup := map[string]string{}
	for _, h := range f.company.hires() {
		sup[h.Hire.WorkEmail] = h.Hire.SupervisorID
	}
	if len(sup) != 2 || sup["r1@example.com"] != "00000010" || sup["r2@example.com"] != "" {
		t.Fatalf("hires' supervisors %v: r1 reports to the linked boss, r2's manager is not hired by this run", sup)
	}
	if !hasCodeIssue(res, "r2", CodeSupervisorNotInTriNet) {
		t.Fatalf("r2 is not warned: %+v", issuesOf(res, "r2"))
	}
}

// TestSubsetNeverMovesAnotherPersonsLink: a re-created account would take
// the link over from the old one in a full run; a subset run leaves the old
// account's link alone and says a full run does it.
func TestSubsetNeverMovesAnotherPersonsLink(t *testing.T) {
	f := newFixture()
	f.company.put(employee("00000001", "Ada", "Lovelace", "ada@example.com"))
	f.links.links["old"] = Link{UserID: "old", EmployeeID: "00000001", CompanyID: "CJ6", Origin: OriginEmail}
	f.addPerson(person("new", "Ada", "Lovelace", "ada@example.com"))
	in := f.input(DefaultSettings(false))
	in.Subset = []string{"new"}
	res := run(t, f, in)
	if got := planned(res); got["new"] != "error:"+CodeNeedsFullRun {
		t.Fatalf("plan %v", got)
	}
	if l, ok := f.links.get("old"); !ok || l.EmployeeID != "00000001" {
		t.Fatalf("the old account's link: %+v %v", l, ok)
	}
	if _, ok := f.links.get("new"); ok || len(f.company.Writes()) != 0 {
		t.Fatalf("the subset linked or wrote: %+v", f.company.Writes())
	}
	res = run(t, f, f.input(DefaultSettings(false)))
	if got := planned(res); got["new"] != "link" {
		t.Fatalf("full run: %v", got)
	}
	if l, _ := f.links.get("new"); l.EmployeeID != "00000001" {
		t.Fatalf("full run did not move the link: %+v", f.links.links)
	}
}

// TestDriftInDryRun: a dry run reports, on a linked person's item, the
// new-hire-only targets whose TriNet value differs from Leapsome's; values
// that compare equal once normalised, blank or unreadable Leapsome values,
// and real runs report none, and drift alone changes no action: the item
// stays unchanged, so the run's plan listing (no unchanged person) leaves it
// out and the store keeps its drift apart for the drift listing.
func TestDriftInDryRun(t *testing.T) {
	f := newFixture()
	s := DefaultSettings(false)
	s.Mappings = append(s.Mappings,
		Mapping{Target: "employeeType", Source: "customAttributes.Type"},
		Mapping{Target: "standardHours", Source: "customAttributes.Hours"},
		Mapping{Target: "flsaCode", Source: "customAttributes.FLSA"})
	f.linkedPerson("boss", "00000010", "Engineer")
	f.linkedPerson("u1", "00000001", "Engineer")
	f.setPerson("u1", func(p *Person) {
		p.StartDate = "2024-03-01T00:00:00.000Z"
		p.ManagerID = "boss"
		p.Email = "U1@Example.com" // the same address in another case: no drift
		p.CustomAttributes = map[string]string{"Type": "p", "Hours": "40.0", "FLSA": "maybe"}
	})
	e := f.company.get("00000001")
	e.StartDate, e.EmployeeType, e.StandardHours, e.FLSACode, e.SupervisorID = "2024-02-01", "F", "40", "N", "00000099"
	f.company.put(e)

	in := f.input(s)
	in.DryRun = true
	res := run(t, f, in)
	it := itemOf(res, "u1")
	want := []FieldChange{
		{Field: "hireDate", From: "2024-02-01", To: "2024-03-01"},
		{Field: "supervisor", From: "00000099", To: "00000010"},
		{Field: "employeeType", From: "F", To: "P"},
	}
	if it.Action != ActionUnchanged || !slices.Equal(it.Drift, want) {
		t.Fatalf("u1: action %s drift %+v, want unchanged with %+v", it.Action, it.Drift, want)
	}
	if d := itemOf(res, "boss").Drift; d != nil {
		t.Fatalf("boss has no drift: %+v", d)
	}

	res = run(t, f, f.input(s))
	for _, it := range res.Plan {
		if it.Drift != nil {
			t.Fatalf("a real run reports drift: %+v", it)
		}
	}
	if len(f.company.Writes()) != 0 {
		t.Fatalf("drift is never written: %+v", f.company.Writes())
	}
}

// TestSensitiveDriftCarriesNoValues: drift goes through the same rule as
// fields, so a sensitive target's drift has no values.
func TestSensitiveDriftCarriesNoValues(t *testing.T) {
	for _, tg := range catalog {
		if !tg.Sensitive {
			continue
		}
		if c := change(&tg, "1990-01-01", "1991-01-01"); c.From != "" || c.To != "" || !c.Sensitive {
			t.Fatalf("%s: %+v", tg.Target, c)
		}
	}
}

func TestScheduleIntervals(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		written string
		bad     bool
	}{
		{in: "10m", want: 10 * time.Minute, written: "10m"},
		{in: "30m", want: 30 * time.Minute, written: "30m"},
		{in: "90m", want: 90 * time.Minute, written: "1h30m"},
		{in: "1h", want: time.Hour, written: "1h"},
		{in: " 2h ", want: 2 * time.Hour, written: "2h"},
		{in: "24h", want: 24 * time.Hour, written: "24h"},
		{in: "1440m", want: 24 * time.Hour, written: "24h"},
		{in: "5m", bad: true},
		{in: "15m", bad: true},
		{in: "0m", bad: true},
		{in: "-10m", bad: true},
		{in: "24h10m", bad: true},
		{in: "48h", bad: true},
		{in: "10", bad: true},
		{in: "often", bad: true},
	}
	for _, tt := range tests {
		d, err := ParseInterval(tt.in)
		if tt.bad {
			if err == nil || fault.FieldOf(err) != "schedule.interval" {
				t.Errorf("%q: %v, %v, want an error on schedule.interval", tt.in, d, err)
			}
			if verr := ValidateSettings(Settings{MassCreateMaxPercent: 20, Mappings: DefaultSettings(false).Mappings,
				Schedule: &Schedule{Interval: tt.in}}, false); fault.FieldOf(verr) != "schedule.interval" {
				t.Errorf("%q: settings validation %v", tt.in, verr)
			}
			continue
		}
		if err != nil || d != tt.want || FormatInterval(d) != tt.written {
			t.Errorf("%q: %v %v written %q, want %v written %q", tt.in, d, err, FormatInterval(d), tt.want, tt.written)
		}
	}
	if got := ScheduleOf(nil); got != (Schedule{Interval: "10m"}) || got.Every() != 10*time.Minute {
		t.Errorf("default schedule %+v", got)
	}
	if got := NormalizeSchedule(&Schedule{Interval: "120m", Paused: true}); *got != (Schedule{Interval: "2h", Paused: true}) {
		t.Errorf("normalised %+v", got)
	}
}
