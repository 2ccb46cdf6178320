package provision

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var (
	fuzzDatePattern    = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	fuzzCountryPattern = regexp.MustCompile(`^[A-Z]{2}$`)
	fuzzPhonePattern   = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	fuzzSSNPattern     = regexp.MustCompile(`^[0-9]{9}$`)
)

// FuzzNormalise puts one Leapsome value (and a work-location region for
// phone numbers) through every target's rules: never a panic; a value that
// passes is in the form TriNet takes (date YYYY-MM-DD, phone E.164, country
// alpha-2, a listed code, hours a JSON number in (0, 168], …); one that does
// not is a problem with a code and a message, and a sensitive target's
// message does not depend on the value.
func FuzzNormalise(f *testing.F) {
	for _, s := range []struct{ v, region string }{
		{"Female", ""}, {" male ", ""}, {"M", ""}, {"diverse", ""}, {"ＭＡＬＥ", ""},
		{"1990-12-10", ""}, {"2024-01-08T00:00:00.000Z", ""}, {"2024-01-08T23:30:00-05:00", ""}, {"1990-02-30", ""},
		{"10.12.1990", ""}, {"0000-01-01", ""}, {"2024-01-08T00:00:00.000000000001Z", ""}, {"20240108", ""},
		{"Germany", ""}, {"USA", ""}, {"de", ""}, {"Narnia", ""}, {"Côte d'Ivoire", ""}, {"UNKNOWN", ""}, {"XX", ""},
		{"+49 30 1234567", ""}, {"030 1234567", "DE"}, {"(415) 555-2671", ""}, {"555", ""}, {"+1 415 555 2671 ext. 12", ""},
		{"030 1234567", "de"}, {"030 1234567", "ZZ"}, {"030 1234567", "001"}, {"+800 1234 5678", ""}, {"tel:+1-415-555-2671", ""},
		{"engineering", ""}, {" SALES ", ""}, {"d100", ""}, {"Marketing", ""}, {"san francisco", ""},
		{"40", ""}, {"37.5", ""}, {"0", ""}, {"168", ""}, {"168.0000001", ""}, {"-1", ""}, {"1e2", ""}, {"0x1p3", ""}, {"Inf", ""},
		{"123-45-6789", ""}, {"123 45 6789", ""}, {"12-34", ""}, {"١٢٣٤٥٦٧٨٩", ""},
		{"ada@example.com", ""}, {"ada", ""}, {"white", ""}, {"p", ""}, {"X", ""},
		{"", ""}, {"   ", ""}, {"\x00", ""}, {"\xff\xfe", ""}, {strings.Repeat("é", 30), ""}, {strings.Repeat("x", 10000), ""},
		// Found by fuzzing: NaN passed the hours range; offset times moved out of
		// the four-digit years in UTC; a clipped message cut a character in two.
		{"NaN", ""}, {"9999-12-31T23:00:00-05:00", ""}, {"0000-01-01T00:00:00+05:00", ""}, {"a" + strings.Repeat("é", 30), ""},
	} {
		f.Add(s.v, s.region)
	}
	company := CompanyData{
		Departments: []Department{{ID: "D100", Name: "Engineering"}, {ID: "D200", Name: "Sales"}},
		Locations:   []Location{{ID: "SF1", Name: "San Francisco", Country: "US"}},
	}
	ids := []string{"D100", "D200", "SF1"}
	pl := newPlanner(PlanInput{Company: company})
	// What each target says about a value it rejects: a sensitive target must
	// say exactly that whatever the value.
	type said struct{ code, message string }
	baseline := map[string]said{}
	for i := range catalog {
		t := &catalog[i]
		if _, p := pl.normalise(t, "Zq-Unknown-Value 123", ""); p != nil {
			baseline[t.Target] = said{p.code, p.message}
		}
	}
	f.Fuzz(func(tt *testing.T, v, region string) {
		for i := range catalog {
			t := &catalog[i]
			out, p := pl.normalise(t, v, region)
			if p != nil {
				if out != "" || p.code == "" || p.message == "" {
					tt.Fatalf("%s %q: %q with problem %+v", t.Target, v, out, p)
				}
				if utf8.ValidString(v) && !utf8.ValidString(p.message) {
					tt.Fatalf("%s %q: the message is not valid UTF-8: %q", t.Target, v, p.message)
				}
				if b, ok := baseline[t.Target]; t.Sensitive && ok && b.code == p.code && b.message != p.message {
					tt.Fatalf("%s %q: a sensitive target's message depends on the value: %q", t.Target, v, p.message)
				}
				continue
			}
			if !validFor(t, out, v, ids) {
				tt.Fatalf("%s: %q (region %q) normalised to %q, which TriNet does not take", t.Target, v, region, out)
			}
		}
	})
}

func validFor(t *Target, out, in string, ids []string) bool {
	switch t.kind {
	case kindGender:
		return out == "M" || out == "F"
	case kindDate:
		_, err := time.Parse(time.DateOnly, out)
		return fuzzDatePattern.MatchString(out) && err == nil
	case kindCode:
		return slices.Contains(t.Codes, out)
	case kindCountry:
		return fuzzCountryPattern.MatchString(out)
	case kindPhone:
		return fuzzPhonePattern.MatchString(out)
	case kindDepartment, kindLocation:
		return slices.Contains(ids, out)
	case kindHours:
		// Sent as a JSON number (standardHoursPerWeek).
		f, err := strconv.ParseFloat(out, 64)
		return err == nil && f > 0 && f <= 168 && json.Valid([]byte(out))
	case kindSSN:
		return fuzzSSNPattern.MatchString(out)
	case kindEmail:
		return strings.Contains(out, "@") && out == strings.TrimSpace(in)
	default:
		return out == strings.TrimSpace(in)
	}
}
