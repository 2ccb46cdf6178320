// Command scheduler is the scheduler Lambda function: on each EventBridge tick
// it enqueues one sync job per connected tenant that is not backing off.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"trinetsync/internal/app"
)

func main() {
	wiring, err := app.FromEnv(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(wiring.Scheduler().HandleEvent)
}
