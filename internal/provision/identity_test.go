package provision

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// The rules of "Identity: who is whom, per TriNet company", one row each, on
// the in-memory ports. The stories that reproduce the issue's defects run
// through the sandboxes and the store (internal/app, internal/localstack).

func issueWith(res Result, user, code string) (Issue, bool) {
	for _, is := range issuesOf(res, user) {
		if is.Code == code {
			return is, true
		}
	}
	return Issue{}, false
}

func TestIdentityRules(t *testing.T) {
	terminated := func(e Employee) Employee { e.Status = "T"; return e }
	tests := []struct {
		name   string
		setup  func(f *fixture)
		user   string
		action Action
		code   string // the item's code
		linkTo string // the person's link afterwards; "" = none or unchanged
		warn   string // a warning the person must get
		names  []string
		// writesTo lists the only employees written to.
		writesTo []string
	}{
		{"a linked person keeps syncing although a duplicate was typed into Leapsome", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			p := person("u2", "Ada", "Typo", "ada@example.com")
			f.addPerson(p)
			e := employee("00000001", "Ada", "Lovelace", "ada@example.com")
			e.Title = "Old title"
			f.company.put(e)
			f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000001", Origin: OriginEmail}
		}, "u1", ActionUpdate, "", "00000001", "", nil, []string{"00000001"}},
		{"the typo'd duplicate is the one blocked", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			f.addPerson(person("u2", "Ada", "Typo", "ada@example.com"))
			f.company.put(employee("00000001", "Ada", "Lovelace", "ada@example.com"))
			f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000001", Origin: OriginEmail}
		}, "u2", ActionError, CodeDuplicateEmail, "", "", nil, nil},
		{"a re-created Leapsome account takes the link over", func(f *fixture) {
			old := person("u1", "Ada", "Lovelace", "ada@example.com")
			old.Status = "removed"
			f.addPerson(old)
			f.addPerson(person("u9", "Ada", "Lovelace", "ada@example.com"))
			f.company.put(employee("00000001", "Ada", "Lovelace", "ada@example.com"))
			f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000001", Origin: OriginEmail}
		}, "u9", ActionLink, "", "00000001", CodeRelinked, []string{"u1", "u9"}, nil},
		{"a re-created account whose old account is gone from Leapsome", func(f *fixture) {
			f.addPerson(person("u9", "Ada", "Lovelace", "ada@example.com"))
			f.company.put(employee("00000001", "Ada", "Lovelace", "ada@example.com"))
			f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000001", Origin: OriginHire}
		}, "u9", ActionLink, "", "00000001", CodeRelinked, []string{"u1", "u9"}, nil},
		{"an account still in scope keeps its employee", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada.old@example.com"))
			f.addPerson(person("u9", "Ada", "Lovelace", "ada@example.com"))
			f.company.put(employee("00000001", "Ada", "Lovelace", "ada@example.com"))
			f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000001", Origin: OriginEmail}
		}, "u9", ActionError, CodeDuplicateEmail, "", "", nil, nil},
		{"an admin's link does not move to a re-created account", func(f *fixture) {
			f.addPerson(person("u9", "Ada", "Lovelace", "ada@example.com"))
			f.company.put(employee("00000001", "Ada", "Lovelace", "ada@example.com"))
			f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000001", Origin: OriginManual}
		}, "u9", ActionError, CodeDuplicateEmail, "", "", nil, nil},
		{"a rehire under a new id is followed", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			f.company.put(terminated(employee("00000001", "Ada", "Lovelace", "ada@example.com")))
			f.company.put(employee("00000044", "Ada", "Lovelace", "ada@example.com"))
			f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000001", Origin: OriginEmail}
		}, "u1", ActionLink, "", "00000044", CodeRelinked, []string{"00000001", "00000044"}, nil},
		{"no rehire without an active employee with the email", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			f.company.put(terminated(employee("00000001", "Ada", "Lovelace", "ada@example.com")))
			f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000001", Origin: OriginEmail}
		}, "u1", ActionError, CodeTerminatedInTriNet, "00000001", "", nil, nil},
		{"an admin's link to a terminated employee is not moved", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			f.company.put(terminated(employee("00000001", "Ada", "Lovelace", "a.l@example.com")))
			f.company.put(employee("00000044", "Ada", "Lovelace", "ada@example.com"))
			f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000001", Origin: OriginManual}
		}, "u1", ActionError, CodeTerminatedInTriNet, "00000001", "", nil, nil},
		{"a pending hire and a hand-keyed record of the same person", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			f.company.put(employee("00000077", "Ada", "Lovelace", "ada@example.com"))
			f.ledger.entries["u1"] = HireEntry{UserID: "u1", State: HirePending, EmployeeID: "00000050"}
		}, "u1", ActionError, CodeDuplicateEmployee, "", "", []string{"00000050", "00000077"}, nil},
		{"an unknown hire with an id and a hand-keyed record", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			f.company.put(employee("00000077", "Ada", "Lovelace", "ada@example.com"))
			f.ledger.entries["u1"] = HireEntry{UserID: "u1", State: HireUnknown, EmployeeID: "00000050"}
		}, "u1", ActionError, CodeDuplicateEmployee, "", "", []string{"00000050", "00000077"}, nil},
		{"a hire without an id is linked by its work email", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			f.company.put(employee("00000077", "Ada", "Lovelace", "ada@example.com"))
			f.ledger.entries["u1"] = HireEntry{UserID: "u1", State: HirePending}
		}, "u1", ActionLink, "", "00000077", "", nil, nil},
		{"the admin links one of the two records", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			e := employee("00000077", "Ada", "Lovelace", "ada@example.com")
			e.Title = "Old title"
			f.company.put(e)
			f.ledger.entries["u1"] = HireEntry{UserID: "u1", State: HirePending, EmployeeID: "00000050"}
			f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000077", Origin: OriginManual}
		}, "u1", ActionUpdate, "", "00000077", "", nil, []string{"00000077"}},
		{"a linked employee's email on another active employee", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			e := employee("00000001", "Ada", "Lovelace", "ada@example.com")
			e.Title = "Old title"
			f.company.put(e)
			f.company.put(employee("00000002", "Ada", "Lovelace", "ADA@example.com"))
			f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000001", Origin: OriginEmail}
		}, "u1", ActionUpdate, "", "00000001", CodeDuplicateInTriNet, []string{"00000001", "00000002"}, []string{"00000001"}},
		{"an admin's link wins over the email", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			e := employee("00000009", "Ada", "Lovelace", "lovelace@old.example")
			e.Title = "Old title"
			f.company.put(e)
			f.company.put(employee("00000001", "Ada", "Lovelace", "ada@example.com"))
			f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000009", Origin: OriginManual}
		}, "u1", ActionUpdate, "", "00000009", CodeDuplicateInTriNet, []string{"00000001"}, []string{"00000009"}},
		{"an admin's decision keeps the person out", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			f.company.put(employee("00000001", "Grace", "Hopper", "ada@example.com"))
			f.links.links["u1"] = Link{UserID: "u1", Origin: OriginManual}
		}, "u1", ActionExcluded, CodeExcludedByAdmin, "", "", nil, nil},
		{"a person kept out does not block another with the same email", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			f.addPerson(person("u2", "Ada", "Typo", "ada@example.com"))
			f.company.put(employee("00000001", "Ada", "Lovelace", "ada@example.com"))
			f.links.links["u2"] = Link{UserID: "u2", Origin: OriginManual}
		}, "u1", ActionLink, "", "00000001", "", nil, nil},
		{"an admin's link to an employee TriNet does not list", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			f.company.put(employee("00000001", "Ada", "Lovelace", "ada@example.com"))
			f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000009", Origin: OriginManual}
		}, "u1", ActionError, CodeLinkedEmployeeMissing, "00000009", "", []string{"00000009"}, nil},
		{"an employee TriNet no longer lists: the one active record with the email", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			f.company.put(employee("00000002", "Ada", "Lovelace", "ada@example.com"))
			f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000009", Origin: OriginEmail}
		}, "u1", ActionLink, "", "00000002", CodeRelinked, []string{"00000009", "00000002"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			tt.setup(f)
			ledgerBefore := f.ledger.entries["u1"]
			res, err := f.engine().Run(context.Background(), f.input(autoCreate(false)))
			if err != nil {
				t.Fatal(err)
			}
			it := itemOf(res, tt.user)
			if it.Action != tt.action || it.Code != tt.code {
				t.Fatalf("%s: %s %q, want %s %q; issues %+v", tt.user, it.Action, it.Code, tt.action, tt.code, issuesOf(res, tt.user))
			}
			l, linked := f.links.get(tt.user)
			if tt.linkTo != "" && (!linked || l.EmployeeID != tt.linkTo) {
				t.Fatalf("link %+v %v, want %s", l, linked, tt.linkTo)
			}
			if tt.linkTo == "" && linked && !l.Excluded() {
				t.Fatalf("unexpected link %+v", l)
			}
			code := tt.warn
			if code == "" && tt.action == ActionError {
				code = tt.code
			}
			if code != "" {
				is, ok := issueWith(res, tt.user, code)
				if !ok {
					t.Fatalf("no %s issue: %+v", code, issuesOf(res, tt.user))
				}
				if is.Severity != SeverityOf(code) {
					t.Errorf("%s severity %s", code, is.Severity)
				}
				for _, n := range tt.names {
					if !strings.Contains(is.Message, n) {
						t.Errorf("%s message does not name %s: %s", code, n, is.Message)
					}
				}
			}
			var written []string
			for _, w := range f.company.Writes() {
				if !slices.Contains(written, w.EmployeeID) {
					written = append(written, w.EmployeeID)
				}
			}
			if !slices.Equal(written, tt.writesTo) {
				t.Fatalf("writes to %v, want %v", written, tt.writesTo)
			}
			if e := f.ledger.entries["u1"]; e.EmployeeID != ledgerBefore.EmployeeID && ledgerBefore.EmployeeID != "" {
				t.Fatalf("the ledger's id %s was replaced by %s", ledgerBefore.EmployeeID, e.EmployeeID)
			}
		})
	}
}

// A store that hands over another company's entries (a bug, or items from
// before the move) never gets them used: the ids name strangers.
func TestEntriesOfAnotherCompanyAreNeverUsed(t *testing.T) {
	f := newFixture()
	f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
	f.addPerson(person("u2", "Ben", "Turing", "ben@example.com"))
	f.company.put(employee("00000001", "Zoe", "Stranger", "zoe@example.com"))
	f.company.put(employee("00000005", "Yan", "Stranger", "yan@example.com"))
	f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000001", CompanyID: "TEST", Origin: OriginEmail}
	f.ledger.entries["u2"] = HireEntry{UserID: "u2", CompanyID: "TEST", State: HirePending, EmployeeID: "00000005"}
	res := run(t, f, f.input(autoCreate(false)))
	if w := f.company.Writes(); len(w) != 2 || w[0].Call != "hire" || w[1].Call != "hire" {
		t.Fatalf("writes %+v, want the two hires alone", w)
	}
	for _, u := range []string{"u1", "u2"} {
		if it := itemOf(res, u); it.Action != ActionCreate {
			t.Errorf("%s: %+v", u, it)
		}
	}
}

// After a move to another company the brake still holds: the tenant's links
// in its earlier company count, although they are not read for matching.
func TestBrakeCountsTheLinksOfEveryCompany(t *testing.T) {
	f := newFixture()
	for i := range 25 {
		id := "u" + string(rune('a'+i))
		f.addPerson(person(id, "P", "Q", id+"@example.com"))
		f.links.links[id] = Link{UserID: id, EmployeeID: "old-" + id, CompanyID: "TEST"}
	}
	in := f.input(autoCreate(false))
	in.Links = &otherCompanyLinks{memLinks: f.links}
	res := run(t, f, in)
	if res.Counts.Held != 25 || len(f.company.hires()) != 0 {
		t.Fatalf("counts %+v, hires %d: want every create held", res.Counts, len(f.company.hires()))
	}
}

// otherCompanyLinks holds links of an earlier company only.
type otherCompanyLinks struct{ *memLinks }

func (o *otherCompanyLinks) Links(context.Context, string, string) ([]Link, error) { return nil, nil }

// A value that cannot be read on an optional target is left out with a
// warning; the hire and the other updates go ahead.
func TestInvalidOptionalValueIsLeftOut(t *testing.T) {
	f := newFixture()
	f.people.dir.Locations[0].Country = "N/A"
	f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
	grace := person("u2", "Grace", "Hopper", "grace@example.com")
	grace.Title = "Rear Admiral"
	f.addPerson(grace)
	e := employee("00000002", "Grace", "Hopper", "grace@example.com")
	f.company.put(e)
	f.links.links["u2"] = Link{UserID: "u2", EmployeeID: "00000002"}
	res := run(t, f, f.input(autoCreate(false)))
	if it := itemOf(res, "u1"); it.Action != ActionCreate || slices.Contains(fieldNames(it), "country") {
		t.Fatalf("ada %+v %+v", it, issuesOf(res, "u1"))
	}
	if it := itemOf(res, "u2"); it.Action != ActionUpdate || !slices.Equal(fieldNames(it), []string{"jobTitle"}) {
		t.Fatalf("grace %+v", it)
	}
	for _, u := range []string{"u1", "u2"} {
		is, ok := issueWith(res, u, CodeInvalidValue)
		if !ok || is.Severity != SeverityWarning || is.Field != "country" {
			t.Errorf("%s: invalid_value %+v %v, want a warning on country", u, is, ok)
		}
	}
	if res.ErrorPeople != 0 || res.Counts.Errors != 0 {
		t.Fatalf("a warning made errors: %+v", res)
	}
	if hs := f.company.hires(); len(hs) != 1 || hs[0].Hire.Country != "" || hs[0].Hire.FirstName != "Ada" {
		t.Fatalf("hires %+v", hs)
	}
	if got := f.company.get("00000002"); got.Country != "US" || got.Title != "Rear Admiral" {
		t.Fatalf("grace in TriNet %+v", got)
	}
}

// A lifecycle status that is not one of Leapsome's, or that could not be read
// at all, keeps the person out with a warning: it may mean they left.
func TestUnreadableLifecycleExcludes(t *testing.T) {
	f := newFixture()
	p := person("u1", "Ada", "Lovelace", "ada@example.com")
	p.LifecycleStatus = "retired"
	f.addPerson(p)
	q := person("u2", "Grace", "Hopper", "grace@example.com")
	q.LifecycleStatus = ""
	f.addPerson(q)
	f.setPerson("u2", func(p *Person) { p.LifecycleStatus = "" })
	f.people.dir.Anomalies = []Anomaly{{List: ListEmployees, UserID: "u2", Field: "lifecycleStatus", Reason: ReasonWrongType}}
	r := person("u3", "Ben", "Turing", "ben@example.com")
	f.addPerson(r)
	f.setPerson("u3", func(p *Person) { p.LifecycleStatus = "" }) // absent: notSet, synced
	res := run(t, f, f.input(autoCreate(false)))
	for _, tt := range []struct{ user, code string }{{"u1", CodeInvalidValue}, {"u2", CodeUnreadableValue}} {
		it := itemOf(res, tt.user)
		is, ok := issueWith(res, tt.user, tt.code)
		if it.Action != ActionExcluded || it.Code != tt.code || !ok || is.Severity != SeverityWarning || is.Field != "lifecycleStatus" {
			t.Errorf("%s: %+v %+v", tt.user, it, issuesOf(res, tt.user))
		}
	}
	if it := itemOf(res, "u3"); it.Action != ActionCreate {
		t.Errorf("absent lifecycle: %+v", it)
	}
	if hs := f.company.hires(); len(hs) != 1 || hs[0].Hire.FirstName != "Ben" {
		t.Fatalf("hires %+v", hs)
	}
}

// A manager whose ledger names an employee TriNet no longer lists is not a
// supervisor: the report is hired without one, with a warning.
func TestSupervisorNotListedAnyMore(t *testing.T) {
	f := newFixture()
	f.addPerson(person("u2", "Mary", "Manager", "mary@example.com"))
	rep := person("u1", "Ada", "Lovelace", "ada@example.com")
	rep.ManagerID = "u2"
	f.addPerson(rep)
	f.ledger.entries["u2"] = HireEntry{UserID: "u2", State: HireLinked, EmployeeID: "00000555"}
	f.links.links["u2"] = Link{UserID: "u2", EmployeeID: "00000555", Origin: OriginHire}
	res := run(t, f, f.input(autoCreate(false)))
	hs := f.company.hires()
	if len(hs) != 1 || hs[0].Hire.WorkEmail != "ada@example.com" || hs[0].Hire.SupervisorID != "" {
		t.Fatalf("hires %+v", hs)
	}
	if is, ok := issueWith(res, "u1", CodeSupervisorNotInTriNet); !ok || is.Severity != SeverityWarning {
		t.Fatalf("report's issues %+v", issuesOf(res, "u1"))
	}
}
