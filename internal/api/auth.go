package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/golang-jwt/jwt/v5"

	"trinetsync/internal/fault"
)

// AdminScope in a token's scope reaches every tenant.
const AdminScope = "trinet-sync:admin"

// Principal is an authenticated caller. A tenant principal reaches TenantID
// only; an admin reaches every tenant. A principal with neither reaches only
// the tenant-independent routes (GET /v1/fields).
type Principal struct {
	Subject  string
	TenantID string
	Admin    bool
}

// Authenticator checks a request's credentials. A missing or bad credential
// is an error of class fault.Auth (401); fault.Forbidden is 403; any other
// error is internal (500).
type Authenticator interface {
	Authenticate(r *http.Request) (Principal, error)
}

// HS256Authenticator checks `Authorization: Bearer <JWT>` tokens signed with
// HS256 and Secret, for the local stack (LOCAL_JWT_SECRET). Claims: sub and exp
// required; tenant_id and/or a space-separated scope.
type HS256Authenticator struct {
	Secret []byte
	Now    func() time.Time // default time.Now
}

type tokenClaims struct {
	TenantID string `json:"tenant_id,omitempty"`
	Scope    string `json:"scope,omitempty"`
	jwt.RegisteredClaims
}

// Authenticate implements Authenticator.
func (a HS256Authenticator) Authenticate(r *http.Request) (Principal, error) {
	if len(a.Secret) == 0 {
		return Principal{}, errors.New("api: HS256Authenticator has no secret")
	}
	raw, err := bearerToken(r)
	if err != nil {
		return Principal{}, err
	}
	now := a.Now
	if now == nil {
		now = time.Now
	}
	var claims tokenClaims
	_, err = jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return a.Secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(now))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Principal{}, fault.Wrap(fault.Auth, err, "the bearer token has expired")
	case err != nil:
		// jwt's own reasons (bad signature, wrong alg, malformed) are logged,
		// not shown: they help an attacker more than a client.
		return Principal{}, fault.Wrap(fault.Auth, err, "the bearer token is not valid")
	case claims.Subject == "":
		return Principal{}, fault.New(fault.Auth, "the bearer token has no sub claim")
	}
	return Principal{Subject: claims.Subject, TenantID: claims.TenantID, Admin: hasAdminScope(claims.Scope)}, nil
}

// MintToken signs an HS256 token with sub, tenant_id (if not empty), scope (if
// not empty) and exp = now + ttl, as HS256Authenticator accepts. The local
// stack uses it to print a ready token; scripts may do the same with any JWT
// library.
func MintToken(secret, sub, tenantID, scope string, ttl time.Duration) (string, error) {
	if secret == "" {
		return "", errors.New("api: MintToken needs a secret")
	}
	now := time.Now()
	claims := tokenClaims{
		TenantID: tenantID,
		Scope:    scope,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   sub,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
}

func bearerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", fault.New(fault.Auth, "an Authorization: Bearer token is required")
	}
	scheme, tok, ok := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", fault.New(fault.Auth, "the Authorization header must be Bearer <token>")
	}
	return tok, nil
}

// GatewayAuthenticator reads the claims that API Gateway's JWT authorizer has
// already verified, from the API Gateway v2 request context that
// LambdaHandler puts on the request. Claims arrive as strings; scopes are read
// from the scope claim and from jwt.scopes (which may be null).
type GatewayAuthenticator struct{}

// Authenticate implements Authenticator.
func (GatewayAuthenticator) Authenticate(r *http.Request) (Principal, error) {
	rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context())
	if !ok {
		return Principal{}, fault.New(fault.Auth, "the request did not come through API Gateway")
	}
	if rc.Authorizer == nil || rc.Authorizer.JWT == nil || len(rc.Authorizer.JWT.Claims) == 0 {
		return Principal{}, fault.New(fault.Auth, "the request carries no verified token claims")
	}
	claims := rc.Authorizer.JWT.Claims
	p := Principal{Subject: claims["sub"], TenantID: claims["tenant_id"], Admin: hasAdminScope(claims["scope"])}
	for _, s := range rc.Authorizer.JWT.Scopes {
		if s == AdminScope {
			p.Admin = true
		}
	}
	if p.Subject == "" {
		return Principal{}, fault.New(fault.Auth, "the token has no sub claim")
	}
	return p, nil
}

// hasAdminScope reads a scope claim: space-separated as OAuth 2.0 has it, or,
// when the identity provider sent an array, API Gateway's "[a b]" rendering.
func hasAdminScope(scope string) bool {
	scope = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(scope), "["), "]")
	for _, s := range strings.FieldsFunc(scope, func(r rune) bool { return r == ' ' || r == ',' }) {
		if s == AdminScope {
			return true
		}
	}
	return false
}
