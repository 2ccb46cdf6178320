package localstack

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"trinetsync/internal/sandbox/demo"
)

// TestConsoleRevocationWithTheAWSCLI walks the README's AWS CLI lines — the
// local equivalent of revoking a tenant in the AWS console — with the SDK
// client the CLI stands for, pointed at the stack's Secrets Manager stand-in
// with dummy keys: list-secrets finds the tenant's secret; delete-secret with
// a 7-day recovery window and restore-secret before any run changes nothing;
// deleting it again revokes the tenant at the next run; restore-secret alone
// does not reconnect it; PUT …/connection does.
func TestConsoleRevocationWithTheAWSCLI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st := startStack(t, ctx, Config{
		DataDir: t.TempDir(), APIAddr: "127.0.0.1:0", SyncInterval: 24 * time.Hour,
		DemoTenant: "demo", FirstSync: true, Logger: testLogger(),
	})
	defer st.Close()
	c := st.client(t, "demo", false)
	if r := c.waitRun("demo", st.FirstSyncID); r.Status != "partial" {
		t.Fatalf("first sync: %+v", r)
	}
	// The stack prints the line to copy, with this start's endpoint.
	var usage strings.Builder
	if err := st.WriteUsage(&usage); err != nil {
		t.Fatal(err)
	}
	if want := "aws --endpoint-url " + st.Infra.SecretsURL + " secretsmanager delete-secret --secret-id " + SecretPrefix + "demo --recovery-window-in-days 7"; !strings.Contains(usage.String(), want) {
		t.Errorf("usage lacks %q:\n%s", want, usage.String())
	}
	cli := secretsmanager.New(secretsmanager.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(st.Infra.SecretsURL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	const name = SecretPrefix + "demo"
	tenants := []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{SecretPrefix}}}
	listed := func(include bool) map[string]smtypes.SecretListEntry {
		t.Helper()
		got := map[string]smtypes.SecretListEntry{}
		p := secretsmanager.NewListSecretsPaginator(cli, &secretsmanager.ListSecretsInput{Filters: tenants, IncludePlannedDeletion: aws.Bool(include)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("list-secrets: %v", err)
			}
			for _, s := range out.SecretList {
				got[aws.ToString(s.Name)] = s
			}
		}
		return got
	}
	deleteWithWindow := func() {
		t.Helper()
		if _, err := cli.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(name), RecoveryWindowInDays: aws.Int64(7)}); err != nil {
			t.Fatalf("delete-secret --recovery-window-in-days 7: %v", err)
		}
	}
	restore := func() {
		t.Helper()
		if _, err := cli.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String(name)}); err != nil {
			t.Fatalf("restore-secret: %v", err)
		}
	}
	var conn struct {
		Status string `json:"status"`
	}
	status := func() string {
		t.Helper()
		c.call(http.MethodGet, "/v1/tenants/demo/connection", nil, http.StatusOK, &conn)
		return conn.Status
	}

	if got := listed(false); len(got) != 1 || got[name].DeletedDate != nil {
		t.Fatalf("list-secrets before any revocation: %v, want %s alone", got, name)
	}

	// Deleted and restored within the window, before any run: nothing happened.
	deleteWithWindow()
	restore()
	if r := c.trigger("demo", map[string]any{}); r.Status != "partial" {
		t.Fatalf("run after delete and restore: %+v", r)
	}

	// Deleted with a recovery window: gone from the default listing, shown
	// with its DeletedDate on request, and the next run revokes the tenant.
	deleteWithWindow()
	if got := listed(false); len(got) != 0 {
		t.Errorf("list-secrets shows a secret scheduled for deletion: %v", got)
	}
	if got := listed(true); got[name].DeletedDate == nil {
		t.Errorf("list-secrets --include-planned-deletion: %v, want %s with a DeletedDate", got, name)
	}
	r := c.trigger("demo", map[string]any{})
	if r.Status != "failed" || r.Error == nil || r.Error.Code != "credentials_revoked" {
		t.Fatalf("run with the secret scheduled for deletion: %+v", r)
	}
	if s := status(); s != "revoked" {
		t.Fatalf("status after the run = %s, want revoked", s)
	}
	if tick, err := st.Tick(ctx, time.Now()); err != nil || tick.Enqueued != 0 {
		t.Errorf("tick with the tenant revoked: %+v, %v; want nothing enqueued", tick, err)
	}

	// restore-secret brings the secret back but not the tenant: a revoked
	// tenant is reconnected through the API only.
	restore()
	if got := listed(false); got[name].ARN == nil || got[name].DeletedDate != nil {
		t.Errorf("list-secrets after restore-secret: %v", got)
	}
	if s := status(); s != "revoked" {
		t.Errorf("status after restore-secret = %s, want revoked until PUT …/connection", s)
	}
	c.call(http.MethodPost, "/v1/tenants/demo/syncs", map[string]any{}, http.StatusConflict, nil)

	d := demo.DefaultCredentials()
	c.call(http.MethodPut, "/v1/tenants/demo/connection", map[string]any{
		"trinet":   map[string]any{"companyId": d.TriNetCompanyID, "clientId": d.TriNetClientID, "clientSecret": d.TriNetClientSecret},
		"leapsome": map[string]any{"apiSecret": d.LeapsomeAPISecret, "scimToken": d.LeapsomeSCIMToken},
	}, http.StatusOK, nil)
	if s := status(); s != "connected" {
		t.Fatalf("status after PUT …/connection = %s", s)
	}
	if r := c.trigger("demo", map[string]any{}); r.Status != "partial" {
		t.Errorf("run after reconnecting: %+v", r)
	}
}
