package queue

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"trinetsync/internal/fault"
	"trinetsync/internal/retry"
)

// BatchSize is SQS's limit of entries per SendMessageBatch call.
const BatchSize = 10

// MaxDelay is SQS's limit on a message's DelaySeconds.
const MaxDelay = 15 * time.Minute

// Sender is what a Publisher needs of SQS: SendMessageBatch for Enqueue,
// SendMessage for Send. *sqs.Client implements it.
type Sender interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Options tune a Publisher; zero values take the defaults.
type Options struct {
	// Parallel is how many batches are in flight at once (default 16).
	Parallel int
	// MaxAttempts bounds the calls made for one entry, the first included
	// (default 5). The SDK's own retries happen inside each call.
	MaxAttempts int
	// InitialBackoff and MaxBackoff shape the jittered exponential wait between
	// attempts (defaults 200ms and 5s).
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	Logger         *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Parallel <= 0 {
		o.Parallel = 16
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.InitialBackoff <= 0 {
		o.InitialBackoff = 200 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Second
	}
	if o.MaxBackoff < o.InitialBackoff {
		o.MaxBackoff = o.InitialBackoff
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Publisher sends jobs to the sync-jobs queue.
type Publisher struct {
	s    Sender
	url  string
	opts Options
}

// NewPublisher returns a Publisher sending to queueURL through s.
func NewPublisher(s Sender, queueURL string, opts Options) *Publisher {
	return &Publisher{s: s, url: queueURL, opts: opts.withDefaults()}
}

// Failure is one job that could not be enqueued, and why.
type Failure struct {
	Job Job
	Err error
}

// EnqueueError reports the jobs Enqueue could not send. errors.Is and
// fault.ClassOf see every failure's cause, so a caller can tell a passing
// outage (fault.Transient, fault.Throttled) from a rejected job.
type EnqueueError struct {
	Total    int
	Failures []Failure
}

func (e *EnqueueError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "queue: %d of %d jobs could not be enqueued (tenants ", len(e.Failures), e.Total)
	for i, f := range e.Failures {
		if i == 5 {
			fmt.Fprintf(&b, ", and %d more", len(e.Failures)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Job.TenantID)
	}
	b.WriteString(")")
	if len(e.Failures) > 0 {
		b.WriteString(": ")
		b.WriteString(e.Failures[0].Err.Error())
	}
	return b.String()
}

// Unwrap gives every failure's cause, for errors.Is and errors.As.
func (e *EnqueueError) Unwrap() []error {
	errs := make([]error, len(e.Failures))
	for i, f := range e.Failures {
		errs[i] = f.Err
	}
	return errs
}

// entryIDs are the batch entry ids: an entry's index within its batch, kept
// across retries so that a response maps back to its job.
var entryIDs = [BatchSize]string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// Enqueue sends jobs in batches of BatchSize, Parallel batches at a time.
// Entries SQS fails without blaming the sender, and whole calls that fail
// for a reason that may pass, are retried with backoff up to MaxAttempts;
// one batch's failure never stops the others. It returns how many jobs were
// sent and, when some were not, an *EnqueueError listing them.
func (p *Publisher) Enqueue(ctx context.Context, jobs []Job) (sent int, err error) {
	return p.EnqueueDelayed(ctx, jobs, nil)
}

// EnqueueDelayed is Enqueue with a delay per job: SQS holds each message
// for delay(job) (its DelaySeconds, rounded up to whole seconds) before any
// consumer sees it. A delay outside [0, MaxDelay] fails that job alone
// (fault.Validation on "delay"). A nil delay sends every job at once.
func (p *Publisher) EnqueueDelayed(ctx context.Context, jobs []Job, delay func(Job) time.Duration) (sent int, err error) {
	var (
		n        atomic.Int64
		mu       sync.Mutex
		failures []Failure
	)
	fail := func(fs []Failure) {
		if len(fs) == 0 {
			return
		}
		mu.Lock()
		failures = append(failures, fs...)
		mu.Unlock()
	}
	var g errgroup.Group
	g.SetLimit(p.opts.Parallel)
	for start := 0; start < len(jobs); start += BatchSize {
		batch := jobs[start:min(start+BatchSize, len(jobs))]
		if ctx.Err() != nil {
			fail(failAll(batch, fault.Wrap(fault.Transient, context.Cause(ctx), "enqueue stopped")))
			continue
		}
		g.Go(func() error {
			ok, fs := p.sendBatch(ctx, batch, delay)
			n.Add(int64(ok))
			fail(fs)
			return nil
		})
	}
	_ = g.Wait()
	sent = int(n.Load())
	if len(failures) > 0 {
		p.opts.Logger.WarnContext(ctx, "some sync jobs could not be enqueued",
			"queued", sent, "failed", len(failures), "total", len(jobs), "cause", failures[0].Err.Error())
		return sent, &EnqueueError{Total: len(jobs), Failures: failures}
	}
	return sent, nil
}

func failAll(jobs []Job, err error) []Failure {
	fs := make([]Failure, len(jobs))
	for i, j := range jobs {
		fs[i] = Failure{Job: j, Err: err}
	}
	return fs
}

// sendBatch sends up to BatchSize jobs, retrying what may pass.
func (p *Publisher) sendBatch(ctx context.Context, jobs []Job, delay func(Job) time.Duration) (sent int, failures []Failure) {
	var pending [BatchSize]types.SendMessageBatchRequestEntry
	k := 0
	for i, j := range jobs {
		var secs int32
		if delay != nil {
			var err error
			if secs, err = delaySeconds(delay(j)); err != nil {
				failures = append(failures, Failure{Job: j, Err: err})
				continue
			}
		}
		body, err := j.Marshal()
		if err != nil {
			failures = append(failures, Failure{Job: j, Err: err})
			continue
		}
		pending[k] = types.SendMessageBatchRequestEntry{Id: aws.String(entryIDs[i]), MessageBody: aws.String(body), DelaySeconds: secs}
		k++
	}
	entries := pending[:k]
	if len(entries) == 0 {
		return 0, failures
	}
	var lastErr error
	err := p.policy().Do(ctx, fmt.Sprintf("send %d sync jobs", len(entries)), func(actx context.Context) retry.Attempt {
		out, err := p.s.SendMessageBatch(actx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(p.url), Entries: entries})
		var again []types.SendMessageBatchRequestEntry
		if err != nil {
			lastErr = classify(err, "send %d sync jobs", len(entries))
			return retry.Attempt{Err: lastErr, Retry: fault.Retryable(lastErr)}
		}
		if len(out.Successful) == 0 && len(out.Failed) == 0 {
			// A 200 that reports on no entry at all. SQS always lists each
			// entry; goaws v0.5.4 answers the JSON protocol under other field
			// names, so the SDK sees none. The call succeeded, so the entries
			// were accepted: resending them would only duplicate jobs.
			sent += len(entries)
			entries = nil
			return retry.Attempt{}
		}
		for _, e := range entries {
			id := aws.ToString(e.Id)
			if reported(out.Successful, id) {
				sent++
				continue
			}
			f, ok := failedEntry(out.Failed, id)
			if !ok {
				// Left out of a response that lists others: resend it. A
				// duplicate job is harmless (the worker keys runs on syncId);
				// a lost one is not.
				lastErr = fault.New(fault.Transient, "SQS did not report on a sync job")
				again = append(again, e)
				continue
			}
			ferr := entryError(f)
			if f.SenderFault || !fault.Retryable(ferr) {
				failures = append(failures, Failure{Job: jobs[entryJob(id)], Err: ferr})
				continue
			}
			lastErr = ferr
			again = append(again, e)
		}
		entries = again
		if len(entries) == 0 {
			return retry.Attempt{}
		}
		p.opts.Logger.DebugContext(ctx, "retrying sync jobs", "entries", len(entries), "cause", lastErr.Error())
		return retry.Attempt{Err: lastErr, Retry: true}
	})
	if err != nil {
		failures = append(failures, failEntries(jobs, entries, err)...)
	}
	return sent, failures
}

// reported and failedEntry look an entry up by id; a batch holds at most
// BatchSize entries, so a scan beats building maps.
func reported(ok []types.SendMessageBatchResultEntry, id string) bool {
	for _, s := range ok {
		if aws.ToString(s.Id) == id {
			return true
		}
	}
	return false
}

func failedEntry(failed []types.BatchResultErrorEntry, id string) (types.BatchResultErrorEntry, bool) {
	for _, f := range failed {
		if aws.ToString(f.Id) == id {
			return f, true
		}
	}
	return types.BatchResultErrorEntry{}, false
}

func entryJob(id string) int { return int(id[0] - '0') }

// failEntries fails the jobs behind entries, all for the same reason.
func failEntries(jobs []Job, entries []types.SendMessageBatchRequestEntry, err error) []Failure {
	fs := make([]Failure, len(entries))
	for i, e := range entries {
		fs[i] = Failure{Job: jobs[entryJob(aws.ToString(e.Id))], Err: err}
	}
	return fs
}

// entryError classifies one failed batch entry. Its message is SQS's, which
// never carries the body.
func entryError(f types.BatchResultErrorEntry) error {
	code := aws.ToString(f.Code)
	fl := smithy.FaultServer
	if f.SenderFault {
		fl = smithy.FaultClient
	}
	return fault.New(classOfCode(code, fl, 0), "SQS rejected a sync job: %s: %s", code, aws.ToString(f.Message))
}

// policy is the service's one retry policy with the publisher's knobs:
// MaxAttempts calls at most, no time budget beyond ctx's.
func (p *Publisher) policy() *retry.Policy {
	retries := p.opts.MaxAttempts - 1
	if retries == 0 {
		retries = -1 // one attempt: retry.Policy reads zero as its default
	}
	return &retry.Policy{MaxRetries: retries, BaseDelay: p.opts.InitialBackoff,
		MaxDelay: p.opts.MaxBackoff, MaxElapsed: noBudget, Service: "sqs", Logger: p.opts.Logger}
}

// delaySeconds is a message's DelaySeconds: d rounded up to whole seconds,
// within what SQS allows.
func delaySeconds(d time.Duration) (int32, error) {
	if d < 0 || d > MaxDelay {
		return 0, fault.Invalid("delay", "must be between 0 and %s", MaxDelay)
	}
	return int32(math.Ceil(d.Seconds())), nil
}

// noBudget: the publisher's calls are bounded by MaxAttempts and ctx only.
const noBudget = time.Duration(math.MaxInt64)

// Send sends one job whose delivery is to wait delay (continuations, manual
// triggers). Delays are rounded up to whole seconds; more than MaxDelay is
// invalid. Failures that may pass are retried with backoff up to MaxAttempts.
func (p *Publisher) Send(ctx context.Context, job Job, delay time.Duration) error {
	secs, err := delaySeconds(delay)
	if err != nil {
		return err
	}
	body, err := job.Marshal()
	if err != nil {
		return err
	}
	in := &sqs.SendMessageInput{
		QueueUrl:     aws.String(p.url),
		MessageBody:  aws.String(body),
		DelaySeconds: secs,
	}
	return p.policy().Do(ctx, "send sync job for tenant "+job.TenantID, func(actx context.Context) retry.Attempt {
		_, err := p.s.SendMessage(actx, in)
		if err == nil {
			return retry.Attempt{}
		}
		cerr := classify(err, "send sync job for tenant %s", job.TenantID)
		return retry.Attempt{Err: cerr, Retry: fault.Retryable(cerr)}
	})
}
