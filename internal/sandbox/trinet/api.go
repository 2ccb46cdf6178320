package trinet

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Endpoint names, as Calls and Faults.Endpoint use them.
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

// maxBody bounds request bodies; TriNet's are a few hundred bytes.
const maxBody = 1 << 20

// route is one path of the API or the admin surface, served by Go's
// ServeMux (method and path patterns): each method it takes is a pattern of
// its own, and the bare path answers every other method 405 with Allow.
type route struct {
	pattern  string // a ServeMux path pattern; {co} and {id} are wildcards
	methods  []string
	endpoint string
}

// params are a request's path wildcards.
type params struct{ co, id string }

func paramsOf(r *http.Request) params { return params{co: r.PathValue("co"), id: r.PathValue("id")} }

var apiRoutes = []route{
	{"/oauth/accesstoken", []string{http.MethodGet, http.MethodPost}, epToken},
	{"/v1/manage-company/{co}/org-details", []string{http.MethodGet}, epOrgDetails},
	{"/v1/company/{co}/departments", []string{http.MethodGet}, epDepartments},
	{"/v1/company/{co}/locations", []string{http.MethodGet}, epLocations},
	{"/v1/company/{co}/employees", []string{http.MethodGet}, epEmployees},
	{"/v1/hire/{co}/employees", []string{http.MethodPost}, epHire},
	{"/v1/identity/{co}/{id}/names", []string{http.MethodPut}, epNames},
	{"/v1/identity/{co}/{id}/personals", []string{http.MethodPut}, epPersonals},
	{"/v1/manage-employee/{co}/{id}/jobs", []string{http.MethodPut}, epJobs},
}

// routes builds the mux of the API and the admin surface. Every answer,
// the mux's own 404 and 405 included, is an enveloped JSON body.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	handle(mux, apiRoutes, s.apiHandler)
	handle(mux, adminRoutes, s.adminHandler)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.write(w, fail(http.StatusNotFound, "No resource at "+r.URL.Path))
	})
	return mux
}

// handle registers each route's methods with the handler serve makes for it,
// and the bare path too: a call with another method still reaches the
// handler, which receives it (an API call is counted, and recorded when a
// write) and answers 405.
func handle(mux *http.ServeMux, routes []route, serve func(*route) http.Handler) {
	for i := range routes {
		rt := &routes[i]
		h := serve(rt)
		for _, m := range rt.methods {
			mux.Handle(m+" "+rt.pattern, h)
		}
		mux.Handle(rt.pattern, h)
	}
}

func (rt *route) allows(method string) bool { return slices.Contains(rt.methods, method) }

// methodNotAllowed answers a known path called with a method it does not take.
func (rt *route) methodNotAllowed(method string) response {
	resp := fail(http.StatusMethodNotAllowed, "Method "+method+" not allowed")
	resp.header = http.Header{"Allow": {strings.Join(rt.methods, ", ")}}
	return resp
}

// response is what a handler decided; the caller writes it, or drops the
// connection instead when a lost response was ordered.
type response struct {
	status int
	data   any
	msg    string
	flat   bool // data is the whole body, without the envelope (the token call)
	header http.Header
}

type envelope struct {
	Data          any    `json:"data"`
	RequestID     string `json:"_requestId"`
	StatusCode    string `json:"_statusCode"`
	StatusText    string `json:"_statusText"`
	StatusMessage string `json:"_statusMessage"`
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

type errorData struct {
	Errors []fieldError `json:"errors"`
}

func fail(status int, msg string) response { return response{status: status, msg: msg} }

func invalid(errs []fieldError) response {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = e.Field + ": " + e.Message
	}
	return response{
		status: http.StatusBadRequest,
		data:   errorData{Errors: errs},
		msg:    "Validation failed: " + strings.Join(parts, "; "),
	}
}

func ok(data any) response { return response{status: http.StatusOK, data: data, msg: "Success"} }

func (s *Server) write(w http.ResponseWriter, r response) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(r.status)
	if r.flat {
		_ = json.NewEncoder(w).Encode(r.data)
		return
	}
	_ = json.NewEncoder(w).Encode(envelope{
		Data:          r.data,
		RequestID:     fmt.Sprintf("sbx-%010d", s.reqID.Add(1)),
		StatusCode:    strconv.Itoa(r.status),
		StatusText:    http.StatusText(r.status),
		StatusMessage: r.msg,
	})
}

// drop closes the connection without a response. Hijacking gives the client
// a clean EOF on HTTP/1.1; where the writer cannot be hijacked (HTTP/2, a
// wrapping middleware) ErrAbortHandler makes net/http reset the stream.
func drop(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
		return
	}
	panic(http.ErrAbortHandler)
}

// ServeHTTP serves TriNet's API and, under /_admin/, the admin surface.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// apiHandler serves one API route: the call is received (counted and, when a
// write, recorded), then faults and the company's rate limit apply in the
// order a gateway would, then the endpoint answers.
func (s *Server) apiHandler(rt *route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serveAPI(w, r, rt, paramsOf(r)) })
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, rt *route, p params) {
	var body []byte
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		var err error
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			s.write(w, fail(http.StatusRequestEntityTooLarge, "request body too large or unreadable"))
			return
		}
	}

	co, rec := s.receive(r, rt, p, body)
	finish := func(status int) {
		if rec != nil {
			s.mu.Lock()
			rec.Status = status
			s.mu.Unlock()
		}
	}

	if !rt.allows(r.Method) {
		finish(http.StatusMethodNotAllowed)
		s.write(w, rt.methodNotAllowed(r.Method))
		return
	}

	lose := false
	if co != nil {
		act, err := s.applyFaults(r.Context(), co, rt.endpoint, r.Method)
		if err != nil {
			return // the client gave up during the injected latency
		}
		switch act.kind {
		case faultDrop:
			finish(0)
			drop(w)
			return
		case faultThrottle:
			finish(http.StatusTooManyRequests)
			resp := fail(http.StatusTooManyRequests, "Rate limit exceeded")
			if act.retryAfter > 0 {
				resp.header = http.Header{"Retry-After": {strconv.Itoa(act.retryAfter)}}
			}
			s.write(w, resp)
			return
		case faultServerError:
			finish(http.StatusInternalServerError)
			s.write(w, fail(http.StatusInternalServerError, "Internal server error"))
			return
		}
		lose = act.loseResponse
		if rt.endpoint != epToken {
			if wait, limited := s.overLimit(co); limited {
				finish(http.StatusTooManyRequests)
				resp := fail(http.StatusTooManyRequests, "Rate limit exceeded")
				resp.header = http.Header{"Retry-After": {strconv.Itoa(wait)}}
				s.write(w, resp)
				return
			}
		}
	}

	var resp response
	if rt.endpoint == epToken {
		resp = s.issueToken(r, co, body)
	} else {
		resp = s.serveAuthorized(r, rt.endpoint, p, co, body)
	}
	finish(resp.status)
	if lose {
		drop(w)
		return
	}
	s.write(w, resp)
}

// receive finds the company a call belongs to (the path's, or for the token
// call the one whose client id it carries) and records the call there.
func (s *Server) receive(r *http.Request, rt *route, p params, body []byte) (*company, *Write) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var co *company
	if rt.endpoint == epToken {
		if id, _, ok := r.BasicAuth(); ok {
			co = s.byClient[id]
		}
	} else {
		co = s.companies[p.co]
	}
	if co == nil {
		return nil, nil
	}
	co.calls[rt.endpoint]++
	if rt.endpoint == epToken || (r.Method != http.MethodPost && r.Method != http.MethodPut) {
		return co, nil
	}
	rec := &Write{
		Method:   r.Method,
		Path:     r.URL.Path,
		Endpoint: rt.endpoint,
		Body:     rawJSON(body),
		At:       s.now(),
	}
	co.writes = append(co.writes, rec)
	return co, rec
}

// rawJSON keeps a body as JSON; a body that is not JSON is kept as a JSON
// string so that Writes can still be marshalled.
func rawJSON(body []byte) json.RawMessage {
	if len(body) == 0 {
		return nil
	}
	if json.Valid(body) {
		return json.RawMessage(append([]byte(nil), body...))
	}
	b, _ := json.Marshal(string(body))
	return b
}

type faultKind int

const (
	faultNone faultKind = iota
	faultDrop
	faultThrottle
	faultServerError
)

type faultAction struct {
	kind         faultKind
	retryAfter   int
	loseResponse bool
}

// applyFaults waits out the company's latency, then consumes at most one
// counted fault, in the order Drop, Throttle, ServerErrors. Counters are
// consumed after the latency so that a client that gives up while waiting
// does not use one up.
func (s *Server) applyFaults(ctx context.Context, co *company, endpoint, method string) (faultAction, error) {
	s.mu.Lock()
	f := co.faults
	s.mu.Unlock()
	if f.Endpoint != "" && f.Endpoint != endpoint {
		return faultAction{}, nil
	}
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return faultAction{}, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Faults may have been replaced while this call waited.
	cur := &co.faults
	if cur.Endpoint != "" && cur.Endpoint != endpoint {
		return faultAction{}, nil
	}
	switch f := cur; {
	case f.Drop > 0:
		f.Drop--
		return faultAction{kind: faultDrop}, nil
	case f.Throttle > 0:
		f.Throttle--
		return faultAction{kind: faultThrottle, retryAfter: f.RetryAfter}, nil
	case f.ServerErrors > 0:
		f.ServerErrors--
		return faultAction{kind: faultServerError}, nil
	case f.LoseHireResponse > 0 && endpoint == epHire && method == http.MethodPost:
		f.LoseHireResponse--
		return faultAction{loseResponse: true}, nil
	}
	return faultAction{}, nil
}

type tokenBody struct {
	TokenType   string `json:"token_type"`
	AccessToken string `json:"access_token"`
	ExpiresIn   string `json:"expires_in"`
	IssuedAt    string `json:"issued_at"`
	ClientID    string `json:"client_id"`
	Scope       string `json:"scope"`
}

func (s *Server) issueToken(r *http.Request, co *company, body []byte) response {
	grant := r.URL.Query().Get("grant_type")
	if grant == "" && r.Method == http.MethodPost {
		// The profile puts grant_type in the query; a form body is the
		// OAuth default, so accept it on POST too.
		if form, err := parseForm(body); err == nil {
			grant = form
		}
	}
	if grant != "client_credentials" {
		return invalid([]fieldError{{Field: "grant_type", Message: "must be client_credentials"}})
	}
	id, secret, hasBasic := r.BasicAuth()
	if !hasBasic || co == nil ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(co.ClientSecret)) != 1 ||
		id != co.ClientID {
		return fail(http.StatusUnauthorized, "Invalid client credentials")
	}
	raw := make([]byte, 24)
	_, _ = rand.Read(raw)
	access := hex.EncodeToString(raw)
	now := s.now()
	s.mu.Lock()
	s.tokens[access] = &token{companyID: co.ID, expires: now.Add(s.ttl)}
	s.mu.Unlock()
	// Report one second less than the real lifetime, as TriNet's gateway
	// does ("3599" for an hour), so a client trusting expires_in is never late.
	expiresIn := max(int64(s.ttl/time.Second)-1, 0)
	return response{status: http.StatusOK, flat: true, data: tokenBody{
		TokenType:   "BearerToken",
		AccessToken: access,
		ExpiresIn:   strconv.FormatInt(expiresIn, 10),
		IssuedAt:    strconv.FormatInt(now.UnixMilli(), 10),
		ClientID:    co.ClientID,
		Scope:       "",
	}}
}

func parseForm(body []byte) (string, error) {
	for _, kv := range strings.Split(string(body), "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k == "grant_type" {
			return v, nil
		}
	}
	return "", errors.New("no grant_type")
}

// serveAuthorized checks the bearer token, then runs the endpoint.
func (s *Server) serveAuthorized(r *http.Request, endpoint string, p params, co *company, body []byte) response {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return fail(http.StatusUnauthorized, "Missing bearer token")
	}
	s.mu.Lock()
	t, known := s.tokens[tok]
	var bound string
	expired := true
	if known {
		bound = t.companyID
		expired = !s.now().Before(t.expires)
	}
	s.mu.Unlock()
	switch {
	case !known:
		return fail(http.StatusUnauthorized, "Invalid access token")
	case expired:
		return fail(http.StatusUnauthorized, "Access token expired")
	case co == nil || bound != co.ID:
		return fail(http.StatusForbidden, "Access token is not valid for company "+p.co)
	}

	switch endpoint {
	case epOrgDetails:
		return ok(map[string]string{"companyId": co.ID, "companyName": co.Name})
	case epDepartments:
		out := make([]map[string]string, 0, len(co.Departments))
		for _, d := range co.Departments {
			out = append(out, map[string]string{"deptId": d.ID, "deptName": d.Name})
		}
		return ok(out)
	case epLocations:
		out := make([]map[string]string, 0, len(co.Locations))
		for _, l := range co.Locations {
			out = append(out, map[string]string{"locationId": l.ID, "locationName": l.Name, "country": l.Country})
		}
		return ok(out)
	case epEmployees:
		return s.listEmployees(r, co)
	case epHire:
		return s.hire(co, body)
	case epNames, epPersonals, epJobs:
		return s.update(co, endpoint, p.id, body)
	}
	return fail(http.StatusNotFound, "No resource at "+r.URL.Path)
}
