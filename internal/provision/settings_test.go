package provision

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"trinetsync/internal/fault"
)

func TestCatalogMatchesContract(t *testing.T) {
	tests := []struct {
		target   string
		label    string
		mode     Mode
		required bool
		codes    []string
		def      string
		sens     bool
	}{
		{"firstName", "Every sync", ModeEverySync, true, nil, "firstname", false},
		{"lastName", "Every sync", ModeEverySync, true, nil, "lastname", false},
		{"middleName", "Every sync", ModeEverySync, false, nil, "middlename", false},
		{"gender", "Every sync", ModeEverySync, false, []string{"M", "F"}, "scim.gender", true},
		{"birthDate", "Every sync", ModeEverySync, false, nil, "scim.birthday", true},
		{"jobTitle", "Every sync", ModeEverySync, false, nil, "title", false},
		{"department", "Every sync", ModeEverySync, false, nil, "department", false},
		{"country", "Every sync", ModeEverySync, false, nil, "workLocation.country", false},
		{"location", "Every sync", ModeEverySync, false, nil, "workLocation", false},
		{"phoneNumber", "Every sync", ModeEverySync, false, nil, "phone", false},
		{"ethnicity", "Every sync", ModeEverySync, false, []string{"HISPA", "WHITE", "BLACK", "PACIF", "ASIAN", "AMIND", "TWO", "NSPEC"}, "", true},
		{"workEmail", "New hire only", ModeNewHireOnly, false, nil, "email", false},
		{"hireDate", "New hire only", ModeNewHireOnly, false, nil, "startDate", false},
		{"supervisor", "New hire only", ModeNewHireOnly, false, nil, "manager", false},
		{"standardHours", "New hire only", ModeNewHireOnly, false, nil, "", false},
		{"employeeType", "New hire only", ModeNewHireOnly, false, []string{"F", "P"}, "", false},
		{"regularTemporary", "New hire only", ModeNewHireOnly, false, []string{"R", "T"}, "", false},
		{"flsaCode", "New hire only", ModeNewHireOnly, false, []string{"T", "N", "C", "Z"}, "", false},
		{"address1", "New hire only", ModeNewHireOnly, false, nil, "", true},
		{"address2", "New hire only", ModeNewHireOnly, false, nil, "", true},
		{"city", "New hire only", ModeNewHireOnly, false, nil, "", true},
		{"state", "New hire only", ModeNewHireOnly, false, nil, "", true},
		{"addressCountry", "New hire only", ModeNewHireOnly, false, nil, "", true},
		{"postalCode", "New hire only", ModeNewHireOnly, false, nil, "", true},
		{"ssn", "New hire only", ModeNewHireOnly, false, nil, "", true},
		{"maritalStatus", "Profile updates", ModeUpdateOnly, false, []string{"S", "M", "D", "W", "H", "U"}, "", true},
		{"customGroupA", "Profile updates", ModeUpdateOnly, false, nil, "", false},
		{"customGroupB", "Profile updates", ModeUpdateOnly, false, nil, "", false},
	}
	cat := Fields()
	if len(cat.Targets) != len(tests) {
		t.Fatalf("catalog has %d targets, contract %d", len(cat.Targets), len(tests))
	}
	for i, tt := range tests {
		got := cat.Targets[i]
		if got.Target != tt.target || got.Label != tt.label || got.Mode != tt.mode || got.Required != tt.required ||
			!slices.Equal(got.Codes, tt.codes) || got.DefaultSource != tt.def || got.Sensitive != tt.sens {
			t.Errorf("target %d = %+v, want %+v", i, got, tt)
		}
	}
	wantSources := []string{"firstname", "lastname", "middlename", "displayedName", "email", "title", "phone",
		"startDate", "manager", "department", "team", "workLocation", "workLocation.country", "scim.gender",
		"scim.birthday", "scim.employmentType", "scim.legalName", "customAttributes.<name>", "const:<value>"}
	if !slices.Equal(cat.Sources, wantSources) {
		t.Errorf("sources = %v", cat.Sources)
	}
}

func TestCatalogJSONShape(t *testing.T) {
	b, err := json.Marshal(Fields())
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Targets []map[string]any `json:"targets"`
		Sources []string         `json:"sources"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, tg := range got.Targets {
		keys := make([]string, 0, len(tg))
		for k := range tg {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"codes", "label", "mode", "required", "target"}) {
			t.Fatalf("target keys = %v", keys)
		}
	}
	if got.Targets[2]["codes"] != nil {
		t.Errorf("free target must have codes null, got %v", got.Targets[2]["codes"])
	}
}

func TestFieldsReturnsACopy(t *testing.T) {
	c := Fields()
	c.Targets[3].Codes[0] = "X"
	c.Sources[0] = "x"
	if Fields().Targets[3].Codes[0] != "M" || Fields().Sources[0] != "firstname" {
		t.Fatal("Fields must not expose the catalog")
	}
}

func TestDefaultSettings(t *testing.T) {
	targets := func(s Settings) []string {
		var out []string
		for _, m := range s.Mappings {
			out = append(out, m.Target)
		}
		return out
	}
	base := []string{"firstName", "lastName", "middleName", "jobTitle", "department", "country", "location",
		"phoneNumber", "workEmail", "hireDate", "supervisor"}
	withSCIM := []string{"firstName", "lastName", "middleName", "gender", "birthDate", "jobTitle", "department",
		"country", "location", "phoneNumber", "workEmail", "hireDate", "supervisor"}
	noSCIM := DefaultSettings(false)
	if !slices.Equal(targets(noSCIM), base) {
		t.Errorf("without SCIM: %v", targets(noSCIM))
	}
	if got := targets(DefaultSettings(true)); !slices.Equal(got, withSCIM) {
		t.Errorf("with SCIM: %v", got)
	}
	if noSCIM.AutoCreateNewHires || noSCIM.MassCreateMaxPercent != 20 {
		t.Errorf("defaults: %+v", noSCIM)
	}
	if err := ValidateSettings(DefaultSettings(true), true); err != nil {
		t.Errorf("defaults with SCIM invalid: %v", err)
	}
	if err := ValidateSettings(noSCIM, false); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}

func TestValidateSettingsRejections(t *testing.T) {
	names := []Mapping{{Target: "firstName", Source: "firstname"}, {Target: "lastName", Source: "lastname"}}
	with := func(ms ...Mapping) Settings {
		return Settings{MassCreateMaxPercent: 20, Mappings: append(append([]Mapping(nil), names...), ms...)}
	}
	tests := []struct {
		name  string
		s     Settings
		scim  bool
		field string
	}{
		{"percent below 0", Settings{MassCreateMaxPercent: -1, Mappings: names}, false, "massCreateMaxPercent"},
		{"percent above 100", Settings{MassCreateMaxPercent: 101, Mappings: names}, false, "massCreateMaxPercent"},
		{"unknown target", with(Mapping{Target: "salary", Source: "title"}), false, "mappings[2].target"},
		{"empty target", with(Mapping{Target: "", Source: "title"}), false, "mappings[2].target"},
		{"unknown source", with(Mapping{Target: "jobTitle", Source: "job"}), false, "mappings[2].source"},
		{"empty source", with(Mapping{Target: "jobTitle", Source: ""}), false, "mappings[2].source"},
		{"duplicate target", with(Mapping{Target: "firstName", Source: "displayedName"}), false, "mappings[2].target"},
		{"firstName left out", Settings{Mappings: names[1:]}, false, "mappings"},
		{"lastName left out", Settings{Mappings: names[:1]}, false, "mappings"},
		{"no mappings", Settings{}, false, "mappings"},
		{"firstName emptied", Settings{Mappings: []Mapping{{Target: "firstName", Source: " "}, names[1]}}, false, "mappings[0].source"},
		{"scim source without SCIM", with(Mapping{Target: "gender", Source: "scim.gender"}), false, "mappings[2].source"},
		{"scim name without SCIM", Settings{Mappings: []Mapping{{Target: "firstName", Source: "scim.legalName"}, names[1]}}, false, "mappings[0].source"},
		{"custom attribute without name", with(Mapping{Target: "customGroupA", Source: "customAttributes."}), false, "mappings[2].source"},
		{"custom attribute blank name", with(Mapping{Target: "customGroupA", Source: "customAttributes.  "}), false, "mappings[2].source"},
		{"blank constant", with(Mapping{Target: "employeeType", Source: "const:"}), false, "mappings[2].source"},
		{"constant not a code", with(Mapping{Target: "employeeType", Source: "const:X"}), false, "mappings[2].source"},
		{"constant gender neither male nor female", with(Mapping{Target: "gender", Source: "const:X"}), true, "mappings[2].source"},
		{"constant gender diverse", with(Mapping{Target: "gender", Source: "const:diverse"}), true, "mappings[2].source"},
		{"supervisor from title", with(Mapping{Target: "supervisor", Source: "title"}), false, "mappings[2].source"},
		{"manager to jobTitle", with(Mapping{Target: "jobTitle", Source: "manager"}), false, "mappings[2].source"},
		{"value map empty key", with(Mapping{Target: "employeeType", Source: "customAttributes.Type", ValueMap: map[string]string{" ": "F"}}), false, "mappings[2].valueMap"},
		{"value map to a bad code", with(Mapping{Target: "employeeType", Source: "customAttributes.Type", ValueMap: map[string]string{"Full time": "Full"}}), false, "mappings[2].valueMap"},
		{"value map ambiguous keys", with(Mapping{Target: "jobTitle", Source: "title", ValueMap: map[string]string{"Eng": "Engineer", "ENG": "Engineering"}}), false, "mappings[2].valueMap"},
		{"value map on supervisor", with(Mapping{Target: "supervisor", Source: "manager", ValueMap: map[string]string{"a": "b"}}), false, "mappings[2].valueMap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateSettings(tt.s, tt.scim)
			if !errors.Is(err, fault.ErrValidation) {
				t.Fatalf("err = %v, want a validation error", err)
			}
			if got := fault.FieldOf(err); got != tt.field {
				t.Fatalf("field = %q, want %q (%v)", got, tt.field, err)
			}
		})
	}
}

func TestValidateSettingsAccepts(t *testing.T) {
	names := []Mapping{{Target: "firstName", Source: "firstname"}, {Target: "lastName", Source: "lastname"}}
	tests := []struct {
		name string
		m    Mapping
		pct  int
		scim bool
	}{
		{"percent 0", Mapping{Target: "jobTitle", Source: "title"}, 0, false},
		{"percent 100", Mapping{Target: "jobTitle", Source: "title"}, 100, false},
		{"scim with SCIM", Mapping{Target: "gender", Source: "scim.gender"}, 20, true},
		{"custom attribute", Mapping{Target: "customGroupA", Source: "customAttributes.Cost center"}, 20, false},
		{"constant code lower-case", Mapping{Target: "employeeType", Source: "const:f"}, 20, false},
		{"constant free text", Mapping{Target: "jobTitle", Source: "const:Staff"}, 20, false},
		{"value map to codes", Mapping{Target: "employeeType", Source: "customAttributes.Employee type", ValueMap: map[string]string{"Full time": "F", "Part time": "p", "Unknown": ""}}, 20, false},
		{"value map gender words", Mapping{Target: "gender", Source: "scim.gender", ValueMap: map[string]string{"m": "male", "w": "Female"}}, 20, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Settings{MassCreateMaxPercent: tt.pct, Mappings: append(append([]Mapping(nil), names...), tt.m)}
			if err := ValidateSettings(s, tt.scim); err != nil {
				t.Fatalf("rejected: %v", err)
			}
		})
	}
}

func TestEffectiveSettings(t *testing.T) {
	s, is := EffectiveSettings(nil, false)
	if len(is) != 0 || len(s.Mappings) != len(DefaultSettings(false).Mappings) || s.AutoCreateNewHires {
		t.Fatalf("no saved settings → defaults, got %+v %v", s, is)
	}
	saved := &Settings{AutoCreateNewHires: true, MassCreateMaxPercent: 50, Mappings: []Mapping{
		{Target: "firstName", Source: "scim.legalName"},
		{Target: "lastName", Source: "lastname"},
		{Target: "gender", Source: "scim.gender"},
		{Target: "jobTitle", Source: "title"},
	}}
	s, is = EffectiveSettings(saved, true)
	if len(is) != 0 || len(s.Mappings) != 4 {
		t.Fatalf("with SCIM nothing is dropped: %+v %v", s, is)
	}
	s, is = EffectiveSettings(saved, false)
	if len(is) != 1 || is[0].Code != CodeSCIMUnavailable || is[0].Severity != SeverityWarning || is[0].UserID != "" {
		t.Fatalf("issues = %+v", is)
	}
	want := []Mapping{{Target: "firstName", Source: "firstname"}, {Target: "lastName", Source: "lastname"}, {Target: "jobTitle", Source: "title"}}
	if len(s.Mappings) != len(want) {
		t.Fatalf("mappings = %+v", s.Mappings)
	}
	for i := range want {
		if s.Mappings[i].Target != want[i].Target || s.Mappings[i].Source != want[i].Source {
			t.Fatalf("mappings = %+v", s.Mappings)
		}
	}
	if !s.AutoCreateNewHires || s.MassCreateMaxPercent != 50 || len(saved.Mappings) != 4 {
		t.Fatalf("the rest is kept and the saved value untouched: %+v", s)
	}
	if err := ValidateSettings(s, false); err != nil {
		t.Fatalf("effective settings must validate: %v", err)
	}
}
