// Command api is the HTTP API Lambda function behind API Gateway's JWT
// authorizer: the same net/http handler the local stack serves, adapted to
// API Gateway v2 events.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"trinetsync/internal/api"
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
	handler := app.NewServices(cfg, clients, nil, logger).API(api.GatewayAuthenticator{})
	lambda.Start(api.LambdaHandler(handler))
}
