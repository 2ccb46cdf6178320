package store

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"trinetsync/internal/fault"
)

// TestAuditNewestFirstPagedAndKeptAYear: entries come back newest first,
// page by page, with their details; they outlive a year and expire after
// AuditRetention; another tenant's entries never show.
func TestAuditNewestFirstPagedAndKeptAYear(t *testing.T) {
	t.Parallel()
	st, clk := newStore(t)
	ctx := ctxT(t)
	actions := []string{"connected", "settings_changed", "sync_triggered", "link_set", "link_removed"}
	for i, a := range actions {
		clk.Advance(time.Second)
		e := AuditEntry{Actor: "ops@example.com", Action: a, RequestID: fmt.Sprintf("req-%d", i),
			Details: map[string]any{"changed": []any{"mappings.jobTitle"}, "dryRun": true}}
		if err := st.PutAudit(ctx, "acme", e); err != nil {
			t.Fatalf("PutAudit: %v", err)
		}
	}
	// Two actions of one request at one instant are both kept.
	if err := st.PutAudit(ctx, "acme", AuditEntry{At: clk.Now(), Actor: "x", Action: "hire_released", RequestID: "req-4"}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutAudit(ctx, "other", AuditEntry{Actor: "y", Action: "connected", RequestID: "r"}); err != nil {
		t.Fatal(err)
	}

	var got []AuditEntry
	token := ""
	for pages := 0; ; pages++ {
		page, next, err := st.ListAudit(ctx, "acme", 2, token)
		if err != nil {
			t.Fatalf("ListAudit: %v", err)
		}
		got = append(got, page...)
		if next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		token = next
	}
	if len(got) != 6 {
		t.Fatalf("%d entries, want 6: %+v", len(got), got)
	}
	if got[len(got)-1].Action != "connected" || got[len(got)-1].RequestID != "req-0" {
		t.Fatalf("oldest last: %+v", got[len(got)-1])
	}
	for i := 1; i < len(got); i++ {
		if got[i].At.After(got[i-1].At) {
			t.Fatalf("not newest first at %d: %+v", i, got)
		}
	}
	if got[len(got)-1].Actor != "ops@example.com" || got[len(got)-1].Details["dryRun"] != true {
		t.Fatalf("details lost: %+v", got[len(got)-1])
	}
	if _, _, err := st.ListAudit(ctx, "other", 10, token); !errors.Is(err, fault.ErrValidation) {
		t.Fatalf("acme's token on another tenant = %v, want a validation error", err)
	}

	clk.Advance(366 * 24 * time.Hour)
	if left, _, _ := st.ListAudit(ctx, "acme", 100, ""); len(left) != 6 {
		t.Fatalf("after a year %d entries are left, want 6", len(left))
	}
	clk.Advance(AuditRetention)
	if left, _, _ := st.ListAudit(ctx, "acme", 100, ""); len(left) != 0 {
		t.Fatalf("after the retention %d entries are left", len(left))
	}
	if err := st.PutAudit(ctx, "acme", AuditEntry{Action: "connected"}); !errors.Is(err, fault.ErrValidation) {
		t.Fatalf("an entry without request id = %v", err)
	}
}
