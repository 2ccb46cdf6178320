package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"trinetsync/internal/fault"
	"trinetsync/internal/retry"
)

const (
	batchSize = 25 // BatchWriteItem's limit
	// batchParallel bounds the BatchWriteItem calls in flight for one write, so
	// a 10,000-item plan is not 400 calls in a row nor 400 at once.
	batchParallel = 4
	// batchRetryBudget bounds the resending of one chunk's unprocessed items:
	// the tries, each wait at most 5s, end well before it, and the caller's
	// deadline sooner still.
	batchRetryBudget = 5 * time.Minute
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
	// Unprocessed items are throttling: they are resent, doubling the wait,
	// for as long as the tries and the caller's deadline allow.
	p := retry.Policy{
		MaxRetries: int(st.cfg.BatchRetryTries) - 1, BaseDelay: st.cfg.BatchRetryInitial, Multiplier: 2,
		MaxDelay: 5 * time.Second, MaxElapsed: batchRetryBudget, Service: "dynamodb", Logger: st.log,
	}
	tries := 0
	return p.Do(ctx, "write "+what, func(actx context.Context) retry.Attempt {
		tries++
		out, err := st.db.BatchWriteItem(actx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
		if err != nil {
			err = classify(err, "write %s", what)
			return retry.Attempt{Err: err, Retry: fault.Retryable(err)}
		}
		if left := len(out.UnprocessedItems[st.cfg.Table]); left > 0 {
			pending = out.UnprocessedItems
			st.log.DebugContext(ctx, "store: resending unprocessed batch items", "what", what, "items", left, "try", tries)
			return retry.Attempt{Err: fault.New(fault.Throttled, "write %s: %d items unprocessed after %d tries", what, left, tries), Retry: true}
		}
		return retry.Attempt{}
	})
}

func putReq(item map[string]types.AttributeValue) types.WriteRequest {
	return types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}
}

func deleteReq(pk, sk string) types.WriteRequest {
	return types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(pk, sk)}}
}
