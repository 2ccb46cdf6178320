// Package emulator starts and supervises the local stand-ins for AWS services
// (dynalite for DynamoDB, goaws for SQS) as child processes on free loopback
// ports. Tests and the local stack use it; nothing in Lambda does.
package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// Process is a supervised child process listening on Port.
type Process struct {
	Name string
	Port int
	cmd  *exec.Cmd
	tree tree // the process and everything it starts
	done chan struct{}
	err  error
}

// Endpoint is the process's base URL.
func (p *Process) Endpoint() string { return "http://127.0.0.1:" + strconv.Itoa(p.Port) }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is the process's exit error, once Done is closed.
func (p *Process) Err() error { <-p.done; return p.err }

// Stop ends the process and its children: first asked to stop (SIGTERM to
// its process group on Unix, CTRL_BREAK on Windows), then killed if it has not
// exited within five seconds.
func (p *Process) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	if err := p.tree.interrupt(); err != nil {
		// Nothing can ask it to stop (on Windows, no shared console): a
		// graceful stop is not possible, so do not wait for one.
		p.tree.kill()
		<-p.done
		return
	}
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.tree.kill()
		<-p.done
	}
}

// Spec describes a process to start.
type Spec struct {
	Name string   // for messages
	Path string   // the binary
	Args []string // its arguments
	Env  []string // added to the current environment
	Dir  string   // working directory; empty for the current one
	Port int      // the port it will listen on, on 127.0.0.1
	Log  io.Writer
	// Ready is how long to wait for the port to accept connections (default 30s).
	Ready time.Duration
}

// Start starts the process so that it and its children can be ended together
// and die with this process (see tree), and waits until its port accepts TCP
// connections.
func Start(ctx context.Context, s Spec) (*Process, error) {
	if s.Log == nil {
		s.Log = io.Discard
	}
	if s.Ready == 0 {
		s.Ready = 30 * time.Second
	}
	cmd := exec.Command(s.Path, s.Args...)
	cmd.Env = append(os.Environ(), s.Env...)
	cmd.Dir = s.Dir
	cmd.Stdout = s.Log
	cmd.Stderr = s.Log
	p := &Process{Name: s.Name, Port: s.Port, cmd: cmd, done: make(chan struct{})}
	p.tree.prepare(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", s.Name, s.Path, err)
	}
	if err := p.tree.attach(cmd); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("start %s (%s): %w", s.Name, s.Path, err)
	}
	go func() {
		p.err = cmd.Wait()
		p.tree.release()
		close(p.done)
	}()
	deadline := time.Now().Add(s.Ready)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port))
	for {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			return p, nil
		}
		select {
		case <-p.done:
			if p.err == nil {
				return nil, fmt.Errorf("%s exited before listening on %s", s.Name, addr)
			}
			return nil, fmt.Errorf("%s exited before listening on %s: %w", s.Name, addr, p.err)
		case <-ctx.Done():
			p.Stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("%s did not listen on %s within %s", s.Name, addr, s.Ready)
		}
	}
}

// startWithTemp starts s and removes tmp, a temporary folder the process
// needs while it runs ("" = none), once it has exited or failed to start.
func startWithTemp(ctx context.Context, s Spec, tmp string) (*Process, error) {
	p, err := Start(ctx, s)
	if tmp == "" {
		return p, err
	}
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	go func() {
		<-p.Done()
		os.RemoveAll(tmp)
	}()
	return p, nil
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Binary finds a tool: the path in environment variable env if set, else rel
// (such as ".bin/goaws") under the module root found above the working directory.
func Binary(env, rel string) (string, error) {
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", env, p, err)
		}
		return p, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, rel)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s not found (run `make tools node-deps`, or set %s): %w", rel, env, err)
	}
	return p, nil
}

// ModuleRoot is the nearest folder above the working directory holding go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}
