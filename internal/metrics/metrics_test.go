package metrics_test

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"trinetsync/internal/metrics"
)

var at = time.Date(2025, 11, 30, 8, 0, 0, 0, time.UTC)

func TestWriteIsOneEMFLine(t *testing.T) {
	var buf bytes.Buffer
	w := metrics.New(&buf, "Test/NS")
	err := w.Write(metrics.Record{
		Time:       at,
		Dimensions: map[string]string{"Status": "partial"},
		Properties: map[string]any{"tenant": "acme", "syncId": "s1"},
		Groups: []metrics.Group{
			{DimensionSets: [][]string{{"Status"}}, Metrics: []metrics.Metric{{Name: "Runs", Unit: metrics.Count, Value: 1}}},
			{Metrics: []metrics.Metric{{Name: "RunDuration", Unit: metrics.Milliseconds, Value: 1234.5}}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(buf.String(), "\n") != 1 || !strings.HasSuffix(buf.String(), "\n") {
		t.Fatalf("want exactly one line: %q", buf.String())
	}
	// The document as the specification has it.
	var doc struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Tenant      string  `json:"tenant"`
		Status      string  `json:"Status"`
		Runs        float64 `json:"Runs"`
		RunDuration float64 `json:"RunDuration"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.AWS.Timestamp != at.UnixMilli() || len(doc.AWS.CloudWatchMetrics) != 2 {
		t.Fatalf("metadata %+v", doc.AWS)
	}
	d0, d1 := doc.AWS.CloudWatchMetrics[0], doc.AWS.CloudWatchMetrics[1]
	if d0.Namespace != "Test/NS" || len(d0.Dimensions) != 1 || d0.Dimensions[0][0] != "Status" || d0.Metrics[0].Name != "Runs" || d0.Metrics[0].Unit != "Count" {
		t.Fatalf("first directive %+v", d0)
	}
	// No dimensions is one empty set, as EMF wants it.
	if len(d1.Dimensions) != 1 || len(d1.Dimensions[0]) != 0 || d1.Metrics[0].Unit != "Milliseconds" {
		t.Fatalf("second directive %+v", d1)
	}
	if doc.Tenant != "acme" || doc.Status != "partial" || doc.Runs != 1 || doc.RunDuration != 1234.5 {
		t.Fatalf("values %+v", doc)
	}

	pts, err := metrics.Decode(strings.NewReader("a log line\n" + buf.String() + `{"msg":"json log"}` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 {
		t.Fatalf("decoded %d points, want 2: %+v", len(pts), pts)
	}
	if p := pts[0]; p.Name != "Runs" || p.Values["Status"] != "partial" || p.Unit != metrics.Count || p.Record["tenant"] != "acme" || !p.Time.Equal(at) {
		t.Fatalf("point %+v", p)
	}
}

func TestWriteRefusesWhatEMFDrops(t *testing.T) {
	one := []metrics.Metric{{Name: "Runs", Unit: metrics.Count, Value: 1}}
	many := make([]metrics.Metric, 101)
	for i := range many {
		many[i] = metrics.Metric{Name: "M" + strings.Repeat("x", i), Value: 1}
	}
	tests := []struct {
		name string
		r    metrics.Record
	}{
		{"no metric", metrics.Record{}},
		{"dimension without value", metrics.Record{Groups: []metrics.Group{{DimensionSets: [][]string{{"Route"}}, Metrics: one}}}},
		{"empty dimension value", metrics.Record{Dimensions: map[string]string{"Route": ""}, Groups: []metrics.Group{{DimensionSets: [][]string{{"Route"}}, Metrics: one}}}},
		{"metric named like a property", metrics.Record{Properties: map[string]any{"Runs": 3}, Groups: []metrics.Group{{Metrics: one}}}},
		{"metric named like a dimension", metrics.Record{Dimensions: map[string]string{"Runs": "x"}, Groups: []metrics.Group{{Metrics: one}}}},
		{"dimension named like a property", metrics.Record{Dimensions: map[string]string{"tenant": "x"}, Properties: map[string]any{"tenant": "y"}, Groups: []metrics.Group{{Metrics: one}}}},
		{"reserved property", metrics.Record{Properties: map[string]any{"_aws": 1}, Groups: []metrics.Group{{Metrics: one}}}},
		{"not a number", metrics.Record{Groups: []metrics.Group{{Metrics: []metrics.Metric{{Name: "X", Value: math.NaN()}}}}}},
		{"infinite", metrics.Record{Groups: []metrics.Group{{Metrics: []metrics.Metric{{Name: "X", Value: math.Inf(1)}}}}}},
		{"twice", metrics.Record{Groups: []metrics.Group{{Metrics: one}, {Metrics: one}}}},
		{"too many", metrics.Record{Groups: []metrics.Group{{Metrics: many}}}},
		{"no name", metrics.Record{Groups: []metrics.Group{{Metrics: []metrics.Metric{{Value: 1}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := metrics.New(&buf, "").Write(tt.r); err == nil {
				t.Fatalf("written: %s", buf.String())
			}
			if buf.Len() != 0 {
				t.Fatalf("a refused record wrote %q", buf.String())
			}
		})
	}
}

func TestNilWriterWritesNothing(t *testing.T) {
	var w *metrics.Writer
	if err := w.Write(metrics.Record{}); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentRecordsStayWhole: records written at once never interleave
// within a line, or CloudWatch would drop both.
func TestConcurrentRecordsStayWhole(t *testing.T) {
	var buf bytes.Buffer
	w := metrics.New(&buf, "")
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = w.Write(metrics.Record{
				Properties: map[string]any{"i": i, "pad": strings.Repeat("p", 500)},
				Groups:     []metrics.Group{{Metrics: []metrics.Metric{{Name: "N", Unit: metrics.Count, Value: float64(i)}}}},
			})
		}()
	}
	wg.Wait()
	pts, err := metrics.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 50 {
		t.Fatalf("%d records decoded, want 50", len(pts))
	}
	if pts[0].Namespace != metrics.DefaultNamespace {
		t.Fatalf("namespace %q", pts[0].Namespace)
	}
}

func TestDecodeRejectsBrokenEMF(t *testing.T) {
	for _, line := range []string{
		`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"X"}]}]}}`,
		`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["D"]],"Metrics":[{"Name":"X"}]}]},"X":1}`,
		`{"_aws":{"CloudWatchMetrics":[]}}`,
	} {
		if _, err := metrics.Decode(strings.NewReader(line)); err == nil {
			t.Errorf("accepted %s", line)
		}
	}
}
