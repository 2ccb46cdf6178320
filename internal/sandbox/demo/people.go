package demo

// The demo company, Acme Robotics: the org chart, its sites and departments
// as both systems know them, and what TriNet holds for each person.

// site is one office, known to both systems by the same name.
type site struct {
	key                     string // for the people table
	leapsomeID              string // Leapsome work-location id
	trinetID                string // TriNet location id
	name                    string
	country                 string // as a Leapsome admin typed it
	countryCode             string // TriNet's ISO alpha-2
	street, zip, city, area string
}

var sites = []site{
	{"sf", "64a0c0de0000000000000001", "SF1", "San Francisco", "United States", "US", "1 Market Street", "94105", "San Francisco", "CA"},
	{"ny", "64a0c0de0000000000000002", "NY1", "New York", "United States", "US", "200 Park Avenue", "10166", "New York", "NY"},
	{"to", "64a0c0de0000000000000003", "TO1", "Toronto", "Canada", "CA", "100 King Street West", "M5X 1A9", "Toronto", "ON"},
}

// trinetDepartments are the departments TriNet has; Leapsome also has
// Marketing, which TriNet lacks (department_not_found).
var trinetDepartments = []struct{ id, name string }{
	{"D100", "Engineering"},
	{"D200", "Sales"},
	{"D300", "People"},
	{"D400", "Finance"},
	{"D500", "Executive"},
}

// inTriNet is TriNet's record of a person: the Leapsome values unless a
// field here says otherwise.
type inTriNet struct {
	id        string
	email     string // "" = the Leapsome email
	lastName  string
	title     string
	dept      string // department name
	site      string // site key
	phone     string
	birthDate string
	status    string // "" = A
}

// member is one person of the demo, as Leapsome holds them.
type member struct {
	n          int // Leapsome id suffix; unique
	first      string
	middle     string
	last       string
	email      string
	title      string
	dept       string
	team       string
	site       string
	phone      string
	manager    int // n of the manager, 0 = none
	start      int // start date in days relative to today (negative = past); see noStart
	noStart    bool
	end        int // end date in days relative to today, when ended
	status     string
	lifecycle  string
	gender     string
	birthday   string
	employment string // "Full time" or "Part time" (a custom attribute)
	flsa       string // "Exempt" or "Non-exempt" (a custom attribute)
	trinet     *inTriNet
	why        string // the case this person shows
}

// people: 36 in Leapsome, 20 of them already in TriNet. Years of service are
// given in days so that every date is relative to the seed's "now".
var people = []member{
	// Leadership.
	{n: 1, first: "Olivia", last: "Bennett", email: "olivia.bennett@acme.example", title: "Chief Executive Officer", dept: "Executive", site: "sf",
		phone: "+14155550101", start: -2400, gender: "female", birthday: "1978-04-12", trinet: &inTriNet{id: "00001001"},
		why: "CEO, top of the org chart; in TriNet and unchanged"},
	{n: 2, first: "Marcus", middle: "James", last: "Chen", email: "marcus.chen@acme.example", title: "Chief Technology Officer", dept: "Engineering", site: "sf",
		phone: "+14155550102", manager: 1, start: -2300, gender: "male", birthday: "1981-09-30", trinet: &inTriNet{id: "00001002"},
		why: "has a middle name; unchanged"},
	{n: 3, first: "Priya", last: "Natarajan", email: "priya.natarajan@acme.example", title: "VP Sales", dept: "Sales", site: "ny",
		phone: "+12125550103", manager: 1, start: -2000, gender: "female", birthday: "1983-01-22",
		trinet: &inTriNet{id: "00001003", title: "Sales Director"}, why: "promoted in Leapsome: job title update"},
	{n: 4, first: "Daniel", last: "Okafor", email: "daniel.okafor@acme.example", title: "Head of People", dept: "People", site: "sf",
		phone: "+14155550104", manager: 1, start: -1900, gender: "male", birthday: "1985-06-05", trinet: &inTriNet{id: "00001004"},
		why: "unchanged"},
	{n: 5, first: "Sofia", last: "Alvarez", email: "sofia.alvarez@acme.example", title: "Chief Financial Officer", dept: "Finance", site: "ny",
		phone: "+12125550105", manager: 1, start: -1800, gender: "female", birthday: "1980-11-17",
		trinet: &inTriNet{id: "00001005", lastName: "Ramirez"}, why: "changed her last name in Leapsome: names update"},

	// Engineering.
	{n: 6, first: "Ethan", last: "Walker", email: "ethan.walker@acme.example", title: "Engineering Manager", dept: "Engineering", team: "Platform", site: "sf",
		phone: "+14155550106", manager: 2, start: -1500, gender: "male", birthday: "1986-02-14",
		trinet: &inTriNet{id: "00001006", phone: "+14155550199"}, why: "new phone number in Leapsome: phone update"},
	{n: 7, first: "Chloe", last: "Tremblay", email: "chloe.tremblay@acme.example", title: "Engineering Manager", dept: "Engineering", team: "Mobile", site: "to",
		phone: "+14165550107", manager: 2, start: -1400, gender: "female", birthday: "1988-07-19", trinet: &inTriNet{id: "00001007"},
		why: "in Toronto (Canada); unchanged"},
	{n: 8, first: "Liam", last: "Johnson", email: "liam.johnson@acme.example", title: "Software Engineer", dept: "Engineering", team: "Platform", site: "sf",
		phone: "+14155550108", manager: 6, start: -900, gender: "male", birthday: "1993-03-08", trinet: &inTriNet{id: "00001008"},
		why: "unchanged"},
	{n: 9, first: "Ava", last: "Martin", email: "ava.martin@acme.example", title: "Senior Software Engineer", dept: "Engineering", team: "Platform", site: "sf",
		phone: "+14155550109", manager: 6, start: -800, gender: "female", birthday: "1991-10-02",
		trinet: &inTriNet{id: "00001009", dept: "Sales"}, why: "moved to Engineering in Leapsome: department update"},
	{n: 10, first: "Noah", last: "Roy", email: "noah.roy@acme.example", title: "Software Engineer", dept: "Engineering", team: "Mobile", site: "to",
		phone: "(416) 555-0110", manager: 7, start: -700, gender: "male", birthday: "1995-05-27", trinet: &inTriNet{id: "00001010", phone: "+14165550110"},
		why: "phone in national format (no +): the same number as TriNet's once the work location's country is applied"},
	{n: 11, first: "Mia", last: "Gagnon", email: "mia.gagnon@acme.example", title: "QA Engineer", dept: "Engineering", team: "Mobile", site: "to",
		phone: "+14165550111", manager: 7, start: -600, gender: "female", birthday: "1994-12-11",
		trinet: &inTriNet{id: "00001011", email: "  Mia.Gagnon@ACME.example "}, why: "TriNet's email differs only by case and spaces: still linked"},
	{n: 12, first: "Lucas", last: "Silva", email: "lucas.silva@acme.example", title: "Software Engineer", dept: "Engineering", team: "Platform", site: "sf",
		phone: "+14155550112", manager: 6, start: -2, status: "active", lifecycle: "active", gender: "male", birthday: "1997-08-21",
		why: "new hire who started two days ago: created in TriNet"},
	{n: 13, first: "Oliver", last: "Nguyen", email: "oliver.nguyen@acme.example", title: "Data Engineer", dept: "Engineering", team: "Mobile", site: "to",
		phone: "+14165550113", manager: 7, start: 0, gender: "male", birthday: "1996-01-30",
		why: "new hire starting today"},
	{n: 14, first: "Layla", last: "Hassan", email: "layla.hassan@acme.example", title: "Software Engineer", dept: "Engineering", team: "Platform", site: "sf",
		phone: "+14155550114", manager: 6, start: -21, gender: "female", birthday: "1992-04-03",
		why: "started three weeks ago and never reached TriNet: start_date_too_old"},
	{n: 15, first: "Zoe", last: "Campbell", email: "zoe.campbell@acme.example", title: "Software Engineer", dept: "Engineering", team: "Mobile", site: "to",
		phone: "+14165550115", manager: 7, start: 5, status: "preBoardingActive", lifecycle: "preBoarding", gender: "diverse", birthday: "1998-09-09",
		why: "gender diverse, which TriNet cannot take: unsupported_gender blocks the hire"},
	{n: 16, first: "William", last: "Scott", email: "william.scott@acme.example", title: "Support Engineer", dept: "Engineering", site: "sf",
		phone: "+14155550116", manager: 6, start: -1200, end: -10, lifecycle: "terminated", gender: "male", birthday: "1989-11-23",
		trinet: &inTriNet{id: "00001016"}, why: "terminated in Leapsome, still active in TriNet: not synced, left alone"},
	{n: 17, first: "Nora", last: "Fischer", title: "Working Student", dept: "Engineering", site: "sf",
		phone: "+14155550117", manager: 6, start: -30, gender: "female", birthday: "2001-06-15", employment: "Part time", flsa: "Non-exempt",
		why: "no email: skipped with missing_email"},

	// Sales.
	{n: 18, first: "James", last: "O'Brien", email: "james.obrien@acme.example", title: "Sales Manager", dept: "Sales", team: "East Coast", site: "ny",
		phone: "+12125550118", manager: 3, start: -1300, gender: "male", birthday: "1984-08-08", trinet: &inTriNet{id: "00001018"},
		why: "apostrophe in the last name; unchanged"},
	{n: 19, first: "Jack", last: "Thompson", email: "jack.thompson@acme.example", title: "Account Executive", dept: "Sales", team: "East Coast", site: "ny",
		phone: "+12125550119", manager: 18, start: -700, gender: "male", birthday: "1990-02-02",
		trinet: &inTriNet{id: "00001019", birthDate: "1990-02-20"}, why: "birth date corrected in Leapsome: personals update (sensitive)"},
	{n: 20, first: "Isabella", last: "Rossi", email: "isabella.rossi@acme.example", title: "Account Executive", dept: "Sales", team: "East Coast", site: "ny",
		phone: "+12125550120", manager: 18, start: -500, gender: "female", birthday: "1992-07-07",
		trinet: &inTriNet{id: "00001020", title: "Sales Representative"}, why: "new title in Leapsome: job title update"},
	{n: 21, first: "Leo", last: "Schmidt", email: "leo.schmidt@acme.example", title: "Customer Success Manager", dept: "Sales", site: "to",
		phone: "+14165550121", manager: 3, start: -1000, lifecycle: "leave", gender: "male", birthday: "1987-03-17",
		trinet: &inTriNet{id: "00001021"}, why: "on leave: still synced"},
	{n: 22, first: "Amelia", last: "Turner", email: "amelia.turner@acme.example", title: "Account Executive", dept: "Sales", team: "East Coast", site: "ny",
		phone: "+12125550122", manager: 18, start: 7, status: "preBoardingInvited", lifecycle: "preBoarding", gender: "female", birthday: "1995-10-10",
		why: "future starter (in a week): created ahead of the start date"},
	{n: 23, first: "Mason", last: "Reed", email: "mason.reed@acme.example", title: "Sales Development Representative", dept: "Sales", site: "ny",
		phone: "+12125550123", manager: 18, noStart: true, status: "created", lifecycle: "hired", gender: "male", birthday: "1999-12-01",
		why: "no start date yet: missing_start_date"},
	{n: 24, first: "Alex", last: "Morgan", email: "a.morgan@acme.example", title: "Account Executive", dept: "Sales", site: "ny",
		phone: "+12125550124", manager: 18, start: -1, gender: "male", birthday: "1994-05-05",
		why: "shares a.morgan@ with Alexis Morgan: duplicate_email"},
	{n: 25, first: "Alexis", last: "Morgan", email: "a.morgan@acme.example", title: "Sales Operations Analyst", dept: "Sales", site: "ny",
		phone: "+12125550125", manager: 3, start: -1, gender: "female", birthday: "1996-06-06",
		why: "shares a.morgan@ with Alex Morgan: duplicate_email"},
	{n: 26, first: "Ryan", last: "Cooper", email: "ryan.cooper@acme.example", title: "Account Executive", dept: "Sales", site: "ny",
		phone: "+12125550126", manager: 18, start: -1, gender: "male", birthday: "1988-09-19",
		why: "rehired; his email matches only a terminated TriNet employee: terminated_in_trinet"},
	{n: 27, first: "Henry", last: "Davis", email: "henry.davis@acme.example", title: "Marketing Lead", dept: "Marketing", site: "ny",
		phone: "+12125550127", manager: 1, start: -1100, gender: "male", birthday: "1986-12-24",
		trinet: &inTriNet{id: "00001027", dept: "Sales"}, why: "in Marketing, which TriNet lacks: department_not_found"},

	// People.
	{n: 28, first: "Emily", last: "Park", email: "emily.park@acme.example", title: "Recruiter", dept: "People", site: "sf",
		phone: "+14155550128", manager: 4, start: -650, gender: "female", birthday: "1993-11-11", trinet: &inTriNet{id: "00001028"},
		why: "unchanged"},
	{n: 29, first: "Charlotte", last: "Moreau", email: "charlotte.moreau@acme.example", title: "HR Generalist", dept: "People", site: "to",
		phone: "+14165550129", manager: 4, start: 14, status: "preBoardingActive", lifecycle: "preBoarding", gender: "female", birthday: "1991-01-19",
		why: "future starter (in two weeks), pre-boarding in Leapsome"},
	{n: 30, first: "Hannah", last: "Lewis", email: "hannah.lewis@acme.example", title: "People Operations Coordinator", dept: "People", site: "ny",
		phone: "+12125550130", manager: 4, start: -1, gender: "female", birthday: "1997-02-28", employment: "Part time", flsa: "Non-exempt",
		why: "new hire who started yesterday, part time"},
	{n: 31, first: "Ella", last: "Wood", email: "ella.wood@acme.example", title: "HR Assistant", dept: "People", site: "sf",
		phone: "+14155550131", manager: 4, start: -400, status: "removed", lifecycle: "active", gender: "female", birthday: "1990-04-04",
		why: "account removed in Leapsome: not synced"},

	// Finance.
	{n: 32, first: "Benjamin", last: "Wright", email: "benjamin.wright@acme.example", title: "Controller", dept: "Finance", site: "ny",
		phone: "+12125550132", manager: 5, start: -1600, gender: "male", birthday: "1982-10-31", trinet: &inTriNet{id: "00001032"},
		why: "unchanged"},
	{n: 33, first: "Grace", last: "Kim", email: "grace.kim@acme.example", title: "Accountant", dept: "Finance", site: "ny",
		phone: "+12125550133", manager: 32, start: -450, gender: "female", birthday: "1994-09-14",
		trinet: &inTriNet{id: "00001033", site: "sf"}, why: "moved to New York in Leapsome: location update"},
	{n: 34, first: "Elijah", last: "Brooks", email: "elijah.brooks@acme.example", title: "Financial Analyst", dept: "Finance", site: "ny",
		phone: "+12125550134", manager: 32, start: 30, status: "invited", lifecycle: "hired", gender: "male", birthday: "1998-03-03",
		why: "future starter (in a month), invited"},
	{n: 35, first: "Samuel", last: "Hughes", email: "samuel.hughes@acme.example", title: "Payroll Specialist", dept: "Finance", site: "ny",
		phone: "+12125550135", manager: 32, start: -900, end: -60, lifecycle: "terminated", gender: "male", birthday: "1985-05-15",
		why: "terminated in Leapsome, never in TriNet: not synced"},
	{n: 36, first: "Aria", last: "Patel", email: "aria.patel@acme.example", title: "Billing Specialist", dept: "Finance", site: "ny",
		phone: "+12125550136", manager: 32, start: -300, status: "deactivated", lifecycle: "deactivated", gender: "female", birthday: "1993-08-18",
		why: "account deactivated: not synced"},
}

// trinetOnly are TriNet employees with no Leapsome person of their own.
var trinetOnly = []struct {
	id, first, last, email, title, dept, site, phone, gender, birthDate, status string
}{
	// Ryan Cooper's earlier employment: terminated, so his email links nobody.
	{"00000901", "Ryan", "Cooper", "ryan.cooper@acme.example", "Account Executive", "Sales", "ny", "+12125550126", "M", "1988-09-19", "T"},
	// A contractor managed in TriNet only.
	{"00000902", "Frank", "Miller", "frank.miller@contractor.example", "Facilities Contractor", "Executive", "sf", "+14155550902", "M", "1975-07-04", "A"},
}
