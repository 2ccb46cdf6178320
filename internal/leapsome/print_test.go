package leapsome

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestPrintingNeverShowsTheSecrets(t *testing.T) {
	cfg := Config{BaseURL: "https://api.example.test/v1", SCIMURL: "https://api.example.test/scim/v1", APISecret: "api-s3cr3t", SCIMToken: "scim-t0ken"}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("oops", "config", cfg, "client", c)
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg), fmt.Sprintf("%v %+v %#v", c, c, c), logs.String()} {
		if strings.Contains(out, cfg.APISecret) || strings.Contains(out, cfg.SCIMToken) || !strings.Contains(out, "api.example.test") {
			t.Errorf("printed: %s", out)
		}
	}
}
