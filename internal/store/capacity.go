package store

import (
	"context"
	"errors"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Capacity adds up the read and write capacity units DynamoDB reports as
// consumed by the calls of a Client it wraps (ReturnConsumedCapacity TOTAL on
// every call). It is how the cost of a run is measured: on-demand tables are
// billed by these units, so they are counted, not estimated from item sizes.
//
// DynamoDB reports no capacity for a conditional write whose condition
// failed, yet bills it (at least one write unit): such a write is counted as
// one unit. What an update costs in a global secondary index is not in TOTAL
// (dynalite reports the table's units only); docs/performance.md adds it.
type Capacity struct {
	mu    sync.Mutex
	read  float64
	write float64
	calls map[string]int
}

// CapacityUsed is what a Capacity has counted.
type CapacityUsed struct {
	Read, Write float64
	// Calls counts the calls by operation (GetItem, Query, …).
	Calls map[string]int
}

// Used returns the totals so far.
func (c *Capacity) Used() CapacityUsed {
	c.mu.Lock()
	defer c.mu.Unlock()
	calls := make(map[string]int, len(c.calls))
	for k, v := range c.calls {
		calls[k] = v
	}
	return CapacityUsed{Read: c.read, Write: c.write, Calls: calls}
}

// Reset sets the totals back to zero.
func (c *Capacity) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.read, c.write, c.calls = 0, 0, nil
}

func (c *Capacity) add(op string, write bool, units ...*types.ConsumedCapacity) {
	var sum float64
	for _, u := range units {
		if u != nil && u.CapacityUnits != nil {
			sum += *u.CapacityUnits
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[op]++
	if write {
		c.write += sum
	} else {
		c.read += sum
	}
}

// addRefused counts a write refused by its condition: billed, not reported.
func (c *Capacity) addRefused(op string, err error) {
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return
	}
	one := 1.0
	c.add(op, true, &types.ConsumedCapacity{CapacityUnits: &one})
}

// Client wraps inner so that every call's consumed capacity is counted here.
func (c *Capacity) Client(inner Client) Client { return &meteredClient{inner: inner, c: c} }

type meteredClient struct {
	inner Client
	c     *Capacity
}

const consumedTotal = types.ReturnConsumedCapacityTotal

func (m *meteredClient) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	x := *in
	x.ReturnConsumedCapacity = consumedTotal
	out, err := m.inner.GetItem(ctx, &x, opts...)
	if err == nil {
		m.c.add("GetItem", false, out.ConsumedCapacity)
	}
	return out, err
}

func (m *meteredClient) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	x := *in
	x.ReturnConsumedCapacity = consumedTotal
	out, err := m.inner.Query(ctx, &x, opts...)
	if err == nil {
		m.c.add("Query", false, out.ConsumedCapacity)
	}
	return out, err
}

func (m *meteredClient) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	x := *in
	x.ReturnConsumedCapacity = consumedTotal
	out, err := m.inner.PutItem(ctx, &x, opts...)
	if err != nil {
		m.c.addRefused("PutItem", err)
		return out, err
	}
	m.c.add("PutItem", true, out.ConsumedCapacity)
	return out, nil
}

func (m *meteredClient) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	x := *in
	x.ReturnConsumedCapacity = consumedTotal
	out, err := m.inner.UpdateItem(ctx, &x, opts...)
	if err != nil {
		m.c.addRefused("UpdateItem", err)
		return out, err
	}
	m.c.add("UpdateItem", true, out.ConsumedCapacity)
	return out, nil
}

func (m *meteredClient) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	x := *in
	x.ReturnConsumedCapacity = consumedTotal
	out, err := m.inner.DeleteItem(ctx, &x, opts...)
	if err != nil {
		m.c.addRefused("DeleteItem", err)
		return out, err
	}
	m.c.add("DeleteItem", true, out.ConsumedCapacity)
	return out, nil
}

func (m *meteredClient) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	x := *in
	x.ReturnConsumedCapacity = consumedTotal
	out, err := m.inner.BatchWriteItem(ctx, &x, opts...)
	if err == nil {
		units := make([]*types.ConsumedCapacity, len(out.ConsumedCapacity))
		for i := range out.ConsumedCapacity {
			units[i] = &out.ConsumedCapacity[i]
		}
		m.c.add("BatchWriteItem", true, units...)
	}
	return out, err
}
