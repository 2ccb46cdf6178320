package trinet

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestPrintingNeverShowsTheSecret(t *testing.T) {
	cfg := Config{BaseURL: "https://api.example.test", CompanyID: "CJ6", ClientID: "cid", ClientSecret: "s3cr3t-value"}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("oops", "config", cfg, "client", c)
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg), fmt.Sprintf("%v %+v %#v", c, c, c), logs.String()} {
		if strings.Contains(out, cfg.ClientSecret) || !strings.Contains(out, "CJ6") {
			t.Errorf("printed: %s", out)
		}
	}
}
