// Command local is the interim local stack: it starts the TriNet and Leapsome
// sandboxes on 127.0.0.1, seeds the demo company into both and prints their
// URLs, the demo credentials and example curl lines, then serves until
// Ctrl-C. TRINET_ADDR and LEAPSOME_ADDR (host:port) choose the addresses;
// unset, free ports are used.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"trinetsync/internal/sandbox/demo"
	"trinetsync/internal/sandbox/leapsome"
	"trinetsync/internal/sandbox/trinet"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("local stack stopped", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	ls := leapsome.New(leapsome.Options{})
	tn := trinet.New(trinet.Options{})
	creds, err := demo.Seed(ls, tn, time.Now())
	if err != nil {
		return err
	}
	tnLn, err := listen(os.Getenv("TRINET_ADDR"))
	if err != nil {
		return fmt.Errorf("starting the TriNet sandbox: %w", err)
	}
	lsLn, err := listen(os.Getenv("LEAPSOME_ADDR"))
	if err != nil {
		_ = tnLn.Close()
		return fmt.Errorf("starting the Leapsome sandbox: %w", err)
	}

	g, ctx := errgroup.WithContext(ctx)
	for _, s := range []struct {
		name string
		ln   net.Listener
		h    http.Handler
	}{{"TriNet sandbox", tnLn, tn}, {"Leapsome sandbox", lsLn, ls}} {
		srv := &http.Server{Handler: s.h, ReadHeaderTimeout: 10 * time.Second}
		g.Go(func() error {
			if err := srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			return nil
		})
		g.Go(func() error {
			<-ctx.Done()
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return srv.Shutdown(shutdownCtx)
		})
	}

	if err := demo.WriteUsage(os.Stdout, "http://"+tnLn.Addr().String(), "http://"+lsLn.Addr().String(), creds); err != nil {
		return err
	}
	log.Info("serving; Ctrl-C stops", "trinet", tnLn.Addr().String(), "leapsome", lsLn.Addr().String())
	err = g.Wait()
	log.Info("stopped")
	return err
}

func listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	return net.Listen("tcp", addr)
}
