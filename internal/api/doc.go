// Package api owns the service's HTTP edge: the /v1 routes and /healthz of the
// contract, bearer-token authentication and tenancy, strict JSON request
// decoding, and the translation of the service layer's results and classified
// errors (internal/fault) into the contract's JSON. It holds no business rules:
// every operation is one call on a Backend, which the service layer implements.
//
// The same http.Handler serves the local stack directly and AWS Lambda through
// an API Gateway v2 adapter (LambdaHandler); only the Authenticator differs.
package api
