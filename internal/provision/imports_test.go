package provision

import (
	"os/exec"
	"strings"
	"testing"
)

// The engine knows nothing of AWS or HTTP: nothing it imports, directly or
// through another package, may be net/http, the AWS SDK or an adapter of
// this project, so that it can be read and tested alone.
func TestEngineImportsNoTransportOrAdapter(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := []string{
		"net/http", "github.com/aws/",
		"trinetsync/internal/store", "trinetsync/internal/secrets", "trinetsync/internal/queue",
		"trinetsync/internal/trinet", "trinetsync/internal/leapsome", "trinetsync/internal/api",
		"trinetsync/internal/app", "trinetsync/internal/sandbox",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") || (strings.HasSuffix(f, "/") && strings.HasPrefix(dep, f)) {
				t.Errorf("internal/provision depends on %s", dep)
			}
		}
	}
}
