package localstack

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// sqsAPI is what the poller needs from SQS.
type sqsAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// handler is the worker function's handler.
type handler interface {
	Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error)
}

// poller does what Lambda's SQS event source mapping does for the worker:
// receive batches, invoke the handler with a deadline, delete the messages
// that are not reported as batch item failures, and leave the rest to come
// back after their visibility timeout (the worker shortens it itself) until
// the queue's redrive policy moves them to the dead-letter queue.
type poller struct {
	sqs        sqsAPI
	queueURL   string
	queueARN   string
	handler    handler
	batch      int
	timeout    time.Duration
	maxReceive int
	log        *slog.Logger
	progress   *progress

	mu sync.Mutex
	// receives counts deliveries per message: goaws v0.5.4 always reports an
	// ApproximateReceiveCount of 1, and the worker's retry delays grow with it.
	receives map[string]int
}

// run polls until pollCtx is done; invocations run under workCtx, so that a
// stop lets the batch in hand finish (within the stack's grace).
func (p *poller) run(pollCtx, workCtx context.Context) {
	for pollCtx.Err() == nil {
		out, err := p.sqs.ReceiveMessage(pollCtx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(p.queueURL),
			MaxNumberOfMessages: int32(min(p.batch, 10)),
			// No long polling: goaws v0.5.4 misplaces some messages handed to a
			// waiting receive (seen: 10 of 300), so poll with short pauses.
			WaitTimeSeconds:             0,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		if err != nil {
			if pollCtx.Err() != nil {
				return
			}
			p.log.Warn("receive from the jobs queue", "err", err)
			select {
			case <-pollCtx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		if len(out.Messages) == 0 {
			select {
			case <-pollCtx.Done():
				return
			case <-time.After(pollPause):
			}
			continue
		}
		p.invoke(workCtx, out.Messages)
	}
}

// pollPause is the wait after an empty receive.
const pollPause = 200 * time.Millisecond

// invoke runs one batch through the handler and deletes what succeeded.
func (p *poller) invoke(ctx context.Context, msgs []sqstypes.Message) {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, 0, len(msgs))}
	p.mu.Lock()
	for _, m := range msgs {
		id := aws.ToString(m.MessageId)
		p.receives[id]++
		attrs := map[string]string{}
		for k, v := range m.Attributes {
			attrs[k] = v
		}
		attrs["ApproximateReceiveCount"] = strconv.Itoa(p.receives[id])
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId: id, ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
			Attributes: attrs, EventSource: "aws:sqs", EventSourceARN: p.queueARN, AWSRegion: Region,
		})
	}
	p.mu.Unlock()

	ictx, cancel := context.WithTimeout(ctx, p.timeout)
	resp, err := p.handler.Handle(ictx, ev)
	cancel()
	if err != nil {
		// Lambda treats a handler error as the whole batch failing.
		p.log.Error("worker invocation failed; the batch will be retried", "messages", len(msgs), "err", err)
		p.noteFailures(ev.Records)
		return
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	var done []sqstypes.DeleteMessageBatchRequestEntry
	var retried []events.SQSMessage
	for i, rec := range ev.Records {
		if failed[rec.MessageId] {
			retried = append(retried, rec)
			continue
		}
		done = append(done, sqstypes.DeleteMessageBatchRequestEntry{
			Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(rec.ReceiptHandle),
		})
	}
	p.noteFailures(retried)
	if len(done) == 0 {
		return
	}
	// The messages were handled: deleting them must not be cut short by a stop.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	out, err := p.sqs.DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.queueURL), Entries: done})
	if err == nil && len(out.Failed) > 0 {
		err = errors.New(aws.ToString(out.Failed[0].Message))
	}
	if err != nil {
		// The worker recognises a redelivered finished run and drops it.
		p.log.Warn("delete handled messages", "err", err)
	}
	p.mu.Lock()
	for _, rec := range ev.Records {
		if !failed[rec.MessageId] {
			delete(p.receives, rec.MessageId)
		}
	}
	p.mu.Unlock()
}

// noteFailures says when a message has used up its receives: the queue's
// redrive policy moves it to the dead-letter queue instead of delivering it
// again.
func (p *poller) noteFailures(recs []events.SQSMessage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, rec := range recs {
		if n := p.receives[rec.MessageId]; n >= p.maxReceive {
			delete(p.receives, rec.MessageId)
			p.progress.printf("job message %s failed %d times: it moves to the dead-letter queue %s", rec.MessageId, n, DLQName)
		}
	}
}
