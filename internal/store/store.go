// Package store keeps everything the service remembers in one DynamoDB table:
// tenants and their settings and back-off, links between Leapsome people and
// TriNet employees, the hire ledger, runs with their plans and issues, and the
// per-tenant lease. It implements provision.LinkStore and provision.Ledger.
//
// The table layout and every access pattern are described in docs/data-model.md.
// Every write that must not lose a race is a single-item conditional write (the
// local emulator, dynalite, has no transactions); a lost condition is reported
// as fault.Conflict, throttling as fault.Throttled, a request DynamoDB refuses
// on its merits (validation, permissions) as fault.Internal, and any other
// failure of DynamoDB as fault.Transient.
package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

// Client is the part of the DynamoDB API the store calls; *dynamodb.Client
// implements it. Tests wrap it to inject the failures dynalite cannot produce.
type Client interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// Config configures a Store.
type Config struct {
	Table string
	// Now is the clock; it decides expiry, leases and back-off. Default time.Now.
	Now func() time.Time
	// Retention is how long runs, plans and issues are kept (their TTL).
	// Default 90 days.
	Retention time.Duration
	// Logger; default slog.Default().
	Logger *slog.Logger
	// BatchRetryInitial is the first wait before resending unprocessed batch
	// items (default 50ms; it doubles, with jitter). BatchRetryTries bounds the
	// attempts of one batch (default 10).
	BatchRetryInitial time.Duration
	BatchRetryTries   uint
}

// DefaultRetention is how long runs, plans and issues are kept by default.
const DefaultRetention = 90 * 24 * time.Hour

// Store is the DynamoDB store. It is safe for concurrent use.
type Store struct {
	db    Client
	table *string
	cfg   Config
	log   *slog.Logger
}

var (
	_ provision.LinkStore = (*Store)(nil)
	_ provision.Ledger    = (*Store)(nil)
)

// New returns a Store over client and cfg.Table.
func New(client Client, cfg Config) *Store {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BatchRetryInitial <= 0 {
		cfg.BatchRetryInitial = 50 * time.Millisecond
	}
	if cfg.BatchRetryTries == 0 {
		cfg.BatchRetryTries = 10
	}
	return &Store{db: client, table: aws.String(cfg.Table), cfg: cfg, log: cfg.Logger}
}

// Index names and key attributes; they must match template.yaml (see
// docs/data-model.md).
const (
	attrPK       = "pk"
	attrSK       = "sk"
	indexList    = "gsi1"
	attrGSI1PK   = "gsi1pk"
	attrGSI1SK   = "gsi1sk"
	indexDone    = "gsi2"
	attrGSI2PK   = "gsi2pk"
	attrGSI2SK   = "gsi2sk"
	indexConn    = "connected"
	attrShard    = "cshard"
	attrTenantID = "tenantId"
	// attrExpiresAt is the TTL attribute (epoch seconds) of runs, plans and issues.
	attrExpiresAt = "expiresAt"
)

// TableDefinition is the table's layout: keys, attribute types and indexes.
// template.yaml declares the same (a test holds the two together).
func TableDefinition(table string) *dynamodb.CreateTableInput {
	str := func(name string) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: types.ScalarAttributeTypeS}
	}
	keys := func(hash, rng string) []types.KeySchemaElement {
		return []types.KeySchemaElement{
			{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(rng), KeyType: types.KeyTypeRange},
		}
	}
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			str(attrPK), str(attrSK), str(attrGSI1PK), str(attrGSI1SK),
			str(attrGSI2PK), str(attrGSI2SK), str(attrShard), str(attrTenantID),
		},
		KeySchema: keys(attrPK, attrSK),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			{IndexName: aws.String(indexList), KeySchema: keys(attrGSI1PK, attrGSI1SK),
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}},
			{IndexName: aws.String(indexDone), KeySchema: keys(attrGSI2PK, attrGSI2SK),
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}},
			{IndexName: aws.String(indexConn), KeySchema: keys(attrShard, attrTenantID),
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{attrBackoffUntil, attrSchedEvery, attrSchedPaused}}},
		},
	}
}

// CreateTable creates the table with its indexes, as template.yaml declares it,
// and waits until it is ACTIVE. A table that already exists is left as it is
// (the local stack keeps its data across restarts). Used by tests and the local
// stack; in AWS the table comes from template.yaml.
func CreateTable(ctx context.Context, client *dynamodb.Client, table string) error {
	_, err := client.CreateTable(ctx, TableDefinition(table))
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return classify(err, "create table %s", table)
	}
	ticker := time.NewTicker(100 * time.Millisecond)
	defer ticker.Stop()
	for {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil {
			return classify(err, "describe table %s", table)
		}
		if out.Table.TableStatus == types.TableStatusActive {
			// A table kept from an older layout (the local stack's data folder)
			// would fail later in obscure ways; say so now.
			have := map[string]bool{}
			for _, g := range out.Table.GlobalSecondaryIndexes {
				have[aws.ToString(g.IndexName)] = true
				if aws.ToString(g.IndexName) == indexConn && g.Projection != nil &&
					!slices.Contains(g.Projection.NonKeyAttributes, attrSchedEvery) {
					// The scheduler would read every tenant's schedule as the default.
					return fault.New(fault.Validation, "table %s has index %s without the schedule's attributes: it was made for another version; delete it (or the local data folder)", table, indexConn)
				}
			}
			for _, want := range []string{indexList, indexDone, indexConn} {
				if !have[want] {
					return fault.New(fault.Validation, "table %s exists without index %s: it was made for another version; delete it (or the local data folder)", table, want)
				}
			}
			break
		}
		select {
		case <-ctx.Done():
			return fault.Wrap(fault.Transient, ctx.Err(), "table %s not active", table)
		case <-ticker.C:
		}
	}
	// DynamoDB needs TTL switched on separately; dynalite does not know the
	// operation (and never expires items, which is why reads filter them).
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(attrExpiresAt), Enabled: aws.Bool(true),
		},
	})
	var apiErr smithy.APIError
	if err != nil && errors.As(err, &apiErr) &&
		(apiErr.ErrorCode() == "UnknownOperationException" || apiErr.ErrorCode() == "ValidationException") {
		// Unknown to the emulator, or already enabled.
		return nil
	}
	return classify(err, "enable TTL on %s", table)
}

// classify wraps a DynamoDB error in its fault class where it arises. A lost
// condition is a Conflict; callers that know better (NotFound) check first.
func classify(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(format, args...)
	if c, ok := fault.ClassOf(err); ok {
		// Classified where it arose (a request built wrong is Internal).
		return fault.Wrap(c, err, "%s", msg)
	}
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return fault.Wrap(fault.Conflict, err, "%s", msg)
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded":
			return fault.Wrap(fault.Throttled, err, "%s", msg)
		case "ValidationException", "ItemCollectionSizeLimitExceededException", "AccessDeniedException",
			"UnrecognizedClientException", "ResourceNotFoundException", "MissingAuthenticationTokenException":
			// Our request was malformed, an item too large, or our role or table
			// is wrong: retrying cannot help, and it is never the API caller's
			// fault (their input is validated before it reaches a key).
			return fault.Wrap(fault.Internal, err, "%s", msg)
		}
	}
	return fault.Wrap(fault.Transient, err, "%s", msg)
}

// isValidation reports whether DynamoDB refused the request's values.
func isValidation(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationException"
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// checkTenant keeps ids that could break the key scheme out of it (the API
// rejects them before; this is the store's own guard).
func checkTenant(id string) error {
	if !provision.TenantIDPattern.MatchString(id) {
		return fault.Invalid("tenant", "tenant ids are 1-63 lower-case letters, digits or '-', starting with a letter or digit")
	}
	return nil
}

// Keys. Tenant ids never contain '#' (they match ^[a-z0-9][a-z0-9-]{0,62}$),
// so the prefixes cannot collide.
func tenantPK(tenant string) string           { return "TENANT#" + tenant }
func runPartition(tenant, sync string) string { return "RUN#" + tenant + "#" + sync }

const (
	skProfile = "PROFILE"
	skLease   = "LEASE"
)

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: s(pk), attrSK: s(sk)}
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func b(v bool) types.AttributeValue { return &types.AttributeValueMemberBOOL{Value: v} }

// timeLayout is fixed-width so that times sort as text in sort keys and
// compare exactly in conditions.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func parseTime(v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// marshal and unmarshal use the json tags of the item structs, so one set of
// names serves the items and the provision records they embed.
func marshal(v any) (map[string]types.AttributeValue, error) {
	return attributevalue.MarshalMapWithOptions(v, func(o *attributevalue.EncoderOptions) { o.TagKey = "json" })
}

func unmarshal(m map[string]types.AttributeValue, v any) error {
	return attributevalue.UnmarshalMapWithOptions(m, v, func(o *attributevalue.DecoderOptions) { o.TagKey = "json" })
}

func (st *Store) expiresAt() int64 { return st.cfg.Now().Add(st.cfg.Retention).Unix() }

// live reports whether an item with TTL attribute e (0 = none) has not expired.
func (st *Store) live(e int64) bool { return e == 0 || e > st.cfg.Now().Unix() }

// Limits of a page of a list.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

func pageSize(limit int) int32 {
	switch {
	case limit <= 0:
		return DefaultPageSize
	case limit > MaxPageSize:
		return MaxPageSize
	}
	return int32(limit)
}

// pageToken is what an opaque token holds: the list it belongs to and the
// last key read, all of whose attributes in this table are strings.
type pageToken struct {
	List string            `json:"l"`
	Key  map[string]string `json:"k"`
}

func encodeToken(list string, last map[string]types.AttributeValue) (string, error) {
	if len(last) == 0 {
		return "", nil
	}
	t := pageToken{List: list, Key: make(map[string]string, len(last))}
	for k, v := range last {
		sv, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return "", fault.New(fault.Transient, "page key attribute %s is not a string", k)
		}
		t.Key[k] = sv.Value
	}
	raw, err := json.Marshal(t)
	if err != nil {
		return "", fault.Wrap(fault.Transient, err, "encode page token")
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// errBadToken answers every token this service did not give out for the list.
func errBadToken() error { return fault.Invalid("nextToken", "not a token of this list") }

// keyAttrs are the attributes of a page key of a query on index ("" for the
// table): the table's keys, plus the index's.
func keyAttrs(index string) []string {
	switch index {
	case indexList:
		return []string{attrPK, attrSK, attrGSI1PK, attrGSI1SK}
	case indexDone:
		return []string{attrPK, attrSK, attrGSI2PK, attrGSI2SK}
	case indexConn:
		return []string{attrPK, attrSK, attrShard, attrTenantID}
	}
	return []string{attrPK, attrSK}
}

// decodeToken checks that token was made for list, that its key lies in the
// partition asked for (attr = want), so a token cannot reach another tenant's
// items, and that it holds exactly the key attributes of the query, so a
// tampered token is the caller's 400 on nextToken rather than a request
// DynamoDB refuses.
func decodeToken(token, list, attr, want string, attrs []string) (map[string]types.AttributeValue, error) {
	if token == "" {
		return nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, errBadToken()
	}
	var t pageToken
	if err := json.Unmarshal(raw, &t); err != nil || t.List != list || t.Key[attr] != want || len(t.Key) != len(attrs) {
		return nil, errBadToken()
	}
	out := make(map[string]types.AttributeValue, len(t.Key))
	for _, a := range attrs {
		v, ok := t.Key[a]
		if !ok || v == "" || len(v) > 1024 {
			return nil, errBadToken()
		}
		out[a] = s(v)
	}
	return out, nil
}

// page runs q from token until it has limit live items or the list ends, and
// returns them with the token of the next page. keep drops items (expired
// ones). A token is given only when at least one more live item follows, so
// a list whose last page is exactly full ends with no token (the contract's
// "absent or null on the last page"): page reads one live item beyond limit
// and, when there is one, makes the token of the last item returned. q.Limit
// is set per call so no more than that one item is read ahead.
func (st *Store) page(ctx context.Context, q *dynamodb.QueryInput, list, partAttr, partValue string, limit int, token string,
	keep func(map[string]types.AttributeValue) bool) ([]map[string]types.AttributeValue, string, error) {
	attrs := keyAttrs(aws.ToString(q.IndexName))
	start, err := decodeToken(token, list, partAttr, partValue, attrs)
	if err != nil {
		return nil, "", err
	}
	want := int(pageSize(limit))
	var items []map[string]types.AttributeValue
	q.ExclusiveStartKey = start
	for first := true; ; first = false {
		q.Limit = aws.Int32(int32(want + 1 - len(items)))
		out, err := st.db.Query(ctx, q)
		if err != nil {
			err = classify(err, "query %s", list)
			if first && start != nil && errors.Is(err, fault.ErrInternal) && isValidation(err) {
				// A start key DynamoDB refuses came from the caller's token.
				return nil, "", errBadToken()
			}
			return nil, "", err
		}
		for _, it := range out.Items {
			if keep == nil || keep(it) {
				items = append(items, it)
			}
		}
		if len(items) > want {
			items = items[:want]
			next, err := encodeToken(list, keyOf(items[want-1], attrs))
			return items, next, err
		}
		if len(out.LastEvaluatedKey) == 0 {
			return items, "", nil
		}
		q.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// keyOf is the page key of item it: its attributes named by attrs.
func keyOf(it map[string]types.AttributeValue, attrs []string) map[string]types.AttributeValue {
	key := make(map[string]types.AttributeValue, len(attrs))
	for _, a := range attrs {
		key[a] = it[a]
	}
	return key
}

// tenantItems reads, strongly consistent, every item of a tenant whose sort
// key starts with prefix; projection names the attributes to read (none:
// whole items).
func (st *Store) tenantItems(ctx context.Context, tenant, prefix, what string, projection ...string) ([]map[string]types.AttributeValue, error) {
	q, err := st.keyQuery("", inPartition(tenantPK(tenant), prefix), what, projection...)
	if err != nil {
		return nil, err
	}
	q.ConsistentRead = aws.Bool(true)
	return st.all(ctx, q, what)
}

// all runs q to the end of its result.
func (st *Store) all(ctx context.Context, q *dynamodb.QueryInput, what string) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	for {
		out, err := st.db.Query(ctx, q)
		if err != nil {
			return nil, classify(err, "query %s", what)
		}
		items = append(items, out.Items...)
		if len(out.LastEvaluatedKey) == 0 {
			return items, nil
		}
		q.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// ttlOf reads the TTL attribute of an item (0 when absent).
func ttlOf(it map[string]types.AttributeValue) int64 {
	v, ok := it[attrExpiresAt].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	e, _ := strconv.ParseInt(v.Value, 10, 64)
	return e
}

func (st *Store) liveItem(it map[string]types.AttributeValue) bool { return st.live(ttlOf(it)) }
