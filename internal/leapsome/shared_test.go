package leapsome

import (
	"errors"
	"testing"

	"trinetsync/internal/fault"
)

// TestSharedState: Clients built with one Shared share the credential's token
// and pacers; another secret, or a Client without a Shared, shares nothing;
// and the rates are the Shared's alone (one rule, set once per process).
func TestSharedState(t *testing.T) {
	shared := NewShared(Limits{})
	cfg := Config{BaseURL: "https://api.example.test/v1", SCIMURL: "https://api.example.test/scim/v1",
		APISecret: "s", SCIMToken: "t", Shared: shared}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(cfg)
	if a.tokens != b.tokens || a.content != b.content || a.scim != b.scim {
		t.Fatal("two clients of one credential must share its token and pacers")
	}
	if a.content == a.scim || a.content.Stats().Rate != defaultContentRPS || a.scim.Stats().Rate != defaultSCIMRPS {
		t.Fatalf("content %+v, SCIM %+v: want one pacer per API at Leapsome's documented rates", a.content.Stats(), a.scim.Stats())
	}
	other := cfg
	other.APISecret = "s2"
	o, _ := New(other)
	alone := cfg
	alone.Shared = nil
	p, _ := New(alone)
	if o.tokens == a.tokens || o.content == a.content || p.tokens == a.tokens || p.content == a.content {
		t.Fatal("another secret, or a client without the Shared, must not share them")
	}
	withRate := cfg
	withRate.ContentRPS = 5
	if _, err := New(withRate); !errors.Is(err, fault.ErrValidation) || fault.FieldOf(err) != "ContentRPS" {
		t.Fatalf("New with a Shared and its own rate = %v, want a validation error", err)
	}
}
