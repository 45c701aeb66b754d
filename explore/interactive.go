package explore

import (
	"fmt"
	"slices"
	"strings"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/sim"
)

// A Cursor is a position in a model's state space, reached from the
// start state along a path, for driving the model one transition at a
// time as a person does (delegsim serve): list the transitions enabled
// here (Choices), take one (Take), look at the state (Actors, InFlight,
// Timers, History). It uses the explorer's own transitions, so a path
// taken with a Cursor is a schedule that Replay plays back.
//
// A Cursor records the path as a structured trace (Result), as sim does
// with Config.Trace: every actor step with its events, operations and
// messages, and every message with the steps that sent and received it.
type Cursor struct {
	m       *Model
	e       *engine
	f, g    *frame
	d       delta
	enabled []Step
	path    []Step
	rec     *pathRecorder
}

// CursorOptions tune a Cursor.
type CursorOptions struct {
	// Observe, if set, is called with the actors after every actor step,
	// as sim.Config.Observe is: once per Result().StepRecords entry. The
	// actors must not be modified or kept.
	Observe func(now model.Time, actors []model.Actor)
}

// Choice is one transition enabled at a Cursor's position.
type Choice struct {
	Step Step
	// Text is the step as a schedule writes it: "deliver server->c1 callback".
	Text string
	// At is when the transition happens: now for a delivery or a loss,
	// the deadline for a timer or a crash, the clock's target for a wait.
	At model.Time
	// Msg is the message that arrives or is lost (Deliver, Lose), Due the
	// latest time it may arrive.
	Msg *model.Message
	Due model.Time
	// Actor is the actor that steps: the message's receiver, the timer's
	// owner, the crashing client; -1 for a loss or a wait.
	Actor model.ActorID
}

// InFlight is a message on a connection, with the earliest and the
// latest time it may arrive.
type InFlight struct {
	Msg model.Message
	// Ready is the earliest time it may arrive (see ModelOptions.MinDelay);
	// once that time has come the explorer forgets it, and Ready is then
	// some time not after the cursor's Now.
	Ready model.Time
	Due   model.Time
}

// ArmedTimer is an armed timer of an actor. A client's scheduled crash
// waits among its timers (Crash set, Key meaningless), since it fires in
// deadline order like one.
type ArmedTimer struct {
	Key   model.TimerKey
	At    model.Time
	Crash bool
}

// NewCursor returns a Cursor at m's start state: after every actor's
// InStart, as a run starts.
func (m *Model) NewCursor(o CursorOptions) *Cursor {
	c := &Cursor{m: m, e: newEngine(m)}
	c.rec = newPathRecorder(m, c.e, o.Observe)
	c.e.rec = c.rec // a recorder also makes every step run afresh, not memoized
	c.f, c.g = c.e.initial(), c.e.newFrame()
	c.refresh()
	return c
}

// refresh lists the steps enabled at the current state.
func (c *Cursor) refresh() {
	if c.e.finished(c.f, nil) {
		c.enabled = c.enabled[:0]
		return
	}
	c.enabled = c.e.enabled(c.f, c.enabled[:0])
}

// Model returns the model the cursor moves in.
func (c *Cursor) Model() *Model { return c.m }

// Now is the logical clock at the cursor.
func (c *Cursor) Now() model.Time { return c.f.now }

// Depth is the number of transitions taken from the start.
func (c *Cursor) Depth() int { return len(c.path) }

// Ended reports whether the run ends here: no transition is enabled,
// because the run is quiet with nothing due by the scenario's until, or
// nothing can happen before MaxTime.
func (c *Cursor) Ended() bool { return len(c.enabled) == 0 }

// Choices lists the transitions enabled here, in the explorer's order.
func (c *Cursor) Choices() []Choice {
	out := make([]Choice, 0, len(c.enabled))
	for _, st := range c.enabled {
		ch := Choice{Step: st, Text: c.m.stepText(st), At: c.f.now, Actor: -1}
		switch st.Kind {
		case Deliver, Lose:
			head := c.f.chans[st.Index].msgs[0]
			msg := *head.msg
			ch.Msg, ch.Due = &msg, head.due
			if st.Kind == Deliver {
				ch.Actor = msg.To
			}
		case Wait:
			ch.At = c.e.waitTarget(c.f)
		case Fire, Crash:
			key := st.Timer
			if st.Kind == Crash {
				key = crashTimer
			}
			p := c.f.parts[st.Index]
			ch.At = max(c.f.now, p.timers[timerIndex(p.timers, key)].at)
			ch.Actor = model.ActorID(st.Index)
		}
		out = append(out, ch)
	}
	return out
}

// Take applies the i-th of Choices.
func (c *Cursor) Take(i int) error {
	if i < 0 || i >= len(c.enabled) {
		if len(c.enabled) == 0 {
			return fmt.Errorf("explore: the run has ended at %s: no transition is enabled", ms(c.f.now))
		}
		return fmt.Errorf("explore: choice %d out of range: %d transitions are enabled", i, len(c.enabled))
	}
	st := c.enabled[i]
	c.e.apply(c.f, st, &c.d)
	c.e.advance(c.g, c.f, &c.d)
	c.f, c.g = c.g, c.f
	c.path = append(c.path, st)
	c.refresh()
	return nil
}

// TakeText applies the enabled transition a schedule line names
// ("deliver c1->server fore"). The error lists the enabled ones when
// that one is not.
func (c *Cursor) TakeText(text string) error {
	sch, err := ParseSchedule("step", []byte("scenario x\npolicy x\nprofile x\nseed 0\n"+text+"\n"))
	if err != nil {
		return err
	}
	if len(sch.Steps) != 1 {
		return fmt.Errorf("explore: %q is not one schedule step", text)
	}
	st, err := c.m.resolve(sch.Steps[0].Text)
	if err != nil {
		return err
	}
	i := slices.Index(c.enabled, st)
	if i < 0 {
		var names []string
		for _, e := range c.enabled {
			names = append(names, c.m.stepText(e))
		}
		msg := fmt.Sprintf("%q is not enabled at %s", sch.Steps[0].Text, ms(c.f.now))
		if len(names) == 0 {
			return fmt.Errorf("explore: %s (the run has ended)", msg)
		}
		return fmt.Errorf("explore: %s (enabled: %s)", msg, strings.Join(names, "; "))
	}
	return c.Take(i)
}

// Path returns the transitions taken from the start.
func (c *Cursor) Path() []Step { return slices.Clone(c.path) }

// Schedule returns the path as a schedule, with the time and what moved
// at each step as comments, ready for Format and `delegsim run
// --schedule`.
func (c *Cursor) Schedule() *Schedule { return c.m.schedule(c.path) }

// Actors returns the actors' states here, indexed by model.ActorID. They
// are shared with the explorer and must not be modified.
func (c *Cursor) Actors() []model.Actor {
	out := make([]model.Actor, len(c.f.parts))
	for i, p := range c.f.parts {
		out[i] = p.actor
	}
	return out
}

// InFlight returns the messages in flight on channel ch (an index in
// Model.Channels), oldest first.
func (c *Cursor) InFlight(ch int) []InFlight {
	q := c.f.chans[ch]
	out := make([]InFlight, len(q.msgs))
	for i, m := range q.msgs {
		out[i] = InFlight{Msg: *m.msg, Ready: m.ready, Due: m.due}
	}
	return out
}

// Timers returns an actor's armed timers, by kind and argument.
func (c *Cursor) Timers(actor model.ActorID) []ArmedTimer {
	p := c.f.parts[actor]
	out := make([]ArmedTimer, len(p.timers))
	for i, t := range p.timers {
		out[i] = ArmedTimer{Key: t.key, At: t.at, Crash: t.key == crashTimer}
	}
	return out
}

// History returns the operations completed so far, in the canonical
// order the explorer checks them in.
func (c *Cursor) History() []model.Op { return c.e.history(c.f, nil) }

// Unfinished lists the actors whose scripts have not ended.
func (c *Cursor) Unfinished() []string { return c.e.unfinished(c.f, nil) }

// Result returns the path so far as sim reports a traced run: the
// actors' steps (StepRecords) with their events, operations and messages,
// every message with the steps that sent and received it (Recv -1 while
// it is in flight; Dropped once lost), End and Unfinished. Its slices are
// shared with the cursor and grow as it moves.
func (c *Cursor) Result() *sim.Result {
	r := c.rec.res
	r.End = c.f.now
	r.Unfinished = c.Unfinished()
	r.Actors = c.Actors()
	return r
}

// pathRecorder builds a sim.Result with its structured trace from the
// explorer's steps.
type pathRecorder struct {
	m       *Model
	e       *engine
	res     *sim.Result
	observe func(now model.Time, actors []model.Actor)
	actors  []model.Actor // the actors after the latest step of each
	pending [][]int       // per channel: indexes in res.Messages in flight, oldest first
}

func newPathRecorder(m *Model, e *engine, observe func(model.Time, []model.Actor)) *pathRecorder {
	r := &pathRecorder{m: m, e: e, res: &sim.Result{Names: m.Names, Files: m.Files}, observe: observe,
		actors: make([]model.Actor, len(m.actors)), pending: make([][]int, len(m.Channels))}
	for i, a := range m.actors {
		r.actors[i] = a.Clone()
	}
	return r
}

func (r *pathRecorder) deliver(now model.Time, ch int, _ model.Message) {
	idx := r.pending[ch][0]
	r.pending[ch] = r.pending[ch][1:]
	mr := &r.res.Messages[idx]
	// The step that receives it is recorded next, as sim records Recv.
	mr.Recv, mr.Arrives = len(r.res.StepRecords), now
}

func (r *pathRecorder) lose(_ model.Time, ch int, _ model.Message) {
	idx := r.pending[ch][0]
	r.pending[ch] = r.pending[ch][1:]
	r.res.Messages[idx].Dropped = true
	r.res.Dropped++
}

func (r *pathRecorder) fire(model.Time, model.ActorID, model.TimerKey) {}

// stepped records an actor step. The engine calls it right after the
// actor's Step, while the actor's new state is in the engine's scratch
// copy, and then send once per message of out.
func (r *pathRecorder) stepped(now model.Time, actor model.ActorID, in model.Input, out *model.Output) {
	res := r.res
	rec := sim.StepRecord{At: now, Actor: actor, Input: in,
		Events: sim.Span{From: len(res.Events)}, Ops: sim.Span{From: len(res.Ops)},
		Msgs: sim.Span{From: len(res.Messages), To: len(res.Messages)}}
	for _, ev := range out.Events {
		res.Events = append(res.Events, sim.TimedEvent{At: now, Event: ev})
	}
	for _, op := range out.Ops {
		op.ID = len(res.Ops)
		res.Ops = append(res.Ops, op)
	}
	rec.Events.To, rec.Ops.To = len(res.Events), len(res.Ops)
	res.StepRecords = append(res.StepRecords, rec)
	res.Steps++
	r.actors[actor] = r.e.scratch[actor].Clone()
	if r.observe != nil {
		r.observe(now, r.actors)
	}
}

func (r *pathRecorder) send(now model.Time, msg model.Message, due model.Time, lost bool) {
	res := r.res
	if !msg.Reply {
		res.Sent[msg.Kind]++
	}
	idx := len(res.Messages)
	mr := sim.MessageRecord{Msg: msg, Sent: now, Arrives: due, Dropped: lost, Step: len(res.StepRecords) - 1, Recv: -1}
	if lost {
		res.Dropped++
	} else {
		ch := r.m.channelIndex(&msg)
		r.pending[ch] = append(r.pending[ch], idx)
	}
	res.Messages = append(res.Messages, mr)
	res.StepRecords[len(res.StepRecords)-1].Msgs.To = len(res.Messages)
}
