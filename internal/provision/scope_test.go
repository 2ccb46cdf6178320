package provision

import "testing"

func TestScopeEveryStatusAndLifecycle(t *testing.T) {
	statuses := map[string]bool{
		"created": true, "active": true, "invited": true, "preBoardingInvited": true, "preBoardingActive": true,
		"removed": false, "deactivated": false, "": false, "archived": false,
	}
	lifecycles := map[string]bool{
		"hired": true, "active": true, "leave": true, "offboarding": true, "notSet": true, "preBoarding": true, "": true,
		"terminated": false, "deactivated": false,
	}
	for st, stOK := range statuses {
		for lc, lcOK := range lifecycles {
			p := Person{ID: "u1", Email: "a@example.com", Status: st, LifecycleStatus: lc}
			want := ""
			switch {
			case !stOK:
				want = CodeStatusNotSynced
			case !lcOK:
				want = CodeLifecycleNotSynced
			}
			if got := Scope(&p); got != want {
				t.Errorf("status %q lifecycle %q: %q, want %q", st, lc, got, want)
			}
		}
	}
}

func TestScopeCaseAndEmail(t *testing.T) {
	tests := []struct {
		p    Person
		want string
	}{
		{Person{Status: "ACTIVE", LifecycleStatus: "Active", Email: "a@x.com"}, ""},
		{Person{Status: "preboardingactive", LifecycleStatus: "TERMINATED", Email: "a@x.com"}, CodeLifecycleNotSynced},
		{Person{Status: "active", LifecycleStatus: "active", Email: "  "}, CodeMissingEmail},
		{Person{Status: "active", LifecycleStatus: "active"}, CodeMissingEmail},
		{Person{Status: "removed", LifecycleStatus: "active"}, CodeStatusNotSynced}, // status first
	}
	for _, tt := range tests {
		if got := Scope(&tt.p); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestExcludedPeopleInPlan(t *testing.T) {
	f := newFixture()
	f.addPerson(Person{ID: "u1", Email: "a@x.com", FirstName: "A", LastName: "One", Status: "removed"})
	f.addPerson(Person{ID: "u2", Email: "b@x.com", FirstName: "B", LastName: "Two", LifecycleStatus: "terminated"})
	f.addPerson(Person{ID: "u3", FirstName: "C", LastName: "Three"})
	pl := Plan(PlanInput{Settings: autoCreate(false), Directory: f.people.dir, Now: testNow})
	want := map[string]string{"u1": CodeStatusNotSynced, "u2": CodeLifecycleNotSynced, "u3": CodeMissingEmail}
	for _, st := range pl.Steps {
		if st.Item.Action != ActionExcluded || st.Item.Code != want[st.Item.UserID] {
			t.Errorf("%s: %s %s", st.Item.UserID, st.Item.Action, st.Item.Code)
		}
		wantIssues := 0
		if st.Item.Code == CodeMissingEmail {
			wantIssues = 1
		}
		if len(st.Issues) != wantIssues {
			t.Errorf("%s: issues %+v", st.Item.UserID, st.Issues)
		}
		if wantIssues == 1 && st.Issues[0].Severity != SeverityWarning {
			t.Errorf("missing_email must be a warning")
		}
	}
}
