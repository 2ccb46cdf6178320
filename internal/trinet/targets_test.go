package trinet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

// Every catalog target the service sends is found in the request bodies
// that carry it, at the path the profile shows: the mapping from TriNet's
// paths to targets comes from the catalog and the body builders, so a
// target sent somewhere this test does not list fails it.
func TestEveryTargetHasItsPaths(t *testing.T) {
	want := map[string]map[string]string{
		epHire: {
			"name.firstName": "firstName", "name.middleName": "middleName", "name.lastName": "lastName",
			"biographicalInfo.gender": "gender", "biographicalInfo.birthDate": "birthDate",
			"biographicalInfo.ethnicity": "ethnicity", "biographicalInfo.country": "country",
			"biographicalInfo.nationalId": "ssn",
			"homeContact.address1":        "address1", "homeContact.address2": "address2", "homeContact.city": "city",
			"homeContact.state": "state", "homeContact.postalCode": "postalCode", "homeContact.country": "addressCountry",
			"employmentInfo.startDate": "hireDate", "employmentInfo.employeeType": "employeeType",
			"employmentInfo.regularTemporary": "regularTemporary",
			"employmentInfo.businessTitle":    "jobTitle", "employmentInfo.supervisorId": "supervisor",
			"employmentInfo.locationId": "location", "employmentInfo.workEmail": "workEmail",
			"employmentInfo.workPhone": "phoneNumber", "employmentInfo.standardHoursPerWeek": "standardHours",
			"employmentInfo.homeDepartment.deptId": "department", "employmentInfo.compliance.flsaCode": "flsaCode",
		},
		epNames: {"firstName": "firstName", "middleName": "middleName", "lastName": "lastName"},
		epPersonals: {"gender": "gender", "birthDate": "birthDate", "ethnicity": "ethnicity", "country": "country",
			"maritalStatus": "maritalStatus"},
		epJobs: {"businessTitle": "jobTitle", "deptId": "department", "workPhone": "phoneNumber",
			"employeeTransfer.locationId": "location", "optionalGrouping.groupA": "customGroupA",
			"optionalGrouping.groupB": "customGroupB"},
	}
	idx := writePaths()
	for ep, paths := range want {
		got := idx[ep]
		if got == nil {
			t.Fatalf("no paths for %s", ep)
		}
		if len(got.exact) != len(paths) {
			t.Errorf("%s: %d paths %v, want %d", ep, len(got.exact), got.exact, len(paths))
		}
		for path, target := range paths {
			if got.exact[path] != target {
				t.Errorf("%s %s: target %q, want %q", ep, path, got.exact[path], target)
			}
		}
	}
	// Each catalog target is carried by some request (none is dead weight).
	carried := map[string]bool{}
	for _, p := range idx {
		for _, target := range p.exact {
			carried[target] = true
		}
	}
	for _, tg := range provision.Fields().Targets {
		if !carried[tg.Target] {
			t.Errorf("catalog target %s is carried by no request", tg.Target)
		}
	}
}

func TestTargetOf(t *testing.T) {
	tests := []struct {
		endpoint, field, want string
	}{
		{epHire, "employmentInfo.startDate", "hireDate"},
		{epHire, "homeContact.country", "addressCountry"},
		{epHire, "biographicalInfo.country", "country"},
		// Without its block: the last part, the first target in catalog order.
		{epHire, "startDate", "hireDate"},
		{epHire, "country", "country"},
		{epHire, "deptId", "department"},
		{epHire, "nationalId", "ssn"},
		{epJobs, "locationId", "location"},
		{epJobs, "groupB", "customGroupB"},
		{epPersonals, "maritalStatus", "maritalStatus"},
		{epNames, "lastName", "lastName"},
		// A field of another call than the one rejected: the other calls' paths.
		{epJobs, "biographicalInfo.gender", "gender"},
		// Nothing matches: kept as TriNet wrote it.
		{epHire, "employmentInfo.reasonCode", "employmentInfo.reasonCode"},
		{epJobs, "effectiveDate", "effectiveDate"},
		{epHire, "", ""},
		// A call that writes nothing keeps TriNet's field.
		{epEmployees, "country", "country"},
		{epEmployees, "limit", "limit"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s", tt.endpoint, tt.field), func(t *testing.T) {
			if got := targetOf(tt.endpoint, tt.field); got != tt.want {
				t.Fatalf("targetOf(%s, %q) = %q, want %q", tt.endpoint, tt.field, got, tt.want)
			}
		})
	}
}

// A rejection of each write call names the field by its target.
func TestRejectionsNameTheTarget(t *testing.T) {
	tests := []struct {
		name, path, want string
		call             func(*Client) error
	}{
		{"hire", "homeContact.country", "addressCountry", func(c *Client) error {
			_, err := c.Hire(context.Background(), provision.Hire{FirstName: "A", LastName: "B", StartDate: "2026-12-01", AddressCountry: "XX"})
			return err
		}},
		{"jobs", "optionalGrouping.groupA", "customGroupA", func(c *Client) error {
			return c.UpdateJobs(context.Background(), "00000001", provision.JobsUpdate{GroupA: "x"})
		}},
		{"personals", "birthDate", "birthDate", func(c *Client) error {
			return c.UpdatePersonals(context.Background(), "00000001", provision.PersonalsUpdate{BirthDate: "2990-01-01"})
		}},
		{"unknown path", "employmentInfo.reasonCode", "employmentInfo.reasonCode", func(c *Client) error {
			_, err := c.Hire(context.Background(), provision.Hire{FirstName: "A", LastName: "B", StartDate: "2026-12-01"})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := stub(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"data":{"errors":[{"field":"`+tt.path+`","message":"bad"}]},"_statusCode":"400","_statusMessage":"`+tt.path+`: bad"}`)
			})
			err := tt.call(stubClient(t, srv.URL, nil))
			var fe *fault.Error
			if !errors.Is(err, fault.ErrValidation) || fault.FieldOf(err) != tt.want || !errors.As(err, &fe) {
				t.Fatalf("err = %v (field %q), want validation of %s", err, fault.FieldOf(err), tt.want)
			}
		})
	}
}
