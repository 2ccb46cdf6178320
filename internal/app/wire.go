package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"trinetsync/internal/api"
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
	}
}

// Services is the service wired together: the adapters, the engine, and the
// use cases built on them.
type Services struct {
	Config    Config
	AWS       AWS
	Store     *store.Store
	Secrets   *secrets.Manager
	Publisher *queue.Publisher
	Clients   *APIClients
	Engine    *provision.Engine
	Now       func() time.Time
	Logger    *slog.Logger
}

// NewServices wires the adapters and the engine. hc is the HTTP client for
// TriNet and Leapsome (nil for the default).
func NewServices(cfg Config, a AWS, hc *http.Client, log *slog.Logger) *Services {
	if log == nil {
		log = slog.Default()
	}
	return &Services{
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
func (s *Services) Runner() *Runner {
	return NewRunner(s.Config, s.Store, s.Secrets, s.Publisher, s.Clients, s.Engine, s.Now, s.Logger)
}

// Worker is the worker function's SQS handler.
func (s *Services) Worker() *Worker {
	return &Worker{Runner: s.Runner(), Visibility: s.AWS.SQS, QueueURL: s.Config.QueueURL, Logger: s.Logger}
}

// Scheduler is the scheduler function's tick.
func (s *Services) Scheduler() *Scheduler {
	return &Scheduler{Interval: s.Config.SyncInterval, Spread: s.Config.ScheduleSpread, Tenants: s.Store, Jobs: s.Publisher, Logger: s.Logger}
}

// Service is the HTTP API's backend.
func (s *Services) Service() *Service {
	return NewService(s.Config, s.Store, s.Secrets, s.Clients, s.Publisher, s.Now, s.Logger)
}

// API is the HTTP API handler with the given authentication.
func (s *Services) API(auth api.Authenticator) http.Handler {
	return api.New(s.Service(), auth, api.Options{Logger: s.Logger})
}

// FromEnv is a Lambda function's cold start: configuration from the
// environment, the JSON logger, the SDK clients and the services, built once.
func FromEnv(ctx context.Context) (*Services, error) {
	cfg, err := LoadConfig(nil)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	logger := NewLogger(cfg.LogLevel)
	clients, err := LoadAWS(ctx)
	if err != nil {
		return nil, err
	}
	return NewServices(cfg, clients, nil, logger), nil
}
