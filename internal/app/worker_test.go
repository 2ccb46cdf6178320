package app_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"trinetsync/internal/app"
	"trinetsync/internal/provision"
	"trinetsync/internal/queue"
)

// visibilityRecorder passes ChangeMessageVisibility on to goaws and keeps
// what was asked and answered.
type visibilityRecorder struct {
	mu    sync.Mutex
	calls map[string]int32 // receipt handle → seconds
	errs  []error
}

func (v *visibilityRecorder) ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	out, err := inf.AWS.SQS.ChangeMessageVisibility(ctx, in, opts...)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.calls == nil {
		v.calls = map[string]int32{}
	}
	v.calls[aws.ToString(in.ReceiptHandle)] = in.VisibilityTimeout
	if err != nil {
		v.errs = append(v.errs, err)
	}
	return out, err
}

func failedIDs(res events.SQSEventResponse) []string {
	var ids []string
	for _, f := range res.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	slices.Sort(ids)
	return ids
}

func TestWorkerReportsOnlyTransientFailures(t *testing.T) {
	t.Parallel()
	ok := newEnv(t, withPeople(cleanPeople()))
	ok.connect(true)
	down := ok.sibling(withPeople(cleanPeople()))
	down.connect(true)
	down.trinetDown()
	nobody := ok.sibling() // never connected: its run fails, the message is done
	ctx := ctxFor(t)

	for _, j := range []struct {
		e  *env
		id string
	}{{ok, "sched-ok"}, {down, "sched-down"}, {nobody, "sched-nobody"}} {
		if err := ok.svcs.Publisher().Send(ctx, j.e.job(j.id, provision.TriggerSchedule, false), 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := inf.AWS.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(ok.queueURL), MessageBody: aws.String(`{"v":1,"tenantId":"Not A Tenant"`)}); err != nil {
		t.Fatal(err)
	}
	var msgs []message
	for len(msgs) < 4 {
		// The unreadable body is not a job: receive it raw.
		out, err := inf.AWS.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(ok.queueURL), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			pause(ctx, 20*time.Millisecond)
		}
		for _, m := range out.Messages {
			msgs = append(msgs, message{id: aws.ToString(m.MessageId), body: aws.ToString(m.Body), receipt: aws.ToString(m.ReceiptHandle), receiveCount: 1})
		}
	}
	byTenant := map[string]message{}
	var bad message
	for _, m := range msgs {
		switch {
		case m.body[len(m.body)-1] != '}':
			bad = m
		default:
			byTenant[tenantOf(t, m.body)] = m
		}
	}
	if bad.id == "" || len(byTenant) != 3 {
		t.Fatalf("received %+v", msgs)
	}

	rec := &visibilityRecorder{}
	w := &app.Worker{Runner: ok.runner, Visibility: rec, QueueURL: ok.queueURL, Logger: ok.log, Parallel: 3}
	var ev events.SQSEvent
	for _, m := range msgs {
		ev.Records = append(ev.Records, sqsRecord(m))
	}
	res, err := w.Handle(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{byTenant[down.tenant].id, bad.id}
	slices.Sort(want)
	if got := failedIDs(res); !slices.Equal(got, want) {
		t.Fatalf("batch item failures %v, want the transient one and the unreadable one %v", got, want)
	}
	wantRunError(t, ok.run("sched-ok"), provision.RunSucceeded, "")
	wantRunError(t, nobody.run("sched-nobody"), provision.RunFailed, app.CodeNotConnected)
	if r := down.run("sched-down"); r.Status.Final() {
		t.Fatalf("transiently failed run is %s", r.Status)
	}
	if len(rec.errs) > 0 {
		t.Fatalf("goaws refused ChangeMessageVisibility: %v", rec.errs)
	}
	first, okDelay := rec.calls[byTenant[down.tenant].receipt]
	if !okDelay || first <= 0 {
		t.Fatalf("visibility changes %v: none for the retried message", rec.calls)
	}
	if _, ok := rec.calls[bad.receipt]; !ok || len(rec.calls) != 2 {
		t.Fatalf("visibility changed for %v, want the retried message and the unreadable one", rec.calls)
	}

	// Redelivered (the receive count grows): the delay grows, until the last
	// attempt fails the run and lets the message go.
	m := byTenant[down.tenant]
	last := first
	for count := 2; count <= ok.cfg.MaxReceiveCount; count++ {
		rec.calls = nil
		m.receiveCount = count
		res, err := w.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{sqsRecord(m)}})
		if err != nil {
			t.Fatal(err)
		}
		if count < ok.cfg.MaxReceiveCount {
			if got := failedIDs(res); len(got) != 1 || rec.calls[m.receipt] <= last {
				t.Fatalf("receive %d: failures %v visibility %v, want a retry later than %ds", count, got, rec.calls, last)
			}
			last = rec.calls[m.receipt]
			continue
		}
		// The last receive fails the run and returns the message once more,
		// so that a job that keeps failing lands in the dead-letter queue.
		if got := failedIDs(res); len(got) != 1 {
			t.Fatalf("last receive: failures %v, want the message returned for the dead-letter queue", got)
		}
	}
	wantRunError(t, down.run("sched-down"), provision.RunFailed, app.CodeUpstream)
}

func TestWorkerWithoutVisibilityKeepsTheQueueTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(true)
	e.trinetDown()
	w := &app.Worker{Runner: e.runner, QueueURL: e.queueURL, Logger: e.log}
	body, err := e.job("sched-x", provision.TriggerSchedule, false).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.Handle(ctxFor(t), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: body}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := failedIDs(res); !slices.Equal(got, []string{"m1"}) {
		t.Fatalf("failures %v", got)
	}
}

func TestWorkerEmptyBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := &app.Worker{Runner: e.runner, QueueURL: e.queueURL}
	res, err := w.Handle(ctxFor(t), events.SQSEvent{})
	if err != nil || len(res.BatchItemFailures) != 0 {
		t.Fatalf("%+v %v", res, err)
	}
}

func tenantOf(t *testing.T, body string) string {
	t.Helper()
	job, err := queue.ParseJob(body)
	if err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return job.TenantID
}
