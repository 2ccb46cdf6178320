package emulator

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// goawsAccountID is the account id goaws puts in queue URLs and ARNs.
const goawsAccountID = "100010001000"

// goawsConfig is goaws v0.5.4's YAML configuration (one environment, "Local").
//
// Region is left empty on purpose: goaws builds queue URLs as
// http://<Region>.<Host>:<Port>/… when a region is set, which is not a
// resolvable host for 127.0.0.1. Without it the URL is http://127.0.0.1:<port>/<account>/<name>
// and the ARN is arn:aws:sqs::<account>:<name>; goaws only reads the last
// segment of a dead-letter ARN, so RedrivePolicy still works.
const goawsConfig = `Local:
  Host: 127.0.0.1
  Port: "%d"
  AccountId: "%s"
  LogToFile: false
  EnableDuplicates: false
  QueueAttributeDefaults:
    VisibilityTimeout: 30
    ReceiveMessageWaitTimeSeconds: 0
    MaximumMessageSize: 262144
  Queues: []
  Topics: []
  RandomLatency:
    Min: 0
    Max: 0
`

// Goaws starts goaws (an SQS emulator speaking the JSON protocol) on a free
// loopback port with no queues; callers create them with CreateQueue. Its
// config file lives in a temporary folder that is removed when the process exits.
// The SDK reaches it with BaseEndpoint = p.Endpoint() and any static credentials.
func Goaws(ctx context.Context, log io.Writer) (*Process, error) {
	bin, err := Binary("GOAWS_BIN", ".bin/goaws")
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, fmt.Errorf("goaws: free port: %w", err)
	}
	dir, err := os.MkdirTemp("", "goaws-")
	if err != nil {
		return nil, fmt.Errorf("goaws: config folder: %w", err)
	}
	cfg := filepath.Join(dir, "goaws.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, goawsConfig, port, goawsAccountID), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("goaws: write config: %w", err)
	}
	return startWithTemp(ctx, Spec{
		Name: "goaws",
		Path: bin,
		// warn keeps goaws from logging every message body it receives.
		Args: []string{"-config", cfg, "-loglevel", "warn"},
		// goaws looks for goaws.yaml below its working folder when -config
		// fails; running it in the temp folder keeps it away from the tree.
		Dir:  dir,
		Port: port,
		Log:  log,
	}, dir)
}
