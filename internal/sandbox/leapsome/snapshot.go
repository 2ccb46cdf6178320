package leapsome

import (
	"maps"
	"slices"
	"time"

	"trinetsync/internal/fault"
)

// Snapshot is the sandbox's lasting state: tenants (with their credentials),
// work locations and people. Tokens, faults and call counters are left out:
// they belong to one process's life, and a client simply asks for a new
// token. The local stack saves a snapshot on shutdown so that edits made in
// the demo survive a restart.
type Snapshot struct {
	Tenants []TenantSnapshot `json:"tenants"`
	NextID  uint64           `json:"nextId"`
}

// TenantSnapshot is one tenant's lasting state.
type TenantSnapshot struct {
	Tenant        Tenant           `json:"tenant"`
	WorkLocations []WorkLocation   `json:"workLocations"`
	People        []PersonSnapshot `json:"people"`
}

// PersonSnapshot is a person with the bookkeeping SCIM shows as meta.
type PersonSnapshot struct {
	Employee Employee  `json:"employee"`
	Created  time.Time `json:"created"`
	Modified time.Time `json:"modified"`
	Version  int       `json:"version"`
}

// Snapshot copies the lasting state, tenants and people in id order.
func (s *Server) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := Snapshot{NextID: s.nextID}
	for _, id := range slices.Sorted(maps.Keys(s.tenants)) {
		t := s.tenants[id]
		ts := TenantSnapshot{Tenant: t.Tenant, WorkLocations: t.sortedLocations()}
		for _, p := range t.sortedPeople() {
			ts.People = append(ts.People, PersonSnapshot{Employee: p.Employee.clone(), Created: p.created, Modified: p.modified, Version: p.version})
		}
		snap.Tenants = append(snap.Tenants, ts)
	}
	return snap
}

// Restore loads a snapshot into the sandbox; a tenant that already exists is
// an error (restore into a fresh sandbox). People are taken as stored: they
// were validated when they were first put.
func (s *Server) Restore(snap Snapshot) error {
	for _, ts := range snap.Tenants {
		if err := s.AddTenant(ts.Tenant); err != nil {
			return err
		}
		for _, l := range ts.WorkLocations {
			if err := s.PutWorkLocation(ts.Tenant.ID, l); err != nil {
				return err
			}
		}
		s.mu.Lock()
		t := s.tenants[ts.Tenant.ID]
		for _, p := range ts.People {
			if p.Employee.ID == "" {
				s.mu.Unlock()
				return fault.Invalid("people.employee.id", "tenant %q: a person has no id", ts.Tenant.ID)
			}
			t.people[p.Employee.ID] = &person{Employee: p.Employee.clone(), created: p.Created, modified: p.Modified, version: p.Version}
		}
		s.mu.Unlock()
	}
	s.mu.Lock()
	s.nextID = max(s.nextID, snap.NextID)
	s.mu.Unlock()
	return nil
}
