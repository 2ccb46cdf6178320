package trinet

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unique"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

// maxPages bounds a listing (a million employees) so that a server that
// always says hasMore cannot keep a run paging forever.
const maxPages = 10_000

func getData[T any](ctx context.Context, c *Client, endpoint, path, query string) (T, error) {
	var env envelope[T]
	err := c.do(ctx, &call{
		endpoint: endpoint,
		method:   http.MethodGet,
		path:     path,
		query:    query,
		decode: func(b []byte) error {
			env = envelope[T]{}
			return json.Unmarshal(b, &env)
		},
	})
	return env.Data, err
}

// OrgDetails reads the company the credentials belong to. It is the cheapest
// call that proves both the credentials (401 → fault.ErrAuth) and the company
// id (403 → fault.ErrForbidden).
func (c *Client) OrgDetails(ctx context.Context) (OrgDetails, error) {
	d, err := getData[wireOrgDetails](ctx, c, epOrgDetails, c.path(pathOrgDetails), "")
	if err != nil {
		return OrgDetails{}, err
	}
	return OrgDetails{CompanyID: string(d.CompanyID), CompanyName: string(d.CompanyName)}, nil
}

// Departments lists the company's departments. Entries without an id are
// skipped: nothing could be assigned to them.
func (c *Client) Departments(ctx context.Context) ([]provision.Department, error) {
	ds, err := getData[[]wireDepartment](ctx, c, epDepartments, c.path(pathDepartments), "")
	if err != nil {
		return nil, err
	}
	out := make([]provision.Department, 0, len(ds))
	for i, d := range ds {
		id := strings.TrimSpace(string(d.DeptID))
		if id == "" {
			c.log.WarnContext(ctx, "trinet departments: entry without deptId skipped", "company", c.rawCo, "index", i)
			continue
		}
		out = append(out, provision.Department{ID: id, Name: string(d.DeptName)})
	}
	return out, nil
}

// Locations lists the company's work locations, skipping entries without an id.
func (c *Client) Locations(ctx context.Context) ([]provision.Location, error) {
	ls, err := getData[[]wireLocation](ctx, c, epLocations, c.path(pathLocations), "")
	if err != nil {
		return nil, err
	}
	out := make([]provision.Location, 0, len(ls))
	for i, l := range ls {
		id := strings.TrimSpace(string(l.LocationID))
		if id == "" {
			c.log.WarnContext(ctx, "trinet locations: entry without locationId skipped", "company", c.rawCo, "index", i)
			continue
		}
		out = append(out, provision.Location{ID: id, Name: string(l.LocationName), Country: string(l.Country)})
	}
	return out, nil
}

type page struct {
	offset int
	data   wireEmployeePage
}

func (c *Client) page(ctx context.Context, offset int) (page, error) {
	q := url.Values{
		queryViewType: {employeesView},
		queryOffset:   {strconv.Itoa(offset)},
		queryLimit:    {strconv.Itoa(pageLimit)},
	}
	var env envelope[wireEmployeePage]
	err := c.do(ctx, &call{
		endpoint: epEmployees,
		method:   http.MethodGet,
		path:     c.path(pathEmployees),
		query:    q.Encode(),
		decode:   func(b []byte) error { return decodeEmployeePage(b, &env) },
	})
	if err != nil {
		return page{}, fmt.Errorf("list employees at offset %d: %w", offset, err)
	}
	return page{offset: offset, data: env.Data}, nil
}

// Employees lists every employee TriNet lists (pending hires are not among
// them), in TriNet's order, each once.
//
// TriNet gives no total, only hasMore. After the first page the next pages are
// fetched in windows of growing width (2, 4, … up to PageWindow) at once; the
// listing ends at the first page that is empty or says hasMore false, and the
// pages fetched past it are dropped. A page shorter than the limit that still
// says hasMore shifts the following offsets, so the rest of its window is
// dropped and the next window starts right after it: no record is skipped.
//
// Only a page the listing needs can fail it: one whose offset is the next to
// read while the previous page said hasMore. A page fetched ahead past the
// end may fail in any way (some servers answer 400 for an offset beyond the
// last record); its error is dropped with it.
func (c *Client) Employees(ctx context.Context) ([]provision.Employee, error) {
	first, err := c.page(ctx, 1)
	if err != nil {
		return nil, err
	}
	l := lister{c: c, seen: make(map[string]struct{}, len(first.data.EmployeeData))}
	l.out = make([]provision.Employee, 0, len(first.data.EmployeeData))
	next, more := l.add(first)
	width := min(2, c.window)
	for pages := 1; more; pages++ {
		if pages >= maxPages {
			return nil, fault.New(fault.Transient, "trinet employees: still more after %d pages", maxPages)
		}
		if next, more, err = c.fetchWindow(ctx, &l, next, width); err != nil {
			return nil, err
		}
		width = min(width*2, c.window)
	}
	if cap(l.out)-len(l.out) > len(l.out)/8 {
		// The list grew by doubling and a run holds it to its end: not with
		// up to half as much again of empty room.
		return slices.Clone(l.out), nil
	}
	return l.out, nil
}

// fetched is one page of a window, or why it could not be had.
type fetched struct {
	page page
	err  error
}

// fetchWindow fetches width pages from offset next at once and adds them to
// l in order, as far as the listing goes; it says where the next window
// starts. Every fetch is awaited (not cancelled when the listing ends inside
// the window) so that the pages asked for depend only on TriNet's answers.
func (c *Client) fetchWindow(ctx context.Context, l *lister, next, width int) (int, bool, error) {
	win := make([]fetched, width)
	var wg sync.WaitGroup
	for i := range win {
		f := &win[i]
		off := next + i*pageLimit
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.page, f.err = c.page(ctx, off)
			f.page.offset = off
		}()
	}
	wg.Wait()
	more := true
	for i := range win {
		f := &win[i]
		if f.page.offset != next {
			break // the previous page was short: refetch from next
		}
		if f.err != nil {
			return 0, false, f.err // a page the listing needs
		}
		if next, more = l.add(f.page); !more {
			break
		}
	}
	return next, more, nil
}

type lister struct {
	c    *Client
	out  []provision.Employee
	seen map[string]struct{}
}

// add takes one page and says where the next starts and whether there is one.
func (l *lister) add(p page) (next int, more bool) {
	recs := p.data.EmployeeData
	for i := range recs {
		e, ok := toEmployee(&recs[i])
		if !ok {
			l.c.log.Warn("trinet employees: record without employeeId skipped",
				"company", l.c.rawCo, "position", p.offset+i)
			continue
		}
		// Records shift when someone is added while we page: keep the first.
		if _, dup := l.seen[e.ID]; dup {
			continue
		}
		l.seen[e.ID] = struct{}{}
		l.out = append(l.out, e)
	}
	return p.offset + len(recs), bool(p.data.HasMore) && len(recs) > 0
}

func toEmployee(w *wireEmployee) (provision.Employee, bool) {
	id := strings.TrimSpace(string(w.EmployeeID))
	if id == "" {
		return provision.Employee{}, false
	}
	e := provision.Employee{ID: id}
	name := -1
	for i, n := range w.Names {
		t := strings.TrimSpace(string(n.NameType))
		if strings.EqualFold(t, listPrimaryNameType) {
			name = i
			break
		}
		// A record with one untyped name: that is the name.
		if t == "" && name < 0 && len(w.Names) == 1 {
			name = i
		}
	}
	if name >= 0 {
		n := w.Names[name]
		e.FirstName, e.MiddleName, e.LastName = string(n.FirstName), string(n.MiddleName), string(n.LastName)
	}
	// Codes, departments and locations are shared by many employees: held
	// once (see shared), not once per employee, as a run holds them all.
	b := &w.BiographicalInfo
	e.Gender, e.BirthDate, e.Ethnicity = shared(string(b.Gender)), string(b.BirthDate), shared(string(b.Ethnicity))
	e.MaritalStatus, e.Country = shared(string(b.MaritalStatus)), shared(string(b.Country))
	m := &w.EmploymentInfo
	e.Status, e.StartDate, e.Title = shared(string(m.EmploymentStatus)), shared(string(m.StartDate)), shared(string(m.BusinessTitle))
	e.EmployeeType, e.FLSACode = shared(string(m.EmployeeType)), shared(string(m.FLSACode))
	e.StandardHours = shared(strings.TrimSpace(string(m.StandardHours)))
	e.WorkEmail, e.WorkPhone = string(m.WorkEmail), string(m.WorkPhone)
	e.CustomGroupA, e.CustomGroupB = shared(string(m.CustomGroupA)), shared(string(m.CustomGroupB))
	e.LocationID, e.LocationName = shared(strings.TrimSpace(string(m.Location.LocationID))), shared(string(m.Location.LocationName))
	e.DeptID, e.DeptName = shared(strings.TrimSpace(string(m.Department.DeptID))), shared(string(m.Department.DeptName))
	e.SupervisorID = strings.TrimSpace(string(m.Supervisor.SupervisorID))
	return e, true
}

// shared is the one copy of a value many employees hold alike.
func shared(s string) string {
	if s == "" {
		return ""
	}
	return unique.Make(s).Value()
}
