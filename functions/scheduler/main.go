// Command scheduler is the scheduler Lambda function: on each EventBridge tick
// it enqueues one sync job per connected tenant that is not backing off.
package main

import (
	"context"
	"log"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"trinetsync/internal/app"
)

func main() {
	cfg, err := app.LoadConfig(nil)
	if err != nil {
		log.Fatalf("configuration: %v", err)
	}
	logger := app.NewLogger(cfg.LogLevel)
	clients, err := app.LoadAWS(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	scheduler := app.NewServices(cfg, clients, nil, logger).Scheduler()
	lambda.Start(func(ctx context.Context, ev events.EventBridgeEvent) (app.TickResult, error) {
		// The event's time names the slot, so a duplicate invocation enqueues the same sync ids.
		at := ev.Time
		if at.IsZero() {
			at = time.Now()
		}
		return scheduler.Tick(ctx, at)
	})
}
