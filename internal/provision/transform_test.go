package provision

import (
	"fmt"
	"sync"
	"testing"
)

func TestGenderCode(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"male", "M", true},
		{"Male", "M", true},
		{" MALE ", "M", true},
		{"female", "F", true},
		{"FEMALE", "F", true},
		{"M", "M", true},
		{"f", "F", true},
		{"diverse", "", false},
		{"non-binary", "", false},
		{"", "", false},
		{"x", "", false},
	}
	for _, tt := range tests {
		got, ok := genderCode(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("genderCode(%q) = %q %v, want %q %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNormDate(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"2024-01-08", "2024-01-08", true},
		{"2024-01-08T00:00:00.000Z", "2024-01-08", true},
		{"2024-01-08T23:30:00-05:00", "2024-01-09", true}, // the UTC date
		{"2024-01-08T01:00:00+02:00", "2024-01-07", true},
		{" 2024-02-29 ", "2024-02-29", true},
		{"2023-02-29", "", false},
		{"08/01/2024", "", false},
		{"2024-1-8", "", false},
		{"yesterday", "", false},
	}
	for _, tt := range tests {
		got, ok := normDate(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("normDate(%q) = %q %v, want %q %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNormCountry(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"United States", "US", true},
		{"USA", "US", true},
		{"US", "US", true},
		{"us", "US", true},
		{"Germany", "DE", true},
		{"DE", "DE", true},
		{"Deutschland", "DE", true},
		{"United Kingdom", "GB", true},
		{"Canada", "CA", true},
		{"Atlantis", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := normCountry(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("normCountry(%q) = %q %v, want %q %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNormPhone(t *testing.T) {
	tests := []struct {
		in, region, want string
		ok               bool
	}{
		{"+14155550100", "", "+14155550100", true},
		{"(415) 555-0100", "", "+14155550100", true},       // no +: default region US
		{"415.555.0100", "US", "+14155550100", true},       // no +: the work location's country
		{"030 1234567", "DE", "+49301234567", true},        // a German number read in Germany
		{"+49 30 1234567", "US", "+49301234567", true},     // + wins over the region
		{"0044 20 7946 0958", "DE", "+442079460958", true}, // international prefix of the region
		{"12", "", "", false},
		{"not a number", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		got, ok := normPhone(tt.in, tt.region)
		if got != tt.want || ok != tt.ok {
			t.Errorf("normPhone(%q, %q) = %q %v, want %q %v", tt.in, tt.region, got, ok, tt.want, tt.ok)
		}
	}
}

func TestApplyValueMap(t *testing.T) {
	vm := map[string]string{"Full time": "F", "full TIME": "F", "Part time": "P", "n/a": ""}
	tests := []struct{ in, want string }{
		{"Full time", "F"},
		{" Part time ", "P"},         // trimmed
		{"PART TIME", "P"},           // case-insensitive after exact
		{"n/a", ""},                  // mapped to blank: not written
		{"Contractor", "Contractor"}, // unmapped passes through
	}
	for _, tt := range tests {
		if got := applyValueMap(tt.in, vm); got != tt.want {
			t.Errorf("applyValueMap(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	exact := map[string]string{"a": "exact", "A": "upper"}
	if got := applyValueMap("A", exact); got != "upper" {
		t.Errorf("exact match must win over case-insensitive, got %q", got)
	}
	if got := applyValueMap("x", nil); got != "x" {
		t.Errorf("nil map must pass through, got %q", got)
	}
}

func TestNormHoursAndSSN(t *testing.T) {
	hours := []struct {
		in, want string
		ok       bool
	}{{"40", "40", true}, {"37.5", "37.5", true}, {" 40.0 ", "40", true}, {"0", "", false}, {"200", "", false}, {"forty", "", false}}
	for _, tt := range hours {
		if got, ok := normHours(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("normHours(%q) = %q %v", tt.in, got, ok)
		}
	}
	ssns := []struct {
		in, want string
		ok       bool
	}{{"123-45-6789", "123456789", true}, {"123456789", "123456789", true}, {"123 45 6789", "123456789", true}, {"12345678", "", false}, {"123-45-678X", "", false}}
	for _, tt := range ssns {
		if got, ok := normSSN(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("normSSN(%q) = %q %v", tt.in, got, ok)
		}
	}
}

func TestNormaliseTargets(t *testing.T) {
	pl := newPlanner(PlanInput{Company: CompanyData{
		Departments: []Department{{ID: "D100", Name: "Engineering"}, {ID: "D200", Name: "Sales"}},
		Locations:   []Location{{ID: "SF1", Name: "San Francisco", Country: "US"}},
	}})
	tests := []struct {
		target, in, region string
		want               string
		code               string
	}{
		{"gender", "Female", "", "F", ""},
		{"gender", "diverse", "", "", CodeUnsupportedGender},
		{"birthDate", "1990-12-10", "", "1990-12-10", ""},
		{"birthDate", "10.12.1990", "", "", CodeInvalidValue},
		{"hireDate", "soon", "", "", CodeInvalidValue},
		{"ethnicity", "white", "", "WHITE", ""},
		{"ethnicity", "martian", "", "", CodeInvalidValue},
		{"employeeType", "p", "", "P", ""},
		{"flsaCode", "X", "", "", CodeInvalidValue},
		{"maritalStatus", "m", "", "M", ""},
		{"country", "Germany", "", "DE", ""},
		{"country", "Narnia", "", "", CodeInvalidValue},
		{"addressCountry", "USA", "", "US", ""},
		{"phoneNumber", "030 1234567", "DE", "+49301234567", ""},
		{"phoneNumber", "555", "", "", CodeInvalidValue},
		{"department", "engineering", "", "D100", ""},
		{"department", " SALES ", "", "D200", ""},
		{"department", "d100", "", "D100", ""}, // a value map may name the id
		{"department", "Marketing", "", "", CodeDepartmentNotFound},
		{"location", "san francisco", "", "SF1", ""},
		{"location", "Berlin", "", "", CodeLocationNotFound},
		{"standardHours", "40", "", "40", ""},
		{"ssn", "123-45-6789", "", "123456789", ""},
		{"ssn", "12-34", "", "", CodeInvalidValue},
		{"workEmail", "ada@example.com", "", "ada@example.com", ""},
		{"workEmail", "ada", "", "", CodeInvalidValue},
		{"jobTitle", "  Engineer ", "", "Engineer", ""},
	}
	for _, tt := range tests {
		t.Run(tt.target+"/"+tt.in, func(t *testing.T) {
			got, prob := pl.normalise(targetIndex[tt.target], tt.in, tt.region)
			code := ""
			if prob != nil {
				code = prob.code
			}
			if got != tt.want || code != tt.code {
				t.Fatalf("got %q %q, want %q %q", got, code, tt.want, tt.code)
			}
		})
	}
}

func TestProblemMessagesDoNotEchoSensitiveValues(t *testing.T) {
	pl := newPlanner(PlanInput{})
	for _, tc := range []struct{ target, value string }{
		{"gender", "nonbinary-secret"},
		{"birthDate", "1990/12/10"},
		{"ssn", "123-45-67"},
		{"ethnicity", "secret-ethnicity"},
		{"maritalStatus", "secret-status"},
		{"addressCountry", "Secretland"},
		{"addressCountry", "Atlantis 4242"},
	} {
		_, prob := pl.normalise(targetIndex[tc.target], tc.value, "")
		if prob == nil {
			t.Fatalf("%s %q: want a problem", tc.target, tc.value)
		}
		if containsFold(prob.message, tc.value) {
			t.Errorf("%s: message %q echoes the value", tc.target, prob.message)
		}
	}
}

// Whatever a sensitive target's rules reject, the message never quotes the
// value; other targets still name theirs, which helps the admin find it.
func TestProblemMessagesQuoteOnlyNonSensitiveValues(t *testing.T) {
	pl := newPlanner(PlanInput{})
	const v = "Zq-Unknown-Value 123"
	for _, tgt := range Fields().Targets {
		t.Run(tgt.Target, func(t *testing.T) {
			_, prob := pl.normalise(targetIndex[tgt.Target], v, "")
			if prob == nil {
				return // the target takes any text
			}
			echoed := containsFold(prob.message, v)
			if tgt.Sensitive && echoed {
				t.Fatalf("message %q echoes a sensitive value", prob.message)
			}
			if !tgt.Sensitive && !echoed && (tgt.Target == "country" || tgt.Target == "department" || tgt.Target == "location") {
				t.Fatalf("message %q lost the value the admin must correct", prob.message)
			}
		})
	}
}

// A country is read exactly (ISO code, or the short name in English or in the
// country's own language, ignoring case and accents, or a common alias) or
// not at all: a placeholder or a near miss is never turned into a country.
func TestCountryReadExactly(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"US", "US"}, {"usa", "US"}, {"USA", "US"}, {"United States", "US"}, {"united states of america", "US"},
		{"U.S.", "US"}, {"  United   States ", "US"},
		{"UK", "GB"}, {"GBR", "GB"}, {"United Kingdom", "GB"}, {"Great Britain", "GB"},
		{"The Netherlands", "NL"}, {"Netherlands", "NL"}, {"Nederland", "NL"}, {"NLD", "NL"}, {"Holland", "NL"},
		{"España", "ES"}, {"espana", "ES"}, {"ESPAÑA", "ES"}, {"Spain", "ES"},
		{"Deutschland", "DE"}, {"Österreich", "AT"}, {"Oesterreich", ""}, {"Schweiz", "CH"},
		{"Côte d'Ivoire", "CI"}, {"Cote d’Ivoire", "CI"}, {"Ivory Coast", "CI"},
		{"Bosnia & Herzegovina", "BA"}, {"Bosnia and Herzegovina", "BA"},
		{"Guinea-Bissau", "GW"}, {"Guinea Bissau", "GW"}, {"México", "MX"}, {"Namibia", "NA"}, {"NAM", "NA"},
		{"Georgia", "GE"}, {"Türkiye", "TR"}, {"Turkey", "TR"}, {"South Korea", "KR"}, {"Czechia", "CZ"},
		// Placeholders and near misses.
		{"N/A", ""}, {"n/a", ""}, {"NA", ""}, {"-", ""}, {"none", ""}, {"TBD", ""}, {"unknown", ""}, {"", ""},
		{"Georgia (US)", ""}, {"United Sates", ""}, {"Germany/Austria", ""}, {"Remote", ""}, {"New York", ""},
		{"Atlantis", ""}, {"Netherland", ""}, {"US of A", ""},
	}
	for _, tt := range tests {
		got, ok := normCountry(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("normCountry(%q) = %q %v, want %q", tt.in, got, ok, tt.want)
		}
	}
}

// Runs plan concurrently: reading countries must be safe from many goroutines
// (the race detector watches this test).
func TestCountryReadConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for _, v := range []string{"España", "Österreich", "The Netherlands", "N/A", fmt.Sprint("Land ", i)} {
				normCountry(v)
			}
		})
	}
	wg.Wait()
	if c, ok := normCountry("España"); !ok || c != "ES" {
		t.Fatalf("España = %q %v", c, ok)
	}
}
