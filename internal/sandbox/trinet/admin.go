package trinet

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The admin surface mirrors the Go API over HTTP for the local stack and for
// people poking at it with curl. It has no authentication: it only ever
// listens on loopback. Answers use the API's envelope.

const (
	adCompanies    = "companies"
	adEmployees    = "employees"
	adEmployee     = "employee"
	adApprove      = "approve"
	adWrites       = "writes"
	adCalls        = "calls"
	adFaults       = "faults"
	adLimit        = "limit"
	adReset        = "reset-counters"
	adExpireTokens = "expire-tokens"
)

var adminRoutes = []route{
	{"/_admin/companies", []string{http.MethodGet, http.MethodPost}, adCompanies},
	{"/_admin/companies/{co}/employees", []string{http.MethodGet, http.MethodPost}, adEmployees},
	{"/_admin/companies/{co}/employees/{id}", []string{http.MethodGet, http.MethodPut, http.MethodDelete}, adEmployee},
	{"/_admin/companies/{co}/employees/{id}/approve", []string{http.MethodPost}, adApprove},
	{"/_admin/companies/{co}/writes", []string{http.MethodGet}, adWrites},
	{"/_admin/companies/{co}/calls", []string{http.MethodGet}, adCalls},
	{"/_admin/companies/{co}/faults", []string{http.MethodGet, http.MethodPut}, adFaults},
	{"/_admin/companies/{co}/limit", []string{http.MethodGet, http.MethodPut}, adLimit},
	{"/_admin/companies/{co}/reset-counters", []string{http.MethodPost}, adReset},
	{"/_admin/expire-tokens", []string{http.MethodPost}, adExpireTokens},
}

// faultsJSON is Faults on the wire: latency as a Go duration string
// ("250ms") or a number of milliseconds.
type faultsJSON struct {
	Latency          json.RawMessage `json:"latency,omitempty"`
	Throttle         int             `json:"throttle"`
	RetryAfter       int             `json:"retryAfter"`
	ServerErrors     int             `json:"serverErrors"`
	Drop             int             `json:"drop"`
	LoseHireResponse int             `json:"loseHireResponse"`
	Endpoint         string          `json:"endpoint"`
}

var errBadLatency = errors.New("latency: must be a duration such as \"250ms\" or a number of milliseconds")

func (f faultsJSON) faults() (Faults, error) {
	out := Faults{
		Throttle: f.Throttle, RetryAfter: f.RetryAfter, ServerErrors: f.ServerErrors,
		Drop: f.Drop, LoseHireResponse: f.LoseHireResponse, Endpoint: f.Endpoint,
	}
	if len(f.Latency) > 0 && string(f.Latency) != "null" {
		var ms float64
		var text string
		switch {
		case json.Unmarshal(f.Latency, &ms) == nil:
			out.Latency = time.Duration(ms * float64(time.Millisecond))
		case json.Unmarshal(f.Latency, &text) == nil:
			d, err := time.ParseDuration(text)
			if err != nil {
				return Faults{}, errBadLatency
			}
			out.Latency = d
		default:
			return Faults{}, errBadLatency
		}
	}
	if out.Latency < 0 || out.Throttle < 0 || out.RetryAfter < 0 || out.ServerErrors < 0 || out.Drop < 0 || out.LoseHireResponse < 0 {
		return Faults{}, errors.New("faults must not be negative")
	}
	return out, nil
}

func faultsToJSON(f Faults) faultsJSON {
	lat, _ := json.Marshal(f.Latency.String())
	return faultsJSON{
		Latency: lat, Throttle: f.Throttle, RetryAfter: f.RetryAfter, ServerErrors: f.ServerErrors,
		Drop: f.Drop, LoseHireResponse: f.LoseHireResponse, Endpoint: f.Endpoint,
	}
}

type companySummary struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	ClientID    string       `json:"clientId"`
	Departments []Department `json:"departments"`
	Locations   []Location   `json:"locations"`
}

func summary(c *Company) companySummary {
	// The client secret is never echoed.
	return companySummary{ID: c.ID, Name: c.Name, ClientID: c.ClientID, Departments: c.Departments, Locations: c.Locations}
}

func decodeStrict(body io.Reader, dst any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

func (s *Server) adminHandler(rt *route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !rt.allows(r.Method) {
			s.write(w, rt.methodNotAllowed(r.Method))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			s.write(w, fail(http.StatusRequestEntityTooLarge, "request body too large or unreadable"))
			return
		}
		s.write(w, s.admin(r.Method, rt.endpoint, paramsOf(r), body))
	})
}

func badRequest(err error) response { return fail(http.StatusBadRequest, err.Error()) }

func (s *Server) hasCompany(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, found := s.companies[id]
	return found
}

func (s *Server) admin(method, endpoint string, p params, body []byte) response {
	if p.co != "" && !s.hasCompany(p.co) {
		return fail(http.StatusNotFound, "Unknown company "+p.co)
	}
	switch endpoint {
	case adCompanies:
		if method == http.MethodGet {
			s.mu.Lock()
			out := make([]companySummary, 0, len(s.companies))
			for _, co := range s.companies {
				out = append(out, summary(&co.Company))
			}
			s.mu.Unlock()
			slices.SortFunc(out, func(a, b companySummary) int { return strings.Compare(a.ID, b.ID) })
			return ok(out)
		}
		var c Company
		if err := decodeStrict(bytes.NewReader(body), &c); err != nil {
			return badRequest(err)
		}
		if err := s.AddCompany(c); err != nil {
			return badRequest(err)
		}
		resp := ok(summary(&c))
		resp.status = http.StatusCreated
		return resp

	case adEmployees:
		if method == http.MethodGet {
			return ok(s.Employees(p.co))
		}
		var e Employee
		if err := decodeStrict(bytes.NewReader(body), &e); err != nil {
			return badRequest(err)
		}
		e.ID = ""
		stored, err := s.PutEmployee(p.co, e)
		if err != nil {
			return badRequest(err)
		}
		resp := ok(stored)
		resp.status = http.StatusCreated
		return resp

	case adEmployee:
		if method == http.MethodDelete {
			if err := s.RemoveEmployee(p.co, p.id); err != nil {
				return fail(http.StatusNotFound, "Employee "+p.id+" not found")
			}
			return ok(map[string]string{"employeeId": p.id, "removed": "true"})
		}
		e, found := s.Employee(p.co, p.id)
		if method == http.MethodGet {
			if !found {
				return fail(http.StatusNotFound, "Employee "+p.id+" not found")
			}
			return ok(e)
		}
		// A partial JSON document edits only the fields it names, as an
		// admin editing one field in TriNet's UI would.
		if err := decodeStrict(bytes.NewReader(body), &e); err != nil {
			return badRequest(err)
		}
		e.ID = p.id
		stored, err := s.PutEmployee(p.co, e)
		if err != nil {
			return badRequest(err)
		}
		return ok(stored)

	case adApprove:
		if err := s.Approve(p.co, p.id); err != nil {
			return fail(http.StatusNotFound, "Employee "+p.id+" not found")
		}
		e, _ := s.Employee(p.co, p.id)
		return ok(e)

	case adWrites:
		return ok(s.Writes(p.co))

	case adCalls:
		return ok(s.Calls(p.co))

	case adFaults:
		if method == http.MethodPut {
			var fj faultsJSON
			if err := decodeStrict(bytes.NewReader(body), &fj); err != nil {
				return badRequest(err)
			}
			f, err := fj.faults()
			if err != nil {
				return badRequest(err)
			}
			s.SetFaults(p.co, f)
		}
		s.mu.Lock()
		f := s.companies[p.co].faults
		s.mu.Unlock()
		return ok(faultsToJSON(f))

	case adLimit:
		if method == http.MethodPut {
			var l Limit
			if err := decodeStrict(bytes.NewReader(body), &l); err != nil {
				return badRequest(err)
			}
			if err := s.SetLimit(p.co, l); err != nil {
				return badRequest(err)
			}
		}
		l, _ := s.LimitOf(p.co)
		return ok(l)

	case adReset:
		s.ResetCounters(p.co)
		return ok(map[string]string{"companyId": p.co})

	case adExpireTokens:
		s.ExpireTokens()
		return ok(map[string]string{"expired": "all"})
	}
	return fail(http.StatusNotFound, "No resource")
}
