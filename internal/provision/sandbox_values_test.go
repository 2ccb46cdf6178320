package provision_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"trinetsync/internal/leapsome"
	"trinetsync/internal/provision"
	leapsb "trinetsync/internal/sandbox/leapsome"
	trinetsb "trinetsync/internal/sandbox/trinet"
)

// The admin's stories of issue 9's defects 6 and 7, over HTTP against both
// sandboxes: values that cannot be read exactly are never guessed, and never
// stop the rest of a person from syncing.

// hireBodies are the bodies of the hire POSTs TriNet received, by work email.
func hireBodies(t *testing.T, w *world) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, wr := range w.tn.Writes(co) {
		if wr.Endpoint != "hire" {
			continue
		}
		var body map[string]any
		must(t, json.Unmarshal(wr.Body, &body))
		info, _ := body["employmentInfo"].(map[string]any)
		email, _ := info["workEmail"].(string)
		out[email] = body
	}
	return out
}

func issueOf(res provision.Result, user, code string) (provision.Issue, bool) {
	for _, is := range res.Issues {
		if is.UserID == user && is.Code == code {
			return is, true
		}
	}
	return provision.Issue{}, false
}

// Defect 6. An admin fills Leapsome's work locations the way people do: "N/A"
// for the remote team, "Georgia (US)" for Atlanta, "The Netherlands" and
// "España" for the European offices. The placeholders are never turned into
// Namibia or Georgia — the US employees there keep US, with a warning, while
// their other changes go through — and the European names are read exactly.
func TestStoryPlaceholderCountries(t *testing.T) {
	w := newWorld(t)
	remote, atlanta, amsterdam, madrid := hexID(901), hexID(902), hexID(903), hexID(904)
	for _, wl := range []leapsb.WorkLocation{
		{ID: remote, Name: "Remote", Country: "N/A"},
		{ID: atlanta, Name: "Atlanta", Country: "Georgia (US)"},
		{ID: amsterdam, Name: "Amsterdam", Country: "The Netherlands"},
		{ID: madrid, Name: "Madrid", Country: "España"},
	} {
		must(t, w.ls.PutWorkLocation(tenant, wl))
	}
	at := func(p leapsb.Employee, id, name string) leapsb.Employee {
		p.WorkLocation = &leapsb.Ref{ID: id, Name: name}
		return p
	}
	ada := at(w.person(1, "Ada", "Lovelace", "ada@example.com"), remote, "Remote")
	ada.Title = "Staff Engineer"
	ben := at(w.person(2, "Ben", "Turing", "ben@example.com"), atlanta, "Atlanta")
	carla := at(w.person(3, "Carla", "Visser", "carla@example.com"), amsterdam, "Amsterdam")
	diego := at(w.person(4, "Diego", "Ruiz", "diego@example.com"), madrid, "Madrid")
	for _, p := range []leapsb.Employee{ada, ben, carla, diego} {
		must(t, w.ls.PutEmployee(tenant, p))
	}
	for id, p := range map[string]leapsb.Employee{"00000101": ada, "00000102": ben} {
		_, err := w.tn.PutEmployee(co, trinetsb.Employee{ID: id, FirstName: p.FirstName, LastName: p.LastName, Gender: "F",
			BirthDate: "1990-12-10", Country: "US", StartDate: "2020-01-06", Title: "Engineer", WorkEmail: p.Email,
			WorkPhone: "+14155550100", LocationID: "SF1", DeptID: "D100", ApprovalStatus: "A"})
		must(t, err)
	}
	// The company's TriNet locations are not Leapsome's offices: location is left unmapped.
	s := settings()
	s.Mappings = slicesDelete(s.Mappings, "location")

	res := w.run(s)
	for id, user := range map[string]string{"00000101": hexID(1), "00000102": hexID(2)} {
		if got, _ := w.tn.Employee(co, id); got.Country != "US" {
			t.Errorf("employee %s's country became %q: a placeholder was read as a country", id, got.Country)
		}
		is, ok := issueOf(res, user, provision.CodeInvalidValue)
		if !ok || is.Severity != provision.SeverityWarning || is.Field != "country" {
			t.Errorf("%s: invalid_value %+v %v, want a warning naming country", user, is, ok)
		}
	}
	if got, _ := w.tn.Employee(co, "00000101"); got.Title != "Staff Engineer" {
		t.Errorf("Ada's title %q: the rest of her changes must go through", got.Title)
	}
	if it := item(res, hexID(1)); it.Action != provision.ActionLink || len(it.Fields) != 1 || it.Fields[0].Field != "jobTitle" {
		t.Errorf("Ada %+v, want linked with her title written, her country left out", it)
	}
	bodies := hireBodies(t, w)
	for email, want := range map[string]string{"carla@example.com": "NL", "diego@example.com": "ES"} {
		bio, _ := bodies[email]["biographicalInfo"].(map[string]any)
		if bio["country"] != want {
			t.Errorf("hire of %s: country %v, want %s (bodies %v)", email, bio["country"], want, bodies[email])
		}
	}
}

func slicesDelete(ms []provision.Mapping, target string) []provision.Mapping {
	var out []provision.Mapping
	for _, m := range ms {
		if m.Target != target {
			out = append(out, m)
		}
	}
	return out
}

// Defect 7, first half. A new hire's employee type is typed as "Contractor",
// which TriNet has no code for. The hire goes ahead without it, with a
// warning naming the field, rather than the whole person being blocked.
func TestStoryNewHireWithAnUnreadableOptionalValue(t *testing.T) {
	w := newWorld(t)
	eva := w.person(1, "Eva", "Novak", "eva@example.com")
	eva.CustomAttributes = map[string]any{"Employee type": "Contractor"}
	must(t, w.ls.PutEmployee(tenant, eva))

	res := w.run(settings())
	if it := item(res, hexID(1)); it.Action != provision.ActionCreate {
		t.Fatalf("Eva %+v %+v: an optional field blocked the hire", it, res.Issues)
	}
	is, ok := issueOf(res, hexID(1), provision.CodeInvalidValue)
	if !ok || is.Severity != provision.SeverityWarning || is.Field != "employeeType" {
		t.Errorf("issue %+v %v, want an invalid_value warning on employeeType", is, ok)
	}
	body, ok := hireBodies(t, w)["eva@example.com"]
	if !ok {
		t.Fatal("no hire POST for Eva")
	}
	info, _ := body["employmentInfo"].(map[string]any)
	if _, sent := info["employeeType"]; sent || info["startDate"] == nil {
		t.Errorf("hire employmentInfo %v, want startDate and no employeeType", info)
	}
}

// Defect 7, second half. Leapsome sends a lifecycle status the service does
// not know ("exited") for one person and one it cannot read at all for
// another. Neither is taken as active: both are kept out with a warning,
// and nobody is hired.
func TestStoryUnreadableLifecycleStatus(t *testing.T) {
	w := newWorld(t)
	start := w.clock.Now().Format(time.DateOnly)
	person := func(id, first, email, lifecycle string) string {
		return `{"id":"` + id + `","email":"` + email + `","firstname":"` + first + `","lastname":"Gone","status":"active",` +
			`"lifecycleStatus":` + lifecycle + `,"startDate":"` + start + `","departments":[{"id":"d1","name":"Engineering"}],` +
			`"workLocation":{"id":"` + w.wlSF + `","name":"San Francisco"}}`
	}
	srv := oddLeapsome(t,
		person(hexID(1), "Ivo", "ivo@example.com", `"exited"`)+","+person(hexID(2), "Una", "una@example.com", `{"code":7}`),
		"", `{"id":"`+w.wlSF+`","name":"San Francisco","country":"United States"}`)
	var err error
	w.people, err = leapsome.New(leapsome.Config{BaseURL: srv.URL + "/v1", APISecret: "ls-secret", Now: w.clock.Now,
		BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})
	must(t, err)

	res := w.run(settings())
	for _, user := range []string{hexID(1), hexID(2)} {
		it := item(res, user)
		if it.Action != provision.ActionExcluded {
			t.Errorf("%s: %+v, want excluded", user, it)
		}
		var warned bool
		for _, is := range res.Issues {
			if is.UserID == user && is.Severity == provision.SeverityWarning && is.Field == "lifecycleStatus" &&
				strings.Contains(is.Message, "not synced") {
				warned = true
			}
		}
		if !warned {
			t.Errorf("%s: no warning about the lifecycle status: %+v", user, res.Issues)
		}
	}
	if n := len(hireBodies(t, w)); n != 0 {
		t.Fatalf("%d hire POSTs, want none", n)
	}
}
