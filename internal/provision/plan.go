package provision

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Planning is pure: from what was read it decides, for every Leapsome person,
// exactly one action and the writes it takes. It does no I/O, so it can be
// tested and benchmarked alone, and a dry run is the plan itself.

// MassCreateMinLinks is how many links a tenant needs before the mass-create
// brake applies: a first sync of a new tenant creates many people on purpose.
const MassCreateMinLinks = 20

// PlanInput is everything the planner reads.
type PlanInput struct {
	Settings  Settings // effective settings
	Directory Directory
	Company   CompanyData
	// Links and Hires are the current TriNet company's: an earlier company's
	// employee ids name strangers here.
	Links []Link
	Hires []HireEntry
	// TenantLinks counts the tenant's links in every company it was connected
	// to (0 = only Links count): the mass-create brake holds a tenant that has
	// just moved to another company as it holds any established tenant.
	TenantLinks    int
	Now            time.Time
	ConfirmCreates bool
	// Only, when not nil, is the subset of a subset run: only these people
	// get a step. Everyone is still matched, so that who is whom, duplicates
	// and supervisors are decided as in a full run; the brake weighs the
	// subset's creates against all the tenant's in-scope people.
	Only map[string]bool
	// Approve are the people an admin approved by name: each is created
	// where the plan would suggest them (auto-create off), and the brake
	// neither holds nor counts them.
	Approve map[string]bool
	// DryRun: the plan is not applied, so it also reports drift (see
	// PlanItem.Drift).
	DryRun bool
}

// Planned is the plan of one run.
type Planned struct {
	// Steps holds one step per Leapsome person (of the subset, in a subset
	// run), sorted by user id.
	Steps []Step
	// Issues are the issues of the run that belong to no step, reported once
	// per run: the tenant-level ones (no user id), and not_in_leapsome for a
	// person a subset or an approval names whom Leapsome does not list.
	Issues []Issue
}

// Step is the plan of one person and the writes that carry it out.
type Step struct {
	Item   PlanItem
	Issues []Issue

	// EmployeeID is the TriNet employee the person is (matched or linked).
	EmployeeID string
	// NewLink: the link to EmployeeID is new and must be stored, made as
	// LinkOrigin on the employee's work email LinkEmail.
	NewLink    bool
	LinkOrigin LinkOrigin
	LinkEmail  string
	// MoveFrom is the person whose link to EmployeeID the new link takes over
	// (a re-created Leapsome account); "" when the employee was free.
	MoveFrom string
	// LedgerState, when set, is the state the person's ledger entry moves to.
	LedgerState HireState
	Ledger      *HireEntry // the person's ledger entry, if any

	// Hire is the new-hire request of a create.
	Hire *Hire
	// ManagerStep is the index of the step of a manager hired in the same run,
	// whose new employee id becomes Hire.SupervisorID; -1 when none.
	ManagerStep int

	Names     *NamesUpdate
	Personals *PersonalsUpdate
	Jobs      *JobsUpdate

	person        *Person
	managerUserID string
	// matched is the employee planUpdate compared the person with, for the
	// supervisor's drift.
	matched *Employee
}

type mapping struct {
	t *Target
	m Mapping
}

type planner struct {
	in         PlanInput
	todayStr   string
	oldestHire string    // the earliest start date TriNet takes for a new hire, YYYY-MM-DD
	maps       []mapping // in catalog order
	autoCreate bool

	depts, locs nameIndex
	locCountry  map[string]string       // TriNet location id → ISO alpha-2
	workCountry map[string]placeCountry // Leapsome work location id and lower name → its country

	emps       map[string]*Employee
	byEmail    map[string][]*Employee // non-terminated employees by work email
	termEmail  map[string]bool        // emails of terminated employees
	linkByUser map[string]*Link       // stored links to an employee (into the input's links, not copies)
	keptOut    map[string]bool        // people an admin keeps out of the sync
	linkedEmp  map[string]string      // employee id → user id, for stored links to listed employees
	ledger     map[string]*HireEntry
	openHires  map[string][]*HireEntry // ledger entries by work email
	// synced holds the people in scope (not excluded): a link whose person is
	// not among them may move to a re-created account.
	synced map[string]bool

	countryMemo map[string]string // country as written → ISO alpha-2, "" when unknown
}

// placeCountry is a Leapsome work location's country, as typed and as ISO alpha-2.
type placeCountry struct{ raw, iso string }

// Plan decides the action of every person. It never fails: whatever is wrong
// with one person's data becomes that person's issue.
func Plan(in PlanInput) Planned {
	pl := newPlanner(in)
	people := make([]*Person, len(in.Directory.People))
	for i := range in.Directory.People {
		people[i] = &in.Directory.People[i]
	}
	slices.SortStableFunc(people, func(a, b *Person) int { return strings.Compare(a.ID, b.ID) })

	// A lifecycle status Leapsome sent in a form that could not be read is not
	// taken as "not set": the person may well be terminated.
	badLifecycle := map[string]bool{}
	for _, a := range in.Directory.Anomalies {
		if a.List == ListEmployees && a.Field == "lifecycleStatus" && a.UserID != "" {
			badLifecycle[a.UserID] = true
		}
	}
	steps := make([]Step, len(people))
	emailCount := make(map[string]int, len(people))
	for i, p := range people {
		st := &steps[i]
		st.person = p
		st.ManagerStep = -1
		st.Item = PlanItem{UserID: p.ID, Email: strings.TrimSpace(p.Email), Name: personName(p)}
		code := Scope(p)
		if (code == "" || code == CodeMissingEmail) && badLifecycle[p.ID] {
			code = CodeUnreadableValue // unreadable() reports it
		}
		if pl.keptOut[p.ID] {
			code = CodeExcludedByAdmin
		}
		if code != "" {
			st.Item.Action, st.Item.Code = ActionExcluded, code
			if field, ok := excludedIssueField[code]; ok {
				st.Issues = append(st.Issues, personIssue(p, code, field, excludedMessage(p, code)))
			}
			continue
		}
		pl.synced[p.ID] = true
		emailCount[normEmail(p.Email)]++
	}
	for i := range steps {
		st := &steps[i]
		if st.Item.Action == ActionExcluded {
			continue
		}
		// A duplicate typed into Leapsome blocks only the people it could be
		// confused with: someone already linked keeps syncing through the link.
		if _, linked := pl.linkByUser[st.person.ID]; emailCount[normEmail(st.person.Email)] > 1 && !linked {
			pl.fail(st, personIssue(st.person, CodeDuplicateEmail, "email",
				"Another Leapsome person has the same email. Give each person their own work email in Leapsome."))
			continue
		}
		pl.planPerson(st)
	}
	pl.brake(steps)
	pl.supervisors(steps)
	tenant := pl.unreadable(steps)
	if in.DryRun {
		pl.supervisorDrift(steps)
	}
	tenant = append(tenant, pl.unknownPeople(people)...)
	if in.Only != nil {
		steps = subset(steps, in.Only)
	}
	return Planned{Steps: steps, Issues: tenant}
}

// covers reports whether the run covers the person of step i.
func (pl *planner) covers(st *Step) bool { return pl.in.Only == nil || pl.in.Only[st.Item.UserID] }

// subset keeps the steps of the people in only, in order, with the index of
// each hire's manager hired in the same run moved along (a manager outside
// the subset is not hired, and supervisors already left such a hire without
// one).
func subset(steps []Step, only map[string]bool) []Step {
	at := make([]int, len(steps))
	kept := steps[:0:0]
	for i := range steps {
		at[i] = -1
		if only[steps[i].Item.UserID] {
			at[i] = len(kept)
			kept = append(kept, steps[i])
		}
	}
	for i := range kept {
		if j := kept[i].ManagerStep; j >= 0 {
			kept[i].ManagerStep = at[j]
		}
	}
	return kept
}

// unknownPeople warns about each person a subset or an approval names whom
// Leapsome does not list: a typo, or someone removed since.
func (pl *planner) unknownPeople(people []*Person) []Issue {
	if len(pl.in.Only) == 0 && len(pl.in.Approve) == 0 {
		return nil
	}
	known := make(map[string]bool, len(people))
	for _, p := range people {
		known[p.ID] = true
	}
	var ids []string
	for _, set := range []map[string]bool{pl.in.Only, pl.in.Approve} {
		for id := range set {
			if !known[id] && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	out := make([]Issue, 0, len(ids))
	for _, id := range ids {
		out = append(out, Issue{UserID: id, Severity: SeverityOf(CodeNotInLeapsome), Code: CodeNotInLeapsome,
			Message: "The sync was asked for Leapsome person " + id + ", whom Leapsome does not list. Check the id; nothing was done for it."})
	}
	return out
}

// manualLink reports whether the person's stored link was set by an admin.
func (pl *planner) manualLink(userID string) bool {
	l := pl.linkByUser[userID]
	return l != nil && l.Origin == OriginManual
}

func newPlanner(in PlanInput) *planner {
	today := in.Now.UTC().Truncate(24 * time.Hour)
	pl := &planner{
		in:          in,
		todayStr:    today.Format(time.DateOnly),
		oldestHire:  today.AddDate(0, 0, -3).Format(time.DateOnly),
		autoCreate:  in.Settings.AutoCreateNewHires,
		depts:       newNameIndex(len(in.Company.Departments)),
		locs:        newNameIndex(len(in.Company.Locations)),
		locCountry:  make(map[string]string, len(in.Company.Locations)),
		workCountry: make(map[string]placeCountry, 2*len(in.Directory.Locations)),
		emps:        make(map[string]*Employee, len(in.Company.Employees)),
		byEmail:     make(map[string][]*Employee, len(in.Company.Employees)),
		termEmail:   make(map[string]bool),
		linkByUser:  make(map[string]*Link, len(in.Links)),
		keptOut:     make(map[string]bool),
		linkedEmp:   make(map[string]string, len(in.Links)),
		ledger:      make(map[string]*HireEntry, len(in.Hires)),
		synced:      make(map[string]bool, len(in.Directory.People)),

		countryMemo: make(map[string]string),
	}
	byTarget := make(map[string]Mapping, len(in.Settings.Mappings))
	for _, m := range in.Settings.Mappings {
		if _, dup := byTarget[m.Target]; !dup {
			byTarget[m.Target] = m
		}
	}
	for i := range catalog {
		if m, ok := byTarget[catalog[i].Target]; ok {
			pl.maps = append(pl.maps, mapping{t: &catalog[i], m: m})
		}
	}
	for _, d := range in.Company.Departments {
		pl.depts.add(d.ID, d.Name)
	}
	for _, l := range in.Company.Locations {
		pl.locs.add(l.ID, l.Name)
		if c, ok := pl.country(l.Country); ok {
			pl.locCountry[l.ID] = c
		}
	}
	for _, w := range in.Directory.Locations {
		c, _ := pl.country(w.Country)
		for _, k := range []string{w.ID, workLocationNameKey(w.Name)} {
			if _, dup := pl.workCountry[k]; !dup {
				pl.workCountry[k] = placeCountry{raw: w.Country, iso: c}
			}
		}
	}
	for i := range in.Company.Employees {
		e := &in.Company.Employees[i]
		if _, dup := pl.emps[e.ID]; dup || e.ID == "" {
			continue
		}
		pl.emps[e.ID] = e
		em := normEmail(e.WorkEmail)
		if em == "" {
			continue
		}
		if isTerminated(e) {
			pl.termEmail[em] = true
		} else {
			pl.byEmail[em] = append(pl.byEmail[em], e)
		}
	}
	for i := range in.Links {
		l := &in.Links[i]
		if _, dup := pl.linkByUser[l.UserID]; dup || pl.keptOut[l.UserID] {
			continue
		}
		if l.Excluded() {
			pl.keptOut[l.UserID] = true
			continue
		}
		pl.linkByUser[l.UserID] = l
		if _, listed := pl.emps[l.EmployeeID]; listed {
			if _, taken := pl.linkedEmp[l.EmployeeID]; !taken {
				pl.linkedEmp[l.EmployeeID] = l.UserID
			}
		}
	}
	pl.openHires = make(map[string][]*HireEntry)
	for i := range in.Hires {
		h := &in.Hires[i]
		if _, dup := pl.ledger[h.UserID]; !dup {
			pl.ledger[h.UserID] = h
		}
		em := normEmail(h.Email)
		pl.openHires[em] = append(pl.openHires[em], h)
	}
	return pl
}

func isTerminated(e *Employee) bool { return strings.EqualFold(strings.TrimSpace(e.Status), "T") }

// fail makes st an error whose code is the issue's.
func (pl *planner) fail(st *Step, is Issue) {
	st.Item.Action, st.Item.Code = ActionError, is.Code
	st.Issues = append(st.Issues, is)
}

// workLocationNameKey is the key of a Leapsome work location's name in
// workCountry, kept apart from the ids that share the map.
func workLocationNameKey(name string) string {
	return "name:" + strings.ToLower(strings.TrimSpace(name))
}

// workLocationCountry looks p's work location up: by id, else by name, since
// a person may carry only the location's name.
func (pl *planner) workLocationCountry(p *Person) placeCountry {
	if v, ok := pl.workCountry[p.WorkLocationID]; ok && p.WorkLocationID != "" {
		return v
	}
	return pl.workCountry[workLocationNameKey(p.WorkLocation)]
}

// region is the ISO country of p's work location, or "".
func (pl *planner) region(p *Person) string { return pl.workLocationCountry(p).iso }

// country is normCountry, parsed once per distinct value: the few countries
// repeat across people, locations and employees, and reading a name is costly.
func (pl *planner) country(v string) (string, bool) {
	c, ok := pl.countryMemo[v]
	if !ok {
		c, _ = normCountry(v)
		pl.countryMemo[v] = c
	}
	return c, c != ""
}

// source reads a mapping's source from p.
func (pl *planner) source(p *Person, src string) string {
	switch src {
	case SourceFirstName:
		return p.FirstName
	case SourceLastName:
		return p.LastName
	case SourceMiddleName:
		return p.MiddleName
	case SourceDisplayedName:
		return p.DisplayedName
	case SourceEmail:
		return p.Email
	case SourceTitle:
		return p.Title
	case SourcePhone:
		return p.Phone
	case SourceStartDate:
		return p.StartDate
	case SourceManager:
		return p.ManagerID
	case SourceDepartment:
		if len(p.Departments) > 0 {
			return p.Departments[0]
		}
		return ""
	case SourceTeam:
		if len(p.Teams) > 0 {
			return p.Teams[0]
		}
		return ""
	case SourceWorkLocation:
		return p.WorkLocation
	case SourceWorkCountry:
		return pl.workLocationCountry(p).raw
	}
	if strings.HasPrefix(src, scimPrefix) {
		if p.SCIM == nil {
			return ""
		}
		switch src {
		case SourceSCIMGender:
			return p.SCIM.Gender
		case SourceSCIMBirthday:
			return p.SCIM.Birthday
		case SourceSCIMEmployment:
			return p.SCIM.EmploymentType
		case SourceSCIMLegalName:
			return p.SCIM.LegalName
		}
		return ""
	}
	if name, ok := strings.CutPrefix(src, SourceCustomPrefix); ok {
		if v, ok := p.CustomAttributes[name]; ok {
			return v
		}
		for k, v := range p.CustomAttributes {
			if strings.EqualFold(strings.TrimSpace(k), strings.TrimSpace(name)) {
				return v
			}
		}
		return ""
	}
	if v, ok := strings.CutPrefix(src, SourceConstPrefix); ok {
		return v
	}
	return ""
}

// raw is a mapping's value for p after the value map, before the target's
// rules; "" means blank (never written).
func (pl *planner) raw(p *Person, mp mapping) string {
	return strings.TrimSpace(applyValueMap(pl.source(p, mp.m.Source), mp.m.ValueMap))
}

func change(t *Target, from, to string) FieldChange {
	if t.Sensitive {
		return FieldChange{Field: t.Target, Sensitive: true}
	}
	return FieldChange{Field: t.Target, From: from, To: to}
}

// planPerson matches an in-scope person to TriNet and plans their action
// ("Identity" in the contract): the stored link first; else the employee of
// the person's own hire once TriNet lists it; else the work email. A stored
// link yields to the email only for a rehire or a re-created Leapsome
// account, or when TriNet no longer lists its employee; an admin's link
// never yields.
func (pl *planner) planPerson(st *Step) {
	p := st.person
	entry := pl.ledger[p.ID]
	st.Ledger = entry
	st.LinkOrigin = OriginEmail
	if entry != nil {
		st.LinkOrigin = OriginHire
	}
	link, linked := pl.linkByUser[p.ID]
	if linked {
		if e := pl.emps[link.EmployeeID]; e != nil && pl.linkedEmp[e.ID] == p.ID {
			if !isTerminated(e) {
				pl.planMatched(st, e, false)
				return
			}
			if re := pl.rehired(p); re != nil && link.Origin != OriginManual {
				st.Issues = append(st.Issues, personIssue(p, CodeRelinked, "",
					"TriNet employee "+e.ID+", whom this person was linked to, is terminated, and TriNet's only active employee with their work email is "+re.ID+
						" (a rehire): the person is now linked to "+re.ID+". If that is wrong, set the link by hand."))
				st.LinkOrigin = OriginEmail
				pl.planMatched(st, re, true)
				return
			}
			st.EmployeeID = e.ID
			pl.fail(st, personIssue(p, CodeTerminatedInTriNet, "",
				"The person is terminated in TriNet but active in Leapsome. Rehire them in TriNet or end their employment in Leapsome."))
			return
		}
	}
	// A hire this service submitted is the person's employee once TriNet lists it.
	if entry != nil && entry.EmployeeID != "" {
		if e := pl.emps[entry.EmployeeID]; e != nil && pl.linkedEmp[e.ID] == "" {
			pl.planMatched(st, e, true)
			return
		}
		if entry.State != HireLinked {
			// The hire waits for approval (or its outcome is unknown) and someone
			// has keyed the person by hand meanwhile: two records of one person.
			// Neither is written, and the ledger keeps its id, until an admin
			// links one of them.
			if other := pl.activeWithEmail(p.Email, entry.EmployeeID); other != nil {
				pl.fail(st, personIssue(p, CodeDuplicateEmployee, "",
					"The new hire sent to TriNet for this person ("+entry.EmployeeID+") is not approved yet, and TriNet already has an active employee with their work email ("+other.ID+
						"), probably keyed by hand. Nothing is written to either: link the person to one of them in the integration and remove the other in TriNet."))
				return
			}
		}
	}
	if linked && link.Origin == OriginManual {
		// An admin's link is never replaced by an email match.
		if entry != nil {
			pl.planLedgerOnly(st, entry)
			return
		}
		pl.fail(st, personIssue(p, CodeLinkedEmployeeMissing, "",
			"The TriNet employee "+link.EmployeeID+" an admin linked this person to is not listed by TriNet, so nothing is written and no new hire is created. Check the employee in TriNet, or change the person's link in the integration."))
		return
	}
	cands := pl.byEmail[normEmail(p.Email)]
	switch {
	case len(cands) > 1:
		pl.fail(st, personIssue(p, CodeDuplicateEmail, "email",
			"Several TriNet employees have this person's work email, so the right one cannot be chosen. Give each TriNet employee their own work email."))
		return
	case len(cands) == 1:
		c := cands[0]
		switch owner := pl.linkedEmp[c.ID]; {
		case owner == "" || owner == p.ID:
			if linked {
				st.Issues = append(st.Issues, personIssue(p, CodeRelinked, "",
					"TriNet no longer lists employee "+link.EmployeeID+", whom this person was linked to; TriNet's only active employee with their work email is "+c.ID+
						": the person is now linked to "+c.ID+". If that is wrong, set the link by hand."))
			}
			pl.planMatched(st, c, true)
			return
		case !pl.synced[owner] && !pl.manualLink(owner):
			// A re-created Leapsome account: the old one is gone or no longer
			// synced, and this one has the employee's work email.
			if pl.in.Only != nil {
				// Moving the link would change another person's: a subset run
				// touches only its own people's links.
				st.EmployeeID = c.ID
				pl.fail(st, personIssue(p, CodeNeedsFullRun, "",
					"TriNet employee "+c.ID+" is linked to Leapsome person "+owner+", who is gone or no longer synced, and this person has the employee's work email (a re-created account?). A sync of some people only never moves another person's link: run a full sync, or set the link by hand."))
				return
			}
			st.MoveFrom = owner
			st.Issues = append(st.Issues, personIssue(p, CodeRelinked, "",
				"TriNet employee "+c.ID+" was linked to Leapsome person "+owner+", who is gone or no longer synced; this person ("+p.ID+
					") has the employee's work email, so the link moved to them. If that is wrong, set the link by hand."))
			pl.planMatched(st, c, true)
			return
		}
		pl.fail(st, personIssue(p, CodeDuplicateEmail, "email",
			"The TriNet employee with this person's work email is already linked to another Leapsome person. Correct the work email in Leapsome or TriNet, or set the link by hand."))
		return
	}
	if entry != nil {
		pl.planLedgerOnly(st, entry)
		return
	}
	if linked {
		// The person is someone's employee in TriNet, which has stopped listing
		// them (a TriNet glitch, a changed id): hiring them again would make a
		// second employee. An admin decides.
		pl.fail(st, personIssue(p, CodeLinkedEmployeeMissing, "",
			"The TriNet employee this person was linked to is no longer listed by TriNet, so no new hire is created. Check the employee in TriNet, or link the person by hand in the integration."))
		return
	}
	if other := pl.openHireOfAnother(p); other != nil {
		// The account was re-created while its hire waits in TriNet: a second
		// hire would make a second payroll record of one person.
		code := CodeHireOutcomeUnknown
		if other.State == HirePending {
			code = CodePendingApproval
		}
		msg := "A new hire with this work email was sent to TriNet for Leapsome person " + other.UserID +
			", who is no longer synced (a re-created account?), so no second hire is sent. Once TriNet lists it, this person is linked to it; if it is not in TriNet, release that person's hire in the integration."
		if other.State == HireLinked {
			msg = "A new hire with this work email was sent to TriNet for Leapsome person " + other.UserID +
				", who is no longer synced and whom an admin linked to another TriNet employee, so that hire may still be in TriNet and no second hire is sent. Find it in TriNet and link this person to it by hand, or keep them out."
		}
		st.Item.Action, st.Item.Code = ActionPending, code
		st.Issues = append(st.Issues, personIssue(p, code, "", msg))
		return
	}
	if pl.termEmail[normEmail(p.Email)] {
		pl.fail(st, personIssue(p, CodeTerminatedInTriNet, "email",
			"The only TriNet employee with this work email is terminated, so no new hire is created. Rehire them in TriNet or give the person a different work email in Leapsome."))
		return
	}
	pl.planCreate(st)
}

// planMatched plans a person who is TriNet employee e: newly linked when
// newLink, else through their stored link.
func (pl *planner) planMatched(st *Step, e *Employee, newLink bool) {
	p := st.person
	st.EmployeeID = e.ID
	if isTerminated(e) {
		pl.fail(st, personIssue(p, CodeTerminatedInTriNet, "",
			"The person is terminated in TriNet but active in Leapsome. Rehire them in TriNet or end their employment in Leapsome."))
		return
	}
	if other := pl.activeWithEmail(e.WorkEmail, e.ID); other != nil {
		st.Issues = append(st.Issues, personIssue(p, CodeDuplicateInTriNet, "",
			"TriNet has two active employees with this person's work email: "+e.ID+", whom the person is linked to and who is kept in sync, and "+other.ID+
				". Remove the duplicate in TriNet, or link the person to the other one by hand."))
	} else if other := pl.activeWithEmail(p.Email, e.ID); other != nil {
		st.Issues = append(st.Issues, personIssue(p, CodeDuplicateInTriNet, "",
			"TriNet employee "+other.ID+" has this person's work email too, while the person is linked to "+e.ID+", who is kept in sync. Remove the duplicate in TriNet, or link the person to the other one by hand."))
	}
	st.NewLink = newLink
	st.LinkEmail = strings.TrimSpace(e.WorkEmail)
	if entry := st.Ledger; entry != nil && (entry.State != HireLinked || entry.EmployeeID == "") {
		st.LedgerState = HireLinked
	}
	pl.planUpdate(st, e)
}

// openHireOfAnother is a hire TriNet may not list yet, sent for another
// Leapsome person who is no longer synced, with p's work email; nil when none.
func (pl *planner) openHireOfAnother(p *Person) *HireEntry {
	for _, h := range pl.openHires[normEmail(p.Email)] {
		if h.UserID != p.ID && !pl.synced[h.UserID] && pl.mayBeInTriNet(h) {
			return h
		}
	}
	return nil
}

// mayBeInTriNet reports whether the hire an entry records may be a TriNet
// employee that no link names. A linked entry whose employee TriNet lists
// with the hire's work email is that hire; one TriNet does not list may still
// be a pending hire; and one an admin linked to an employee of another work
// email leaves the hire sent for this email unaccounted for.
func (pl *planner) mayBeInTriNet(h *HireEntry) bool {
	if h.State != HireLinked {
		return true
	}
	e := pl.emps[h.EmployeeID]
	return e == nil || normEmail(e.WorkEmail) != normEmail(h.Email)
}

// rehired is the one active employee with p's work email, free to be linked
// to p, or nil.
func (pl *planner) rehired(p *Person) *Employee {
	cands := pl.byEmail[normEmail(p.Email)]
	if len(cands) != 1 {
		return nil
	}
	if owner := pl.linkedEmp[cands[0].ID]; owner != "" && owner != p.ID {
		return nil
	}
	return cands[0]
}

// activeWithEmail is an active (not terminated) employee other than exceptID
// with work email email, or nil.
func (pl *planner) activeWithEmail(email, exceptID string) *Employee {
	for _, e := range pl.byEmail[normEmail(email)] {
		if e.ID != exceptID {
			return e
		}
	}
	return nil
}

// planLedgerOnly plans a person whose hire was submitted but who is not listed.
func (pl *planner) planLedgerOnly(st *Step, e *HireEntry) {
	p := st.person
	st.Item.Action = ActionPending
	switch e.State {
	case HirePending:
		st.Item.Code = CodePendingApproval
		st.Issues = append(st.Issues, personIssue(p, CodePendingApproval, "",
			"The new hire was sent to TriNet and waits for approval by the HR Authorizer in TriNet. Profile updates start once it is approved."))
		return
	case HireSubmitted, HireLinked:
		// Submitted: the run that wrote it stopped before it learned TriNet's
		// answer. Linked: TriNet no longer lists the employee. Either way an admin
		// checks TriNet and releases it, rather than the person being hired again.
		st.LedgerState = HireUnknown
	}
	st.Item.Code = CodeHireOutcomeUnknown
	st.Issues = append(st.Issues, personIssue(p, CodeHireOutcomeUnknown, "",
		"It is not known whether TriNet received this new hire. Check TriNet: if the hire is not there, release it in the integration so it can be sent again."))
}

// planUpdate plans the updates of a matched employee.
func (pl *planner) planUpdate(st *Step, emp *Employee) {
	p := st.person
	region := pl.region(p)
	calls := updates{emp: emp}
	var firstErr string
	for _, mp := range pl.maps {
		t := mp.t
		if t.update == nil {
			continue
		}
		raw := pl.raw(p, mp)
		// A phone that is, as written, TriNet's needs nothing written, and the
		// costly parsing of both can be skipped: after the first sync this is the
		// common case, as the service writes E.164.
		if raw == "" || (t.kind == kindPhone && raw == strings.TrimSpace(t.current(emp))) {
			continue
		}
		v, prob := pl.normalise(t, raw, region)
		if prob != nil {
			// The field is left out; the others are written. An optional
			// field's unreadable value is only a warning.
			is := personIssue(p, prob.code, t.Target, prob.message)
			st.Issues = append(st.Issues, is)
			if firstErr == "" && is.Severity == SeverityError {
				firstErr = prob.code
			}
			continue
		}
		cur := pl.current(t, emp, region)
		if v == cur {
			continue
		}
		st.Item.Fields = append(st.Item.Fields, change(t, cur, v))
		t.update(&calls, v)
	}
	if pl.in.DryRun {
		st.matched = emp
		pl.drift(st, emp, region)
	}
	if calls.names != nil {
		calls.names.EffectiveDate = pl.todayStr
		st.Names = calls.names
	}
	if calls.personals != nil {
		calls.personals.EffectiveDate = pl.todayStr
		st.Personals = calls.personals
	}
	if calls.jobs != nil {
		calls.jobs.EffectiveDate = pl.todayStr
		st.Jobs = calls.jobs
	}
	switch {
	case st.NewLink:
		st.Item.Action = ActionLink
	case st.Names != nil || st.Personals != nil || st.Jobs != nil:
		st.Item.Action = ActionUpdate
	case firstErr != "":
		st.Item.Action, st.Item.Code = ActionError, firstErr
	default:
		st.Item.Action = ActionUnchanged
	}
}

// planCreate plans the new hire of a person TriNet does not have.
func (pl *planner) planCreate(st *Step) {
	p := st.person
	region := pl.region(p)
	h := &Hire{}
	var probs []Issue
	for _, mp := range pl.maps {
		t := mp.t
		if t.hire == nil {
			continue
		}
		if t.kind == kindSupervisor {
			st.managerUserID = strings.TrimSpace(pl.source(p, mp.m.Source))
			continue
		}
		raw := pl.raw(p, mp)
		if raw == "" {
			continue
		}
		v, prob := pl.normalise(t, raw, region)
		if prob == nil && t.check != nil {
			prob = t.check(pl, v)
		}
		if prob != nil {
			probs = append(probs, personIssue(p, prob.code, t.Target, prob.message))
			continue
		}
		*t.hire(h) = v
		st.Item.Fields = append(st.Item.Fields, change(t, "", v))
	}
	for i := range catalog {
		// Whether mapped or not: TriNet takes no hire without these.
		if t := &catalog[i]; t.missing != nil && *t.hire(h) == "" && !hasIssueFor(probs, t.Target) {
			probs = append(probs, personIssue(p, t.missing.code, t.Target, t.missing.message))
		}
	}
	if !pl.autoCreate && !pl.in.Approve[p.ID] {
		// Problems that would block the hire are reported once auto-create is on:
		// with it off nobody is created, so they are not errors of this run.
		st.Item.Action, st.Item.Code = ActionSuggest, CodeNotInTriNet
		st.Issues = append(st.Issues, personIssue(p, CodeNotInTriNet, "",
			"The person is in Leapsome but not in TriNet. Turn on automatic creation of new hires to create them, or add them in TriNet with the same work email."))
		return
	}
	hasErr := false
	for _, is := range probs {
		if is.Severity == SeverityError {
			if !hasErr {
				st.Item.Action, st.Item.Code = ActionError, is.Code
			}
			hasErr = true
		}
	}
	st.Issues = append(st.Issues, probs...)
	if hasErr {
		st.managerUserID = ""
		return
	}
	st.Item.Action = ActionCreate
	st.Hire = h
}

func hasIssueFor(is []Issue, field string) bool {
	return slices.ContainsFunc(is, func(i Issue) bool { return i.Field == field })
}

// brake holds every create when a tenant that already has links would create
// more than massCreateMaxPercent of its in-scope people.
func (pl *planner) brake(steps []Step) {
	if pl.in.ConfirmCreates || max(len(pl.linkByUser), pl.in.TenantLinks) < MassCreateMinLinks {
		return
	}
	// A subset run's creates are weighed against every in-scope person, as
	// in a full run; people an admin approved by name are outside the brake.
	braked := func(st *Step) bool {
		return st.Item.Action == ActionCreate && pl.covers(st) && !pl.in.Approve[st.Item.UserID]
	}
	creates, inScope := 0, 0
	for i := range steps {
		if steps[i].Item.Action == ActionExcluded {
			continue
		}
		if braked(&steps[i]) {
			creates++
		}
		inScope++
	}
	if creates == 0 || creates*100 <= pl.in.Settings.MassCreateMaxPercent*inScope {
		return
	}
	msg := "This run would create " + strconv.Itoa(creates) + " of " + strconv.Itoa(inScope) +
		" people as new hires in TriNet, more than the mass-create limit. Check that they are new, then trigger a sync that confirms the creates."
	for i := range steps {
		st := &steps[i]
		if !braked(st) {
			continue
		}
		st.Item.Action, st.Item.Code = ActionHeld, CodeMassCreateHeld
		st.Hire, st.managerUserID = nil, ""
		st.Issues = append(st.Issues, personIssue(st.person, CodeMassCreateHeld, "", msg))
	}
}

// stepsByUser indexes steps by person: the first step of each.
func stepsByUser(steps []Step) map[string]int {
	byUser := make(map[string]int, len(steps))
	for i := range steps {
		if _, dup := byUser[steps[i].Item.UserID]; !dup {
			byUser[steps[i].Item.UserID] = i
		}
	}
	return byUser
}

// supervisors resolves each create's supervisor: a manager TriNet already has
// (linked, matched, or a submitted hire with an id), or a manager hired earlier
// in the same run. A missing manager or a management cycle leaves the hire
// without a supervisor, with a warning.
func (pl *planner) supervisors(steps []Step) {
	byUser := stepsByUser(steps)
	for i := range steps {
		st := &steps[i]
		if st.Item.Action != ActionCreate || st.managerUserID == "" {
			continue
		}
		j, ok := byUser[st.managerUserID]
		if ok {
			if id := pl.managerEmployeeID(&steps[j]); id != "" {
				*supervisor.hire(st.Hire) = id
				st.Item.Fields = append(st.Item.Fields, change(supervisor, "", id))
				continue
			}
			if steps[j].Item.Action == ActionCreate && j != i && pl.covers(&steps[j]) {
				st.ManagerStep = j
				continue
			}
		}
		if ok && j == i {
			pl.noSupervisor(st, CodeSupervisorCycle)
			continue
		}
		pl.noSupervisor(st, CodeSupervisorNotInTriNet)
	}
	// Break management cycles among the people hired in this run: nobody in a
	// cycle can be hired after their manager.
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]uint8, len(steps))
	var path []int
	for i := range steps {
		if state[i] != unseen || steps[i].ManagerStep < 0 {
			continue
		}
		path = path[:0]
		k := i
		for k >= 0 && state[k] == unseen {
			state[k] = onPath
			path = append(path, k)
			k = steps[k].ManagerStep
		}
		if k >= 0 && state[k] == onPath {
			// k is on the current path: the path from k onwards is a cycle.
			start := slices.Index(path, k)
			for _, c := range path[start:] {
				steps[c].ManagerStep = -1
				pl.noSupervisor(&steps[c], CodeSupervisorCycle)
			}
		}
		for _, c := range path {
			state[c] = done
		}
	}
	for i := range steps {
		if j := steps[i].ManagerStep; j >= 0 {
			steps[i].Item.Fields = append(steps[i].Item.Fields, change(supervisor, "", "new hire: "+steps[j].Item.Name))
		}
	}
}

func (pl *planner) noSupervisor(st *Step, code string) {
	msg := "The person's manager is not in TriNet (not synced, not matched, or their hire is not confirmed), so the new hire is created without a supervisor. Set the supervisor in TriNet."
	if code == CodeSupervisorCycle {
		msg = "The managers in Leapsome form a loop (someone is, through others, their own manager), so the new hire is created without a supervisor. Correct the managers in Leapsome and set the supervisor in TriNet."
	}
	st.Issues = append(st.Issues, personIssue(st.person, code, supervisor.Target, msg))
}

// managerEmployeeID is the TriNet id a manager's step already has: the
// employee TriNet lists for them, or the id of their hire still pending
// approval (TriNet accepts a pending hire as supervisor, and does not list
// it). An id TriNet no longer lists — a linked employee removed in TriNet —
// would have every hire of a report rejected; a hire with an unknown outcome
// has no id.
func (pl *planner) managerEmployeeID(m *Step) string {
	switch m.Item.Action {
	case ActionExcluded, ActionSuggest, ActionHeld, ActionCreate:
		return ""
	}
	switch m.Item.Code {
	case CodeTerminatedInTriNet, CodeDuplicateEmail, CodeDuplicateEmployee:
		return ""
	}
	if m.EmployeeID != "" {
		if e := pl.emps[m.EmployeeID]; e != nil && !isTerminated(e) {
			return m.EmployeeID
		}
		return ""
	}
	// A manager whose hire from an earlier run is still pending is not listed
	// by TriNet: the report goes without a supervisor (and a warning) rather
	// than naming an employee TriNet may never approve. Only a manager hired
	// in this same run is named before TriNet lists them (ManagerStep).
	return ""
}
