// Package localstack runs the service on one machine with the same code as in
// AWS: it starts and supervises what AWS would provide (DynamoDB as dynalite,
// SQS as goaws, Secrets Manager as the project's stand-in, the schedule's tick
// and the SQS event source mapping) plus the TriNet and Leapsome sandboxes,
// and serves the HTTP API. Tests and cmd/local use it.
package localstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"trinetsync/internal/app"
	"trinetsync/internal/emulator"
	"trinetsync/internal/sandbox/demo"
	leapsomesandbox "trinetsync/internal/sandbox/leapsome"
	trinetsandbox "trinetsync/internal/sandbox/trinet"
	"trinetsync/internal/secrets/standin"
	"trinetsync/internal/store"
)

// Names of the local resources.
const (
	TableName    = "trinet-sync"
	QueueName    = "trinet-sync-jobs"
	DLQName      = "trinet-sync-jobs-dlq"
	Region       = "us-east-1"
	SecretPrefix = "trinet-sync/tenants/"
)

// InfraConfig says what to start.
type InfraConfig struct {
	// DataDir keeps dynalite's data (DataDir/dynamodb) and the secrets
	// (DataDir/secrets, one file per secret). "" keeps DynamoDB in memory and
	// the secrets in a temporary folder, as tests want.
	DataDir string
	// External API URLs; for each one left empty its sandbox is started
	// (the two Leapsome URLs are given together or not at all).
	TriNetURL       string // no path
	LeapsomeURL     string // ending /v1
	LeapsomeSCIMURL string // ending /scim/v1
	// QueueConfig configures the jobs queue and its dead-letter queue, with
	// the service's defaults; a visibility below the worker timeout is
	// refused.
	app.QueueConfig
	// SandboxNow is the sandboxes' clock (default time.Now).
	SandboxNow func() time.Time
	// EmulatorLog receives the emulators' own output (default discarded).
	EmulatorLog io.Writer
}

// Infra is the started infrastructure: emulators, the secrets stand-in and
// the sandboxes, with the table and queues created.
type Infra struct {
	Dynalite, Goaws *emulator.Process
	SecretsURL      string
	SecretsDir      string

	// The sandboxes (nil when an external URL was given) and the URLs in use.
	TriNet          *trinetsandbox.Server
	Leapsome        *leapsomesandbox.Server
	TriNetURL       string
	LeapsomeURL     string
	LeapsomeSCIMURL string

	QueueURL, DLQURL string
	// QueueConfig is the worker timeout the queues were made for.
	app.QueueConfig

	// AWS holds SDK clients pointed at the emulators.
	AWS app.AWS

	servers []*http.Server
	tmp     string
}

// StartInfra starts everything; on error, what was started is stopped.
func StartInfra(ctx context.Context, cfg InfraConfig) (inf *Infra, err error) {
	if cfg.EmulatorLog == nil {
		cfg.EmulatorLog = io.Discard
	}
	cfg.QueueConfig = cfg.QueueConfig.WithDefaults()
	if err := cfg.QueueConfig.Check(); err != nil {
		return nil, err
	}
	if err := checkLeapsomeURLs(cfg.LeapsomeURL, cfg.LeapsomeSCIMURL); err != nil {
		return nil, err
	}
	inf = &Infra{QueueConfig: cfg.QueueConfig}
	// The error returns below answer a nil *Infra: close what was started
	// through its own reference.
	started := inf
	defer func() {
		if err != nil {
			started.Close()
		}
	}()

	dynDir := ""
	if cfg.DataDir != "" {
		dynDir = filepath.Join(cfg.DataDir, "dynamodb")
		inf.SecretsDir = filepath.Join(cfg.DataDir, "secrets")
		if err := os.MkdirAll(dynDir, 0o700); err != nil {
			return nil, fmt.Errorf("data folder: %w", err)
		}
	} else {
		if inf.tmp, err = os.MkdirTemp("", "trinet-sync-"); err != nil {
			return nil, err
		}
		inf.SecretsDir = filepath.Join(inf.tmp, "secrets")
	}
	if inf.Dynalite, err = emulator.Dynalite(ctx, dynDir, cfg.EmulatorLog); err != nil {
		return nil, fmt.Errorf("start dynalite (DynamoDB): %w", err)
	}
	if inf.Goaws, err = emulator.Goaws(ctx, cfg.EmulatorLog); err != nil {
		return nil, fmt.Errorf("start goaws (SQS): %w", err)
	}
	if inf.SecretsURL, err = inf.serve(standin.New(inf.SecretsDir)); err != nil {
		return nil, fmt.Errorf("start the Secrets Manager stand-in: %w", err)
	}

	inf.TriNetURL, inf.LeapsomeURL, inf.LeapsomeSCIMURL = cfg.TriNetURL, cfg.LeapsomeURL, cfg.LeapsomeSCIMURL
	if inf.TriNetURL == "" {
		inf.TriNet = trinetsandbox.New(trinetsandbox.Options{Now: cfg.SandboxNow})
		if inf.TriNetURL, err = inf.serve(inf.TriNet); err != nil {
			return nil, fmt.Errorf("start the TriNet sandbox: %w", err)
		}
	}
	if inf.LeapsomeURL == "" {
		inf.Leapsome = leapsomesandbox.New(leapsomesandbox.Options{Now: cfg.SandboxNow})
		base, err := inf.serve(inf.Leapsome)
		if err != nil {
			return nil, fmt.Errorf("start the Leapsome sandbox: %w", err)
		}
		inf.LeapsomeURL, inf.LeapsomeSCIMURL = base+"/v1", base+"/scim/v1"
	}

	inf.AWS = inf.clients()
	if err := store.CreateTable(ctx, inf.AWS.DynamoDB, TableName); err != nil {
		return nil, fmt.Errorf("create table: %w", err)
	}
	if err := inf.createQueues(ctx); err != nil {
		return nil, err
	}
	return inf, nil
}

// serve serves h on a free loopback port and answers its base URL.
func (inf *Infra) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	inf.servers = append(inf.servers, srv)
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// clients builds SDK clients pointed at the local endpoints.
func (inf *Infra) clients() app.AWS {
	cfg := aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
	return app.AWS{
		DynamoDB: dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(inf.Dynalite.Endpoint()) }),
		SQS:      sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(inf.Goaws.Endpoint()) }),
		SecretsManager: secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
			o.BaseEndpoint = aws.String(inf.SecretsURL)
		}),
	}
}

func (inf *Infra) createQueues(ctx context.Context) error {
	dlq, err := inf.AWS.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(DLQName)})
	if err != nil {
		return fmt.Errorf("create dead-letter queue: %w", err)
	}
	inf.DLQURL = aws.ToString(dlq.QueueUrl)
	arn, err := queueARN(ctx, inf.AWS.SQS, inf.DLQURL)
	if err != nil {
		return fmt.Errorf("read dead-letter queue ARN: %w", err)
	}
	q, err := inf.AWS.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(QueueName),
		Attributes: map[string]string{
			"VisibilityTimeout": strconv.Itoa(int(inf.VisibilityTimeout.Seconds())),
			"RedrivePolicy":     fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, arn, inf.MaxReceiveCount),
		},
	})
	if err != nil {
		return fmt.Errorf("create jobs queue: %w", err)
	}
	inf.QueueURL = aws.ToString(q.QueueUrl)
	return nil
}

// queueARN reads a queue's ARN, which goaws makes up and the redrive policy
// and the SQS events name.
func queueARN(ctx context.Context, c *sqs.Client, url string) (string, error) {
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", err
	}
	return out.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], nil
}

// SeedDemo seeds the demo company into the sandboxes that run: both, or
// the one whose API is not external (its side of the demo company).
func (inf *Infra) SeedDemo(now time.Time) (demo.Credentials, error) {
	return inf.seed(inf.TriNet != nil, inf.Leapsome != nil, now)
}

// seed seeds the demo company's side in the sandboxes asked for.
func (inf *Infra) seed(trinet, leapsome bool, now time.Time) (demo.Credentials, error) {
	if (!trinet || inf.TriNet == nil) && (!leapsome || inf.Leapsome == nil) {
		return demo.Credentials{}, errors.New("no sandbox to seed: both APIs are external")
	}
	if trinet && inf.TriNet != nil {
		if _, err := demo.SeedTriNet(inf.TriNet, now); err != nil {
			return demo.Credentials{}, err
		}
	}
	if leapsome && inf.Leapsome != nil {
		if _, err := demo.SeedLeapsome(inf.Leapsome, now); err != nil {
			return demo.Credentials{}, err
		}
	}
	return demo.DefaultCredentials(), nil
}

// Config is the service configuration for this infrastructure: what the
// functions read from Env, given to the service directly.
func (inf *Infra) Config(syncInterval time.Duration) app.Config {
	return app.Config{
		TableName: TableName, QueueURL: inf.QueueURL, SecretPrefix: SecretPrefix,
		TriNetBaseURL: inf.TriNetURL, LeapsomeURL: inf.LeapsomeURL, LeapsomeSCIM: inf.LeapsomeSCIMURL,
		TriNetRPS: app.DefaultTriNetRPS, SyncInterval: syncInterval, QueueConfig: inf.QueueConfig,
		LogLevel: slog.LevelInfo,
	}
}

// Env is the functions' environment for this infrastructure, for the
// functions run as processes (under the Lambda Runtime Interface Emulator):
// the SDK finds the local endpoints through AWS_ENDPOINT_URL_*. Config says
// the same to a service built in this process.
func (inf *Infra) Env(syncInterval time.Duration) []string {
	return []string{
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=local",
		"AWS_SECRET_ACCESS_KEY=local",
		"AWS_ENDPOINT_URL_DYNAMODB=" + inf.Dynalite.Endpoint(),
		"AWS_ENDPOINT_URL_SQS=" + inf.Goaws.Endpoint(),
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + inf.SecretsURL,
		"TABLE_NAME=" + TableName,
		"QUEUE_URL=" + inf.QueueURL,
		"SECRET_PREFIX=" + SecretPrefix,
		"TRINET_BASE_URL=" + inf.TriNetURL,
		"LEAPSOME_BASE_URL=" + inf.LeapsomeURL,
		"LEAPSOME_SCIM_URL=" + inf.LeapsomeSCIMURL,
		"SYNC_INTERVAL=" + syncInterval.String(),
		// As Config: no spread locally, a tick's jobs run at once.
		"SYNC_SPREAD=0s",
		"WORKER_TIMEOUT=" + inf.WorkerTimeout.String(),
		"QUEUE_VISIBILITY_TIMEOUT=" + inf.VisibilityTimeout.String(),
		"QUEUE_MAX_RECEIVE_COUNT=" + strconv.Itoa(inf.MaxReceiveCount),
	}
}

// Close stops everything that was started.
func (inf *Infra) Close() {
	if inf == nil {
		return
	}
	for _, srv := range inf.servers {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = srv.Shutdown(ctx)
		cancel()
	}
	if inf.Goaws != nil {
		inf.Goaws.Stop()
	}
	if inf.Dynalite != nil {
		inf.Dynalite.Stop()
	}
	if inf.tmp != "" {
		os.RemoveAll(inf.tmp)
	}
}
