package app

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"golang.org/x/sync/errgroup"

	"trinetsync/internal/queue"
)

// visibilityChanger delays the next delivery of a failed message.
type visibilityChanger interface {
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// Worker turns an SQS batch into runs, reporting only the messages that should
// be retried as batch item failures.
type Worker struct {
	Runner     *Runner
	Visibility visibilityChanger // may be nil: failed messages then keep the queue's timeout
	QueueURL   string
	Logger     *slog.Logger
	// Parallel is how many messages of a batch run at once (default 5).
	Parallel int
}

// Handle is the Lambda handler for the worker function.
func (w *Worker) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	log := w.Logger
	if log == nil {
		log = slog.Default()
	}
	parallel := w.Parallel
	if parallel < 1 {
		parallel = 5
	}
	var (
		mu       sync.Mutex
		failures []events.SQSBatchItemFailure
		g        errgroup.Group
	)
	g.SetLimit(parallel)
	for _, msg := range ev.Records {
		g.Go(func() error {
			if !w.handleOne(ctx, log, msg) {
				mu.Lock()
				failures = append(failures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait() // handleOne reports failures in the response, never as an error
	return events.SQSEventResponse{BatchItemFailures: failures}, nil
}

// handleOne reports whether the message is done with (and may be deleted).
func (w *Worker) handleOne(ctx context.Context, log *slog.Logger, msg events.SQSMessage) bool {
	// A missing or odd count is taken as the first delivery by Handle and retry.
	attempt, _ := strconv.Atoi(msg.Attributes["ApproximateReceiveCount"])
	job, err := queue.ParseJob(msg.Body)
	var out Outcome
	if err != nil {
		// Never dropped silently: after the queue's receive limit it reaches the
		// dead-letter queue, whose alarm tells an operator.
		log.Error("unreadable job message", "messageId", msg.MessageId, "err", err)
		out = w.Runner.retry(attempt)
	} else {
		out = w.handleJob(ctx, log, msg, job, attempt)
	}
	if !out.Retry {
		return true
	}
	if w.Visibility != nil && msg.ReceiptHandle != "" {
		// Near the invocation's end its context may be gone: the delay is set
		// on a fresh one, or the message would come back at once.
		vctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), visibilityTimeout)
		defer cancel()
		secs := int32(out.Delay.Seconds())
		if _, err := w.Visibility.ChangeMessageVisibility(vctx, &sqs.ChangeMessageVisibilityInput{
			QueueUrl: aws.String(w.QueueURL), ReceiptHandle: aws.String(msg.ReceiptHandle), VisibilityTimeout: secs,
		}); err != nil {
			log.Warn("change message visibility", "tenant", job.TenantID, "syncId", job.SyncID, "err", err)
		}
	}
	return false
}

// visibilityTimeout bounds the call that delays a failed message.
const visibilityTimeout = 5 * time.Second

// handleJob runs one job; a panic fails this message alone (it is retried,
// and after the queue's receive limit reaches the dead-letter queue), never
// the batch. The panic's value may quote a person's data, so only its type
// and the stack are logged.
func (w *Worker) handleJob(ctx context.Context, log *slog.Logger, msg events.SQSMessage, job queue.Job, attempt int) (out Outcome) {
	defer func() {
		if v := recover(); v != nil {
			log.Error("panic handling a job; the message will be retried",
				"messageId", msg.MessageId, "tenant", job.TenantID, "syncId", job.SyncID,
				"panic", fmt.Sprintf("%T", v), "stack", string(debug.Stack()))
			out = w.Runner.retry(attempt)
		}
	}()
	return w.Runner.Handle(ctx, job, attempt)
}
