package localstack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Files under DataDir besides dynalite's (dynamodb/) and the secrets
// (secrets/).
const (
	jwtSecretFile = "jwt-secret"
	stateFile     = "stack.json"
	sandboxDir    = "sandboxes"
	trinetFile    = "trinet.json"
	leapsomeFile  = "leapsome.json"
)

// jwtSecret is LOCAL_JWT_SECRET, or the one kept under DataDir, generated on
// first start, so tokens minted by scripts keep working across restarts.
func jwtSecret(cfg Config) (string, error) {
	if cfg.JWTSecret != "" {
		if err := checkJWTSecret(cfg.JWTSecret); err != nil {
			return "", err
		}
		return cfg.JWTSecret, nil
	}
	if cfg.DataDir == "" {
		return randomHex()
	}
	path := filepath.Join(cfg.DataDir, jwtSecretFile)
	b, err := os.ReadFile(path)
	if kept := strings.TrimSpace(string(b)); err == nil && kept != "" {
		if len(kept) < MinJWTSecretBytes {
			return "", fmt.Errorf("%s holds a JWT secret shorter than %d bytes: delete it to have a new one generated", path, MinJWTSecretBytes)
		}
		return kept, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	secret, err := randomHex()
	if err != nil {
		return "", err
	}
	if err := writeFileAtomic(path, []byte(secret+"\n")); err != nil {
		return "", fmt.Errorf("keep the JWT secret: %w", err)
	}
	return secret, nil
}

func randomHex() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate a JWT secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// stackState is what the stack itself remembers between starts.
type stackState struct {
	// DemoTenant is the tenant the demo was set up for: it is connected and
	// given its settings once, so a later disconnect or settings change by
	// the user is not undone by a restart.
	DemoTenant string `json:"demoTenant,omitempty"`
}

func (st *Stack) readState() (stackState, error) {
	var s stackState
	if st.cfg.DataDir == "" {
		return s, nil
	}
	_, err := readJSON(filepath.Join(st.cfg.DataDir, stateFile), &s, "set the demo up again")
	return s, err
}

func (st *Stack) writeState(s stackState) error {
	if st.cfg.DataDir == "" {
		return nil
	}
	return writeJSON(filepath.Join(st.cfg.DataDir, stateFile), s)
}

// loadSandboxes restores the running sandboxes' state saved by the last
// stop and reports, for each, whether it runs with no saved state (a first
// start: its side of the demo company is seeded). A sandbox first started
// when its API was external earlier is thus seeded then.
func (st *Stack) loadSandboxes() (freshTriNet, freshLeapsome bool, err error) {
	freshTriNet, freshLeapsome = st.Infra.TriNet != nil, st.Infra.Leapsome != nil
	if st.cfg.DataDir == "" {
		return freshTriNet, freshLeapsome, nil
	}
	dir := filepath.Join(st.cfg.DataDir, sandboxDir)
	if tn := st.Infra.TriNet; tn != nil {
		restored, err := restoreSandbox(filepath.Join(dir, trinetFile), "TriNet", tn.Restore)
		if err != nil {
			return false, false, err
		}
		freshTriNet = !restored
	}
	if ls := st.Infra.Leapsome; ls != nil {
		restored, err := restoreSandbox(filepath.Join(dir, leapsomeFile), "Leapsome", ls.Restore)
		if err != nil {
			return false, false, err
		}
		freshLeapsome = !restored
	}
	return freshTriNet, freshLeapsome, nil
}

// restoreSandbox restores a sandbox from the snapshot at path and reports
// whether there was one.
func restoreSandbox[S any](path, name string, restore func(S) error) (bool, error) {
	var snap S
	found, err := readJSON(path, &snap, "start that sandbox afresh")
	if err != nil || !found {
		return false, err
	}
	if err := restore(snap); err != nil {
		return false, fmt.Errorf("restore the %s sandbox: %w", name, err)
	}
	return true, nil
}

// saveSandboxes writes the sandboxes' state under DataDir.
func (st *Stack) saveSandboxes() error {
	if st.cfg.DataDir == "" || st.Infra == nil {
		return nil
	}
	dir := filepath.Join(st.cfg.DataDir, sandboxDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if tn := st.Infra.TriNet; tn != nil {
		if err := writeJSON(filepath.Join(dir, trinetFile), tn.Snapshot()); err != nil {
			return err
		}
	}
	if ls := st.Infra.Leapsome; ls != nil {
		if err := writeJSON(filepath.Join(dir, leapsomeFile), ls.Snapshot()); err != nil {
			return err
		}
	}
	return nil
}

// snapshotLoop saves the sandboxes now and then, so that a stack killed
// without a clean stop loses little of the demo's state.
func (st *Stack) snapshotLoop(ctx context.Context) {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := st.saveSandboxes(); err != nil {
				st.cfg.Logger.Warn("save the sandboxes' state", "err", err)
			}
		}
	}
}

// readJSON decodes the file at path into v and reports whether there was
// one; for a file that does not decode, the error tells the user to delete
// it "to " + redo.
func readJSON(path string, v any, redo string) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("%s: %w (delete it to %s)", path, err, redo)
	}
	return true, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b)
}

// writeFileAtomic replaces path in one step, so a stop half-way through
// never leaves a truncated file.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
