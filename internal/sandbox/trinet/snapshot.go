package trinet

import (
	"fmt"
	"slices"
	"strings"
)

// Snapshot is the sandbox's lasting state: companies (with their API
// credentials), employees and the record of writes. Tokens, faults and call
// counters are left out: they belong to one process's life, and a client
// simply asks for a new token. The local stack saves a snapshot on shutdown
// so that hires made before a restart still exist after it.
type Snapshot struct {
	Companies []CompanySnapshot `json:"companies"`
}

// CompanySnapshot is one company's lasting state.
type CompanySnapshot struct {
	Company   Company    `json:"company"`
	Employees []Employee `json:"employees"`
	NextID    int        `json:"nextId"`
	Writes    []Write    `json:"writes"`
}

// Snapshot copies the lasting state, companies in id order.
func (s *Server) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	var snap Snapshot
	for _, co := range s.companies {
		cs := CompanySnapshot{Company: co.Company, NextID: co.nextID, Employees: make([]Employee, 0, len(co.order)), Writes: make([]Write, 0, len(co.writes))}
		cs.Company.Departments = slices.Clone(co.Departments)
		cs.Company.Locations = slices.Clone(co.Locations)
		for _, id := range co.order {
			cs.Employees = append(cs.Employees, *co.employees[id])
		}
		for _, w := range co.writes {
			cs.Writes = append(cs.Writes, *w)
		}
		snap.Companies = append(snap.Companies, cs)
	}
	slices.SortFunc(snap.Companies, func(a, b CompanySnapshot) int { return strings.Compare(a.Company.ID, b.Company.ID) })
	return snap
}

// Restore loads a snapshot into the sandbox; a company that already exists
// is an error (restore into a fresh sandbox).
func (s *Server) Restore(snap Snapshot) error {
	for _, cs := range snap.Companies {
		if err := s.AddCompany(cs.Company); err != nil {
			return fmt.Errorf("trinet sandbox: restore: %w", err)
		}
		s.mu.Lock()
		co := s.companies[cs.Company.ID]
		for _, e := range cs.Employees {
			if e.ID == "" {
				s.mu.Unlock()
				return fmt.Errorf("trinet sandbox: restore company %q: an employee has no id", cs.Company.ID)
			}
			co.put(&e)
		}
		co.nextID = max(co.nextID, cs.NextID)
		for _, w := range cs.Writes {
			co.writes = append(co.writes, &w)
		}
		s.mu.Unlock()
	}
	return nil
}
