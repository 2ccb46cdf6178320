package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

// fakeSQS stands in for SQS on the paths goaws cannot produce: entries failed
// inside a successful batch call, and whole calls that fail. Its hooks decide,
// per call, what happens to each entry; everything else is recorded.
type fakeSQS struct {
	// entry returns nil to accept an entry, or the failure to report for it.
	entry func(call int, job Job) *types.BatchResultErrorEntry
	// call returns an error to fail a whole SendMessageBatch call.
	call func(call int) error
	// single answers SendMessage.
	single func(call int, in *sqs.SendMessageInput) error

	mu        sync.Mutex
	calls     int
	delivered map[string]int   // tenant → times accepted
	delays    map[string]int32 // tenant → DelaySeconds of its last accepted entry
	singles   []*sqs.SendMessageInput
}

func newFake() *fakeSQS { return &fakeSQS{delivered: map[string]int{}, delays: map[string]int32{}} }

func (f *fakeSQS) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.call != nil {
		if err := f.call(f.calls); err != nil {
			return nil, err
		}
	}
	if len(in.Entries) == 0 || len(in.Entries) > BatchSize {
		return nil, &smithy.GenericAPIError{Code: "TooManyEntriesInBatchRequest", Fault: smithy.FaultClient}
	}
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		job, err := ParseJob(aws.ToString(e.MessageBody))
		if err != nil {
			return nil, fmt.Errorf("fake got a bad body: %w", err)
		}
		if f.entry != nil {
			if fe := f.entry(f.calls, job); fe != nil {
				fe.Id = e.Id
				out.Failed = append(out.Failed, *fe)
				continue
			}
		}
		f.delivered[job.TenantID]++
		f.delays[job.TenantID] = e.DelaySeconds
		out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id, MessageId: aws.String("m")})
	}
	return out, nil
}

func (f *fakeSQS) SendMessage(ctx context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.single != nil {
		if err := f.single(f.calls, in); err != nil {
			return nil, err
		}
	}
	f.singles = append(f.singles, in)
	return &sqs.SendMessageOutput{MessageId: aws.String("m")}, nil
}

func testJobs(n int) []Job {
	jobs := make([]Job, n)
	for i := range jobs {
		jobs[i] = Job{TenantID: fmt.Sprintf("tenant-%d", i), SyncID: fmt.Sprintf("s-%d", i), Trigger: provision.TriggerSchedule}
	}
	return jobs
}

// fast keeps retries quick in tests; the waits are the publisher's own backoff.
var fast = Options{InitialBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}

func TestEnqueueRetriesFailedEntries(t *testing.T) {
	f := newFake()
	// Every odd tenant's entry fails on its batch's first two calls with a
	// server-side error, then goes through.
	attempts := map[string]int{}
	f.entry = func(_ int, j Job) *types.BatchResultErrorEntry {
		attempts[j.TenantID]++
		var i int
		fmt.Sscanf(j.TenantID, "tenant-%d", &i)
		if i%2 == 1 && attempts[j.TenantID] <= 2 {
			return &types.BatchResultErrorEntry{Code: aws.String("InternalError"), Message: aws.String("try again"), SenderFault: false}
		}
		return nil
	}
	sent, err := NewPublisher(f, "q", fast).Enqueue(context.Background(), testJobs(25))
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if sent != 25 {
		t.Fatalf("sent = %d, want 25", sent)
	}
	for i := range 25 {
		if n := f.delivered[fmt.Sprintf("tenant-%d", i)]; n != 1 {
			t.Errorf("tenant-%d delivered %d times, want once", i, n)
		}
	}
	// 3 batches, each needing 3 calls (odd tenants fail twice).
	if f.calls != 9 {
		t.Errorf("calls = %d, want 9", f.calls)
	}
}

func TestEnqueueReportsPermanentFailures(t *testing.T) {
	tests := []struct {
		name      string
		entry     func(call int, j Job) *types.BatchResultErrorEntry
		wantClass error
		wantCalls int
	}{
		{
			name: "rejected by sender fault, not retried",
			entry: func(_ int, j Job) *types.BatchResultErrorEntry {
				if j.TenantID == "tenant-3" || j.TenantID == "tenant-12" {
					return &types.BatchResultErrorEntry{Code: aws.String("InvalidMessageContents"), Message: aws.String("bad"), SenderFault: true}
				}
				return nil
			},
			wantClass: fault.ErrValidation,
			wantCalls: 3,
		},
		{
			name: "server keeps failing, bounded attempts",
			entry: func(_ int, j Job) *types.BatchResultErrorEntry {
				if j.TenantID == "tenant-3" || j.TenantID == "tenant-12" {
					return &types.BatchResultErrorEntry{Code: aws.String("InternalError"), Message: aws.String("down"), SenderFault: false}
				}
				return nil
			},
			wantClass: fault.ErrTransient,
			wantCalls: 1 + 2*4, // batch 3: once; batches 1 and 2: MaxAttempts (4) each
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.entry = tt.entry
			opts := fast
			opts.MaxAttempts = 4
			sent, err := NewPublisher(f, "q", opts).Enqueue(context.Background(), testJobs(25))
			if sent != 23 {
				t.Errorf("sent = %d, want 23", sent)
			}
			var ee *EnqueueError
			if !errors.As(err, &ee) {
				t.Fatalf("err = %v, want *EnqueueError", err)
			}
			if ee.Total != 25 || len(ee.Failures) != 2 {
				t.Fatalf("EnqueueError = %d of %d, want 2 of 25", len(ee.Failures), ee.Total)
			}
			got := map[string]bool{}
			for _, fl := range ee.Failures {
				got[fl.Job.TenantID] = true
			}
			if !got["tenant-3"] || !got["tenant-12"] {
				t.Errorf("failures = %+v, want tenant-3 and tenant-12", ee.Failures)
			}
			if !errors.Is(err, tt.wantClass) {
				t.Errorf("err = %v, want class %v", err, tt.wantClass)
			}
			if msg := err.Error(); !strings.Contains(msg, "2 of 25") || !strings.Contains(msg, "tenant-3") {
				t.Errorf("message %q does not say how many and which", msg)
			}
			if f.calls != tt.wantCalls {
				t.Errorf("calls = %d, want %d", f.calls, tt.wantCalls)
			}
			if f.delivered["tenant-3"] != 0 {
				t.Error("failed job was delivered")
			}
		})
	}
}

func TestEnqueueWholeCallErrors(t *testing.T) {
	tests := []struct {
		name      string
		call      func(n int) error
		wantSent  int
		wantClass error
		wantCalls int
	}{
		{
			name: "throttled then fine",
			call: func(n int) error {
				if n == 1 {
					return &smithy.GenericAPIError{Code: "RequestThrottled", Fault: smithy.FaultClient}
				}
				return nil
			},
			wantSent: 10, wantCalls: 2,
		},
		{
			name: "network error then fine",
			call: func(n int) error {
				if n == 1 {
					return errors.New("connection reset by peer")
				}
				return nil
			},
			wantSent: 10, wantCalls: 2,
		},
		{
			name: "queue missing: not retried",
			call: func(int) error {
				return &smithy.GenericAPIError{Code: "AWS.SimpleQueueService.NonExistentQueue", Fault: smithy.FaultClient}
			},
			wantSent: 0, wantClass: fault.ErrNotFound, wantCalls: 1,
		},
		{
			name:     "access denied: not retried",
			call:     func(int) error { return &smithy.GenericAPIError{Code: "AccessDenied", Fault: smithy.FaultClient} },
			wantSent: 0, wantClass: fault.ErrForbidden, wantCalls: 1,
		},
		{
			name: "always throttled: gives up",
			call: func(int) error {
				return &smithy.GenericAPIError{Code: "ThrottlingException", Fault: smithy.FaultClient}
			},
			wantSent: 0, wantClass: fault.ErrThrottled, wantCalls: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.call = tt.call
			opts := fast
			opts.MaxAttempts = 3
			sent, err := NewPublisher(f, "q", opts).Enqueue(context.Background(), testJobs(10))
			if sent != tt.wantSent {
				t.Errorf("sent = %d, want %d", sent, tt.wantSent)
			}
			if tt.wantClass == nil && err != nil {
				t.Errorf("err = %v", err)
			}
			if tt.wantClass != nil && !errors.Is(err, tt.wantClass) {
				t.Errorf("err = %v, want class %v", err, tt.wantClass)
			}
			if f.calls != tt.wantCalls {
				t.Errorf("calls = %d, want %d", f.calls, tt.wantCalls)
			}
		})
	}
}

func TestEnqueueSkipsInvalidJobOnly(t *testing.T) {
	f := newFake()
	jobs := testJobs(12)
	jobs[4].TenantID = "Not A Tenant"
	sent, err := NewPublisher(f, "q", fast).Enqueue(context.Background(), jobs)
	if sent != 11 {
		t.Errorf("sent = %d, want 11", sent)
	}
	var ee *EnqueueError
	if !errors.As(err, &ee) || len(ee.Failures) != 1 || ee.Failures[0].Job.TenantID != "Not A Tenant" {
		t.Fatalf("err = %v, want the one invalid job", err)
	}
	if fault.FieldOf(err) != "tenantId" {
		t.Errorf("field = %q, want tenantId", fault.FieldOf(err))
	}
}

func TestEnqueueCancelled(t *testing.T) {
	f := newFake()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sent, err := NewPublisher(f, "q", fast).Enqueue(ctx, testJobs(30))
	if sent != 0 || !errors.Is(err, context.Canceled) || !errors.Is(err, fault.ErrTransient) {
		t.Fatalf("Enqueue = %d, %v; want 0 and a transient error wrapping context.Canceled", sent, err)
	}
	var ee *EnqueueError
	if !errors.As(err, &ee) || len(ee.Failures) != 30 {
		t.Fatalf("err = %v, want all 30 listed", err)
	}
}

func TestEnqueueEmpty(t *testing.T) {
	f := newFake()
	sent, err := NewPublisher(f, "q", fast).Enqueue(context.Background(), nil)
	if sent != 0 || err != nil || f.calls != 0 {
		t.Fatalf("Enqueue(nil) = %d, %v after %d calls", sent, err, f.calls)
	}
}

// gateSQS holds each call until `limit` calls are in flight at once, which
// only happens if the publisher really sends that many batches in parallel.
type gateSQS struct {
	limit    int
	mu       sync.Mutex
	inflight int
	max      int
	gate     chan struct{}
	once     sync.Once
}

func (g *gateSQS) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	g.mu.Lock()
	g.inflight++
	g.max = max(g.max, g.inflight)
	if g.inflight >= g.limit {
		g.once.Do(func() { close(g.gate) })
	}
	g.mu.Unlock()
	select {
	case <-g.gate:
	case <-time.After(10 * time.Second):
	}
	g.mu.Lock()
	g.inflight--
	g.mu.Unlock()
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

func (g *gateSQS) SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	return &sqs.SendMessageOutput{}, nil
}

func TestEnqueueParallelBound(t *testing.T) {
	g := &gateSQS{limit: 4, gate: make(chan struct{})}
	opts := fast
	opts.Parallel = 4
	sent, err := NewPublisher(g, "q", opts).Enqueue(context.Background(), testJobs(200))
	if err != nil || sent != 200 {
		t.Fatalf("Enqueue = %d, %v", sent, err)
	}
	if g.max != 4 {
		t.Fatalf("max batches in flight = %d, want exactly 4", g.max)
	}
}

func TestSend(t *testing.T) {
	job := Job{TenantID: "acme", SyncID: "s-1", Trigger: provision.TriggerManual, Cursor: "people:40"}

	t.Run("delay rounded up to seconds", func(t *testing.T) {
		f := newFake()
		if err := NewPublisher(f, "q", fast).Send(context.Background(), job, 1500*time.Millisecond); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if len(f.singles) != 1 || f.singles[0].DelaySeconds != 2 || aws.ToString(f.singles[0].QueueUrl) != "q" {
			t.Fatalf("sent %+v", f.singles)
		}
		got, err := ParseJob(aws.ToString(f.singles[0].MessageBody))
		if err != nil || got.Cursor != "people:40" || got.Version != JobVersion {
			t.Fatalf("body parsed to %+v, %v", got, err)
		}
	})

	for _, d := range []time.Duration{-time.Second, MaxDelay + time.Second} {
		t.Run(fmt.Sprintf("delay %s rejected", d), func(t *testing.T) {
			f := newFake()
			err := NewPublisher(f, "q", fast).Send(context.Background(), job, d)
			if fault.FieldOf(err) != "delay" || f.calls != 0 {
				t.Fatalf("Send = %v after %d calls, want a delay error and no call", err, f.calls)
			}
		})
	}

	t.Run("transient failure retried", func(t *testing.T) {
		f := newFake()
		f.single = func(n int, _ *sqs.SendMessageInput) error {
			if n < 3 {
				return &smithy.GenericAPIError{Code: "ServiceUnavailable", Fault: smithy.FaultServer}
			}
			return nil
		}
		if err := NewPublisher(f, "q", fast).Send(context.Background(), job, 0); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if f.calls != 3 || len(f.singles) != 1 {
			t.Fatalf("calls = %d, sent = %d; want 3 and 1", f.calls, len(f.singles))
		}
	})

	t.Run("permanent failure not retried", func(t *testing.T) {
		f := newFake()
		f.single = func(int, *sqs.SendMessageInput) error {
			return &smithy.GenericAPIError{Code: "QueueDoesNotExist", Fault: smithy.FaultClient}
		}
		err := NewPublisher(f, "q", fast).Send(context.Background(), job, 0)
		if !errors.Is(err, fault.ErrNotFound) || f.calls != 1 {
			t.Fatalf("Send = %v after %d calls, want NotFound after 1", err, f.calls)
		}
		if !strings.Contains(err.Error(), "acme") {
			t.Errorf("error %q does not name the tenant", err)
		}
	})

	t.Run("invalid job", func(t *testing.T) {
		f := newFake()
		err := NewPublisher(f, "q", fast).Send(context.Background(), Job{TenantID: "acme", SyncID: "s"}, 0)
		if fault.FieldOf(err) != "trigger" || f.calls != 0 {
			t.Fatalf("Send = %v after %d calls", err, f.calls)
		}
	})
}

// scriptSQS answers each SendMessageBatch call with the next scripted reply,
// built from the request.
type scriptSQS struct {
	replies []func(in *sqs.SendMessageBatchInput) *sqs.SendMessageBatchOutput
	calls   int
	entries []int // entries per call
}

func (s *scriptSQS) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	s.calls++
	s.entries = append(s.entries, len(in.Entries))
	return s.replies[min(s.calls, len(s.replies))-1](in), nil
}

func (s *scriptSQS) SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	return &sqs.SendMessageOutput{}, nil
}

func allOK(in *sqs.SendMessageBatchInput) *sqs.SendMessageBatchOutput {
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id})
	}
	return out
}

func TestEnqueueUnreportedEntries(t *testing.T) {
	t.Run("a reply reporting nothing counts as sent (goaws)", func(t *testing.T) {
		s := &scriptSQS{replies: []func(*sqs.SendMessageBatchInput) *sqs.SendMessageBatchOutput{
			func(*sqs.SendMessageBatchInput) *sqs.SendMessageBatchOutput { return &sqs.SendMessageBatchOutput{} },
		}}
		sent, err := NewPublisher(s, "q", fast).Enqueue(context.Background(), testJobs(7))
		if err != nil || sent != 7 || s.calls != 1 {
			t.Fatalf("Enqueue = %d, %v after %d calls; want 7 sent in 1 call", sent, err, s.calls)
		}
	})
	t.Run("an entry left out of a reply listing others is resent", func(t *testing.T) {
		s := &scriptSQS{replies: []func(*sqs.SendMessageBatchInput) *sqs.SendMessageBatchOutput{
			func(in *sqs.SendMessageBatchInput) *sqs.SendMessageBatchOutput {
				in2 := *in
				in2.Entries = in.Entries[1:] // leave out the first entry
				return allOK(&in2)
			},
			allOK,
		}}
		sent, err := NewPublisher(s, "q", fast).Enqueue(context.Background(), testJobs(5))
		if err != nil || sent != 5 {
			t.Fatalf("Enqueue = %d, %v", sent, err)
		}
		if s.calls != 2 || s.entries[1] != 1 {
			t.Fatalf("calls = %d with entries %v; want the one left-out entry resent", s.calls, s.entries)
		}
	})
}

// Each job of a batch carries its own delay (SQS's per-entry DelaySeconds,
// which goaws v0.5.4 accepts and ignores, hence the fake): rounded up to whole
// seconds; a delay SQS would refuse fails that job alone.
func TestEnqueueDelayedDelaysEachJob(t *testing.T) {
	f := newFake()
	jobs := testJobs(25)
	delays := map[string]time.Duration{
		"tenant-0": 0, "tenant-1": 1200 * time.Millisecond, "tenant-2": 599 * time.Second,
		"tenant-3": MaxDelay, "tenant-4": MaxDelay + time.Second, "tenant-5": -time.Second,
	}
	sent, err := NewPublisher(f, "q", fast).EnqueueDelayed(context.Background(), jobs, func(j Job) time.Duration { return delays[j.TenantID] })
	var ee *EnqueueError
	if sent != 23 || !errors.As(err, &ee) || len(ee.Failures) != 2 {
		t.Fatalf("EnqueueDelayed = %d, %v; want 23 sent and the two out-of-range delays failed", sent, err)
	}
	for _, fl := range ee.Failures {
		if (fl.Job.TenantID != "tenant-4" && fl.Job.TenantID != "tenant-5") || fault.FieldOf(fl.Err) != "delay" {
			t.Errorf("failure %s: %v, want a validation error on delay", fl.Job.TenantID, fl.Err)
		}
	}
	want := map[string]int32{"tenant-0": 0, "tenant-1": 2, "tenant-2": 599, "tenant-3": 900, "tenant-24": 0}
	for tenant, secs := range want {
		if got, ok := f.delays[tenant]; !ok || got != secs {
			t.Errorf("%s sent with DelaySeconds %d (sent: %t), want %d", tenant, got, ok, secs)
		}
	}
	if _, ok := f.delivered["tenant-4"]; ok {
		t.Errorf("a job with a delay over %s was sent", MaxDelay)
	}
}
