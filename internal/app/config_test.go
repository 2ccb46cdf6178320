package app_test

import (
	"log/slog"
	"testing"
	"time"

	"trinetsync/internal/app"
	"trinetsync/internal/fault"
)

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	t.Run("defaults", func(t *testing.T) {
		c, err := app.LoadConfig(func(k string) string { return map[string]string{"TABLE_NAME": "tbl"}[k] })
		if err != nil {
			t.Fatal(err)
		}
		want := app.Config{
			TableName: "tbl", SecretPrefix: "trinet-sync/tenants/", TriNetBaseURL: "https://api.trinet.com",
			LeapsomeURL: "https://api.leapsome.com/v1", LeapsomeSCIM: "https://api.leapsome.com/scim/v1",
			TriNetRPS: 10, SyncInterval: 10 * time.Minute, ScheduleSpread: 10 * time.Minute, QueueConfig: app.QueueConfig{WorkerTimeout: 300 * time.Second,
				VisibilityTimeout: 1800 * time.Second, MaxReceiveCount: 5}, LogLevel: slog.LevelInfo,
			MetricsNamespace: "TriNetSync",
		}
		if c != want {
			t.Fatalf("got  %+v\nwant %+v", c, want)
		}
		if c.LeaseTTL() != 6*time.Minute || c.AbandonAfter() != 150*time.Minute {
			t.Fatalf("lease %s abandon after %s", c.LeaseTTL(), c.AbandonAfter())
		}
	})
	t.Run("set", func(t *testing.T) {
		env := map[string]string{
			"TABLE_NAME": "tbl", "QUEUE_URL": "http://q", "SECRET_PREFIX": " p/ ", "TRINET_BASE_URL": "http://127.0.0.1:1/",
			"LEAPSOME_BASE_URL": "http://127.0.0.1:2/v1/", "LEAPSOME_SCIM_URL": "http://127.0.0.1:2/scim/v1",
			"TRINET_RPS": "2.5", "SYNC_INTERVAL": "1m", "WORKER_TIMEOUT": "90s", "QUEUE_VISIBILITY_TIMEOUT": "10m",
			"QUEUE_MAX_RECEIVE_COUNT": "3", "LOG_LEVEL": "debug", "METRICS_NAMESPACE": " TriNetSync/prod ",
			"EVENT_BUS_NAME": "trinet-sync-prod",
		}
		c, err := app.LoadConfig(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		want := app.Config{
			TableName: "tbl", QueueURL: "http://q", SecretPrefix: "p/", TriNetBaseURL: "http://127.0.0.1:1",
			LeapsomeURL: "http://127.0.0.1:2/v1", LeapsomeSCIM: "http://127.0.0.1:2/scim/v1",
			TriNetRPS: 2.5, SyncInterval: time.Minute, ScheduleSpread: time.Minute, QueueConfig: app.QueueConfig{WorkerTimeout: 90 * time.Second,
				VisibilityTimeout: 10 * time.Minute, MaxReceiveCount: 3}, LogLevel: slog.LevelDebug,
			MetricsNamespace: "TriNetSync/prod", EventBusName: "trinet-sync-prod",
		}
		if c != want {
			t.Fatalf("got  %+v\nwant %+v", c, want)
		}
	})
	for _, tc := range []struct {
		name, value string
	}{
		{"TABLE_NAME", ""},
		{"TABLE_NAME", "   "},
		{"SYNC_INTERVAL", "often"},
		{"SYNC_INTERVAL", "500ms"},
		{"SYNC_INTERVAL", "-10m"},
		{"WORKER_TIMEOUT", "0s"},
		{"WORKER_TIMEOUT", "5"},
		{"QUEUE_VISIBILITY_TIMEOUT", "long"},
		{"QUEUE_MAX_RECEIVE_COUNT", "0"},
		{"QUEUE_MAX_RECEIVE_COUNT", "2.5"},
		{"QUEUE_MAX_RECEIVE_COUNT", "five"},
		{"TRINET_RPS", "-1"},
		{"TRINET_RPS", "fast"},
		{"LOG_LEVEL", "LOUD"},
		{"SYNC_SPREAD", "-1s"},
		{"SYNC_SPREAD", "16m"},
		{"SYNC_SPREAD", "a while"},
	} {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			env := map[string]string{"TABLE_NAME": "tbl", tc.name: tc.value}
			_, err := app.LoadConfig(func(k string) string { return env[k] })
			wantClass(t, err, fault.Validation, tc.name)
		})
	}
}

// TestScheduleSpread: the spread defaults to the interval, up to SQS's
// longest delay, and may be set from 0 (none) to that delay.
func TestScheduleSpread(t *testing.T) {
	t.Parallel()
	tests := []struct {
		interval, spread string
		want             time.Duration
	}{
		{"", "", 10 * time.Minute},
		{"5m", "", 5 * time.Minute},
		{"1h", "", 15 * time.Minute},
		{"1h", "0", 0},
		{"10m", "0s", 0},
		{"10m", "15m", 15 * time.Minute},
		{"10m", "90s", 90 * time.Second},
	}
	for _, tt := range tests {
		env := map[string]string{"TABLE_NAME": "tbl", "SYNC_INTERVAL": tt.interval, "SYNC_SPREAD": tt.spread}
		c, err := app.LoadConfig(func(k string) string { return env[k] })
		if err != nil || c.ScheduleSpread != tt.want {
			t.Errorf("SYNC_INTERVAL=%q SYNC_SPREAD=%q: spread %s, %v; want %s", tt.interval, tt.spread, c.ScheduleSpread, err, tt.want)
		}
	}
}

// TestTriNetPaceBounds: the pace's bounds are optional and must hold the start.
func TestTriNetPaceBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env      map[string]string
		min, max float64
		bad      bool
	}{
		{map[string]string{}, 0, 0, false},
		{map[string]string{"TRINET_MIN_RPS": "2", "TRINET_MAX_RPS": "80"}, 2, 80, false},
		{map[string]string{"TRINET_MIN_RPS": "20"}, 0, 0, true},
		{map[string]string{"TRINET_MAX_RPS": "5"}, 0, 0, true},
		{map[string]string{"TRINET_MAX_RPS": "lots"}, 0, 0, true},
	}
	for _, tt := range tests {
		tt.env["TABLE_NAME"] = "tbl"
		c, err := app.LoadConfig(func(k string) string { return tt.env[k] })
		if tt.bad {
			if fault.FieldOf(err) == "" {
				t.Errorf("%v: err = %v, want an error naming the variable", tt.env, err)
			}
			continue
		}
		if err != nil || c.TriNetMinRPS != tt.min || c.TriNetMaxRPS != tt.max {
			t.Errorf("%v: got [%g, %g], %v; want [%g, %g]", tt.env, c.TriNetMinRPS, c.TriNetMaxRPS, err, tt.min, tt.max)
		}
	}
}
