package store

import (
	"fmt"
	"testing"
	"time"

	"trinetsync/internal/provision"
)

// TestListsEndWithANullTokenOnAnExactlyFullLastPage (contract audit): "Lists
// page with limit and an opaque nextToken (absent or null on the last
// page)". A list whose length is a multiple of the limit ends on a full page:
// that page is the last one and must carry no token, or a client that pages
// until the token is null is sent for an empty page it cannot tell from a
// list that changed under it.
func TestListsEndWithANullTokenOnAnExactlyFullLastPage(t *testing.T) {
	t.Parallel()
	st, clk := newStore(t)
	ctx := ctxT(t)
	for i := range 4 {
		clk.Advance(time.Minute)
		if err := st.CreateRun(ctx, newRun("acme", fmt.Sprintf("s%d", i), provision.RunSucceeded)); err != nil {
			t.Fatal(err)
		}
		if err := st.PutAudit(ctx, "acme", AuditEntry{Actor: "admin", Action: "sync_triggered", RequestID: fmt.Sprintf("r%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	lists := []struct {
		name string
		page func(limit int, token string) (int, string, error)
	}{
		{"runs", func(limit int, token string) (int, string, error) {
			runs, next, err := st.ListRuns(ctx, "acme", limit, token)
			return len(runs), next, err
		}},
		{"audit", func(limit int, token string) (int, string, error) {
			items, next, err := st.ListAudit(ctx, "acme", limit, token)
			return len(items), next, err
		}},
	}
	for _, l := range lists {
		for _, limit := range []int{2, 4} {
			var sizes []int
			token := ""
			for range 5 {
				n, next, err := l.page(limit, token)
				if err != nil {
					t.Fatalf("%s, limit %d: %v", l.name, limit, err)
				}
				sizes = append(sizes, n)
				if next == "" {
					break
				}
				token = next
			}
			if len(sizes) != 4/limit || sizes[len(sizes)-1] != limit {
				t.Errorf("%s of 4 with limit %d: pages of %v; want %d full pages, the last with a null nextToken",
					l.name, limit, sizes, 4/limit)
			}
		}
	}
}
