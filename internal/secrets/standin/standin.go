// Package standin is the local stack's Secrets Manager: an http.Handler that
// speaks the Secrets Manager JSON protocol (awsJson1_1) for the calls package
// secrets makes, and for those an operator makes with the AWS CLI to revoke a
// tenant as in the console (list-secrets, delete-secret with a recovery window,
// restore-secret). It keeps one file per secret, so that deleting a tenant's
// file by hand acts like deleting its secret in the AWS console too. No emulator of
// Secrets Manager exists that the project could run, hence this one; it is
// not a general implementation (no rotation, replication, policies, tags or
// binary secrets, and only the current version is kept).
package standin

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// region and account appear in the ARNs the stand-in makes up.
const (
	region  = "us-east-1"
	account = "000000000000"
)

const contentType = "application/x-amz-json-1.1"

// Server serves the protocol over the files in Dir.
type Server struct {
	Dir string
	// Now is the clock; it decides when a scheduled deletion falls due.
	Now func() time.Time

	mu sync.Mutex // one request at a time: the files are the state
}

// New returns a stand-in keeping its secrets in dir (created 0700 on first write).
func New(dir string) http.Handler { return &Server{Dir: dir, Now: time.Now} }

// record is one secret's file.
type record struct {
	ARN         string     `json:"arn"`
	Name        string     `json:"name"`
	Description string     `json:"description,omitempty"`
	Created     time.Time  `json:"createdDate"`
	Changed     time.Time  `json:"lastChangedDate"`
	VersionID   string     `json:"versionId"`
	Value       string     `json:"secretString"`
	Deleted     *time.Time `json:"deletedDate,omitempty"`  // scheduled for deletion at
	DeletionDue *time.Time `json:"deletionDate,omitempty"` // purged at
}

// apiError is a protocol error: HTTP 400 unless Status says otherwise.
type apiError struct {
	Type    string
	Message string
	Status  int
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }

func notFound() error {
	return &apiError{Type: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret."}
}

func markedForDeletion() error {
	return &apiError{Type: "InvalidRequestException", Message: "You can't perform this operation on the secret because it was marked for deletion."}
}

func invalidParam(format string, args ...any) error {
	return &apiError{Type: "InvalidParameterException", Message: fmt.Sprintf(format, args...)}
}

// ServeHTTP answers one protocol call (POST / with X-Amz-Target), holding
// the lock for its whole read-modify-write of the files.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		writeError(w, &apiError{Type: "UnknownOperationException", Message: "POST / only", Status: http.StatusNotFound})
		return
	}
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "secretsmanager.")
	handler, known := ops[op]
	if !ok || !known {
		writeError(w, &apiError{Type: "UnknownOperationException", Message: fmt.Sprintf("operation %q is not supported by the local stand-in", target)})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeError(w, &apiError{Type: "SerializationException", Message: "could not read the request"})
		return
	}
	s.mu.Lock()
	out, err := handler(s, body)
	s.mu.Unlock()
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	_ = json.NewEncoder(w).Encode(out)
}

func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		// A file system failure: the local disk, not the caller, is at fault.
		ae = &apiError{Type: "InternalServiceError", Message: "the local secrets folder could not be used: " + err.Error(), Status: http.StatusInternalServerError}
	}
	status := ae.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-Errortype", ae.Type)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": ae.Type, "message": ae.Message})
}

// ops maps each supported X-Amz-Target operation to its handler; built once,
// not per request.
var ops = map[string]func(*Server, []byte) (any, error){
	"CreateSecret":   (*Server).createSecret,
	"GetSecretValue": (*Server).getSecretValue,
	"PutSecretValue": (*Server).putSecretValue,
	"UpdateSecret":   (*Server).updateSecret,
	"DescribeSecret": (*Server).describeSecret,
	"DeleteSecret":   (*Server).deleteSecret,
	"RestoreSecret":  (*Server).restoreSecret,
	"ListSecrets":    (*Server).listSecrets,
}

func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return &apiError{Type: "SerializationException", Message: "the request body is not valid JSON for this operation"}
	}
	return nil
}

// epoch is the protocol's timestamp: seconds since the epoch, as a number.
func epoch(t time.Time) float64 {
	return float64(t.UnixMilli()) / 1000
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)

// path is the secret's file: its name with each "/" replaced by "_".
func (s *Server) path(name string) string {
	return filepath.Join(s.Dir, FileName(name))
}

// FileName is the file that holds the secret called name: each "/" becomes
// "_" (no subfolders), so deleting that one file deletes the secret.
func FileName(name string) string { return strings.ReplaceAll(name, "/", "_") + ".json" }

// nameOf accepts a name or a full ARN as SecretId.
func nameOf(id string) (string, error) {
	if rest, ok := strings.CutPrefix(id, "arn:aws:secretsmanager:"); ok {
		_, after, found := strings.Cut(rest, ":secret:")
		if !found || len(after) < 8 || after[len(after)-7] != '-' {
			return "", notFound()
		}
		id = after[:len(after)-7]
	}
	if !namePattern.MatchString(id) {
		return "", invalidParam("invalid secret id")
	}
	return id, nil
}

// load reads the secret id names. A scheduled deletion that has fallen due is
// carried out here, as AWS would have done by now.
func (s *Server) load(id string) (*record, error) {
	name, err := nameOf(id)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFound()
	}
	if err != nil {
		return nil, err
	}
	var rec record
	if err := json.Unmarshal(raw, &rec); err != nil {
		// Not the JSON error itself: it can quote a fragment of the secret.
		return nil, fmt.Errorf("%s is not a stand-in secret file", filepath.Base(s.path(name)))
	}
	// Two names can share a file ("a/b" and "a_b"); only the stored one owns it.
	if rec.Name != name || (strings.HasPrefix(id, "arn:") && id != rec.ARN) {
		return nil, notFound()
	}
	if rec.DeletionDue != nil && !s.Now().Before(*rec.DeletionDue) {
		if err := os.Remove(s.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, notFound()
	}
	return &rec, nil
}

// save writes rec atomically with mode 0600 in a 0700 folder.
func (s *Server) save(rec *record) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.Dir, ".secret-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.path(rec.Name))
}

func arn(name string) string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return "arn:aws:secretsmanager:" + region + ":" + account + ":secret:" + name + "-" + string(b)
}

func versionID(token string) string {
	if token != "" {
		return token
	}
	return uuid.NewString()
}

type secretInput struct {
	Name               string
	SecretId           string
	SecretString       *string
	SecretBinary       []byte
	ClientRequestToken string
	Description        *string
}

func (in secretInput) value() (string, error) {
	if in.SecretBinary != nil {
		return "", invalidParam("the local stand-in stores SecretString only")
	}
	if in.SecretString == nil {
		return "", invalidParam("SecretString is required")
	}
	if len(*in.SecretString) > 65536 {
		return "", invalidParam("SecretString is longer than 65536 bytes")
	}
	return *in.SecretString, nil
}

func (s *Server) createSecret(body []byte) (any, error) {
	var in secretInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if !namePattern.MatchString(in.Name) {
		return nil, invalidParam("invalid name")
	}
	value, err := in.value()
	if err != nil {
		return nil, err
	}
	existing, err := s.load(in.Name)
	var ae *apiError
	switch {
	case err == nil && existing.Deleted != nil:
		return nil, &apiError{Type: "InvalidRequestException", Message: "You can't create this secret because a secret with this name is already scheduled for deletion."}
	case err == nil && in.ClientRequestToken != "" && existing.VersionID == in.ClientRequestToken && existing.Value == value:
		// The SDK's retry of a creation that did succeed.
		return map[string]any{"ARN": existing.ARN, "Name": existing.Name, "VersionId": existing.VersionID}, nil
	case err == nil:
		return nil, &apiError{Type: "ResourceExistsException", Message: fmt.Sprintf("The operation failed because the secret %s already exists.", in.Name)}
	case !errors.As(err, &ae) || ae.Type != "ResourceNotFoundException":
		return nil, err
	}
	if _, statErr := os.Stat(s.path(in.Name)); statErr == nil {
		return nil, invalidParam("the name %s maps to the same local file as another secret", in.Name)
	}
	now := s.Now().UTC()
	rec := &record{ARN: arn(in.Name), Name: in.Name, Created: now, Changed: now, VersionID: versionID(in.ClientRequestToken), Value: value}
	if in.Description != nil {
		rec.Description = *in.Description
	}
	if err := s.save(rec); err != nil {
		return nil, err
	}
	return map[string]any{"ARN": rec.ARN, "Name": rec.Name, "VersionId": rec.VersionID}, nil
}

func (s *Server) getSecretValue(body []byte) (any, error) {
	var in struct {
		SecretId     string
		VersionId    string
		VersionStage string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	rec, err := s.load(in.SecretId)
	if err != nil {
		return nil, err
	}
	if rec.Deleted != nil {
		return nil, markedForDeletion()
	}
	if (in.VersionId != "" && in.VersionId != rec.VersionID) || (in.VersionStage != "" && in.VersionStage != "AWSCURRENT") {
		return nil, &apiError{Type: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret value for this version (the local stand-in keeps only the current one)."}
	}
	return map[string]any{
		"ARN": rec.ARN, "Name": rec.Name, "VersionId": rec.VersionID, "SecretString": rec.Value,
		"VersionStages": []string{"AWSCURRENT"}, "CreatedDate": epoch(rec.Changed),
	}, nil
}

// newVersion replaces the secret's value (PutSecretValue, UpdateSecret).
func (s *Server) newVersion(in secretInput) (*record, error) {
	rec, err := s.load(in.SecretId)
	if err != nil {
		return nil, err
	}
	if rec.Deleted != nil {
		return nil, markedForDeletion()
	}
	if in.Description != nil {
		rec.Description = *in.Description
	}
	if in.SecretString != nil || in.SecretBinary != nil {
		value, err := in.value()
		if err != nil {
			return nil, err
		}
		switch {
		case in.ClientRequestToken == "" || in.ClientRequestToken != rec.VersionID:
			rec.VersionID = versionID(in.ClientRequestToken)
			rec.Value = value
		case value != rec.Value:
			// A retried request is idempotent; the same token with another value
			// is refused, as by Secrets Manager, never silently dropped.
			return nil, &apiError{Type: "ResourceExistsException", Message: "A version with this ClientRequestToken already exists with a different value."}
		}
	}
	rec.Changed = s.Now().UTC()
	if err := s.save(rec); err != nil {
		return nil, err
	}
	return rec, nil
}

func (s *Server) putSecretValue(body []byte) (any, error) {
	var in secretInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.SecretString == nil && in.SecretBinary == nil {
		return nil, invalidParam("SecretString is required")
	}
	in.Description = nil
	rec, err := s.newVersion(in)
	if err != nil {
		return nil, err
	}
	return map[string]any{"ARN": rec.ARN, "Name": rec.Name, "VersionId": rec.VersionID, "VersionStages": []string{"AWSCURRENT"}}, nil
}

func (s *Server) updateSecret(body []byte) (any, error) {
	var in secretInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	rec, err := s.newVersion(in)
	if err != nil {
		return nil, err
	}
	return map[string]any{"ARN": rec.ARN, "Name": rec.Name, "VersionId": rec.VersionID}, nil
}

func (s *Server) describeSecret(body []byte) (any, error) {
	var in struct{ SecretId string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	rec, err := s.load(in.SecretId)
	if err != nil {
		return nil, err
	}
	out := map[string]any{
		"ARN": rec.ARN, "Name": rec.Name, "CreatedDate": epoch(rec.Created), "LastChangedDate": epoch(rec.Changed),
		"VersionIdsToStages": map[string][]string{rec.VersionID: {"AWSCURRENT"}},
	}
	if rec.Description != "" {
		out["Description"] = rec.Description
	}
	if rec.Deleted != nil {
		out["DeletedDate"] = epoch(*rec.Deleted)
	}
	return out, nil
}

func (s *Server) deleteSecret(body []byte) (any, error) {
	var in struct {
		SecretId                   string
		RecoveryWindowInDays       *int64
		ForceDeleteWithoutRecovery *bool
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	force := in.ForceDeleteWithoutRecovery != nil && *in.ForceDeleteWithoutRecovery
	if force && in.RecoveryWindowInDays != nil {
		return nil, invalidParam("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
	}
	days := int64(30)
	if in.RecoveryWindowInDays != nil {
		days = *in.RecoveryWindowInDays
		if days < 7 || days > 30 {
			return nil, invalidParam("RecoveryWindowInDays must be between 7 and 30 days.")
		}
	}
	rec, err := s.load(in.SecretId)
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	if force {
		if err := os.Remove(s.path(rec.Name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return map[string]any{"ARN": rec.ARN, "Name": rec.Name, "DeletionDate": epoch(now)}, nil
	}
	if rec.Deleted != nil {
		return nil, &apiError{Type: "InvalidRequestException", Message: "You can't delete the secret because it's already scheduled for deletion."}
	}
	due := now.Add(time.Duration(days) * 24 * time.Hour)
	rec.Deleted, rec.DeletionDue = &now, &due
	if err := s.save(rec); err != nil {
		return nil, err
	}
	return map[string]any{"ARN": rec.ARN, "Name": rec.Name, "DeletionDate": epoch(due)}, nil
}

func (s *Server) restoreSecret(body []byte) (any, error) {
	var in struct{ SecretId string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	rec, err := s.load(in.SecretId)
	if err != nil {
		return nil, err
	}
	if rec.Deleted != nil {
		rec.Deleted, rec.DeletionDue = nil, nil
		rec.Changed = s.Now().UTC()
		if err := s.save(rec); err != nil {
			return nil, err
		}
	}
	return map[string]any{"ARN": rec.ARN, "Name": rec.Name}, nil
}
