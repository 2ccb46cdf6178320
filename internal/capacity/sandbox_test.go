package capacity_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"trinetsync/internal/provision"
	"trinetsync/internal/sandbox/apart"
	leapsb "trinetsync/internal/sandbox/leapsome"
	trinetsb "trinetsync/internal/sandbox/trinet"
)

// The benchmarks measure the worker's memory, so the sandboxes that stand in
// for TriNet and Leapsome run in a process of their own: this test binary,
// started again with sandboxPeople set, seeds them, prints their URLs and
// serves until its standard input closes. In one process their state and
// the garbage of rendering every page would be counted as the worker's.
const (
	sandboxPeople  = "CAPACITY_SANDBOX_PEOPLE"
	sandboxLatency = "CAPACITY_SANDBOX_LATENCY"
)

func TestMain(m *testing.M) {
	if n := os.Getenv(sandboxPeople); n != "" {
		os.Exit(serveSandboxes(n, os.Getenv(sandboxLatency)))
	}
	os.Exit(m.Run())
}

// The world of the benchmarks: one TriNet company and one Leapsome tenant of
// n people, each in both with the same work email and the same values, so a
// run with everyone linked plans everyone unchanged.
const (
	benchCompany   = "BENCH"
	benchClient    = "bench-client"
	benchSecret    = "bench-secret"
	benchLSTenant  = "bench"
	benchLSSecret  = "ls-secret"
	benchSCIMToken = "scim-token"
)

func userID(i int) string     { return fmt.Sprintf("%024x", i+1) }
func employeeID(i int) string { return fmt.Sprintf("%08d", i+1) }
func workEmail(i int) string  { return fmt.Sprintf("p%06d@example.com", i) }

var workLocationID = fmt.Sprintf("%024x", 900_000_000)

// benchMappings map every target of the contract: the default sources, and
// custom attributes for the targets unmapped by default (the most a run reads
// and compares).
func benchMappings() []provision.Mapping {
	m := []provision.Mapping{
		{Target: "firstName", Source: "firstname"}, {Target: "lastName", Source: "lastname"},
		{Target: "middleName", Source: "middlename"}, {Target: "gender", Source: "scim.gender"},
		{Target: "birthDate", Source: "scim.birthday"}, {Target: "jobTitle", Source: "title"},
		{Target: "department", Source: "department"}, {Target: "country", Source: "workLocation.country"},
		{Target: "location", Source: "workLocation"}, {Target: "phoneNumber", Source: "phone"},
		{Target: "workEmail", Source: "email"}, {Target: "hireDate", Source: "startDate"},
		{Target: "supervisor", Source: "manager"},
		{Target: "employeeType", Source: "customAttributes.Employee type", ValueMap: map[string]string{"Full time": "F", "Part time": "P"}},
	}
	for target, attr := range map[string]string{
		"ethnicity": "Ethnicity", "standardHours": "Hours", "flsaCode": "FLSA", "address1": "Street", "address2": "Unit",
		"city": "City", "state": "State", "addressCountry": "Home country", "postalCode": "ZIP", "ssn": "SSN",
		"maritalStatus": "Marital", "customGroupA": "Group A", "customGroupB": "Group B",
	} {
		m = append(m, provision.Mapping{Target: target, Source: "customAttributes." + attr})
	}
	return m
}

func seed(tn *trinetsb.Server, ls *leapsb.Server, n int) error {
	if err := tn.AddCompany(trinetsb.Company{ID: benchCompany, Name: "Bench Co", ClientID: benchClient, ClientSecret: benchSecret,
		Departments: []trinetsb.Department{{ID: "D100", Name: "Engineering"}, {ID: "D200", Name: "Sales"}},
		Locations:   []trinetsb.Location{{ID: "SF1", Name: "San Francisco", Country: "US"}}}); err != nil {
		return err
	}
	if err := ls.AddTenant(leapsb.Tenant{ID: benchLSTenant, APISecret: benchLSSecret, SCIMToken: benchSCIMToken}); err != nil {
		return err
	}
	if err := ls.PutWorkLocation(benchLSTenant, leapsb.WorkLocation{ID: workLocationID, Name: "San Francisco", Country: "United States"}); err != nil {
		return err
	}
	for i := range n {
		last := fmt.Sprintf("L%06d", i)
		p := leapsb.Employee{ID: userID(i), Email: workEmail(i), FirstName: "Ada", LastName: last, Status: "active",
			LifecycleStatus: "active", StartDate: "2024-01-08", Title: "Engineer", Phone: "+14155550100",
			Departments: []leapsb.Ref{{Name: "Engineering"}}, WorkLocation: &leapsb.Ref{ID: workLocationID, Name: "San Francisco"},
			Gender: "female", Birthday: "1990-12-10", EmploymentType: "internal",
			CustomAttributes: map[string]any{"Ethnicity": "WHITE", "Hours": "40", "Employee type": "Full time", "FLSA": "T",
				"Street": "9 Elm St", "Unit": "Suite 2", "City": "Boston", "State": "MA", "Home country": "United States",
				"ZIP": "02110", "SSN": "987-65-4321", "Marital": "S", "Group A": "CC-1", "Group B": "GB-1"}}
		if err := ls.PutEmployee(benchLSTenant, p); err != nil {
			return err
		}
		e := trinetsb.Employee{ID: employeeID(i), FirstName: "Ada", LastName: last, Gender: "F", BirthDate: "1990-12-10",
			Ethnicity: "WHITE", MaritalStatus: "S", Country: "US", StartDate: "2024-01-08", Title: "Engineer", EmployeeType: "F",
			FLSACode: "T", StandardHours: "40", WorkEmail: workEmail(i), WorkPhone: "+14155550100", CustomGroupA: "CC-1",
			CustomGroupB: "GB-1", LocationID: "SF1", DeptID: "D100", Address1: "9 Elm St", Address2: "Suite 2", City: "Boston",
			State: "MA", PostalCode: "02110", AddressCountry: "US", ApprovalStatus: "A"}
		if _, err := tn.PutEmployee(benchCompany, e); err != nil {
			return err
		}
	}
	return nil
}

// serveSandboxes is the child process: it seeds n people, serves both
// sandboxes on loopback, prints "ready <TriNet URL> <Leapsome URL>" and
// serves until its standard input closes.
func serveSandboxes(people, latency string) int {
	n, err := strconv.Atoi(people)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sandboxes:", sandboxPeople, "is not a number:", people)
		return 2
	}
	var lat time.Duration
	if latency != "" {
		if lat, err = time.ParseDuration(latency); err != nil {
			fmt.Fprintln(os.Stderr, "sandboxes:", sandboxLatency, err)
			return 2
		}
	}
	tn, ls := trinetsb.New(trinetsb.Options{}), leapsb.New(leapsb.Options{})
	if err := seed(tn, ls, n); err != nil {
		fmt.Fprintln(os.Stderr, "sandboxes: seed:", err)
		return 1
	}
	tn.SetFaults(benchCompany, trinetsb.Faults{Latency: lat})
	ls.SetFaults(benchLSTenant, leapsb.Faults{Latency: lat})
	return apart.Serve(tn, ls)
}

// startSandboxes starts the child process with n people and answers the
// TriNet base URL and the Leapsome one (without path).
func startSandboxes(b *testing.B, n int, latency time.Duration) (trinetURL, leapsomeURL string) {
	b.Helper()
	urls := apart.Start(b, 2, sandboxPeople+"="+strconv.Itoa(n), sandboxLatency+"="+latency.String())
	return urls[0], urls[1]
}
