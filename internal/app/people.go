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
	PlanEntry(ctx context.Context, tenantID, syncID, userID string) (provision.PlanItem, error)
	PersonIssues(ctx context.Context, tenantID, syncID, userID string) ([]provision.Issue, error)
	LatestAppliedRun(ctx context.Context, tenantID string) (provision.Run, error)
}

// Person explains one person from a handful of reads, none of them a scan:
// the link and hire ledger entry (current company), the person index (the
// runs that touched them, newest first), and the plan entry and issues of the
// latest of those runs.
//
// Runs store no plan entry for unchanged people, so "latest" is the person's
// plan in the latest run that planned them: the newest run with an entry for
// them, unless a full run that applied its plan (not dry, not failed)
// started after it — there, having no entry, they were unchanged, and latest
// says so with that run's issues about them (a warning an unchanged person
// may still carry). A person who has left Leapsome has no entry either: the
// service cannot tell them apart from an unchanged one without reading
// Leapsome, so they read as unchanged there (their link stays, as links do).
// Dry runs touch nobody and are not in the history.
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
	for _, h := range hist {
		p.History = append(p.History, api.PersonRun{SyncID: h.SyncID, At: h.At, Action: h.Action, Code: h.Code})
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
	case len(hist) > 0 && (!hasApplied || hist[0].SyncID == applied.SyncID || hist[0].At.After(applied.StartedAt)):
		latest := hist[0]
		item, err := s.store.PlanEntry(ctx, tenant, latest.SyncID, userID)
		if errors.Is(err, fault.ErrNotFound) {
			// Written a moment after the index entry, or expired before it.
			item, err = provision.PlanItem{UserID: userID, Email: latest.Email, Action: latest.Action, Code: latest.Code, Fields: []provision.FieldChange{}}, nil
		}
		if err != nil {
			return api.Person{}, err
		}
		issues, err := s.store.PersonIssues(ctx, tenant, latest.SyncID, userID)
		if err != nil {
			return api.Person{}, err
		}
		p.Latest = &api.PersonPlan{SyncID: latest.SyncID, At: latest.At, Item: item, Issues: issues}
	case hasApplied && (len(hist) > 0 || p.Link != nil && !p.Link.LinkedAt.After(applied.StartedAt)):
		issues, err := s.store.PersonIssues(ctx, tenant, applied.SyncID, userID)
		if err != nil {
			return api.Person{}, err
		}
		p.Latest = &api.PersonPlan{SyncID: applied.SyncID, At: applied.StartedAt, Issues: issues,
			Item: provision.PlanItem{UserID: userID, Email: p.Email, Name: p.Name, Action: provision.ActionUnchanged, Fields: []provision.FieldChange{}}}
	}
	return p, nil
}
