package provision

import "strings"

// The field catalog is data: every TriNet target the service can write, one
// row each, and the row says all the engine knows about the target — its UI
// label and mode, its codes and default source, how its values are normalised
// and compared (its kind), where a listed employee holds TriNet's current
// value, which update call carries it and where it goes in a new hire, and
// what a new hire asks of it. The planner reads rows and never branches on a
// target's name, so adding a target is a row; the TriNet client learns from
// the rows where each target lands in its requests (Target.Carrying), so it
// names TriNet's rejections by target; GET /v1/fields serves Fields() as it is.

// Mode says when a target may be written.
type Mode string

const (
	ModeEverySync   Mode = "every_sync"
	ModeNewHireOnly Mode = "new_hire_only"
	ModeUpdateOnly  Mode = "update_only"
)

// The UI labels of the modes, exactly as the seed article shows them.
const (
	LabelEverySync   = "Every sync"
	LabelNewHireOnly = "New hire only"
	LabelUpdateOnly  = "Profile updates"
)

// kind decides how a target's value is normalised and resolved.
type kind int

const (
	kindText kind = iota
	kindGender
	kindDate
	kindCode
	kindCountry
	kindPhone
	kindDepartment
	kindLocation
	kindSupervisor
	kindEmail
	kindHours
	kindSSN
)

// Target is one TriNet field of the catalog: one row. Its exported fields are
// the body of GET /v1/fields and what settings are checked against; the
// others are its rules.
type Target struct {
	Target   string   `json:"target"`
	Label    string   `json:"label"`
	Mode     Mode     `json:"mode"`
	Required bool     `json:"required"`
	Codes    []string `json:"codes"` // nil when the value is free
	// DefaultSource is the source of a tenant that never saved settings; empty
	// when the target is unmapped by default.
	DefaultSource string `json:"-"`
	// Sensitive targets appear in plans without values.
	Sensitive bool `json:"-"`

	// kind decides how a value is normalised and resolved, on both sides.
	kind kind
	// current is where a listed employee holds TriNet's value, which is
	// compared with Leapsome's; nil when no update call carries the target.
	current func(*Employee) string
	// listed is where a listed employee holds TriNet's value of a target no
	// update call carries (new hire only): a dry run compares it with what
	// Leapsome would send and reports the difference as drift. nil when
	// TriNet's listing does not carry the target, or an update does.
	listed func(*Employee) string
	// update sets a value on the update call that carries the target; nil
	// when it is never sent on update (new hire only).
	update func(*updates, string)
	// hire is the target's field in a new-hire request; nil when it is never
	// sent on create (update only).
	hire func(*Hire) *string
	// needed: TriNet takes no new hire without the target, so a value of it
	// that cannot be read is an error rather than a warning that leaves the
	// field out.
	needed bool
	// missing is the issue of a new hire without a value for the target; nil
	// when the hire goes ahead without it.
	missing *problem
	// check is a rule a new hire's value must pass besides its kind's; nil
	// when there is none.
	check func(pl *planner, v string) *problem
}

// Catalog is the body of GET /v1/fields.
type Catalog struct {
	Targets []Target `json:"targets"`
	Sources []string `json:"sources"`
}

// Source names. customAttributes.<name> and const:<value> are prefixes.
const (
	SourceFirstName       = "firstname"
	SourceLastName        = "lastname"
	SourceMiddleName      = "middlename"
	SourceDisplayedName   = "displayedName"
	SourceEmail           = "email"
	SourceTitle           = "title"
	SourcePhone           = "phone"
	SourceStartDate       = "startDate"
	SourceManager         = "manager"
	SourceDepartment      = "department"
	SourceTeam            = "team"
	SourceWorkLocation    = "workLocation"
	SourceWorkCountry     = "workLocation.country"
	SourceSCIMGender      = "scim.gender"
	SourceSCIMBirthday    = "scim.birthday"
	SourceSCIMEmployment  = "scim.employmentType"
	SourceSCIMLegalName   = "scim.legalName"
	SourceCustomPrefix    = "customAttributes."
	SourceConstPrefix     = "const:"
	scimPrefix            = "scim."
	sourceCustomAttribute = SourceCustomPrefix + "<name>"
	sourceConst           = SourceConstPrefix + "<value>"
)

var sources = []string{
	SourceFirstName, SourceLastName, SourceMiddleName, SourceDisplayedName, SourceEmail, SourceTitle,
	SourcePhone, SourceStartDate, SourceManager, SourceDepartment, SourceTeam, SourceWorkLocation,
	SourceWorkCountry, SourceSCIMGender, SourceSCIMBirthday, SourceSCIMEmployment, SourceSCIMLegalName,
	sourceCustomAttribute, sourceConst,
}

var (
	codesGender    = []string{"M", "F"}
	codesEthnicity = []string{"HISPA", "WHITE", "BLACK", "PACIF", "ASIAN", "AMIND", "TWO", "NSPEC"}
	codesEmpType   = []string{"F", "P"}
	codesFLSA      = []string{"T", "N", "C", "Z"}
	codesMarital   = []string{"S", "M", "D", "W", "H", "U"}
)

// The rows' constructors: a mode, and where the target lives on each side.

func every(name, def string, k kind, current func(*Employee) string, update func(*updates, string), hire func(*Hire) *string) Target {
	return Target{Target: name, Label: LabelEverySync, Mode: ModeEverySync, DefaultSource: def, kind: k,
		current: current, update: update, hire: hire}
}

func hireOnly(name, def string, k kind, hire func(*Hire) *string) Target {
	return Target{Target: name, Label: LabelNewHireOnly, Mode: ModeNewHireOnly, DefaultSource: def, kind: k, hire: hire}
}

func updateOnly(name string, k kind, current func(*Employee) string, update func(*updates, string)) Target {
	return Target{Target: name, Label: LabelUpdateOnly, Mode: ModeUpdateOnly, kind: k, current: current, update: update}
}

// names, personals and jobs set a target on the update call that carries it.
func names(f func(*NamesUpdate) *string) func(*updates, string) {
	return func(u *updates, v string) { *f(u.namesCall()) = v }
}

func personals(f func(*PersonalsUpdate) *string) func(*updates, string) {
	return func(u *updates, v string) { *f(u.personalsCall()) = v }
}

func jobs(f func(*JobsUpdate) *string) func(*updates, string) {
	return func(u *updates, v string) { *f(u.jobsCall()) = v }
}

func withCodes(t Target, codes []string) Target { t.Codes = codes; return t }

// listedAs marks a new-hire-only target whose value TriNet lists, for drift.
func listedAs(t Target, listed func(*Employee) string) Target { t.listed = listed; return t }
func sensitive(t Target) Target                               { t.Sensitive = true; return t }
func required(t Target) Target                                { t.Required = true; return t }

// neededToHire marks a target TriNet takes no hire without; missing is the
// issue of a hire without it (nil: its source decides, as for the work email,
// without which a person is out of scope).
func neededToHire(t Target, missing *problem) Target { t.needed, t.missing = true, missing; return t }

// startsEmployment marks the hire date: TriNet takes it at most 3 days in the
// past. A value that is no date is invalid_value, an error on this required
// target; only an absent one is a missing start date.
func startsEmployment(t Target) Target {
	t.check = func(pl *planner, v string) *problem {
		// Normalised dates are YYYY-MM-DD, which orders as text.
		if v < pl.oldestHire {
			return &problem{CodeStartDateTooOld, "TriNet accepts new hires with a start date at most 3 days in the past. Correct the start date in Leapsome or add the person in TriNet by hand."}
		}
		return nil
	}
	return t
}

// catalog is the contract's field table, in its order.
var catalog = []Target{
	required(neededToHire(every("firstName", SourceFirstName, kindText,
		func(e *Employee) string { return e.FirstName },
		names(func(u *NamesUpdate) *string { return &u.FirstName }),
		func(h *Hire) *string { return &h.FirstName }),
		invalid("The person has no first name in Leapsome; TriNet needs one. Add it in Leapsome."))),
	required(neededToHire(every("lastName", SourceLastName, kindText,
		func(e *Employee) string { return e.LastName },
		names(func(u *NamesUpdate) *string { return &u.LastName }),
		func(h *Hire) *string { return &h.LastName }),
		invalid("The person has no last name in Leapsome; TriNet needs one. Add it in Leapsome."))),
	every("middleName", SourceMiddleName, kindText,
		func(e *Employee) string { return e.MiddleName },
		names(func(u *NamesUpdate) *string { return &u.MiddleName }),
		func(h *Hire) *string { return &h.MiddleName }),
	sensitive(withCodes(every("gender", SourceSCIMGender, kindGender,
		func(e *Employee) string { return e.Gender },
		personals(func(u *PersonalsUpdate) *string { return &u.Gender }),
		func(h *Hire) *string { return &h.Gender }), codesGender)),
	sensitive(every("birthDate", SourceSCIMBirthday, kindDate,
		func(e *Employee) string { return e.BirthDate },
		personals(func(u *PersonalsUpdate) *string { return &u.BirthDate }),
		func(h *Hire) *string { return &h.BirthDate })),
	every("jobTitle", SourceTitle, kindText,
		func(e *Employee) string { return e.Title },
		jobs(func(u *JobsUpdate) *string { return &u.Title }),
		func(h *Hire) *string { return &h.Title }),
	every("department", SourceDepartment, kindDepartment,
		func(e *Employee) string { return e.DeptID },
		jobs(func(u *JobsUpdate) *string { return &u.DeptID }),
		func(h *Hire) *string { return &h.DeptID }),
	every("country", SourceWorkCountry, kindCountry,
		func(e *Employee) string { return e.Country },
		personals(func(u *PersonalsUpdate) *string { return &u.Country }),
		func(h *Hire) *string { return &h.Country }),
	every("location", SourceWorkLocation, kindLocation,
		func(e *Employee) string { return e.LocationID },
		jobs(func(u *JobsUpdate) *string { return &u.LocationID }),
		func(h *Hire) *string { return &h.LocationID }),
	every("phoneNumber", SourcePhone, kindPhone,
		func(e *Employee) string { return e.WorkPhone },
		jobs(func(u *JobsUpdate) *string { return &u.WorkPhone }),
		func(h *Hire) *string { return &h.WorkPhone }),
	sensitive(withCodes(every("ethnicity", "", kindCode,
		func(e *Employee) string { return e.Ethnicity },
		personals(func(u *PersonalsUpdate) *string { return &u.Ethnicity }),
		func(h *Hire) *string { return &h.Ethnicity }), codesEthnicity)),
	listedAs(neededToHire(hireOnly("workEmail", SourceEmail, kindEmail, func(h *Hire) *string { return &h.WorkEmail }), nil),
		func(e *Employee) string { return e.WorkEmail }),
	listedAs(startsEmployment(neededToHire(hireOnly("hireDate", SourceStartDate, kindDate, func(h *Hire) *string { return &h.StartDate }),
		&problem{CodeMissingStartDate, "The person has no start date in Leapsome; TriNet needs one for a new hire. Add it in Leapsome."})),
		func(e *Employee) string { return e.StartDate }),
	listedAs(hireOnly("supervisor", SourceManager, kindSupervisor, func(h *Hire) *string { return &h.SupervisorID }),
		func(e *Employee) string { return e.SupervisorID }),
	listedAs(hireOnly("standardHours", "", kindHours, func(h *Hire) *string { return &h.StandardHours }),
		func(e *Employee) string { return e.StandardHours }),
	listedAs(withCodes(hireOnly("employeeType", "", kindCode, func(h *Hire) *string { return &h.EmployeeType }), codesEmpType),
		func(e *Employee) string { return e.EmployeeType }),
	listedAs(withCodes(hireOnly("flsaCode", "", kindCode, func(h *Hire) *string { return &h.FLSACode }), codesFLSA),
		func(e *Employee) string { return e.FLSACode }),
	sensitive(hireOnly("address1", "", kindText, func(h *Hire) *string { return &h.Address1 })),
	sensitive(hireOnly("address2", "", kindText, func(h *Hire) *string { return &h.Address2 })),
	sensitive(hireOnly("city", "", kindText, func(h *Hire) *string { return &h.City })),
	sensitive(hireOnly("state", "", kindText, func(h *Hire) *string { return &h.State })),
	sensitive(hireOnly("addressCountry", "", kindCountry, func(h *Hire) *string { return &h.AddressCountry })),
	sensitive(hireOnly("postalCode", "", kindText, func(h *Hire) *string { return &h.PostalCode })),
	sensitive(hireOnly("ssn", "", kindSSN, func(h *Hire) *string { return &h.NationalID })),
	sensitive(withCodes(updateOnly("maritalStatus", kindCode,
		func(e *Employee) string { return e.MaritalStatus },
		personals(func(u *PersonalsUpdate) *string { return &u.MaritalStatus })), codesMarital)),
	updateOnly("customGroupA", kindText,
		func(e *Employee) string { return e.CustomGroupA },
		jobs(func(u *JobsUpdate) *string { return &u.GroupA })),
	updateOnly("customGroupB", kindText,
		func(e *Employee) string { return e.CustomGroupB },
		jobs(func(u *JobsUpdate) *string { return &u.GroupB })),
}

var targetIndex = func() map[string]*Target {
	m := make(map[string]*Target, len(catalog))
	for i := range catalog {
		m[catalog[i].Target] = &catalog[i]
	}
	return m
}()

// supervisor is the target a hire's supervisor goes to: the planner resolves
// it (the manager's TriNet id) after every person is planned.
var supervisor = func() *Target {
	for i := range catalog {
		if catalog[i].kind == kindSupervisor {
			return &catalog[i]
		}
	}
	panic("provision: the catalog has no supervisor target")
}()

// Fields returns the catalog; the caller may keep or change the copy.
func Fields() Catalog {
	c := Catalog{Targets: make([]Target, len(catalog)), Sources: append([]string(nil), sources...)}
	for i, t := range catalog {
		if t.Codes != nil {
			t.Codes = append([]string(nil), t.Codes...)
		}
		c.Targets[i] = t
	}
	return c
}

// LookupTarget returns the catalog entry of a target name.
func LookupTarget(name string) (Target, bool) {
	t, ok := targetIndex[name]
	if !ok {
		return Target{}, false
	}
	return *t, true
}

// updates are one matched person's update calls as the targets fill them in;
// a call no target changes stays nil, so it is not sent.
type updates struct {
	emp       *Employee
	names     *NamesUpdate
	personals *PersonalsUpdate
	jobs      *JobsUpdate
}

// namesCall starts from TriNet's whole name: the names call always carries
// every part, and a part Leapsome does not change keeps TriNet's value.
func (u *updates) namesCall() *NamesUpdate {
	if u.names == nil {
		u.names = &NamesUpdate{
			FirstName:  strings.TrimSpace(u.emp.FirstName),
			MiddleName: strings.TrimSpace(u.emp.MiddleName),
			LastName:   strings.TrimSpace(u.emp.LastName),
		}
	}
	return u.names
}

func (u *updates) personalsCall() *PersonalsUpdate {
	if u.personals == nil {
		u.personals = &PersonalsUpdate{}
	}
	return u.personals
}

func (u *updates) jobsCall() *JobsUpdate {
	if u.jobs == nil {
		u.jobs = &JobsUpdate{}
	}
	return u.jobs
}

// Requests are the TriNet requests that carry one target's value, as
// Target.Carrying builds them; each is nil where the target is never sent.
type Requests struct {
	Hire      *Hire
	Names     *NamesUpdate
	Personals *PersonalsUpdate
	Jobs      *JobsUpdate
}

// Carrying places v as the target's value in each request that carries the
// target, with nothing else set (the names call's other parts are empty). The
// TriNet client learns from it where each target lands in its own request
// bodies, so that it reports a field TriNet rejects by its target.
func (t Target) Carrying(v string) Requests {
	var r Requests
	if t.hire != nil {
		r.Hire = &Hire{}
		*t.hire(r.Hire) = v
	}
	if t.update != nil {
		u := updates{emp: &Employee{}}
		t.update(&u, v)
		r.Names, r.Personals, r.Jobs = u.names, u.personals, u.jobs
	}
	return r
}
