package api

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestConnectRequestNeverPrintsSecrets(t *testing.T) {
	r := ConnectRequest{
		TriNet:   TriNetCredentials{CompanyID: "CJ6", ClientID: "cid", ClientSecret: "cs-s3cr3t"},
		Leapsome: LeapsomeCredentials{APISecret: "api-s3cr3t", SCIMToken: "scim-t0ken"},
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("oops", "req", r)
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s", r, r, r, r), fmt.Sprintf("%v", &r), logs.String()} {
		for _, s := range []string{"cs-s3cr3t", "api-s3cr3t", "scim-t0ken"} {
			if strings.Contains(out, s) {
				t.Errorf("printed %q: %s", s, out)
			}
		}
	}
}
