package app

import (
	"context"
	"errors"

	"trinetsync/internal/api"
	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
	"trinetsync/internal/store"
)

// personStore is what explaining one person needs from the store.
type personStore interface {
	Link(ctx context.Context, tenantID, companyID, userID string) (provision.Link, error)
	Hire(ctx context.Context, tenantID, companyID, userID string) (provision.HireEntry, error)
	PersonHistory(ctx context.Context, tenantID, userID string, limit int) ([]store.PersonRun, error)
	NewestRealPersonRun(ctx context.Context, tenantID, userID string) (store.PersonRun, error)
	PlanEntry(ctx context.Context, tenantID, syncID, userID string) (provision.PlanItem, error)
	PersonIssues(ctx context.Context, tenantID, syncID, userID string) ([]provision.Issue, error)
	LatestAppliedRun(ctx context.Context, tenantID string) (provision.Run, error)
}

// Person explains one person from a handful of reads, none of them a scan:
// the link and hire ledger entry (current company), the person index (the
// runs that touched them, dry runs included and marked, newest first), and
// the plan entry and issues of the latest of those runs.
//
// Runs store no plan entry for unchanged people, so "latest" is the person's
// plan in the latest real (not dry) run that planned them: the newest such
// run with an entry for them, unless a full run that applied its plan (not
// dry, not failed) started after it — there, having no entry, they were
// unchanged, and latest says so with that run's issues about them (a warning
// an unchanged person may still carry). A person who has left Leapsome has
// no entry either: the service cannot tell them apart from an unchanged one
// without reading Leapsome, so they read as unchanged there (their link
// stays, as links do). What a real run did wins over what a dry run would
// do; a person only dry runs planned (the seed's "suggest creating them")
// has the newest dry run's item as latest.
func (s *Backend) Person(ctx context.Context, tenant, userID string) (api.Person, error) {
	t, err := s.store.Tenant(ctx, tenant)
	if err != nil {
		return api.Person{}, err
	}
	p := api.Person{UserID: userID}
	if t.CompanyID != "" {
		l, err := s.store.Link(ctx, tenant, t.CompanyID, userID)
		switch {
		case err == nil:
			p.Link = &l
		case !errors.Is(err, fault.ErrNotFound):
			return api.Person{}, err
		}
	}
	if co := ledgerCompany(t); co != "" {
		h, err := s.store.Hire(ctx, tenant, co, userID)
		switch {
		case err == nil:
			p.Hire = &h
		case !errors.Is(err, fault.ErrNotFound):
			return api.Person{}, err
		}
	}
	hist, err := s.store.PersonHistory(ctx, tenant, userID, api.PersonHistoryLength)
	if err != nil {
		return api.Person{}, err
	}
	if p.Link == nil && p.Hire == nil && len(hist) == 0 {
		return api.Person{}, fault.New(fault.NotFound, "the service knows nothing of person %s: no link, no hire, and no run kept touched them", userID)
	}
	p.History = make([]api.PersonRun, 0, len(hist))
	var real, dry *store.PersonRun // the newest entry of each kind, if any
	for i, h := range hist {
		p.History = append(p.History, api.PersonRun{SyncID: h.SyncID, At: h.At, Action: h.Action, Code: h.Code, DryRun: h.DryRun})
		switch {
		case h.DryRun && dry == nil:
			dry = &hist[i]
		case !h.DryRun && real == nil:
			real = &hist[i]
		}
	}
	if real == nil && len(hist) == api.PersonHistoryLength {
		// A whole history of dry runs may hide the real run that last
		// planned the person.
		r, err := s.store.NewestRealPersonRun(ctx, tenant, userID)
		switch {
		case err == nil:
			real = &r
		case !errors.Is(err, fault.ErrNotFound):
			return api.Person{}, err
		}
	}
	switch {
	case len(hist) > 0:
		p.Email, p.Name = hist[0].Email, hist[0].Name
	case p.Hire != nil:
		p.Email = p.Hire.Email
	case p.Link != nil:
		p.Email = p.Link.Email
	}

	applied, err := s.store.LatestAppliedRun(ctx, tenant)
	hasApplied := err == nil
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return api.Person{}, err
	}
	switch {
	case real != nil && (!hasApplied || real.SyncID == applied.SyncID || real.At.After(applied.StartedAt)):
		if p.Latest, err = s.planned(ctx, tenant, userID, *real); err != nil {
			return api.Person{}, err
		}
	case hasApplied && (real != nil || p.Link != nil && !p.Link.LinkedAt.After(applied.StartedAt)):
		issues, err := s.store.PersonIssues(ctx, tenant, applied.SyncID, userID)
		if err != nil {
			return api.Person{}, err
		}
		p.Latest = &api.PersonPlan{SyncID: applied.SyncID, At: applied.StartedAt, Issues: issues,
			Item: provision.PlanItem{UserID: userID, Email: p.Email, Name: p.Name, Action: provision.ActionUnchanged, Fields: []provision.FieldChange{}}}
	case dry != nil:
		if p.Latest, err = s.planned(ctx, tenant, userID, *dry); err != nil {
			return api.Person{}, err
		}
	}
	return p, nil
}

// planned is a person's plan entry in the run of index entry r, with the
// run's issues about them.
func (s *Backend) planned(ctx context.Context, tenant, userID string, r store.PersonRun) (*api.PersonPlan, error) {
	item, err := s.store.PlanEntry(ctx, tenant, r.SyncID, userID)
	if errors.Is(err, fault.ErrNotFound) {
		// Written a moment after the index entry, or expired before it.
		item, err = provision.PlanItem{UserID: userID, Email: r.Email, Action: r.Action, Code: r.Code, Fields: []provision.FieldChange{}}, nil
	}
	if err != nil {
		return nil, err
	}
	issues, err := s.store.PersonIssues(ctx, tenant, r.SyncID, userID)
	if err != nil {
		return nil, err
	}
	return &api.PersonPlan{SyncID: r.SyncID, At: r.At, Item: item, Issues: issues}, nil
}
