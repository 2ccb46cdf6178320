// Command worker is the worker Lambda function: it runs one tenant's sync per
// SQS message and reports the messages to retry as batch item failures.
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
	lambda.Start(wiring.Worker().Handle)
}
