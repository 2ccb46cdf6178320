package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

// Links and hires per TriNet company (docs/data-model.md, "Links").

func link(co, user, emp string) provision.Link {
	return provision.Link{CompanyID: co, UserID: user, EmployeeID: emp}
}

func TestLinksAndHiresAreKeptPerCompany(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	// The same person and the same employee id in two companies are unrelated.
	for _, l := range []provision.Link{link("TEST", "ada", "00000001"), link("PROD", "ada", "00000004"), link("PROD", "zoe", "00000001")} {
		if err := st.PutLink(ctx, "acme", l); err != nil {
			t.Fatalf("PutLink %+v: %v", l, err)
		}
	}
	if err := st.PutLink(ctx, "acme", link("TEST", "bob", "00000001")); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("employee of another person in the same company: %v, want conflict", err)
	}
	for co, want := range map[string]map[string]string{
		"TEST": {"ada": "00000001"},
		"PROD": {"ada": "00000004", "zoe": "00000001"},
		"NONE": {},
	} {
		links, err := st.Links(ctx, "acme", co)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, l := range links {
			if l.CompanyID != co {
				t.Errorf("Links(%s) returned %+v", co, l)
			}
			got[l.UserID] = l.EmployeeID
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Links(%s) = %v, want %v", co, got, want)
		}
	}
	for _, e := range []provision.HireEntry{
		{CompanyID: "TEST", UserID: "cleo", State: provision.HirePending, EmployeeID: "00000003", SubmittedAt: testStart},
		{CompanyID: "PROD", UserID: "cleo", State: provision.HireUnknown, SubmittedAt: testStart},
	} {
		if err := st.CreateHire(ctx, "acme", e); err != nil {
			t.Fatalf("CreateHire %+v: %v", e, err)
		}
	}
	if err := st.CreateHire(ctx, "acme", provision.HireEntry{CompanyID: "PROD", UserID: "cleo", State: provision.HireSubmitted}); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("second hire in one company: %v, want conflict", err)
	}
	for co, want := range map[string]provision.HireState{"TEST": provision.HirePending, "PROD": provision.HireUnknown} {
		hires, err := st.Hires(ctx, "acme", co)
		if err != nil || len(hires) != 1 || hires[0].State != want || hires[0].CompanyID != co {
			t.Errorf("Hires(%s) = %+v %v", co, hires, err)
		}
		open, _, err := st.ListHires(ctx, "acme", co, "", 10, "")
		if err != nil || len(open) != 1 || open[0].State != want {
			t.Errorf("ListHires(%s) = %+v %v", co, open, err)
		}
	}
	// A page token of one company's list is refused on another's.
	if err := st.CreateHire(ctx, "acme", provision.HireEntry{CompanyID: "PROD", UserID: "dan", State: provision.HirePending, SubmittedAt: testStart}); err != nil {
		t.Fatal(err)
	}
	_, next, err := st.ListHires(ctx, "acme", "PROD", "", 1, "")
	if err != nil || next == "" {
		t.Fatalf("first page: %q %v", next, err)
	}
	if _, _, err := st.ListHires(ctx, "acme", "TEST", "", 1, next); !errors.Is(err, fault.ErrValidation) {
		t.Fatalf("another company's token: %v, want validation", err)
	}
	if err := st.ReleaseHire(ctx, "acme", "TEST", "cleo"); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("release the test company's pending hire: %v, want conflict", err)
	}
	if err := st.ReleaseHire(ctx, "acme", "PROD", "cleo"); err != nil {
		t.Fatalf("release production's unknown hire: %v", err)
	}
	if _, err := st.Hire(ctx, "acme", "TEST", "cleo"); err != nil {
		t.Fatalf("the test company's hire went with production's: %v", err)
	}
	for _, bad := range []error{
		st.PutLink(ctx, "acme", link("", "ada", "1")),
		st.CreateHire(ctx, "acme", provision.HireEntry{UserID: "x", State: provision.HirePending}),
		func() error { _, err := st.Links(ctx, "acme", ""); return err }(),
	} {
		if fault.FieldOf(bad) != "companyId" {
			t.Errorf("no company: %v, want a validation error on companyId", bad)
		}
	}
}

// A company id with the key's separators in it cannot reach another company's entries.
func TestCompanyIDsCannotForgeKeys(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	if err := st.PutLink(ctx, "acme", link("A#LINK#x", "u", "E1")); err != nil {
		t.Fatal(err)
	}
	if err := st.PutLink(ctx, "acme", link("A", "x", "E2")); err != nil {
		t.Fatal(err)
	}
	links, err := st.Links(ctx, "acme", "A")
	if err != nil || len(links) != 1 || links[0].UserID != "x" {
		t.Fatalf("Links(A) = %+v %v", links, err)
	}
}

// putLegacy writes an item as the service stored it before links and hires
// carried a company.
func putLegacy(t *testing.T, st *Store, item map[string]types.AttributeValue) {
	t.Helper()
	if _, err := ddb.PutItem(ctxT(t), &dynamodb.PutItemInput{TableName: st.table, Item: item}); err != nil {
		t.Fatal(err)
	}
}

func legacyWorld(t *testing.T, st *Store, tenant string) {
	pk := s(tenantPK(tenant))
	putLegacy(t, st, map[string]types.AttributeValue{attrPK: pk, attrSK: s("LINK#ada"), "userId": s("ada"), "employeeId": s("00000001"), "linkedAt": s(fmtTime(testStart))})
	putLegacy(t, st, map[string]types.AttributeValue{attrPK: pk, attrSK: s("EMP#00000001"), "userId": s("ada"), "employeeId": s("00000001")})
	putLegacy(t, st, map[string]types.AttributeValue{attrPK: pk, attrSK: s("HIRE#cleo"), "userId": s("cleo"), "email": s("cleo@example.com"),
		"state": s("pending"), "employeeId": s("00000003"), "submittedAt": s(fmtTime(testStart)), "syncId": s("s1"),
		attrGSI1PK: s("HIRES#" + tenant), attrGSI1SK: s("pending#" + fmtTime(testStart) + "#cleo")})
	putLegacy(t, st, map[string]types.AttributeValue{attrPK: pk, attrSK: s("HIRE#dan"), "userId": s("dan"), "email": s("dan@example.com"),
		"state": s("linked"), "employeeId": s("00000002"), "submittedAt": s(fmtTime(testStart)), "syncId": s("s1")})
}

func rawLegacyLeft(t *testing.T, st *Store, tenant string) int {
	t.Helper()
	n := 0
	for _, sk := range []string{"LINK#ada", "EMP#00000001", "HIRE#cleo", "HIRE#dan"} {
		if rawItem(t, st, tenantPK(tenant), sk) != nil {
			n++
		}
	}
	return n
}

// Items stored before they carried a company belong to the tenant's current
// company: the first read binds them to it, once, and another company never
// sees them.
func TestLegacyItemsAreBoundToTheCurrentCompany(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	legacyWorld(t, st, "acme")
	// Runs of the tenant read links and hires at once; both bind.
	var wg sync.WaitGroup
	var lerr, herr error
	var links []provision.Link
	var hires []provision.HireEntry
	wg.Go(func() { links, lerr = st.Links(ctx, "acme", "CJ6") })
	wg.Go(func() { hires, herr = st.Hires(ctx, "acme", "CJ6") })
	wg.Wait()
	if lerr != nil || herr != nil {
		t.Fatal(lerr, herr)
	}
	if len(links) != 1 || links[0].UserID != "ada" || links[0].EmployeeID != "00000001" || links[0].CompanyID != "CJ6" ||
		links[0].Origin != provision.OriginEmail || !links[0].LinkedAt.Equal(testStart) {
		t.Fatalf("links %+v", links)
	}
	if len(hires) != 2 {
		t.Fatalf("hires %+v", hires)
	}
	if n := rawLegacyLeft(t, st, "acme"); n != 0 {
		t.Fatalf("%d items left without a company", n)
	}
	if rawItem(t, st, tenantPK("acme"), companyRange("CJ6", kindReverse)+"00000001") == nil {
		t.Fatal("the reverse link was not bound")
	}
	open, _, err := st.ListHires(ctx, "acme", "CJ6", provision.HirePending, 10, "")
	if err != nil || len(open) != 1 || open[0].UserID != "cleo" {
		t.Fatalf("open hires %+v %v", open, err)
	}
	// The bound reverse item still guards the employee.
	if err := st.PutLink(ctx, "acme", link("CJ6", "bob", "00000001")); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("PutLink of ada's employee: %v, want conflict", err)
	}
	if links, _ := st.Links(ctx, "acme", "OTHER"); len(links) != 0 {
		t.Fatalf("another company sees %+v", links)
	}
	if hires, _ := st.Hires(ctx, "acme", "OTHER"); len(hires) != 0 {
		t.Fatalf("another company sees %+v", hires)
	}
}

// A newer entry of the company wins over an unbound one, and binding twice
// changes nothing.
func TestAdoptLegacyKeepsNewerEntries(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	legacyWorld(t, st, "acme")
	if err := st.CreateHire(ctx, "acme", provision.HireEntry{CompanyID: "CJ6", UserID: "cleo", State: provision.HireUnknown, SubmittedAt: testStart}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := st.AdoptLegacy(ctx, "acme", "CJ6"); err != nil {
			t.Fatal(err)
		}
	}
	h, err := st.Hire(ctx, "acme", "CJ6", "cleo")
	if err != nil || h.State != provision.HireUnknown {
		t.Fatalf("hire %+v %v, want the newer unknown entry", h, err)
	}
	if n := rawLegacyLeft(t, st, "acme"); n != 0 {
		t.Fatalf("%d items left without a company", n)
	}
}

// Before a tenant leaves its company (a move or a revocation), what it
// stored without a company is bound to the company it leaves.
func TestDisconnectBindsLegacyHiresToTheCompanyLeft(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	connect(t, st, "acme")
	tn, err := st.Tenant(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	legacyWorld(t, st, "acme")
	if err := st.Disconnect(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	after, err := st.Tenant(ctx, "acme")
	if err != nil || after.CompanyID != "" || after.LastCompanyID != tn.CompanyID {
		t.Fatalf("tenant after disconnect %+v %v, want lastCompanyId %s", after, err, tn.CompanyID)
	}
	if n := rawLegacyLeft(t, st, "acme"); n != 0 {
		t.Fatalf("%d items left without a company", n)
	}
	hires, err := st.Hires(ctx, "acme", tn.CompanyID)
	if err != nil || len(hires) != 2 {
		t.Fatalf("the hires of %s: %+v %v", tn.CompanyID, hires, err)
	}
	if hires, _ := st.Hires(ctx, "acme", "NEXT"); len(hires) != 0 {
		t.Fatalf("the next company sees %+v", hires)
	}
	if links, _ := st.Links(ctx, "acme", tn.CompanyID); len(links) != 0 {
		t.Fatalf("links kept after a revocation: %+v", links)
	}
}

func TestMoveLinkTakesTheEmployeeOver(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	if err := st.PutLink(ctx, "acme", link(testCo, "old", "E1")); err != nil {
		t.Fatal(err)
	}
	if err := st.PutLink(ctx, "acme", link(testCo, "carol", "E2")); err != nil {
		t.Fatal(err)
	}
	if err := st.MoveLink(ctx, "acme", link(testCo, "new", "E2"), "old"); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("moving carol's employee from old: %v, want conflict", err)
	}
	if err := st.MoveLink(ctx, "acme", link(testCo, "new", "E1"), "old"); err != nil {
		t.Fatal(err)
	}
	if got := linkMap(t, st, "acme"); len(got) != 2 || got["new"] != "E1" || got["carol"] != "E2" {
		t.Fatalf("links %v", got)
	}
	rev := rawItem(t, st, tenantPK("acme"), companyRange(testCo, kindReverse)+"E1")
	if u := rev["userId"].(*types.AttributeValueMemberS).Value; u != "new" {
		t.Fatalf("reverse of E1 names %s", u)
	}
	if err := st.MoveLink(ctx, "acme", link(testCo, "x", "E9"), "x"); !errors.Is(err, fault.ErrValidation) {
		t.Fatalf("a move from oneself: %v", err)
	}
}

func TestKeepOutDecisionsAndDeleteLink(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	if err := st.PutLink(ctx, "acme", provision.Link{CompanyID: testCo, UserID: "ada", Origin: provision.OriginEmail}); !errors.Is(err, fault.ErrValidation) {
		t.Fatalf("an email link without an employee: %v", err)
	}
	if err := st.PutLink(ctx, "acme", provision.Link{CompanyID: testCo, UserID: "ada", EmployeeID: "E1", Origin: provision.OriginManual, Email: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	// Keeping Ada out frees her employee.
	if err := st.PutLink(ctx, "acme", provision.Link{CompanyID: testCo, UserID: "ada", Origin: provision.OriginManual}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutLink(ctx, "acme", link(testCo, "bob", "E1")); err != nil {
		t.Fatalf("E1 still taken: %v", err)
	}
	l, err := st.Link(ctx, "acme", testCo, "ada")
	if err != nil || !l.Excluded() || l.Origin != provision.OriginManual {
		t.Fatalf("decision %+v %v", l, err)
	}
	for _, u := range []string{"ada", "bob"} {
		if err := st.DeleteLink(ctx, "acme", testCo, u); err != nil {
			t.Fatalf("DeleteLink %s: %v", u, err)
		}
		if err := st.DeleteLink(ctx, "acme", testCo, u); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("DeleteLink %s again: %v, want not found", u, err)
		}
	}
	if rawItem(t, st, tenantPK("acme"), companyRange(testCo, kindReverse)+"E1") != nil {
		t.Fatal("reverse item left after DeleteLink")
	}
	if err := st.PutLink(ctx, "acme", link(testCo, "carol", "E1")); err != nil {
		t.Fatalf("E1 not freed: %v", err)
	}
}

func TestListLinksPagesOneCompany(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	for i := range 5 {
		if err := st.PutLink(ctx, "acme", link(testCo, fmt.Sprintf("u%d", i), fmt.Sprintf("E%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.PutLink(ctx, "acme", link("OTHER", "u9", "E9")); err != nil {
		t.Fatal(err)
	}
	var seen []string
	token := ""
	for range 10 {
		page, next, err := st.ListLinks(ctx, "acme", testCo, 2, token)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range page {
			seen = append(seen, l.UserID)
		}
		if next == "" {
			break
		}
		if _, _, err := st.ListLinks(ctx, "acme", "OTHER", 2, next); !errors.Is(err, fault.ErrValidation) {
			t.Fatalf("a token of another company's list: %v", err)
		}
		token = next
	}
	if fmt.Sprint(seen) != "[u0 u1 u2 u3 u4]" {
		t.Fatalf("walked %v", seen)
	}
}

func TestCountLinksCountsEveryCompany(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	for i := range 3 {
		for _, co := range []string{"A", "B"} {
			if err := st.PutLink(ctx, "acme", link(co, fmt.Sprintf("u%d", i), fmt.Sprintf("E%d", i))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := st.PutLink(ctx, "acme", provision.Link{CompanyID: "A", UserID: "out", Origin: provision.OriginManual}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateHire(ctx, "acme", provision.HireEntry{CompanyID: "A", UserID: "h", State: provision.HirePending}); err != nil {
		t.Fatal(err)
	}
	putLegacy(t, st, map[string]types.AttributeValue{attrPK: s(tenantPK("acme")), attrSK: s("EMP#L1"), "userId": s("legacy"), "employeeId": s("L1")})
	for atMost, want := range map[int]int{100: 7, 4: 4} {
		if n, err := st.CountLinks(ctx, "acme", atMost); err != nil || n != want {
			t.Errorf("CountLinks(%d) = %d %v, want %d", atMost, n, err, want)
		}
	}
	if n, err := st.CountLinks(ctx, "other", 20); err != nil || n != 0 {
		t.Errorf("another tenant: %d %v", n, err)
	}
	out, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: st.table, Key: key(tenantPK("acme"), "EMP#L1"), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		t.Fatal("counting must not bind or move anything")
	}
}
