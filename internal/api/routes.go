package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"trinetsync/internal/provision"
)

func (s *server) health(*http.Request, string) (int, any, error) {
	return http.StatusOK, map[string]string{"status": "ok"}, nil
}

func (s *server) fields(r *http.Request, _ string) (int, any, error) {
	c, err := s.backend.Fields(r.Context())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, CatalogFrom(c), nil
}

type connectBody struct {
	TriNet *struct {
		CompanyID    *string `json:"companyId"`
		ClientID     *string `json:"clientId"`
		ClientSecret *string `json:"clientSecret"`
	} `json:"trinet"`
	Leapsome *struct {
		APISecret *string `json:"apiSecret"`
		SCIMToken *string `json:"scimToken"`
	} `json:"leapsome"`
}

func (b connectBody) request() (ConnectRequest, *apiError) {
	var req ConnectRequest
	var e *apiError
	if b.TriNet == nil {
		return req, badRequest("trinet", "is required")
	}
	if b.Leapsome == nil {
		return req, badRequest("leapsome", "is required")
	}
	if req.TriNet.CompanyID, e = requiredString("trinet.companyId", b.TriNet.CompanyID, 64); e != nil {
		return req, e
	}
	if req.TriNet.ClientID, e = requiredString("trinet.clientId", b.TriNet.ClientID, 512); e != nil {
		return req, e
	}
	if req.TriNet.ClientSecret, e = requiredString("trinet.clientSecret", b.TriNet.ClientSecret, 4096); e != nil {
		return req, e
	}
	if req.Leapsome.APISecret, e = requiredString("leapsome.apiSecret", b.Leapsome.APISecret, 4096); e != nil {
		return req, e
	}
	// An empty or null SCIM token means none: the admin cleared the box.
	if t := b.Leapsome.SCIMToken; t != nil && *t != "" {
		if req.Leapsome.SCIMToken, e = requiredString("leapsome.scimToken", t, 4096); e != nil {
			return req, e
		}
	}
	return req, nil
}

func (s *server) putConnection(r *http.Request, tenant string) (int, any, error) {
	var body connectBody
	if e := decodeBody(r, &body, false); e != nil {
		return 0, nil, e
	}
	req, e := body.request()
	if e != nil {
		return 0, nil, e
	}
	c, err := s.backend.Connect(r.Context(), tenant, req)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renderConnection(c), nil
}

func (s *server) getConnection(r *http.Request, tenant string) (int, any, error) {
	c, err := s.backend.Connection(r.Context(), tenant)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renderConnection(c), nil
}

func (s *server) deleteConnection(r *http.Request, tenant string) (int, any, error) {
	if err := s.backend.Disconnect(r.Context(), tenant); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (s *server) getSettings(r *http.Request, tenant string) (int, any, error) {
	st, err := s.backend.Settings(r.Context(), tenant)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renderSettings(st), nil
}

// maxMappings bounds a settings document; the catalog has about 30 targets.
const maxMappings = 200

type settingsBody struct {
	AutoCreateNewHires   *bool          `json:"autoCreateNewHires"`
	MassCreateMaxPercent *int           `json:"massCreateMaxPercent"`
	Mappings             *[]mappingBody `json:"mappings"`
	Schedule             *scheduleBody  `json:"schedule"`
}

// scheduleBody is {"interval","paused"}, both optional: an absent interval
// is the default, an absent paused is false.
type scheduleBody struct {
	Interval *string `json:"interval"`
	Paused   *bool   `json:"paused"`
}

type mappingBody struct {
	Target   *string           `json:"target"`
	Source   *string           `json:"source"`
	ValueMap map[string]string `json:"valueMap"`
}

// settings checks the document's shape; what the targets and sources mean is
// the Backend's to validate (it answers fault.Invalid naming e.g.
// mappings[2].source). Only mappings is required: an absent (or null)
// autoCreateNewHires is off and massCreateMaxPercent takes the contract's
// default, so a client that only edits mappings cannot switch on creates or
// loosen the brake by leaving them out. An absent (or null) schedule leaves
// Settings.Schedule nil: the Backend keeps the saved one, so that a client
// that only edits mappings cannot resume a paused tenant.
func (b settingsBody) settings() (provision.Settings, *apiError) {
	st := provision.Settings{MassCreateMaxPercent: provision.DefaultMassCreateMaxPercent}
	if b.Mappings == nil {
		return st, badRequest("mappings", "is required")
	}
	if len(*b.Mappings) > maxMappings {
		return st, badRequest("mappings", "must have at most %d entries", maxMappings)
	}
	if b.AutoCreateNewHires != nil {
		st.AutoCreateNewHires = *b.AutoCreateNewHires
	}
	if b.MassCreateMaxPercent != nil {
		st.MassCreateMaxPercent = *b.MassCreateMaxPercent
	}
	if sc := b.Schedule; sc != nil {
		st.Schedule = &provision.Schedule{}
		if sc.Interval != nil {
			st.Schedule.Interval = *sc.Interval
		}
		if sc.Paused != nil {
			st.Schedule.Paused = *sc.Paused
		}
	}
	st.Mappings = make([]provision.Mapping, 0, len(*b.Mappings))
	for i, m := range *b.Mappings {
		at := "mappings[" + strconv.Itoa(i) + "]"
		if m.Target == nil {
			return st, badRequest(at+".target", "is required")
		}
		if m.Source == nil {
			return st, badRequest(at+".source", "is required")
		}
		st.Mappings = append(st.Mappings, provision.Mapping{Target: *m.Target, Source: *m.Source, ValueMap: m.ValueMap})
	}
	return st, nil
}

func (s *server) putSettings(r *http.Request, tenant string) (int, any, error) {
	var body settingsBody
	if e := decodeBody(r, &body, false); e != nil {
		return 0, nil, e
	}
	st, e := body.settings()
	if e != nil {
		return 0, nil, e
	}
	saved, err := s.backend.PutSettings(r.Context(), tenant, st)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renderSettings(saved), nil
}

type triggerBody struct {
	DryRun         bool          `json:"dryRun"`
	ConfirmCreates bool          `json:"confirmCreates"`
	People         *[]string     `json:"people"`
	OnlyFailed     bool          `json:"onlyFailed"`
	ApproveCreates []string      `json:"approveCreates"`
	Settings       *settingsBody `json:"settings"`
}

// request checks the trigger's shape (see TriggerRequest).
func (b triggerBody) request() (TriggerRequest, *apiError) {
	req := TriggerRequest{DryRun: b.DryRun, ConfirmCreates: b.ConfirmCreates, OnlyFailed: b.OnlyFailed}
	var e *apiError
	if b.People != nil {
		if len(*b.People) == 0 {
			return req, badRequest("people", "must name at least one person; leave it out to sync everyone")
		}
		if b.OnlyFailed {
			return req, badRequest("onlyFailed", "cannot be combined with people: name the people, or ask for the failed ones")
		}
		if req.People, e = userIDs("people", *b.People); e != nil {
			return req, e
		}
	}
	if req.ApproveCreates, e = userIDs("approveCreates", b.ApproveCreates); e != nil {
		return req, e
	}
	if req.People != nil {
		for i, id := range b.ApproveCreates {
			if !slices.Contains(req.People, id) {
				return req, badRequest("approveCreates["+strconv.Itoa(i)+"]", "is not among people: a run of some people creates only people it covers")
			}
		}
	}
	if b.Settings != nil {
		if !b.DryRun {
			return req, badRequest("settings", "previews settings on a dry run only: add \"dryRun\": true, or save them with PUT …/settings")
		}
		set, e := b.Settings.settings()
		if e != nil {
			e.Field = "settings." + e.Field
			return req, e
		}
		req.Settings = &set
	}
	return req, nil
}

// userIDs checks a list of Leapsome person ids and drops repeats; nil stays nil.
func userIDs(field string, ids []string) ([]string, *apiError) {
	if len(ids) > MaxTriggerPeople {
		return nil, badRequest(field, "must name at most %d people", MaxTriggerPeople)
	}
	if ids == nil {
		return nil, nil
	}
	out := make([]string, 0, len(ids))
	for i, id := range ids {
		if e := checkID(field+"["+strconv.Itoa(i)+"]", id); e != nil {
			return nil, e
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

func (s *server) trigger(r *http.Request, tenant string) (int, any, error) {
	var body triggerBody
	if e := decodeBody(r, &body, true); e != nil {
		return 0, nil, e
	}
	req, e := body.request()
	if e != nil {
		return 0, nil, e
	}
	run, err := s.backend.Trigger(r.Context(), tenant, req)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, triggerJSON{SyncID: run.SyncID, Status: run.Status}, nil
}

func (s *server) listRuns(r *http.Request, tenant string) (int, any, error) {
	p, e := pageParams(r)
	if e != nil {
		return 0, nil, e
	}
	runs, next, err := s.backend.Runs(r.Context(), tenant, p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renderList(runs, next, renderRun), nil
}

func (s *server) getRun(r *http.Request, tenant string) (int, any, error) {
	id := r.PathValue("syncId")
	if e := checkID("syncId", id); e != nil {
		return 0, nil, e
	}
	run, err := s.backend.Run(r.Context(), tenant, id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renderRun(run), nil
}

func (s *server) getPlan(r *http.Request, tenant string) (int, any, error) {
	id := r.PathValue("syncId")
	if e := checkID("syncId", id); e != nil {
		return 0, nil, e
	}
	p, e := pageParams(r)
	if e != nil {
		return 0, nil, e
	}
	list := s.backend.Plan
	switch r.URL.Query().Get("drift") {
	case "", "false":
	case "true":
		// Drift is an opt-in view beside the contract's plan, which lists no
		// unchanged person: a dry run's people with drift, unchanged or not.
		list = s.backend.Drift
	default:
		return 0, nil, badRequest("drift", "must be true or false")
	}
	items, next, err := list(r.Context(), tenant, id, p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renderList(items, next, renderPlanItem), nil
}

func (s *server) listIssues(r *http.Request, tenant string) (int, any, error) {
	id := r.URL.Query().Get("syncId")
	if r.URL.Query().Has("syncId") {
		if e := checkID("syncId", id); e != nil {
			return 0, nil, e
		}
	}
	p, e := pageParams(r)
	if e != nil {
		return 0, nil, e
	}
	page, err := s.backend.Issues(r.Context(), tenant, id, p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renderIssuePage(page), nil
}

func (s *server) getPerson(r *http.Request, tenant string) (int, any, error) {
	id := r.PathValue("userId")
	if e := checkID("userId", id); e != nil {
		return 0, nil, e
	}
	p, err := s.backend.Person(r.Context(), tenant, id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renderPerson(p), nil
}

func (s *server) listHires(r *http.Request, tenant string) (int, any, error) {
	var state provision.HireState
	switch v := r.URL.Query().Get("state"); v {
	case "":
	case string(provision.HirePending), string(provision.HireUnknown):
		state = provision.HireState(v)
	default:
		return 0, nil, badRequest("state", "must be pending or unknown")
	}
	p, e := pageParams(r)
	if e != nil {
		return 0, nil, e
	}
	hires, next, err := s.backend.Hires(r.Context(), tenant, state, p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renderList(hires, next, renderHire), nil
}

func (s *server) releaseHire(r *http.Request, tenant string) (int, any, error) {
	id := r.PathValue("userId")
	if e := checkID("userId", id); e != nil {
		return 0, nil, e
	}
	if err := s.backend.ReleaseHire(r.Context(), tenant, id); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (s *server) listLinks(r *http.Request, tenant string) (int, any, error) {
	p, e := pageParams(r)
	if e != nil {
		return 0, nil, e
	}
	links, next, err := s.backend.Links(r.Context(), tenant, p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renderList(links, next, renderLink), nil
}

// linkBody is {"employeeId":"…"} or {"employeeId":null}; the key is required,
// so that an empty body never keeps a person out by accident.
type linkBody struct {
	EmployeeID json.RawMessage `json:"employeeId"`
}

func (s *server) putLink(r *http.Request, tenant string) (int, any, error) {
	id := r.PathValue("userId")
	if e := checkID("userId", id); e != nil {
		return 0, nil, e
	}
	var body linkBody
	if e := decodeBody(r, &body, false); e != nil {
		return 0, nil, e
	}
	var employeeID string
	switch raw := bytes.TrimSpace(body.EmployeeID); {
	case len(raw) == 0:
		return 0, nil, badRequest("employeeId", `is required: a TriNet employee id, or null to keep the person out of the sync`)
	case string(raw) == "null":
	default:
		if err := json.Unmarshal(raw, &employeeID); err != nil {
			return 0, nil, badRequest("employeeId", "must be a string or null")
		}
		if e := checkID("employeeId", strings.TrimSpace(employeeID)); e != nil {
			return 0, nil, e
		}
		employeeID = strings.TrimSpace(employeeID)
	}
	l, err := s.backend.SetLink(r.Context(), tenant, id, employeeID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renderLink(l), nil
}

func (s *server) deleteLink(r *http.Request, tenant string) (int, any, error) {
	id := r.PathValue("userId")
	if e := checkID("userId", id); e != nil {
		return 0, nil, e
	}
	if err := s.backend.DeleteLink(r.Context(), tenant, id); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (s *server) listAudit(r *http.Request, tenant string) (int, any, error) {
	p, e := pageParams(r)
	if e != nil {
		return 0, nil, e
	}
	items, next, err := s.backend.Audit(r.Context(), tenant, p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renderList(items, next, renderAudit), nil
}
