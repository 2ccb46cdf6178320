package queue

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"trinetsync/internal/emulator"
	"trinetsync/internal/provision"
)

// goawsQueue starts goaws and creates a queue on it, returning a real SDK
// client and the queue's URL.
func goawsQueue(tb testing.TB, name string) (*sqs.Client, string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var log io.Writer = io.Discard
	if testing.Verbose() {
		log = os.Stderr
	}
	p, err := emulator.Goaws(ctx, log)
	if err != nil {
		tb.Fatalf("goaws: %v", err)
	}
	tb.Cleanup(p.Stop)
	c := sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(p.Endpoint()),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		tb.Fatalf("CreateQueue: %v", err)
	}
	return c, aws.ToString(out.QueueUrl)
}

// drain receives until want jobs have arrived or the deadline passes,
// deleting each one.
func drain(t *testing.T, c *sqs.Client, url string, want int, within time.Duration) []Job {
	t.Helper()
	var jobs []Job
	deadline := time.Now().Add(within)
	for len(jobs) < want && time.Now().Before(deadline) {
		out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		for _, m := range out.Messages {
			j, err := ParseJob(aws.ToString(m.Body))
			if err != nil {
				t.Fatalf("ParseJob(%s): %v", aws.ToString(m.Body), err)
			}
			jobs = append(jobs, j)
			if _, err := c.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatalf("DeleteMessage: %v", err)
			}
		}
	}
	if len(jobs) < want {
		// Say where the rest are: still queued, in flight, or gone.
		a, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll},
		})
		if err == nil {
			t.Logf("queue after drain: %d messages, %d not visible",
				atoi(a.Attributes["ApproximateNumberOfMessages"]), atoi(a.Attributes["ApproximateNumberOfMessagesNotVisible"]))
		}
	}
	return jobs
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func TestPublisherAgainstGoaws(t *testing.T) {
	c, url := goawsQueue(t, "sync-jobs")
	p := NewPublisher(c, url, Options{})

	t.Run("enqueue 25", func(t *testing.T) {
		jobs := testJobs(25)
		sent, err := p.Enqueue(context.Background(), jobs)
		if err != nil || sent != 25 {
			t.Fatalf("Enqueue = %d, %v", sent, err)
		}
		got := drain(t, c, url, 25, 10*time.Second)
		if len(got) != 25 {
			t.Fatalf("received %d jobs, want 25", len(got))
		}
		seen := map[Job]bool{}
		for _, j := range got {
			seen[j] = true
		}
		for _, j := range jobs {
			j.Version = JobVersion
			if !seen[j] {
				t.Errorf("job %v not received", j)
			}
		}
	})

	t.Run("send with delay", func(t *testing.T) {
		job := Job{TenantID: "acme", SyncID: "m-1", Trigger: provision.TriggerManual, Cursor: "c1"}
		start := time.Now()
		if err := p.Send(context.Background(), job, time.Second); err != nil {
			t.Fatalf("Send: %v", err)
		}
		out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		if len(out.Messages) != 0 && time.Since(start) < time.Second {
			t.Fatalf("delayed job visible at once: %v", aws.ToString(out.Messages[0].Body))
		}
		got := drain(t, c, url, 1, 5*time.Second)
		if len(got) != 1 || got[0].Cursor != "c1" || got[0].TenantID != "acme" {
			t.Fatalf("received %+v, want the delayed job", got)
		}
		if since := time.Since(start); since < time.Second {
			t.Errorf("delayed job arrived after %s, want ≥ 1s", since)
		}
	})
}

// BenchmarkEnqueueGoaws10k measures a real fan-out through the SDK to goaws
// (one local process, so it measures mostly goaws and HTTP).
func BenchmarkEnqueueGoaws10k(b *testing.B) {
	c, url := goawsQueue(b, "bench")
	p := NewPublisher(c, url, Options{})
	jobs := testJobs(10_000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		sent, err := p.Enqueue(context.Background(), jobs)
		if err != nil || sent != len(jobs) {
			b.Fatalf("Enqueue = %d, %v", sent, err)
		}
		b.StopTimer()
		if _, err := c.PurgeQueue(context.Background(), &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
			b.Fatalf("PurgeQueue: %v", err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(len(jobs)), "jobs/op")
}

// countingSQS accepts everything and counts: it isolates the publisher's own
// cost (encoding, batching, goroutines) from the network.
type countingSQS struct{ n atomic.Int64 }

func (c *countingSQS) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	out := &sqs.SendMessageBatchOutput{}
	out.Successful = make([]types.SendMessageBatchResultEntry, len(in.Entries))
	for i, e := range in.Entries {
		out.Successful[i].Id = e.Id
	}
	c.n.Add(int64(len(in.Entries)))
	return out, nil
}

func (c *countingSQS) SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	return &sqs.SendMessageOutput{}, nil
}

func BenchmarkEnqueueFake100k(b *testing.B) {
	jobs := make([]Job, 100_000)
	for i := range jobs {
		jobs[i] = Job{TenantID: fmt.Sprintf("tenant-%06d", i), SyncID: "sched#2026-01-01T00:10:00Z", Trigger: provision.TriggerSchedule}
	}
	s := &countingSQS{}
	p := NewPublisher(s, "q", Options{})
	b.ReportAllocs()
	for b.Loop() {
		sent, err := p.Enqueue(context.Background(), jobs)
		if err != nil || sent != len(jobs) {
			b.Fatalf("Enqueue = %d, %v", sent, err)
		}
	}
	b.ReportMetric(float64(len(jobs)), "jobs/op")
}
