package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
	"trinetsync/internal/retry"
)

// API is the part of *secretsmanager.Client the Manager uses.
type API interface {
	CreateSecret(ctx context.Context, in *secretsmanager.CreateSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error)
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	DeleteSecret(ctx context.Context, in *secretsmanager.DeleteSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.DeleteSecretOutput, error)
	RestoreSecret(ctx context.Context, in *secretsmanager.RestoreSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.RestoreSecretOutput, error)
}

// DefaultPrefix is the secret name prefix when Config leaves it empty.
const DefaultPrefix = "trinet-sync/tenants/"

// Config tunes a Manager; zero values take the defaults.
type Config struct {
	// Prefix comes before the tenant id in the secret's name.
	Prefix string
	// KMSKeyID encrypts new secrets; empty uses the account's default key.
	KMSKeyID string
	// CreateAttempts bounds CreateSecret calls while a forced deletion of the
	// same name completes (default 8); CreateBackoff is the first wait between
	// them (default 500ms, doubling up to 8s, with jitter).
	CreateAttempts int
	CreateBackoff  time.Duration
	Logger         *slog.Logger
}

// Manager keeps one secret per tenant.
type Manager struct {
	api API
	cfg Config
}

// New returns a Manager over api (usually a *secretsmanager.Client).
func New(api API, cfg Config) *Manager {
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.CreateAttempts <= 0 {
		cfg.CreateAttempts = 8
	}
	if cfg.CreateBackoff <= 0 {
		cfg.CreateBackoff = 500 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Manager{api: api, cfg: cfg}
}

// Name is the secret name of a tenant.
func (m *Manager) Name(tenantID string) string { return m.cfg.Prefix + tenantID }

func checkTenant(tenantID string) error {
	if !provision.TenantIDPattern.MatchString(tenantID) {
		return fault.Invalid("tenantId", "must match %s", provision.TenantIDPattern)
	}
	return nil
}

// Put stores c as the tenant's credentials: it creates the secret, or writes
// a new version of an existing one, restoring it first if it is scheduled for
// deletion. While a forced deletion of the same name is still completing AWS
// refuses the creation; Put retries it with backoff, CreateAttempts times.
func (m *Manager) Put(ctx context.Context, tenantID string, c Credentials) error {
	if err := checkTenant(tenantID); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return fault.Wrap(fault.Internal, err, "encode credentials")
	}
	value := string(raw)
	name := m.Name(tenantID)

	p := retry.Policy{
		MaxRetries: m.cfg.CreateAttempts - 1, BaseDelay: m.cfg.CreateBackoff, Multiplier: 2, MaxDelay: 16 * m.cfg.CreateBackoff,
		MaxElapsed: 128 * m.cfg.CreateBackoff, Service: "secretsmanager", Logger: m.cfg.Logger,
	}
	err = p.Do(ctx, "create secret", func(actx context.Context) retry.Attempt {
		err := m.putOnce(actx, tenantID, name, value)
		if errors.Is(err, errDeletionInProgress) {
			m.cfg.Logger.InfoContext(ctx, "secret still being deleted; retrying creation", "tenant", tenantID)
			return retry.Attempt{Err: err, Retry: true}
		}
		return retry.Attempt{Err: err}
	})
	if err == nil {
		return nil
	}
	if errors.Is(err, errDeletionInProgress) {
		return fault.Wrap(fault.Transient, err, "credentials for tenant %s: the previous secret is still being deleted; try again shortly", tenantID)
	}
	if _, ok := fault.ClassOf(err); !ok {
		return fault.Wrap(fault.Transient, err, "store credentials for tenant %s", tenantID)
	}
	return err
}

// errDeletionInProgress marks the one outcome of putOnce worth retrying.
var errDeletionInProgress = errors.New("a secret with this name is still being deleted")

// putOnce makes one attempt; it returns errDeletionInProgress, the one
// failure worth another attempt, or the failure of the put.
func (m *Manager) putOnce(ctx context.Context, tenantID, name, value string) error {
	in := &secretsmanager.CreateSecretInput{
		Name:         aws.String(name),
		SecretString: aws.String(value),
		Description:  aws.String("TriNet sync credentials of tenant " + tenantID),
	}
	if m.cfg.KMSKeyID != "" {
		in.KmsKeyId = aws.String(m.cfg.KMSKeyID)
	}
	_, err := m.api.CreateSecret(ctx, in)
	if err == nil {
		return nil
	}
	switch code := codeOf(err); code {
	case "ResourceExistsException", "InvalidRequestException":
		// The secret exists, and may be scheduled for deletion (restore it);
		// or it was force-deleted and is not yet gone (wait). Other faults
		// share InvalidRequestException, so ask.
		deleted, derr := m.scheduledForDeletion(ctx, name)
		switch {
		case errors.Is(derr, errGone):
			// Deleted between the calls, or still being deleted: create it on
			// the next attempt.
			return errDeletionInProgress
		case derr != nil:
			return derr
		case deleted || code == "ResourceExistsException":
			return m.putExistingOnce(ctx, tenantID, name, value, deleted)
		}
	}
	return classify(err, "store credentials for tenant %s", tenantID)
}

// putExistingOnce is putExisting as one attempt of putOnce: a secret deleted
// before this call is created again on the next attempt.
func (m *Manager) putExistingOnce(ctx context.Context, tenantID, name, value string, deleted bool) error {
	err := m.putExisting(ctx, tenantID, name, value, deleted)
	if errors.Is(err, errGone) {
		return errDeletionInProgress
	}
	return err
}

// errGone marks a secret that does not exist (ResourceNotFoundException).
var errGone = errors.New("secret not found")

// putExisting writes a new version of an existing secret, restoring it first
// when it is scheduled for deletion (deleted, as DescribeSecret just said).
func (m *Manager) putExisting(ctx context.Context, tenantID, name, value string, deleted bool) error {
	if deleted {
		if _, err := m.api.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String(name)}); err != nil {
			if codeOf(err) == "ResourceNotFoundException" {
				return errGone
			}
			return classify(err, "restore credentials of tenant %s", tenantID)
		}
		m.cfg.Logger.InfoContext(ctx, "restored a secret that was scheduled for deletion", "tenant", tenantID)
	}
	if _, err := m.api.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(value)}); err != nil {
		if codeOf(err) == "ResourceNotFoundException" {
			return errGone
		}
		return classify(err, "store credentials for tenant %s", tenantID)
	}
	return nil
}

// scheduledForDeletion reports whether the secret has a DeletedDate; errGone
// when it does not exist.
func (m *Manager) scheduledForDeletion(ctx context.Context, name string) (bool, error) {
	out, err := m.api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if err != nil {
		if codeOf(err) == "ResourceNotFoundException" {
			return false, errGone
		}
		return false, classify(err, "describe secret")
	}
	return out.DeletedDate != nil, nil
}

// Get reads the tenant's credentials, fresh. A secret that is gone or
// scheduled for deletion gives fault.CredentialsRevoked.
func (m *Manager) Get(ctx context.Context, tenantID string) (Credentials, error) {
	if err := checkTenant(tenantID); err != nil {
		return Credentials{}, err
	}
	name := m.Name(tenantID)
	out, err := m.api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil {
		switch codeOf(err) {
		case "ResourceNotFoundException":
			return Credentials{}, revoked(tenantID, err)
		case "InvalidRequestException":
			deleted, derr := m.scheduledForDeletion(ctx, name)
			if errors.Is(derr, errGone) || (derr == nil && deleted) {
				return Credentials{}, revoked(tenantID, err)
			}
		}
		return Credentials{}, classify(err, "read credentials of tenant %s", tenantID)
	}
	if out.SecretString == nil {
		return Credentials{}, fault.Invalid("secret", "the secret of tenant %s holds no text", tenantID)
	}
	return decode(tenantID, *out.SecretString)
}

func revoked(tenantID string, cause error) error {
	return fault.Wrap(fault.CredentialsRevoked, cause, "credentials of tenant %s are gone or scheduled for deletion", tenantID)
}

// decode parses a stored secret. Its errors name the field but never quote
// the value: the JSON package's own messages can carry fragments of it.
func decode(tenantID, s string) (Credentials, error) {
	var c Credentials
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return Credentials{}, fault.Invalid(te.Field, "the secret of tenant %s holds a %s here, not a %s", tenantID, te.Value, te.Type)
		}
		return Credentials{}, fault.Invalid("secret", "the secret of tenant %s is not a credentials object", tenantID)
	}
	if err := c.Validate(); err != nil {
		return Credentials{}, err
	}
	return c, nil
}

// Delete removes the tenant's secret at once, without a recovery window. A
// secret that is already gone is not an error.
func (m *Manager) Delete(ctx context.Context, tenantID string) error {
	if err := checkTenant(tenantID); err != nil {
		return err
	}
	name := m.Name(tenantID)
	in := &secretsmanager.DeleteSecretInput{SecretId: aws.String(name), ForceDeleteWithoutRecovery: aws.Bool(true)}
	_, err := m.api.DeleteSecret(ctx, in)
	if err == nil || codeOf(err) == "ResourceNotFoundException" {
		return nil
	}
	if codeOf(err) == "InvalidRequestException" {
		// A forced delete of a secret already scheduled for deletion may be
		// refused: restore it, then delete it for good.
		deleted, derr := m.scheduledForDeletion(ctx, name)
		if errors.Is(derr, errGone) {
			return nil
		}
		if derr == nil && deleted {
			if _, rerr := m.api.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String(name)}); rerr != nil && codeOf(rerr) != "ResourceNotFoundException" {
				return classify(rerr, "delete credentials of tenant %s", tenantID)
			}
			_, err = m.api.DeleteSecret(ctx, in)
			if err == nil || codeOf(err) == "ResourceNotFoundException" {
				return nil
			}
		}
	}
	return classify(err, "delete credentials of tenant %s", tenantID)
}

// codeOf is the AWS error code of err, or "" when it has none (network
// failures, cancelled contexts).
func codeOf(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// classify wraps a Secrets Manager error in its fault class. The SDK's
// messages name the secret, never its value.
func classify(err error, format string, args ...any) error {
	return fault.Wrap(classOf(err), err, format, args...)
}

func classOf(err error) fault.Class {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return fault.Transient // network, timeout, cancelled
	}
	switch api.ErrorCode() {
	case "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded":
		return fault.Throttled
	case "ResourceNotFoundException":
		return fault.NotFound
	case "ResourceExistsException":
		return fault.Conflict
	case "InternalServiceError", "InternalFailure", "ServiceUnavailable":
		return fault.Transient
	case "AccessDeniedException", "AccessDenied", "DecryptionFailure", "EncryptionFailure",
		"UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException", "IncompleteSignature",
		"InvalidParameterException", "InvalidRequestException", "LimitExceededException",
		"MalformedPolicyDocumentException", "PreconditionNotMetException", "ValidationException":
		// Our role, our KMS key, our account's quota or a request we built:
		// none of it is the tenant's credentials being rejected nor the API
		// caller's bad input, and an early retry will not mend it.
		return fault.Internal
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch s := re.HTTPStatusCode(); {
		case s == 429:
			return fault.Throttled
		case s >= 500:
			return fault.Transient
		}
	}
	if api.ErrorFault() == smithy.FaultServer {
		return fault.Transient
	}
	return fault.Internal
}
