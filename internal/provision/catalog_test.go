package provision

import (
	"reflect"
	"testing"
)

// A row's mode and its rules agree: what the planner sends on create and on
// update follows from where the row says the target lives, so a row whose
// mode says one thing and whose places say another would be planned wrong.
func TestCatalogRowsAgreeWithTheirModes(t *testing.T) {
	for i := range catalog {
		tg := &catalog[i]
		t.Run(tg.Target, func(t *testing.T) {
			if got, want := tg.hire != nil, tg.Mode != ModeUpdateOnly; got != want {
				t.Errorf("sent on create: %v, mode %s", got, tg.Mode)
			}
			if got, want := tg.update != nil, tg.Mode != ModeNewHireOnly; got != want {
				t.Errorf("sent on update: %v, mode %s", got, tg.Mode)
			}
			if (tg.current != nil) != (tg.update != nil) {
				t.Errorf("a target updated must be compared with TriNet's value, and only such a target")
			}
			if tg.missing != nil && !tg.needed {
				t.Errorf("a hire is refused without it, yet an unreadable value of it is a warning")
			}
			if tg.check != nil && tg.hire == nil {
				t.Errorf("a new-hire rule on a target never sent on create")
			}
		})
	}
}

// The targets without which TriNet takes no new hire are the contract's:
// an unreadable value of theirs is an error, of any other a warning.
func TestNeededTargetsAreTheContracts(t *testing.T) {
	want := map[string]bool{"firstName": true, "lastName": true, "workEmail": true, "hireDate": true}
	for _, tg := range catalog {
		if tg.needed != want[tg.Target] {
			t.Errorf("%s needed to hire: %v", tg.Target, tg.needed)
		}
		wantSev := SeverityWarning
		if want[tg.Target] {
			wantSev = SeverityError
		}
		if got := SeverityFor(CodeInvalidValue, tg.Target); got != wantSev {
			t.Errorf("invalid_value on %s is %s, want %s", tg.Target, got, wantSev)
		}
	}
}

// Carrying puts the value in exactly one field of each request that carries
// the target, and in no other request: the TriNet client reads target paths
// off these requests.
func TestCarryingPlacesTheValueOnce(t *testing.T) {
	const v = "Zq-probe"
	count := func(x any) int {
		if reflect.ValueOf(x).IsNil() {
			return -1
		}
		s := reflect.ValueOf(x).Elem()
		n := 0
		for i := range s.NumField() {
			if f := s.Field(i); f.Kind() == reflect.String && f.String() == v {
				n++
			}
		}
		return n
	}
	for _, tg := range Fields().Targets {
		t.Run(tg.Target, func(t *testing.T) {
			r := tg.Carrying(v)
			if got, want := count(r.Hire), map[bool]int{true: 1, false: -1}[tg.Mode != ModeUpdateOnly]; got != want {
				t.Errorf("the hire carries it %d times, want %d (-1: no hire)", got, want)
			}
			updates := 0
			for _, u := range []any{r.Names, r.Personals, r.Jobs} {
				switch n := count(u); n {
				case -1:
				case 1:
					updates++
				default:
					t.Errorf("an update call carries it %d times", n)
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tg.Mode != ModeNewHireOnly]; updates != want {
				t.Errorf("%d update calls carry it, want %d", updates, want)
			}
		})
	}
}
