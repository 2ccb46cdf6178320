package trinet

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

func TestFaultThrottle(t *testing.T) {
	cases := []struct {
		name       string
		retryAfter int
		header     string
	}{
		{"with Retry-After", 7, "7"},
		{"without Retry-After", 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tok := f.token(idA, secretA)
			f.sb.SetFaults(coA, Faults{Throttle: 2, RetryAfter: tc.retryAfter})
			for i, want := range []int{429, 429, 200} {
				r := f.must(http.MethodGet, "/v1/company/"+coA+"/locations", bearer(tok), nil)
				if r.status != want {
					t.Fatalf("call %d: status %d, want %d", i, r.status, want)
				}
				if want == 429 {
					if got := r.header.Get("Retry-After"); got != tc.header {
						t.Errorf("Retry-After %q, want %q", got, tc.header)
					}
					if r.env.StatusCode != "429" {
						t.Errorf("envelope %s", r.raw)
					}
				}
			}
			// Faults belong to one company.
			f.sb.SetFaults(coA, Faults{Throttle: 1})
			if r := f.must(http.MethodGet, "/v1/company/"+coB+"/locations", bearer(f.token(idB, secretB)), nil); r.status != 200 {
				t.Errorf("other company throttled: %d", r.status)
			}
		})
	}
}

func TestFaultServerErrors(t *testing.T) {
	f := newFixture(t)
	tok := f.token(idA, secretA)
	f.sb.SetFaults(coA, Faults{ServerErrors: 1})
	body := f.hireBody()
	r := f.must(http.MethodPost, "/v1/hire/"+coA+"/employees", bearer(tok), body)
	if r.status != http.StatusInternalServerError || r.env.StatusCode != "500" {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	if n := len(f.sb.Employees(coA)); n != 0 {
		t.Errorf("a 500 hire was applied (%d employees)", n)
	}
	if r := f.must(http.MethodPost, "/v1/hire/"+coA+"/employees", bearer(tok), body); r.status != http.StatusOK {
		t.Fatalf("after the fault: status %d", r.status)
	}
	w := f.sb.Writes(coA)
	if len(w) != 2 || w[0].Status != 500 || w[1].Status != 200 {
		t.Errorf("writes %+v", w)
	}
}

// freshClient opens a new connection per request, so that net/http cannot
// silently retry a GET whose reused connection was dropped.
func freshClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

func get(ctx context.Context, c *http.Client, url, tok string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := c.Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return resp, err
}

func TestFaultDrop(t *testing.T) {
	f := newFixture(t)
	tok := f.token(idA, secretA)
	url := f.ts.URL + "/v1/company/" + coA + "/employees"
	f.sb.SetFaults(coA, Faults{Drop: 1})
	_, err := get(context.Background(), freshClient(), url, tok)
	if err == nil {
		t.Fatal("dropped call answered")
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("error %v, want an EOF", err)
	}
	resp, err := get(context.Background(), freshClient(), url, tok)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("after the fault: %v", err)
	}
	if got := f.sb.Calls(coA)["employees"]; got != 2 {
		t.Errorf("employees calls %d, want 2", got)
	}
}

func TestFaultDropWrite(t *testing.T) {
	f := newFixture(t)
	tok := f.token(idA, secretA)
	f.sb.SetFaults(coA, Faults{Drop: 1})
	_, err := f.send(http.MethodPost, "/v1/hire/"+coA+"/employees", bearer(tok), f.hireBody())
	if err == nil {
		t.Fatal("dropped hire answered")
	}
	if n := len(f.sb.Employees(coA)); n != 0 {
		t.Errorf("a dropped hire was applied")
	}
	if w := f.sb.Writes(coA); len(w) != 1 || w[0].Status != 0 || len(w[0].Body) == 0 {
		t.Errorf("writes %+v, want the dropped hire with status 0", w)
	}
}

// net/http replays an idempotent request once when a reused keep-alive
// connection closes without an answer, so with one Drop a client GET still
// succeeds; the sandbox sees both attempts. Client tests must account for it.
func TestFaultDropGetRetriedByTransport(t *testing.T) {
	f := newFixture(t)
	tok := f.token(idA, secretA) // leaves an idle connection in the pool
	f.sb.SetFaults(coA, Faults{Drop: 1})
	resp, err := get(context.Background(), f.ts.Client(), f.ts.URL+"/v1/company/"+coA+"/departments", tok)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("replayed GET: %v", err)
	}
	if got := f.sb.Calls(coA)["departments"]; got != 2 {
		t.Errorf("departments calls %d, want 2 (the drop and the replay)", got)
	}
}

func TestFaultLoseHireResponse(t *testing.T) {
	f := newFixture(t)
	tok := f.token(idA, secretA)
	f.sb.SetFaults(coA, Faults{LoseHireResponse: 1})
	// Other calls do not use it up.
	if r := f.must(http.MethodGet, "/v1/company/"+coA+"/employees", bearer(tok), nil); r.status != http.StatusOK {
		t.Fatalf("list: %d", r.status)
	}
	_, err := f.send(http.MethodPost, "/v1/hire/"+coA+"/employees", bearer(tok), f.hireBody())
	if err == nil {
		t.Fatal("the lost hire response arrived")
	}
	emps := f.sb.Employees(coA)
	if len(emps) != 1 || emps[0].LastName != "Lovelace" || emps[0].ApprovalStatus != "I" {
		t.Fatalf("the hire was not applied: %+v", emps)
	}
	if w := f.sb.Writes(coA); len(w) != 1 || w[0].Status != http.StatusOK {
		t.Errorf("writes %+v, want the applied hire with status 200", w)
	}
	r := f.must(http.MethodPost, "/v1/hire/"+coA+"/employees", bearer(tok), f.hireBody())
	if r.status != http.StatusOK || len(f.sb.Employees(coA)) != 2 {
		t.Fatalf("next hire: %d", r.status)
	}
}

func TestFaultLatency(t *testing.T) {
	f := newFixture(t)
	tok := f.token(idA, secretA)
	url := f.ts.URL + "/v1/company/" + coA + "/departments"
	f.sb.SetFaults(coA, Faults{Latency: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := get(ctx, f.ts.Client(), url, tok); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the deadline to pass during the latency", err)
	}
	// Without the latency the same call with a roomy deadline succeeds, so
	// the timeout above came from the fault.
	f.sb.SetFaults(coA, Faults{})
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	if resp, err := get(ctx2, f.ts.Client(), url, tok); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("without latency: %v", err)
	}
}

func TestFaultOrderAndEndpoint(t *testing.T) {
	t.Run("order", func(t *testing.T) {
		f := newFixture(t)
		tok := f.token(idA, secretA)
		f.sb.SetFaults(coA, Faults{Drop: 1, Throttle: 1, ServerErrors: 1})
		body := f.hireBody()
		path := "/v1/hire/" + coA + "/employees"
		if _, err := f.send(http.MethodPost, path, bearer(tok), body); err == nil {
			t.Fatal("first call not dropped")
		}
		for i, want := range []int{429, 500, 200} {
			if r := f.must(http.MethodPost, path, bearer(tok), body); r.status != want {
				t.Fatalf("call %d: %d, want %d", i+2, r.status, want)
			}
		}
	})
	t.Run("endpoint filter", func(t *testing.T) {
		f := newFixture(t)
		tok := f.token(idA, secretA)
		f.sb.SetFaults(coA, Faults{Throttle: 1, Endpoint: "hire", Latency: time.Minute})
		// The latency also applies only to hires, or this would hang.
		if r := f.must(http.MethodGet, "/v1/company/"+coA+"/employees", bearer(tok), nil); r.status != 200 {
			t.Fatalf("list: %d", r.status)
		}
		f.sb.SetFaults(coA, Faults{Throttle: 1, Endpoint: "hire"})
		if r := f.must(http.MethodGet, "/v1/company/"+coA+"/employees", bearer(tok), nil); r.status != 200 {
			t.Fatalf("list: %d", r.status)
		}
		if r := f.must(http.MethodPost, "/v1/hire/"+coA+"/employees", bearer(tok), f.hireBody()); r.status != 429 {
			t.Fatalf("hire: %d, want 429", r.status)
		}
	})
	t.Run("token calls", func(t *testing.T) {
		f := newFixture(t)
		f.sb.SetFaults(coA, Faults{ServerErrors: 1, Endpoint: "token"})
		r := f.must(http.MethodGet, "/oauth/accesstoken?grant_type=client_credentials", basic(idA, secretA), nil)
		if r.status != 500 {
			t.Fatalf("token: %d, want 500", r.status)
		}
		f.token(idA, secretA)
		if got := f.sb.Calls(coA)["token"]; got != 2 {
			t.Errorf("token calls %d", got)
		}
	})
}
