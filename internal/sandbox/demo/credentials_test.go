package demo

import (
	"reflect"
	"testing"
	"time"

	"trinetsync/internal/sandbox/leapsome"
	"trinetsync/internal/sandbox/trinet"
)

// The local stack connects the demo tenant with DefaultCredentials after a
// restart, when the sandboxes are restored rather than seeded: they must be
// the values Seed put in.
func TestDefaultCredentialsAreTheSeededOnes(t *testing.T) {
	_, tn, c := seeded(t)
	if c != DefaultCredentials() {
		t.Fatalf("Seed answered %+v, DefaultCredentials %+v", c, DefaultCredentials())
	}
	if _, found := tn.Employee(c.TriNetCompanyID, "00001001"); !found {
		t.Fatalf("no demo employee in TriNet company %s", c.TriNetCompanyID)
	}
}

// With only one API a sandbox, the local stack seeds that sandbox alone: each
// half of Seed gives the same data as Seed, and the demo credentials.
func TestSeedOneSandbox(t *testing.T) {
	bothLS, bothTN, _ := seeded(t)
	want := DefaultCredentials()

	ls := leapsome.New(leapsome.Options{Now: func() time.Time { return now }})
	c, err := SeedLeapsome(ls, now)
	if err != nil || c != want {
		t.Fatalf("SeedLeapsome: %+v, %v", c, err)
	}
	if got := ls.Employees(want.LeapsomeTenant); len(got) != 36 || !reflect.DeepEqual(got, bothLS.Employees(want.LeapsomeTenant)) {
		t.Fatalf("SeedLeapsome gave %d people, unlike Seed", len(got))
	}
	if _, err := SeedLeapsome(ls, now); err == nil {
		t.Fatal("seeding the Leapsome sandbox twice succeeded")
	}

	tn := trinet.New(trinet.Options{Now: func() time.Time { return now }})
	if c, err = SeedTriNet(tn, now); err != nil || c != want {
		t.Fatalf("SeedTriNet: %+v, %v", c, err)
	}
	if got := tn.Employees(want.TriNetCompanyID); len(got) != 22 || !reflect.DeepEqual(got, bothTN.Employees(want.TriNetCompanyID)) {
		t.Fatalf("SeedTriNet gave %d employees, unlike Seed", len(got))
	}
	if _, err := SeedTriNet(tn, now); err == nil {
		t.Fatal("seeding the TriNet sandbox twice succeeded")
	}
}
