package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"trinetsync/internal/api"
	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
	"trinetsync/internal/store"
)

// linkStore is what the manual links need from the store.
type linkStore interface {
	ListLinks(ctx context.Context, tenantID, companyID string, limit int, token string) ([]provision.Link, string, error)
	PutLink(ctx context.Context, tenantID string, l provision.Link) error
	DeleteLink(ctx context.Context, tenantID, companyID, userID string) error
	Hires(ctx context.Context, tenantID, companyID string) ([]provision.HireEntry, error)
}

// Links pages the links of the tenant's current TriNet company (none when
// it has none): the email matches, hires and admins' links and decisions.
func (s *Backend) Links(ctx context.Context, tenant string, p api.Page) ([]provision.Link, string, error) {
	t, err := s.store.Tenant(ctx, tenant)
	if err != nil || t.CompanyID == "" {
		return nil, "", err
	}
	return s.store.ListLinks(ctx, tenant, t.CompanyID, p.Limit, p.NextToken)
}

// SetLink is an admin's link of a Leapsome person to a TriNet employee of
// the tenant's current company, or with employeeID "" the decision to keep
// the person out of the sync. The employee must be listed by TriNet (else
// fault.NotFound), not terminated and not linked to, nor the new hire of,
// another person (else fault.Conflict). The link wins over email matching
// from the next run on.
func (s *Backend) SetLink(ctx context.Context, tenant, userID, employeeID string) (provision.Link, error) {
	t, err := s.store.Tenant(ctx, tenant)
	if err != nil {
		return provision.Link{}, err
	}
	if t.Status != store.Connected || t.CompanyID == "" {
		return provision.Link{}, api.ErrNotConnected
	}
	l := provision.Link{UserID: userID, EmployeeID: employeeID, CompanyID: t.CompanyID,
		Origin: provision.OriginManual, LinkedAt: s.now().UTC()}
	if employeeID != "" {
		emp, err := s.employee(ctx, t, employeeID)
		if err != nil {
			return provision.Link{}, err
		}
		hires, err := s.store.Hires(ctx, tenant, t.CompanyID)
		if err != nil {
			return provision.Link{}, err
		}
		for _, h := range hires {
			if h.EmployeeID == employeeID && h.UserID != userID {
				return provision.Link{}, fault.New(fault.Conflict,
					"TriNet employee %s is the new hire of Leapsome person %s; link that person, or release the hire first", employeeID, h.UserID)
			}
		}
		l.Email = strings.TrimSpace(emp.WorkEmail)
	}
	if err := s.store.PutLink(ctx, tenant, l); err != nil {
		if errors.Is(err, fault.ErrConflict) {
			return provision.Link{}, &fault.Error{Class: fault.Conflict, Field: "employeeId", Err: err,
				Message: "TriNet employee " + employeeID + " is linked to another Leapsome person; remove that link first"}
		}
		return provision.Link{}, err
	}
	s.log.Info("link set by an admin", "tenant", tenant, "userId", userID, "employeeId", employeeID, "keepOut", employeeID == "")
	var emp any // null: kept out of the sync
	if employeeID != "" {
		emp = employeeID
	}
	s.audit(ctx, tenant, AuditLinkSet, map[string]any{"userId": userID, "employeeId": emp, "companyId": t.CompanyID})
	return l, nil
}

// DeleteLink drops a person's link or decision in the tenant's current
// company, so that the next run matches them by email again.
func (s *Backend) DeleteLink(ctx context.Context, tenant, userID string) error {
	t, err := s.store.Tenant(ctx, tenant)
	if err != nil {
		return err
	}
	if t.CompanyID == "" {
		return fault.New(fault.NotFound, "person %s has no link", userID)
	}
	if err := s.store.DeleteLink(ctx, tenant, t.CompanyID, userID); err != nil {
		return err
	}
	s.log.Info("link removed by an admin", "tenant", tenant, "userId", userID)
	s.audit(ctx, tenant, AuditLinkRemoved, map[string]any{"userId": userID, "companyId": t.CompanyID})
	return nil
}

// employee finds a TriNet employee of the tenant's company, reading TriNet
// with the stored credentials: a link is checked against what TriNet holds
// now, not against the last run's view.
func (s *Backend) employee(ctx context.Context, t store.Tenant, employeeID string) (provision.Employee, error) {
	creds, err := s.secrets.Get(ctx, t.ID)
	if errors.Is(err, fault.ErrCredentialsRevoked) {
		return provision.Employee{}, api.ErrNotConnected
	}
	if err != nil {
		return provision.Employee{}, fmt.Errorf("read credentials: %w", err)
	}
	if creds.TriNet.CompanyID != t.CompanyID {
		// A reconnection to another company is half-way: its employees are not
		// the ones the tenant's links are for.
		return provision.Employee{}, api.ErrNotConnected
	}
	_, company, err := s.checker.ForTenant(creds, s.log.With("tenant", t.ID))
	if err != nil {
		return provision.Employee{}, err
	}
	rctx, cancel := context.WithTimeout(ctx, s.checkTimeout)
	defer cancel()
	emps, err := company.Employees(rctx)
	if errors.Is(err, fault.ErrAuth) || errors.Is(err, fault.ErrForbidden) {
		return provision.Employee{}, &fault.Error{Class: fault.Conflict, Err: err,
			Message: "TriNet rejected the stored credentials; reconnect the integration"}
	}
	if err != nil {
		return provision.Employee{}, fmt.Errorf("read TriNet employees: %w", err)
	}
	for _, e := range emps {
		if e.ID != employeeID {
			continue
		}
		if strings.EqualFold(strings.TrimSpace(e.Status), "T") {
			return provision.Employee{}, &fault.Error{Class: fault.Conflict, Field: "employeeId",
				Message: "TriNet employee " + employeeID + " is terminated; rehire them in TriNet first"}
		}
		return e, nil
	}
	return provision.Employee{}, &fault.Error{Class: fault.NotFound, Field: "employeeId",
		Message: "TriNet company " + t.CompanyID + " lists no employee " + employeeID}
}
