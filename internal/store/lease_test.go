package store

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

func TestLeaseRaceExactlyOneWins(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	const racers = 8
	type result struct {
		held   bool
		holder string
		err    error
	}
	results := make([]result, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			h, who, err := st.AcquireLease(ctx, "acme", fmt.Sprintf("s%d", i), "", 15*time.Minute)
			results[i] = result{h, who, err}
		})
	}
	wg.Wait()
	winner := ""
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("racer %d: %v", i, r.err)
		}
		if r.held {
			if winner != "" {
				t.Fatalf("both %s and s%d hold the lease", winner, i)
			}
			winner = fmt.Sprintf("s%d", i)
		}
	}
	if winner == "" {
		t.Fatal("nobody took a free lease")
	}
	for i, r := range results {
		if !r.held && r.holder != winner {
			t.Fatalf("racer %d was told the holder is %q, want %q", i, r.holder, winner)
		}
	}
}

func TestLeaseLifecycle(t *testing.T) {
	t.Parallel()
	st, clk := newStore(t)
	ctx := ctxT(t)
	ttl := 16 * time.Minute

	steps := []struct {
		name       string
		advance    time.Duration
		sync       string
		handoff    string // the cursor the message carries
		handOff    string // after taking it, hand it off to this cursor
		wantHeld   bool
		wantHolder string
	}{
		{"free lease is taken", 0, "a", "", "", true, "a"},
		{"another syncId waits", time.Minute, "b", "", "", false, "a"},
		{"a second delivery of the same run waits", 0, "a", "", "", false, "a"},
		{"a cursor not handed over waits", 0, "a", "c1", "", false, "a"},
		{"checkpoint: holder hands off to its continuation", 10 * time.Minute, "a", "", "c1", false, "a"},
		{"still live after the hand-off", 10 * time.Minute, "b", "", "", false, "a"},
		{"the continuation takes it over", 0, "a", "c1", "", true, "a"},
		{"a redelivered continuation waits", 0, "a", "c1", "", false, "a"},
		{"expired lease is taken over", 17 * time.Minute, "b", "", "", true, "b"},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		if s.handOff != "" {
			if err := st.HandOffLease(ctx, "acme", s.sync, s.handOff, ttl); err != nil {
				t.Fatalf("%s: HandOffLease: %v", s.name, err)
			}
			if h, until, err := st.Lease(ctx, "acme"); err != nil || h != s.sync || !until.Equal(clk.Now().Add(ttl)) {
				t.Fatalf("%s: Lease after hand-off = %q %v %v", s.name, h, until, err)
			}
		}
		held, holder, err := st.AcquireLease(ctx, "acme", s.sync, s.handoff, ttl)
		if err != nil || held != s.wantHeld || holder != s.wantHolder {
			t.Fatalf("%s: AcquireLease(%s, %q) = %v %q %v, want %v %q", s.name, s.sync, s.handoff, held, holder, err, s.wantHeld, s.wantHolder)
		}
		if held {
			h, until, err := st.Lease(ctx, "acme")
			if err != nil || h != s.sync || !until.Equal(clk.Now().Add(ttl)) {
				t.Fatalf("%s: Lease = %q %v %v", s.name, h, until, err)
			}
		}
	}
	if err := st.HandOffLease(ctx, "acme", "a", "c2", ttl); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("hand-off by the former holder = %v, want conflict", err)
	}
	if err := st.ReleaseLease(ctx, "acme", "a"); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("release by the former holder = %v, want conflict", err)
	}
	if h, _, _ := st.Lease(ctx, "acme"); h != "b" {
		t.Fatalf("lease holder after a foreign release = %q", h)
	}
	if err := st.ReleaseLease(ctx, "acme", "b"); err != nil {
		t.Fatalf("release: %v", err)
	}
	if h, _, err := st.Lease(ctx, "acme"); h != "" || err != nil {
		t.Fatalf("after release: %q %v", h, err)
	}
	if err := st.ReleaseLease(ctx, "acme", "b"); err != nil {
		t.Fatalf("release again: %v", err)
	}
	if held, _, _ := st.AcquireLease(ctx, "acme", "c", "", ttl); !held {
		t.Fatal("released lease not free")
	}
}

// TestNoSecretOrPersonalDataInTable writes everything the service stores
// with the values a careless caller might pass, and scans the raw table.
func TestNoSecretOrPersonalDataInTable(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	const (
		clientSecret = "cs-SUPER-secret-7781"
		ssn          = "123-45-6789"
		birthDate    = "1988-02-29"
	)
	if _, err := st.Connect(ctx, Tenant{ID: "acme", CompanyID: "CJ6", ClientIDMasked: "ab…yz", SecretName: "trinet-sync/acme"}); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveSettings(ctx, "acme", demoSettings); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateRun(ctx, newRun("acme", "s1", provision.RunRunning)); err != nil {
		t.Fatal(err)
	}
	if err := st.PutPlan(ctx, "acme", "s1", []provision.PlanItem{{
		UserID: "u1", Email: "ann@example.com", Action: provision.ActionCreate,
		Fields: []provision.FieldChange{
			{Field: "ssn", To: ssn, Sensitive: true},
			{Field: "birthDate", From: "1970-01-01", To: birthDate, Sensitive: true},
			{Field: "firstName", To: "Ann"},
		},
	}}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutIssues(ctx, "acme", "s1", []provision.Issue{{UserID: "u1", Severity: provision.SeverityError, Code: "trinet_rejected", Field: "ssn", Message: "TriNet rejected the SSN"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateHire(ctx, "acme", provision.HireEntry{CompanyID: testCo, UserID: "u1", Email: "ann@example.com", State: provision.HireSubmitted}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.AcquireLease(ctx, "acme", "s1", "", time.Minute); err != nil {
		t.Fatal(err)
	}
	out, err := ddb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(st.cfg.Table)})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if len(out.Items) < 6 {
		t.Fatalf("scan found %d items; the test wrote more", len(out.Items))
	}
	for _, it := range out.Items {
		dump := fmt.Sprintf("%#v", flatten(it))
		for _, bad := range []string{clientSecret, ssn, birthDate, "1970-01-01"} {
			if strings.Contains(dump, bad) {
				t.Fatalf("item holds %q: %s", bad, dump)
			}
		}
	}
}

// flatten renders an item's values as plain strings.
func flatten(it map[string]types.AttributeValue) []string {
	var out []string
	var walk func(v types.AttributeValue)
	walk = func(v types.AttributeValue) {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			out = append(out, v.Value)
		case *types.AttributeValueMemberN:
			out = append(out, v.Value)
		case *types.AttributeValueMemberL:
			for _, e := range v.Value {
				walk(e)
			}
		case *types.AttributeValueMemberM:
			for k, e := range v.Value {
				out = append(out, k)
				walk(e)
			}
		}
	}
	for k, v := range it {
		out = append(out, k)
		walk(v)
	}
	return out
}
