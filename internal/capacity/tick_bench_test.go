package capacity_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/sync/errgroup"

	"trinetsync/internal/app"
	"trinetsync/internal/capacity"
	"trinetsync/internal/localstack"
	"trinetsync/internal/queue"
	"trinetsync/internal/store"
)

// spreadRecorder passes jobs on to the publisher and keeps each one's delay:
// goaws accepts a batch entry's DelaySeconds and ignores it, so the queue
// cannot show the spread.
type spreadRecorder struct {
	p      *queue.Publisher
	mu     sync.Mutex
	delays []time.Duration
}

func (r *spreadRecorder) EnqueueDelayed(ctx context.Context, jobs []queue.Job, delay func(queue.Job) time.Duration) (int, error) {
	return r.p.EnqueueDelayed(ctx, jobs, func(j queue.Job) time.Duration {
		d := delay(j)
		r.mu.Lock()
		r.delays = append(r.delays, d)
		r.mu.Unlock()
		return d
	})
}

// BenchmarkTick measures the scheduler's tick for 100,000 connected tenants
// as the scheduler function runs it: the connected index listed from
// dynalite, 100,000 jobs sent to goaws in batches of ten,
// each delayed by its tenant's offset within the 10-minute slot. It reports
// the tick's wall time, the SQS calls it made, the process's heap peak, and
// how the jobs spread over the slot: the seconds of the slot used and the
// most jobs due in one second.
func BenchmarkTick(b *testing.B) {
	const tenants = 100_000
	ctx := context.Background()
	inf, err := localstack.StartInfra(ctx, localstack.InfraConfig{})
	if err != nil {
		b.Fatalf("start the local infrastructure (dynalite, goaws): %v", err)
	}
	b.Cleanup(inf.Close)
	calls := &callCounter{}
	st := store.New(inf.AWS.DynamoDB, store.Config{Table: localstack.TableName, Logger: quiet})
	connectAt := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	var g errgroup.Group
	g.SetLimit(16)
	for i := range tenants {
		g.Go(func() error {
			_, err := st.Connect(ctx, store.Tenant{ID: capacity.TenantID(i), CompanyID: "CO", SecretName: "s", ConnectedAt: connectAt})
			return err
		})
	}
	bmust(b, g.Wait())

	awsCfg := aws.Config{Region: localstack.Region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		APIOptions: []func(*middleware.Stack) error{calls.option}}
	sqsc := sqs.NewFromConfig(awsCfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(inf.Goaws.Endpoint()) })
	rec := &spreadRecorder{p: queue.NewPublisher(sqsc, inf.QueueURL, queue.Options{Logger: quiet})}
	s := &app.Scheduler{Interval: 10 * time.Minute, Spread: 10 * time.Minute, Tenants: st, Jobs: rec, Logger: quiet}
	slot := connectAt.Add(time.Hour)
	var wall time.Duration
	var heap float64
	sqsCalls := 0
	calls.take()
	for b.Loop() {
		b.StopTimer()
		rec.delays = rec.delays[:0]
		runtime.GC()
		h := watchHeap()
		b.StartTimer()
		start := time.Now()
		res, err := s.Tick(ctx, slot)
		wall += time.Since(start)
		b.StopTimer()
		inUse, _, _ := h.end()
		heap = max(heap, inUse)
		sqsCalls += sum(calls.take(), "SQS")
		if err != nil || res.Enqueued != tenants || res.BackedOff != 0 {
			b.Fatalf("tick: %+v, %v", res, err)
		}
		if _, err := inf.AWS.SQS.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(inf.QueueURL)}); err != nil {
			b.Fatal(err)
		}
		slot = slot.Add(10 * time.Minute)
		b.StartTimer()
	}
	b.StopTimer()
	perSecond := map[time.Duration]int{}
	most := 0
	for _, d := range rec.delays {
		perSecond[d/time.Second]++
		most = max(most, perSecond[d/time.Second])
	}
	b.ReportMetric(wall.Seconds()/float64(b.N), "s/tick")
	b.ReportMetric(float64(sqsCalls)/float64(b.N), "sqs-calls/tick")
	b.ReportMetric(heap, "MiB-heap-peak")
	b.ReportMetric(float64(len(perSecond)), "seconds-used")
	b.ReportMetric(float64(most), "max-jobs/s")
}
