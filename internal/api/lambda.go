package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
)

// LambdaHandler adapts h to API Gateway HTTP API (payload v2) events. The
// event's request context, with the JWT authorizer's claims, travels on the
// request's context for GatewayAuthenticator.
//
// An HTTP API hands the function its path percent-decoded (rawPath as well
// as requestContext.http.path), so a decoded "%" would break the URL and a
// decoded "#" or "?" would cut a path parameter short: DELETE …/hires/u1%23x
// would release u1. Each segment is escaped again before the request is
// built, so the handler sees the path the client sent. An encoded "/" inside
// a segment cannot be told from a separator once decoded; such a path simply
// matches no route.
func LambdaHandler(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	adapter := httpadapter.NewV2(h)
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		path := ev.RawPath
		if path == "" {
			path = ev.RequestContext.HTTP.Path
		}
		ev.RawPath = escapePath(path)
		resp, err := adapter.ProxyWithContext(ctx, ev)
		if err != nil {
			// The event could not become a request (a body that is not valid
			// base64, say): still the contract's JSON, never a Lambda error.
			return eventError(badRequest("", "the request could not be read")), nil
		}
		return resp, nil
	}
}

// escapePath percent-encodes each segment of a decoded path.
func escapePath(decoded string) string {
	segs := strings.Split(decoded, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	out := strings.Join(segs, "/")
	if !strings.HasPrefix(out, "/") {
		out = "/" + out
	}
	return out
}

// eventError is an error answer built without the handler.
func eventError(e *apiError) events.APIGatewayV2HTTPResponse {
	b, _ := json.Marshal(errorJSON{Error: errorBodyJSON{Code: e.Code, Message: e.Message, Field: e.Field}})
	return events.APIGatewayV2HTTPResponse{
		StatusCode: e.Status,
		Headers: map[string]string{
			"Content-Type": "application/json", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
		},
		Body: string(b) + "\n",
	}
}
