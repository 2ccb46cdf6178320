package demo

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"trinetsync/internal/sandbox/leapsome"
	"trinetsync/internal/sandbox/trinet"
)

// Credentials are what an admin would type into the integration's settings
// to connect the demo company: TriNet's company id and API application, and
// Leapsome's API secret and SCIM token. They are sandbox-only values.
type Credentials struct {
	TriNetCompanyID    string
	TriNetClientID     string
	TriNetClientSecret string
	LeapsomeTenant     string
	LeapsomeAPISecret  string
	LeapsomeSCIMToken  string
}

// The demo company's fixed identity in both sandboxes.
const (
	CompanyName = "Acme Robotics"

	trinetCompanyID    = "ACM"
	trinetClientID     = "acme-demo-client"
	trinetClientSecret = "acme-demo-client-secret"
	leapsomeTenant     = "acme"
	leapsomeAPISecret  = "acme-demo-api-secret"
	leapsomeSCIMToken  = "acme-demo-scim-token"
)

// LeapsomeID is the Leapsome id of demo person n (1…36, see people).
func LeapsomeID(n int) string { return fmt.Sprintf("64d0c0de%016x", n) }

// DefaultCredentials are the demo company's credentials, the ones Seed puts
// into the sandboxes; the local stack needs them again after a restart, when
// the sandboxes are restored rather than seeded.
func DefaultCredentials() Credentials {
	return Credentials{
		TriNetCompanyID: trinetCompanyID, TriNetClientID: trinetClientID, TriNetClientSecret: trinetClientSecret,
		LeapsomeTenant: leapsomeTenant, LeapsomeAPISecret: leapsomeAPISecret, LeapsomeSCIMToken: leapsomeSCIMToken,
	}
}

// Seed puts the demo company into both sandboxes: a Leapsome tenant with its
// work locations and 36 people, and a TriNet company with its departments,
// locations and the 22 employees it already has. Dates are relative to now
// (its UTC date is "today"). It fails if the company exists in either.
func Seed(ls *leapsome.Server, tn *trinet.Server, now time.Time) (Credentials, error) {
	if _, err := SeedLeapsome(ls, now); err != nil {
		return Credentials{}, err
	}
	if _, err := SeedTriNet(tn, now); err != nil {
		return Credentials{}, err
	}
	return DefaultCredentials(), nil
}

// SeedLeapsome puts the demo company's Leapsome side alone into ls, for a
// TriNet that is not the sandbox: the tenant, its work locations and its 36
// people. It fails if the tenant exists.
func SeedLeapsome(ls *leapsome.Server, now time.Time) (Credentials, error) {
	if err := seedLeapsome(ls, now.UTC().Truncate(24*time.Hour)); err != nil {
		return Credentials{}, fmt.Errorf("seeding the Leapsome sandbox: %w", err)
	}
	return DefaultCredentials(), nil
}

// SeedTriNet puts the demo company's TriNet side alone into tn, for a
// Leapsome that is not the sandbox: the company, its departments and
// locations and the 22 employees it already has. It fails if the company
// exists.
func SeedTriNet(tn *trinet.Server, now time.Time) (Credentials, error) {
	if err := seedTriNet(tn, now.UTC().Truncate(24*time.Hour)); err != nil {
		return Credentials{}, fmt.Errorf("seeding the TriNet sandbox: %w", err)
	}
	return DefaultCredentials(), nil
}

func siteByKey(key string) site {
	for _, s := range sites {
		if s.key == key {
			return s
		}
	}
	panic("demo: unknown site " + key) // the table is fixed: a typo is a programming error
}

func memberByN(n int) *member {
	for i := range people {
		if people[i].n == n {
			return &people[i]
		}
	}
	return nil
}

func seedLeapsome(ls *leapsome.Server, today time.Time) error {
	if err := ls.AddTenant(leapsome.Tenant{ID: leapsomeTenant, APISecret: leapsomeAPISecret, SCIMToken: leapsomeSCIMToken}); err != nil {
		return err
	}
	for _, s := range sites {
		err := ls.PutWorkLocation(leapsomeTenant, leapsome.WorkLocation{
			ID: s.leapsomeID, Name: s.name, Country: s.country,
			Street: s.street, Zip: s.zip, City: s.city, AdministrativeDivision: s.area,
		})
		if err != nil {
			return err
		}
	}
	for _, m := range people {
		if err := ls.PutEmployee(leapsomeTenant, leapsomeEmployee(m, today)); err != nil {
			return fmt.Errorf("person %d: %w", m.n, err)
		}
	}
	return nil
}

func leapsomeEmployee(m member, today time.Time) leapsome.Employee {
	s := siteByKey(m.site)
	e := leapsome.Employee{
		ID: LeapsomeID(m.n), Email: m.email,
		FirstName: m.first, MiddleName: m.middle, LastName: m.last,
		DisplayedName:   m.first + " " + m.last,
		Status:          cmp.Or(m.status, "active"),
		LifecycleStatus: cmp.Or(m.lifecycle, "active"),
		Phone:           m.phone, Title: m.title,
		Departments:  []leapsome.Ref{{Name: m.dept}},
		WorkLocation: &leapsome.Ref{ID: s.leapsomeID, Name: s.name},
		CustomAttributes: map[string]any{
			"Employee type": cmp.Or(m.employment, "Full time"),
			"FLSA":          cmp.Or(m.flsa, "Exempt"),
		},
		Gender: m.gender, Birthday: m.birthday, EmploymentType: "internal",
		LegalName: strings.Join(strings.Fields(m.first+" "+m.middle+" "+m.last), " "),
	}
	if m.team != "" {
		e.Teams = []leapsome.Ref{{Name: m.team}}
	}
	if m.manager != 0 {
		boss := memberByN(m.manager)
		e.Manager = &leapsome.Ref{ID: LeapsomeID(boss.n), Name: boss.first + " " + boss.last}
	}
	// Plain dates: the sandbox stores them as Leapsome writes dates
	// (midnight UTC, with milliseconds).
	if !m.noStart {
		e.StartDate = today.AddDate(0, 0, m.start).Format(time.DateOnly)
	}
	if m.end != 0 {
		e.EndDate = today.AddDate(0, 0, m.end).Format(time.DateOnly)
	}
	return e
}

func seedTriNet(tn *trinet.Server, today time.Time) error {
	co := trinet.Company{ID: trinetCompanyID, Name: CompanyName, ClientID: trinetClientID, ClientSecret: trinetClientSecret}
	for _, d := range trinetDepartments {
		co.Departments = append(co.Departments, trinet.Department{ID: d.id, Name: d.name})
	}
	for _, s := range sites {
		co.Locations = append(co.Locations, trinet.Location{ID: s.trinetID, Name: s.name, Country: s.countryCode})
	}
	if err := tn.AddCompany(co); err != nil {
		return err
	}
	for _, m := range people {
		if m.trinet == nil {
			continue
		}
		if _, err := tn.PutEmployee(trinetCompanyID, trinetEmployee(m, today)); err != nil {
			return fmt.Errorf("employee %s: %w", m.trinet.id, err)
		}
	}
	for _, o := range trinetOnly {
		s := siteByKey(o.site)
		e := trinet.Employee{
			ID: o.id, FirstName: o.first, LastName: o.last, Gender: o.gender, BirthDate: o.birthDate,
			Country: s.countryCode, Status: o.status, StartDate: today.AddDate(0, 0, -1500).Format(time.DateOnly),
			Title: o.title, EmployeeType: "F", FLSACode: "N", StandardHours: "40",
			WorkEmail: o.email, WorkPhone: o.phone, LocationID: s.trinetID, DeptID: deptID(o.dept),
			City: s.city, State: s.area, PostalCode: s.zip, AddressCountry: s.countryCode, ApprovalStatus: "A",
		}
		if _, err := tn.PutEmployee(trinetCompanyID, e); err != nil {
			return fmt.Errorf("employee %s: %w", o.id, err)
		}
	}
	return nil
}

// trinetEmployee is TriNet's record of m: the Leapsome values translated to
// TriNet's codes, except where m.trinet says TriNet holds something else.
func trinetEmployee(m member, today time.Time) trinet.Employee {
	t := m.trinet
	s := siteByKey(cmp.Or(t.site, m.site))
	e := trinet.Employee{
		ID: t.id, FirstName: m.first, MiddleName: m.middle, LastName: cmp.Or(t.lastName, m.last),
		BirthDate: cmp.Or(t.birthDate, m.birthday), Country: s.countryCode,
		Status: cmp.Or(t.status, "A"), StartDate: today.AddDate(0, 0, m.start).Format(time.DateOnly),
		Title: cmp.Or(t.title, m.title), EmployeeType: "F", FLSACode: "T", StandardHours: "40",
		WorkEmail: cmp.Or(t.email, m.email), WorkPhone: cmp.Or(t.phone, m.phone),
		LocationID: s.trinetID, DeptID: deptID(cmp.Or(t.dept, m.dept)),
		City: s.city, State: s.area, PostalCode: s.zip, AddressCountry: s.countryCode, ApprovalStatus: "A",
	}
	switch m.gender {
	case "male":
		e.Gender = "M"
	case "female":
		e.Gender = "F"
	}
	if m.employment == "Part time" {
		e.EmployeeType, e.StandardHours = "P", "20"
	}
	if m.flsa == "Non-exempt" {
		e.FLSACode = "N"
	}
	if boss := memberByN(m.manager); boss != nil && boss.trinet != nil {
		e.SupervisorID = boss.trinet.id
	}
	return e
}

func deptID(name string) string {
	for _, d := range trinetDepartments {
		if d.name == name {
			return d.id
		}
	}
	panic("demo: TriNet has no department " + name) // fixed table: a typo is a programming error
}
