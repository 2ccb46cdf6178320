package trinet

import (
	"fmt"
	"log/slog"
)

// A Config or Client printed by mistake (%v, %+v, %#v, a log attribute)
// shows where it points, never the client secret or a token.

func (c Config) String() string {
	return fmt.Sprintf("trinet.Config{BaseURL: %s, CompanyID: %s, ClientID: %s, ClientSecret: %s}",
		c.BaseURL, c.CompanyID, c.ClientID, masked(c.ClientSecret))
}

// GoString is String, for %#v.
func (c Config) GoString() string { return c.String() }

// LogValue keeps the secret out of structured logs.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

func (c *Client) String() string {
	return fmt.Sprintf("trinet.Client{%s, company %s, client %s}", c.base, c.rawCo, c.id)
}

// GoString is String, for %#v.
func (c *Client) GoString() string { return c.String() }

// LogValue keeps the secret out of structured logs.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

func masked(secret string) string {
	if secret == "" {
		return "(none)"
	}
	return "(set)"
}
