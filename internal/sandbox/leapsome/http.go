package leapsome

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// api says which of Leapsome's two APIs a route belongs to: they differ in
// credentials, rate limit and error shape.
type api int

const (
	contentAPI api = iota
	scimAPI
)

// call is what a handler gets once the request passed the pipeline.
type call struct {
	tenantID string
}

type apiHandler func(w http.ResponseWriter, r *http.Request, c call)

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/v1/{$}", s.endpoint(contentAPI, EndpointAPIInfo, s.apiInfo))
	mux.Handle("/v1/token", s.endpoint(contentAPI, EndpointToken, s.token))
	mux.Handle("/v1/employees", s.endpoint(contentAPI, EndpointEmployees, s.listEmployees))
	mux.Handle("/v1/work-locations", s.endpoint(contentAPI, EndpointWorkLocations, s.listWorkLocations))
	mux.Handle("/v1/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeContentError(w, http.StatusNotFound, "no such endpoint")
	}))
	mux.Handle("/scim/v1/Users", s.endpoint(scimAPI, EndpointSCIMUsers, s.listUsers))
	mux.Handle("/scim/v1/Users/{id}", s.endpoint(scimAPI, EndpointSCIMUsers, s.getUser))
	mux.Handle("/scim/v1/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeSCIMError(w, http.StatusNotFound, "Resource not found")
	}))
	s.adminRoutes(mux)
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeContentError(w, http.StatusNotFound, "no such endpoint")
	}))
	return mux
}

// endpoint runs the steps every API call shares, in the order a real
// gateway would: find the tenant from the credentials, count the call,
// inject faults, enforce the rate limit, then authenticate.
func (s *Server) endpoint(which api, name string, h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := writeContentError
		if which == scimAPI {
			fail = writeSCIMError
		}
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			fail(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		tenantID, authErr := s.authenticate(which, name, r)
		if tenantID == "" {
			fail(w, authErr, authMessage(authErr))
			return
		}
		act := s.admit(tenantID, which, name)
		if act.latency > 0 {
			timer := time.NewTimer(act.latency)
			select {
			case <-r.Context().Done():
				timer.Stop()
				return
			case <-timer.C:
			}
		}
		switch {
		case act.drop:
			dropConnection(w)
			return
		case act.throttle:
			if act.retryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(act.retryAfter))
			}
			fail(w, http.StatusTooManyRequests, "too many requests")
			return
		case act.serverError:
			fail(w, http.StatusInternalServerError, "internal server error")
			return
		}
		if authErr != 0 {
			fail(w, authErr, authMessage(authErr))
			return
		}
		h(w, r, call{tenantID: tenantID})
	})
}

func authMessage(status int) string {
	if status == http.StatusForbidden {
		return "Invalid token passed"
	}
	return "authorization failed"
}

// authenticate finds the tenant the request's credentials belong to and
// whether they are good: (tenant, 0) is a good call; (tenant, status) names
// the tenant but fails (an expired token); ("", status) names nobody.
func (s *Server) authenticate(which api, name string, r *http.Request) (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if which == scimAPI {
		if id, ok := s.byToken[bearer(r)]; ok {
			return id, 0
		}
		return "", http.StatusForbidden
	}
	if name == EndpointToken {
		if id, ok := s.bySecret[r.URL.Query().Get("secret")]; ok {
			return id, 0
		}
		return "", http.StatusUnauthorized
	}
	tok, ok := s.tokens[bearer(r)]
	if !ok {
		return "", http.StatusUnauthorized
	}
	if !s.now().Before(tok.expires) {
		return tok.tenantID, http.StatusUnauthorized
	}
	return tok.tenantID, 0
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// action is what the faults and the rate limit decided for one call.
type action struct {
	latency     time.Duration
	drop        bool
	throttle    bool
	retryAfter  int
	serverError bool
}

func (s *Server) admit(tenantID string, which api, name string) action {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tenants[tenantID]
	if !ok {
		return action{}
	}
	t.calls[name]++
	var act action
	f := &t.faults
	if f.Endpoint == "" || f.Endpoint == name {
		act.latency = f.Latency
		switch {
		case f.Drop > 0:
			f.Drop--
			act.drop = true
		case f.Throttle > 0:
			f.Throttle--
			act.throttle, act.retryAfter = true, f.RetryAfter
		case f.ServerErrors > 0:
			f.ServerErrors--
			act.serverError = true
		}
	}
	if s.enforceRateLimits && !act.drop && !act.throttle && !act.serverError {
		limiter := t.content
		if which == scimAPI {
			limiter = t.scim
		}
		if !limiter.AllowN(s.now(), 1) {
			// Leapsome does not document Retry-After; the sandbox sends one so
			// that clients honouring it are exercised too.
			act.throttle, act.retryAfter = true, 1
		}
	}
	return act
}

// dropConnection closes the connection without writing a response, as a
// crashed load balancer would; the client sees EOF or a reset.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeContentError answers in the shape Leapsome's Node backend uses for
// errors; the Content API document does not describe error bodies.
func writeContentError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{
		"statusCode": status,
		"error":      http.StatusText(status),
		"message":    msg,
	})
}

// writeSCIMError answers with the SCIM error message schema (RFC 7644 §3.12),
// which the SCIM document shows for its 404.
func writeSCIMError(w http.ResponseWriter, status int, detail string) {
	// application/json (writeJSON's), not application/scim+json: Leapsome's
	// SCIM document declares application/json for its bodies.
	writeJSON(w, status, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:Error"},
		"detail":  detail,
		"status":  strconv.Itoa(status),
	})
}

// intParam reads an optional integer query parameter within [lo, hi]
// (hi < 0: unbounded); the error text names the parameter.
func intParam(r *http.Request, name string, def, lo, hi int) (int, string) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return def, ""
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		return 0, name + " must be an integer"
	}
	if n < lo || (hi >= 0 && n > hi) {
		if hi < 0 {
			return 0, name + " must be at least " + strconv.Itoa(lo)
		}
		return 0, name + " must be between " + strconv.Itoa(lo) + " and " + strconv.Itoa(hi)
	}
	return n, ""
}

// window returns the bounds of one page of n items: 0-based offset off and
// size size, clamped to n.
func window(n, off, size int) (int, int) {
	if off >= n || off < 0 {
		return n, n
	}
	end := n
	if size < n-off {
		end = off + size
	}
	return off, end
}
