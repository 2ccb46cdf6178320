package store

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

func connect(t *testing.T, st *Store, id string) Tenant {
	t.Helper()
	tn, err := st.Connect(ctxT(t), Tenant{ID: id, CompanyID: "CJ6", ClientIDMasked: "ab…yz", SecretName: "trinet-sync/" + id, SCIMConfigured: true})
	if err != nil {
		t.Fatalf("Connect %s: %v", id, err)
	}
	return tn
}

var demoSettings = provision.Settings{
	AutoCreateNewHires:   true,
	MassCreateMaxPercent: 20,
	Mappings: []provision.Mapping{
		{Target: "firstName", Source: "firstname"},
		{Target: "employeeType", Source: "scim.employmentType", ValueMap: map[string]string{"internal": "F"}},
	},
}

func TestTenantAbsentIsNotConnected(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	tn, err := st.Tenant(ctxT(t), "nobody")
	if err != nil {
		t.Fatalf("Tenant: %v", err)
	}
	if tn.ID != "nobody" || tn.Status != NotConnected || tn.Settings != nil || tn.Backoff != nil {
		t.Fatalf("absent tenant = %+v", tn)
	}
}

func TestConnectStoresDetailsAndKeepsSettings(t *testing.T) {
	t.Parallel()
	st, clk := newStore(t)
	ctx := ctxT(t)
	if err := st.SaveSettings(ctx, "acme", demoSettings); err != nil {
		t.Fatalf("SaveSettings: %v", err)
	}
	tn, err := st.Tenant(ctx, "acme")
	if err != nil || tn.Status != NotConnected {
		t.Fatalf("tenant with settings only = %+v, %v", tn, err)
	}
	got := connect(t, st, "acme")
	if got.Status != Connected || got.CompanyID != "CJ6" || got.ClientIDMasked != "ab…yz" ||
		got.SecretName != "trinet-sync/acme" || !got.SCIMConfigured || !got.ConnectedAt.Equal(clk.Now()) {
		t.Fatalf("Connect returned %+v", got)
	}
	read, err := st.Tenant(ctx, "acme")
	if err != nil {
		t.Fatalf("Tenant: %v", err)
	}
	if read.Settings == nil || read.Settings.MassCreateMaxPercent != 20 || len(read.Settings.Mappings) != 2 ||
		read.Settings.Mappings[1].ValueMap["internal"] != "F" || !read.Settings.AutoCreateNewHires {
		t.Fatalf("settings after connect = %+v", read.Settings)
	}
	if !read.ConnectedAt.Equal(got.ConnectedAt) {
		t.Fatalf("connectedAt %v != %v", read.ConnectedAt, got.ConnectedAt)
	}
}

func TestMarkRevoked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		setup     func(t *testing.T, st *Store) time.Time // returns the connectedAt the run saw
		wantErr   error
		wantState TenantStatus
	}{
		{"still connected as seen", func(t *testing.T, st *Store) time.Time {
			return connect(t, st, "acme").ConnectedAt
		}, nil, Revoked},
		{"reconnected since", func(t *testing.T, st *Store) time.Time {
			seen := connect(t, st, "acme").ConnectedAt
			st.cfg.Now = func() time.Time { return testStart.Add(time.Minute) }
			connect(t, st, "acme")
			return seen
		}, fault.ErrConflict, Connected},
		{"disconnected since", func(t *testing.T, st *Store) time.Time {
			seen := connect(t, st, "acme").ConnectedAt
			if err := st.Disconnect(ctxT(t), "acme"); err != nil {
				t.Fatal(err)
			}
			return seen
		}, fault.ErrConflict, NotConnected},
		{"never connected", func(t *testing.T, st *Store) time.Time { return testStart }, fault.ErrConflict, NotConnected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, _ := newStore(t)
			seen := tt.setup(t, st)
			err := st.MarkRevoked(ctxT(t), "acme", seen)
			if (tt.wantErr == nil) != (err == nil) || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("MarkRevoked = %v, want %v", err, tt.wantErr)
			}
			tn, _ := st.Tenant(ctxT(t), "acme")
			if tn.Status != tt.wantState {
				t.Fatalf("status = %s, want %s", tn.Status, tt.wantState)
			}
			if tt.wantState == Revoked {
				if tn.RevokedAt.IsZero() {
					t.Fatal("revokedAt not set")
				}
				ids, err := st.ConnectedTenantIDs(ctxT(t))
				if err != nil || len(ids) != 0 {
					t.Fatalf("revoked tenant still listed: %v %v", ids, err)
				}
			}
		})
	}
}

func TestBackoffFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {1, 0}, {2, 0}, {3, time.Hour}, {4, 2 * time.Hour}, {5, 4 * time.Hour},
		{6, 8 * time.Hour}, {7, 16 * time.Hour}, {8, 24 * time.Hour}, {9, 24 * time.Hour}, {1000, 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := BackoffFor(tt.failures); got != tt.want {
			t.Errorf("BackoffFor(%d) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}

func TestRecordRunOutcomeBackoffProgression(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	connect(t, st, "acme")
	now := testStart
	want := []time.Duration{0, 0, time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 16 * time.Hour, 24 * time.Hour, 24 * time.Hour}
	for i, d := range want {
		now = now.Add(10 * time.Minute)
		tn, err := st.RecordRunOutcome(ctx, "acme", testOutcome(true, "upstream_unavailable", now))
		if err != nil {
			t.Fatalf("failure %d: %v", i+1, err)
		}
		if tn.ConsecutiveFailures != i+1 {
			t.Fatalf("failure %d: failures = %d", i+1, tn.ConsecutiveFailures)
		}
		if d == 0 {
			if tn.Backoff != nil {
				t.Fatalf("failure %d: backoff %+v, want none", i+1, tn.Backoff)
			}
			continue
		}
		if tn.Backoff == nil || !tn.Backoff.Until.Equal(now.Add(d)) || tn.Backoff.Reason != "upstream_unavailable" || tn.Backoff.Failures != i+1 {
			t.Fatalf("failure %d: backoff %+v, want until %v", i+1, tn.Backoff, now.Add(d))
		}
		read, _ := st.Tenant(ctx, "acme")
		if read.Backoff == nil || !read.Backoff.Until.Equal(tn.Backoff.Until) {
			t.Fatalf("stored backoff %+v", read.Backoff)
		}
		ids, err := st.ConnectedTenantIDs(ctx)
		if err != nil || !ids["acme"].Equal(now.Add(d)) {
			t.Fatalf("connected index backoff = %v (%v), want %v", ids["acme"], err, now.Add(d))
		}
	}
	tn, err := st.RecordRunOutcome(ctx, "acme", testOutcome(false, "", now))
	if err != nil {
		t.Fatal(err)
	}
	if tn.Backoff != nil || tn.ConsecutiveFailures != 0 {
		t.Fatalf("after success: %+v", tn)
	}
	ids, _ := st.ConnectedTenantIDs(ctx)
	if u, ok := ids["acme"]; !ok || !u.IsZero() {
		t.Fatalf("after success the index shows %v %v", u, ok)
	}
}

// testOutcome is a finished run with a sync id of its own.
func testOutcome(failed bool, reason string, at time.Time) RunOutcome {
	return RunOutcome{SyncID: fmt.Sprintf("run-%d", outcomeSeq.Add(1)), Failed: failed, Reason: reason, At: at}
}

var outcomeSeq atomic.Int64

// The worker records a run's outcome before its final state, and again when
// it retries a final write that failed: the same run must count once.
func TestRecordRunOutcomeCountsARunOnce(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	connect(t, st, "acme")
	for i := range 2 {
		o := testOutcome(true, "upstream_unavailable", testStart)
		for range 3 {
			tn, err := st.RecordRunOutcome(ctx, "acme", o)
			if err != nil {
				t.Fatal(err)
			}
			if tn.ConsecutiveFailures != i+1 {
				t.Fatalf("run %d recorded thrice: failures = %d, want %d", i+1, tn.ConsecutiveFailures, i+1)
			}
		}
	}
	if _, err := st.RecordRunOutcome(ctx, "acme", RunOutcome{Failed: true, At: testStart}); fault.FieldOf(err) != "syncId" {
		t.Fatalf("an outcome without a sync id: %v", err)
	}
}

func TestConnectClearsBackoff(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	connect(t, st, "acme")
	for range 4 {
		if _, err := st.RecordRunOutcome(ctx, "acme", testOutcome(true, "x", testStart)); err != nil {
			t.Fatal(err)
		}
	}
	tn := connect(t, st, "acme")
	if tn.Backoff != nil || tn.ConsecutiveFailures != 0 {
		t.Fatalf("after reconnect: %+v", tn)
	}
}

func TestRecordRunOutcomeLeavesUnconnectedAlone(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	tn, err := st.RecordRunOutcome(ctxT(t), "ghost", testOutcome(true, "not_connected", testStart))
	if err != nil || tn.Status != NotConnected || tn.ConsecutiveFailures != 0 {
		t.Fatalf("got %+v, %v", tn, err)
	}
}

func TestRecordRunOutcomeConcurrentWritersAllCount(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	connect(t, st, "acme")
	const writers = 6
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Go(func() {
			if _, err := st.RecordRunOutcome(ctx, "acme", testOutcome(true, "x", testStart)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("RecordRunOutcome: %v", err)
	}
	tn, _ := st.Tenant(ctx, "acme")
	if tn.ConsecutiveFailures != writers {
		t.Fatalf("failures = %d, want %d (a lost update)", tn.ConsecutiveFailures, writers)
	}
}

func TestConnectedTenantsAcrossShards(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	want := map[string]time.Time{}
	shards := map[string]bool{}
	for i := range 300 {
		id := fmt.Sprintf("t-%03d", i)
		connect(t, st, id)
		switch i % 6 {
		case 0:
			if err := st.Disconnect(ctx, id); err != nil {
				t.Fatal(err)
			}
		case 1:
			if err := st.MarkRevoked(ctx, id, testStart); err != nil {
				t.Fatal(err)
			}
		case 2:
			for range 3 {
				if _, err := st.RecordRunOutcome(ctx, id, testOutcome(true, "x", testStart)); err != nil {
					t.Fatal(err)
				}
			}
			want[id] = testStart.Add(time.Hour)
			shards[shardOf(id)] = true
		default:
			want[id] = time.Time{}
			shards[shardOf(id)] = true
		}
	}
	if err := st.SaveSettings(ctx, "settings-only", demoSettings); err != nil {
		t.Fatal(err)
	}
	if len(shards) != connectedShards {
		t.Fatalf("test tenants fill %d shards, want all %d", len(shards), connectedShards)
	}
	got, err := st.ConnectedTenantIDs(ctx)
	if err != nil {
		t.Fatalf("ConnectedTenants: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d tenants, want %d", len(got), len(want))
	}
	for id, until := range want {
		g, ok := got[id]
		if !ok || !g.Equal(until) {
			t.Fatalf("tenant %s: got %v %v, want %v", id, g, ok, until)
		}
	}
}

func TestConnectedTenantsStopsOnCallbackError(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	for i := range 20 {
		connect(t, st, fmt.Sprintf("t-%d", i))
	}
	boom := errors.New("queue full")
	err := st.ConnectedTenants(ctxT(t), func(Scheduled) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the callback's", err)
	}
}

func TestBadTenantIDRejected(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	for _, id := range []string{"", "Acme", "a#LINK", "-acme", "acme/x", strings.Repeat("a", 64)} {
		_, err1 := st.Tenant(ctx, id)
		err2 := st.PutLink(ctx, id, provision.Link{UserID: "u", EmployeeID: "e"})
		_, _, err3 := st.ListRuns(ctx, id, 10, "")
		err4 := st.CreateRun(ctx, newRun(id, "s1", provision.RunQueued))
		for i, err := range []error{err1, err2, err3, err4} {
			if !errors.Is(err, fault.ErrValidation) || fault.FieldOf(err) != "tenant" {
				t.Fatalf("tenant %q, call %d: %v, want validation on tenant", id, i, err)
			}
		}
	}
}

func TestCreateTableIsIdempotentAndChecksLayout(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	name := newTable(t)
	if err := CreateTable(ctx, ddb, name); err != nil {
		t.Fatalf("CreateTable on an existing table: %v", err)
	}
	old := name + "-old"
	_, err := ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(old),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := CreateTable(ctx, ddb, old); !errors.Is(err, fault.ErrValidation) {
		t.Fatalf("CreateTable over a table without the indexes = %v, want validation", err)
	}
}

// TestSaveSettingsIfLosesToAnyWriteSinceTheRead: the worker's own settings
// write (dropping SCIM mappings) must not undo an admin's PUT …/settings,
// nor bring settings back after a disconnect or over a reconnect.
func TestSaveSettingsIfLosesToAnyWriteSinceTheRead(t *testing.T) {
	t.Parallel()
	dropped := demoSettings
	dropped.Mappings = dropped.Mappings[:1]
	admins := demoSettings
	admins.MassCreateMaxPercent = 5
	tests := []struct {
		name    string
		between func(st *Store, id string) error
		want    *provision.Settings // settings after the worker's write; nil = none
		err     error
	}{
		{"nothing in between", func(*Store, string) error { return nil }, &dropped, nil},
		{"admin saved settings", func(st *Store, id string) error { return st.SaveSettings(ctxT(t), id, admins) }, &admins, fault.ErrConflict},
		{"disconnected", func(st *Store, id string) error { return st.Disconnect(ctxT(t), id) }, nil, fault.ErrConflict},
		{"reconnected", func(st *Store, id string) error {
			_, err := st.Connect(ctxT(t), Tenant{ID: id, CompanyID: "CJ6"})
			return err
		}, &demoSettings, fault.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, _ := newStore(t)
			ctx := ctxT(t)
			id := "acme"
			connect(t, st, id)
			if err := st.SaveSettings(ctx, id, demoSettings); err != nil {
				t.Fatal(err)
			}
			read, err := st.Tenant(ctx, id)
			if err != nil || read.Version == 0 {
				t.Fatalf("read %+v, %v: want a version", read, err)
			}
			if err := tt.between(st, id); err != nil {
				t.Fatal(err)
			}
			err = st.SaveSettingsIf(ctx, id, dropped, read.Version)
			if (tt.err == nil) != (err == nil) || (tt.err != nil && !errors.Is(err, tt.err)) {
				t.Fatalf("SaveSettingsIf = %v, want %v", err, tt.err)
			}
			after, err := st.Tenant(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.want == nil && after.Settings != nil:
				t.Fatalf("settings %+v came back", after.Settings)
			case tt.want != nil && (after.Settings == nil || after.Settings.MassCreateMaxPercent != tt.want.MassCreateMaxPercent || len(after.Settings.Mappings) != len(tt.want.Mappings)):
				t.Fatalf("settings %+v, want %+v", after.Settings, tt.want)
			}
		})
	}
}
