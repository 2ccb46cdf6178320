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
	cfg, err := app.LoadConfig(nil)
	if err != nil {
		log.Fatalf("configuration: %v", err)
	}
	logger := app.NewLogger(cfg.LogLevel)
	clients, err := app.LoadAWS(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(app.NewServices(cfg, clients, nil, logger).Worker().Handle)
}
