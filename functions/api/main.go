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
	wiring, err := app.FromEnv(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(api.LambdaHandler(wiring.API(api.GatewayAuthenticator{})))
}
