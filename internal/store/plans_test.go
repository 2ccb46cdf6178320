package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

func planItems(from, to int) []provision.PlanItem {
	var items []provision.PlanItem
	for i := from; i < to; i++ {
		items = append(items, provision.PlanItem{
			UserID: fmt.Sprintf("u%04d", i), Email: fmt.Sprintf("p%d@example.com", i), Name: "Person",
			Action: provision.ActionUpdate,
			Fields: []provision.FieldChange{{Field: "jobTitle", From: "Dev", To: "Lead"}},
		})
	}
	return items
}

func readPlan(t *testing.T, st *Store, tenant, syncID string, limit int) ([]provision.PlanItem, []int) {
	t.Helper()
	var all []provision.PlanItem
	var sizes []int
	token := ""
	for {
		page, next, err := st.ListPlan(ctxT(t), tenant, syncID, limit, token)
		if err != nil {
			t.Fatalf("ListPlan: %v", err)
		}
		all, sizes = append(all, page...), append(sizes, len(page))
		if next == "" {
			return all, sizes
		}
		token = next
	}
}

func TestPlanAppendsAndPages(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	if err := st.PutPlan(ctx, "acme", "s1", planItems(0, 70)); err != nil {
		t.Fatalf("PutPlan: %v", err)
	}
	// A continuation adds the rest; a redelivery rewrites 60..70 without duplicates.
	if err := st.PutPlan(ctx, "acme", "s1", planItems(60, 120)); err != nil {
		t.Fatalf("PutPlan continuation: %v", err)
	}
	if err := st.PutPlan(ctx, "acme", "s2", planItems(0, 3)); err != nil {
		t.Fatal(err)
	}
	all, sizes := readPlan(t, st, "acme", "s1", 50)
	if !reflect.DeepEqual(sizes, []int{50, 50, 20}) {
		t.Fatalf("page sizes %v", sizes)
	}
	want := planItems(0, 120)
	if !reflect.DeepEqual(all, want) {
		t.Fatalf("plan differs; first got %+v want %+v", all[0], want[0])
	}
}

func TestPlanStoresNoSensitiveValues(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	item := provision.PlanItem{
		UserID: "u1", Action: provision.ActionCreate,
		Fields: []provision.FieldChange{
			{Field: "birthDate", To: "1990-04-01", Sensitive: true},
			{Field: "firstName", To: "Ann"},
		},
	}
	if err := st.PutPlan(ctx, "acme", "s1", []provision.PlanItem{item}); err != nil {
		t.Fatal(err)
	}
	got, _ := readPlan(t, st, "acme", "s1", 10)
	want := []provision.FieldChange{{Field: "birthDate", Sensitive: true}, {Field: "firstName", To: "Ann"}}
	if len(got) != 1 || !reflect.DeepEqual(got[0].Fields, want) {
		t.Fatalf("fields = %+v", got)
	}
	if item.Fields[0].To != "1990-04-01" {
		t.Fatal("PutPlan changed the caller's item")
	}
	if err := st.PutPlan(ctx, "acme", "s1", []provision.PlanItem{{Action: provision.ActionCreate}}); !errors.Is(err, fault.ErrValidation) {
		t.Fatalf("no userId = %v, want validation", err)
	}
}

// One person's absurd value must not outgrow a DynamoDB item and fail the
// record of the whole run: stored values are cut, on a character boundary.
func TestOversizedValuesAreCut(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	huge := strings.Repeat("é", 300_000) // 600 KB of UTF-8
	item := provision.PlanItem{UserID: "u1", Action: provision.ActionUpdate, Name: huge,
		Fields: []provision.FieldChange{{Field: "jobTitle", From: huge, To: huge}}}
	if err := st.PutPlan(ctx, "acme", "s1", []provision.PlanItem{item}); err != nil {
		t.Fatal(err)
	}
	issue := provision.Issue{UserID: "u1", Name: huge, Severity: provision.SeverityError, Code: "invalid_value", Message: huge}
	if err := st.PutIssues(ctx, "acme", "s1", []provision.Issue{issue}); err != nil {
		t.Fatal(err)
	}
	got, _ := readPlan(t, st, "acme", "s1", 10)
	issues, _, err := st.ListIssues(ctx, "acme", "s1", 10, "")
	if err != nil || len(got) != 1 || len(issues) != 1 {
		t.Fatalf("plan %d, issues %d, %v", len(got), len(issues), err)
	}
	for _, v := range []string{got[0].Name, got[0].Fields[0].From, got[0].Fields[0].To, issues[0].Name, issues[0].Message} {
		if len(v) > maxShown+len("…") || !utf8.ValidString(v) || !strings.HasSuffix(v, "…") || !strings.HasPrefix(huge, strings.TrimSuffix(v, "…")) {
			t.Fatalf("stored value of %d bytes, valid UTF-8 %t", len(v), utf8.ValidString(v))
		}
	}
}

func TestIssuesPageAndDeduplicate(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := ctxT(t)
	issues := []provision.Issue{
		{Severity: provision.SeverityWarning, Code: "scim_unavailable", Message: "add a SCIM token"},
		{UserID: "u1", Email: "a@example.com", Name: "Ann", Severity: provision.SeverityError, Code: "unsupported_gender", Field: "gender", Message: "m"},
		{UserID: "u1", Email: "a@example.com", Name: "Ann", Severity: provision.SeverityError, Code: "location_not_found", Field: "location", Message: "m"},
	}
	for i := range 30 {
		issues = append(issues, provision.Issue{UserID: fmt.Sprintf("u%03d", i+10), Severity: provision.SeverityWarning, Code: "not_in_trinet", Message: "m"})
	}
	for range 2 { // written twice: a redelivered continuation
		if err := st.PutIssues(ctx, "acme", "s1", issues); err != nil {
			t.Fatalf("PutIssues: %v", err)
		}
	}
	var all []provision.Issue
	token, pages := "", 0
	for {
		page, next, err := st.ListIssues(ctx, "acme", "s1", 10, token)
		if err != nil {
			t.Fatalf("ListIssues: %v", err)
		}
		all = append(all, page...)
		pages++
		if next == "" {
			break
		}
		token = next
	}
	if len(all) != len(issues) || pages != 4 {
		t.Fatalf("%d issues in %d pages, want %d in 4", len(all), pages, len(issues))
	}
	if all[0].UserID != "" || all[0].Code != "scim_unavailable" {
		t.Fatalf("tenant issue not first: %+v", all[0])
	}
	if err := st.PutIssues(ctx, "acme", "s1", []provision.Issue{{UserID: "u1", Severity: "fatal"}}); !errors.Is(err, fault.ErrValidation) {
		t.Fatalf("bad severity = %v", err)
	}
}

// unprocessedFirst answers the first n BatchWriteItem calls by processing all
// but the last request and returning it as unprocessed, as DynamoDB does
// under load.
func unprocessedFirst(st *Store, n int32, calls *atomic.Int32) func(*dynamodb.BatchWriteItemInput) (*dynamodb.BatchWriteItemOutput, error, bool) {
	return func(in *dynamodb.BatchWriteItemInput) (*dynamodb.BatchWriteItemOutput, error, bool) {
		if calls.Add(1) > n {
			return nil, nil, false
		}
		reqs := in.RequestItems[st.cfg.Table]
		if len(reqs) > 1 {
			head := map[string][]types.WriteRequest{st.cfg.Table: reqs[:len(reqs)-1]}
			if _, err := ddb.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: head}); err != nil {
				return nil, err, true
			}
		}
		return &dynamodb.BatchWriteItemOutput{UnprocessedItems: map[string][]types.WriteRequest{st.cfg.Table: reqs[len(reqs)-1:]}}, nil, true
	}
}

func TestBatchWriteResendsUnprocessedItems(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	fc := &faultyClient{Client: ddb}
	st.db = fc
	var calls atomic.Int32
	fc.batch = unprocessedFirst(st, 5, &calls)
	if err := st.PutPlan(ctxT(t), "acme", "s1", planItems(0, 60)); err != nil {
		t.Fatalf("PutPlan: %v", err)
	}
	all, _ := readPlan(t, st, "acme", "s1", 100)
	if len(all) != 60 {
		t.Fatalf("%d plan items stored, want 60", len(all))
	}
	if calls.Load() <= 5 {
		t.Fatalf("only %d batch calls: unprocessed items were not resent", calls.Load())
	}
}

func TestBatchWriteGivesUpThrottled(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	fc := &faultyClient{Client: ddb}
	st.db = fc
	st.cfg.BatchRetryTries = 3
	var calls atomic.Int32
	fc.batch = unprocessedFirst(st, 1<<30, &calls)
	err := st.PutIssues(ctxT(t), "acme", "s1", []provision.Issue{
		{UserID: "a", Severity: provision.SeverityWarning}, {UserID: "b", Severity: provision.SeverityWarning},
	})
	if !errors.Is(err, fault.ErrThrottled) {
		t.Fatalf("err = %v, want throttled", err)
	}
	if calls.Load() != 3 {
		t.Fatalf("%d calls, want 3 tries", calls.Load())
	}
}

func TestBatchWriteStopsOnPermanentError(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	fc := &faultyClient{Client: ddb}
	st.db = fc
	var calls atomic.Int32
	fc.batch = func(*dynamodb.BatchWriteItemInput) (*dynamodb.BatchWriteItemOutput, error, bool) {
		calls.Add(1)
		return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "Item size has exceeded the maximum allowed size"}, true
	}
	err := st.PutPlan(ctxT(t), "acme", "s1", planItems(0, 1))
	// Our own item, refused by DynamoDB: a server-side fault, never the
	// caller's 400.
	if !errors.Is(err, fault.ErrInternal) || calls.Load() != 1 {
		t.Fatalf("err = %v after %d calls, want internal after 1", err, calls.Load())
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want error
	}{
		{&types.ConditionalCheckFailedException{Message: aws.String("no")}, fault.ErrConflict},
		{&smithy.GenericAPIError{Code: "ThrottlingException"}, fault.ErrThrottled},
		{&types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}, fault.ErrThrottled},
		{&smithy.GenericAPIError{Code: "RequestLimitExceeded"}, fault.ErrThrottled},
		// Requests DynamoDB refuses on their merits are ours to fix (issue 10):
		// a 5xx class, never the API caller's 400.
		{&smithy.GenericAPIError{Code: "ValidationException"}, fault.ErrInternal},
		{&smithy.GenericAPIError{Code: "AccessDeniedException"}, fault.ErrInternal},
		{&smithy.GenericAPIError{Code: "ResourceNotFoundException"}, fault.ErrInternal},
		{&smithy.GenericAPIError{Code: "InternalServerError"}, fault.ErrTransient},
		{errors.New("dial tcp: connection refused"), fault.ErrTransient},
	}
	for _, tt := range tests {
		got := classify(tt.err, "op")
		if !errors.Is(got, tt.want) || !errors.Is(got, tt.err) {
			t.Errorf("classify(%v) = %v, want class of %v wrapping the cause", tt.err, got, tt.want)
		}
	}
	if classify(nil, "op") != nil {
		t.Error("classify(nil) != nil")
	}
}
