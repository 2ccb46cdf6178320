// Package secrets owns the tenants' credentials at rest: one AWS Secrets
// Manager secret per tenant, named Prefix+tenantID, holding Credentials as
// JSON. It reads fresh on every Get (no cache) so that a secret deleted in
// the console is seen by the next run, and turns "gone" and "scheduled for
// deletion" into fault.CredentialsRevoked. The local stack serves the same
// calls from files with the stand-in in package standin.
package secrets

import (
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"trinetsync/internal/fault"
)

// TriNetCredentials are a tenant's TriNet API client and company.
type TriNetCredentials struct {
	CompanyID    string `json:"companyId"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
}

// LeapsomeCredentials are a tenant's Leapsome API secret and, optionally, its
// SCIM token.
type LeapsomeCredentials struct {
	APISecret string `json:"apiSecret"`
	SCIMToken string `json:"scimToken,omitempty"`
}

// Credentials are what a tenant's secret holds; the JSON field names are those
// of the connection API's body.
type Credentials struct {
	TriNet   TriNetCredentials   `json:"trinet"`
	Leapsome LeapsomeCredentials `json:"leapsome"`
}

// Validate reports the first required credential that is empty, naming it as
// the API body does.
func (c Credentials) Validate() error {
	for _, f := range []struct{ field, value string }{
		{"trinet.companyId", c.TriNet.CompanyID},
		{"trinet.clientId", c.TriNet.ClientID},
		{"trinet.clientSecret", c.TriNet.ClientSecret},
		{"leapsome.apiSecret", c.Leapsome.APISecret},
	} {
		if strings.TrimSpace(f.value) == "" {
			return fault.Invalid(f.field, "is required")
		}
	}
	if !companyIDPattern.MatchString(c.TriNet.CompanyID) {
		// It becomes a path segment of every TriNet call: checked here, where
		// the field still has the name the admin typed it under.
		return fault.Invalid("trinet.companyId", "must be a TriNet company id such as CJ6 (letters, digits, '-' or '_')")
	}
	return nil
}

// companyIDPattern is what a TriNet company id may look like: a short code
// such as CJ6. Nothing that could change a URL's path (/, ?, #, %, spaces).
var companyIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// HasSCIM reports whether a SCIM token is stored.
func (c Credentials) HasSCIM() bool { return c.Leapsome.SCIMToken != "" }

const redacted = "[redacted]"

func secretMark(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

// MaskID shows only the last four characters of an identifier such as a
// client id ("••••abcd"); ids of four characters or fewer are fully masked.
func MaskID(id string) string {
	r := []rune(id)
	if len(r) <= 4 {
		return strings.Repeat("•", len(r))
	}
	return strings.Repeat("•", 4) + string(r[len(r)-4:])
}

// The formatting and logging methods below mask every secret so that a
// credentials value that reaches a log line or an error by accident is safe.

func (t TriNetCredentials) String() string {
	return fmt.Sprintf("{companyId:%s clientId:%s clientSecret:%s}", t.CompanyID, MaskID(t.ClientID), secretMark(t.ClientSecret))
}

// GoString masks %#v too.
func (t TriNetCredentials) GoString() string { return "secrets.TriNetCredentials" + t.String() }

func (t TriNetCredentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("companyId", t.CompanyID),
		slog.String("clientId", MaskID(t.ClientID)),
		slog.String("clientSecret", secretMark(t.ClientSecret)),
	)
}

func (l LeapsomeCredentials) String() string {
	return fmt.Sprintf("{apiSecret:%s scimToken:%s}", secretMark(l.APISecret), secretMark(l.SCIMToken))
}

// GoString masks %#v too.
func (l LeapsomeCredentials) GoString() string { return "secrets.LeapsomeCredentials" + l.String() }

func (l LeapsomeCredentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("apiSecret", secretMark(l.APISecret)),
		slog.String("scimToken", secretMark(l.SCIMToken)),
	)
}

func (c Credentials) String() string {
	return "{trinet:" + c.TriNet.String() + " leapsome:" + c.Leapsome.String() + "}"
}

// GoString masks %#v too.
func (c Credentials) GoString() string { return "secrets.Credentials" + c.String() }

func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("trinet", c.TriNet), slog.Any("leapsome", c.Leapsome))
}
