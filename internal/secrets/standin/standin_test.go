package standin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"trinetsync/internal/fault"
	"trinetsync/internal/secrets"
	"trinetsync/internal/secrets/standin"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type env struct {
	dir    string
	clock  *clock
	url    string
	client *secretsmanager.Client
	mgr    *secrets.Manager
	logs   *bytes.Buffer
}

// newEnv serves the stand-in over real HTTP and points the real SDK client,
// and the production Manager on it, at it.
func newEnv(t *testing.T) *env {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "secrets")
	clk := &clock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	srv := httptest.NewServer(&standin.Server{Dir: dir, Now: clk.Now})
	t.Cleanup(srv.Close)
	client := secretsmanager.New(secretsmanager.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	logs := &bytes.Buffer{}
	mgr := secrets.New(client, secrets.Config{
		Prefix:        "trinet-sync/tenants/",
		CreateBackoff: time.Millisecond,
		Logger:        slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	return &env{dir: dir, clock: clk, url: srv.URL, client: client, mgr: mgr, logs: logs}
}

func creds(secret string) secrets.Credentials {
	var c secrets.Credentials
	c.TriNet.CompanyID = "CO1"
	c.TriNet.ClientID = "client-abcdef"
	c.TriNet.ClientSecret = "trinet-" + secret
	c.Leapsome.APISecret = "leapsome-" + secret
	c.Leapsome.SCIMToken = "scim-" + secret
	return c
}

func (e *env) file(tenant string) string {
	return filepath.Join(e.dir, "trinet-sync_tenants_"+tenant+".json")
}

func (e *env) mustGet(t *testing.T, tenant string, want secrets.Credentials) {
	t.Helper()
	got, err := e.mgr.Get(context.Background(), tenant)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got != want {
		t.Fatalf("Get = %v, want %v", got, want)
	}
}

func (e *env) mustBeRevoked(t *testing.T, tenant string) {
	t.Helper()
	_, err := e.mgr.Get(context.Background(), tenant)
	if !errors.Is(err, fault.ErrCredentialsRevoked) {
		t.Fatalf("Get = %v, want credentials revoked", err)
	}
}

func (e *env) mustPut(t *testing.T, tenant string, c secrets.Credentials) {
	t.Helper()
	if err := e.mgr.Put(context.Background(), tenant, c); err != nil {
		t.Fatalf("Put: %v", err)
	}
}

func TestManagerOverStandin(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const tenant = "acme"

	t.Run("never stored reads as revoked", func(t *testing.T) {
		e.mustBeRevoked(t, tenant)
	})

	t.Run("create", func(t *testing.T) {
		e.mustPut(t, tenant, creds("v1"))
		e.mustGet(t, tenant, creds("v1"))
		fi, err := os.Stat(e.file(tenant))
		if err != nil {
			t.Fatalf("secret file: %v", err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("file mode = %v, want 0600", fi.Mode().Perm())
		}
		di, err := os.Stat(e.dir)
		if err != nil || di.Mode().Perm() != 0o700 {
			t.Errorf("dir mode = %v (%v), want 0700", di.Mode().Perm(), err)
		}
		entries, _ := os.ReadDir(e.dir)
		if len(entries) != 1 {
			t.Errorf("secrets folder holds %d entries, want exactly the one file", len(entries))
		}
	})

	t.Run("reconnect with new credentials", func(t *testing.T) {
		e.mustPut(t, tenant, creds("v2"))
		e.mustGet(t, tenant, creds("v2"))
	})

	t.Run("console deletion (file removed by hand)", func(t *testing.T) {
		if err := os.Remove(e.file(tenant)); err != nil {
			t.Fatal(err)
		}
		e.mustBeRevoked(t, tenant)
		e.mustPut(t, tenant, creds("v3"))
		e.mustGet(t, tenant, creds("v3"))
	})

	t.Run("scheduled deletion, then reconnect restores", func(t *testing.T) {
		if _, err := e.client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(e.mgr.Name(tenant)), RecoveryWindowInDays: aws.Int64(7)}); err != nil {
			t.Fatalf("DeleteSecret with window: %v", err)
		}
		e.mustBeRevoked(t, tenant)
		raw, err := os.ReadFile(e.file(tenant))
		if err != nil || !strings.Contains(string(raw), "deletedDate") {
			t.Fatalf("scheduled deletion not recorded in the file: %v", err)
		}
		d, err := e.client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(e.mgr.Name(tenant))})
		if err != nil || d.DeletedDate == nil || !d.DeletedDate.Equal(e.clock.Now()) {
			t.Fatalf("DescribeSecret = %+v, %v; want DeletedDate now", d, err)
		}
		e.mustPut(t, tenant, creds("v4"))
		e.mustGet(t, tenant, creds("v4"))
		if !strings.Contains(e.logs.String(), "restored") {
			t.Error("restoring a secret scheduled for deletion was not logged")
		}
	})

	t.Run("scheduled deletion falls due", func(t *testing.T) {
		if _, err := e.client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(e.mgr.Name(tenant)), RecoveryWindowInDays: aws.Int64(7)}); err != nil {
			t.Fatalf("DeleteSecret: %v", err)
		}
		e.clock.Advance(7*24*time.Hour + time.Second)
		e.mustBeRevoked(t, tenant)
		if _, err := os.Stat(e.file(tenant)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("file still there after the recovery window: %v", err)
		}
		e.mustPut(t, tenant, creds("v5"))
		e.mustGet(t, tenant, creds("v5"))
	})

	t.Run("delete is immediate and idempotent", func(t *testing.T) {
		if err := e.mgr.Delete(ctx, tenant); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := os.Stat(e.file(tenant)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("file still there after Delete: %v", err)
		}
		e.mustBeRevoked(t, tenant)
		if err := e.mgr.Delete(ctx, tenant); err != nil {
			t.Fatalf("second Delete: %v", err)
		}
		e.mustPut(t, tenant, creds("v6"))
		e.mustGet(t, tenant, creds("v6"))
	})

	t.Run("delete a secret scheduled for deletion", func(t *testing.T) {
		if _, err := e.client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(e.mgr.Name(tenant)), RecoveryWindowInDays: aws.Int64(30)}); err != nil {
			t.Fatalf("DeleteSecret: %v", err)
		}
		if err := e.mgr.Delete(ctx, tenant); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := os.Stat(e.file(tenant)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("file still there: %v", err)
		}
	})

	t.Run("tenants are separate", func(t *testing.T) {
		e.mustPut(t, "other", creds("o1"))
		e.mustPut(t, "acme", creds("a1"))
		if err := os.Remove(e.file("acme")); err != nil {
			t.Fatal(err)
		}
		e.mustBeRevoked(t, "acme")
		e.mustGet(t, "other", creds("o1"))
	})

	t.Run("nothing secret in logs", func(t *testing.T) {
		for _, s := range []string{"trinet-v", "leapsome-v", "scim-v"} {
			if strings.Contains(e.logs.String(), s) {
				t.Fatalf("logs contain a secret (%s): %s", s, e.logs.String())
			}
		}
	})
}

func TestCorruptSecretFile(t *testing.T) {
	e := newEnv(t)
	e.mustPut(t, "acme", creds("x"))
	// Rewrite the stored value as an admin might by hand: valid JSON, wrong shape.
	raw, err := os.ReadFile(e.file("acme"))
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, value, field string
	}{
		{"not JSON", `hunter2-secret`, "secret"},
		{"wrong type", `{"trinet":{"companyId":"C","clientId":"i","clientSecret":12345},"leapsome":{"apiSecret":"hunter2-secret"}}`, "trinet.clientSecret"},
		{"missing api secret", `{"trinet":{"companyId":"C","clientId":"i","clientSecret":"hunter2-secret"},"leapsome":{}}`, "leapsome.apiSecret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec["secretString"] = tt.value
			b, _ := json.Marshal(rec)
			if err := os.WriteFile(e.file("acme"), b, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := e.mgr.Get(context.Background(), "acme")
			if fault.FieldOf(err) != tt.field {
				t.Fatalf("Get = %v, want an error naming %s", err, tt.field)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "12345") {
				t.Fatalf("error quotes the secret: %v", err)
			}
		})
	}
}

func TestProtocol(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	out, err := e.client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/one"), SecretString: aws.String("s1")})
	if err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	arn := aws.ToString(out.ARN)
	if !strings.HasPrefix(arn, "arn:aws:secretsmanager:us-east-1:000000000000:secret:app/one-") || len(arn) != len("arn:aws:secretsmanager:us-east-1:000000000000:secret:app/one-")+6 {
		t.Errorf("ARN = %q, want AWS's shape", arn)
	}
	if aws.ToString(out.Name) != "app/one" || aws.ToString(out.VersionId) == "" {
		t.Errorf("CreateSecret = %+v", out)
	}

	t.Run("read by ARN", func(t *testing.T) {
		v, err := e.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
		if err != nil || aws.ToString(v.SecretString) != "s1" || aws.ToString(v.VersionId) != aws.ToString(out.VersionId) {
			t.Fatalf("GetSecretValue = %+v, %v", v, err)
		}
		if len(v.VersionStages) != 1 || v.VersionStages[0] != "AWSCURRENT" {
			t.Errorf("VersionStages = %v", v.VersionStages)
		}
	})

	t.Run("put makes a new version", func(t *testing.T) {
		p, err := e.client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app/one"), SecretString: aws.String("s2")})
		if err != nil || aws.ToString(p.VersionId) == aws.ToString(out.VersionId) || aws.ToString(p.ARN) != arn {
			t.Fatalf("PutSecretValue = %+v, %v", p, err)
		}
		v, err := e.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/one")})
		if err != nil || aws.ToString(v.SecretString) != "s2" {
			t.Fatalf("GetSecretValue after put = %+v, %v", v, err)
		}
	})

	t.Run("update secret", func(t *testing.T) {
		if _, err := e.client.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String("app/one"), SecretString: aws.String("s3")}); err != nil {
			t.Fatalf("UpdateSecret: %v", err)
		}
		v, err := e.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/one")})
		if err != nil || aws.ToString(v.SecretString) != "s3" {
			t.Fatalf("GetSecretValue after update = %+v, %v", v, err)
		}
	})

	errCases := []struct {
		name string
		call func() error
		code string
	}{
		{"create existing", func() error {
			_, err := e.client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/one"), SecretString: aws.String("x")})
			return err
		}, "ResourceExistsException"},
		{"name colliding on disk", func() error {
			_, err := e.client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app_one"), SecretString: aws.String("x")})
			return err
		}, "InvalidParameterException"},
		{"missing", func() error {
			_, err := e.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("nope")})
			return err
		}, "ResourceNotFoundException"},
		{"wrong ARN suffix", func() error {
			_, err := e.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn[:len(arn)-6] + "zzzzzz")})
			return err
		}, "ResourceNotFoundException"},
		{"force and window together", func() error {
			_, err := e.client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("app/one"), ForceDeleteWithoutRecovery: aws.Bool(true), RecoveryWindowInDays: aws.Int64(7)})
			return err
		}, "InvalidParameterException"},
		{"window too short", func() error {
			_, err := e.client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("app/one"), RecoveryWindowInDays: aws.Int64(3)})
			return err
		}, "InvalidParameterException"},
	}
	for _, tt := range errCases {
		t.Run(tt.name, func(t *testing.T) {
			var api smithy.APIError
			err := tt.call()
			if !errors.As(err, &api) || api.ErrorCode() != tt.code {
				t.Fatalf("err = %v, want %s", err, tt.code)
			}
			if api.ErrorMessage() == "" {
				t.Errorf("%s has no message", tt.code)
			}
		})
	}

	t.Run("scheduled for deletion blocks create, get and put", func(t *testing.T) {
		if _, err := e.client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("app/one")}); err != nil {
			t.Fatalf("DeleteSecret (default window): %v", err)
		}
		for name, call := range map[string]func() error{
			"create": func() error {
				_, err := e.client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/one"), SecretString: aws.String("x")})
				return err
			},
			"get": func() error {
				_, err := e.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/one")})
				return err
			},
			"put": func() error {
				_, err := e.client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app/one"), SecretString: aws.String("x")})
				return err
			},
		} {
			var api smithy.APIError
			if err := call(); !errors.As(err, &api) || api.ErrorCode() != "InvalidRequestException" {
				t.Errorf("%s = %v, want InvalidRequestException", name, err)
			}
		}
		if _, err := e.client.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String("app/one")}); err != nil {
			t.Fatalf("RestoreSecret: %v", err)
		}
		v, err := e.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/one")})
		if err != nil || aws.ToString(v.SecretString) != "s3" {
			t.Fatalf("GetSecretValue after restore = %+v, %v", v, err)
		}
	})

	t.Run("raw errors", func(t *testing.T) {
		for _, tt := range []struct {
			name, target, body, wantType string
			wantStatus                   int
		}{
			{"unknown operation", "secretsmanager.RotateSecret", `{}`, "UnknownOperationException", 400},
			{"no target", "", `{}`, "UnknownOperationException", 400},
			{"bad body", "secretsmanager.GetSecretValue", `{"SecretId":`, "SerializationException", 400},
		} {
			t.Run(tt.name, func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodPost, e.url+"/", strings.NewReader(tt.body))
				req.Header.Set("Content-Type", "application/x-amz-json-1.1")
				req.Header.Set("X-Amz-Target", tt.target)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var body map[string]string
				if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != tt.wantStatus || body["__type"] != tt.wantType || body["message"] == "" {
					t.Fatalf("got %d %v, want %d %s with a message", resp.StatusCode, body, tt.wantStatus, tt.wantType)
				}
			})
		}
	})
}
