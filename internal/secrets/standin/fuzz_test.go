package standin_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"trinetsync/internal/secrets/standin"
)

var fuzzOps = []string{"CreateSecret", "GetSecretValue", "PutSecretValue", "UpdateSecret",
	"DescribeSecret", "DeleteSecret", "RestoreSecret", "ListSecrets"}

// fuzzCall posts one protocol request to h.
func fuzzCall(h http.Handler, target, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// FuzzStandIn sends one arbitrary body to each operation of a stand-in that
// holds one secret: never a panic; an error is the protocol's JSON
// {"__type","message"} with X-Amzn-Errortype and a 4xx (5xx only for a local
// disk failure), and never quotes the SecretString sent; nothing is written
// outside the stand-in's folder, every file in it is a 0600 secret file; a
// value the stand-in accepted is the value it then gives back; and a listing
// never shows a value.
func FuzzStandIn(f *testing.F) {
	for _, s := range []struct {
		op   uint8
		body string
	}{
		{0, `{"Name":"tenant/beta","SecretString":"{\"clientSecret\":\"Zq9-secret\"}","ClientRequestToken":"11111111-1111-1111-1111-111111111111","Description":"TriNet"}`},
		{0, `{"Name":"../../etc/passwd","SecretString":"Zq9-secret-value"}`},
		{0, `{"Name":"..","SecretString":"Zq9-secret-value"}`},
		{0, `{"Name":"a/../../b","SecretString":"Zq9-secret-value"}`},
		{0, `{"Name":"/abs/olute","SecretString":"Zq9-secret-value"}`},
		{0, `{"Name":"tenant_acme","SecretString":"Zq9-secret-value"}`},
		{0, `{"Name":"tenant/acme","SecretString":"Zq9-secret-value"}`},
		{0, `{"Name":"bad\\name","SecretString":"Zq9-secret-value"}`},
		{0, `{"Name":"x","SecretBinary":"AAEC"}`},
		{0, `{"Name":"x"}`},
		{0, `{"Name":"","SecretString":""}`},
		{0, `{"Name":"x","SecretString":null,"Description":null}`},
		{0, `{"Name":7,"SecretString":"Zq9-secret-value"}`},
		{1, `{"SecretId":"tenant/acme"}`},
		{1, `{"SecretId":"tenant/acme","VersionStage":"AWSPREVIOUS"}`},
		{1, `{"SecretId":"arn:aws:secretsmanager:us-east-1:000000000000:secret:tenant/acme-abcdef"}`},
		{1, `{"SecretId":"arn:aws:secretsmanager:x:secret:-"}`},
		{1, `{"SecretId":"../tenant/acme"}`},
		{1, `{"SecretId":"tenant_acme"}`},
		{2, `{"SecretId":"tenant/acme","SecretString":"Zq9-new-value"}`},
		{2, `{"SecretId":"tenant/acme","SecretString":"Zq9-new-value","ClientRequestToken":"tok-1"}`},
		// Found by fuzzing: the current version's token with another value was
		// answered 200 and the value silently kept.
		{2, `{"SecretId":"tenant/acme","SecretString":"Zq9-new-value","ClientRequestToken":"tok-0"}`},
		{3, `{"SecretId":"tenant/acme","SecretString":"Zq9-new-value","ClientRequestToken":"tok-0"}`},
		{2, `{"SecretId":"tenant/acme"}`},
		{2, `{"SecretId":"../../x","SecretString":"Zq9-new-value"}`},
		{3, `{"SecretId":"tenant/acme","Description":"d"}`},
		{3, `{"SecretId":"tenant/acme","SecretString":"Zq9-new-value","Description":"d"}`},
		{3, `{"SecretId":"tenant/acme","SecretBinary":"AAEC"}`},
		{4, `{"SecretId":"tenant/acme"}`},
		{5, `{"SecretId":"tenant/acme"}`},
		{5, `{"SecretId":"tenant/acme","ForceDeleteWithoutRecovery":true}`},
		{5, `{"SecretId":"tenant/acme","RecoveryWindowInDays":7}`},
		{5, `{"SecretId":"tenant/acme","RecoveryWindowInDays":-9223372036854775808}`},
		{5, `{"SecretId":"tenant/acme","RecoveryWindowInDays":1e400}`},
		{5, `{"SecretId":"tenant/acme","ForceDeleteWithoutRecovery":true,"RecoveryWindowInDays":7}`},
		{6, `{"SecretId":"tenant/acme"}`},
		{7, `{}`},
		{7, `{"MaxResults":1,"IncludePlannedDeletion":true,"SortBy":"name","SortOrder":"desc"}`},
		{7, `{"MaxResults":0}`},
		{7, `{"NextToken":"eyJxIjoiIiwiayI6IiIsIm4iOiIifQ"}`},
		{7, `{"Filters":[{"Key":"name","Values":["tenant/","!tenant/b"]},{"Key":"all","Values":["ACME"]}]}`},
		{7, `{"Filters":[{"Key":"description","Values":[]}]}`},
		{7, `{"Filters":[{"Key":"name","Values":["a*"]}]}`},
		{1, ``}, {1, `null`}, {1, `[]`}, {1, `"tenant/acme"`}, {2, `{"SecretId":"tenant/acme","SecretString":"` + strings.Repeat("x", 70000) + `"}`},
		{1, strings.Repeat(`{"SecretId":`, 3000)},
	} {
		f.Add(s.op, s.body)
	}
	root := f.TempDir()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, op uint8, body string) {
		dir, err := os.MkdirTemp(root, "run-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		secretsDir := filepath.Join(dir, "secrets")
		h := &standin.Server{Dir: secretsDir, Now: func() time.Time { return now }}
		if rec := fuzzCall(h, "secretsmanager.CreateSecret",
			`{"Name":"tenant/acme","SecretString":"Zq9-old-value","ClientRequestToken":"tok-0"}`); rec.Code != http.StatusOK {
			t.Fatalf("setup: %d %s", rec.Code, rec.Body)
		}

		name := fuzzOps[int(op)%len(fuzzOps)]
		rec := fuzzCall(h, "secretsmanager."+name, body)
		var in struct {
			Name, SecretId string
			SecretString   *string
		}
		_ = json.Unmarshal([]byte(body), &in)

		if rec.Code != http.StatusOK {
			checkProtocolError(t, name, body, rec, in.SecretString)
		}
		checkFolder(t, dir, secretsDir, body)

		if name == "ListSecrets" && strings.Contains(rec.Body.String(), "Zq9-old-value") {
			t.Fatalf("ListSecrets %q shows a secret value: %s", body, rec.Body)
		}
		if rec.Code == http.StatusOK && in.SecretString != nil &&
			(name == "CreateSecret" || name == "PutSecretValue" || name == "UpdateSecret") {
			var out struct{ ARN string }
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.ARN == "" {
				t.Fatalf("%s %q: answer %s", name, body, rec.Body)
			}
			q, _ := json.Marshal(map[string]string{"SecretId": out.ARN})
			got := fuzzCall(h, "secretsmanager.GetSecretValue", string(q))
			var v struct{ SecretString *string }
			if err := json.Unmarshal(got.Body.Bytes(), &v); got.Code != http.StatusOK || err != nil || v.SecretString == nil {
				t.Fatalf("%s %q accepted, then GetSecretValue: %d %s", name, body, got.Code, got.Body)
			}
			if *v.SecretString != *in.SecretString {
				t.Fatalf("%s %q accepted, but GetSecretValue gives %q", name, body, *v.SecretString)
			}
		}
	})
}

func checkProtocolError(t *testing.T, op, body string, rec *httptest.ResponseRecorder, secret *string) {
	t.Helper()
	var e struct {
		Type    *string `json:"__type"`
		Message *string `json:"message"`
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Type == nil || e.Message == nil || *e.Type == "" {
		t.Fatalf("%s %q: %d answer is not the protocol's error (%v): %s", op, body, rec.Code, err, rec.Body)
	}
	if rec.Header().Get("X-Amzn-Errortype") != *e.Type {
		t.Fatalf("%s %q: X-Amzn-Errortype %q, __type %q", op, body, rec.Header().Get("X-Amzn-Errortype"), *e.Type)
	}
	switch {
	case rec.Code == http.StatusBadRequest:
	case rec.Code == http.StatusInternalServerError && *e.Type == "InternalServiceError":
		// A local disk failure is allowed to be a 500 (e.g. a name too long for
		// a file name); it still has the shape.
	default:
		t.Fatalf("%s %q: status %d (%s)", op, body, rec.Code, *e.Type)
	}
	if secret != nil && len(*secret) >= 6 && strings.Contains(*e.Message, *secret) {
		t.Fatalf("%s %q: the error quotes the SecretString: %s", op, body, rec.Body)
	}
}

// checkFolder: dir holds only the secrets folder, which holds only 0600
// regular *.json files that name their own secret.
func checkFolder(t *testing.T, dir, secretsDir, body string) {
	t.Helper()
	top, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(top) != 1 || top[0].Name() != "secrets" {
		var names []string
		for _, e := range top {
			names = append(names, e.Name())
		}
		t.Fatalf("body %q: written outside the stand-in's folder: %v", body, names)
	}
	err = filepath.WalkDir(secretsDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == secretsDir {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() || info.Mode().Perm() != 0o600 || !strings.HasSuffix(d.Name(), ".json") {
			t.Fatalf("body %q: unexpected entry %s (%v)", body, p, info.Mode())
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var rec struct{ Name string }
		if err := json.Unmarshal(raw, &rec); err != nil || strings.ReplaceAll(rec.Name, "/", "_")+".json" != d.Name() {
			t.Fatalf("body %q: file %s holds secret %q", body, d.Name(), rec.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
