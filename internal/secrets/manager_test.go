package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"trinetsync/internal/fault"
)

// fakeAPI plays Secrets Manager for paths the stand-in cannot produce: a
// forced deletion still completing, throttling, server faults.
type fakeAPI struct {
	create   func(n int) error
	get      func() (*secretsmanager.GetSecretValueOutput, error)
	describe func() (*secretsmanager.DescribeSecretOutput, error)

	creates, describes, puts, restores int
}

func apiErr(code string, f smithy.ErrorFault) error {
	return &smithy.GenericAPIError{Code: code, Message: code + " happened", Fault: f}
}

func (f *fakeAPI) CreateSecret(_ context.Context, in *secretsmanager.CreateSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error) {
	f.creates++
	if f.create != nil {
		if err := f.create(f.creates); err != nil {
			return nil, err
		}
	}
	return &secretsmanager.CreateSecretOutput{Name: in.Name}, nil
}

func (f *fakeAPI) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return f.get()
}

func (f *fakeAPI) PutSecretValue(context.Context, *secretsmanager.PutSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error) {
	f.puts++
	return &secretsmanager.PutSecretValueOutput{}, nil
}

func (f *fakeAPI) DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	f.describes++
	return f.describe()
}

func (f *fakeAPI) DeleteSecret(context.Context, *secretsmanager.DeleteSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DeleteSecretOutput, error) {
	return &secretsmanager.DeleteSecretOutput{}, nil
}

func (f *fakeAPI) RestoreSecret(context.Context, *secretsmanager.RestoreSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.RestoreSecretOutput, error) {
	f.restores++
	return &secretsmanager.RestoreSecretOutput{}, nil
}

func goodCreds() Credentials {
	var c Credentials
	c.TriNet = TriNetCredentials{CompanyID: "CO1", ClientID: "client-1234", ClientSecret: "s3cr3t-trinet"}
	c.Leapsome = LeapsomeCredentials{APISecret: "s3cr3t-leapsome", SCIMToken: "s3cr3t-scim"}
	return c
}

var gone = func() (*secretsmanager.DescribeSecretOutput, error) {
	return nil, apiErr("ResourceNotFoundException", smithy.FaultClient)
}

func TestPutRetriesWhileForcedDeletionCompletes(t *testing.T) {
	f := &fakeAPI{
		create: func(n int) error {
			if n <= 2 {
				return apiErr("InvalidRequestException", smithy.FaultClient)
			}
			return nil
		},
		describe: gone,
	}
	m := New(f, Config{CreateBackoff: time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err := m.Put(context.Background(), "acme", goodCreds()); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if f.creates != 3 || f.describes != 2 || f.puts != 0 || f.restores != 0 {
		t.Fatalf("creates=%d describes=%d puts=%d restores=%d; want 3, 2, 0, 0", f.creates, f.describes, f.puts, f.restores)
	}
}

func TestPutGivesUpWhileDeletionLasts(t *testing.T) {
	f := &fakeAPI{create: func(int) error { return apiErr("InvalidRequestException", smithy.FaultClient) }, describe: gone}
	m := New(f, Config{CreateAttempts: 3, CreateBackoff: time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	err := m.Put(context.Background(), "acme", goodCreds())
	if !errors.Is(err, fault.ErrTransient) || f.creates != 3 {
		t.Fatalf("Put = %v after %d creates; want transient after 3", err, f.creates)
	}
}

func TestPutRestoresScheduledSecret(t *testing.T) {
	deleted := time.Now()
	f := &fakeAPI{
		create: func(int) error { return apiErr("InvalidRequestException", smithy.FaultClient) },
		describe: func() (*secretsmanager.DescribeSecretOutput, error) {
			return &secretsmanager.DescribeSecretOutput{DeletedDate: &deleted}, nil
		},
	}
	m := New(f, Config{CreateBackoff: time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err := m.Put(context.Background(), "acme", goodCreds()); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if f.creates != 1 || f.restores != 1 || f.puts != 1 {
		t.Fatalf("creates=%d restores=%d puts=%d; want 1, 1, 1", f.creates, f.restores, f.puts)
	}
}

func TestPutOtherInvalidRequestIsNotRetried(t *testing.T) {
	f := &fakeAPI{
		create: func(int) error { return apiErr("InvalidRequestException", smithy.FaultClient) },
		describe: func() (*secretsmanager.DescribeSecretOutput, error) {
			return &secretsmanager.DescribeSecretOutput{}, nil // exists, not deleted
		},
	}
	m := New(f, Config{CreateBackoff: time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	err := m.Put(context.Background(), "acme", goodCreds())
	// A request Secrets Manager refuses is ours to fix: a server-side fault,
	// never the caller's 400 (issue 10).
	if !errors.Is(err, fault.ErrInternal) || f.creates != 1 {
		t.Fatalf("Put = %v after %d creates; want internal after 1", err, f.creates)
	}
}

func TestPutRejectsBadInput(t *testing.T) {
	f := &fakeAPI{}
	m := New(f, Config{})
	if err := m.Put(context.Background(), "Bad/Tenant", goodCreds()); fault.FieldOf(err) != "tenantId" {
		t.Errorf("Put(bad tenant) = %v", err)
	}
	c := goodCreds()
	c.TriNet.ClientSecret = " "
	if err := m.Put(context.Background(), "acme", c); fault.FieldOf(err) != "trinet.clientSecret" {
		t.Errorf("Put(no client secret) = %v", err)
	}
	if f.creates != 0 {
		t.Errorf("%d calls made for bad input", f.creates)
	}
}

func TestGetClassifies(t *testing.T) {
	deleted := time.Now()
	tests := []struct {
		name     string
		get      error
		describe func() (*secretsmanager.DescribeSecretOutput, error)
		want     error
	}{
		{"gone", apiErr("ResourceNotFoundException", smithy.FaultClient), nil, fault.ErrCredentialsRevoked},
		{"scheduled for deletion", apiErr("InvalidRequestException", smithy.FaultClient),
			func() (*secretsmanager.DescribeSecretOutput, error) {
				return &secretsmanager.DescribeSecretOutput{DeletedDate: &deleted}, nil
			}, fault.ErrCredentialsRevoked},
		{"invalid request for another reason", apiErr("InvalidRequestException", smithy.FaultClient),
			func() (*secretsmanager.DescribeSecretOutput, error) {
				return &secretsmanager.DescribeSecretOutput{}, nil
			}, fault.ErrInternal},
		{"throttled", apiErr("ThrottlingException", smithy.FaultClient), nil, fault.ErrThrottled},
		{"server fault", apiErr("InternalServiceError", smithy.FaultServer), nil, fault.ErrTransient},
		// Our role or KMS key refusing is not the tenant's credentials being
		// rejected (issue 10): internal, never Auth or Forbidden.
		{"access denied", apiErr("AccessDeniedException", smithy.FaultClient), nil, fault.ErrInternal},
		{"KMS refuses", apiErr("DecryptionFailure", smithy.FaultClient), nil, fault.ErrInternal},
		{"our AWS credentials", apiErr("UnrecognizedClientException", smithy.FaultClient), nil, fault.ErrInternal},
		{"quota", apiErr("LimitExceededException", smithy.FaultClient), nil, fault.ErrInternal},
		{"unknown client fault", apiErr("SomethingNewException", smithy.FaultClient), nil, fault.ErrInternal},
		{"network", errors.New("dial tcp: connection refused"), nil, fault.ErrTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAPI{
				get:      func() (*secretsmanager.GetSecretValueOutput, error) { return nil, tt.get },
				describe: tt.describe,
			}
			_, err := New(f, Config{}).Get(context.Background(), "acme")
			if !errors.Is(err, tt.want) {
				t.Fatalf("Get = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), "acme") {
				t.Errorf("error %q does not name the tenant", err)
			}
		})
	}
}

func TestGetNoSecretString(t *testing.T) {
	f := &fakeAPI{get: func() (*secretsmanager.GetSecretValueOutput, error) {
		return &secretsmanager.GetSecretValueOutput{SecretBinary: []byte("x")}, nil
	}}
	_, err := New(f, Config{}).Get(context.Background(), "acme")
	if fault.FieldOf(err) != "secret" {
		t.Fatalf("Get = %v, want an error naming the secret", err)
	}
}

func TestGetDecodes(t *testing.T) {
	f := &fakeAPI{get: func() (*secretsmanager.GetSecretValueOutput, error) {
		return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(
			`{"trinet":{"companyId":"CO1","clientId":"client-1234","clientSecret":"s3cr3t-trinet"},"leapsome":{"apiSecret":"s3cr3t-leapsome","scimToken":"s3cr3t-scim"}}`)}, nil
	}}
	got, err := New(f, Config{}).Get(context.Background(), "acme")
	if err != nil || got != goodCreds() {
		t.Fatalf("Get = %v, %v", got, err)
	}
	if !got.HasSCIM() {
		t.Error("HasSCIM = false")
	}
}

func TestName(t *testing.T) {
	if got := New(&fakeAPI{}, Config{}).Name("acme"); got != "trinet-sync/tenants/acme" {
		t.Errorf("default Name = %q", got)
	}
	if got := New(&fakeAPI{}, Config{Prefix: "x/"}).Name("acme"); got != "x/acme" {
		t.Errorf("Name = %q", got)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		field string
		clear func(*Credentials)
	}{
		{"trinet.companyId", func(c *Credentials) { c.TriNet.CompanyID = "" }},
		{"trinet.companyId", func(c *Credentials) { c.TriNet.CompanyID = "a/b" }},
		{"trinet.companyId", func(c *Credentials) { c.TriNet.CompanyID = "CJ6?x=1" }},
		{"trinet.companyId", func(c *Credentials) { c.TriNet.CompanyID = "C J6" }},
		{"trinet.clientId", func(c *Credentials) { c.TriNet.ClientID = "" }},
		{"trinet.clientSecret", func(c *Credentials) { c.TriNet.ClientSecret = "\t" }},
		{"leapsome.apiSecret", func(c *Credentials) { c.Leapsome.APISecret = "" }},
		{"", func(c *Credentials) { c.Leapsome.SCIMToken = "" }}, // optional
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			c := goodCreds()
			tt.clear(&c)
			err := c.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if !errors.Is(err, fault.ErrValidation) || fault.FieldOf(err) != tt.field {
				t.Fatalf("Validate = %v, want a validation error naming %s", err, tt.field)
			}
		})
	}
}

func TestCredentialsNeverPrintSecrets(t *testing.T) {
	c := goodCreds()
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	log.Info("oops", "creds", c, "trinet", c.TriNet, "leapsome", c.Leapsome, "ptr", &c)
	text := logs.String() +
		fmt.Sprintf("%v %+v %#v %s %q %v %v", c, c, c, c, c, &c, []Credentials{c}) +
		fmt.Sprintf("%v %#v %v %#v", c.TriNet, c.TriNet, c.Leapsome, c.Leapsome) +
		fault.Wrap(fault.Auth, fmt.Errorf("with %v", c), "x").Error()
	for _, secret := range []string{"s3cr3t", "client-1234"} {
		if strings.Contains(text, secret) {
			t.Fatalf("output shows %q:\n%s", secret, text)
		}
	}
	for _, shown := range []string{"CO1", "1234", "[redacted]"} {
		if !strings.Contains(text, shown) {
			t.Errorf("output lacks %q (it should say what it holds):\n%s", shown, text)
		}
	}
}

func TestMaskID(t *testing.T) {
	for in, want := range map[string]string{"": "", "abc": "•••", "abcd": "••••", "client-1234": "••••1234"} {
		if got := MaskID(in); got != want {
			t.Errorf("MaskID(%q) = %q, want %q", in, got, want)
		}
	}
}
