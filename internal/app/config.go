package app

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/metrics"
	"trinetsync/internal/queue"
)

// Config is everything the functions and the local stack read from the
// environment. Every field has a default except the AWS resource names.
type Config struct {
	TableName     string // TABLE_NAME
	QueueURL      string // QUEUE_URL
	SecretPrefix  string // SECRET_PREFIX, default "trinet-sync/tenants/"
	TriNetBaseURL string // TRINET_BASE_URL, no path
	LeapsomeURL   string // LEAPSOME_BASE_URL, ending /v1
	LeapsomeSCIM  string // LEAPSOME_SCIM_URL, ending /scim/v1
	// TriNetRPS is where TriNet's per-company pace starts (TRINET_RPS,
	// default 10); it adapts within [TriNetMinRPS, TriNetMaxRPS]
	// (TRINET_MIN_RPS and TRINET_MAX_RPS; unset, a tenth and 50 times it).
	// See docs/performance.md, "TriNet pacing".
	TriNetRPS    float64
	TriNetMinRPS float64
	TriNetMaxRPS float64
	// SyncInterval is the schedule's period (SYNC_INTERVAL, see
	// ParseSyncInterval): the scheduler's slots are the tick time truncated
	// to it.
	SyncInterval time.Duration
	// ScheduleSpread is how far the scheduler spreads a slot's jobs
	// (SYNC_SPREAD; default the interval, at most 15m, SQS's longest delay;
	// 0 sends them all at the slot's start). See Scheduler.Spread.
	ScheduleSpread time.Duration
	QueueConfig
	LogLevel slog.Level
	// MetricsNamespace is the CloudWatch namespace of the service's metrics
	// (METRICS_NAMESPACE, default metrics.DefaultNamespace); EventBusName
	// the EventBridge bus its events go to (EVENT_BUS_NAME; empty: none).
	MetricsNamespace string
	EventBusName     string
}

// QueueConfig is the worker function's timeout and the jobs queue's
// redelivery, which only work together: the service reads them from its
// environment, and the local stack sets them and makes its queue from them,
// so this is the one place that holds them.
type QueueConfig struct {
	// WorkerTimeout is the worker function's timeout (WORKER_TIMEOUT, default
	// 300s); the lease lasts it plus a minute.
	WorkerTimeout time.Duration
	// VisibilityTimeout and MaxReceiveCount are the jobs queue's
	// (QUEUE_VISIBILITY_TIMEOUT, default 6 × WorkerTimeout as AWS advises for
	// an SQS event source and template.yaml does; QUEUE_MAX_RECEIVE_COUNT,
	// default 5). A run left queued, or with an expired lease, for their
	// product is abandoned.
	VisibilityTimeout time.Duration
	MaxReceiveCount   int
}

// Defaults of the configuration.
const (
	DefaultSyncInterval    = 10 * time.Minute
	DefaultWorkerTimeout   = 300 * time.Second
	DefaultMaxReceiveCount = 5
	DefaultTriNetRPS       = 10
)

// visibilityFor is the default visibility timeout for a worker timeout: six
// times it (1800s for 300s), so that a message is never visible again while
// an invocation may still be working on it.
func visibilityFor(workerTimeout time.Duration) time.Duration { return 6 * workerTimeout }

// WithDefaults gives every zero field its default.
func (q QueueConfig) WithDefaults() QueueConfig {
	if q.WorkerTimeout <= 0 {
		q.WorkerTimeout = DefaultWorkerTimeout
	}
	if q.VisibilityTimeout <= 0 {
		q.VisibilityTimeout = visibilityFor(q.WorkerTimeout)
	}
	if q.MaxReceiveCount <= 0 {
		q.MaxReceiveCount = DefaultMaxReceiveCount
	}
	return q
}

// Check refuses what Lambda refuses: an SQS event source whose queue's
// visibility timeout is below the function's timeout, which would hand a
// message to a second invocation while the first still works on it.
func (q QueueConfig) Check() error {
	if q.VisibilityTimeout < q.WorkerTimeout {
		return fault.Invalid("VisibilityTimeout", "the jobs queue's visibility timeout (%s) must be at least the worker timeout (%s); the default is 6 × it", q.VisibilityTimeout, q.WorkerTimeout)
	}
	return nil
}

// AbandonAfter is how long a run may sit queued, or with an expired lease,
// before it is written failed with code abandoned.
func (c Config) AbandonAfter() time.Duration {
	return time.Duration(c.MaxReceiveCount) * c.VisibilityTimeout
}

// LeaseTTL is how long a worker's lease on a tenant lasts.
func (c Config) LeaseTTL() time.Duration { return c.WorkerTimeout + time.Minute }

// LoadConfig reads the configuration from getenv (os.Getenv in production).
func LoadConfig(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	c := Config{
		TableName:        strings.TrimSpace(getenv("TABLE_NAME")),
		QueueURL:         strings.TrimSpace(getenv("QUEUE_URL")),
		SecretPrefix:     orDefault(getenv("SECRET_PREFIX"), "trinet-sync/tenants/"),
		TriNetBaseURL:    strings.TrimRight(orDefault(getenv("TRINET_BASE_URL"), "https://api.trinet.com"), "/"),
		LeapsomeURL:      strings.TrimRight(orDefault(getenv("LEAPSOME_BASE_URL"), "https://api.leapsome.com/v1"), "/"),
		LeapsomeSCIM:     strings.TrimRight(orDefault(getenv("LEAPSOME_SCIM_URL"), "https://api.leapsome.com/scim/v1"), "/"),
		MetricsNamespace: orDefault(getenv("METRICS_NAMESPACE"), metrics.DefaultNamespace),
		EventBusName:     strings.TrimSpace(getenv("EVENT_BUS_NAME")),
	}
	var err error
	if c.TriNetRPS, err = floatVar(getenv, "TRINET_RPS", DefaultTriNetRPS); err != nil {
		return c, err
	}
	// Zero leaves the bounds to the pacer: a tenth and 50 times TRINET_RPS.
	if c.TriNetMinRPS, err = floatVar(getenv, "TRINET_MIN_RPS", 0); err != nil {
		return c, err
	}
	if c.TriNetMaxRPS, err = floatVar(getenv, "TRINET_MAX_RPS", 0); err != nil {
		return c, err
	}
	if c.TriNetMinRPS > c.TriNetRPS || (c.TriNetMaxRPS > 0 && c.TriNetMaxRPS < c.TriNetRPS) {
		return c, fault.Invalid("TRINET_RPS", "must lie between TRINET_MIN_RPS and TRINET_MAX_RPS")
	}
	if c.SyncInterval, err = ParseSyncInterval(getenv("SYNC_INTERVAL")); err != nil {
		return c, err
	}
	if c.ScheduleSpread, err = spreadVar(getenv, min(c.SyncInterval, queue.MaxDelay)); err != nil {
		return c, err
	}
	// Zero leaves each to its default, below.
	if c.WorkerTimeout, err = durationVar(getenv, "WORKER_TIMEOUT", 0); err != nil {
		return c, err
	}
	if c.VisibilityTimeout, err = durationVar(getenv, "QUEUE_VISIBILITY_TIMEOUT", 0); err != nil {
		return c, err
	}
	if c.MaxReceiveCount, err = intVar(getenv, "QUEUE_MAX_RECEIVE_COUNT", 0); err != nil {
		return c, err
	}
	c.QueueConfig = c.QueueConfig.WithDefaults()
	if c.LogLevel, err = ParseLogLevel(getenv("LOG_LEVEL")); err != nil {
		return c, err
	}
	if c.TableName == "" {
		return c, fault.Invalid("TABLE_NAME", "is required")
	}
	return c, nil
}

// ParseSyncInterval reads SYNC_INTERVAL, the schedule's period, for the
// functions and the local stack alike: a duration of at least 1s; empty is
// DefaultSyncInterval.
func ParseSyncInterval(v string) (time.Duration, error) {
	d, err := positiveVar(func(string) string { return v }, "SYNC_INTERVAL", DefaultSyncInterval, time.ParseDuration,
		"a duration of at least 1s such as 10m or 30s")
	if err == nil && d < time.Second {
		return 0, fault.Invalid("SYNC_INTERVAL", "must be a duration of at least 1s such as 10m or 30s, got %q", strings.TrimSpace(v))
	}
	return d, err
}

// spreadVar reads SYNC_SPREAD: a duration from 0 (no spread) to SQS's
// longest message delay.
func spreadVar(getenv func(string) string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(getenv("SYNC_SPREAD"))
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d > queue.MaxDelay {
		return 0, fault.Invalid("SYNC_SPREAD", "must be a duration from 0s to %s, got %q", queue.MaxDelay, v)
	}
	return d, nil
}

func orDefault(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return strings.TrimSpace(v)
}

// positiveVar reads a positive number of kind T with parse, or def when the
// variable is unset; want completes "must be …" in the error naming it.
func positiveVar[T time.Duration | float64 | int](getenv func(string) string, name string, def T, parse func(string) (T, error), want string) (T, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	x, err := parse(v)
	if err != nil || x <= 0 {
		return 0, fault.Invalid(name, "must be %s, got %q", want, v)
	}
	return x, nil
}

func durationVar(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	return positiveVar(getenv, name, def, time.ParseDuration, "a positive duration such as 10m")
}

func floatVar(getenv func(string) string, name string, def float64) (float64, error) {
	return positiveVar(getenv, name, def, func(v string) (float64, error) { return strconv.ParseFloat(v, 64) }, "a positive number")
}

// intVar reads a positive whole number: a receive count of 2.5 is a typo, not 2.
func intVar(getenv func(string) string, name string, def int) (int, error) {
	return positiveVar(getenv, name, def, strconv.Atoi, "a whole number of at least 1")
}

// ParseLogLevel reads LOG_LEVEL (DEBUG, INFO, WARN, ERROR; empty is INFO).
func ParseLogLevel(v string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(orDefault(v, "INFO"))); err != nil {
		return l, fault.Invalid("LOG_LEVEL", "%v", err)
	}
	return l, nil
}

// NewLogger is the service's JSON logger at the configured level.
func NewLogger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// String names the resources and endpoints the configuration points at, for
// logs; Config holds no secret.
func (c Config) String() string {
	return fmt.Sprintf("table=%s queue=%s prefix=%s trinet=%s leapsome=%s", c.TableName, c.QueueURL, c.SecretPrefix, c.TriNetBaseURL, c.LeapsomeURL)
}
