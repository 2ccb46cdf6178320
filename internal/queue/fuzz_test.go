package queue

import (
	"errors"
	"strings"
	"testing"

	"trinetsync/internal/fault"
)

// FuzzParseJob guards the worker's message decoding: a body is either a job
// that survives a Marshal/ParseJob round trip unchanged, or a validation error
// that names the field at fault. Never a panic.
func FuzzParseJob(f *testing.F) {
	for _, seed := range []string{
		`{"v":1,"tenantId":"acme","syncId":"s-1","trigger":"schedule","dryRun":false,"confirmCreates":false}`,
		`{"v":1,"tenantId":"acme-2","syncId":"s-2","trigger":"manual","dryRun":true,"confirmCreates":true,"cursor":"p:3","future":1}`,
		`{"v":1,"tenantId":"t","syncId":"sched#2026-01-01T00:10Z","trigger":"schedule","cursor":"eyJwYWdlIjoyfQ=="}`,
		`{"v":2,"tenantId":"acme","syncId":"s","trigger":"schedule"}`,
		`{"v":1.5,"tenantId":"acme","syncId":"s","trigger":"schedule"}`,
		`{"v":1e400,"tenantId":"acme","syncId":"s","trigger":"schedule"}`,
		`{"v":-1,"tenantId":"acme","syncId":"s","trigger":"schedule"}`,
		`{"v":"1","tenantId":"acme","syncId":"s","trigger":"schedule"}`,
		`{"v":1,"tenantId":"../Acme","syncId":"s","trigger":"schedule"}`,
		`{"v":1,"tenantId":"acme\n","syncId":"s","trigger":"schedule"}`,
		`{"v":1,"tenantId":"acme","syncId":"\u0000","trigger":"schedule"}`,
		`{"v":1,"tenantId":"acme","syncId":"\ud800","trigger":"manual"}`,
		"{\"v\":1,\"tenantId\":\"acme\",\"syncId\":\"\xff\xfe\",\"trigger\":\"manual\"}",
		`{"v":1,"tenantId":"acme","syncId":"s","trigger":"cron"}`,
		`{"v":1,"tenantId":"acme","syncId":"s","trigger":null}`,
		`{"v":1,"tenantId":"acme","syncId":"s","trigger":"manual","dryRun":"yes"}`,
		`{"V":1,"TENANTID":"acme","syncid":"s","Trigger":"manual"}`,
		`{"v":1,"v":2,"tenantId":"acme","syncId":"s","trigger":"manual"}`,
		`{"v":1,"tenantId":"acme","syncId":"s","trigger":"manual"} {}`,
		`{"v":1,"tenantId":"acme","syncId":"s","trigger":"manual"}   `,
		`{"v":1,"tenantId":"acme","syncId":"s","trigger":"manual"`,
		`{"v":1,"tenantId":"acme","syncId":"` + strings.Repeat("x", 201) + `","trigger":"manual"}`,
		`{"v":1,"tenantId":"` + strings.Repeat("a", 64) + `","syncId":"s","trigger":"manual"}`,
		`null`, `[]`, `[1]`, `"job"`, `0`, ``, ` `, `{}`, `{"":1}`, `tenant=acme`,
		strings.Repeat("[", 10000),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		job, err := ParseJob(body)
		if err != nil {
			if !errors.Is(err, fault.ErrValidation) {
				t.Fatalf("ParseJob(%q) error %v is not a validation error", body, err)
			}
			if fault.FieldOf(err) == "" {
				t.Fatalf("ParseJob(%q) error %v names no field", body, err)
			}
			if job != (Job{}) {
				t.Fatalf("ParseJob(%q) returned %+v with error %v", body, job, err)
			}
			return
		}
		again, err := job.Marshal()
		if err != nil {
			t.Fatalf("Marshal of parsed job %+v (from %q): %v", job, body, err)
		}
		back, err := ParseJob(again)
		if err != nil {
			t.Fatalf("ParseJob(Marshal(%+v)) = %v (body %q)", job, err, again)
		}
		if back != job {
			t.Fatalf("round trip changed the job: %+v -> %q -> %+v", job, again, back)
		}
	})
}
