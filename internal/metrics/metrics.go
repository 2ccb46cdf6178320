// Package metrics writes the service's own metrics in CloudWatch's Embedded
// Metric Format (EMF): one JSON object per line, which CloudWatch Logs turns
// into metrics when a Lambda function prints it on standard output. Nothing
// is sent anywhere by this package and nothing is buffered: a record is one
// line, written whole, so that a function that times out loses at most the
// record it was writing.
//
// Dimensions stay low-cardinality (a run's status, an API route): a tenant id
// is a property of the record, searchable in Logs Insights, never a
// dimension, which would make one metric per tenant.
//
// The format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
package metrics

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sync"
	"time"
)

// Unit is a CloudWatch unit.
type Unit string

// The units the service uses.
const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
)

// DefaultNamespace is the metrics' namespace when none is configured.
const DefaultNamespace = "TriNetSync"

// EMF's limits (the specification): more would make CloudWatch drop the
// record, so the writer refuses it instead.
const (
	maxMetricsPerDirective = 100
	maxDimensionsPerSet    = 30
	maxNameLength          = 255
	maxDimensionValue      = 1024
)

// Metric is one value of a record.
type Metric struct {
	Name  string
	Unit  Unit
	Value float64
}

// Group is a set of metrics published under the same dimension sets. An
// empty set ([]string{}) publishes the metrics without dimensions.
type Group struct {
	DimensionSets [][]string
	Metrics       []Metric
}

// Record is one EMF log event: its groups of metrics, the values of the
// dimensions they name, and properties that are logged but not metrics.
type Record struct {
	Time       time.Time
	Dimensions map[string]string
	Properties map[string]any
	Groups     []Group
}

// Writer writes records as EMF lines. A nil *Writer writes nothing, so a
// caller without metrics needs no check. It is safe for concurrent use.
type Writer struct {
	mu        sync.Mutex
	out       io.Writer
	namespace string
	now       func() time.Time
}

// New returns a Writer printing to out under namespace (DefaultNamespace
// when empty).
func New(out io.Writer, namespace string) *Writer {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	return &Writer{out: out, namespace: namespace, now: time.Now}
}

// Namespace is the namespace the writer publishes under.
func (w *Writer) Namespace() string {
	if w == nil {
		return ""
	}
	return w.namespace
}

type directive struct {
	Namespace  string       `json:"Namespace"`
	Dimensions [][]string   `json:"Dimensions"`
	Metrics    []metricSpec `json:"Metrics"`
}

type metricSpec struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit,omitempty"`
}

type metadata struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

// Write prints r as one line. A record EMF would reject (a metric named like
// a dimension or a property, a dimension without a value, a value that is
// not a finite number, too many metrics or dimensions) is an error and
// nothing is written.
func (w *Writer) Write(r Record) error {
	if w == nil {
		return nil
	}
	line, err := w.encode(r)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err = w.out.Write(line)
	return err
}

func (w *Writer) encode(r Record) ([]byte, error) {
	at := r.Time
	if at.IsZero() {
		at = w.now()
	}
	doc := make(map[string]any, len(r.Properties)+len(r.Dimensions)+8)
	for k, v := range r.Properties {
		if k == "_aws" {
			return nil, fmt.Errorf("metrics: property %q is reserved", k)
		}
		doc[k] = v
	}
	for k, v := range r.Dimensions {
		if _, clash := doc[k]; clash {
			return nil, fmt.Errorf("metrics: dimension %q is also a property", k)
		}
		if v == "" || len(v) > maxDimensionValue {
			return nil, fmt.Errorf("metrics: dimension %q needs a value of 1 to %d bytes", k, maxDimensionValue)
		}
		doc[k] = v
	}
	meta := metadata{Timestamp: at.UnixMilli()}
	seen := map[string]bool{}
	for _, g := range r.Groups {
		if len(g.Metrics) == 0 {
			continue
		}
		if len(g.Metrics) > maxMetricsPerDirective {
			return nil, fmt.Errorf("metrics: %d metrics in one group, at most %d", len(g.Metrics), maxMetricsPerDirective)
		}
		sets := g.DimensionSets
		if len(sets) == 0 {
			sets = [][]string{{}}
		}
		for _, set := range sets {
			if len(set) > maxDimensionsPerSet {
				return nil, fmt.Errorf("metrics: %d dimensions in one set, at most %d", len(set), maxDimensionsPerSet)
			}
			for _, d := range set {
				if _, ok := r.Dimensions[d]; !ok {
					return nil, fmt.Errorf("metrics: dimension %q has no value", d)
				}
			}
		}
		d := directive{Namespace: w.namespace, Dimensions: sets, Metrics: make([]metricSpec, 0, len(g.Metrics))}
		for _, m := range g.Metrics {
			switch {
			case m.Name == "" || len(m.Name) > maxNameLength:
				return nil, fmt.Errorf("metrics: a metric name must be 1 to %d bytes", maxNameLength)
			case math.IsNaN(m.Value) || math.IsInf(m.Value, 0):
				return nil, fmt.Errorf("metrics: %s is not a finite number", m.Name)
			case seen[m.Name]:
				return nil, fmt.Errorf("metrics: %s given twice", m.Name)
			}
			if _, clash := doc[m.Name]; clash {
				return nil, fmt.Errorf("metrics: %s is also a dimension or property", m.Name)
			}
			seen[m.Name] = true
			doc[m.Name] = m.Value
			d.Metrics = append(d.Metrics, metricSpec{Name: m.Name, Unit: m.Unit})
		}
		meta.CloudWatchMetrics = append(meta.CloudWatchMetrics, d)
	}
	if len(meta.CloudWatchMetrics) == 0 {
		return nil, fmt.Errorf("metrics: a record needs at least one metric")
	}
	doc["_aws"] = meta
	line, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("metrics: encode: %w", err)
	}
	return append(line, '\n'), nil
}
