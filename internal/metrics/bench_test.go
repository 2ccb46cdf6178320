package metrics_test

import (
	"io"
	"testing"

	"trinetsync/internal/metrics"
)

// BenchmarkWrite is one record the size of a finished run's (15 metrics, a
// dimension, four properties): what a run or an API request costs to report.
func BenchmarkWrite(b *testing.B) {
	w := metrics.New(io.Discard, "Bench")
	plain := make([]metrics.Metric, 0, 14)
	for _, n := range []string{"RunDuration", "BackoffsStarted", "PeopleCreated", "PeopleUpdated", "PeopleLinked",
		"PeopleUnchanged", "PeopleSuggested", "PeoplePending", "PeopleHeld", "PeopleErrors", "PeopleExcluded",
		"ErrorItems", "WarningItems", "Retries"} {
		plain = append(plain, metrics.Metric{Name: n, Unit: metrics.Count, Value: 12})
	}
	r := metrics.Record{
		Dimensions: map[string]string{"Status": "partial"},
		Properties: map[string]any{"tenant": "acme", "syncId": "sched-20251130t080000z-acme", "trigger": "schedule", "dryRun": false},
		Groups: []metrics.Group{
			{DimensionSets: [][]string{{"Status"}}, Metrics: []metrics.Metric{{Name: "Runs", Unit: metrics.Count, Value: 1}}},
			{Metrics: plain},
		},
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(r); err != nil {
			b.Fatal(err)
		}
	}
}
