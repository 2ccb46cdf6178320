package localstack

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"trinetsync/internal/api"
	"trinetsync/internal/app"
	"trinetsync/internal/eventbus"
	"trinetsync/internal/metrics"
	trinetsandbox "trinetsync/internal/sandbox/trinet"
)

// TestOperability runs the stack as `make run` does, with the demo tenant,
// and reads what an operator reads in AWS:
//   - the EMF records the functions print: every metric of the service is
//     there with its unit and dimensions (the run's, the invocation's, the
//     tick's and the API's), and the 429s TriNet answered are counted;
//   - DATA_DIR/events.jsonl: a partial run, a back-off and a console
//     revocation, each as EventBridge would deliver it, naming no person;
//   - GET …/audit: the admin actions of the story, newest first, with their
//     actors.
func TestOperability(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dataDir := t.TempDir()
	emf := &syncBuffer{}
	progress := &syncBuffer{}
	st := startStack(t, ctx, Config{
		DataDir: dataDir, APIAddr: "127.0.0.1:0", SyncInterval: 24 * time.Hour, JWTSecret: scenarioSecret,
		DemoTenant: "demo", FirstSync: true, Logger: testLogger(), Metrics: emf, Progress: progress,
	})
	defer st.Close()
	if st.EventsPath != filepath.Join(dataDir, EventsFile) {
		t.Fatalf("events file %q", st.EventsPath)
	}
	demo := st.client(t, "demo", false)
	admin := st.client(t, "", true)

	// The demo's first sync ends partial (people TriNet cannot take).
	first := demo.waitRun("demo", st.FirstSyncID)
	if first.Status != "partial" {
		t.Fatalf("first sync %+v, want partial", first)
	}
	// A sync that meets two 429s from TriNet.
	st.Infra.TriNet.SetFaults("ACM", trinetsandbox.Faults{Throttle: 2, Endpoint: "employees"})
	throttled := demo.trigger("demo", map[string]any{})
	if !throttled.final() {
		t.Fatalf("sync under 429s: %+v", throttled)
	}
	if _, err := st.Tick(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}

	// Another tenant: settings by an admin, three runs refused by TriNet
	// (back-off), then its secret deleted as in the console.
	f := newFixture(t, st, "ops", false, true)
	f.addPerson(true, -400)
	var set map[string]any
	f.c.call(http.MethodGet, f.path("/settings"), nil, http.StatusOK, &set)
	set["massCreateMaxPercent"] = 50
	admin.call(http.MethodPut, f.path("/settings"), set, http.StatusOK, nil)
	secretFile := filepath.Join(dataDir, "secrets", "trinet-sync_tenants_"+f.tenant+".json")
	editSecret(t, secretFile, func(_, creds map[string]any) {
		creds["trinet"].(map[string]any)["clientSecret"] = "rotated-elsewhere"
	})
	for range 3 {
		if r := f.c.trigger(f.tenant, map[string]any{}); r.Status != "failed" {
			t.Fatalf("run with a refused secret: %+v", r)
		}
	}
	if err := os.Remove(secretFile); err != nil {
		t.Fatal(err)
	}
	revoked := f.c.trigger(f.tenant, map[string]any{})
	if revoked.Error == nil || revoked.Error.Code != app.CodeCredentialsRevoked {
		t.Fatalf("run after the console deletion: %+v", revoked)
	}

	t.Run("metrics", func(t *testing.T) {
		pts, err := metrics.Decode(strings.NewReader(emf.String()))
		if err != nil {
			t.Fatal(err)
		}
		type shape struct {
			name string
			unit metrics.Unit
			dims string
		}
		shapeOf := func(p metrics.Point) shape {
			return shape{p.Name, p.Unit, strings.Join(p.Dimensions, ",")}
		}
		printed := map[shape]bool{}
		for _, p := range pts {
			printed[shapeOf(p)] = true
			if p.Namespace != metrics.DefaultNamespace {
				t.Errorf("%s in namespace %q", p.Name, p.Namespace)
			}
		}
		// Every metric the code writes (its own samples) was printed, with
		// its unit and dimensions; only the loss of events needs a bus that
		// refuses them.
		var samples []metrics.Record
		samples = append(samples, app.SampleRecords()...)
		samples = append(samples, api.SampleRecords()...)
		var buf syncBuffer
		w := metrics.New(&buf, "")
		for _, r := range samples {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		want, err := metrics.Decode(strings.NewReader(buf.String()))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range want {
			if s := shapeOf(p); !printed[s] && s.name != app.MetricEventsLost {
				t.Errorf("no %s (%s, dimensions [%s]) among the %d points printed", s.name, s.unit, s.dims, len(pts))
			}
		}
		// The runs by status, and the throttled run's 429s and retries.
		statuses := map[string]bool{}
		var s429, retries float64
		for _, p := range pts {
			switch {
			case p.Name == app.MetricRuns:
				statuses[p.Values[app.DimensionStatus]] = true
			case p.Name == app.MetricTriNet429s && p.Record["syncId"] == throttled.SyncID:
				s429 += p.Value
			case p.Name == app.MetricRetries && p.Record["syncId"] == throttled.SyncID:
				retries += p.Value
			}
			if p.Record["_aws"] == nil {
				t.Fatalf("%s: no metadata", p.Name)
			}
			for _, d := range p.Dimensions {
				if d != app.DimensionStatus && d != api.DimensionRoute && d != api.DimensionStatusClass {
					t.Errorf("%s has dimension %s: dimensions stay low-cardinality", p.Name, d)
				}
			}
		}
		if !statuses["partial"] || !statuses["failed"] {
			t.Errorf("Runs by status %v, want partial and failed", statuses)
		}
		if s429 != 2 || retries < 2 {
			t.Errorf("the throttled run counted %v 429s and %v retries, want 2 and at least 2", s429, retries)
		}
	})

	t.Run("events", func(t *testing.T) {
		raw, err := os.ReadFile(st.EventsPath)
		if err != nil {
			t.Fatal(err)
		}
		var evs []Envelope
		sc := bufio.NewScanner(strings.NewReader(string(raw)))
		for sc.Scan() {
			var e Envelope
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("events.jsonl line %q: %v", sc.Text(), err)
			}
			evs = append(evs, e)
		}
		find := func(detailType, tenant string, match func(map[string]any) bool) map[string]any {
			t.Helper()
			for _, e := range evs {
				var d map[string]any
				if err := json.Unmarshal(e.Detail, &d); err != nil {
					t.Fatal(err)
				}
				if e.DetailType == detailType && d["tenantId"] == tenant && (match == nil || match(d)) {
					if e.Source != "trinet-sync" || e.Version != "0" || e.ID == "" || e.Time.IsZero() {
						t.Errorf("envelope %+v", e)
					}
					return d
				}
			}
			t.Errorf("no %q event of %s in events.jsonl:\n%s", detailType, tenant, raw)
			return nil
		}
		find(eventbus.TypeSyncFinished, "demo", func(d map[string]any) bool {
			return d["syncId"] == st.FirstSyncID && d["status"] == "partial"
		})
		if d := find(eventbus.TypeTenantBackedOff, f.tenant, nil); d != nil && (d["failures"] != 3.0 || d["reason"] == "") {
			t.Errorf("Tenant Backed Off %v", d)
		}
		find(eventbus.TypeCredentialsRevoked, f.tenant, func(d map[string]any) bool { return d["syncId"] == revoked.SyncID })
		// No personal data: no email, no name of the fixture's people or the
		// demo's, and nothing but the contract's fields.
		if strings.Contains(string(raw), "@") {
			t.Errorf("an email in events.jsonl:\n%s", raw)
		}
		for _, name := range []string{"Liam", "Johnson", "Pat"} {
			if strings.Contains(string(raw), name) {
				t.Errorf("a name (%s) in events.jsonl", name)
			}
		}
		if !strings.Contains(progress.String(), `event "Tenant Backed Off"`) {
			t.Errorf("the back-off was not printed:\n%s", progress.String())
		}
	})

	t.Run("audit", func(t *testing.T) {
		// The admin disconnects the revoked tenant; a refused trigger is no action.
		status, hdr := requestWithHeaders(t, http.MethodDelete, st.APIURL+f.path("/connection"), admin.token)
		if status != http.StatusNoContent || hdr.Get(api.RequestIDHeader) == "" {
			t.Fatalf("disconnect: %d, %s %q", status, api.RequestIDHeader, hdr.Get(api.RequestIDHeader))
		}
		if status, _ := requestWithHeaders(t, http.MethodPost, st.APIURL+f.path("/syncs"), admin.token); status != http.StatusConflict {
			t.Fatalf("trigger on a disconnected tenant: %d", status)
		}
		var page struct {
			Items []struct {
				At        time.Time      `json:"at"`
				Actor     string         `json:"actor"`
				Action    string         `json:"action"`
				RequestID string         `json:"requestId"`
				Details   map[string]any `json:"details"`
			} `json:"items"`
			NextToken *string `json:"nextToken"`
		}
		admin.call(http.MethodGet, f.path("/audit"), nil, http.StatusOK, &page)
		tenantActor, adminActor := "local-"+f.tenant, "local-admin"
		// Newest first: the fixture's connect and settings (its own token),
		// the admin's settings, four triggers.
		want := []string{
			adminActor + " disconnected", tenantActor + " sync_triggered", tenantActor + " sync_triggered", tenantActor + " sync_triggered",
			tenantActor + " sync_triggered", adminActor + " settings_changed", tenantActor + " settings_changed",
			tenantActor + " connected",
		}
		var got []string
		for i, it := range page.Items {
			got = append(got, it.Actor+" "+it.Action)
			if it.RequestID == "" || (i > 0 && it.At.After(page.Items[i-1].At)) {
				t.Errorf("entry %d %+v: want a request id, newest first", i, it)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("audit trail %q\nwant %q", got, want)
		}
		if changed := page.Items[5].Details["changed"]; !slices.Equal(changed.([]any), []any{"massCreateMaxPercent"}) {
			t.Errorf("the admin's change %v, want massCreateMaxPercent", changed)
		}
		// The request id is the one the API answered the action with.
		if got := page.Items[0].RequestID; got != hdr.Get(api.RequestIDHeader) {
			t.Errorf("disconnected with request id %q, answered %q", got, hdr.Get(api.RequestIDHeader))
		}
		if page.Items[1].Details["syncId"] != revoked.SyncID {
			t.Errorf("last trigger %v, want %s", page.Items[1].Details, revoked.SyncID)
		}
	})
}

// requestWithHeaders sends one request and answers the status and the headers.
func requestWithHeaders(t *testing.T, method, url, token string) (int, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header
}
