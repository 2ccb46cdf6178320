package provision

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestHireNeverPrintsPersonalData(t *testing.T) {
	h := Hire{FirstName: "Ada", LastName: "Lovelace", StartDate: "2026-12-01", NationalID: "123-45-6789",
		BirthDate: "1990-12-10", Address1: "1 Main St", Ethnicity: "WHITE"}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("oops", "hire", h)
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s", h, h, h, h), fmt.Sprintf("%v", &h), logs.String()} {
		for _, s := range []string{"123-45-6789", "1990-12-10", "1 Main St", "WHITE"} {
			if strings.Contains(out, s) {
				t.Errorf("printed %q: %s", s, out)
			}
		}
		if !strings.Contains(out, "Ada Lovelace") {
			t.Errorf("printed without the name: %s", out)
		}
	}
}
