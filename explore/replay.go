package explore

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
)

// ReplayOptions tune a replay.
type ReplayOptions struct {
	// Trace records every message, timer, event and operation in
	// Result.Trace, in sim's format.
	Trace bool
	// Observe, if set, is called with the actors after every actor step,
	// as sim.Config.Observe is: once per Result.StepRecords entry. The
	// actors are those after the schedule step that took the actor step,
	// so the start's steps (every actor's InStart) all see the state after
	// the last of them.
	Observe func(now model.Time, actors []model.Actor)
	// File names the schedule in errors.
	File string
}

// Replay runs m along the schedule, step by step, and returns the run as
// sim reports one, so that expectations and checkers apply to it. Every
// step must be enabled when its turn comes (see the package
// documentation); the run ends with the last step.
func Replay(m *Model, sch *Schedule, o ReplayOptions) (*sim.Result, error) {
	steps := make([]Step, len(sch.Steps))
	for i, st := range sch.Steps {
		s, err := m.resolve(st.Text)
		if err != nil {
			return nil, &ScheduleError{File: o.File, Line: st.Line, Msg: err.Error()}
		}
		steps[i] = s
	}
	res := &sim.Result{Names: m.Names, Files: m.Files}
	rec := &resultRecorder{m: m, res: res, trace: o.Trace, queues: make([][]int, len(m.Channels)), recv: -1}
	var eng *engine
	observed := 0
	f, err := m.walk(steps, rec, func(i int, e *engine, f *frame, enabled []Step) error {
		eng = e
		if o.Observe != nil && observed < rec.steps {
			actors := e.actorsOf(f, nil)
			for ; observed < rec.steps; observed++ {
				o.Observe(f.now, actors)
			}
		}
		if i+1 < len(steps) && !slices.Contains(enabled, steps[i+1]) {
			var names []string
			for _, e := range enabled {
				names = append(names, m.stepText(e))
			}
			msg := fmt.Sprintf("%q is not enabled at %s", sch.Steps[i+1].Text, ms(f.now))
			if len(names) == 0 {
				msg += " (the run has ended)"
			} else {
				msg += " (enabled: " + strings.Join(names, "; ") + ")"
			}
			return &ScheduleError{File: o.File, Line: sch.Steps[i+1].Line, Msg: msg}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.End = f.now
	res.Unfinished = eng.unfinished(f, nil)
	for i := range f.parts {
		res.Actors = append(res.Actors, f.parts[i].actor.Clone())
	}
	return res, nil
}

// walk applies steps from the initial state with rec watching. check is
// called with the start state (i = -1) and after each step i, with the
// steps enabled next; it may stop the walk with an error. The frame it is
// given is reused for the next state.
func (m *Model) walk(steps []Step, rec recorder, check func(i int, e *engine, f *frame, enabled []Step) error) (*frame, error) {
	e := newEngine(m)
	e.rec = rec
	f, g := e.initial(), e.newFrame()
	var d delta
	var enabled []Step
	for i := -1; i < len(steps); i++ {
		if i >= 0 {
			e.apply(f, steps[i], &d)
			e.advance(g, f, &d)
			f, g = g, f
		}
		if e.finished(f, nil) {
			enabled = enabled[:0]
		} else {
			enabled = e.enabled(f, enabled[:0])
		}
		if err := check(i, e, f, enabled); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// notes describes each step: when it happened and what moved.
func (m *Model) notes(steps []Step) []string {
	nr := &noteRecorder{m: m}
	out := make([]string, len(steps))
	m.walk(steps, nr, func(i int, _ *engine, f *frame, _ []Step) error {
		if i >= 0 {
			out[i] = strings.TrimSpace(ms(f.now) + " " + strings.Join(nr.parts, "; "))
		}
		nr.parts = nr.parts[:0]
		return nil
	})
	return out
}

// ReplayFile replays the schedule file at path on scenario sc. The run
// takes the schedule's policy, profile and seed unless o sets them, in
// which case they must agree; sets are the --set overrides sc was loaded
// with, which must be the schedule's.
func ReplayFile(sc *scenarios.Scenario, o scenarios.Options, sets []string, path string) (*sim.Result, scenarios.Resolved, error) {
	sch, o, err := ReadScheduleFor(sc, o, sets, path)
	if err != nil {
		return nil, scenarios.Resolved{}, err
	}
	m, r, err := FromScenario(sc, o, ModelOptions{MaxDelay: sch.MaxDelay, MinDelay: sch.MinDelay})
	if err != nil {
		return nil, r, err
	}
	res, err := Replay(m, sch, ReplayOptions{Trace: o.Trace, Observe: o.Observe, File: path})
	return res, r, err
}

// ReadScheduleFor reads the schedule file at path and checks that it was
// recorded for sc, loaded with the --set overrides sets, under o's
// policy, profile and seed where o sets them. It returns the schedule and
// o with the schedule's policy, profile and seed filled in.
func ReadScheduleFor(sc *scenarios.Scenario, o scenarios.Options, sets []string, path string) (*Schedule, scenarios.Options, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, o, &ScheduleError{File: path, Msg: err.Error()}
	}
	sch, err := ParseSchedule(path, data)
	if err != nil {
		return nil, o, err
	}
	bad := func(format string, args ...any) error {
		return &ScheduleError{File: path, Msg: fmt.Sprintf(format, args...)}
	}
	if sch.Scenario != sc.Name() {
		return nil, o, bad("recorded for scenario %s, not %s", sch.Scenario, sc.Name())
	}
	if o.Policy == "" && o.PolicyValue == nil {
		o.Policy = sch.Policy
	}
	if o.Profile == "" {
		o.Profile = sch.Profile
	}
	if !o.HasSeed {
		o.Seed, o.HasSeed = sch.Seed, true
	}
	if !slices.Equal(sets, sch.Sets) {
		return nil, o, bad("recorded with overrides [%s], this run has [%s]: pass the same --set flags",
			strings.Join(sch.Sets, " "), strings.Join(sets, " "))
	}
	r, err := sc.Resolve(o)
	if err != nil {
		return nil, o, err
	}
	for _, c := range []struct{ what, got, want string }{
		{"policy", r.Policy.Name(), sch.Policy}, {"profile", r.Profile.Name, sch.Profile},
		{"seed", fmt.Sprint(r.Seed), fmt.Sprint(sch.Seed)}} {
		if c.got != c.want {
			return nil, o, bad("recorded with %s %s, this run uses %s %s", c.what, c.want, c.what, c.got)
		}
	}
	return sch, o, nil
}

// ms renders virtual time as traces and reports do.
func ms(t model.Time) string { return fmt.Sprintf("%.3fms", float64(t)/1e6) }

func (m *Model) msgText(msg model.Message) string {
	s := msg.String()
	if int(msg.File) < len(m.Files) {
		s = strings.Replace(s, fmt.Sprintf(" file=%d", msg.File), " file="+m.Files[msg.File], 1)
	}
	return s
}

// resultRecorder builds a sim.Result as the simulator would; with trace
// on, the structured trace too (StepRecords and Messages), which
// package explain narrates.
type resultRecorder struct {
	m     *Model
	res   *sim.Result
	trace bool
	steps int // actor steps taken
	// queues holds, per channel, the Messages indexes of the messages in
	// flight, oldest first (connections are FIFO); recv is the message the
	// next actor step receives, or -1.
	queues [][]int
	recv   int
}

func (r *resultRecorder) line(at model.Time, format string, args ...any) {
	if r.trace {
		r.res.Trace = append(r.res.Trace, fmt.Sprintf("%12.3fms ", float64(at)/1e6)+fmt.Sprintf(format, args...))
	}
}

func (r *resultRecorder) deliver(now model.Time, ch int, msg model.Message) {
	r.line(now, "%-7s recv %s <- %s", r.m.Names[msg.To], r.m.msgText(msg), r.m.Names[msg.From])
	if i := r.pop(ch); i >= 0 {
		r.res.Messages[i].Arrives = now
		r.recv = i // the step that follows receives it
	}
}

func (r *resultRecorder) lose(now model.Time, ch int, msg model.Message) {
	r.res.Dropped++
	r.line(now, "%-7s drop %s -> %s", r.m.Names[msg.From], r.m.msgText(msg), r.m.Names[msg.To])
	if i := r.pop(ch); i >= 0 {
		r.res.Messages[i].Dropped = true
	}
}

// pop takes the oldest message in flight on channel ch off its queue and
// returns its Messages index, or -1 when no structured trace is kept.
func (r *resultRecorder) pop(ch int) int {
	if !r.trace || len(r.queues[ch]) == 0 {
		return -1
	}
	i := r.queues[ch][0]
	r.queues[ch] = r.queues[ch][1:]
	return i
}

func (r *resultRecorder) fire(now model.Time, actor model.ActorID, key model.TimerKey) {
	r.line(now, "%-7s timer %s", r.m.Names[actor], key)
}

func (r *resultRecorder) stepped(now model.Time, actor model.ActorID, in model.Input, out *model.Output) {
	r.steps++
	if r.trace {
		// The spans are filled below; the sends that follow this call
		// extend Msgs.
		n := len(r.res.Messages)
		r.res.StepRecords = append(r.res.StepRecords, sim.StepRecord{At: now, Actor: actor, Input: in,
			Events: sim.Span{From: len(r.res.Events), To: len(r.res.Events) + len(out.Events)},
			Ops:    sim.Span{From: len(r.res.Ops), To: len(r.res.Ops) + len(out.Ops)},
			Msgs:   sim.Span{From: n, To: n}})
		if in.Kind == model.InDeliver && r.recv >= 0 {
			r.res.Messages[r.recv].Recv = len(r.res.StepRecords) - 1
		}
		r.recv = -1
	}
	for _, ev := range out.Events {
		r.res.Events = append(r.res.Events, sim.TimedEvent{At: now, Event: ev})
		r.line(now, "%-7s event file=%d client=%s %s: %s", r.m.Names[ev.Actor], ev.File, r.name(ev.Client), ev.Kind, ev.Why)
	}
	for _, op := range out.Ops {
		op.ID = len(r.res.Ops)
		r.res.Ops = append(r.res.Ops, op)
		r.line(op.End, "%-7s op %s", op.Actor, op)
	}
}

func (r *resultRecorder) send(now model.Time, msg model.Message, due model.Time, lost bool) {
	if !msg.Reply {
		r.res.Sent[msg.Kind]++
	}
	if r.trace {
		// Arrives is the due time until the delivery says when.
		r.res.Messages = append(r.res.Messages, sim.MessageRecord{Msg: msg, Sent: now, Arrives: due, Dropped: lost,
			Step: len(r.res.StepRecords) - 1, Recv: -1})
		r.res.StepRecords[len(r.res.StepRecords)-1].Msgs.To = len(r.res.Messages)
		if !lost {
			ch := r.m.channelIndex(&msg)
			r.queues[ch] = append(r.queues[ch], len(r.res.Messages)-1)
		}
	}
	if lost {
		r.res.Dropped++
		r.line(now, "%-7s drop %s -> %s (partitioned)", r.m.Names[msg.From], r.m.msgText(msg), r.m.Names[msg.To])
		return
	}
	r.line(now, "%-7s send %s -> %s (arrives by %s)", r.m.Names[msg.From], r.m.msgText(msg), r.m.Names[msg.To], ms(due))
}

func (r *resultRecorder) name(id model.ActorID) string {
	if int(id) < len(r.m.Names) {
		return r.m.Names[id]
	}
	return fmt.Sprint(id)
}

// noteRecorder collects a short account of each step for schedule
// comments: the message that moved, the operations that ended, the
// delegation events.
type noteRecorder struct {
	m     *Model
	parts []string
}

func (n *noteRecorder) deliver(_ model.Time, _ int, msg model.Message) {
	n.parts = append(n.parts, n.m.msgText(msg))
}

func (n *noteRecorder) lose(_ model.Time, _ int, msg model.Message) {
	n.parts = append(n.parts, "lost: "+n.m.msgText(msg))
}

func (n *noteRecorder) fire(model.Time, model.ActorID, model.TimerKey) {}

func (n *noteRecorder) stepped(_ model.Time, _ model.ActorID, in model.Input, out *model.Output) {
	if in.Kind == model.InCrash {
		n.parts = append(n.parts, "crash")
	}
	for _, ev := range out.Events {
		switch ev.Kind {
		case model.EvWriteback, model.EvLocalWait, model.EvCBGetattrOK, model.EvCrash:
			continue
		}
		n.parts = append(n.parts, ev.Kind.String())
	}
	for _, op := range out.Ops {
		n.parts = append(n.parts, fmt.Sprintf("%s %s %s %s", op.Name(), op.Kind, op.File, op.Result))
	}
}

func (n *noteRecorder) send(model.Time, model.Message, model.Time, bool) {}
