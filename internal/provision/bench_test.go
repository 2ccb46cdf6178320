package provision

import (
	"fmt"
	"runtime"
	"testing"
)

// planInput builds a tenant of n people: 75 % linked and unchanged (phones in
// E.164 on both sides, as after a first sync), 10 % linked with a changed title
// and a phone written locally, 10 % new hires (half reporting to a new
// manager), 5 % excluded.
func planInput(n int) PlanInput {
	f := newFixture()
	in := PlanInput{Settings: autoCreate(true), Now: testNow, ConfirmCreates: true,
		Company: CompanyData{Departments: f.company.depts, Locations: f.company.locs}}
	in.Directory.Locations = f.people.dir.Locations
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%024x", i)
		email := fmt.Sprintf("p%d@example.com", i)
		p := person(id, "First", fmt.Sprint(i), email)
		p.SCIM = &SCIMUser{Gender: "female", Birthday: "1990-12-10"}
		p.Phone = "+14155550100"
		switch i % 20 {
		case 0:
			p.Status = "removed"
		case 1:
			p.ManagerID = fmt.Sprintf("%024x", i+1)
			in.Directory.People = append(in.Directory.People, p)
			continue
		case 2:
			in.Directory.People = append(in.Directory.People, p)
			continue
		case 3, 4:
			p.Title = "Changed"
			p.Phone = "(415) 555-0199"
		}
		in.Directory.People = append(in.Directory.People, p)
		eid := fmt.Sprintf("%08d", i)
		e := employee(eid, "First", fmt.Sprint(i), email)
		e.Gender, e.BirthDate = "F", "1990-12-10"
		in.Company.Employees = append(in.Company.Employees, e)
		in.Links = append(in.Links, Link{UserID: id, EmployeeID: eid})
	}
	return in
}

func benchmarkPlan(b *testing.B, n int) {
	in := planInput(n)
	b.ReportAllocs()
	var peak uint64
	var ms runtime.MemStats
	b.ResetTimer()
	for b.Loop() {
		p := Plan(in)
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > peak {
			peak = ms.HeapInuse
		}
		if len(p.Steps) != n {
			b.Fatalf("steps %d", len(p.Steps))
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "MiB-heap-inuse")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/person")
}

func BenchmarkPlan10k(b *testing.B) { benchmarkPlan(b, 10_000) }
func BenchmarkPlan50k(b *testing.B) { benchmarkPlan(b, 50_000) }

// TestPlanInputShape keeps the benchmark honest: its tenant has the mix it claims.
func TestPlanInputShape(t *testing.T) {
	p := Plan(planInput(1000))
	var c Counts
	for _, st := range p.Steps {
		switch st.Item.Action {
		case ActionCreate:
			c.Created++
		case ActionUpdate:
			c.Updated++
		case ActionUnchanged:
			c.Unchanged++
		case ActionExcluded:
			c.Excluded++
		default:
			t.Fatalf("unexpected %+v %+v", st.Item, st.Issues)
		}
	}
	if c.Created != 100 || c.Updated != 100 || c.Unchanged != 750 || c.Excluded != 50 {
		t.Fatalf("%+v", c)
	}
}
