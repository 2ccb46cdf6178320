package metrics

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"
)

// Point is one metric value as CloudWatch reads it from an EMF line: one per
// metric and dimension set.
type Point struct {
	Namespace string
	Name      string
	Unit      Unit
	Value     float64
	// Dimensions is the dimension set, in order; Values holds their values.
	Dimensions []string
	Values     map[string]string
	Time       time.Time
	// Record is the whole line, properties included.
	Record map[string]any
}

// Decode reads what a Writer wrote, as CloudWatch Logs would: every line
// that is an EMF object becomes its points; any other line (a log line) is
// skipped. A line that claims to be EMF (it has "_aws") but breaks the
// format is an error naming its line number: CloudWatch would drop it.
func Decode(r io.Reader) ([]Point, error) {
	var out []Point
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' || !bytes.Contains(line, []byte(`"_aws"`)) {
			continue
		}
		pts, err := decodeLine(line)
		if err != nil {
			return nil, fmt.Errorf("metrics: line %d: %w", n, err)
		}
		out = append(out, pts...)
	}
	return out, sc.Err()
}

func decodeLine(line []byte) ([]Point, error) {
	var doc map[string]any
	if err := json.Unmarshal(line, &doc); err != nil {
		return nil, nil // not JSON after all: a log line quoting "_aws"
	}
	rawMeta, ok := doc["_aws"]
	if !ok {
		return nil, nil
	}
	b, _ := json.Marshal(rawMeta)
	var meta metadata
	if err := json.Unmarshal(b, &meta); err != nil {
		return nil, fmt.Errorf("_aws: %w", err)
	}
	if meta.Timestamp <= 0 || len(meta.CloudWatchMetrics) == 0 {
		return nil, fmt.Errorf("_aws needs a Timestamp and CloudWatchMetrics")
	}
	var out []Point
	for _, d := range meta.CloudWatchMetrics {
		if d.Namespace == "" || len(d.Metrics) == 0 {
			return nil, fmt.Errorf("a directive needs a Namespace and Metrics")
		}
		for _, m := range d.Metrics {
			v, ok := doc[m.Name].(float64)
			if !ok {
				return nil, fmt.Errorf("metric %s has no numeric value", m.Name)
			}
			for _, set := range d.Dimensions {
				vals := map[string]string{}
				for _, dim := range set {
					s, ok := doc[dim].(string)
					if !ok {
						return nil, fmt.Errorf("dimension %s of %s has no string value", dim, m.Name)
					}
					vals[dim] = s
				}
				out = append(out, Point{
					Namespace: d.Namespace, Name: m.Name, Unit: m.Unit, Value: v,
					Dimensions: slices.Clone(set), Values: vals,
					Time: time.UnixMilli(meta.Timestamp).UTC(), Record: doc,
				})
			}
		}
	}
	return out, nil
}
