package serve

import (
	"strings"

	"github.com/delegsim/delegsim/checker"
	"github.com/delegsim/delegsim/explain"
	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/model"
)

// View is what the page shows of a path: the run, the path's steps, the
// transitions enabled at its end, the state there, the checks, and the
// story so far as a sequence diagram.
type View struct {
	Run         Run    `json:"run"` // resolved
	Description string `json:"description"`
	Now         string `json:"now"`
	// Steps are the path's steps, as far as they could be followed.
	Steps    []PathStep   `json:"steps"`
	Diverged *Divergence  `json:"diverged,omitempty"`
	Choices  []ChoiceView `json:"choices"`
	Ended    bool         `json:"ended"`
	// Unfinished names the actors whose scripts have not ended.
	Unfinished []string  `json:"unfinished"`
	State      StateView `json:"state"`
	Checks     Checks    `json:"checks"`
	// SVG is the sequence diagram (explain.Story.WriteSVG); Rows the
	// story's steps it draws, in order.
	SVG  string    `json:"svg"`
	Rows []RowView `json:"rows"`
	// Schedule is the path as a schedule file, for `delegsim run
	// SCENARIO --schedule FILE`.
	Schedule string `json:"schedule"`
}

// PathStep is one step of the path.
type PathStep struct {
	Text string `json:"text"` // the schedule line
	Note string `json:"note"` // when, and what moved
}

// ChoiceView is one enabled transition, as a button.
type ChoiceView struct {
	Text  string `json:"text"`  // the schedule line, sent back to take it
	Label string `json:"label"` // "deliver CB_RECALL(f, stateid 2) to c1"
	Why   string `json:"why"`   // why it is enabled, in one line
	Kind  string `json:"kind"`  // deliver, lose, timer, crash, wait
	At    string `json:"at"`
}

// RowView is one row of the diagram: a narrated actor step.
type RowView struct {
	Time  string        `json:"time"`
	Actor string        `json:"actor"`
	What  string        `json:"what"`
	Why   string        `json:"why"`
	Step  int           `json:"step"` // the path step that made it (0-based), -1 for the start
	Table explain.Table `json:"table"`
}

// StateView is the state at the end of the path.
type StateView struct {
	explain.Table
	Leases   []LeaseRow    `json:"leases"`
	Channels []ChannelView `json:"channels"`
	Timers   []TimerView   `json:"timers"`
	Actors   []ActorView   `json:"actors"`
	History  []string      `json:"history"`
}

// LeaseRow is a VFS lease on the server host: the one behind each of
// nfsd's delegations (FL_DELEG).
type LeaseRow struct {
	File  string `json:"file"`
	Type  string `json:"type"`  // F_WRLCK or F_RDLCK
	Owner string `json:"owner"` // "nfsd for c1"
	State string `json:"state"`
}

// ChannelView is one connection and what is in flight on it.
type ChannelView struct {
	Name string    `json:"name"`
	Msgs []MsgView `json:"msgs"`
}

// MsgView is one message in flight.
type MsgView struct {
	Label string `json:"label"` // as the diagram labels it
	Raw   string `json:"raw"`   // the model's own String
	// Ready is the earliest time it may arrive, "now" once it may; Due
	// the latest.
	Ready string `json:"ready"`
	Due   string `json:"due"`
}

// TimerView is an armed timer.
type TimerView struct {
	Actor string `json:"actor"`
	Timer string `json:"timer"` // kind/argument, as schedules name it
	What  string `json:"what"`
	At    string `json:"at"`
}

// ActorView is one actor's standing.
type ActorView struct {
	Name  string `json:"name"`
	State string `json:"state"`
}

// Checks are the verdicts on the path so far.
type Checks struct {
	Invariants  []InvariantView   `json:"invariants"`
	Consistency []ConsistencyView `json:"consistency"`
	// Violation is set when a non-finding invariant broke or the
	// consistency model the policy promises was violated.
	Violation bool `json:"violation"`
}

// InvariantView is one invariant's verdict on the path.
type InvariantView struct {
	Name    string `json:"name"`
	Finding bool   `json:"finding"` // a known kernel behaviour, not a model bug
	OK      bool   `json:"ok"`
	Detail  string `json:"detail,omitempty"`
	Step    int    `json:"step"` // first path step after which it failed (-1: the start); meaningful when !OK
}

// ConsistencyView is the verdict of one consistency model on the
// operations completed so far.
type ConsistencyView struct {
	Model    string   `json:"model"`
	Promised bool     `json:"promised"` // the policy promises it
	Verdict  string   `json:"verdict"`
	Detail   []string `json:"detail,omitempty"`
	// Rows are the diagram rows of the operations that show a
	// violation (the stale reads).
	Rows []int `json:"rows,omitempty"`
}

// view builds the page's view of a walked path.
func (w *walked) view() (*View, error) {
	b, c := w.b, w.c
	l := labeller{m: b.m, coarse: b.run.ZeroMinDelay || b.m.MaxDelay > 0}
	v := &View{Run: b.run, Description: b.sc.Spec.Description, Now: ms(c.Now()), Diverged: w.diverged,
		Ended: c.Ended(), Unfinished: nonNil(c.Unfinished()), Steps: []PathStep{}, Choices: []ChoiceView{}}
	var sched strings.Builder
	sch := c.Schedule()
	if err := sch.Format(&sched); err != nil {
		return nil, err
	}
	v.Schedule = sched.String()
	for _, st := range sch.Steps {
		v.Steps = append(v.Steps, PathStep{Text: st.Text, Note: st.Note})
	}
	for _, ch := range c.Choices() {
		v.Choices = append(v.Choices, l.choice(c, ch))
	}
	v.State = w.state(l)
	st, err := explain.Tell(b.sc, b.r, c.Result(), w.tables)
	if err != nil {
		return nil, err
	}
	var svg strings.Builder
	if err := st.WriteSVG(&svg, "diagram"); err != nil {
		return nil, err
	}
	v.SVG = svg.String()
	v.Rows = []RowView{}
	for _, s := range st.Steps {
		v.Rows = append(v.Rows, RowView{Time: ms(s.At), Actor: s.Actor, What: s.What, Why: s.Why,
			Step: w.pathStep(s.Sim), Table: s.Table})
	}
	v.Checks = w.checks(st)
	return v, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// state lays out the state at the cursor.
func (w *walked) state(l labeller) StateView {
	c := w.c
	actors := c.Actors()
	sv := StateView{Table: explain.Snapshot(c.Now(), actors, l.m.Names), Leases: []LeaseRow{},
		Channels: []ChannelView{}, Timers: []TimerView{}, Actors: []ActorView{}, History: []string{}}
	if sv.Delegations == nil {
		sv.Delegations = []explain.DelegRow{}
	}
	if sv.Clients == nil {
		sv.Clients = []explain.ClientRow{}
	}
	if sv.Waiters == nil {
		sv.Waiters = []string{}
	}
	if srv, ok := actors[model.ServerID].(*model.Server); ok {
		for _, d := range srv.Delegations() {
			sv.Leases = append(sv.Leases, leaseRow(l, d))
		}
	}
	for i := range l.m.Channels {
		cv := ChannelView{Name: l.m.ChannelName(i), Msgs: []MsgView{}}
		for _, f := range c.InFlight(i) {
			ready := "now"
			if f.Ready > c.Now() {
				ready = ms(f.Ready)
			}
			cv.Msgs = append(cv.Msgs, MsgView{Label: l.msg(f.Msg), Raw: f.Msg.Format(l.file(f.Msg.File)), Ready: ready, Due: ms(f.Due)})
		}
		sv.Channels = append(sv.Channels, cv)
	}
	for id := range actors {
		aid := model.ActorID(id)
		for _, t := range c.Timers(aid) {
			name := t.Key.String()
			if t.Crash {
				name = "crash"
			}
			sv.Timers = append(sv.Timers, TimerView{Actor: l.name(aid), Timer: name, What: timerWhy(t), At: ms(t.At)})
		}
		sv.Actors = append(sv.Actors, ActorView{Name: l.name(aid), State: actorState(actors[id])})
	}
	for _, op := range c.History() {
		sv.History = append(sv.History, op.String())
	}
	return sv
}

// leaseRow describes the VFS lease behind a delegation (fs/locks.c): its
// type and whether a break is under way.
func leaseRow(l labeller, d model.Deleg) LeaseRow {
	typ := "F_WRLCK"
	if d.LeaseType == model.DelegRead {
		typ = "F_RDLCK"
	}
	state := "held"
	switch {
	case d.UnlockPending:
		state = "breaking for a writer (FL_UNLOCK_PENDING)"
	case d.DowngradePending:
		state = "breaking for a reader (FL_DOWNGRADE_PENDING): downgraded to F_RDLCK at " + ms(d.DowngradeAt) + " if not returned"
	}
	return LeaseRow{File: l.file(d.File), Type: typ, Owner: "nfsd for " + l.name(d.Client), State: state}
}

// actorState is an actor's standing, from what every actor may tell:
// whether its script is done and whether it has work under way.
func actorState(a model.Actor) string {
	var parts []string
	if c, ok := a.(*model.Client); ok && c.Crashed() {
		parts = append(parts, "crashed")
	}
	if d, ok := a.(interface{ Done() bool }); ok {
		if d.Done() {
			parts = append(parts, "script done")
		} else {
			parts = append(parts, "script running")
		}
	}
	if q, ok := a.(interface{ Quiescent() bool }); ok && !q.Quiescent() {
		parts = append(parts, "work under way")
	}
	if len(parts) == 0 {
		return "idle"
	}
	return strings.Join(parts, ", ")
}

// checks gives the invariants' verdicts on the path and both consistency
// models' verdicts on the operations completed so far.
func (w *walked) checks(st *explain.Story) Checks {
	var ch Checks
	for _, inv := range checker.Invariants {
		iv := InvariantView{Name: inv.Name, Finding: inv.Finding, OK: true, Step: -2}
		seen := w.broken
		if inv.Finding {
			seen = w.findings
		}
		if at, ok := seen[inv.Name]; ok {
			iv.OK, iv.Step = false, at
			ch.Violation = ch.Violation || !inv.Finding
		}
		ch.Invariants = append(ch.Invariants, iv)
	}
	for _, v := range checkState(w.c, w.b.m.Names) {
		for i := range ch.Invariants {
			if ch.Invariants[i].Name == v.Invariant {
				ch.Invariants[i].Detail = v.Detail
			}
		}
	}
	promised, safe := explore.Promise(w.b.run.Policy)
	ops := w.c.History()
	for _, model := range []checker.Consistency{checker.CloseToOpen, checker.Linearizable} {
		res := checker.CheckLinearizability(ops, w.b.m.Init, model, linTimeout)
		cv := ConsistencyView{Model: model.String(), Promised: safe && model == promised, Verdict: res.Verdict.String()}
		for _, sr := range res.StaleReads {
			cv.Detail = append(cv.Detail, sr.String())
			if r := w.opRow(st, sr.Read); r >= 0 {
				cv.Rows = append(cv.Rows, r)
			}
		}
		if res.Verdict == checker.Violation && cv.Promised {
			ch.Violation = true
		}
		ch.Consistency = append(ch.Consistency, cv)
	}
	return ch
}

// opRow is the diagram row of the actor step that completed an
// operation, or -1.
func (w *walked) opRow(st *explain.Story, op model.Op) int {
	res := w.c.Result()
	for k, rec := range res.StepRecords {
		for _, o := range res.Ops[rec.Ops.From:rec.Ops.To] {
			if o.Name() != op.Name() {
				continue
			}
			for i, s := range st.Steps {
				if s.Sim == k {
					return i
				}
			}
		}
	}
	return -1
}

// checkState is checker.CheckState on the cursor's state.
func checkState(c *explore.Cursor, names []string) []checker.InvariantViolation {
	return checker.CheckState(c.Now(), c.Actors(), names...)
}
