package trinet

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

// Hire submits a new hire, Incomplete for an HR Authorizer to approve in
// TriNet. It sends only the fields it is given.
//
// TriNet does not deduplicate hires, so Hire never repeats a request that may
// have reached TriNet: a 5xx, a timeout or a dropped connection after the
// request was written gives fault.OutcomeUnknown, and only those do. When the
// request certainly did not reach TriNet — no access token, cancelled before
// sending, no connection after the retries — the error is fault.Transient
// (fault.Throttled for a rate limit, fault.Auth for rejected credentials), so
// the caller may clear the hire and send it again later. A 429 (not applied)
// is retried; a 4xx gives fault.Validation naming TriNet's field when it
// names one. A 2xx whose body lacks the id gives an empty EmployeeID and no
// error.
//
// TriNet's messages may echo the request: every personal value the hire
// carries except the names is removed from them before they reach an error.
func (c *Client) Hire(ctx context.Context, h provision.Hire) (provision.HireResult, error) {
	req, err := hireBody(h)
	if err != nil {
		return provision.HireResult{}, inTargets(epHire, err)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return provision.HireResult{}, fault.Wrap(fault.Validation, err, "trinet hire: encode")
	}
	var res hireResponse
	decoded := false
	err = c.do(ctx, &call{
		endpoint: epHire,
		method:   http.MethodPost,
		path:     c.path(pathHire),
		body:     body,
		once:     true,
		redact:   hireRedactions(h),
		decode: func(b []byte) error {
			var env envelope[hireResponse]
			if err := json.Unmarshal(b, &env); err != nil {
				return err
			}
			res, decoded = env.Data, true
			return nil
		},
	})
	if err != nil {
		return provision.HireResult{}, err
	}
	out := provision.HireResult{
		EmployeeID:     strings.TrimSpace(string(res.EmployeeID)),
		ApprovalStatus: string(res.ApprovalStatus),
	}
	if out.EmployeeID == "" {
		// Applied; the engine links it by work email when it is listed.
		c.log.WarnContext(ctx, "trinet hire: accepted without an employee id", "company", c.rawCo, "readable", decoded)
	}
	return out, nil
}

// hireRedactions are the hire's personal values that must not reach an error
// message even if TriNet echoes them. Names are shown (the admin needs to
// know who); codes (gender, state, country) are too short to cut out of a
// sentence safely and say little on their own.
func hireRedactions(h provision.Hire) []string {
	vals := append([]string{h.NationalID, h.Address1, h.Address2, h.City, h.PostalCode, h.State,
		h.WorkPhone, h.WorkEmail, h.Gender, h.Ethnicity}, dateForms(h.BirthDate)...)
	if d := digitsOnly(h.NationalID); d != h.NationalID {
		vals = append(vals, d)
	}
	if d := digitsOnly(h.WorkPhone); d != h.WorkPhone {
		vals = append(vals, d)
	}
	return vals
}

// dateForms are the ways a YYYY-MM-DD date may be echoed back.
func dateForms(d string) []string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return []string{d}
	}
	return []string{d, t.Format("01/02/2006"), t.Format("1/2/2006"), t.Format("20060102"), t.Format("January 2, 2006")}
}

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func hireBody(h provision.Hire) (hireRequest, error) {
	r := hireRequest{
		ApprovalStatus: hireApprovalStatus,
		Name:           hireName{FirstName: h.FirstName, MiddleName: h.MiddleName, LastName: h.LastName},
		EmploymentInfo: hireEmploymentReq{
			StartDate:        h.StartDate,
			ReasonCode:       hireReasonCode,
			EmployeeType:     h.EmployeeType,
			RegularTemporary: orDefault(h.RegularTemporary, defaultRegularTemporary),
			BusinessTitle:    h.Title,
			SupervisorID:     h.SupervisorID,
			LocationID:       h.LocationID,
			WorkEmail:        h.WorkEmail,
			WorkPhone:        h.WorkPhone,
		},
	}
	if hrs := strings.TrimSpace(h.StandardHours); hrs != "" {
		v, err := strconv.ParseFloat(hrs, 64)
		if err != nil || v < 0 || v > 168 || math.IsNaN(v) {
			return hireRequest{}, fault.Invalid("employmentInfo.standardHoursPerWeek", "must be a number of hours per week")
		}
		r.EmploymentInfo.StandardHoursPerWeek = json.Number(strconv.FormatFloat(v, 'f', -1, 64))
	}
	if h.DeptID != "" {
		r.EmploymentInfo.HomeDepartment = &hireDept{DeptID: h.DeptID}
	}
	if h.FLSACode != "" {
		r.EmploymentInfo.Compliance = &hireCompliance{FLSACode: h.FLSACode}
	}
	bio := hireBio{Gender: h.Gender, Ethnicity: h.Ethnicity, BirthDate: h.BirthDate, Country: h.Country, NationalID: h.NationalID}
	if bio != (hireBio{}) {
		r.BiographicalInfo = &bio
	}
	home := hireContact{Address1: h.Address1, Address2: h.Address2, City: h.City, State: h.State,
		PostalCode: h.PostalCode, Country: h.AddressCountry}
	if home != (hireContact{}) {
		r.HomeContact = &home
	}
	return r, nil
}

// UpdateNames changes the legal name from u.EffectiveDate (today, UTC, when
// empty). It always sends the whole name as given: TriNet replaces all parts.
func (c *Client) UpdateNames(ctx context.Context, employeeID string, u provision.NamesUpdate) error {
	if err := checkEmployeeID(employeeID); err != nil {
		return err
	}
	if strings.TrimSpace(u.FirstName) == "" {
		return fault.Invalid("firstName", "is required in a name change")
	}
	if strings.TrimSpace(u.LastName) == "" {
		return fault.Invalid("lastName", "is required in a name change")
	}
	r := namesBody(u)
	r.EffectiveDate = c.effective(u.EffectiveDate)
	return c.put(ctx, epNames, c.path(pathNames, employeeID), r, nil)
}

// namesBody is the names call's body, without its effective date.
func namesBody(u provision.NamesUpdate) namesRequest {
	return namesRequest{NameType: updateNameType, FirstName: u.FirstName, MiddleName: u.MiddleName, LastName: u.LastName}
}

// UpdatePersonals sends the non-empty fields of u; with none it sends nothing.
func (c *Client) UpdatePersonals(ctx context.Context, employeeID string, u provision.PersonalsUpdate) error {
	if err := checkEmployeeID(employeeID); err != nil {
		return err
	}
	r := personalsBody(u)
	if r == (personalsRequest{}) {
		return nil
	}
	r.EffectiveDate = c.effective(u.EffectiveDate)
	return c.put(ctx, epPersonals, c.path(pathPersonals, employeeID), r,
		append([]string{u.Gender, u.Ethnicity, u.MaritalStatus}, dateForms(u.BirthDate)...))
}

// UpdateJobs sends the non-empty fields of u; with none it sends nothing.
func (c *Client) UpdateJobs(ctx context.Context, employeeID string, u provision.JobsUpdate) error {
	if err := checkEmployeeID(employeeID); err != nil {
		return err
	}
	r := jobsBody(u)
	if r == (jobsRequest{}) {
		return nil
	}
	r.EffectiveDate = c.effective(u.EffectiveDate)
	return c.put(ctx, epJobs, c.path(pathJobs, employeeID), r, []string{u.WorkPhone, digitsOnly(u.WorkPhone)})
}

// personalsBody is the personals call's body, without its effective date;
// only the fields given are set.
func personalsBody(u provision.PersonalsUpdate) personalsRequest {
	return personalsRequest{Gender: u.Gender, BirthDate: u.BirthDate, Ethnicity: u.Ethnicity,
		Country: u.Country, MaritalStatus: u.MaritalStatus}
}

// jobsBody is the jobs call's body, without its effective date; only the
// fields given are set.
func jobsBody(u provision.JobsUpdate) jobsRequest {
	r := jobsRequest{BusinessTitle: u.Title, DeptID: u.DeptID, WorkPhone: u.WorkPhone}
	if u.LocationID != "" {
		r.EmployeeTransfer = &jobsTransfer{LocationID: u.LocationID}
	}
	if u.GroupA != "" || u.GroupB != "" {
		r.OptionalGrouping = &jobsOptionalGrouping{GroupA: u.GroupA, GroupB: u.GroupB}
	}
	return r
}

func (c *Client) put(ctx context.Context, endpoint, path string, v any, redact []string) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fault.Wrap(fault.Validation, err, "trinet %s: encode", endpoint)
	}
	// An update repeats harmlessly (same values, same effective date), so it
	// is retried like a read.
	return c.do(ctx, &call{endpoint: endpoint, method: http.MethodPut, path: path, body: body, redact: redact})
}

// effective is the update's effective date: as given, else today (UTC).
func (c *Client) effective(d string) string {
	if d != "" {
		return d
	}
	return c.now().UTC().Format(dateLayout)
}

func checkEmployeeID(id string) error {
	if strings.TrimSpace(id) == "" || strings.ContainsAny(id, "/?#") {
		return fault.Invalid("employeeId", "must be a TriNet employee id")
	}
	return nil
}
