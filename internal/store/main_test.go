package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"trinetsync/internal/emulator"
)

// One dynalite for the package; each test gets its own table so that tests
// run in parallel.
var (
	ddb       *dynamodb.Client
	tableSeq  atomic.Int64
	testStart = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
)

// testCo is the TriNet company the tests' links and hires are made in.
const testCo = "CJ6"

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	var log io.Writer = io.Discard
	if os.Getenv("DYNALITE_LOG") != "" {
		log = os.Stderr
	}
	p, err := emulator.Dynalite(ctx, "", log)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "store tests need dynalite:", err)
		return 1
	}
	defer p.Stop()
	ddb = emulator.DynamoDBClient(p.Endpoint())
	return m.Run()
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// newTable creates a fresh table named after the test.
func newTable(t testing.TB) string {
	t.Helper()
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	if len(name) > 200 {
		name = name[:200]
	}
	name = fmt.Sprintf("%s-%d", name, tableSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := CreateTable(ctx, ddb, name); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	return name
}

// newStore is a Store on a fresh table with a test clock.
func newStore(t testing.TB) (*Store, *clock) {
	t.Helper()
	c := &clock{now: testStart}
	return New(ddb, Config{Table: newTable(t), Now: c.Now, BatchRetryInitial: time.Millisecond}), c
}

func ctxT(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
