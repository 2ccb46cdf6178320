package localstack

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"trinetsync/internal/api"
	"trinetsync/internal/app"
	"trinetsync/internal/provision"
	"trinetsync/internal/queue"
)

func TestInfraRunsADemoSync(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	inf, err := StartInfra(ctx, InfraConfig{EmulatorLog: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	defer inf.Close()
	creds, err := inf.SeedDemo(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	svcs := app.NewWiring(inf.Config(10*time.Minute), inf.AWS, nil, log)
	svc := svcs.Backend()
	conn, err := svc.Connect(ctx, "demo", api.ConnectRequest{
		TriNet:   api.TriNetCredentials{CompanyID: creds.TriNetCompanyID, ClientID: creds.TriNetClientID, ClientSecret: creds.TriNetClientSecret},
		Leapsome: api.LeapsomeCredentials{APISecret: creds.LeapsomeAPISecret, SCIMToken: creds.LeapsomeSCIMToken},
	})
	if err != nil {
		t.Fatal(err)
	}
	if conn.Status != api.StatusConnected {
		t.Fatalf("status %s", conn.Status)
	}
	settings := provision.DefaultSettings(true)
	settings.AutoCreateNewHires = true
	if _, err := svc.PutSettings(ctx, "demo", settings); err != nil {
		t.Fatal(err)
	}
	run, err := svc.Trigger(ctx, "demo", api.TriggerRequest{})
	if err != nil {
		t.Fatal(err)
	}
	out := svcs.Runner().Handle(ctx, queue.Job{Version: queue.JobVersion, TenantID: "demo", SyncID: run.SyncID, Trigger: provision.TriggerManual}, 1)
	if out.Retry {
		t.Fatalf("retry: %+v", out)
	}
	got, err := svc.Run(ctx, "demo", run.SyncID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("run: %+v", got)
	if got.Status != provision.RunPartial && got.Status != provision.RunSucceeded {
		t.Fatalf("status %s error %+v", got.Status, got.Error)
	}
	if got.Counts.Created == 0 || got.Counts.Linked == 0 {
		t.Fatalf("counts %+v", got.Counts)
	}
	issues, err := svc.Issues(ctx, "demo", "", api.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, is := range issues.Items {
		t.Logf("%s %s %s %s: %s", is.Severity, is.Code, is.Email, is.Field, is.Message)
	}
	_ = app.Slot
}
