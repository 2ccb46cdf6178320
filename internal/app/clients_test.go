package app_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"

	"trinetsync/internal/app"
	trinetsandbox "trinetsync/internal/sandbox/trinet"
	"trinetsync/internal/secrets"
)

// TestClientsStateBelongsToAPIClients: the clients built by one APIClients
// (one cold start) share TriNet's token, so a second run asks for none; the
// clients of another APIClients share nothing with them (no process-global
// cache).
func TestClientsStateBelongsToAPIClients(t *testing.T) {
	sb := trinetsandbox.New(trinetsandbox.Options{})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	if err := sb.AddCompany(trinetsandbox.Company{ID: "SHR", Name: "Shared", ClientID: "shr-" + t.Name(), ClientSecret: "s"}); err != nil {
		t.Fatal(err)
	}
	creds := secrets.Credentials{
		TriNet:   secrets.TriNetCredentials{CompanyID: "SHR", ClientID: "shr-" + t.Name(), ClientSecret: "s"},
		Leapsome: secrets.LeapsomeCredentials{APISecret: "ls"},
	}
	cfg := app.Config{TriNetBaseURL: srv.URL, LeapsomeURL: "http://127.0.0.1:1/v1", LeapsomeSCIM: "http://127.0.0.1:1/scim/v1", TriNetRPS: 1000}
	run := func(a *app.APIClients) {
		_, company, err := a.ForTenant(creds, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := company.Departments(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	coldStart := app.NewAPIClients(cfg, nil, slog.New(slog.DiscardHandler))
	run(coldStart)
	run(coldStart)
	if n := sb.Calls("SHR")["token"]; n != 1 {
		t.Fatalf("token calls = %d after two runs of one APIClients, want 1", n)
	}
	run(app.NewAPIClients(cfg, nil, slog.New(slog.DiscardHandler)))
	if n := sb.Calls("SHR")["token"]; n != 2 {
		t.Fatalf("token calls = %d after a run of another APIClients, want 2: it must not share the first one's token", n)
	}
}
