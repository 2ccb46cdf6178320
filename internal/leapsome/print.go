package leapsome

import (
	"fmt"
	"log/slog"
)

// A Config or Client printed by mistake (%v, %+v, %#v, a log attribute)
// shows where it points, never the API secret, the SCIM token or a token.

func (c Config) String() string {
	return fmt.Sprintf("leapsome.Config{BaseURL: %s, SCIMURL: %s, APISecret: %s, SCIMToken: %s}",
		c.BaseURL, c.SCIMURL, masked(c.APISecret), masked(c.SCIMToken))
}

// GoString is String, for %#v.
func (c Config) GoString() string { return c.String() }

// LogValue keeps the secrets out of structured logs.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

func (c *Client) String() string { return "leapsome.Client{" + c.cfg.String() + "}" }

// GoString is String, for %#v.
func (c *Client) GoString() string { return c.String() }

// LogValue keeps the secrets out of structured logs.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

func masked(secret string) string {
	if secret == "" {
		return "(none)"
	}
	return "(set)"
}
