package leapsome

import (
	"reflect"
	"strings"
	"testing"

	"trinetsync/internal/provision"
)

// TestDirectoryReportsAnomalies: every record the client skips and every
// field it reads as absent comes back in Directory.Anomalies, naming the
// record's id and the field but never the value; the rest of the data is
// still read.
func TestDirectoryReportsAnomalies(t *testing.T) {
	const secret = "Secret-Value-42" // stands for personal data in an odd place
	ext := scimEnterpriseKey
	tests := []struct {
		name       string
		employees  string // the data array of /employees
		scimUsers  string // the Resources array of /Users; "" for none
		locations  string // the data array of /work-locations; "" for none
		wantPeople []string
		want       []provision.Anomaly
	}{
		{
			name:       "clean page has none",
			employees:  `{"id":"a1","title":"Engineer","customAttributes":{"Employee type":"Full time","Hours":40}}`,
			wantPeople: []string{"a1"},
			want:       nil,
		},
		{
			name:       "wrong-typed title",
			employees:  `{"id":"a1","email":"ada@example.com","title":{"text":"` + secret + `"}}`,
			wantPeople: []string{"a1"},
			want:       []provision.Anomaly{{List: provision.ListEmployees, UserID: "a1", Field: "title", Reason: provision.ReasonWrongType}},
		},
		{
			name:       "wrong-typed custom attribute",
			employees:  `{"id":"a1","customAttributes":{"Employee type":["` + secret + `"],"Hours":40}}`,
			wantPeople: []string{"a1"},
			want: []provision.Anomaly{{List: provision.ListEmployees, UserID: "a1", Field: "customAttributes.Employee type",
				Reason: provision.ReasonWrongType}},
		},
		{
			name:       "record not an object",
			employees:  `{"id":"a1"},"` + secret + `",{"id":"b2"}`,
			wantPeople: []string{"a1", "b2"},
			want:       []provision.Anomaly{{List: provision.ListEmployees, Reason: provision.ReasonNotObject}},
		},
		{
			name:       "record without id",
			employees:  `{"email":"` + secret + `@example.com"},{"id":"  ","title":"x"},{"id":7},{"id":"b2"}`,
			wantPeople: []string{"b2"},
			want: []provision.Anomaly{
				{List: provision.ListEmployees, Reason: provision.ReasonNoID},
				{List: provision.ListEmployees, Reason: provision.ReasonNoID},
				{List: provision.ListEmployees, Reason: provision.ReasonNoID},
			},
		},
		{
			name:       "duplicate keeps the first copy",
			employees:  `{"id":"a1","title":"first"},{"id":"a1","title":"second"}`,
			wantPeople: []string{"a1"},
			want:       []provision.Anomaly{{List: provision.ListEmployees, UserID: "a1", Reason: provision.ReasonDuplicate}},
		},
		{
			name: "several fields of one person, in field order",
			employees: `{"id":"a1","firstname":1,"title":true,"departments":[null,{"name":2}],
				"workLocation":"` + secret + `","customAttributes":"` + secret + `"}`,
			wantPeople: []string{"a1"},
			want: []provision.Anomaly{
				{List: provision.ListEmployees, UserID: "a1", Field: "firstname", Reason: provision.ReasonWrongType},
				{List: provision.ListEmployees, UserID: "a1", Field: "title", Reason: provision.ReasonWrongType},
				{List: provision.ListEmployees, UserID: "a1", Field: "departments[0]", Reason: provision.ReasonWrongType},
				{List: provision.ListEmployees, UserID: "a1", Field: "departments[1].name", Reason: provision.ReasonWrongType},
				{List: provision.ListEmployees, UserID: "a1", Field: "workLocation", Reason: provision.ReasonWrongType},
				{List: provision.ListEmployees, UserID: "a1", Field: "customAttributes", Reason: provision.ReasonWrongType},
			},
		},
		{
			name:       "SCIM and work locations, after the people",
			employees:  `{"id":"a1","title":[1]}`,
			scimUsers:  `{"id":"a1","` + ext + `":{"gender":{"v":"` + secret + `"},"birthday":"1990-01-01"}},{"userName":"x"}`,
			locations:  `{"id":"w1","name":"Berlin","country":["` + secret + `"]},42`,
			wantPeople: []string{"a1"},
			want: []provision.Anomaly{
				{List: provision.ListEmployees, UserID: "a1", Field: "title", Reason: provision.ReasonWrongType},
				{List: provision.ListSCIMUsers, UserID: "a1", Field: ext + ".gender", Reason: provision.ReasonWrongType},
				{List: provision.ListSCIMUsers, Reason: provision.ReasonNoID},
				{List: provision.ListWorkLocations, LocationID: "w1", Field: "country", Reason: provision.ReasonWrongType},
				{List: provision.ListWorkLocations, Reason: provision.ReasonNotObject},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bodies := map[string]string{"/v1/employees": `{"data":[` + tt.employees + `],"meta":{"page":1,"pageSize":1000}}`}
			if tt.scimUsers != "" {
				bodies["/scim/v1/Users"] = `{"Resources":[` + tt.scimUsers + `]}`
			}
			if tt.locations != "" {
				bodies["/v1/work-locations"] = `{"data":[` + tt.locations + `],"meta":{"page":1,"pageSize":1000}}`
			}
			dir, err := fakeClient(t, fakeLeapsome(t, bodies), true).Directory(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, p := range dir.People {
				ids = append(ids, p.ID)
			}
			if !reflect.DeepEqual(ids, tt.wantPeople) {
				t.Errorf("people %v, want %v", ids, tt.wantPeople)
			}
			if !reflect.DeepEqual(dir.Anomalies, tt.want) {
				t.Errorf("anomalies\n got %+v\nwant %+v", dir.Anomalies, tt.want)
			}
			for _, a := range dir.Anomalies {
				if strings.Contains(a.Field+a.Reason, secret) {
					t.Errorf("anomaly %+v carries the value", a)
				}
			}
		})
	}
}

// TestAnomalyKeepsTheRest: a wrong-typed field costs only that field.
func TestAnomalyKeepsTheRest(t *testing.T) {
	srv := fakeLeapsome(t, map[string]string{"/v1/employees": `{"data":[
		{"id":"a1","email":"ada@example.com","firstname":"Ada","title":{"x":1},"customAttributes":{"Type":[1],"Hours":40}}],
		"meta":{"totalCount":1}}`})
	dir, err := fakeClient(t, srv, false).Directory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(dir.People) != 1 {
		t.Fatalf("people %+v", dir.People)
	}
	p := dir.People[0]
	if p.Email != "ada@example.com" || p.FirstName != "Ada" || p.Title != "" || p.CustomAttributes["Hours"] != "40" {
		t.Fatalf("person %+v", p)
	}
	if _, ok := p.CustomAttributes["Type"]; ok {
		t.Fatalf("unreadable attribute kept: %+v", p.CustomAttributes)
	}
	if len(dir.Anomalies) != 2 {
		t.Fatalf("anomalies %+v", dir.Anomalies)
	}
}
