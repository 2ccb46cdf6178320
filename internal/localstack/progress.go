package localstack

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"trinetsync/internal/provision"
)

// The worker and the scheduler log these messages (internal/app); the
// progress handler turns them into one line a person can follow.
const (
	msgRunStarted  = "run started"
	msgRunFinished = "run finished"
	msgTick        = "scheduler tick"
)

// progress writes compact lines to out, one per run start and end and per
// tick, shared by every handler derived from it.
type progress struct {
	mu     sync.Mutex
	out    io.Writer
	now    func() time.Time
	starts map[string]time.Time // tenant/syncId → when it started
}

func (p *progress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "%s "+format+"\n", append([]any{p.now().Format("15:04:05")}, args...)...)
}

// progressHandler passes every record on to next and prints the progress
// lines for the few messages that a person following the stack cares about.
type progressHandler struct {
	next  slog.Handler
	p     *progress
	attrs []slog.Attr // from WithAttrs (tenant and syncId come this way)
	group bool        // inside a group: attrs no longer name the run
}

func newProgressHandler(next slog.Handler, p *progress) *progressHandler {
	return &progressHandler{next: next, p: p}
}

func (h *progressHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || h.next.Enabled(ctx, l)
}

func (h *progressHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(as)
	if !h.group {
		c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	}
	return &c
}

func (h *progressHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	c.group = true
	return &c
}

func (h *progressHandler) Handle(ctx context.Context, r slog.Record) error {
	switch r.Message {
	case msgRunStarted, msgRunFinished, msgTick:
		if !h.group {
			h.print(r)
		}
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *progressHandler) print(r slog.Record) {
	a := map[string]slog.Value{}
	for _, at := range h.attrs {
		a[at.Key] = at.Value.Resolve()
	}
	r.Attrs(func(at slog.Attr) bool {
		a[at.Key] = at.Value.Resolve()
		return true
	})
	str := func(k string) string {
		if v, ok := a[k]; ok {
			return v.String()
		}
		return ""
	}
	key := str("tenant") + "/" + str("syncId")
	switch r.Message {
	case msgTick:
		slot := str("slot")
		if v, ok := a["slot"]; ok && v.Kind() == slog.KindTime {
			slot = v.Time().UTC().Format("15:04Z")
		}
		h.p.printf("tick %s: %s sync(s) queued, %s tenant(s) backing off", slot, str("enqueued"), str("backedOff"))
	case msgRunStarted:
		h.p.mu.Lock()
		if _, seen := h.p.starts[key]; !seen {
			h.p.starts[key] = h.p.now()
		}
		h.p.mu.Unlock()
		what := str("trigger")
		if str("dryRun") == "true" {
			what += ", dry run"
		}
		if str("cursor") != "" {
			what += ", continued"
		}
		h.p.printf("sync %s %s started (%s)", str("tenant"), str("syncId"), what)
	case msgRunFinished:
		h.p.mu.Lock()
		began, seen := h.p.starts[key]
		delete(h.p.starts, key)
		h.p.mu.Unlock()
		took := ""
		if seen {
			took = " in " + h.p.now().Sub(began).Round(100*time.Millisecond).String()
		}
		status := str("status")
		if code := str("code"); code != "" {
			status += " (" + code + ")"
		}
		counts := ""
		if v, ok := a["counts"]; ok && str("status") != string(provision.RunFailed) {
			if c, ok := v.Any().(provision.Counts); ok {
				counts = ": " + describeCounts(c)
			}
		}
		h.p.printf("sync %s %s finished %s%s%s", str("tenant"), str("syncId"), status, took, counts)
	}
}

// describeCounts lists the counts that are not zero, in the order the
// contract gives them.
func describeCounts(c provision.Counts) string {
	var parts []string
	for _, kv := range []struct {
		name string
		n    int
	}{
		{"created", c.Created}, {"updated", c.Updated}, {"linked", c.Linked}, {"unchanged", c.Unchanged},
		{"suggested", c.Suggested}, {"pending", c.Pending}, {"held", c.Held}, {"errors", c.Errors},
		{"excluded", c.Excluded}, {"warnings", c.Warnings},
	} {
		if kv.n != 0 {
			parts = append(parts, fmt.Sprintf("%s %d", kv.name, kv.n))
		}
	}
	if len(parts) == 0 {
		return "nobody to sync"
	}
	return strings.Join(parts, ", ")
}
