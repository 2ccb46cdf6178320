package provision

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const scimExt = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

func wrongType(list, user, field string) Anomaly {
	return Anomaly{List: list, UserID: user, Field: field, Reason: ReasonWrongType}
}

// unreadableIssues are the issues of the two new codes, in order.
func unreadableIssues(res Result) []Issue {
	var out []Issue
	for _, is := range res.Issues {
		if is.Code == CodeUnreadableValue || is.Code == CodeUnreadableRecord {
			out = append(out, is)
		}
	}
	return out
}

func otherIssues(res Result) []Issue {
	var out []Issue
	for _, is := range res.Issues {
		if is.Code != CodeUnreadableValue && is.Code != CodeUnreadableRecord {
			out = append(out, is)
		}
	}
	return out
}

// TestUnreadableValuesBecomeWarnings: each anomaly the Leapsome client
// reports becomes the right warning, attached to the person, naming the
// target it feeds, and changes nothing else: every case is run a second time
// without the anomalies, and the plans and the other issues must be the same.
func TestUnreadableValuesBecomeWarnings(t *testing.T) {
	// u1 is in TriNet (unchanged), u2 is a new hire.
	ada := func(field, msg string) Issue {
		return Issue{UserID: "u1", Email: "ada@example.com", Name: "Ada Lovelace", Severity: SeverityWarning,
			Code: CodeUnreadableValue, Field: field, Message: msg}
	}
	bob := func(field, msg string) Issue {
		return Issue{UserID: "u2", Email: "bob@example.com", Name: "Bob Byte", Severity: SeverityWarning,
			Code: CodeUnreadableValue, Field: field, Message: msg}
	}
	tenant := func(msg string) Issue {
		return Issue{Severity: SeverityWarning, Code: CodeUnreadableRecord, Message: msg}
	}
	tests := []struct {
		name      string
		settings  Settings
		edit      map[string]func(p *Person) // the person as the client read them
		anomalies []Anomaly
		want      []Issue // Message: a part of the message
		action    map[string]Action
	}{
		{
			name:      "title",
			edit:      map[string]func(*Person){"u1": func(p *Person) { p.Title = "" }},
			anomalies: []Anomaly{wrongType(ListEmployees, "u1", "title")},
			want: []Issue{ada("jobTitle", "Leapsome sent the job title in a form that could not be read, so it was not synced. "+
				"Check the person's job title in Leapsome.")},
			action: map[string]Action{"u1": ActionUnchanged, "u2": ActionCreate},
		},
		{
			name: "mapped custom attribute, named in another case",
			settings: func() Settings {
				s := autoCreate(true)
				s.Mappings = append(s.Mappings, Mapping{Target: "employeeType", Source: "customAttributes.Employee type"})
				return s
			}(),
			anomalies: []Anomaly{wrongType(ListEmployees, "u2", "customAttributes.EMPLOYEE TYPE")},
			want:      []Issue{bob("employeeType", `the custom attribute "EMPLOYEE TYPE" in a form that could not be read`)},
			action:    map[string]Action{"u2": ActionCreate},
		},
		{
			name: "fields no mapping reads are not reported",
			anomalies: []Anomaly{wrongType(ListEmployees, "u1", "teams"), wrongType(ListEmployees, "u1", "departments[1].name"),
				wrongType(ListEmployees, "u1", "endDate"), wrongType(ListEmployees, "u1", "customAttributes.Other"),
				wrongType(ListEmployees, "u1", "displayedName"), wrongType(ListSCIMUsers, "u1", "active")},
		},
		{
			name:      "first department",
			anomalies: []Anomaly{wrongType(ListEmployees, "u2", "departments[0]")},
			want:      []Issue{bob("department", "Check the person's department in Leapsome.")},
		},
		{
			name:      "work location feeds country and location, reported once",
			anomalies: []Anomaly{wrongType(ListEmployees, "u1", "workLocation.id"), wrongType(ListEmployees, "u1", "workLocation.name")},
			want:      []Issue{ada("country,location", "Leapsome sent the work location in a form")},
		},
		{
			name:      "required name of a new hire: the missing-name rule decides",
			edit:      map[string]func(*Person){"u2": func(p *Person) { p.FirstName = "" }},
			anomalies: []Anomaly{wrongType(ListEmployees, "u2", "firstname")},
			want: []Issue{{UserID: "u2", Email: "bob@example.com", Name: "Byte", Severity: SeverityWarning, Code: CodeUnreadableValue,
				Field: "firstName", Message: "Check the person's first name in Leapsome."}},
			action: map[string]Action{"u2": ActionError},
		},
		{
			name:      "account status, always read",
			edit:      map[string]func(*Person){"u1": func(p *Person) { p.Status = "" }},
			anomalies: []Anomaly{wrongType(ListEmployees, "u1", "status")},
			want:      []Issue{ada("status", "account status in a form that could not be read, so the person was not synced")},
			action:    map[string]Action{"u1": ActionExcluded},
		},
		{
			name:      "email, always read",
			edit:      map[string]func(*Person){"u2": func(p *Person) { p.Email = "" }},
			anomalies: []Anomaly{wrongType(ListEmployees, "u2", "email")},
			want: []Issue{{UserID: "u2", Name: "Bob Byte", Severity: SeverityWarning, Code: CodeUnreadableValue, Field: "email",
				Message: "could not be matched to TriNet"}},
			action: map[string]Action{"u2": ActionExcluded},
		},
		{
			name:      "a person out of scope is not told about a title",
			edit:      map[string]func(*Person){"u1": func(p *Person) { p.LifecycleStatus = "terminated"; p.Title = "" }},
			anomalies: []Anomaly{wrongType(ListEmployees, "u1", "title")},
			action:    map[string]Action{"u1": ActionExcluded},
		},
		{
			name:      "SCIM gender",
			edit:      map[string]func(*Person){"u1": func(p *Person) { p.SCIM = &SCIMUser{Active: true} }},
			anomalies: []Anomaly{wrongType(ListSCIMUsers, "u1", scimExt+".gender")},
			want:      []Issue{ada("gender", "Leapsome sent the gender in a form")},
		},
		{
			name:      "SCIM extension as a whole",
			anomalies: []Anomaly{wrongType(ListSCIMUsers, "u2", scimExt)},
			want:      []Issue{bob("gender,birthDate", "gender, birth date and employment type")},
		},
		{
			name:      "SCIM not mapped",
			settings:  autoCreateNoSCIM(),
			anomalies: []Anomaly{wrongType(ListSCIMUsers, "u1", scimExt+".gender"), {List: ListSCIMUsers, Reason: ReasonNoID}},
		},
		{
			name:      "SCIM user without a Leapsome person",
			anomalies: []Anomaly{wrongType(ListSCIMUsers, "zz", scimExt+".gender")},
		},
		{
			name:      "work location country reaches the people there",
			anomalies: []Anomaly{{List: ListWorkLocations, LocationID: "wl-sf", Field: "country", Reason: ReasonWrongType}},
			want: []Issue{
				ada("country", "country of the person's work location"),
				bob("country", "Check the work location's country in Leapsome."),
			},
		},
		{
			name: "skipped records are one warning per listing and reason",
			anomalies: []Anomaly{
				{List: ListEmployees, Reason: ReasonNoID}, {List: ListEmployees, Reason: ReasonNotObject},
				{List: ListEmployees, Reason: ReasonNoID}, {List: ListSCIMUsers, Reason: ReasonNoID},
				{List: ListWorkLocations, Reason: ReasonNotObject},
				{List: ListEmployees, UserID: "u1", Reason: ReasonDuplicate},
			},
			want: []Issue{
				tenant("Leapsome sent 2 person records without an id; they were skipped, so the people in them were not synced."),
				tenant("Leapsome sent 1 person record that could not be read as a record; it was skipped"),
				tenant("Leapsome sent 1 SCIM user record without an id; it was skipped"),
				tenant("Leapsome sent 1 work location record that could not be read as a record"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.settings
			if s.Mappings == nil {
				s = autoCreate(true)
			}
			runWith := func(anomalies []Anomaly) Result {
				f := newFixture()
				for _, p := range []Person{person("u1", "Ada", "Lovelace", "ada@example.com"), person("u2", "Bob", "Byte", "bob@example.com")} {
					p.SCIM = &SCIMUser{Gender: "female", Birthday: "1990-12-10", Active: true}
					if edit := tt.edit[p.ID]; edit != nil {
						edit(&p)
					}
					// Not addPerson: a status read as absent must stay absent.
					f.people.dir.People = append(f.people.dir.People, p)
				}
				f.links.links["u1"] = Link{UserID: "u1", EmployeeID: "00000001"}
				e := employee("00000001", "Ada", "Lovelace", "ada@example.com")
				e.Gender, e.BirthDate = "F", "1990-12-10"
				f.company.put(e)
				f.people.dir.Anomalies = anomalies
				in := f.input(s)
				in.DryRun = true
				return run(t, f, in)
			}
			with, without := runWith(tt.anomalies), runWith(nil)
			got := unreadableIssues(with)
			if len(got) != len(tt.want) {
				t.Fatalf("issues %+v, want %d like %+v", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				g := got[i]
				msg := g.Message
				g.Message, w.Message = "", ""
				if g != w || !strings.Contains(msg, tt.want[i].Message) {
					t.Errorf("issue %d\n got %+v %q\nwant %+v %q", i, g, msg, w, tt.want[i].Message)
				}
			}
			if !reflect.DeepEqual(with.Plan, without.Plan) || !reflect.DeepEqual(otherIssues(with), otherIssues(without)) {
				t.Errorf("anomalies changed the plan or other issues:\n%+v\n%+v", with.Plan, without.Plan)
			}
			if d := with.Counts.Warnings - without.Counts.Warnings; d != len(tt.want) {
				t.Errorf("warnings grew by %d, want %d", d, len(tt.want))
			}
			if with.ErrorPeople != without.ErrorPeople {
				t.Errorf("error people %d, without anomalies %d", with.ErrorPeople, without.ErrorPeople)
			}
			for user, want := range tt.action {
				if it := itemOf(with, user); it.Action != want {
					t.Errorf("%s: %+v, want %s", user, it, want)
				}
			}
		})
	}
}

func autoCreateNoSCIM() Settings { return autoCreate(false) }

// TestUnreadableRecordOncePerRun: a tenant-level warning is reported by the
// first invocation of a continued run only, so the run counts it once.
func TestUnreadableRecordOncePerRun(t *testing.T) {
	f := newFixture()
	for i := 0; i < 12; i++ {
		id := fmt.Sprintf("u%02d", i)
		f.addPerson(person(id, "P", id, id+"@example.com"))
	}
	f.people.dir.Anomalies = []Anomaly{{List: ListEmployees, Reason: ReasonNoID}}
	var clock atomic.Int64
	now := func() time.Time { return testNow.Add(time.Duration(clock.Add(1)) * time.Second) }
	e := New(Config{Now: now, Concurrency: 2, Logger: slog.New(slog.DiscardHandler)})
	var total Counts
	tenantIssues, invocations := 0, 0
	cur := ""
	for ; invocations < 30; invocations++ {
		in := f.input(DefaultSettings(false))
		in.Cursor = cur
		in.Deadline = now().Add(4 * time.Second)
		res, err := e.Run(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		total.Add(res.Counts)
		for _, is := range res.Issues {
			if is.Code == CodeUnreadableRecord {
				tenantIssues++
				if invocations != 0 || is.UserID != "" {
					t.Errorf("invocation %d reported %+v", invocations, is)
				}
			}
		}
		if cur = res.Cursor; cur == "" {
			break
		}
	}
	if invocations == 0 {
		t.Fatal("expected a continued run")
	}
	// 12 suggestions (not_in_trinet) plus the one tenant warning.
	if tenantIssues != 1 || total.Warnings != 13 {
		t.Fatalf("tenant warnings %d, counted warnings %d", tenantIssues, total.Warnings)
	}
}
