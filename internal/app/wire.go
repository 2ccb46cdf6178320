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

// Wiring is the service wired together: the adapters and the engine, built
// once per cold start, from which it hands out the use cases (Runner,
// Worker, Scheduler, Backend, Restart) that the functions and the local stack
// run. The adapters stay inside: whoever runs the service changes its state
// through the use cases only.
type Wiring struct {
	Config Config

	aws       AWS
	store     *store.Store
	secrets   *secrets.Manager
	publisher *queue.Publisher
	clients   *APIClients
	engine    *provision.Engine
	now       func() time.Time
	log       *slog.Logger
	telemetry Telemetry
}

// WiringOptions are what a Wiring takes besides its configuration and SDK
// clients; each has a default.
type WiringOptions struct {
	// HTTPClient calls TriNet and Leapsome (nil: the default).
	HTTPClient *http.Client
	// Logger is the service's logger (nil: slog.Default()).
	Logger *slog.Logger
	// Now is the clock of the store and the use cases (run times, leases,
	// back-off, audit; nil: time.Now). The engine and the API clients keep
	// the wall clock: they compare it with deadlines that contexts carry in
	// wall-clock time.
	Now func() time.Time
	// Telemetry receives metrics and events (none unless set: FromEnv
	// prints metrics on stdout and puts events on EVENT_BUS_NAME).
	Telemetry Telemetry
}

// NewWiring wires the adapters and the engine.
func NewWiring(cfg Config, a AWS, opts WiringOptions) *Wiring {
	log, now := opts.Logger, opts.Now
	if log == nil {
		log = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	return &Wiring{
		Config:    cfg,
		aws:       a,
		store:     store.New(a.DynamoDB, store.Config{Table: cfg.TableName, Now: now, Logger: log}),
		secrets:   secrets.New(a.SecretsManager, secrets.Config{Prefix: cfg.SecretPrefix, Logger: log}),
		publisher: queue.NewPublisher(a.SQS, cfg.QueueURL, queue.Options{Logger: log}),
		clients:   NewAPIClients(cfg, opts.HTTPClient, log),
		engine:    provision.New(provision.Config{Logger: log}),
		now:       now,
		log:       log,
		telemetry: opts.Telemetry,
	}
}

// Runner is the worker's per-job logic.
func (w *Wiring) Runner() *Runner {
	return NewRunner(w.Config, w.store, w.secrets, w.publisher, w.clients, w.engine, w.now, w.log).WithTelemetry(w.telemetry)
}

// Worker is the worker function's SQS handler.
func (w *Wiring) Worker() *Worker {
	return &Worker{Runner: w.Runner(), Visibility: w.aws.SQS, QueueURL: w.Config.QueueURL, Logger: w.log}
}

// Scheduler is the scheduler function's tick.
func (w *Wiring) Scheduler() *Scheduler {
	return &Scheduler{Interval: w.Config.SyncInterval, Spread: w.Config.ScheduleSpread, Tenants: w.store, Jobs: w.publisher, Logger: w.log, Metrics: w.telemetry.Metrics}
}

// Backend is the HTTP API's backend.
func (w *Wiring) Backend() *Backend {
	return NewBackend(w.Config, w.store, w.secrets, w.clients, w.publisher, w.now, w.log).WithTelemetry(w.telemetry)
}

// Restart settles what a stop of the whole service left unfinished.
func (w *Wiring) Restart() *Restart {
	return &Restart{store: w.store, jobs: w.publisher, tel: w.telemetry, now: w.now, log: w.log}
}

// API is the HTTP API handler with the given authentication.
func (w *Wiring) API(auth api.Authenticator) http.Handler {
	return api.New(w.Backend(), auth, api.Options{Logger: w.log, Metrics: w.telemetry.Metrics})
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
	// Lambda sends a function's standard output to its log group, where
	// CloudWatch turns the EMF lines into metrics; the logs go to stderr.
	tel := Telemetry{Metrics: metrics.New(os.Stdout, cfg.MetricsNamespace)}
	if cfg.EventBusName != "" {
		tel.Events = eventbus.NewEventBridge(clients.EventBridge, cfg.EventBusName)
	} else {
		logger.Warn("EVENT_BUS_NAME is not set: no events are published")
	}
	return NewWiring(cfg, clients, WiringOptions{Logger: logger, Telemetry: tel}), nil
}
