package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/golang-jwt/jwt/v5"

	"trinetsync/internal/api"
	"trinetsync/internal/fault"
)

// signed signs claims (JSON) with testSecret and the named HMAC algorithm.
func signed(t *testing.T, alg, claimsJSON string) string {
	t.Helper()
	var claims jwt.MapClaims
	if err := json.Unmarshal([]byte(claimsJSON), &claims); err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.NewWithClaims(jwt.GetSigningMethod(alg), claims).SignedString([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func unsignedToken(t *testing.T) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "x", "scope": api.AdminScope, "exp": 4102444800}).
		SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestHS256Authenticator(t *testing.T) {
	now := time.Date(2025, 11, 30, 8, 0, 0, 0, time.UTC)
	a := api.HS256Authenticator{Secret: []byte(testSecret), Now: func() time.Time { return now }}
	tests := []struct {
		name   string
		token  string
		want   api.Principal
		reject bool
	}{
		{"tenant", signed(t, "HS256", `{"sub":"ui","tenant_id":"demo","exp":1764489660}`), api.Principal{Subject: "ui", TenantID: "demo"}, false},
		{"admin", signed(t, "HS256", `{"sub":"ops","scope":"read trinet-sync:admin","exp":1764489660}`), api.Principal{Subject: "ops", Admin: true}, false},
		{"expired by the injected clock", signed(t, "HS256", `{"sub":"ui","tenant_id":"demo","exp":1764489540}`), api.Principal{}, true},
		{"not yet valid", signed(t, "HS256", `{"sub":"ui","tenant_id":"demo","exp":1764489660,"nbf":1764489650}`), api.Principal{}, true},
		{"HS384", signed(t, "HS384", `{"sub":"ui","tenant_id":"demo","exp":1764489660}`), api.Principal{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "bearer "+tt.token)
			p, err := a.Authenticate(r)
			if tt.reject {
				if !errors.Is(err, fault.ErrAuth) {
					t.Fatalf("want a fault.Auth error, got %v", err)
				}
				return
			}
			if err != nil || p != tt.want {
				t.Fatalf("got %+v, %v; want %+v", p, err, tt.want)
			}
		})
	}

	// An authenticator without a secret accepts nothing, and says it is misconfigured.
	r, _ := http.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+signed(t, "HS256", `{"sub":"ui","exp":1764489660}`))
	if _, err := (api.HS256Authenticator{}).Authenticate(r); err == nil || errors.Is(err, fault.ErrAuth) {
		t.Fatalf("no secret: want a configuration error, got %v", err)
	}
}

func TestMintToken(t *testing.T) {
	tok, err := api.MintToken(testSecret, "script", "demo", "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	p, err := api.HS256Authenticator{Secret: []byte(testSecret)}.Authenticate(r)
	if err != nil || p != (api.Principal{Subject: "script", TenantID: "demo"}) {
		t.Fatalf("got %+v, %v", p, err)
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, claims); err != nil {
		t.Fatal(err)
	}
	if _, ok := claims["scope"]; ok {
		t.Fatalf("an empty scope must be left out: %v", claims)
	}
	if _, err := api.MintToken("", "script", "demo", "", time.Hour); err == nil {
		t.Fatal("MintToken without a secret must fail")
	}
}

func TestGatewayAuthenticator(t *testing.T) {
	jwtCtx := func(claims map[string]string, scopes []string) *events.APIGatewayV2HTTPRequestContextAuthorizerDescription {
		return &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims, Scopes: scopes}}
	}
	tests := []struct {
		name   string
		auth   *events.APIGatewayV2HTTPRequestContextAuthorizerDescription
		want   api.Principal
		reject bool
	}{
		{"tenant claim", jwtCtx(map[string]string{"sub": "ui", "tenant_id": "demo"}, nil), api.Principal{Subject: "ui", TenantID: "demo"}, false},
		{"admin in scope claim", jwtCtx(map[string]string{"sub": "ops", "scope": "openid trinet-sync:admin"}, nil), api.Principal{Subject: "ops", Admin: true}, false},
		{"admin in jwt.scopes", jwtCtx(map[string]string{"sub": "ops"}, []string{"trinet-sync:admin"}), api.Principal{Subject: "ops", Admin: true}, false},
		{"array scope claim as API Gateway renders it", jwtCtx(map[string]string{"sub": "ops", "scope": "[openid trinet-sync:admin]"}, nil), api.Principal{Subject: "ops", Admin: true}, false},
		{"other scopes only", jwtCtx(map[string]string{"sub": "ops", "scope": "openid trinet-sync:read"}, []string{"email"}), api.Principal{Subject: "ops"}, false},
		{"no sub", jwtCtx(map[string]string{"tenant_id": "demo"}, nil), api.Principal{}, true},
		{"no claims", jwtCtx(nil, nil), api.Principal{}, true},
		{"no JWT authorizer", &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{}, api.Principal{}, true},
		{"no authorizer", nil, api.Principal{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := events.APIGatewayV2HTTPRequest{
				RawPath:        "/v1/fields",
				RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"}, Authorizer: tt.auth},
			}
			r, err := (&core.RequestAccessorV2{}).EventToRequestWithContext(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			p, err := api.GatewayAuthenticator{}.Authenticate(r)
			if tt.reject {
				if !errors.Is(err, fault.ErrAuth) {
					t.Fatalf("want a fault.Auth error, got %+v, %v", p, err)
				}
				return
			}
			if err != nil || p != tt.want {
				t.Fatalf("got %+v, %v; want %+v", p, err, tt.want)
			}
		})
	}

	// A request that did not come through API Gateway is not trusted.
	r, _ := http.NewRequest("GET", "/v1/fields", nil)
	if _, err := (api.GatewayAuthenticator{}).Authenticate(r); !errors.Is(err, fault.ErrAuth) {
		t.Fatalf("want fault.Auth, got %v", err)
	}
}
