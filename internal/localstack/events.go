package localstack

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"

	"trinetsync/internal/eventbus"
)

// EventsFile is where the local stack keeps the events the service puts on
// the bus in AWS, one EventBridge event per line, under DATA_DIR.
const EventsFile = "events.jsonl"

// MetricsFile is where the local stack keeps the service's metrics (the EMF
// lines the functions print in AWS) when no other writer is given.
const MetricsFile = "metrics.jsonl"

// localAccount is the account id of the local stack's events.
const localAccount = "000000000000"

// Envelope is an event as EventBridge delivers it to a rule's target: what
// events.jsonl holds, so that a rule's pattern can be tried on it.
type Envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// eventJournal is the local stack's event bus: it prints each event as a
// progress line and appends it to DATA_DIR/events.jsonl (when there is a
// data folder). There is no EventBridge emulator to put them on.
type eventJournal struct {
	mu       sync.Mutex
	path     string // "" keeps no file
	progress *progress
}

// Publish implements app.EventPublisher.
func (j *eventJournal) Publish(_ context.Context, evs ...eventbus.Event) error {
	lines := make([]byte, 0, 512*len(evs))
	envs := make([]Envelope, 0, len(evs))
	for _, e := range evs {
		detail, err := e.DetailJSON()
		if err != nil {
			return fmt.Errorf("encode %s: %w", e.DetailType, err)
		}
		at := e.Time
		if at.IsZero() {
			at = time.Now()
		}
		env := Envelope{Version: "0", ID: uuid.NewString(), DetailType: e.DetailType, Source: eventbus.Source,
			Account: localAccount, Time: at.UTC().Truncate(time.Second), Region: Region, Resources: []string{}, Detail: detail}
		line, err := json.Marshal(env)
		if err != nil {
			return fmt.Errorf("encode %s: %w", e.DetailType, err)
		}
		lines = append(append(lines, line...), '\n')
		envs = append(envs, env)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.path != "" {
		f, err := os.OpenFile(j.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("open %s: %w", j.path, err)
		}
		_, werr := f.Write(lines)
		cerr := f.Close()
		if werr != nil {
			return fmt.Errorf("append to %s: %w", j.path, werr)
		}
		if cerr != nil {
			return fmt.Errorf("append to %s: %w", j.path, cerr)
		}
	}
	for _, env := range envs {
		j.progress.printf("event %q %s", env.DetailType, env.Detail)
	}
	return nil
}
