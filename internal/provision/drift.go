package provision

import (
	"slices"
	"strings"
)

// Drift: the service writes new-hire-only targets once, in the hire, and never
// again. Where TriNet has since come to differ from what Leapsome would send
// (a hire date keyed differently, a work email changed in one system only),
// nothing else would ever tell the admin. A dry run reports those
// differences on the linked person's item (whose action drift never changes),
// and the run's drift listing shows them, so that an admin can fix TriNet by
// hand where Leapsome is right. Values are compared after both sides are
// normalised, as for updates; a Leapsome value that is blank or cannot be read
// is no claim about TriNet, and is left out.

// drift records on st the new-hire-only targets whose value TriNet lists for
// emp and that differ from Leapsome's. The supervisor is left to
// supervisorDrift: it needs the manager's step.
func (pl *planner) drift(st *Step, emp *Employee, region string) {
	for _, mp := range pl.maps {
		t := mp.t
		if t.listed == nil || t.update != nil || t.kind == kindSupervisor {
			continue
		}
		raw := pl.raw(st.person, mp)
		if raw == "" {
			continue
		}
		v, prob := pl.normalise(t, raw, region)
		if prob != nil {
			continue
		}
		cur := pl.trinetValue(t, t.listed(emp), emp, region)
		if sameValue(t, cur, v) {
			continue
		}
		st.Item.Drift = append(st.Item.Drift, change(t, cur, v))
	}
}

// sameValue compares normalised values of t; e-mail addresses are compared
// without regard to case, as everywhere else.
func sameValue(t *Target, a, b string) bool {
	if t.kind == kindEmail {
		return normEmail(a) == normEmail(b)
	}
	return a == b
}

// supervisorDrift adds the supervisor to the drift of each linked person
// whose manager TriNet knows (see managerEmployeeID) as another employee
// than the supervisor TriNet lists. A manager without a TriNet id says
// nothing about TriNet's supervisor.
func (pl *planner) supervisorDrift(steps []Step) {
	var mp *mapping
	for i := range pl.maps {
		if pl.maps[i].t.kind == kindSupervisor {
			mp = &pl.maps[i]
		}
	}
	if mp == nil {
		return
	}
	byUser := stepsByUser(steps)
	for i := range steps {
		st := &steps[i]
		if st.matched == nil {
			continue
		}
		j, ok := byUser[strings.TrimSpace(pl.source(st.person, mp.m.Source))]
		if !ok || j == i {
			continue
		}
		id := pl.managerEmployeeID(&steps[j])
		cur := strings.TrimSpace(st.matched.SupervisorID)
		if id == "" || id == cur {
			continue
		}
		st.Item.Drift = append(st.Item.Drift, change(mp.t, cur, id))
		slices.SortStableFunc(st.Item.Drift, func(a, b FieldChange) int { return catalogPos[a.Field] - catalogPos[b.Field] })
	}
}

// catalogPos is each target's place in the catalog, so that a plan lists
// fields in the catalog's order.
var catalogPos = func() map[string]int {
	m := make(map[string]int, len(catalog))
	for i := range catalog {
		m[catalog[i].Target] = i
	}
	return m
}()
