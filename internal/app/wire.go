package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"trinetsync/internal/api"
	"trinetsync/internal/eventbus"
	"trinetsync/internal/metrics"
	"trinetsync/internal/provision"
	"trinetsync/internal/queue"
	"trinetsync/internal/secrets"
	"trinetsync/internal/store"
)

// AWS holds the SDK clients, built once per cold start. Endpoints come from
// the SDK's usual sources, so AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SQS
// and AWS_ENDPOINT_URL_SECRETS_MANAGER point them at local stand-ins.
type AWS struct {
	DynamoDB       *dynamodb.Client
	SQS            *sqs.Client
	SecretsManager *secretsmanager.Client
	EventBridge    *eventbridge.Client
}

// LoadAWS builds the SDK clients from the environment.
func LoadAWS(ctx context.Context, opts ...func(*config.LoadOptions) error) (AWS, error) {
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return AWS{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return NewAWS(cfg), nil
}

// NewAWS builds the SDK clients from an AWS configuration.
func NewAWS(cfg aws.Config) AWS {
	return AWS{
		DynamoDB:       dynamodb.NewFromConfig(cfg),
		SQS:            sqs.NewFromConfig(cfg),
		SecretsManager: secretsmanager.NewFromConfig(cfg),
		EventBridge:    eventbridge.NewFromConfig(cfg),
	}
}

// Wiring is the service wired together: the adapters and the engine, from
// which it builds the use cases (Runner, Worker, Scheduler, Backend) that the
// functions and the local stack run.
type Wiring struct {
	Config    Config
	AWS       AWS
	Store     *store.Store
	Secrets   *secrets.Manager
	Publisher *queue.Publisher
	Clients   *APIClients
	Engine    *provision.Engine
	Now       func() time.Time
	Logger    *slog.Logger
	// Telemetry receives metrics and events (none unless set: FromEnv
	// prints metrics on stdout and puts events on EVENT_BUS_NAME).
	Telemetry Telemetry
}

// NewWiring wires the adapters and the engine. hc is the HTTP client for
// TriNet and Leapsome (nil for the default).
func NewWiring(cfg Config, a AWS, hc *http.Client, log *slog.Logger) *Wiring {
	if log == nil {
		log = slog.Default()
	}
	return &Wiring{
		Config:    cfg,
		AWS:       a,
		Store:     store.New(a.DynamoDB, store.Config{Table: cfg.TableName, Logger: log}),
		Secrets:   secrets.New(a.SecretsManager, secrets.Config{Prefix: cfg.SecretPrefix, Logger: log}),
		Publisher: queue.NewPublisher(a.SQS, cfg.QueueURL, queue.Options{Logger: log}),
		Clients:   NewAPIClients(cfg, hc, log),
		Engine:    provision.New(provision.Config{Logger: log}),
		Now:       time.Now,
		Logger:    log,
	}
}

// Runner is the worker's per-job logic.
func (w *Wiring) Runner() *Runner {
	return NewRunner(w.Config, w.Store, w.Secrets, w.Publisher, w.Clients, w.Engine, w.Now, w.Logger).WithTelemetry(w.Telemetry)
}

// Worker is the worker function's SQS handler.
func (w *Wiring) Worker() *Worker {
	return &Worker{Runner: w.Runner(), Visibility: w.AWS.SQS, QueueURL: w.Config.QueueURL, Logger: w.Logger}
}

// Scheduler is the scheduler function's tick.
func (w *Wiring) Scheduler() *Scheduler {
	return &Scheduler{Interval: w.Config.SyncInterval, Tenants: w.Store, Jobs: w.Publisher, Logger: w.Logger, Metrics: w.Telemetry.Metrics}
}

// Backend is the HTTP API's backend.
func (w *Wiring) Backend() *Backend {
	return NewBackend(w.Config, w.Store, w.Secrets, w.Clients, w.Publisher, w.Now, w.Logger).WithTelemetry(w.Telemetry)
}

// API is the HTTP API handler with the given authentication.
func (w *Wiring) API(auth api.Authenticator) http.Handler {
	return api.New(w.Backend(), auth, api.Options{Logger: w.Logger, Metrics: w.Telemetry.Metrics})
}

// FromEnv is a Lambda function's cold start: configuration from the
// environment, the JSON logger, the SDK clients and the wiring, built once.
func FromEnv(ctx context.Context) (*Wiring, error) {
	cfg, err := LoadConfig(nil)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	logger := NewLogger(cfg.LogLevel)
	clients, err := LoadAWS(ctx)
	if err != nil {
		return nil, err
	}
	w := NewWiring(cfg, clients, nil, logger)
	// Lambda sends a function's standard output to its log group, where
	// CloudWatch turns the EMF lines into metrics; the logs go to stderr.
	w.Telemetry.Metrics = metrics.New(os.Stdout, cfg.MetricsNamespace)
	if cfg.EventBusName != "" {
		w.Telemetry.Events = eventbus.NewEventBridge(clients.EventBridge, cfg.EventBusName)
	} else {
		logger.Warn("EVENT_BUS_NAME is not set: no events are published")
	}
	return w, nil
}
