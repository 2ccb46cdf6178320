package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/cenkalti/backoff/v5"
	"golang.org/x/sync/errgroup"

	"trinetsync/internal/fault"
)

const (
	batchSize = 25 // BatchWriteItem's limit
	// batchParallel bounds the BatchWriteItem calls in flight for one write, so
	// a 10,000-item plan is not 400 calls in a row nor 400 at once.
	batchParallel = 4
)

// batchWrite writes reqs (puts and deletes; no key twice) in BatchWriteItem
// calls of 25, a few in parallel. Unprocessed items are resent with
// exponential backoff and jitter; when they remain after the last try the
// write fails with fault.Throttled.
func (st *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest, what string) error {
	if len(reqs) == 0 {
		return nil
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(batchParallel)
	for start := 0; start < len(reqs); start += batchSize {
		chunk := reqs[start:min(start+batchSize, len(reqs))]
		g.Go(func() error { return st.batchChunk(ctx, chunk, what) })
	}
	return g.Wait()
}

func (st *Store) batchChunk(ctx context.Context, chunk []types.WriteRequest, what string) error {
	pending := map[string][]types.WriteRequest{st.cfg.Table: chunk}
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = st.cfg.BatchRetryInitial
	bo.Multiplier = 2
	bo.MaxInterval = 5 * time.Second
	tries := 0
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		tries++
		out, err := st.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
		if err != nil {
			err = classify(err, "write %s", what)
			if fault.Retryable(err) {
				return struct{}{}, err
			}
			return struct{}{}, backoff.Permanent(err)
		}
		if left := len(out.UnprocessedItems[st.cfg.Table]); left > 0 {
			pending = out.UnprocessedItems
			st.log.DebugContext(ctx, "store: resending unprocessed batch items", "what", what, "items", left, "try", tries)
			return struct{}{}, fault.New(fault.Throttled, "write %s: %d items unprocessed after %d tries", what, left, tries)
		}
		return struct{}{}, nil
	}, backoff.WithBackOff(bo), backoff.WithMaxTries(st.cfg.BatchRetryTries), backoff.WithMaxElapsedTime(0))
	if err != nil {
		if _, ok := fault.ClassOf(err); !ok {
			// The context ended while waiting.
			return fault.Wrap(fault.Transient, err, "write %s", what)
		}
	}
	return err
}

func putReq(item map[string]types.AttributeValue) types.WriteRequest {
	return types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}
}

func deleteReq(pk, sk string) types.WriteRequest {
	return types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(pk, sk)}}
}
