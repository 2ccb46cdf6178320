package provision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sort"
	"sync"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/retry"
)

// Applying carries out a plan: one goroutine per person that has writes, at
// most Concurrency at once, a hire only after its manager's hire, every
// outcome recorded on the person's item. Nothing one person's writes do stops
// another's.

// bookkeepingTimeout bounds the ledger and link writes that follow a TriNet
// write; they run even when the invocation's context is cancelled, because a
// hire TriNet has taken must be recorded.
const bookkeepingTimeout = 10 * time.Second

type executor struct {
	e     *Engine
	in    Input
	steps []Step
	cur   cursor

	from    int    // first step this invocation covers
	skip    []bool // reported by an earlier invocation
	started []bool
	stopAt  int // first step not started, -1 when all were

	done    []chan struct{} // closed when a manager's hire has finished
	hiredID []string        // a manager's new employee id, set before done closes
	// turnedUnknown marks the steps whose ledger entry this invocation moved
	// to unknown (each step's goroutine writes only its own element).
	turnedUnknown []bool
}

func newExecutor(e *Engine, in Input, steps []Step, cur cursor) *executor {
	x := &executor{
		e: e, in: in, steps: steps, cur: cur, stopAt: -1,
		skip:    make([]bool, len(steps)),
		started: make([]bool, len(steps)),
		done:    make([]chan struct{}, len(steps)),
		hiredID: make([]string, len(steps)),

		turnedUnknown: make([]bool, len(steps)),
	}
	x.from = sort.Search(len(steps), func(i int) bool { return steps[i].Item.UserID >= cur.From })
	if len(cur.Done) > 0 {
		doneSet := make(map[string]bool, len(cur.Done))
		for _, id := range cur.Done {
			doneSet[id] = true
		}
		for i := x.from; i < len(steps); i++ {
			if doneSet[steps[i].Item.UserID] {
				x.skip[i] = true
			}
		}
	}
	for i := range steps {
		if j := steps[i].ManagerStep; j >= 0 {
			if x.skip[j] || j < x.from {
				// The manager was hired by an earlier invocation; had TriNet given an
				// id, this plan would have found it in the ledger.
				x.dropManager(&steps[i])
				continue
			}
			if x.done[j] == nil {
				x.done[j] = make(chan struct{})
			}
		}
	}
	return x
}

func (x *executor) dryRun() {
	for i := x.from; i < len(x.steps); i++ {
		if !x.skip[i] {
			x.started[i] = true
		}
	}
}

// needsWrites reports whether a step writes anything.
func needsWrites(st *Step) bool {
	switch st.Item.Action {
	case ActionCreate, ActionLink, ActionUpdate:
		return true
	}
	return st.LedgerState != ""
}

func (x *executor) timeUp(ctx context.Context) bool {
	return ctx.Err() != nil || (!x.in.Deadline.IsZero() && !x.e.now().Before(x.in.Deadline))
}

func (x *executor) apply(ctx context.Context) {
	sem := make(chan struct{}, x.e.conc)
	var wg sync.WaitGroup
	launch := func(i int) {
		x.started[i] = true
		st := &x.steps[i]
		if !needsWrites(st) {
			return
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			defer x.recoverStep(ctx, i)
			x.runStep(ctx, i)
		}()
	}
	processed := 0
	var chain []int
	for i := x.from; i < len(x.steps); i++ {
		if x.started[i] || x.skip[i] {
			continue
		}
		if processed > 0 && x.timeUp(ctx) {
			x.stopAt = i
			break
		}
		// Managers hired in this run go first, even when their ids sort later.
		chain = chain[:0]
		for k := i; k >= 0 && !x.started[k]; k = x.steps[k].ManagerStep {
			chain = append(chain, k)
		}
		for c := len(chain) - 1; c >= 0; c-- {
			launch(chain[c])
		}
		processed++
	}
	wg.Wait()
}

// recoverStep turns a panic in one person's writes into that person's error,
// so that a bug met by one person's data neither stops the others nor ends
// the process with the run unrecorded. The panic's value is not logged: it
// may carry the person's data. A hire the panic interrupted stays submitted
// and reads as outcome unknown next run, as any hire that may have been sent.
func (x *executor) recoverStep(ctx context.Context, i int) {
	v := recover()
	if v == nil {
		return
	}
	st := &x.steps[i]
	x.e.log.LogAttrs(ctx, slog.LevelError, "a person's writes panicked",
		slog.String("tenant", x.in.TenantID), slog.String("syncId", x.in.SyncID),
		slog.String("userId", st.Item.UserID), slog.String("panic", fmt.Sprintf("%T", v)),
		slog.String("stack", string(debug.Stack())))
	st.Item.Action, st.Item.Code = ActionError, CodeInternalError
	st.Issues = append(st.Issues, personIssue(st.person, CodeInternalError, "",
		"The service failed on this person and did not finish their writes; the others went ahead. The next sync tries again; if this persists, report it to the service's operators."))
}

// runStep carries out one person's writes.
func (x *executor) runStep(ctx context.Context, i int) {
	st := &x.steps[i]
	switch st.Item.Action {
	case ActionCreate:
		x.hire(ctx, i)
		return
	case ActionLink, ActionUpdate:
		if st.NewLink && !x.storeLink(ctx, st) {
			return
		}
	}
	if st.LedgerState != "" && x.moveLedger(ctx, st) && st.LedgerState == HireUnknown && st.Ledger.State != HireUnknown {
		x.turnedUnknown[i] = true
	}
	if st.Item.Action == ActionLink || st.Item.Action == ActionUpdate {
		x.update(ctx, st)
	}
}

// ledgerRetry repeats a ledger write that failed transiently (DynamoDB
// throttled or restarting) within the bookkeeping budget: once TriNet has
// answered a hire, the ledger must say so, or the entry stays submitted and
// the person reads as hire_outcome_unknown.
var ledgerRetry = retry.Policy{
	MaxRetries: 1000, BaseDelay: 50 * time.Millisecond, Multiplier: 2, MaxDelay: time.Second,
	MaxElapsed: bookkeepingTimeout, RequestTimeout: bookkeepingTimeout, Service: "ledger",
	Logger: slog.New(slog.DiscardHandler),
}

// keepTrying runs write under ledgerRetry until it lands, fails for good,
// or ctx (a bookkeeping context) ends.
func keepTrying(ctx context.Context, write func(ctx context.Context) error) error {
	return ledgerRetry.Do(ctx, "write", func(ctx context.Context) retry.Attempt {
		err := write(ctx)
		return retry.Attempt{Err: err, Retry: fault.Retryable(err)}
	})
}

func (x *executor) bookkeeping(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
}

func (x *executor) logWarn(ctx context.Context, msg string, st *Step, err error) {
	x.e.log.LogAttrs(ctx, slog.LevelWarn, msg,
		slog.String("tenant", x.in.TenantID), slog.String("syncId", x.in.SyncID),
		slog.String("userId", st.Item.UserID), slog.String("err", err.Error()))
}

// storeLink persists a new link; false when the person must not be written.
func (x *executor) storeLink(ctx context.Context, st *Step) bool {
	l := Link{UserID: st.Item.UserID, EmployeeID: st.EmployeeID, CompanyID: x.in.CompanyID,
		Origin: st.LinkOrigin, Email: st.LinkEmail, LinkedAt: x.e.now().UTC()}
	var err error
	if st.MoveFrom != "" {
		err = x.in.Links.MoveLink(ctx, x.in.TenantID, l, st.MoveFrom)
	} else {
		err = x.in.Links.PutLink(ctx, x.in.TenantID, l)
	}
	switch {
	case err == nil:
		return true
	case errors.Is(err, fault.ErrConflict):
		st.Item.Action, st.Item.Code, st.Item.Fields = ActionError, CodeDuplicateEmail, nil
		st.Issues = append(st.Issues, personIssue(st.person, CodeDuplicateEmail, "email",
			"The matching TriNet employee is already linked to another Leapsome person. Correct the work email in Leapsome or TriNet."))
		return false
	default:
		// Not stored: the next run matches the person again by email, so the
		// updates can go ahead.
		x.logWarn(ctx, "link not stored", st, err)
		return true
	}
}

// moveLedger moves the person's ledger entry to st.LedgerState; false when
// there is none or it was not moved.
func (x *executor) moveLedger(ctx context.Context, st *Step) bool {
	if st.Ledger == nil {
		return false
	}
	e := *st.Ledger
	e.State = st.LedgerState
	// The id TriNet gave the hire is kept: the person may have been linked
	// to another record of theirs, and the hire's record must not be lost.
	if st.LedgerState == HireLinked && e.EmployeeID == "" {
		e.EmployeeID = st.EmployeeID
	}
	bctx, cancel := x.bookkeeping(ctx)
	defer cancel()
	if err := keepTrying(bctx, func(ctx context.Context) error { return x.in.Ledger.UpdateHire(ctx, x.in.TenantID, e) }); err != nil {
		// The next run finds the entry as it was and moves it again.
		x.logWarn(ctx, "hire ledger entry not moved", st, err)
		return false
	}
	return true
}

// update sends the person's update calls; each call's failure drops only its fields.
func (x *executor) update(ctx context.Context, st *Step) {
	type callFn struct {
		name string
		fn   func() error
	}
	var calls []callFn
	if st.Names != nil {
		calls = append(calls, callFn{"names", func() error { return x.in.Company.UpdateNames(ctx, st.EmployeeID, *st.Names) }})
	}
	if st.Personals != nil {
		calls = append(calls, callFn{"personals", func() error { return x.in.Company.UpdatePersonals(ctx, st.EmployeeID, *st.Personals) }})
	}
	if st.Jobs != nil {
		calls = append(calls, callFn{"jobs", func() error { return x.in.Company.UpdateJobs(ctx, st.EmployeeID, *st.Jobs) }})
	}
	failed := 0
	var firstCode string
	for _, c := range calls {
		err := c.fn()
		if err == nil {
			continue
		}
		failed++
		is := x.writeIssue(st, err, "update of "+c.name,
			"TriNet did not answer the update of "+c.name+"; the next sync tries again.")
		if firstCode == "" {
			firstCode = is.Code
		}
		st.Issues = append(st.Issues, is)
		x.logWarn(ctx, "TriNet update failed", st, err)
	}
	if failed > 0 && failed == len(calls) && st.Item.Action == ActionUpdate {
		st.Item.Action, st.Item.Code = ActionError, firstCode
	}
}

// rejected reports whether TriNet refused a write on its merits (a 4xx other
// than 429): it was not applied, and sending it again unchanged would fail
// again.
func rejected(err error) bool {
	c, ok := fault.ClassOf(err)
	if !ok {
		return false
	}
	switch c {
	case fault.Validation, fault.Auth, fault.Forbidden, fault.NotFound, fault.Conflict:
		return true
	}
	return false
}

// notSent reports whether a hire certainly did not reach TriNet, or TriNet
// certainly did not apply it: a rejection, a 429 to the end of the retries,
// or a failure before the request was written (no token, cancelled, no
// connection) — the TriNet client gives fault.OutcomeUnknown for everything
// that may have been applied. An error without a class is not trusted to
// say so.
func notSent(err error) bool {
	return rejected(err) || fault.Retryable(err)
}

// writeIssue turns a failed TriNet write into the person's issue:
// trinet_rejected for a rejection of the write named what, else
// trinet_unavailable with the message unavailable.
func (x *executor) writeIssue(st *Step, err error, what, unavailable string) Issue {
	if rejected(err) {
		// The TriNet client names the field at fault by its catalog target.
		field := fault.FieldOf(err)
		msg := "TriNet rejected the " + what
		var fe *fault.Error
		if errors.As(err, &fe) && fe.Message != "" {
			msg += ": " + fe.Message
		}
		return personIssue(st.person, CodeTriNetRejected, field, msg+". Correct the value in Leapsome or in TriNet.")
	}
	return personIssue(st.person, CodeTriNetUnavailable, "", unavailable)
}

// hire submits a new hire under the ledger's protection: the entry is written
// first, so a crash at any later point leaves a record that stops a second hire.
// Then: accepted → pending; not sent or not applied (see notSent) → entry
// cleared, issue trinet_rejected (4xx) or trinet_unavailable (transient,
// throttled); anything that may have been applied → unknown, issue
// hire_outcome_unknown.
func (x *executor) hire(ctx context.Context, i int) {
	st := &x.steps[i]
	if x.done[i] != nil {
		defer close(x.done[i])
	}
	if j := st.ManagerStep; j >= 0 {
		<-x.done[j] // launched before this step, so it finishes
		if id := x.hiredID[j]; id != "" {
			*supervisor.hire(st.Hire) = id
			setField(st, supervisor.Target, id)
		} else {
			x.dropManager(st)
		}
	}
	entry := HireEntry{
		UserID: st.Item.UserID, CompanyID: x.in.CompanyID, Email: st.Item.Email, State: HireSubmitted,
		SubmittedAt: x.e.now().UTC(), SyncID: x.in.SyncID,
	}
	if err := x.in.Ledger.CreateHire(ctx, x.in.TenantID, entry); err != nil {
		if errors.Is(err, fault.ErrConflict) {
			// Another run submitted this person meanwhile: never hire twice.
			st.Item.Action, st.Item.Code = ActionPending, CodeHireOutcomeUnknown
			st.Issues = append(st.Issues, personIssue(st.person, CodeHireOutcomeUnknown, "",
				"Another sync submitted this person's new hire at the same time. Check TriNet; the next sync reports its state."))
			return
		}
		x.logWarn(ctx, "hire ledger entry not written; hire not sent", st, err)
		x.clearUnsent(ctx, st, entry)
		st.Item.Action, st.Item.Code = ActionError, CodeStoreUnavailable
		st.Issues = append(st.Issues, personIssue(st.person, CodeStoreUnavailable, "",
			"The new hire could not be recorded safely, so it was not sent to TriNet; the next sync tries again."))
		return
	}
	res, err := x.in.Company.Hire(ctx, *st.Hire)
	bctx, cancel := x.bookkeeping(ctx)
	defer cancel()
	switch {
	case err == nil:
		entry.State, entry.EmployeeID = HirePending, res.EmployeeID
		if uerr := keepTrying(bctx, func(ctx context.Context) error { return x.in.Ledger.UpdateHire(ctx, x.in.TenantID, entry) }); uerr != nil {
			// The entry stays submitted; the next run reports it unknown until TriNet lists it.
			x.logWarn(ctx, "hire ledger entry not moved to pending", st, uerr)
		}
		x.hiredID[i] = res.EmployeeID
	case notSent(err):
		// TriNet has not got this hire: clear the entry so that the next sync
		// (or, after a rejection, the corrected person) is hired without an
		// admin having to release anything.
		if derr := keepTrying(bctx, func(ctx context.Context) error {
			return x.in.Ledger.DeleteHire(ctx, x.in.TenantID, x.in.CompanyID, st.Item.UserID)
		}); derr != nil {
			x.logWarn(ctx, "unsent hire's ledger entry not cleared", st, derr)
		}
		x.logWarn(ctx, "hire not applied by TriNet", st, err)
		is := x.writeIssue(st, err, "new hire",
			"TriNet could not be reached for the new hire (or kept refusing it because of its rate limit); it was not created and the next sync sends it again.")
		st.Item.Action, st.Item.Code = ActionError, is.Code
		st.Issues = append(st.Issues, is)
	default:
		// fault.OutcomeUnknown (5xx, timeout or dropped connection after the
		// request was sent) or an error nobody classified: it may have been
		// applied, so it is never sent again until an admin releases it.
		entry.State = HireUnknown
		if uerr := keepTrying(bctx, func(ctx context.Context) error { return x.in.Ledger.UpdateHire(ctx, x.in.TenantID, entry) }); uerr != nil {
			x.logWarn(ctx, "hire ledger entry not moved to unknown", st, uerr)
		}
		x.logWarn(ctx, "hire outcome unknown", st, err)
		st.Item.Action, st.Item.Code = ActionPending, CodeHireOutcomeUnknown
		st.Issues = append(st.Issues, personIssue(st.person, CodeHireOutcomeUnknown, "",
			"TriNet did not confirm the new hire, so it is not known whether it was created. Check TriNet: if the hire is not there, release it in the integration so it can be sent again."))
	}
}

// clearUnsent removes the entry a failed CreateHire may have written after
// all (the write can land while its answer is lost, say when the context ends
// in flight): the hire was not sent, and an entry left submitted would hold
// the person as hire_outcome_unknown. Only this run's own submitted entry is
// removed.
func (x *executor) clearUnsent(ctx context.Context, st *Step, entry HireEntry) {
	bctx, cancel := x.bookkeeping(ctx)
	defer cancel()
	all, err := x.in.Ledger.Hires(bctx, x.in.TenantID, x.in.CompanyID)
	if err != nil {
		x.logWarn(ctx, "ledger not read after a failed hire entry write", st, err)
		return
	}
	for _, e := range all {
		if e.UserID == entry.UserID && e.State == HireSubmitted && e.SyncID == entry.SyncID {
			if err := keepTrying(bctx, func(ctx context.Context) error {
				return x.in.Ledger.DeleteHire(ctx, x.in.TenantID, x.in.CompanyID, entry.UserID)
			}); err != nil {
				x.logWarn(ctx, "unsent hire's ledger entry not cleared", st, err)
			}
			return
		}
	}
}

// dropManager hires st without its supervisor, with a warning.
func (x *executor) dropManager(st *Step) {
	st.ManagerStep = -1
	removeField(st, supervisor.Target)
	st.Issues = append(st.Issues, personIssue(st.person, CodeSupervisorNotInTriNet, supervisor.Target,
		"The person's manager was not hired in TriNet, so the new hire is created without a supervisor. Set the supervisor in TriNet."))
}

func setField(st *Step, field, to string) {
	for k := range st.Item.Fields {
		if st.Item.Fields[k].Field == field {
			st.Item.Fields[k].To = to
			return
		}
	}
	st.Item.Fields = append(st.Item.Fields, FieldChange{Field: field, To: to})
}

func removeField(st *Step, field string) {
	st.Item.Fields = slices.DeleteFunc(st.Item.Fields, func(f FieldChange) bool { return f.Field == field })
}

// result reports the steps this invocation covered, in user-id order.
func (x *executor) result() Result {
	var idx []int
	for i := x.from; i < len(x.steps); i++ {
		if x.started[i] {
			idx = append(idx, i)
		}
	}
	res := Result{Plan: make([]PlanItem, 0, len(idx))}
	for _, i := range idx {
		st := &x.steps[i]
		if st.Item.Fields == nil {
			st.Item.Fields = []FieldChange{}
		}
		res.Plan = append(res.Plan, st.Item)
		res.Issues = append(res.Issues, st.Issues...)
		if slices.ContainsFunc(st.Issues, func(is Issue) bool { return is.Severity == SeverityError }) {
			res.ErrorPeople++
		}
		if x.turnedUnknown[i] {
			res.FoundUnknown++
		}
	}
	res.Counts = counts(res.Plan, res.Issues)
	if x.stopAt >= 0 {
		c := cursor{From: x.steps[x.stopAt].Item.UserID, Company: x.in.CompanyID}
		for i := x.stopAt; i < len(x.steps); i++ {
			if x.started[i] || x.skip[i] {
				c.Done = append(c.Done, x.steps[i].Item.UserID)
			}
		}
		res.Cursor = c.encode()
	}
	return res
}
