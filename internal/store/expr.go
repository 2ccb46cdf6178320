package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"trinetsync/internal/fault"
)

// Conditions, updates and key conditions are built with the SDK's expression
// builder (feature/dynamodb/expression), never written as strings: it names
// every attribute and value by a placeholder of its own, so an attribute that
// is a reserved word (status, state, until) needs no care, a value never
// enters an expression's text, and names and values cannot fall out of step
// with the expression that uses them.

// name is an attribute of the table's items.
func name(attr string) expression.NameBuilder { return expression.Name(attr) }

// keyName is a key attribute of the table or of an index.
func keyName(attr string) expression.KeyBuilder { return expression.Key(attr) }

// value is a value an expression compares or sets.
func value(v any) expression.ValueBuilder { return expression.Value(v) }

// build builds b. Only a builder this package put together wrong fails,
// which is our own bug: fault.Internal.
func build(b expression.Builder, what string) (expression.Expression, error) {
	e, err := b.Build()
	if err != nil {
		return e, fault.Wrap(fault.Internal, err, "build the expression of %s", what)
	}
	return e, nil
}

// The conditions of a put that creates an item, and of one that replaces it.
var (
	itemAbsent  = expression.AttributeNotExists(name(attrPK))
	itemPresent = expression.AttributeExists(name(attrPK))
)

// updateItem applies b's update, under b's condition when it has one, to the
// item at key k; rv says what the answer carries (types.ReturnValueNone:
// nothing).
func (st *Store) updateItem(ctx context.Context, k map[string]types.AttributeValue, b expression.Builder, what string, rv types.ReturnValue) (*dynamodb.UpdateItemOutput, error) {
	e, err := build(b, what)
	if err != nil {
		return nil, err
	}
	return st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: st.table, Key: k, ReturnValues: rv,
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
	})
}

// putIf puts item if c holds of the item it replaces; rv says what the
// answer carries.
func (st *Store) putIf(ctx context.Context, item map[string]types.AttributeValue, c expression.ConditionBuilder, what string, rv types.ReturnValue) (*dynamodb.PutItemOutput, error) {
	e, err := build(expression.NewBuilder().WithCondition(c), what)
	if err != nil {
		return nil, err
	}
	return st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: st.table, Item: item, ReturnValues: rv,
		ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
	})
}

// deleteIf deletes the item at key k if c holds of it.
func (st *Store) deleteIf(ctx context.Context, k map[string]types.AttributeValue, c expression.ConditionBuilder, what string) error {
	e, err := build(expression.NewBuilder().WithCondition(c), what)
	if err != nil {
		return err
	}
	_, err = st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: st.table, Key: k,
		ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
	})
	return err
}

// bumpVersion adds to u the tenant record's version count (ver) going up by
// one, which conditional writers compare (atVersion).
func bumpVersion(u expression.UpdateBuilder) expression.UpdateBuilder {
	return u.Set(name("ver"), expression.Plus(expression.IfNotExists(name("ver"), value(n(0))), value(n(1))))
}

// atVersion is the condition that the tenant record is still at version ver
// as it was read (0: a record never versioned).
func atVersion(ver int64) expression.ConditionBuilder {
	if ver == 0 {
		return expression.AttributeNotExists(name("ver"))
	}
	return name("ver").Equal(value(n(ver)))
}

// keyQuery is a Query of the table, or of index when not "", for the items
// that match kc; projection names the attributes to read (none: all).
func (st *Store) keyQuery(index string, kc expression.KeyConditionBuilder, what string, projection ...string) (*dynamodb.QueryInput, error) {
	b := expression.NewBuilder().WithKeyCondition(kc)
	if len(projection) > 0 {
		p := expression.NamesList(name(projection[0]))
		for _, a := range projection[1:] {
			p = p.AddNames(name(a))
		}
		b = b.WithProjection(p)
	}
	e, err := build(b, what)
	if err != nil {
		return nil, err
	}
	q := &dynamodb.QueryInput{
		TableName: st.table, KeyConditionExpression: e.KeyCondition(), ProjectionExpression: e.Projection(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
	}
	if index != "" {
		q.IndexName = aws.String(index)
	}
	return q, nil
}

// inPartition matches the items of one partition of the table whose sort key
// starts with prefix.
func inPartition(pk, prefix string) expression.KeyConditionBuilder {
	return keyName(attrPK).Equal(value(pk)).And(keyName(attrSK).BeginsWith(prefix))
}
