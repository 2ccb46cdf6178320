package demo

import "testing"

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
