package emulator

import (
	"context"
	"io"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func goawsStart(t *testing.T) (*Process, *sqs.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := Goaws(ctx, goawsLog())
	if err != nil {
		t.Fatalf("Goaws: %v", err)
	}
	t.Cleanup(p.Stop)
	client := sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(p.Endpoint()),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	return p, client
}

// goawsQueueURL is the URL goaws gives a queue named name on p.
func goawsQueueURL(p *Process, name string) string {
	return p.Endpoint() + "/" + goawsAccountID + "/" + name
}

// goawsLog shows goaws's output only under -v.
func goawsLog() io.Writer {
	if testing.Verbose() {
		return os.Stderr
	}
	return io.Discard
}

// goawsReceiveOne long-polls until a message arrives or the deadline passes.
func goawsReceiveOne(t *testing.T, c *sqs.Client, url string, within time.Duration) *types.Message {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 1, WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		if len(out.Messages) == 1 {
			return &out.Messages[0]
		}
	}
	return nil
}

func goawsCreateQueue(t *testing.T, c *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// TestGoaws pins down the goaws v0.5.4 behaviour the local stack's poller
// relies on: queue URLs, attributes, DelaySeconds, visibility timeout,
// redrive to a dead-letter queue, long polling and deletion.
func TestGoaws(t *testing.T) {
	p, c := goawsStart(t)
	ctx := context.Background()

	dlq := goawsCreateQueue(t, c, "jobs-dlq", nil)
	if want := goawsQueueURL(p, "jobs-dlq"); dlq != want {
		t.Fatalf("queue URL = %q, want %q", dlq, want)
	}
	jobs := goawsCreateQueue(t, c, "jobs", map[string]string{
		"VisibilityTimeout": "1",
		"RedrivePolicy":     `{"maxReceiveCount":"2","deadLetterTargetArn":"arn:aws:sqs::` + goawsAccountID + `:jobs-dlq"}`,
	})
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(jobs), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	if got := attrs.Attributes["VisibilityTimeout"]; got != "1" {
		t.Errorf("VisibilityTimeout = %q, want 1", got)
	}
	if got := attrs.Attributes["RedrivePolicy"]; got == "" {
		t.Errorf("RedrivePolicy missing: %v", attrs.Attributes)
	}

	t.Run("delay", func(t *testing.T) {
		sent := time.Now()
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(dlq), MessageBody: aws.String("later"), DelaySeconds: 1}); err != nil {
			t.Fatalf("SendMessage: %v", err)
		}
		m := goawsReceiveOne(t, c, dlq, 5*time.Second)
		if m == nil {
			t.Fatal("delayed message never arrived")
		}
		if since := time.Since(sent); since < time.Second {
			t.Errorf("delayed message visible after %s, want ≥ 1s", since)
		}
		if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(dlq), ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatalf("DeleteMessage: %v", err)
		}
	})

	t.Run("batch quirks", func(t *testing.T) {
		// Two known goaws v0.5.4 gaps that callers work around: its JSON
		// SendMessageBatch answer uses field names the SDK does not read (so
		// Successful and Failed come back empty), and it drops per-entry delays.
		scratch := goawsCreateQueue(t, c, "scratch", nil)
		out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(scratch), Entries: []types.SendMessageBatchRequestEntry{
			{Id: aws.String("a"), MessageBody: aws.String("batched"), DelaySeconds: 30},
		}})
		if err != nil {
			t.Fatalf("SendMessageBatch: %v", err)
		}
		if len(out.Successful) != 0 || len(out.Failed) != 0 {
			t.Errorf("goaws now reports batch entries (%d ok, %d failed): queue.Publisher's no-report branch can go", len(out.Successful), len(out.Failed))
		}
		m := goawsReceiveOne(t, c, scratch, 3*time.Second)
		if m == nil {
			t.Fatal("batched message with DelaySeconds was held back: goaws now honours per-entry delays")
		}
		if aws.ToString(m.Body) != "batched" {
			t.Fatalf("body = %q", aws.ToString(m.Body))
		}
	})

	t.Run("visibility timeout and redrive", func(t *testing.T) {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(jobs), MessageBody: aws.String("job-1")}); err != nil {
			t.Fatalf("SendMessage: %v", err)
		}
		first := goawsReceiveOne(t, c, jobs, 3*time.Second)
		if first == nil || aws.ToString(first.Body) != "job-1" {
			t.Fatalf("first receive = %+v", first)
		}
		// Not deleted: it comes back once its 1 s visibility timeout lapses
		// (goaws checks once a second).
		second := goawsReceiveOne(t, c, jobs, 5*time.Second)
		if second == nil || aws.ToString(second.MessageId) != aws.ToString(first.MessageId) {
			t.Fatalf("second receive = %+v, want the same message again", second)
		}
		if aws.ToString(second.ReceiptHandle) == aws.ToString(first.ReceiptHandle) {
			t.Error("redelivery kept the old receipt handle")
		}
		// goaws never counts receives: ApproximateReceiveCount stays 1.
		if n, _ := strconv.Atoi(second.Attributes["ApproximateReceiveCount"]); n != 1 {
			t.Logf("ApproximateReceiveCount = %d (goaws now counts receives)", n)
		}
		// Second lapse reaches maxReceiveCount 2: the message moves to the DLQ.
		dead := goawsReceiveOne(t, c, dlq, 5*time.Second)
		if dead == nil || aws.ToString(dead.Body) != "job-1" {
			t.Fatalf("dead letter = %+v, want job-1", dead)
		}
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(jobs), WaitTimeSeconds: 1})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		if len(out.Messages) != 0 {
			t.Errorf("message still on the source queue after redrive: %+v", out.Messages)
		}
	})

	t.Run("deleted message does not come back", func(t *testing.T) {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(jobs), MessageBody: aws.String("job-2")}); err != nil {
			t.Fatalf("SendMessage: %v", err)
		}
		m := goawsReceiveOne(t, c, jobs, 3*time.Second)
		if m == nil {
			t.Fatal("no message")
		}
		if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(jobs), ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatalf("DeleteMessage: %v", err)
		}
		attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(jobs), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages},
		})
		if err != nil {
			t.Fatalf("GetQueueAttributes: %v", err)
		}
		if got := attrs.Attributes["ApproximateNumberOfMessages"]; got != "0" {
			t.Errorf("ApproximateNumberOfMessages = %q after delete, want 0", got)
		}
	})
}

// TestGoawsListensOnLoopbackOnly: the SQS emulator holds every tenant's sync
// jobs; it must not be reachable from another machine. goaws's own command
// listens on every interface, so the project runs it from cmd/goaws.
func TestGoawsListensOnLoopbackOnly(t *testing.T) {
	p, _ := goawsStart(t)
	port := strconv.Itoa(p.Port)
	if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", port), 2*time.Second); err != nil {
		t.Fatalf("goaws is not reachable on 127.0.0.1: %v", err)
	} else {
		c.Close()
	}
	// Every address of this machine but 127.0.0.1: the others of the
	// loopback network (Linux answers all of 127/8) and each interface's.
	others := []string{"127.0.0.2"}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.Equal(net.IPv4(127, 0, 0, 1)) && !ipn.IP.IsLinkLocalUnicast() {
			others = append(others, ipn.IP.String())
		}
	}
	for _, host := range others {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(host, port), 2*time.Second)
		if err == nil {
			c.Close()
			t.Errorf("goaws answers on %s: it must listen on 127.0.0.1 only", host)
		}
	}
}
