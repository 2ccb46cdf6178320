package trinet

import (
	"encoding/json"
	"time"
)

// Everything this client assumes about TriNet's wire format lives in this file,
// so that correcting the profile (docs/trinet-api.md) against the
// live API is a change here and nowhere else. Each item is tagged as the
// profile tags it: [src] seen in TriNet's public pages or public client code,
// [seed] stated by the product article, [assume] our own assumption.

// Paths. {co} is the company id, {id} an employee id; both are path-escaped.
const (
	pathToken       = "/oauth/accesstoken"                  // [src]
	pathOrgDetails  = "/v1/manage-company/%s/org-details"   // [src]
	pathDepartments = "/v1/company/%s/departments"          // [src]
	pathLocations   = "/v1/company/%s/locations"            // [src]
	pathEmployees   = "/v1/company/%s/employees"            // [src]
	pathHire        = "/v1/hire/%s/employees"               // [src]
	pathNames       = "/v1/identity/%s/%s/names"            // [src]
	pathPersonals   = "/v1/identity/%s/%s/personals"        // [src]
	pathJobs        = "/v1/manage-employee/%s/%s/jobs"      // [src]
	grantType       = "client_credentials"                  // [src] query grant_type
	employeesView   = "All"                                 // [src] viewType=All carries the biographical block
	queryViewType   = "viewType"                            // [src]
	queryOffset     = "offset"                              // [src] 1-based index of the first record
	queryLimit      = "limit"                               // [src] 1..100
	queryGrantType  = "grant_type"                          // [src]
	tokenAuthScheme = "Basic"                               // [src] Basic base64(clientId:clientSecret)
	apiAuthScheme   = "Bearer"                              // [src]
	retryAfterHdr   = "Retry-After"                         // [assume] the gateway sends it with some 429s, in seconds or as an HTTP date
	dateLayout      = "2006-01-02"                          // [src] dates are YYYY-MM-DD
	jsonContentType = "application/json"                    // [src]
	userAgent       = "trinetsync (+leapsome-provisioning)" // ours; identifies the integration in TriNet's logs
)

// Endpoint names, used in logs and error messages (the same names the
// project's sandbox counts calls by).
const (
	epToken       = "token"
	epOrgDetails  = "org-details"
	epDepartments = "departments"
	epLocations   = "locations"
	epEmployees   = "employees"
	epHire        = "hire"
	epNames       = "names"
	epPersonals   = "personals"
	epJobs        = "jobs"
)

// Codes and fixed values.
const (
	hireApprovalStatus      = "I"       // [src, seed] Incomplete: an HR Authorizer approves it in TriNet
	hireReasonCode          = "HIR"     // [src] new hire (REH would be a rehire; never sent)
	defaultRegularTemporary = "R"       // [src] regular, when the engine gives none
	updateNameType          = "PRI"     // [assume] the nameType an update sends for the legal name
	listPrimaryNameType     = "primary" // [src] the nameType that marks the legal name in lists
)

// Limits and timing.
const (
	pageLimit = 100 // [src] the largest page TriNet serves
	// defaultPageWindow is how many pages are fetched at once after the first
	// (ours): enough to hide latency (windows of 2, 4, 8: a 10,000-person
	// company in 15 round trips, where one page at a time takes 100), few
	// enough not to trip TriNet's gateway, and the pace spaces them anyway.
	defaultPageWindow = 8
	// defaultTokenTTL is used when expires_in is missing or not a number
	// [assume]; short, because a 401 costs a renewal anyway.
	defaultTokenTTL = 5 * time.Minute
	// tokenMargin: a token is renewed this long before TriNet says it expires
	// [src: "ask for a new token before expiry"; the length is ours]. Tokens
	// that live less than 4 margins are renewed after three quarters of their life.
	tokenMargin = 60 * time.Second
	// defaultRPS per company (ours) is where the pace starts: TriNet
	// publishes no rate, so the pacer (internal/pacing) learns it from 429s.
	defaultRPS = 10
	// Retry policy (ours; the profile asks for >= 5 retries within a bounded time).
	defaultMaxRetries = 6
	minMaxRetries     = 5
	defaultBaseDelay  = 250 * time.Millisecond
	defaultMaxDelay   = 8 * time.Second
	defaultMaxElapsed = 60 * time.Second
	defaultTimeout    = 30 * time.Second // per attempt, or less when the caller's deadline is sooner
	// maxBody caps what is read from one answer (ours): a full page of 100
	// employees is ~100 KB.
	maxBody = 8 << 20
	// maxMessage caps how much of TriNet's _statusMessage is carried into an error.
	maxMessage = 300
)

// The wire shapes. Field names are TriNet's; scalars are flexString so that a
// number where a string was expected (standardHours [src], ids) still parses.

// envelope wraps every answer, success and error alike [src].
type envelope[T any] struct {
	Data          T          `json:"data"`
	RequestID     flexString `json:"_requestId"`
	StatusCode    flexString `json:"_statusCode"`
	StatusText    flexString `json:"_statusText"`
	StatusMessage flexString `json:"_statusMessage"`
}

// errorData is data in a 400 answer: [assume] data.errors lists the fields.
type errorData struct {
	Errors []struct {
		Field   flexString `json:"field"`
		Message flexString `json:"message"`
	} `json:"errors"`
}

// tokenResponse [src]: every value is a string, expires_in included.
type tokenResponse struct {
	TokenType   flexString `json:"token_type"`
	AccessToken flexString `json:"access_token"`
	ExpiresIn   flexString `json:"expires_in"` // seconds
	IssuedAt    flexString `json:"issued_at"`
	ClientID    flexString `json:"client_id"`
}

type wireOrgDetails struct {
	CompanyID   flexString `json:"companyId"`
	CompanyName flexString `json:"companyName"`
}

type wireDepartment struct {
	DeptID   flexString `json:"deptId"`
	DeptName flexString `json:"deptName"`
}

type wireLocation struct {
	LocationID   flexString `json:"locationId"`
	LocationName flexString `json:"locationName"`
	Country      flexString `json:"country"` // [assume]
}

type wireEmployeePage struct {
	HasMore      flexBool       `json:"hasMore"`
	EmployeeData []wireEmployee `json:"employeeData"`
}

type wireName struct {
	NameType   flexString `json:"nameType"`
	FirstName  flexString `json:"firstName"`
	MiddleName flexString `json:"middleName"`
	LastName   flexString `json:"lastName"`
}

type wireEmployee struct {
	EmployeeID flexString `json:"employeeId"`
	Names      []wireName `json:"names"`
	// [assume] the block and maritalStatus/country in it.
	BiographicalInfo struct {
		Gender        flexString `json:"gender"`
		BirthDate     flexString `json:"birthDate"`
		Ethnicity     flexString `json:"ethnicity"`
		MaritalStatus flexString `json:"maritalStatus"`
		Country       flexString `json:"country"`
	} `json:"biographicalInfo"`
	EmploymentInfo struct {
		EmploymentStatus flexString `json:"employmentStatus"`
		StartDate        flexString `json:"startDate"`
		BusinessTitle    flexString `json:"businessTitle"`
		EmployeeType     flexString `json:"employeeType"`
		FLSACode         flexString `json:"flsaCode"`
		StandardHours    flexString `json:"standardHours"` // [src] string or number
		WorkEmail        flexString `json:"workEmail"`
		WorkPhone        flexString `json:"workPhone"`
		CustomGroupA     flexString `json:"customGroupA"`
		CustomGroupB     flexString `json:"customGroupB"`
		Location         struct {
			LocationID   flexString `json:"locationId"`
			LocationName flexString `json:"locationName"`
		} `json:"location"`
		Department struct {
			DeptID   flexString `json:"deptId"`
			DeptName flexString `json:"deptName"`
		} `json:"department"`
		Supervisor struct {
			SupervisorID flexString `json:"supervisorId"`
		} `json:"supervisor"`
	} `json:"employmentInfo"`
}

// hireRequest is the hire POST body [src shape]. omitempty everywhere: the
// client sends only what it is given.
type hireRequest struct {
	ApprovalStatus   string            `json:"approvalStatus"`
	Name             hireName          `json:"name"`
	BiographicalInfo *hireBio          `json:"biographicalInfo,omitempty"`
	HomeContact      *hireContact      `json:"homeContact,omitempty"`
	EmploymentInfo   hireEmploymentReq `json:"employmentInfo"`
}

type hireName struct {
	FirstName  string `json:"firstName,omitempty"`
	MiddleName string `json:"middleName,omitempty"`
	LastName   string `json:"lastName,omitempty"`
}

type hireBio struct {
	Gender     string `json:"gender,omitempty"`
	Ethnicity  string `json:"ethnicity,omitempty"`
	BirthDate  string `json:"birthDate,omitempty"`
	Country    string `json:"country,omitempty"`    // [assume] on create
	NationalID string `json:"nationalId,omitempty"` // SSN: never logged
}

type hireContact struct {
	Address1   string `json:"address1,omitempty"`
	Address2   string `json:"address2,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	Country    string `json:"country,omitempty"`
}

type hireEmploymentReq struct {
	StartDate            string          `json:"startDate,omitempty"`
	ReasonCode           string          `json:"reasonCode"`
	EmployeeType         string          `json:"employeeType,omitempty"`
	RegularTemporary     string          `json:"regularTemporary,omitempty"`
	BusinessTitle        string          `json:"businessTitle,omitempty"`
	SupervisorID         string          `json:"supervisorId,omitempty"`
	LocationID           string          `json:"locationId,omitempty"`
	WorkEmail            string          `json:"workEmail,omitempty"`
	WorkPhone            string          `json:"workPhone,omitempty"` // [assume] on create
	StandardHoursPerWeek json.Number     `json:"standardHoursPerWeek,omitempty"`
	HomeDepartment       *hireDept       `json:"homeDepartment,omitempty"`
	Compliance           *hireCompliance `json:"compliance,omitempty"`
}

type hireDept struct {
	DeptID string `json:"deptId"`
}

type hireCompliance struct {
	FLSACode string `json:"flsaCode"`
}

// hireResponse [assume]: data carries the new id and its approval status.
type hireResponse struct {
	EmployeeID     flexString `json:"employeeId"`
	ApprovalStatus flexString `json:"approvalStatus"`
}

// Update bodies [src]. In an update an absent field is unchanged.
type namesRequest struct {
	EffectiveDate string `json:"effectiveDate"`
	NameType      string `json:"nameType"`
	// Always the whole name, empty parts included: the engine fills in TriNet's value.
	FirstName  string `json:"firstName"`
	MiddleName string `json:"middleName"`
	LastName   string `json:"lastName"`
}

type personalsRequest struct {
	EffectiveDate string `json:"effectiveDate"`
	Gender        string `json:"gender,omitempty"`
	BirthDate     string `json:"birthDate,omitempty"`
	Ethnicity     string `json:"ethnicity,omitempty"`
	Country       string `json:"country,omitempty"`
	MaritalStatus string `json:"maritalStatus,omitempty"` // [assume]
}

type jobsRequest struct {
	EffectiveDate    string                `json:"effectiveDate"`
	BusinessTitle    string                `json:"businessTitle,omitempty"`
	DeptID           string                `json:"deptId,omitempty"`
	WorkPhone        string                `json:"workPhone,omitempty"`
	EmployeeTransfer *jobsTransfer         `json:"employeeTransfer,omitempty"`
	OptionalGrouping *jobsOptionalGrouping `json:"optionalGrouping,omitempty"`
}

type jobsTransfer struct {
	LocationID string `json:"locationId"`
}

type jobsOptionalGrouping struct {
	GroupA string `json:"groupA,omitempty"`
	GroupB string `json:"groupB,omitempty"`
}
