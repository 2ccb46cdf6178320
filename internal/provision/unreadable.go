package provision

import (
	"slices"
	"strconv"
	"strings"
)

// Odd data from Leapsome does not fail a run: the Leapsome client leaves out a
// record it cannot use and reads a value of the wrong type as absent, and says
// so in Directory.Anomalies. Here those anomalies become warnings, so that the
// admins learn which person's data was not synced and what to check in
// Leapsome. They never change an action: an absent value is simply not
// written, and where it matters (a first or last name, an email, a status) the
// rules for a missing value already decide.
//
// Only anomalies that touch this run are reported: a field no mapping reads
// (say, teams, when nothing maps team) was not going to be synced anyway, and
// warning about it would bury the warnings that matter. Scope fields (email,
// account and lifecycle status) are always read, so they are always reported.
// A duplicate seen while paging loses nothing (the first copy is kept) and is
// not reported; nor is a SCIM user without a Leapsome person (nobody to sync).

// unreadable turns the directory's anomalies into per-person warnings on
// steps and returns the tenant-level ones.
func (pl *planner) unreadable(steps []Step) []Issue {
	if len(pl.in.Directory.Anomalies) == 0 {
		return nil
	}
	byUser := make(map[string]*Step, len(steps))
	byLocation := make(map[string][]*Step)
	for i := range steps {
		st := &steps[i]
		if _, dup := byUser[st.Item.UserID]; !dup {
			byUser[st.Item.UserID] = st
		}
		if id := st.person.WorkLocationID; id != "" {
			byLocation[id] = append(byLocation[id], st)
		}
	}
	type skipKey struct{ list, reason string }
	skipped := map[skipKey]int{}
	var order []skipKey
	reported := map[*Step]map[Issue]bool{}
	report := func(st *Step, field, msg string) {
		is := personIssue(st.person, CodeUnreadableValue, field, msg)
		if reported[st] == nil {
			reported[st] = map[Issue]bool{}
		}
		if reported[st][is] {
			return
		}
		reported[st][is] = true
		st.Issues = append(st.Issues, is)
	}
	for _, a := range pl.in.Directory.Anomalies {
		switch {
		case a.Reason == ReasonDuplicate:
		case a.Field == "":
			k := skipKey{a.List, a.Reason}
			if skipped[k] == 0 {
				order = append(order, k)
			}
			skipped[k]++
		case a.List == ListWorkLocations:
			if a.Field != "country" || a.LocationID == "" {
				continue
			}
			targets := pl.targetsOf(sourceIs(SourceWorkCountry))
			if len(targets) == 0 {
				continue
			}
			for _, st := range byLocation[a.LocationID] {
				if st.Item.Action != ActionExcluded {
					report(st, strings.Join(targets, ","),
						"Leapsome sent the country of the person's work location in a form that could not be read, so it was not synced. Check the work location's country in Leapsome.")
				}
			}
		default:
			st := byUser[a.UserID]
			if st == nil || a.UserID == "" {
				continue
			}
			f, ok := readField(a.List, a.Field)
			if !ok {
				continue
			}
			if f.scope {
				report(st, a.Field, "Leapsome sent the "+f.label+" in a form that could not be read, so "+f.effect+
					". Check the person's "+f.label+" in Leapsome.")
				continue
			}
			if st.Item.Action == ActionExcluded {
				continue
			}
			targets := pl.targetsOf(f.feeds)
			if len(targets) == 0 {
				continue
			}
			report(st, strings.Join(targets, ","), "Leapsome sent the "+f.label+
				" in a form that could not be read, so it was not synced. Check the person's "+f.label+" in Leapsome.")
		}
	}
	var tenant []Issue
	for _, k := range order {
		if msg := pl.skippedMessage(k.list, k.reason, skipped[k]); msg != "" {
			tenant = append(tenant, Issue{Severity: SeverityOf(CodeUnreadableRecord), Code: CodeUnreadableRecord, Message: msg})
		}
	}
	return tenant
}

// targetsOf names the mapped targets whose source feeds accepts, in catalog order.
func (pl *planner) targetsOf(feeds func(src string) bool) []string {
	var out []string
	for _, mp := range pl.maps {
		if feeds(mp.m.Source) {
			out = append(out, mp.t.Target)
		}
	}
	return out
}

// skippedMessage is the tenant-level warning about n records of a listing
// that were left out; "" when they cannot matter to this run.
func (pl *planner) skippedMessage(list, reason string, n int) string {
	one := n == 1
	pick := func(singular, plural string) string {
		if one {
			return singular
		}
		return plural
	}
	var what, effect string
	switch list {
	case ListEmployees:
		what, effect = "person record", pick("the person in it was not synced", "the people in them were not synced")
	case ListSCIMUsers:
		if len(pl.targetsOf(isSCIMSource)) == 0 {
			return ""
		}
		what, effect = "SCIM user record", "the gender, birth date, employment type and legal name in "+pick("it", "them")+" were not synced"
	case ListWorkLocations:
		what, effect = "work location record", "people at "+pick("that location", "those locations")+" were synced without the work location's country"
	default:
		what, effect = "record", pick("it was", "they were")+" not synced"
	}
	var kind string
	switch reason {
	case ReasonNoID:
		kind = "without an id"
	case ReasonNotObject:
		kind = "that could not be read as " + pick("a record", "records")
	default:
		kind = "that could not be read"
	}
	return "Leapsome sent " + strconv.Itoa(n) + " " + what + pick("", "s") + " " + kind + "; " +
		pick("it was", "they were") + " skipped, so " + effect +
		". Check in Leapsome that everyone is there as expected; if this persists, contact Leapsome support."
}

// leapsomeField is what a Leapsome field means to the engine.
type leapsomeField struct {
	label  string                // in words, for the admin
	feeds  func(src string) bool // the mapping sources it is read by
	scope  bool                  // read for every person, mapped or not
	effect string                // for scope fields: what its absence did
}

func sourceIs(names ...string) func(string) bool {
	return func(src string) bool { return slices.Contains(names, src) }
}

// plainFields are the employee fields that are a mapping source of the same name.
var plainFields = map[string]string{
	SourceFirstName:     "first name",
	SourceLastName:      "last name",
	SourceMiddleName:    "middle name",
	SourceDisplayedName: "displayed name",
	SourceTitle:         "job title",
	SourcePhone:         "phone number",
	SourceStartDate:     "start date",
}

// scimSubfields maps the fields of Leapsome's SCIM enterprise extension.
var scimSubfields = map[string]struct{ label, source string }{
	"gender":         {"gender", SourceSCIMGender},
	"birthday":       {"birth date", SourceSCIMBirthday},
	"employmentType": {"employment type", SourceSCIMEmployment},
}

// readField says what a field an Anomaly names means; false for a field the
// engine never reads (endDate, a team after the first, SCIM's active).
func readField(list, field string) (leapsomeField, bool) {
	switch list {
	case ListEmployees:
		return employeeField(field)
	case ListSCIMUsers:
		return scimField(field)
	}
	return leapsomeField{}, false
}

func employeeField(field string) (leapsomeField, bool) {
	if label, ok := plainFields[field]; ok {
		return leapsomeField{label: label, feeds: sourceIs(field)}, true
	}
	switch field {
	case SourceEmail:
		// Also the workEmail target's source; the matching needs it regardless.
		return leapsomeField{label: "email", scope: true,
			effect: "the person could not be matched to TriNet and was not synced"}, true
	case "status":
		return leapsomeField{label: "account status", scope: true, effect: "the person was not synced"}, true
	case "lifecycleStatus":
		return leapsomeField{label: "lifecycle status", scope: true, effect: "the person was not synced"}, true
	case "manager", "manager.id":
		return leapsomeField{label: "manager", feeds: sourceIs(SourceManager)}, true
	case "workLocation", "workLocation.id", "workLocation.name":
		return leapsomeField{label: "work location", feeds: sourceIs(SourceWorkLocation, SourceWorkCountry)}, true
	case "customAttributes":
		return leapsomeField{label: "custom attributes", feeds: func(src string) bool {
			return strings.HasPrefix(src, SourceCustomPrefix)
		}}, true
	}
	// Only the first department and team are read.
	for _, l := range []struct{ list, label, source string }{
		{"departments", "department", SourceDepartment}, {"teams", "team", SourceTeam},
	} {
		if field == l.list || field == l.list+"[0]" || field == l.list+"[0].name" {
			return leapsomeField{label: l.label, feeds: sourceIs(l.source)}, true
		}
	}
	if name, ok := strings.CutPrefix(field, SourceCustomPrefix); ok {
		// The planner matches an attribute's name exactly, else ignoring case
		// and surrounding spaces; a mapping may have been typed either way.
		return leapsomeField{label: "custom attribute \"" + name + "\"", feeds: func(src string) bool {
			m, ok := strings.CutPrefix(src, SourceCustomPrefix)
			return ok && strings.EqualFold(strings.TrimSpace(m), strings.TrimSpace(name))
		}}, true
	}
	return leapsomeField{}, false
}

func scimField(field string) (leapsomeField, bool) {
	switch field {
	case "name", "name.formatted":
		return leapsomeField{label: "legal name", feeds: sourceIs(SourceSCIMLegalName)}, true
	}
	// The enterprise extension is named by its URN, which holds dots itself
	// ("…:enterprise:2.0:User"): its fields are what follows the last dot
	// after ":User".
	if !strings.HasPrefix(field, "urn:") {
		return leapsomeField{}, false
	}
	if i := strings.LastIndex(field, ":User."); i >= 0 {
		sub, ok := scimSubfields[field[i+len(":User."):]]
		if !ok {
			return leapsomeField{}, false
		}
		return leapsomeField{label: sub.label, feeds: sourceIs(sub.source)}, true
	}
	return leapsomeField{label: "gender, birth date and employment type", feeds: sourceIs(
		SourceSCIMGender, SourceSCIMBirthday, SourceSCIMEmployment)}, true
}
