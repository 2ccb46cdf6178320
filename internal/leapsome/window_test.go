package leapsome

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

// pageAnswer is what a scripted server answers for one page: the people
// (by number) and the total it announces, or a status other than 200.
type pageAnswer struct {
	ids    []int
	total  int // -1: no total
	status int // 0: 200
}

func span(from, to int) []int {
	out := make([]int, 0, max(to-from, 0))
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func personID(i int) string { return fmt.Sprintf("%024x", i+1) }

// scriptedLeapsome serves /v1/employees from content (page number and how
// many times that page was asked for before → answer, with meta.pageSize 10)
// and /scim/v1/Users from scim (startIndex → answer); it records the pages
// asked for. wait, when set, runs before a content page is answered.
type scriptedLeapsome struct {
	content func(page, before int) pageAnswer
	scim    func(start int) pageAnswer
	wait    func(page int)

	mu    sync.Mutex
	asked map[int]int // content page → times asked
	scimN []int       // SCIM startIndex asked, in order
}

func (s *scriptedLeapsome) serve(t *testing.T) *httptest.Server {
	s.asked = map[int]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var a pageAnswer
		var list, meta string
		switch r.URL.Path {
		case "/v1/token":
			_, _ = w.Write([]byte(`{"token":"tok","expiresIn":18000}`))
			return
		case "/v1/work-locations":
			_, _ = w.Write([]byte(`{"data":[],"meta":{"totalCount":0}}`))
			return
		case "/v1/employees":
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			s.mu.Lock()
			before := s.asked[page]
			s.asked[page]++
			s.mu.Unlock()
			if s.wait != nil {
				s.wait(page)
			}
			a, list = s.content(page, before), "data"
			meta = `"meta":{"page":` + strconv.Itoa(page) + `,"pageSize":10`
			if a.total >= 0 {
				meta += `,"totalCount":` + strconv.Itoa(a.total)
			}
			meta += "}"
		case "/scim/v1/Users":
			start, _ := strconv.Atoi(r.URL.Query().Get("startIndex"))
			s.mu.Lock()
			s.scimN = append(s.scimN, start)
			s.mu.Unlock()
			a, list = s.scim(start), "Resources"
			meta = `"itemsPerPage":` + strconv.Itoa(len(a.ids)) + `,"startIndex":` + strconv.Itoa(start)
			if a.total >= 0 {
				meta += `,"totalResults":` + strconv.Itoa(a.total)
			}
		default:
			http.NotFound(w, r)
			return
		}
		if a.status != 0 {
			w.WriteHeader(a.status)
			return
		}
		recs := make([]string, len(a.ids))
		for i, id := range a.ids {
			recs[i] = fmt.Sprintf(`{"id":%q,"email":"p%d@example.com"}`, personID(id), id)
		}
		fmt.Fprintf(w, `{%q:[%s],%s}`, list, strings.Join(recs, ","), meta)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (s *scriptedLeapsome) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.asked {
		n += v
	}
	return n
}

// TestPagesAfterTheFirstAtOnce: once the first page announces the total, the
// pages it leaves are asked for together (each waits here until all nine
// have arrived: read one after another, the second would wait for ever).
func TestPagesAfterTheFirstAtOnce(t *testing.T) {
	var arrived sync.WaitGroup
	arrived.Add(9)
	all := make(chan struct{})
	go func() { arrived.Wait(); close(all) }()
	var once sync.Map
	s := &scriptedLeapsome{
		content: func(page, _ int) pageAnswer { return pageAnswer{ids: span(10*(page-1), min(10*page, 95)), total: 95} },
		wait: func(page int) {
			if _, seen := once.LoadOrStore(page, true); page == 1 || seen {
				return
			}
			arrived.Done()
			select {
			case <-all:
			case <-time.After(10 * time.Second):
				t.Errorf("page %d: the other pages were not asked for while it was", page)
			}
		},
	}
	srv := s.serve(t)
	dir, err := fakeClient(t, srv, false).Directory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	checkPeople(t, dir.People, span(0, 95))
	if n := s.calls(); n != 10 {
		t.Fatalf("%d page calls, want 10", n)
	}
}

// TestPagingEdgesAtOnce: the listing ends where a reading one page at a
// time would end, and keeps the same people in the same order, whatever the
// server's totals and page lengths do while the pages are read together.
func TestPagingEdgesAtOnce(t *testing.T) {
	tests := []struct {
		name    string
		content func(page, before int) pageAnswer
		want    []int // people, in order
		calls   int   // content page calls; -1: not checked
		wantErr string
	}{
		{
			name: "the total grows on the second page",
			content: func(page, _ int) pageAnswer {
				if page == 1 {
					return pageAnswer{ids: span(0, 10), total: 20}
				}
				return pageAnswer{ids: span(10*(page-1), min(10*page, 45)), total: 45}
			},
			want: span(0, 45), calls: 5, // 1 | 2 | 3-5
		},
		{
			name: "the total falls: the pages past the new end are dropped, failing or not",
			content: func(page, _ int) pageAnswer {
				switch page {
				case 1:
					return pageAnswer{ids: span(0, 10), total: 50}
				case 2:
					return pageAnswer{ids: span(10, 15), total: 15}
				case 3:
					return pageAnswer{status: http.StatusBadRequest}
				}
				return pageAnswer{ids: span(10*(page-1), 10*page), total: 50}
			},
			// Pages 1 | 2-5; page 3's failure cancels pages 4 and 5 when
			// they are still waiting, so their calls are not counted.
			want: span(0, 15), calls: -1,
		},
		{
			name: "an empty page ends the list whatever the total",
			content: func(page, _ int) pageAnswer {
				if page >= 3 {
					return pageAnswer{total: 40}
				}
				return pageAnswer{ids: span(10*(page-1), 10*page), total: 40}
			},
			want: span(0, 20), calls: 4, // 1 | 2-4
		},
		{
			name: "a short page inside the list does not move the next page",
			content: func(page, _ int) pageAnswer {
				switch page {
				case 2:
					return pageAnswer{ids: span(10, 17), total: 30}
				case 4:
					return pageAnswer{ids: span(30, 33), total: 30}
				}
				return pageAnswer{ids: span(10*(page-1), 10*page), total: 30}
			},
			// Pages 1 | 2-3 read 27 of 30 | 4.
			want: append(append(span(0, 17), span(20, 30)...), span(30, 33)...), calls: 4,
		},
		{
			name: "a failed page is retried on its own",
			content: func(page, before int) pageAnswer {
				if page == 3 && before == 0 {
					return pageAnswer{status: http.StatusInternalServerError}
				}
				return pageAnswer{ids: span(10*(page-1), min(10*page, 45)), total: 45}
			},
			want: span(0, 45), calls: 6,
		},
		{
			name: "a needed page that fails fails the list",
			content: func(page, _ int) pageAnswer {
				if page == 3 {
					return pageAnswer{status: http.StatusForbidden}
				}
				return pageAnswer{ids: span(10*(page-1), min(10*page, 45)), total: 45}
			},
			wantErr: "GET /employees page 3: status 403",
		},
		{
			name: "without a total the pages are read one at a time",
			content: func(page, _ int) pageAnswer {
				return pageAnswer{ids: span(10*(page-1), min(10*page, 25)), total: -1}
			},
			want: span(0, 25), calls: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &scriptedLeapsome{content: tt.content}
			srv := s.serve(t)
			dir, err := fakeClient(t, srv, false).Directory(t.Context())
			if tt.wantErr != "" {
				if !errors.Is(err, fault.ErrForbidden) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkPeople(t, dir.People, tt.want)
			if n := s.calls(); tt.calls >= 0 && n != tt.calls {
				t.Fatalf("%d page calls, want %d", n, tt.calls)
			}
		})
	}
}

// TestSCIMShortPageInAWindow: SCIM pages by offset, so a short page inside a
// window moves every page after it: the rest of the window is dropped and
// the list goes on from where that page ended, nobody skipped or read twice.
func TestSCIMShortPageInAWindow(t *testing.T) {
	const total = 25
	s := &scriptedLeapsome{
		content: func(page, _ int) pageAnswer {
			return pageAnswer{ids: span(10*(page-1), min(10*page, total)), total: total}
		},
		scim: func(start int) pageAnswer {
			n := 10
			if start == 11 {
				n = 7
			}
			return pageAnswer{ids: span(start-1, min(start-1+n, total)), total: total}
		},
	}
	srv := s.serve(t)
	dir, err := fakeClient(t, srv, true).Directory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	checkPeople(t, dir.People, span(0, total))
	for _, p := range dir.People {
		if p.SCIM == nil {
			t.Fatalf("person %s has no SCIM user", p.ID)
		}
	}
	if len(dir.Anomalies) != 0 {
		t.Fatalf("anomalies %+v: a SCIM user read twice", dir.Anomalies)
	}
	// 1 | 11 (short: ends at 17) and 21 (dropped) | 18 and 25 (past the end).
	if want := []int{1, 11, 18, 21, 25}; !slices.Equal(sorted(s.scimN), want) {
		t.Fatalf("SCIM pages asked at %v, want %v", s.scimN, want)
	}
}

func sorted(s []int) []int {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func checkPeople(t *testing.T, got []provision.Person, want []int) {
	t.Helper()
	ids := make([]string, len(got))
	for i, p := range got {
		ids[i] = p.ID
	}
	wantIDs := make([]string, len(want))
	for i, n := range want {
		wantIDs[i] = personID(n)
	}
	if !slices.Equal(ids, wantIDs) {
		t.Fatalf("read %d people %v…, want %d in the server's order", len(ids), ids[:min(3, len(ids))], len(wantIDs))
	}
}
