package provision

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// fullSettings maps every target of the catalog, the ones without a default
// source from custom attributes, so one person exercises every row.
func fullSettings() Settings {
	s := autoCreate(true)
	s.Mappings = append(s.Mappings,
		Mapping{Target: "ethnicity", Source: "customAttributes.Ethnicity"},
		Mapping{Target: "standardHours", Source: "customAttributes.Hours"},
		Mapping{Target: "employeeType", Source: "customAttributes.Employee type", ValueMap: map[string]string{"Full time": "F", "Part time": "P"}},
		Mapping{Target: "regularTemporary", Source: "scim.employmentType", ValueMap: map[string]string{"internal": "R", "external": "T"}},
		Mapping{Target: "flsaCode", Source: "customAttributes.FLSA", ValueMap: map[string]string{"Exempt": "T"}},
		Mapping{Target: "address1", Source: "customAttributes.Street"},
		Mapping{Target: "address2", Source: "customAttributes.Street 2"},
		Mapping{Target: "city", Source: "customAttributes.City"},
		Mapping{Target: "state", Source: "customAttributes.State"},
		Mapping{Target: "addressCountry", Source: "customAttributes.Home country"},
		Mapping{Target: "postalCode", Source: "customAttributes.ZIP"},
		Mapping{Target: "ssn", Source: "customAttributes.SSN"},
		Mapping{Target: "maritalStatus", Source: "customAttributes.Marital", ValueMap: map[string]string{"Married": "M"}},
		Mapping{Target: "customGroupA", Source: "customAttributes.Cost center"},
		Mapping{Target: "customGroupB", Source: "const:Remote"},
	)
	return s
}

func fullPerson(id, email string) Person {
	p := person(id, "Ada", "Lovelace", email)
	p.MiddleName = "King"
	p.SCIM = &SCIMUser{Gender: "female", Birthday: "1990-12-10", EmploymentType: "external", Active: true}
	p.CustomAttributes = map[string]string{
		"Ethnicity": "white", "Hours": "40", "Employee type": "Full time", "FLSA": "Exempt",
		"Street": "1 Main St", "Street 2": "Apt 2", "City": "Austin", "State": "TX", "Home country": "United States",
		"ZIP": "78701", "SSN": "123-45-6789", "Marital": "Married", "Cost center": "CC-7",
	}
	return p
}

// TestFieldRestrictionTable checks every row of the seed's table: what a new
// hire carries and what an update may change, whatever the mapping says.
func TestFieldRestrictionTable(t *testing.T) {
	f := newFixture()
	f.addPerson(fullPerson("u-new", "ada@example.com"))
	f.addPerson(fullPerson("u-old", "old@example.com"))
	// The existing employee differs from Leapsome in every field.
	f.company.put(Employee{ID: "00000001", FirstName: "X", MiddleName: "Y", LastName: "Z", WorkEmail: "old@example.com",
		Gender: "M", BirthDate: "1980-01-01", Ethnicity: "ASIAN", MaritalStatus: "S", Country: "DE", Title: "Intern",
		DeptID: "D200", LocationID: "BER", WorkPhone: "+49301234567", StandardHours: "20", EmployeeType: "P", FLSACode: "N",
		CustomGroupA: "old", CustomGroupB: "old"})
	res, err := f.engine().Run(context.Background(), f.input(fullSettings()))
	if err != nil {
		t.Fatal(err)
	}
	hires := f.company.hires()
	if len(hires) != 1 {
		t.Fatalf("hires = %d", len(hires))
	}
	h := hires[0].Hire
	created, updated := itemOf(res, "u-new"), itemOf(res, "u-old")
	if created.Action != ActionCreate || updated.Action != ActionLink {
		t.Fatalf("actions %s %s: %+v", created.Action, updated.Action, res.Issues)
	}
	tests := []struct {
		target   string
		onCreate string // the hire's value; "" = not sent
		onUpdate bool
	}{
		{"firstName", h.FirstName, true},
		{"lastName", h.LastName, true},
		{"middleName", h.MiddleName, true},
		{"gender", h.Gender, true},
		{"birthDate", h.BirthDate, true},
		{"jobTitle", h.Title, true},
		{"department", h.DeptID, true},
		{"country", h.Country, true},
		{"location", h.LocationID, true},
		{"phoneNumber", h.WorkPhone, true},
		{"ethnicity", h.Ethnicity, true},
		{"workEmail", h.WorkEmail, false},
		{"hireDate", h.StartDate, false},
		{"standardHours", h.StandardHours, false},
		{"employeeType", h.EmployeeType, false},
		{"regularTemporary", h.RegularTemporary, false},
		{"flsaCode", h.FLSACode, false},
		{"address1", h.Address1, false},
		{"address2", h.Address2, false},
		{"city", h.City, false},
		{"state", h.State, false},
		{"addressCountry", h.AddressCountry, false},
		{"postalCode", h.PostalCode, false},
		{"ssn", h.NationalID, false},
		{"maritalStatus", "", true},
		{"customGroupA", "", true},
		{"customGroupB", "", true},
	}
	want := map[string]string{
		"firstName": "Ada", "lastName": "Lovelace", "middleName": "King", "gender": "F", "birthDate": "1990-12-10",
		"jobTitle": "Engineer", "department": "D100", "country": "US", "location": "SF1", "phoneNumber": "+14155550100",
		"ethnicity": "WHITE", "workEmail": "ada@example.com", "hireDate": testNow.Format(time.DateOnly), "standardHours": "40",
		"employeeType": "F", "regularTemporary": "T", "flsaCode": "T", "address1": "1 Main St", "address2": "Apt 2", "city": "Austin", "state": "TX",
		"addressCountry": "US", "postalCode": "78701", "ssn": "123456789",
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			tg, _ := LookupTarget(tt.target)
			if tt.onCreate != want[tt.target] {
				t.Errorf("create sends %q, want %q", tt.onCreate, want[tt.target])
			}
			inCreate := slices.Contains(fieldNames(created), tt.target)
			if inCreate != (tg.Mode != ModeUpdateOnly) {
				t.Errorf("create plan lists it: %v (mode %s)", inCreate, tg.Mode)
			}
			if got := slices.Contains(fieldNames(updated), tt.target); got != tt.onUpdate {
				t.Errorf("update plan lists it: %v, want %v", got, tt.onUpdate)
			}
		})
	}
	// The writes of the update: three calls, only updatable fields.
	var calls []string
	for _, w := range f.company.Writes() {
		if w.EmployeeID == "00000001" {
			calls = append(calls, w.Call)
			switch w.Call {
			case "names":
				if w.Names != (NamesUpdate{EffectiveDate: "2026-11-30", FirstName: "Ada", MiddleName: "King", LastName: "Lovelace"}) {
					t.Errorf("names %+v", w.Names)
				}
			case "personals":
				if w.Personals != (PersonalsUpdate{EffectiveDate: "2026-11-30", Gender: "F", BirthDate: "1990-12-10", Ethnicity: "WHITE", Country: "US", MaritalStatus: "M"}) {
					t.Errorf("personals %+v", w.Personals)
				}
			case "jobs":
				if w.Jobs != (JobsUpdate{EffectiveDate: "2026-11-30", Title: "Engineer", DeptID: "D100", WorkPhone: "+14155550100", LocationID: "SF1", GroupA: "CC-7", GroupB: "Remote"}) {
					t.Errorf("jobs %+v", w.Jobs)
				}
			}
		}
	}
	if !slices.Equal(calls, []string{"names", "personals", "jobs"}) {
		t.Errorf("calls = %v", calls)
	}
}

func TestSensitiveFieldsCarryNoValues(t *testing.T) {
	f := newFixture()
	f.addPerson(fullPerson("u-new", "ada@example.com"))
	f.addPerson(fullPerson("u-old", "old@example.com"))
	f.company.put(Employee{ID: "00000001", FirstName: "Ada", LastName: "Lovelace", WorkEmail: "old@example.com", Gender: "M", BirthDate: "1980-01-01", Ethnicity: "ASIAN", MaritalStatus: "S"})
	s := fullSettings()
	in := f.input(s)
	in.DryRun = true
	res, err := f.engine().Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	sensitive := map[string]bool{"gender": true, "birthDate": true, "ethnicity": true, "maritalStatus": true, "ssn": true,
		"address1": true, "address2": true, "city": true, "state": true, "addressCountry": true, "postalCode": true}
	for _, it := range res.Plan {
		for _, fc := range it.Fields {
			if sensitive[fc.Field] != fc.Sensitive {
				t.Errorf("%s %s: sensitive %v", it.UserID, fc.Field, fc.Sensitive)
			}
			if fc.Sensitive && (fc.From != "" || fc.To != "") {
				t.Errorf("%s %s carries values", it.UserID, fc.Field)
			}
		}
	}
	b, _ := json.Marshal(res)
	for _, secret := range []string{"123456789", "123-45-6789", "1990-12-10", "1980-01-01", "WHITE", "ASIAN", "1 Main St", "78701"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("result carries %q", secret)
		}
	}
	if !strings.Contains(string(b), `{"field":"gender","sensitive":true}`) {
		t.Errorf("sensitive shape missing: %s", b)
	}
}

func TestNamesCallCarriesWholeName(t *testing.T) {
	tests := []struct {
		name  string
		p     func(*Person)
		emp   Employee
		want  *NamesUpdate
		field []string
	}{
		{"last name changed, middle blank in Leapsome keeps TriNet's",
			func(p *Person) { p.LastName = "Byron" },
			Employee{FirstName: "Ada", MiddleName: "Q", LastName: "Lovelace"},
			&NamesUpdate{EffectiveDate: "2026-11-30", FirstName: "Ada", MiddleName: "Q", LastName: "Byron"}, []string{"lastName"}},
		{"middle name added",
			func(p *Person) { p.MiddleName = "King" },
			Employee{FirstName: "Ada", LastName: "Lovelace"},
			&NamesUpdate{EffectiveDate: "2026-11-30", FirstName: "Ada", MiddleName: "King", LastName: "Lovelace"}, []string{"middleName"}},
		{"blank first name in Leapsome never clears",
			func(p *Person) { p.FirstName = " "; p.LastName = "Byron" },
			Employee{FirstName: "Ada", LastName: "Lovelace"},
			&NamesUpdate{EffectiveDate: "2026-11-30", FirstName: "Ada", LastName: "Byron"}, []string{"lastName"}},
		{"same name after trimming: no call",
			func(p *Person) { p.FirstName = " Ada " },
			Employee{FirstName: "Ada", LastName: "Lovelace "},
			nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := person("u1", "Ada", "Lovelace", "ada@example.com")
			tt.p(&p)
			e := employee("00000001", "", "", "ada@example.com")
			e.FirstName, e.MiddleName, e.LastName = tt.emp.FirstName, tt.emp.MiddleName, tt.emp.LastName
			pl := Plan(PlanInput{Settings: DefaultSettings(false), Now: testNow,
				Directory: Directory{People: []Person{p}, Locations: newFixture().people.dir.Locations},
				Company:   CompanyData{Employees: []Employee{e}, Departments: newMemCompany().depts, Locations: newMemCompany().locs}})
			st := pl.Steps[0]
			if (st.Names == nil) != (tt.want == nil) || (st.Names != nil && *st.Names != *tt.want) {
				t.Fatalf("names = %+v, want %+v", st.Names, tt.want)
			}
			if got := fieldNames(st.Item); !slices.Equal(got, tt.field) {
				t.Fatalf("fields = %v, want %v", got, tt.field)
			}
			if st.Personals != nil || st.Jobs != nil {
				t.Fatalf("other calls: %+v %+v", st.Personals, st.Jobs)
			}
		})
	}
}

func TestBlankSourceNeverWritten(t *testing.T) {
	f := newFixture()
	p := person("u1", "Ada", "Lovelace", "ada@example.com")
	p.Title, p.Phone, p.Departments, p.WorkLocation, p.WorkLocationID = "", "", nil, "", ""
	f.addPerson(p)
	e := employee("00000001", "Ada", "Lovelace", "ada@example.com")
	f.company.put(e)
	f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000001"}
	res, err := f.engine().Run(context.Background(), f.input(DefaultSettings(false)))
	if err != nil {
		t.Fatal(err)
	}
	if it := itemOf(res, "u1"); it.Action != ActionUnchanged {
		t.Fatalf("action %s fields %+v", it.Action, it.Fields)
	}
	if len(f.company.Writes()) != 0 {
		t.Fatalf("writes %+v", f.company.Writes())
	}
	if f.company.get("00000001") != (func() Employee { e.Status = "A"; return e }()) {
		t.Fatal("TriNet changed")
	}
}

func TestGenderRows(t *testing.T) {
	tests := []struct {
		gender     string
		scim       bool
		wantCreate Action
		wantHire   string
		wantUpdate Action
		code       string
	}{
		{"male", true, ActionCreate, "M", ActionUpdate, ""},
		{"Female", true, ActionCreate, "F", ActionUnchanged, ""},
		{"diverse", true, ActionError, "", ActionError, CodeUnsupportedGender},
		{"", true, ActionCreate, "", ActionUnchanged, ""},  // blank: not sent
		{"", false, ActionCreate, "", ActionUnchanged, ""}, // no SCIM record at all
	}
	for _, tt := range tests {
		t.Run(tt.gender, func(t *testing.T) {
			f := newFixture()
			for _, id := range []string{"new", "old"} {
				p := person(id, "Ada", "Lovelace", id+"@example.com")
				if tt.scim {
					p.SCIM = &SCIMUser{Gender: tt.gender}
				}
				f.addPerson(p)
			}
			e := employee("00000001", "Ada", "Lovelace", "old@example.com")
			e.Gender = "F"
			f.company.put(e)
			f.links.links["old"] = Link{UserID: "old", EmployeeID: "00000001"}
			res, err := f.engine().Run(context.Background(), f.input(autoCreate(true)))
			if err != nil {
				t.Fatal(err)
			}
			if got := itemOf(res, "new").Action; got != tt.wantCreate {
				t.Errorf("create action %s %+v", got, res.Issues)
			}
			if got := itemOf(res, "old").Action; got != tt.wantUpdate {
				t.Errorf("update action %s", got)
			}
			if hs := f.company.hires(); tt.wantCreate == ActionCreate && (len(hs) != 1 || hs[0].Hire.Gender != tt.wantHire) {
				t.Errorf("hires %+v", hs)
			}
			if tt.code != "" {
				for _, id := range []string{"new", "old"} {
					is := issuesOf(res, id)
					if len(is) != 1 || is[0].Code != tt.code || is[0].Severity != SeverityError || is[0].Field != "gender" {
						t.Fatalf("%s issues %+v", id, is)
					}
					if containsFold(is[0].Message, tt.gender) || !strings.Contains(is[0].Message, "Male or Female") {
						t.Errorf("message %q", is[0].Message)
					}
				}
			}
		})
	}
}

func TestStartDateRule(t *testing.T) {
	day := func(d int) string { return testNow.AddDate(0, 0, d).Format(time.DateOnly) }
	tests := []struct {
		start  string
		action Action
		code   string
	}{
		{day(0), ActionCreate, ""},
		{day(-3), ActionCreate, ""},
		{day(-3) + "T23:59:00.000Z", ActionCreate, ""},
		{day(-4), ActionError, CodeStartDateTooOld},
		{day(-400) + "T00:00:00.000Z", ActionError, CodeStartDateTooOld},
		{day(60) + "T00:00:00.000Z", ActionCreate, ""}, // a future starter is created (FAQ 4)
		{"", ActionError, CodeMissingStartDate},
		{"next monday", ActionError, CodeInvalidValue}, // present but no date: invalid_value on a required target
	}
	for _, tt := range tests {
		t.Run(tt.start, func(t *testing.T) {
			f := newFixture()
			p := person("u1", "Ada", "Lovelace", "ada@example.com")
			p.StartDate = tt.start
			f.addPerson(p)
			res, err := f.engine().Run(context.Background(), f.input(autoCreate(false)))
			if err != nil {
				t.Fatal(err)
			}
			it := itemOf(res, "u1")
			if it.Action != tt.action || it.Code != tt.code {
				t.Fatalf("%s %s %+v", it.Action, it.Code, res.Issues)
			}
			wantHires := 0
			if tt.action == ActionCreate {
				wantHires = 1
			}
			if len(f.company.hires()) != wantHires {
				t.Fatalf("hires %d", len(f.company.hires()))
			}
			if _, ok := f.ledger.get("u1"); ok != (wantHires == 1) {
				t.Fatalf("ledger entry %v", ok)
			}
		})
	}
}

func TestLinking(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(f *fixture)
		user   string
		action Action
		code   string
		linkTo string
	}{
		{"email trimmed and case-insensitive", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", " Ada@Example.com "))
			f.company.put(employee("00000001", "Ada", "Lovelace", "ada@example.COM "))
		}, "u1", ActionLink, "", "00000001"},
		{"stored link first, whatever the emails", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			f.company.put(employee("00000001", "Ada", "Lovelace", "someone@else.com"))
			f.company.put(employee("00000002", "Ada", "Lovelace", "ada@example.com"))
			f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000001"}
		}, "u1", ActionUnchanged, "", "00000001"},
		{"stale link: employee gone, match by email", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			f.company.put(employee("00000002", "Ada", "Lovelace", "ada@example.com"))
			f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000009"}
		}, "u1", ActionLink, "", "00000002"},
		{"stale link: employee gone, no email match: never hired again", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			f.company.put(employee("00000002", "Grace", "Hopper", "grace@example.com"))
			f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000009"}
		}, "u1", ActionError, CodeLinkedEmployeeMissing, "00000009"},
		{"stale link: employee gone, email matches only a terminated one", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			e := employee("00000002", "Ada", "Lovelace", "ada@example.com")
			e.Status = "T"
			f.company.put(e)
			f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000009"}
		}, "u1", ActionError, CodeLinkedEmployeeMissing, "00000009"},
		{"two Leapsome people with one email", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			f.addPerson(person("u2", "Ada", "Byron", "ADA@example.com"))
			f.company.put(employee("00000001", "Ada", "Lovelace", "ada@example.com"))
		}, "u2", ActionError, CodeDuplicateEmail, ""},
		{"one email on two TriNet employees", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			f.company.put(employee("00000001", "Ada", "Lovelace", "ada@example.com"))
			f.company.put(employee("00000002", "Ada", "Lovelace", "Ada@example.com"))
		}, "u1", ActionError, CodeDuplicateEmail, ""},
		{"a terminated duplicate does not count", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			f.company.put(employee("00000001", "Ada", "Lovelace", "ada@example.com"))
			e := employee("00000002", "Ada", "Lovelace", "ada@example.com")
			e.Status = "T"
			f.company.put(e)
		}, "u1", ActionLink, "", "00000001"},
		{"email matches only a terminated employee", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			e := employee("00000001", "Ada", "Lovelace", "ada@example.com")
			e.Status = "T"
			f.company.put(e)
		}, "u1", ActionError, CodeTerminatedInTriNet, ""},
		{"employee already linked to someone else", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			f.addPerson(person("u2", "Grace", "Hopper", "grace@example.com"))
			f.company.put(employee("00000001", "Ada", "Lovelace", "ada@example.com"))
			f.links.links["u2"] = Link{UserID: "u2", EmployeeID: "00000001"}
		}, "u1", ActionError, CodeDuplicateEmail, ""},
		{"other statuses are existing employees", func(f *fixture) {
			f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
			e := employee("00000001", "Ada", "Lovelace", "ada@example.com")
			e.Status = "L"
			f.company.put(e)
		}, "u1", ActionLink, "", "00000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			tt.setup(f)
			res, err := f.engine().Run(context.Background(), f.input(autoCreate(false)))
			if err != nil {
				t.Fatal(err)
			}
			it := itemOf(res, tt.user)
			if it.Action != tt.action || it.Code != tt.code {
				t.Fatalf("%s %s %+v", it.Action, it.Code, res.Issues)
			}
			l, ok := f.links.get(tt.user)
			if tt.linkTo == "" && ok && tt.action != ActionUnchanged {
				t.Fatalf("unexpected link %+v", l)
			}
			if tt.linkTo != "" && (!ok || l.EmployeeID != tt.linkTo) {
				t.Fatalf("link %+v %v, want %s", l, ok, tt.linkTo)
			}
			if len(f.company.hires()) != 0 {
				t.Fatal("no hire expected")
			}
			if tt.action == ActionError && (len(issuesOf(res, tt.user)) != 1 || issuesOf(res, tt.user)[0].Severity != SeverityError) {
				t.Fatalf("issues %+v", issuesOf(res, tt.user))
			}
		})
	}
}

func TestLinkConflictAtWriteTime(t *testing.T) {
	f := newFixture()
	f.addPerson(person("u1", "Ada", "Lovelace", "ada@example.com"))
	f.company.put(employee("00000001", "Ada", "Byron", "ada@example.com"))
	// Linked meanwhile to a person the run did not read (e.g. another run).
	f.links.err = nil
	f.links.links["ghost"] = Link{UserID: "ghost", EmployeeID: "00000001"}
	in := f.input(autoCreate(false))
	// The plan was made before the ghost link: give the engine a link list without it.
	in.Links = &staleLinks{memLinks: f.links}
	res, err := f.engine().Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if it := itemOf(res, "u1"); it.Action != ActionError || it.Code != CodeDuplicateEmail {
		t.Fatalf("%+v", it)
	}
	if len(f.company.Writes()) != 0 {
		t.Fatal("no update after a lost link")
	}
}

type staleLinks struct{ *memLinks }

func (s *staleLinks) Links(context.Context, string, string) ([]Link, error) { return nil, nil }

// A start date Leapsome sent but that is no date is present and unreadable:
// invalid_value, an error on the required hireDate, not missing_start_date
// (which is for a person without one).
func TestUnreadableStartDateIsInvalidValue(t *testing.T) {
	f := newFixture()
	p := person("u1", "Ann", "Bad", "ann@example.com")
	p.StartDate = "2026-13-45"
	f.addPerson(p)
	res := run(t, f, f.input(autoCreate(true)))
	it := itemOf(res, "u1")
	if it.Action != ActionError || len(f.company.hires()) != 0 {
		t.Fatalf("item %+v, hires %d: an unreadable start date must block the hire", it, len(f.company.hires()))
	}
	var got []string
	for _, is := range issuesOf(res, "u1") {
		got = append(got, is.Code+"@"+is.Field+"/"+string(is.Severity))
	}
	if it.Code != CodeInvalidValue || !slices.Contains(got, "invalid_value@hireDate/error") {
		t.Errorf("an unreadable start date gives item code %q and issues %v; want invalid_value (error) on hireDate", it.Code, got)
	}
}

// The contract ("Hires", Supervisor): "A manager with no TriNet id that TriNet
// lists right now (not in scope, not linked, hire unknown or pending,
// employee no longer listed) → the report is hired without supervisor and
// warned `supervisor_not_in_trinet`". Only a manager hired in the same run
// gives the report a supervisor that TriNet does not list yet ("managers
// are hired before their reports within a run, so the id exists").
func TestManagerPendingFromAnEarlierRunGivesNoSupervisor(t *testing.T) {
	f := newFixture()
	f.addPerson(person("u-mgr", "Meg", "Boss", "meg@example.com"))
	f.ledger.entries["u-mgr"] = HireEntry{UserID: "u-mgr", CompanyID: "CJ6", Email: "meg@example.com",
		State: HirePending, EmployeeID: "00009999", SyncID: "earlier"}
	rep := person("u-rep", "Rob", "Report", "rob@example.com")
	rep.ManagerID = "u-mgr"
	f.addPerson(rep)
	res := run(t, f, f.input(autoCreate(true)))
	hs := f.company.hires()
	if len(hs) != 1 {
		t.Fatalf("hires %+v, want the report's", hs)
	}
	if hs[0].Hire.SupervisorID != "" || !hasCodeIssue(res, "u-rep", CodeSupervisorNotInTriNet) {
		t.Errorf("the report was hired with supervisor %q (the manager's pending hire, not listed by TriNet), issues %+v; want no supervisor and supervisor_not_in_trinet",
			hs[0].Hire.SupervisorID, issuesOf(res, "u-rep"))
	}
}
