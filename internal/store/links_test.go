package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

// faultyClient passes calls to dynalite except where a hook injects a
// failure dynalite cannot produce.
type faultyClient struct {
	Client
	putItem func(in *dynamodb.PutItemInput) error
	batch   func(in *dynamodb.BatchWriteItemInput) (*dynamodb.BatchWriteItemOutput, error, bool)
}

func (f *faultyClient) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if f.putItem != nil {
		if err := f.putItem(in); err != nil {
			return nil, err
		}
	}
	return f.Client.PutItem(ctx, in, opts...)
}

func (f *faultyClient) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	if f.batch != nil {
		if out, err, handled := f.batch(in); handled {
			return out, err
		}
	}
	return f.Client.BatchWriteItem(ctx, in, opts...)
}

func skOf(item map[string]types.AttributeValue) string {
	v, _ := item[attrSK].(*types.AttributeValueMemberS)
	if v == nil {
		return ""
	}
	return v.Value
}

// rawItem reads an item straight from the table.
func rawItem(t *testing.T, st *Store, pk, sk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := ddb.GetItem(ctxT(t), &dynamodb.GetItemInput{TableName: st.table, Key: key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	return out.Item
}

func linkMap(t *testing.T, st *Store, tenant string) map[string]string {
	t.Helper()
	links, err := st.Links(ctxT(t), tenant, testCo)
	if err != nil {
		t.Fatalf("Links: %v", err)
	}
	m := make(map[string]string, len(links))
	for _, l := range links {
		m[l.UserID] = l.EmployeeID
	}
	return m
}

func TestPutLinkAndLinks(t *testing.T) {
	t.Parallel()
	st, clk := newStore(t)
	ctx := ctxT(t)
	for i := range 5 {
		if err := st.PutLink(ctx, "acme", provision.Link{CompanyID: testCo, UserID: fmt.Sprintf("u%d", i), EmployeeID: fmt.Sprintf("E%d", i)}); err != nil {
			t.Fatalf("PutLink: %v", err)
		}
	}
	if err := st.PutLink(ctx, "other", provision.Link{CompanyID: testCo, UserID: "u0", EmployeeID: "E0"}); err != nil {
		t.Fatalf("same ids in another tenant: %v", err)
	}
	links, err := st.Links(ctx, "acme", testCo)
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 5 {
		t.Fatalf("got %d links, want 5", len(links))
	}
	for _, l := range links {
		if "E"+strings.TrimPrefix(l.UserID, "u") != l.EmployeeID || !l.LinkedAt.Equal(clk.Now()) {
			t.Fatalf("link %+v", l)
		}
	}
	// Re-putting the same link is fine.
	if err := st.PutLink(ctx, "acme", provision.Link{CompanyID: testCo, UserID: "u1", EmployeeID: "E1"}); err != nil {
		t.Fatalf("same link again: %v", err)
	}
}

func TestPutLinkRejectsBadInput(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	for _, l := range []provision.Link{{EmployeeID: "E1"}, {UserID: "u1"}} {
		if err := st.PutLink(ctxT(t), "acme", l); !errors.Is(err, fault.ErrValidation) {
			t.Fatalf("PutLink(%+v) = %v, want validation", l, err)
		}
	}
}

func TestPutLinkEmployeeOfAnotherPersonIsConflict(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	if err := st.PutLink(ctx, "acme", provision.Link{CompanyID: testCo, UserID: "alice", EmployeeID: "E1"}); err != nil {
		t.Fatal(err)
	}
	err := st.PutLink(ctx, "acme", provision.Link{CompanyID: testCo, UserID: "bob", EmployeeID: "E1"})
	if !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("PutLink bob→E1 = %v, want conflict", err)
	}
	if got := linkMap(t, st, "acme"); len(got) != 1 || got["alice"] != "E1" {
		t.Fatalf("links after conflict = %v", got)
	}
	rev := rawItem(t, st, tenantPK("acme"), companyRange(testCo, kindReverse)+"E1")
	if u := rev["userId"].(*types.AttributeValueMemberS).Value; u != "alice" {
		t.Fatalf("reverse of E1 names %s", u)
	}
}

func TestPutLinkRelinkFreesOldEmployee(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	if err := st.PutLink(ctx, "acme", provision.Link{CompanyID: testCo, UserID: "alice", EmployeeID: "E1"}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutLink(ctx, "acme", provision.Link{CompanyID: testCo, UserID: "alice", EmployeeID: "E2"}); err != nil {
		t.Fatal(err)
	}
	if rawItem(t, st, tenantPK("acme"), companyRange(testCo, kindReverse)+"E1") != nil {
		t.Fatal("old reverse item E1 left behind")
	}
	if err := st.PutLink(ctx, "acme", provision.Link{CompanyID: testCo, UserID: "bob", EmployeeID: "E1"}); err != nil {
		t.Fatalf("freed employee cannot be linked: %v", err)
	}
	if got := linkMap(t, st, "acme"); got["alice"] != "E2" || got["bob"] != "E1" {
		t.Fatalf("links = %v", got)
	}
}

func TestPutLinkForwardFailureRemovesReverse(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	fc := &faultyClient{Client: ddb}
	st.db = fc
	ctx := ctxT(t)
	fc.putItem = func(in *dynamodb.PutItemInput) error {
		if strings.HasPrefix(skOf(in.Item), companyRange(testCo, kindLink)) {
			return errors.New("connection reset")
		}
		return nil
	}
	err := st.PutLink(ctx, "acme", provision.Link{CompanyID: testCo, UserID: "alice", EmployeeID: "E1"})
	if !errors.Is(err, fault.ErrTransient) {
		t.Fatalf("PutLink = %v, want transient", err)
	}
	if rawItem(t, st, tenantPK("acme"), companyRange(testCo, kindReverse)+"E1") != nil {
		t.Fatal("reverse item left behind after the forward write failed")
	}
	fc.putItem = nil
	if err := st.PutLink(ctx, "acme", provision.Link{CompanyID: testCo, UserID: "bob", EmployeeID: "E1"}); err != nil {
		t.Fatalf("employee still blocked: %v", err)
	}
}

func TestPutLinkRaceForOneEmployee(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	const racers = 8
	var wg sync.WaitGroup
	results := make([]error, racers)
	for i := range racers {
		wg.Go(func() {
			results[i] = st.PutLink(ctx, "acme", provision.Link{CompanyID: testCo, UserID: fmt.Sprintf("u%d", i), EmployeeID: "E1"})
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range results {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, fault.ErrConflict):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d racers linked E1, want exactly 1", wins)
	}
	if got := linkMap(t, st, "acme"); len(got) != 1 {
		t.Fatalf("links = %v", got)
	}
}

func TestPutLinksBulk(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	if err := st.PutLink(ctx, "acme", provision.Link{CompanyID: testCo, UserID: "alice", EmployeeID: "E1"}); err != nil {
		t.Fatal(err)
	}
	var links []provision.Link
	for i := range 60 {
		links = append(links, provision.Link{CompanyID: testCo, UserID: fmt.Sprintf("u%02d", i), EmployeeID: fmt.Sprintf("X%02d", i)})
	}
	// alice moves to X99; her old employee E1 goes to bob in the same batch.
	links = append(links, provision.Link{CompanyID: testCo, UserID: "alice", EmployeeID: "X99"}, provision.Link{CompanyID: testCo, UserID: "bob", EmployeeID: "E1"})
	if err := st.PutLinks(ctx, "acme", links); err != nil {
		t.Fatalf("PutLinks: %v", err)
	}
	got := linkMap(t, st, "acme")
	if len(got) != 62 || got["alice"] != "X99" || got["bob"] != "E1" || got["u07"] != "X07" {
		t.Fatalf("links: %d, alice %s, bob %s", len(got), got["alice"], got["bob"])
	}
	if rev := rawItem(t, st, tenantPK("acme"), companyRange(testCo, kindReverse)+"E1"); rev["userId"].(*types.AttributeValueMemberS).Value != "bob" {
		t.Fatal("reverse of E1 does not name bob")
	}

	tests := []struct {
		name  string
		links []provision.Link
		want  error
	}{
		{"employee of a stored link", []provision.Link{{CompanyID: testCo, UserID: "carol", EmployeeID: "X01"}}, fault.ErrConflict},
		{"employee twice in the batch", []provision.Link{{CompanyID: testCo, UserID: "c", EmployeeID: "Y"}, {CompanyID: testCo, UserID: "d", EmployeeID: "Y"}}, fault.ErrConflict},
		{"person twice in the batch", []provision.Link{{CompanyID: testCo, UserID: "c", EmployeeID: "Y"}, {CompanyID: testCo, UserID: "c", EmployeeID: "Z"}}, fault.ErrValidation},
		{"no employee", []provision.Link{{CompanyID: testCo, UserID: "c"}}, fault.ErrValidation},
	}
	for _, tt := range tests {
		if err := st.PutLinks(ctx, "acme", tt.links); !errors.Is(err, tt.want) {
			t.Fatalf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	if n := len(linkMap(t, st, "acme")); n != 62 {
		t.Fatalf("a rejected batch wrote links: %d", n)
	}
}

func TestDeleteLinksBothDirections(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	var links []provision.Link
	for i := range 40 {
		links = append(links, provision.Link{CompanyID: testCo, UserID: fmt.Sprintf("u%d", i), EmployeeID: fmt.Sprintf("E%d", i)})
	}
	if err := st.PutLinks(ctx, "acme", links); err != nil {
		t.Fatal(err)
	}
	if err := st.PutLink(ctx, "other", provision.Link{CompanyID: testCo, UserID: "u1", EmployeeID: "E1"}); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteLinks(ctx, "acme"); err != nil {
		t.Fatalf("DeleteLinks: %v", err)
	}
	if got := linkMap(t, st, "acme"); len(got) != 0 {
		t.Fatalf("links left: %v", got)
	}
	if rawItem(t, st, tenantPK("acme"), companyRange(testCo, kindReverse)+"E3") != nil {
		t.Fatal("reverse item left")
	}
	if got := linkMap(t, st, "other"); got["u1"] != "E1" {
		t.Fatal("another tenant's link was deleted")
	}
}

func TestDisconnectDeletesSettingsAndLinksKeepsRunsAndHires(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	connect(t, st, "acme")
	if err := st.SaveSettings(ctx, "acme", demoSettings); err != nil {
		t.Fatal(err)
	}
	if err := st.PutLink(ctx, "acme", provision.Link{CompanyID: testCo, UserID: "alice", EmployeeID: "E1"}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateHire(ctx, "acme", provision.HireEntry{CompanyID: testCo, UserID: "bob", State: provision.HirePending, SubmittedAt: testStart}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateRun(ctx, provision.Run{TenantID: "acme", SyncID: "s1", Trigger: provision.TriggerManual, Status: provision.RunSucceeded}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent
		if err := st.Disconnect(ctx, "acme"); err != nil {
			t.Fatalf("Disconnect: %v", err)
		}
	}
	tn, err := st.Tenant(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if tn.Status != NotConnected || tn.Settings != nil || tn.SecretName != "" || tn.CompanyID != "" {
		t.Fatalf("tenant after disconnect = %+v", tn)
	}
	if got := linkMap(t, st, "acme"); len(got) != 0 {
		t.Fatalf("links kept: %v", got)
	}
	if rawItem(t, st, tenantPK("acme"), companyRange(testCo, kindReverse)+"E1") != nil {
		t.Fatal("reverse link kept")
	}
	hires, err := st.Hires(ctx, "acme", testCo)
	if err != nil || len(hires) != 1 || hires[0].UserID != "bob" {
		t.Fatalf("hire ledger after disconnect = %v, %v", hires, err)
	}
	if _, err := st.Run(ctx, "acme", "s1"); err != nil {
		t.Fatalf("run after disconnect: %v", err)
	}
	ids, _ := st.ConnectedTenantIDs(ctx)
	if _, ok := ids["acme"]; ok {
		t.Fatal("disconnected tenant still listed for the scheduler")
	}
	if err := st.Disconnect(ctx, "never-seen"); err != nil {
		t.Fatalf("Disconnect of an unknown tenant: %v", err)
	}
}
