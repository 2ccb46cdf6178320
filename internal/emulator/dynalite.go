package emulator

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// dynaliteGuard is preloaded into dynalite's Node process. dynalite throws
// from a request's 'error' event, so a client that gives up on a request (a
// cancelled context, a Lambda timeout) kills the whole emulator with
// ECONNRESET "aborted". The aborted request had not been acted on, so the
// emulator can go on serving; any other uncaught error still ends it.
const dynaliteGuard = `process.on('uncaughtException', function (err) {
  if (err && (err.code === 'ECONNRESET' || err.message === 'aborted')) return
  console.error(err)
  process.exit(1)
})
`

// Dynalite starts dynalite (a DynamoDB emulator on Node.js) on a free loopback
// port. dir is where it keeps its LevelDB data; "" keeps everything in memory,
// which is what tests want. Tables become ACTIVE at once (the real service, and
// dynalite by default, take a while) so that tests that create a table each do
// not wait for nothing. When the binary is dynalite's cli.js (the npm install),
// it runs under node with a guard against clients that hang up (see
// dynaliteGuard).
func Dynalite(ctx context.Context, dir string, log io.Writer) (*Process, error) {
	bin, err := Binary("DYNALITE_BIN", "node_modules/.bin/dynalite")
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, fmt.Errorf("dynalite: free port: %w", err)
	}
	args := []string{
		"--host", "127.0.0.1",
		"--port", strconv.Itoa(port),
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0",
	}
	if dir != "" {
		args = append(args, "--path", dir)
	}
	spec := Spec{Name: "dynalite", Path: bin, Args: args, Port: port, Log: log}
	var tmp string
	if script, err := filepath.EvalSymlinks(bin); err == nil && strings.HasSuffix(script, ".js") {
		node, err := exec.LookPath("node")
		if err != nil {
			return nil, fmt.Errorf("dynalite needs Node.js (node on PATH): %w", err)
		}
		if tmp, err = os.MkdirTemp("", "dynalite-"); err != nil {
			return nil, fmt.Errorf("dynalite: temp folder: %w", err)
		}
		guard := filepath.Join(tmp, "guard.js")
		if err := os.WriteFile(guard, []byte(dynaliteGuard), 0o600); err != nil {
			os.RemoveAll(tmp)
			return nil, fmt.Errorf("dynalite: write guard: %w", err)
		}
		spec.Path = node
		spec.Args = append([]string{"--require", guard, script}, args...)
	}
	return startWithTemp(ctx, spec, tmp)
}

// DynamoDBClient is an SDK client for a DynamoDB emulator at endpoint (such as
// Process.Endpoint()): static dummy credentials, region us-east-1. The SDK's own
// retries are kept, as in AWS.
func DynamoDBClient(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}
