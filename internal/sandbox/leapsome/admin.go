package leapsome

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"trinetsync/internal/fault"
)

// The admin surface mirrors the Go API over HTTP (no auth) so that the local
// stack and people trying the demo can change Leapsome data by hand.
func (s *Server) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /_admin/tenants", s.adminAddTenant)
	mux.HandleFunc("GET /_admin/tenants/{t}/employees", s.adminListEmployees)
	mux.HandleFunc("POST /_admin/tenants/{t}/employees", s.adminCreateEmployee)
	mux.HandleFunc("GET /_admin/tenants/{t}/employees/{id}", s.adminGetEmployee)
	mux.HandleFunc("PUT /_admin/tenants/{t}/employees/{id}", s.adminPutEmployee)
	mux.HandleFunc("DELETE /_admin/tenants/{t}/employees/{id}", s.adminDeleteEmployee)
	mux.HandleFunc("GET /_admin/tenants/{t}/work-locations", s.adminListWorkLocations)
	mux.HandleFunc("PUT /_admin/tenants/{t}/work-locations/{id}", s.adminPutWorkLocation)
	mux.HandleFunc("PUT /_admin/tenants/{t}/faults", s.adminSetFaults)
	mux.HandleFunc("GET /_admin/tenants/{t}/calls", s.adminCalls)
	mux.HandleFunc("DELETE /_admin/tenants/{t}/calls", s.adminResetCalls)
	mux.HandleFunc("POST /_admin/expire-tokens", s.adminExpireTokens)
	mux.HandleFunc("/_admin/", func(w http.ResponseWriter, _ *http.Request) {
		writeAdminError(w, fault.New(fault.NotFound, "no such admin endpoint"))
	})
}

// adminFaults is Faults on the wire: latency as a Go duration ("250ms").
type adminFaults struct {
	Latency      string `json:"latency,omitempty"`
	Throttle     int    `json:"throttle,omitempty"`
	RetryAfter   int    `json:"retryAfter,omitempty"`
	ServerErrors int    `json:"serverErrors,omitempty"`
	Drop         int    `json:"drop,omitempty"`
	Endpoint     string `json:"endpoint,omitempty"`
}

const maxAdminBody = 1 << 20

func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAdminBody+1))
	if err != nil {
		return fault.Wrap(fault.Validation, err, "reading body")
	}
	if len(body) > maxAdminBody {
		return fault.Invalid("body", "larger than %d bytes", maxAdminBody)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fault.Invalid("body", "not valid JSON for this endpoint: %v", err)
	}
	return nil
}

func writeAdminError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, fault.ErrValidation):
		status = http.StatusBadRequest
	case errors.Is(err, fault.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, fault.ErrConflict):
		status = http.StatusConflict
	}
	body := map[string]string{"error": err.Error()}
	if f := fault.FieldOf(err); f != "" {
		body["field"] = f
	}
	writeJSON(w, status, body)
}

func (s *Server) knownTenant(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.tenant(id)
	return err
}

func (s *Server) adminAddTenant(w http.ResponseWriter, r *http.Request) {
	var t Tenant
	if err := decodeBody(r, &t); err != nil {
		writeAdminError(w, err)
		return
	}
	if err := s.AddTenant(t); err != nil {
		writeAdminError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": t.ID})
}

func (s *Server) adminListEmployees(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("t")
	if err := s.knownTenant(id); err != nil {
		writeAdminError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.Employees(id))
}

func (s *Server) adminCreateEmployee(w http.ResponseWriter, r *http.Request) {
	var e Employee
	if err := decodeBody(r, &e); err != nil {
		writeAdminError(w, err)
		return
	}
	if e.ID != "" {
		writeAdminError(w, fault.Invalid("id", "assigned by the sandbox; use PUT to choose one"))
		return
	}
	e, err := s.CreateEmployee(r.PathValue("t"), e)
	if err != nil {
		writeAdminError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, e)
}

func (s *Server) adminGetEmployee(w http.ResponseWriter, r *http.Request) {
	t, id := r.PathValue("t"), r.PathValue("id")
	if err := s.knownTenant(t); err != nil {
		writeAdminError(w, err)
		return
	}
	e, ok := s.Employee(t, id)
	if !ok {
		writeAdminError(w, fault.New(fault.NotFound, "employee %q not found", id))
		return
	}
	writeJSON(w, http.StatusOK, e)
}

// adminPutEmployee merges the body's fields over the stored person (or a new
// one with that id): fields the body leaves out keep their values.
func (s *Server) adminPutEmployee(w http.ResponseWriter, r *http.Request) {
	t, id := r.PathValue("t"), r.PathValue("id")
	if err := s.knownTenant(t); err != nil {
		writeAdminError(w, err)
		return
	}
	e, existed := s.Employee(t, id)
	if err := decodeBody(r, &e); err != nil {
		writeAdminError(w, err)
		return
	}
	e.ID = id
	e, err := s.CreateEmployee(t, e)
	if err != nil {
		writeAdminError(w, err)
		return
	}
	status := http.StatusOK
	if !existed {
		status = http.StatusCreated
	}
	writeJSON(w, status, e)
}

func (s *Server) adminDeleteEmployee(w http.ResponseWriter, r *http.Request) {
	if err := s.DeleteEmployee(r.PathValue("t"), r.PathValue("id")); err != nil {
		writeAdminError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminListWorkLocations(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("t")
	if err := s.knownTenant(id); err != nil {
		writeAdminError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.WorkLocations(id))
}

func (s *Server) adminPutWorkLocation(w http.ResponseWriter, r *http.Request) {
	var l WorkLocation
	if err := decodeBody(r, &l); err != nil {
		writeAdminError(w, err)
		return
	}
	l.ID = r.PathValue("id")
	if err := s.PutWorkLocation(r.PathValue("t"), l); err != nil {
		writeAdminError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

func (s *Server) adminSetFaults(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("t")
	if err := s.knownTenant(id); err != nil {
		writeAdminError(w, err)
		return
	}
	var af adminFaults
	if err := decodeBody(r, &af); err != nil {
		writeAdminError(w, err)
		return
	}
	f := Faults{Throttle: af.Throttle, RetryAfter: af.RetryAfter, ServerErrors: af.ServerErrors, Drop: af.Drop, Endpoint: af.Endpoint}
	if af.Latency != "" {
		d, err := time.ParseDuration(af.Latency)
		if err != nil || d < 0 {
			writeAdminError(w, fault.Invalid("latency", "want a duration such as \"250ms\""))
			return
		}
		f.Latency = d
	}
	switch f.Endpoint {
	case "", EndpointToken, EndpointEmployees, EndpointWorkLocations, EndpointSCIMUsers, EndpointAPIInfo:
	default:
		writeAdminError(w, fault.Invalid("endpoint", "unknown endpoint %q", f.Endpoint))
		return
	}
	if f.Throttle < 0 || f.ServerErrors < 0 || f.Drop < 0 || f.RetryAfter < 0 {
		writeAdminError(w, fault.Invalid("body", "counters must not be negative"))
		return
	}
	s.SetFaults(id, f)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminCalls(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("t")
	if err := s.knownTenant(id); err != nil {
		writeAdminError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.Calls(id))
}

func (s *Server) adminResetCalls(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("t")
	if err := s.knownTenant(id); err != nil {
		writeAdminError(w, err)
		return
	}
	s.ResetCalls(id)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminExpireTokens(w http.ResponseWriter, _ *http.Request) {
	s.ExpireTokens()
	w.WriteHeader(http.StatusNoContent)
}
