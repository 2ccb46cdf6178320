package trinet

// Tests of the contract-audit fixes: a hire is "outcome unknown" only when it
// may have reached TriNet, pages fetched ahead past the end cannot fail a
// listing, and TriNet's echo of a hire's personal values never reaches an
// error. Small httptest servers play TriNet's odd answers.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

func TestHireOutcomeUnknownOnlyWhenSent(t *testing.T) {
	tests := []struct {
		name  string
		token func(w http.ResponseWriter) // nil: a good token
		hire  func(w http.ResponseWriter) // nil: never reached
		// before runs before the hire; it may close the server or cancel ctx.
		before func(srv *httptest.Server, cancel context.CancelFunc)
		want   error
		posts  int32
	}{
		{name: "token endpoint down", want: fault.ErrTransient,
			token: func(w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) }},
		{name: "token answer without a token", want: fault.ErrTransient,
			token: func(w http.ResponseWriter) { _, _ = io.WriteString(w, `{"token_type":"BearerToken"}`) }},
		{name: "credentials rejected", want: fault.ErrAuth,
			token: func(w http.ResponseWriter) { w.WriteHeader(http.StatusUnauthorized) }},
		{name: "cancelled before sending", want: fault.ErrTransient,
			before: func(_ *httptest.Server, cancel context.CancelFunc) { cancel() }},
		{name: "connection refused", want: fault.ErrTransient,
			before: func(srv *httptest.Server, _ context.CancelFunc) { srv.Close() }},
		{name: "429 to the end", want: fault.ErrThrottled, posts: defaultMaxRetries + 1,
			hire: func(w http.ResponseWriter) { w.WriteHeader(http.StatusTooManyRequests) }},
		{name: "502 is unknown", want: fault.ErrOutcomeUnknown, posts: 1,
			hire: func(w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) }},
		{name: "odd status is unknown", want: fault.ErrOutcomeUnknown, posts: 1,
			hire: func(w http.ResponseWriter) { w.WriteHeader(http.StatusMultipleChoices) }},
		{name: "a redirect is not followed (it would resend the POST)", want: fault.ErrOutcomeUnknown, posts: 1,
			hire: func(w http.ResponseWriter) {
				w.Header().Set("Location", "/v1/hire/CJ6/employees")
				w.WriteHeader(http.StatusTemporaryRedirect)
			}},
		{name: "dropped after the request is unknown", want: fault.ErrOutcomeUnknown, posts: 1,
			hire: func(w http.ResponseWriter) {
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					_ = conn.Close()
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var posts atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == pathToken {
					if tt.token != nil {
						tt.token(w)
						return
					}
					_, _ = io.WriteString(w, `{"access_token":"tok-1","expires_in":"120"}`)
					return
				}
				if r.Method == http.MethodPost {
					posts.Add(1)
					if tt.hire != nil {
						tt.hire(w)
						return
					}
				}
				w.WriteHeader(http.StatusTeapot)
			}))
			defer srv.Close()
			c := stubClient(t, srv.URL, func(c *Config) {
				c.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.before != nil {
				tt.before(srv, cancel)
			}
			_, err := c.Hire(ctx, provision.Hire{FirstName: "A", LastName: "B", StartDate: "2026-12-01"})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want != fault.ErrOutcomeUnknown && errors.Is(err, fault.ErrOutcomeUnknown) {
				t.Fatalf("err = %v: a hire that never reached TriNet reads as outcome unknown", err)
			}
			if got := posts.Load(); got != tt.posts {
				t.Fatalf("hire POSTs = %d, want %d", got, tt.posts)
			}
		})
	}
}

// pagedTriNet serves total employees 100 a page; an offset past the last
// record, or one in fail, answers 400 as an independent TriNet might.
func pagedTriNet(t *testing.T, total int, fail map[int]bool) (*httptest.Server, func() []int) {
	var mu sync.Mutex
	var asked []int
	srv, _ := stub(t, func(w http.ResponseWriter, r *http.Request) {
		off, err := strconv.Atoi(r.URL.Query().Get("offset"))
		if err != nil || off < 1 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		asked = append(asked, off)
		mu.Unlock()
		if off > total || fail[off] {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"_statusCode":"400","_statusMessage":"offset out of range"}`)
			return
		}
		last := min(off+pageLimit-1, total)
		recs := make([]string, 0, pageLimit)
		for i := off; i <= last; i++ {
			recs = append(recs, fmt.Sprintf(`{"employeeId":"E%05d"}`, i))
		}
		fmt.Fprintf(w, `{"data":{"hasMore":%t,"employeeData":[%s]}}`, last < total, strings.Join(recs, ","))
	})
	return srv, func() []int {
		mu.Lock()
		defer mu.Unlock()
		return append([]int(nil), asked...)
	}
}

func TestEmployeesPagesPastTheEndMayFail(t *testing.T) {
	tests := []struct {
		name     string
		total    int
		window   int
		fail     []int // offsets inside the list that answer 400
		wantErr  bool
		pastTheE bool // the test must have asked for a page past the end
	}{
		{name: "one page", total: 50, window: 6},
		{name: "second page short, third past the end", total: 150, window: 6, pastTheE: true},
		{name: "four past the end", total: 350, window: 6, pastTheE: true},
		{name: "last page full", total: 400, window: 6, pastTheE: true},
		{name: "window of one", total: 250, window: 1},
		{name: "needed page fails", total: 350, window: 6, fail: []int{201}, wantErr: true},
		{name: "needed page in a wide window fails", total: 350, window: 6, fail: []int{301}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fail := map[int]bool{}
			for _, o := range tt.fail {
				fail[o] = true
			}
			srv, asked := pagedTriNet(t, tt.total, fail)
			got, err := stubClient(t, srv.URL, func(c *Config) { c.PageWindow = tt.window }).Employees(context.Background())
			if tt.wantErr {
				if !errors.Is(err, fault.ErrValidation) || !strings.Contains(err.Error(), "offset "+strconv.Itoa(tt.fail[0])) {
					t.Fatalf("err = %v, want the needed page's 400 naming its offset", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v; a page past the end must not fail the listing", err)
			}
			if len(got) != tt.total {
				t.Fatalf("got %d employees, want %d", len(got), tt.total)
			}
			for i, e := range got {
				if want := fmt.Sprintf("E%05d", i+1); e.ID != want {
					t.Fatalf("employee %d = %s, want %s", i, e.ID, want)
				}
			}
			past := false
			for _, o := range asked() {
				past = past || o > tt.total
			}
			if past != tt.pastTheE {
				t.Fatalf("asked %v: past the end %v, want %v", asked(), past, tt.pastTheE)
			}
		})
	}
}

func TestHireErrorsRedactPersonalValues(t *testing.T) {
	h := provision.Hire{
		FirstName: "Ada", LastName: "Lovelace", StartDate: "2026-12-01",
		NationalID: "987-65-4321", BirthDate: "1990-12-10",
		Address1: "12 Crescent Lane", Address2: "Apt 7B", City: "Springfield", State: "IL", PostalCode: "62704",
		WorkPhone: "+14155550100", WorkEmail: "ada.lovelace@example.com",
	}
	// TriNet echoes the request in its own spelling: other case, digits only.
	echo := "Ada Lovelace: address 12 CRESCENT LANE apt 7b, springfield IL 62704; phone 14155550100 (+14155550100); " +
		"email Ada.Lovelace@Example.com; ssn 987654321 / 987-65-4321; born 1990-12-10 is not valid"
	leaks := []string{"crescent", "7b", "springfield", "62704", "4155550100", "lovelace@", "987654321", "987-65-4321", "1990-12-10"}
	tests := []struct {
		status int
		want   error
	}{
		{http.StatusBadRequest, fault.ErrValidation},
		{http.StatusUnprocessableEntity, fault.ErrValidation},
		{http.StatusForbidden, fault.ErrForbidden},
		{http.StatusNotFound, fault.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			srv, _ := stub(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				fmt.Fprintf(w, `{"data":{"errors":[{"field":"homeContact.address1","message":"bad"}]},"_statusCode":"%d","_statusMessage":%q}`,
					tt.status, echo)
			})
			_, err := stubClient(t, srv.URL, nil).Hire(context.Background(), h)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			msg := strings.ToLower(err.Error())
			for _, leak := range leaks {
				if strings.Contains(msg, leak) {
					t.Errorf("message %q carries %q", err, leak)
				}
			}
			// Names and TriNet's explanation stay: the admin needs both.
			if !strings.Contains(err.Error(), "Ada Lovelace") || !strings.Contains(err.Error(), "is not valid") {
				t.Fatalf("message %q lost the name or TriNet's explanation", err)
			}
		})
	}
}

func TestCleanKeepsShortValuesAndOrder(t *testing.T) {
	tests := []struct {
		msg    string
		redact []string
		want   string
	}{
		{"state IL is wrong", []string{"IL"}, "state IL is wrong"},
		{"postal 62704 in 12 Main St 62704", []string{"62704", "12 Main St 62704"}, "postal [redacted] in [redacted]"},
		{"City SPRINGFIELD", []string{" Springfield "}, "City [redacted]"},
		{"a.b (x)", []string{"a.b (x)"}, "[redacted]"},
		{"no match", []string{"", "zzz"}, "no match"},
	}
	for _, tt := range tests {
		if got := clean(tt.msg, tt.redact); got != tt.want {
			t.Errorf("clean(%q, %q) = %q, want %q", tt.msg, tt.redact, got, tt.want)
		}
	}
}
