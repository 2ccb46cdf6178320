package leapsome

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenAPICopiesMatchTheSpec keeps testdata/ (which the client's and the
// sandbox's tests validate against) identical to the contract's documents in
// ../shared, which sits beside the repository in development and in CI.
func TestOpenAPICopiesMatchTheSpec(t *testing.T) {
	for _, name := range []string{"content-api.yml", "scim-api.yml"} {
		want, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "spec", "leapsome-openapi", name))
		if err != nil {
			t.Fatalf("the contract's copy: %v", err)
		}
		got, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("testdata/%s differs from ../shared/spec/leapsome-openapi/%s: copy it again", name, name)
		}
	}
}
