package api

import (
	"encoding/json"
	"time"

	"trinetsync/internal/provision"
)

// The wire shapes of the contract. They are separate from the domain types so
// that nulls, time formats and the hiding of sensitive values are decided here,
// in one place, whatever the service layer hands over.

// nullTime is RFC 3339 in UTC, or null when zero.
type nullTime time.Time

func (t nullTime) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(tt.UTC().Format(time.RFC3339))
}

// nullString is null when empty. A pointer rather than a type with a
// MarshalJSON method: encoding/json writes it without a call per value, which
// matters on 1,000-item pages.
type nullString = *string

func orNull(s string) nullString {
	if s == "" {
		return nil
	}
	return &s
}

type runJSON struct {
	SyncID     string              `json:"syncId"`
	Trigger    provision.Trigger   `json:"trigger"`
	DryRun     bool                `json:"dryRun"`
	Status     provision.RunStatus `json:"status"`
	StartedAt  nullTime            `json:"startedAt"`
	FinishedAt nullTime            `json:"finishedAt"`
	Counts     provision.Counts    `json:"counts"`
	Error      *runErrorJSON       `json:"error"`
}

type runErrorJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func renderRun(r provision.Run) runJSON {
	out := runJSON{
		SyncID:     r.SyncID,
		Trigger:    r.Trigger,
		DryRun:     r.DryRun,
		Status:     r.Status,
		StartedAt:  nullTime(r.StartedAt),
		FinishedAt: nullTime(r.FinishedAt),
		Counts:     r.Counts,
	}
	if r.Error != nil {
		out.Error = &runErrorJSON{Code: r.Error.Code, Message: r.Error.Message}
	}
	return out
}

type connectionJSON struct {
	Status         ConnectionStatus `json:"status"`
	CompanyID      nullString       `json:"companyId"`
	ClientIDMasked nullString       `json:"clientIdMasked"`
	SCIMConfigured bool             `json:"scimConfigured"`
	ConnectedAt    nullTime         `json:"connectedAt"`
	RevokedAt      nullTime         `json:"revokedAt"`
	LastRun        *runJSON         `json:"lastRun"`
	NextRunAt      nullTime         `json:"nextRunAt"`
	Backoff        *backoffJSON     `json:"backoff"`
}

type backoffJSON struct {
	Until    nullTime `json:"until"`
	Reason   string   `json:"reason"`
	Failures int      `json:"failures"`
}

func renderConnection(c Connection) connectionJSON {
	out := connectionJSON{
		Status:         c.Status,
		CompanyID:      orNull(c.CompanyID),
		ClientIDMasked: orNull(c.ClientIDMasked),
		SCIMConfigured: c.SCIMConfigured,
		ConnectedAt:    nullTime(c.ConnectedAt),
		RevokedAt:      nullTime(c.RevokedAt),
		NextRunAt:      nullTime(c.NextRunAt),
	}
	if out.Status == "" {
		out.Status = StatusNotConnected
	}
	if c.LastRun != nil {
		r := renderRun(*c.LastRun)
		out.LastRun = &r
	}
	if c.Backoff != nil {
		out.Backoff = &backoffJSON{Until: nullTime(c.Backoff.Until), Reason: c.Backoff.Reason, Failures: c.Backoff.Failures}
	}
	return out
}

type settingsJSON struct {
	AutoCreateNewHires   bool               `json:"autoCreateNewHires"`
	MassCreateMaxPercent int                `json:"massCreateMaxPercent"`
	Schedule             provision.Schedule `json:"schedule"`
	Mappings             []mappingJSON      `json:"mappings"`
}

// mappingJSON is the contract's {"target","source","valueMap"}: valueMap is
// always there, {} when the mapping translates nothing.
type mappingJSON struct {
	Target   string            `json:"target"`
	Source   string            `json:"source"`
	ValueMap map[string]string `json:"valueMap"`
}

func renderSettings(s provision.Settings) settingsJSON {
	out := settingsJSON{
		AutoCreateNewHires:   s.AutoCreateNewHires,
		MassCreateMaxPercent: s.MassCreateMaxPercent,
		Schedule:             provision.ScheduleOf(&s),
		Mappings:             make([]mappingJSON, 0, len(s.Mappings)),
	}
	for _, m := range s.Mappings {
		vm := m.ValueMap
		if vm == nil {
			vm = map[string]string{}
		}
		out.Mappings = append(out.Mappings, mappingJSON{Target: m.Target, Source: m.Source, ValueMap: vm})
	}
	return out
}

type triggerJSON struct {
	SyncID string              `json:"syncId"`
	Status provision.RunStatus `json:"status"`
}

// listJSON is every paged list but the issues.
type listJSON[T any] struct {
	Items     []T        `json:"items"`
	NextToken nullString `json:"nextToken"`
}

func renderList[S any, T any](items []S, next string, f func(S) T) listJSON[T] {
	out := listJSON[T]{Items: make([]T, 0, len(items)), NextToken: orNull(next)}
	for _, it := range items {
		out.Items = append(out.Items, f(it))
	}
	return out
}

type planItemJSON struct {
	UserID string           `json:"userId"`
	Email  nullString       `json:"email"`
	Action provision.Action `json:"action"`
	Code   nullString       `json:"code"`
	Fields []any            `json:"fields"` // fieldChangeJSON or fieldSensitiveJSON
	// Drift is there only in a dry run, on a linked person whose
	// new-hire-only targets differ in TriNet (in the plan on a person it lists
	// anyway; in the drift listing on every such person).
	Drift []any `json:"drift,omitempty"`
}

type fieldChangeJSON struct {
	Field string     `json:"field"`
	From  nullString `json:"from"`
	To    nullString `json:"to"`
}

type fieldSensitiveJSON struct {
	Field     string `json:"field"`
	Sensitive bool   `json:"sensitive"`
}

// renderPlanItem drops the values of sensitive fields even if the engine left
// them in: this is the last place before they would leave the service.
func renderPlanItem(p provision.PlanItem) planItemJSON {
	out := planItemJSON{
		UserID: p.UserID,
		Email:  orNull(p.Email),
		Action: p.Action,
		Code:   orNull(p.Code),
		Fields: renderFields(p.Fields),
	}
	if len(p.Drift) > 0 {
		out.Drift = renderFields(p.Drift)
	}
	return out
}

func renderFields(fs []provision.FieldChange) []any {
	out := make([]any, 0, len(fs))
	for _, f := range fs {
		if f.Sensitive {
			out = append(out, fieldSensitiveJSON{Field: f.Field, Sensitive: true})
			continue
		}
		out = append(out, fieldChangeJSON{Field: f.Field, From: orNull(f.From), To: orNull(f.To)})
	}
	return out
}

type issueJSON struct {
	UserID   nullString         `json:"userId"`
	Email    nullString         `json:"email"`
	Name     nullString         `json:"name"`
	Severity provision.Severity `json:"severity"`
	Code     string             `json:"code"`
	Field    nullString         `json:"field"`
	Message  string             `json:"message"`
}

func renderIssue(i provision.Issue) issueJSON {
	out := issueJSON{
		UserID:   orNull(i.UserID),
		Email:    orNull(i.Email),
		Name:     orNull(i.Name),
		Severity: i.Severity,
		Code:     i.Code,
		Field:    orNull(i.Field),
		Message:  i.Message,
	}
	if i.UserID == "" { // an item about the tenant names no person
		out.Email, out.Name = nil, nil
	}
	return out
}

type issuePageJSON struct {
	SyncID    nullString  `json:"syncId"`
	Items     []issueJSON `json:"items"`
	NextToken nullString  `json:"nextToken"`
}

func renderIssuePage(p IssuePage) issuePageJSON {
	l := renderList(p.Items, p.NextToken, renderIssue)
	return issuePageJSON{SyncID: orNull(p.SyncID), Items: l.Items, NextToken: l.NextToken}
}

type hireJSON struct {
	UserID      string              `json:"userId"`
	Email       nullString          `json:"email"`
	State       provision.HireState `json:"state"`
	EmployeeID  nullString          `json:"employeeId"`
	SubmittedAt nullTime            `json:"submittedAt"`
	SyncID      string              `json:"syncId"`
}

func renderHire(h provision.HireEntry) hireJSON {
	return hireJSON{
		UserID:      h.UserID,
		Email:       orNull(h.Email),
		State:       h.State,
		EmployeeID:  orNull(h.EmployeeID),
		SubmittedAt: nullTime(h.SubmittedAt),
		SyncID:      h.SyncID,
	}
}

type linkJSON struct {
	UserID     string               `json:"userId"`
	EmployeeID nullString           `json:"employeeId"`
	Email      nullString           `json:"email"`
	Origin     provision.LinkOrigin `json:"origin"`
	LinkedAt   nullTime             `json:"linkedAt"`
}

func renderLink(l provision.Link) linkJSON {
	return linkJSON{
		UserID:     l.UserID,
		EmployeeID: orNull(l.EmployeeID),
		Email:      orNull(l.Email),
		Origin:     l.Origin,
		LinkedAt:   nullTime(l.LinkedAt),
	}
}

type personJSON struct {
	UserID  string          `json:"userId"`
	Email   nullString      `json:"email"`
	Name    nullString      `json:"name"`
	Link    *linkJSON       `json:"link"`
	Hire    *hireJSON       `json:"hire"`
	Latest  *personPlanJSON `json:"latest"`
	History []personRunJSON `json:"history"`
}

// personPlanJSON is a plan item (see planItemJSON) with the run it is of and
// the run's issues about the person.
type personPlanJSON struct {
	SyncID string   `json:"syncId"`
	At     nullTime `json:"at"`
	planItemJSON
	Issues []issueJSON `json:"issues"`
}

type personRunJSON struct {
	SyncID string           `json:"syncId"`
	At     nullTime         `json:"at"`
	Action provision.Action `json:"action"`
	Code   nullString       `json:"code"`
	DryRun bool             `json:"dryRun"`
}

func renderPerson(p Person) personJSON {
	out := personJSON{UserID: p.UserID, Email: orNull(p.Email), Name: orNull(p.Name), History: make([]personRunJSON, 0, len(p.History))}
	if p.Link != nil {
		l := renderLink(*p.Link)
		out.Link = &l
	}
	if p.Hire != nil {
		h := renderHire(*p.Hire)
		out.Hire = &h
	}
	if lp := p.Latest; lp != nil {
		item := lp.Item
		item.UserID = p.UserID
		out.Latest = &personPlanJSON{SyncID: lp.SyncID, At: nullTime(lp.At), planItemJSON: renderPlanItem(item),
			Issues: make([]issueJSON, 0, len(lp.Issues))}
		for _, is := range lp.Issues {
			out.Latest.Issues = append(out.Latest.Issues, renderIssue(is))
		}
	}
	for _, h := range p.History {
		out.History = append(out.History, personRunJSON{SyncID: h.SyncID, At: nullTime(h.At), Action: h.Action, Code: orNull(h.Code), DryRun: h.DryRun})
	}
	return out
}

type errorJSON struct {
	Error errorBodyJSON `json:"error"`
}

type errorBodyJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

type auditJSON struct {
	At        nullTime       `json:"at"`
	Actor     string         `json:"actor"`
	Action    string         `json:"action"`
	RequestID string         `json:"requestId"`
	Details   map[string]any `json:"details"`
}

func renderAudit(a AuditEntry) auditJSON {
	d := a.Details
	if d == nil {
		d = map[string]any{}
	}
	return auditJSON{At: nullTime(a.At), Actor: a.Actor, Action: a.Action, RequestID: a.RequestID, Details: d}
}
