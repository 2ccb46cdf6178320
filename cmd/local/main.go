// Command local runs the whole service on this machine (`make run`): it reads
// the local stack's environment (see internal/localstack.ConfigFromEnv and
// README.md), starts the stack, prints where everything listens with ready
// tokens and curl lines, and runs until Ctrl-C. LOG_FORMAT=json writes the
// service's own logs as JSON on stderr (LOG_LEVEL, default INFO); otherwise
// only warnings and errors are logged, as text, beside the progress lines.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"trinetsync/internal/app"
	"trinetsync/internal/fault"
	"trinetsync/internal/localstack"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "local stack:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := localstack.ConfigFromEnv(os.LookupEnv)
	if err != nil {
		return err
	}
	if cfg.Logger, err = logger(os.Getenv("LOG_FORMAT"), os.Getenv("LOG_LEVEL")); err != nil {
		return err
	}
	cfg.Progress = os.Stdout

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	began := time.Now()
	fmt.Printf("starting the local stack (data in %s)…\n", cfg.DataDir)
	st, err := localstack.Start(ctx, cfg)
	if err != nil {
		return err
	}
	if err := st.WriteUsage(os.Stdout); err != nil {
		st.Close()
		return err
	}
	fmt.Printf("(started in %s)\n\n", time.Since(began).Round(100*time.Millisecond))
	werr := st.Wait(ctx)
	// A second Ctrl-C ends the process at once, should stopping hang.
	stop()
	fmt.Println("stopping…")
	st.Close()
	fmt.Println("stopped")
	return werr
}

func logger(format, level string) (*slog.Logger, error) {
	lvl, err := app.ParseLogLevel(level)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "json":
		return app.NewLogger(lvl), nil
	case "", "text":
		// The progress lines tell the story; the logs add only what went wrong.
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: max(lvl, slog.LevelWarn)})), nil
	}
	return nil, fault.Invalid("LOG_FORMAT", "must be text or json, got %q", format)
}
