package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

func TestHireLedgerLifecycle(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	e := provision.HireEntry{CompanyID: testCo, UserID: "u1", Email: "ann@example.com", State: provision.HireSubmitted, SubmittedAt: testStart, SyncID: "s1"}
	if err := st.CreateHire(ctx, "acme", e); err != nil {
		t.Fatalf("CreateHire: %v", err)
	}
	if err := st.CreateHire(ctx, "acme", e); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("second CreateHire = %v, want conflict", err)
	}
	e.State, e.EmployeeID = provision.HirePending, "00123"
	if err := st.UpdateHire(ctx, "acme", e); err != nil {
		t.Fatalf("UpdateHire: %v", err)
	}
	got, err := st.Hire(ctx, "acme", testCo, "u1")
	if err != nil {
		t.Fatalf("Hire: %v", err)
	}
	if got.UserID != e.UserID || got.Email != e.Email || got.State != provision.HirePending ||
		got.EmployeeID != "00123" || !got.SubmittedAt.Equal(testStart) || got.SyncID != "s1" {
		t.Fatalf("Hire = %+v, want %+v", got, e)
	}
	all, err := st.Hires(ctx, "acme", testCo)
	if err != nil || len(all) != 1 || all[0] != got {
		t.Fatalf("Hires = %+v, %v", all, err)
	}
	if err := st.UpdateHire(ctx, "acme", provision.HireEntry{CompanyID: testCo, UserID: "nobody", State: provision.HireUnknown}); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("UpdateHire of absent = %v, want not found", err)
	}
	if err := st.CreateHire(ctx, "acme", provision.HireEntry{CompanyID: testCo, UserID: "u2", State: "approved"}); !errors.Is(err, fault.ErrValidation) {
		t.Fatalf("bad state = %v, want validation", err)
	}
	if err := st.DeleteHire(ctx, "acme", testCo, "u1"); err != nil {
		t.Fatalf("DeleteHire: %v", err)
	}
	if err := st.DeleteHire(ctx, "acme", testCo, "u1"); err != nil {
		t.Fatalf("DeleteHire again: %v", err)
	}
	if _, err := st.Hire(ctx, "acme", testCo, "u1"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("Hire after delete = %v, want not found", err)
	}
}

func TestCreateHireRaceExactlyOne(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	const racers = 8
	var wg sync.WaitGroup
	results := make([]error, racers)
	for i := range racers {
		wg.Go(func() {
			results[i] = st.CreateHire(ctx, "acme", provision.HireEntry{CompanyID: testCo,
				UserID: "u1", State: provision.HireSubmitted, SubmittedAt: testStart, SyncID: fmt.Sprintf("s%d", i),
			})
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range results {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, fault.ErrConflict):
			t.Fatalf("unexpected: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d writers recorded the hire, want exactly 1", wins)
	}
}

func TestListHiresByStateWithPaging(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	counts := map[provision.HireState]int{
		provision.HirePending: 7, provision.HireUnknown: 5, provision.HireSubmitted: 2, provision.HireLinked: 3,
	}
	i := 0
	for state, n := range counts {
		for range n {
			i++
			e := provision.HireEntry{CompanyID: testCo, UserID: fmt.Sprintf("u%02d", i), State: state, SubmittedAt: testStart.Add(time.Duration(i) * time.Minute)}
			if err := st.CreateHire(ctx, "acme", e); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := st.CreateHire(ctx, "other", provision.HireEntry{CompanyID: testCo, UserID: "x", State: provision.HirePending}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		state provision.HireState
		want  int
	}{
		{provision.HirePending, 7}, {provision.HireUnknown, 5}, {"", 12},
	}
	for _, tt := range tests {
		var all []provision.HireEntry
		token, pages := "", 0
		for {
			page, next, err := st.ListHires(ctx, "acme", testCo, tt.state, 3, token)
			if err != nil {
				t.Fatalf("ListHires(%q): %v", tt.state, err)
			}
			if len(page) > 3 {
				t.Fatalf("page of %d > limit", len(page))
			}
			all = append(all, page...)
			pages++
			if next == "" {
				break
			}
			token = next
		}
		if len(all) != tt.want {
			t.Fatalf("ListHires(%q): %d entries, want %d", tt.state, len(all), tt.want)
		}
		seen := map[string]bool{}
		for _, e := range all {
			if seen[e.UserID] || (tt.state != "" && e.State != tt.state) || (tt.state == "" && e.State != provision.HirePending && e.State != provision.HireUnknown) {
				t.Fatalf("ListHires(%q) returned %+v (dup %v)", tt.state, e, seen[e.UserID])
			}
			seen[e.UserID] = true
		}
		if pages < (tt.want+2)/3 {
			t.Fatalf("%d pages for %d entries", pages, tt.want)
		}
	}
	if _, _, err := st.ListHires(ctx, "acme", testCo, provision.HireLinked, 10, ""); !errors.Is(err, fault.ErrValidation) {
		t.Fatalf("state linked = %v, want validation", err)
	}
	// A token of one tenant's list does not open another's.
	_, next, err := st.ListHires(ctx, "acme", testCo, "", 2, "")
	if err != nil || next == "" {
		t.Fatalf("first page: %v %q", err, next)
	}
	if _, _, err := st.ListHires(ctx, "other", testCo, "", 2, next); !errors.Is(err, fault.ErrValidation) {
		t.Fatalf("foreign token = %v, want validation", err)
	}
	// Moving an entry to linked takes it out of the list.
	open, _, err := st.ListHires(ctx, "acme", testCo, provision.HirePending, 1, "")
	if err != nil || len(open) != 1 {
		t.Fatalf("one pending: %v %v", open, err)
	}
	if err := st.UpdateHire(ctx, "acme", provision.HireEntry{CompanyID: testCo, UserID: open[0].UserID, State: provision.HireLinked}); err != nil {
		t.Fatal(err)
	}
	all, _, err := st.ListHires(ctx, "acme", testCo, "", 100, "")
	if err != nil || len(all) != 11 {
		t.Fatalf("after linking one: %d, %v", len(all), err)
	}
}

func TestReleaseHire(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		state provision.HireState // "" = no entry
		want  error
	}{
		{"unknown is released", provision.HireUnknown, nil},
		{"pending is kept", provision.HirePending, fault.ErrConflict},
		{"submitted is kept", provision.HireSubmitted, fault.ErrConflict},
		{"none", "", fault.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, _ := newStore(t)
			ctx := ctxT(t)
			if tt.state != "" {
				if err := st.CreateHire(ctx, "acme", provision.HireEntry{CompanyID: testCo, UserID: "u1", State: tt.state}); err != nil {
					t.Fatal(err)
				}
			}
			err := st.ReleaseHire(ctx, "acme", testCo, "u1")
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("ReleaseHire = %v, want %v", err, tt.want)
			}
			_, gerr := st.Hire(ctx, "acme", testCo, "u1")
			if stillThere := gerr == nil; stillThere != (tt.want == fault.ErrConflict) {
				t.Fatalf("entry present = %v after ReleaseHire (%v)", stillThere, gerr)
			}
		})
	}
}
