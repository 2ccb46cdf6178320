package trinet

import (
	"net/http"
	"strconv"
	"strings"
)

const maxPage = 100

type nameRecord struct {
	NameType   string `json:"nameType"`
	FirstName  string `json:"firstName"`
	MiddleName string `json:"middleName"`
	LastName   string `json:"lastName"`
}

type bioRecord struct {
	Gender        string `json:"gender"`
	BirthDate     string `json:"birthDate"`
	Ethnicity     string `json:"ethnicity"`
	MaritalStatus string `json:"maritalStatus"`
	Country       string `json:"country"`
}

type locationRef struct {
	LocationID   string `json:"locationId"`
	LocationName string `json:"locationName"`
}

type departmentRef struct {
	DeptID   string `json:"deptId"`
	DeptName string `json:"deptName"`
}

type supervisorRef struct {
	SupervisorID   string `json:"supervisorId"`
	SupervisorName string `json:"supervisorName"`
}

type employmentRecord struct {
	EmploymentStatus string        `json:"employmentStatus"`
	StartDate        string        `json:"startDate"`
	BusinessTitle    string        `json:"businessTitle"`
	EmployeeType     string        `json:"employeeType"`
	FLSACode         string        `json:"flsaCode"`
	StandardHours    string        `json:"standardHours"`
	WorkEmail        string        `json:"workEmail"`
	WorkPhone        string        `json:"workPhone"`
	CustomGroupA     string        `json:"customGroupA"`
	CustomGroupB     string        `json:"customGroupB"`
	Location         locationRef   `json:"location"`
	Department       departmentRef `json:"department"`
	Supervisor       supervisorRef `json:"supervisor"`
}

type employeeRecord struct {
	EmployeeID       string           `json:"employeeId"`
	Names            []nameRecord     `json:"names"`
	BiographicalInfo bioRecord        `json:"biographicalInfo"`
	EmploymentInfo   employmentRecord `json:"employmentInfo"`
}

type employeePage struct {
	HasMore      bool             `json:"hasMore"`
	EmployeeData []employeeRecord `json:"employeeData"`
}

// listed says whether TriNet's list shows e: approved, and started by today.
// Terminated employees stay listed.
func listed(e *Employee, today string) bool {
	if e.pending() {
		return false
	}
	// Dates are YYYY-MM-DD, so string order is date order.
	return e.StartDate == "" || e.StartDate <= today
}

func pageParam(r *http.Request, name string, def int) (int, *fieldError) {
	v, present := r.URL.Query()[name]
	if !present {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v[0]))
	if err != nil {
		return 0, &fieldError{Field: name, Message: "must be a whole number"}
	}
	return n, nil
}

func (s *Server) listEmployees(r *http.Request, co *company) response {
	var errs []fieldError
	if v, present := r.URL.Query()["viewType"]; present && v[0] != "All" {
		errs = append(errs, fieldError{Field: "viewType", Message: "must be All"})
	}
	offset, ferr := pageParam(r, "offset", 1)
	if ferr != nil {
		errs = append(errs, *ferr)
	} else if offset < 1 {
		errs = append(errs, fieldError{Field: "offset", Message: "must be 1 or more (the 1-based index of the first record)"})
	}
	limit, ferr := pageParam(r, "limit", maxPage)
	if ferr != nil {
		errs = append(errs, *ferr)
	} else if limit < 1 || limit > maxPage {
		errs = append(errs, fieldError{Field: "limit", Message: "must be between 1 and 100"})
	}
	if len(errs) > 0 {
		return invalid(errs)
	}

	today := s.today()
	s.mu.Lock()
	defer s.mu.Unlock()
	page := employeePage{EmployeeData: make([]employeeRecord, 0, min(limit, len(co.order)))}
	index := 0
	for _, id := range co.order {
		e := co.employees[id]
		if !listed(e, today) {
			continue
		}
		index++
		if index < offset {
			continue
		}
		if len(page.EmployeeData) == limit {
			page.HasMore = true
			break
		}
		page.EmployeeData = append(page.EmployeeData, co.record(e))
	}
	return ok(page)
}

// record renders e as the list shows it. Callers hold s.mu.
func (co *company) record(e *Employee) employeeRecord {
	rec := employeeRecord{
		EmployeeID: e.ID,
		Names: []nameRecord{{
			NameType: "primary", FirstName: e.FirstName, MiddleName: e.MiddleName, LastName: e.LastName,
		}},
		BiographicalInfo: bioRecord{
			Gender: e.Gender, BirthDate: e.BirthDate, Ethnicity: e.Ethnicity,
			MaritalStatus: e.MaritalStatus, Country: e.Country,
		},
		EmploymentInfo: employmentRecord{
			EmploymentStatus: e.Status,
			StartDate:        e.StartDate,
			BusinessTitle:    e.Title,
			EmployeeType:     e.EmployeeType,
			FLSACode:         e.FLSACode,
			StandardHours:    e.StandardHours,
			WorkEmail:        e.WorkEmail,
			WorkPhone:        e.WorkPhone,
			CustomGroupA:     e.CustomGroupA,
			CustomGroupB:     e.CustomGroupB,
			Location:         locationRef{LocationID: e.LocationID, LocationName: co.locs[e.LocationID].Name},
			Department:       departmentRef{DeptID: e.DeptID, DeptName: co.depts[e.DeptID].Name},
			Supervisor:       supervisorRef{SupervisorID: e.SupervisorID},
		},
	}
	if sup, found := co.employees[e.SupervisorID]; found && e.SupervisorID != "" {
		rec.EmploymentInfo.Supervisor.SupervisorName = strings.TrimSpace(sup.FirstName + " " + sup.LastName)
	}
	return rec
}

type hireResult struct {
	EmployeeID     string `json:"employeeId"`
	ApprovalStatus string `json:"approvalStatus"`
}

func (s *Server) hire(co *company, body []byte) response {
	doc, errs := parseObject(body)
	if errs != nil {
		return invalid(errs)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v := &vctx{co: co, today: s.today()}
	if errs := v.walk(doc, hireSchema, ""); len(errs) > 0 {
		return invalid(errs)
	}
	e := &Employee{Status: "A", ApprovalStatus: approvalPending}
	set := setter(doc)
	set(&e.FirstName, "name.firstName")
	set(&e.MiddleName, "name.middleName")
	set(&e.LastName, "name.lastName")
	set(&e.Gender, "biographicalInfo.gender")
	set(&e.Ethnicity, "biographicalInfo.ethnicity")
	set(&e.BirthDate, "biographicalInfo.birthDate")
	set(&e.Country, "biographicalInfo.country")
	set(&e.NationalID, "biographicalInfo.nationalId")
	set(&e.Address1, "homeContact.address1")
	set(&e.Address2, "homeContact.address2")
	set(&e.City, "homeContact.city")
	set(&e.State, "homeContact.state")
	set(&e.PostalCode, "homeContact.postalCode")
	set(&e.AddressCountry, "homeContact.country")
	set(&e.StartDate, "employmentInfo.startDate")
	set(&e.EmployeeType, "employmentInfo.employeeType")
	set(&e.Title, "employmentInfo.businessTitle")
	set(&e.SupervisorID, "employmentInfo.supervisorId")
	set(&e.LocationID, "employmentInfo.locationId")
	set(&e.WorkEmail, "employmentInfo.workEmail")
	set(&e.WorkPhone, "employmentInfo.workPhone")
	set(&e.DeptID, "employmentInfo.homeDepartment.deptId")
	set(&e.FLSACode, "employmentInfo.compliance.flsaCode")
	if h, present := num(doc, "employmentInfo.standardHoursPerWeek"); present {
		e.StandardHours = strconv.FormatFloat(h, 'f', -1, 64)
	}
	co.put(e)
	return ok(hireResult{EmployeeID: e.ID, ApprovalStatus: approvalPending})
}

// setter copies the string at a path of doc into a field, when doc has one
// there; a field doc does not name keeps its value.
func setter(doc map[string]any) func(dst *string, path string) {
	return func(dst *string, path string) {
		if val, present := str(doc, path); present {
			*dst = val
		}
	}
}

type updateResult struct {
	EmployeeID    string `json:"employeeId"`
	EffectiveDate string `json:"effectiveDate"`
}

// update applies one effective-dated update call. The change takes effect at
// once whatever the effective date: the sandbox keeps no history.
func (s *Server) update(co *company, endpoint, id string, body []byte) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, found := co.employees[id]
	if !found || e.pending() {
		// TriNet does not reveal pending hires through the update calls.
		return fail(http.StatusNotFound, "Employee "+id+" not found")
	}
	doc, errs := parseObject(body)
	if errs != nil {
		return invalid(errs)
	}
	v := &vctx{co: co, today: s.today()}
	errs = v.walk(doc, updateSchemas[endpoint], "")
	if len(errs) == 0 && endpoint != epNames && !hasUpdate(doc) {
		errs = []fieldError{{Field: "body", Message: "no field to update besides effectiveDate"}}
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	set := setter(doc)
	switch endpoint {
	case epNames:
		set(&e.FirstName, "firstName")
		set(&e.MiddleName, "middleName")
		set(&e.LastName, "lastName")
	case epPersonals:
		set(&e.Gender, "gender")
		set(&e.BirthDate, "birthDate")
		set(&e.Ethnicity, "ethnicity")
		set(&e.Country, "country")
		set(&e.MaritalStatus, "maritalStatus")
	case epJobs:
		set(&e.Title, "businessTitle")
		set(&e.DeptID, "deptId")
		set(&e.WorkPhone, "workPhone")
		set(&e.LocationID, "employeeTransfer.locationId")
		set(&e.CustomGroupA, "optionalGrouping.groupA")
		set(&e.CustomGroupB, "optionalGrouping.groupB")
	}
	eff, _ := str(doc, "effectiveDate")
	return ok(updateResult{EmployeeID: id, EffectiveDate: eff})
}

// hasUpdate says whether an update body carries a field besides effectiveDate.
func hasUpdate(doc map[string]any) bool {
	for k, v := range doc {
		if k == "effectiveDate" || v == nil {
			continue
		}
		if m, isObj := v.(map[string]any); isObj && !hasUpdate(m) {
			continue
		}
		return true
	}
	return false
}
