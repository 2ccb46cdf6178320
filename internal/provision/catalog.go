package provision

// The field catalog is data: every TriNet target the service can write, with its
// UI label, when it may be written, its allowed codes and its default source.
// The planner looks targets up here rather than branching on names, so adding a
// target is a row, and GET /v1/fields serves Fields() as it is.

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

// call is the TriNet update call that carries a target; callNone for targets
// that cannot be updated.
type call int

const (
	callNone call = iota
	callNames
	callPersonals
	callJobs
)

// Target is one TriNet field of the catalog.
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

	kind kind
	call call
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

func every(name, def string, k kind, c call) Target {
	return Target{Target: name, Label: LabelEverySync, Mode: ModeEverySync, DefaultSource: def, kind: k, call: c}
}

func hireOnly(name, def string, k kind) Target {
	return Target{Target: name, Label: LabelNewHireOnly, Mode: ModeNewHireOnly, DefaultSource: def, kind: k}
}

func updateOnly(name string, k kind, c call) Target {
	return Target{Target: name, Label: LabelUpdateOnly, Mode: ModeUpdateOnly, kind: k, call: c}
}

func withCodes(t Target, codes []string) Target { t.Codes = codes; return t }
func sensitive(t Target) Target                 { t.Sensitive = true; return t }
func required(t Target) Target                  { t.Required = true; return t }

// catalog is the contract's field table, in its order.
var catalog = []Target{
	required(every("firstName", SourceFirstName, kindText, callNames)),
	required(every("lastName", SourceLastName, kindText, callNames)),
	every("middleName", SourceMiddleName, kindText, callNames),
	sensitive(withCodes(every("gender", SourceSCIMGender, kindGender, callPersonals), codesGender)),
	sensitive(every("birthDate", SourceSCIMBirthday, kindDate, callPersonals)),
	every("jobTitle", SourceTitle, kindText, callJobs),
	every("department", SourceDepartment, kindDepartment, callJobs),
	every("country", SourceWorkCountry, kindCountry, callPersonals),
	every("location", SourceWorkLocation, kindLocation, callJobs),
	every("phoneNumber", SourcePhone, kindPhone, callJobs),
	sensitive(withCodes(every("ethnicity", "", kindCode, callPersonals), codesEthnicity)),
	hireOnly("workEmail", SourceEmail, kindEmail),
	hireOnly("hireDate", SourceStartDate, kindDate),
	hireOnly("supervisor", SourceManager, kindSupervisor),
	hireOnly("standardHours", "", kindHours),
	withCodes(hireOnly("employeeType", "", kindCode), codesEmpType),
	withCodes(hireOnly("flsaCode", "", kindCode), codesFLSA),
	sensitive(hireOnly("address1", "", kindText)),
	sensitive(hireOnly("address2", "", kindText)),
	sensitive(hireOnly("city", "", kindText)),
	sensitive(hireOnly("state", "", kindText)),
	sensitive(hireOnly("addressCountry", "", kindCountry)),
	sensitive(hireOnly("postalCode", "", kindText)),
	sensitive(hireOnly("ssn", "", kindSSN)),
	sensitive(withCodes(updateOnly("maritalStatus", kindCode, callPersonals), codesMarital)),
	updateOnly("customGroupA", kindText, callJobs),
	updateOnly("customGroupB", kindText, callJobs),
}

var targetIndex = func() map[string]*Target {
	m := make(map[string]*Target, len(catalog))
	for i := range catalog {
		m[catalog[i].Target] = &catalog[i]
	}
	return m
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
