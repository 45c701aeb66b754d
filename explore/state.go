package explore

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/cespare/xxhash/v2"

	"github.com/delegsim/delegsim/model"
)

// StepKind says what a transition does.
type StepKind uint8

// Transitions.
const (
	Deliver StepKind = iota // deliver the oldest message in flight on a channel
	Lose                    // lose the oldest message in flight on a lossy channel
	Fire                    // fire an armed timer
	Crash                   // crash a client host at its scheduled time
	Wait                    // let time pass to the next deadline or latest arrival
)

var stepKindNames = [...]string{Deliver: "deliver", Lose: "lose", Fire: "timer", Crash: "crash", Wait: "wait"}

func (k StepKind) String() string {
	if int(k) < len(stepKindNames) {
		return stepKindNames[k]
	}
	return fmt.Sprintf("step(%d)", uint8(k))
}

// Step is one transition of the explored system.
type Step struct {
	Kind  StepKind
	Index int            // the channel (Deliver, Lose) or the actor (Fire, Crash)
	Timer model.TimerKey // Fire
}

// crashTimer is the key under which a client's scheduled crash waits among
// its timers, so that it fires in deadline order like one.
var crashTimer = model.TimerKey{Kind: math.MaxUint8}

// timer is an armed timer of an actor.
type timer struct {
	key model.TimerKey
	at  model.Time
}

// inflight is a message on a channel and the latest time it may arrive.
type inflight struct {
	msg model.Message
	due model.Time
}

// histNode is one operation of an actor's history, newest first; nodes
// are shared between states.
type histNode struct {
	op   model.Op
	prev *histNode
}

// part is one actor's share of a state, with the hashes of each piece.
// Everything a part points to is immutable once the state exists.
type part struct {
	actor      model.Actor
	timers     []timer // sorted by key
	hist       *histNode
	ah, th, hh uint64 // hashes of the actor, its timers, its history
}

// queue is one channel's messages in flight, oldest first.
type queue struct {
	msgs []inflight
	h    uint64
}

// State is a state of the explored system: the actors, their armed
// timers and histories, the messages in flight on each channel, and the
// logical clock. States are immutable and share unchanged pieces.
type State struct {
	now   model.Time
	parts []part
	chans []queue
	hash  uint64
	// arrive is the earliest due time of a message in flight, next the
	// earliest timer deadline (MaxInt64: none); computed once, while the
	// state is fresh in the cache.
	arrive, next model.Time
	depth        int32
	path         *pathNode // how the search reached the state
}

// pathNode records the step that led to a state, for counterexamples.
type pathNode struct {
	prev *pathNode
	step Step
}

// Now is the state's logical time.
func (s *State) Now() model.Time { return s.now }

// Hash is the state's 64-bit fingerprint.
func (s *State) Hash() uint64 { return s.hash }

// recorder observes the steps of a replay; exploration has none.
type recorder interface {
	deliver(now model.Time, ch int, m model.Message)
	lose(now model.Time, ch int, m model.Message)
	fire(now model.Time, actor model.ActorID, key model.TimerKey)
	stepped(now model.Time, actor model.ActorID, in model.Input, out *model.Output)
	send(now model.Time, m model.Message, due model.Time, lost bool)
}

// engine applies transitions. It owns scratch buffers and is not safe for
// concurrent use.
type engine struct {
	m      *Model
	out    model.Output
	buf    []byte
	actors []model.Actor
	rec    recorder
	seen   uint64 // event kinds seen, as a bit set
}

func newEngine(m *Model) *engine {
	return &engine{m: m, buf: make([]byte, 0, 512), actors: make([]model.Actor, len(m.actors))}
}

// initial returns the state after every actor's InStart, in actor order
// as sim starts them, with the scheduled crashes armed.
func (e *engine) initial() *State {
	s := &State{parts: make([]part, len(e.m.actors)), chans: make([]queue, len(e.m.Channels))}
	for id, a := range e.m.actors {
		s.parts[id].actor = a
	}
	for id := range s.parts {
		d := delta{now: s.now, actor: id, p: s.parts[id]}
		e.stepActor(s, &d, model.ActorID(id), model.Input{Kind: model.InStart})
		s = e.materialize(s, &d)
		s.depth = 0
	}
	for i, at := range e.m.crashes {
		if at >= 0 {
			p := &s.parts[1+i]
			p.timers = setTimer(slices.Clone(p.timers), crashTimer, at)
		}
	}
	for id := range s.parts {
		p := &s.parts[id]
		p.th = e.hashTimers(p.timers)
	}
	s.hash = e.stateHash(s)
	s.arrive, s.next = s.horizon()
	return s
}

// delta is a successor in the making: what a step changes in a state.
// Building it is enough to fingerprint the successor, so that a state
// already visited costs no copy of the rest.
type delta struct {
	now   model.Time
	actor int  // the part that changed, or -1
	p     part // its new value
	chans []chanChange
	hash  uint64
}

type chanChange struct {
	i int
	q queue
}

// queue returns channel i as changed so far by d.
func (d *delta) queue(s *State, i int) *queue {
	for k := range d.chans {
		if d.chans[k].i == i {
			return &d.chans[k].q
		}
	}
	d.chans = append(d.chans, chanChange{i: i, q: s.chans[i]})
	return &d.chans[len(d.chans)-1].q
}

// successor applies st to s and returns the new state.
func (e *engine) successor(s *State, st Step) *State {
	var d delta
	e.apply(s, st, &d)
	return e.materialize(s, &d)
}

// apply computes in d what st changes in s, and d.hash. Steps that are
// not enabled in s panic or misbehave: callers take them from enabled.
func (e *engine) apply(s *State, st Step, d *delta) {
	d.now, d.actor, d.chans = s.now, -1, d.chans[:0]
	var id model.ActorID
	var in model.Input
	switch st.Kind {
	case Wait:
		d.now = e.waitTarget(s)
		d.hash = e.deltaHash(s, d)
		return
	case Deliver, Lose:
		q := d.queue(s, st.Index)
		msg := q.msgs[0].msg
		q.msgs = q.msgs[1:len(q.msgs):len(q.msgs)]
		q.h = e.hashQueue(q.msgs)
		if st.Kind == Lose {
			if e.rec != nil {
				e.rec.lose(d.now, st.Index, msg)
			}
			d.hash = e.deltaHash(s, d)
			return
		}
		if e.rec != nil {
			e.rec.deliver(d.now, st.Index, msg)
		}
		id, in = msg.To, model.Input{Kind: model.InDeliver, Msg: msg}
		d.actor, d.p = int(id), s.parts[id]
	default: // Fire, Crash
		id = model.ActorID(st.Index)
		key := st.Timer
		in = model.Input{Kind: model.InTimer, Timer: key}
		if st.Kind == Crash {
			key, in = crashTimer, model.Input{Kind: model.InCrash}
		}
		d.actor, d.p = int(id), s.parts[id]
		i := timerIndex(d.p.timers, key)
		d.now = max(d.now, d.p.timers[i].at)
		d.p.timers = slices.Delete(slices.Clone(d.p.timers), i, i+1)
		d.p.th = e.hashTimers(d.p.timers)
		if e.rec != nil && st.Kind == Fire {
			e.rec.fire(d.now, id, key)
		}
	}
	e.stepActor(s, d, id, in)
	d.hash = e.deltaHash(s, d)
}

// materialize builds the state d describes.
func (e *engine) materialize(s *State, d *delta) *State {
	n := &State{now: d.now, parts: s.parts, chans: s.chans, depth: s.depth + 1, hash: d.hash}
	if d.actor >= 0 {
		n.parts = slices.Clone(s.parts)
		n.parts[d.actor] = d.p
	}
	if len(d.chans) > 0 {
		n.chans = slices.Clone(s.chans)
		for _, c := range d.chans {
			n.chans[c.i] = c.q
		}
	}
	n.arrive, n.next = n.horizon()
	return n
}

// stepActor steps actor id with in, starting from d.p, and applies what
// it asked for to d: timers, messages, history.
func (e *engine) stepActor(s *State, d *delta, id model.ActorID, in model.Input) {
	p := &d.p
	a := p.actor.Clone()
	e.out.Reset()
	a.Step(d.now, in, &e.out)
	p.actor = a
	e.buf = a.AppendState(e.buf[:0])
	p.ah = xxhash.Sum64(e.buf)
	if len(e.out.Timers) > 0 {
		ts := slices.Clone(p.timers)
		for _, t := range e.out.Timers {
			if t.Cancel {
				if i := timerIndex(ts, t.Key); i >= 0 {
					ts = slices.Delete(ts, i, i+1)
				}
				continue
			}
			ts = setTimer(ts, t.Key, max(t.At, d.now))
		}
		p.timers = slices.Clip(ts)
		p.th = e.hashTimers(p.timers)
	}
	for _, ev := range e.out.Events {
		e.seen |= 1 << ev.Kind
	}
	if e.rec != nil {
		e.rec.stepped(d.now, id, in, &e.out)
	}
	for i := range e.out.Ops {
		p.hist = &histNode{op: e.out.Ops[i], prev: p.hist}
		p.hh = e.hashOp(p.hh, &e.out.Ops[i])
	}
	first := len(d.chans)
	for i := range e.out.Msgs {
		msg := &e.out.Msgs[i]
		ci := e.m.channelIndex(msg)
		due, ok := e.m.due(&e.m.Channels[ci], d.now, msg)
		if e.rec != nil {
			e.rec.send(d.now, *msg, due, !ok)
		}
		if !ok {
			continue
		}
		q := d.queue(s, ci)
		if k := len(q.msgs); k > 0 {
			due = max(due, q.msgs[k-1].due) // TCP: no overtaking
		}
		q.msgs = append(q.msgs[:len(q.msgs):len(q.msgs)], inflight{msg: *msg, due: due})
		q.h = 0 // rehashed below, once
	}
	for k := range d.chans {
		if k >= first || d.chans[k].q.h == 0 {
			d.chans[k].q.h = e.hashQueue(d.chans[k].q.msgs)
		}
	}
}

func timerIndex(ts []timer, k model.TimerKey) int {
	for i := range ts {
		if ts[i].key == k {
			return i
		}
	}
	return -1
}

func keyLess(a, b model.TimerKey) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Arg, b.Arg))
}

// setTimer arms k at at in ts (sorted by key), moving it if armed.
func setTimer(ts []timer, k model.TimerKey, at model.Time) []timer {
	i, found := slices.BinarySearchFunc(ts, k, func(t timer, k model.TimerKey) int { return keyLess(t.key, k) })
	if found {
		ts[i].at = at
		return ts
	}
	return slices.Insert(ts, i, timer{key: k, at: at})
}

// horizon computes the earliest due time of a message in flight and the
// earliest timer deadline (MaxInt64: none).
func (s *State) horizon() (arrive, next model.Time) {
	arrive, next = math.MaxInt64, math.MaxInt64
	for ci := range s.chans {
		if q := &s.chans[ci]; len(q.msgs) > 0 {
			arrive = min(arrive, q.msgs[0].due) // dues never fall along a queue
		}
	}
	for id := range s.parts {
		for _, t := range s.parts[id].timers {
			next = min(next, t.at)
		}
	}
	return arrive, next
}

// waitTarget is where a Wait step takes the clock: to the earliest timer
// deadline or the earliest latest-arrival time, whichever comes first.
func (e *engine) waitTarget(s *State) model.Time {
	return min(s.arrive, s.next, e.m.MaxTime)
}

// enabled appends the steps enabled in s to out: delivering (and, on a
// lossy channel, losing) the oldest message of each channel; firing the
// timers with the earliest deadline, provided that deadline is not past
// MaxTime nor past the latest arrival time of any message in flight; and,
// while messages are in flight, letting time pass (Wait) to the earlier
// of those two times. An empty result means the run has ended.
func (e *engine) enabled(s *State, out []Step) []Step {
	for ci := range s.chans {
		if len(s.chans[ci].msgs) == 0 {
			continue
		}
		out = append(out, Step{Kind: Deliver, Index: ci})
		if e.m.Channels[ci].Lossy {
			out = append(out, Step{Kind: Lose, Index: ci})
		}
	}
	arrive, next := s.arrive, s.next
	if arrive != math.MaxInt64 && min(arrive, next, e.m.MaxTime) > s.now {
		out = append(out, Step{Kind: Wait})
	}
	if next > e.m.MaxTime || next > arrive {
		return out
	}
	for id := range s.parts {
		for _, t := range s.parts[id].timers {
			if t.at != next {
				continue
			}
			if t.key == crashTimer {
				out = append(out, Step{Kind: Crash, Index: id})
			} else {
				out = append(out, Step{Kind: Fire, Index: id, Timer: t.key})
			}
		}
	}
	return out
}

type doner interface{ Done() bool }
type quiescer interface{ Quiescent() bool }

// quiet reports what sim's quiet does: no message in flight, every script
// finished, no background work under way.
func (s *State) quiet() bool {
	for i := range s.chans {
		if len(s.chans[i].msgs) > 0 {
			return false
		}
	}
	for i := range s.parts {
		a := s.parts[i].actor
		if d, ok := a.(doner); ok && !d.Done() {
			return false
		}
		if q, ok := a.(quiescer); ok && !q.Quiescent() {
			return false
		}
	}
	return true
}

// finished reports whether a run would stop in s before firing any
// timer: quiet, with no timer due by Until (sim's stopping rule).
func (e *engine) finished(s *State) bool {
	if !s.quiet() {
		return false
	}
	for i := range s.parts {
		for _, t := range s.parts[i].timers {
			if t.at <= e.m.Until {
				return false
			}
		}
	}
	return true
}

// unfinished lists the actors whose scripts have not ended.
func (e *engine) unfinished(s *State) []string {
	var out []string
	for i := range s.parts {
		if d, ok := s.parts[i].actor.(doner); ok && !d.Done() {
			out = append(out, e.m.Names[i])
		}
	}
	return out
}

// actorsOf returns the state's actors in a scratch slice.
func (e *engine) actorsOf(s *State) []model.Actor {
	for i := range s.parts {
		e.actors[i] = s.parts[i].actor
	}
	return e.actors
}

// history returns the state's operations in a canonical order: by
// response time, then invocation, then actor and sequence; IDs follow
// that order.
func (s *State) history() []model.Op {
	type rec struct {
		actor int
		op    model.Op
	}
	var rs []rec
	for id := range s.parts {
		for h := s.parts[id].hist; h != nil; h = h.prev {
			rs = append(rs, rec{id, h.op})
		}
	}
	slices.SortFunc(rs, func(a, b rec) int {
		return cmp.Or(cmp.Compare(a.op.End, b.op.End), cmp.Compare(a.op.Start, b.op.Start),
			cmp.Compare(a.actor, b.actor), cmp.Compare(a.op.Seq, b.op.Seq))
	})
	ops := make([]model.Op, len(rs))
	for i := range rs {
		ops[i] = rs[i].op
		ops[i].ID = i
	}
	return ops
}

// historyHash fingerprints the state's history alone.
func (e *engine) historyHash(s *State) uint64 {
	b := e.buf[:0]
	for i := range s.parts {
		b = binary.LittleEndian.AppendUint64(b, s.parts[i].hh)
	}
	e.buf = b
	return xxhash.Sum64(b)
}

func (e *engine) stateHash(s *State) uint64 {
	return e.deltaHash(s, &delta{now: s.now, actor: -1})
}

// deltaHash fingerprints the successor d describes: its clock and the
// hashes of its parts and channels.
func (e *engine) deltaHash(s *State, d *delta) uint64 {
	b := binary.LittleEndian.AppendUint64(e.buf[:0], uint64(d.now))
	for i := range s.parts {
		p := &s.parts[i]
		if i == d.actor {
			p = &d.p
		}
		b = binary.LittleEndian.AppendUint64(b, p.ah)
		b = binary.LittleEndian.AppendUint64(b, p.th)
		b = binary.LittleEndian.AppendUint64(b, p.hh)
	}
	k := len(b)
	for i := range s.chans {
		b = binary.LittleEndian.AppendUint64(b, s.chans[i].h)
	}
	for _, c := range d.chans {
		binary.LittleEndian.PutUint64(b[k+8*c.i:], c.q.h)
	}
	e.buf = b
	return xxhash.Sum64(b)
}

func (e *engine) hashTimers(ts []timer) uint64 {
	if len(ts) == 0 {
		return 0
	}
	b := e.buf[:0]
	for _, t := range ts {
		b = append(b, byte(t.key.Kind))
		b = binary.LittleEndian.AppendUint32(b, t.key.Arg)
		b = binary.LittleEndian.AppendUint64(b, uint64(t.at))
	}
	e.buf = b
	return xxhash.Sum64(b)
}

func (e *engine) hashQueue(q []inflight) uint64 {
	if len(q) == 0 {
		return 0
	}
	b := e.buf[:0]
	for i := range q {
		b = appendMessage(b, &q[i].msg)
		b = binary.LittleEndian.AppendUint64(b, uint64(q[i].due))
	}
	e.buf = b
	return xxhash.Sum64(b)
}

// appendMessage encodes every field of a message.
func appendMessage(b []byte, m *model.Message) []byte {
	flags := bit(m.Reply) | bit(m.Create)<<1 | bit(m.Excl)<<2 | bit(m.NonBlk)<<3 | bit(m.Confirm)<<4 | bit(m.Dirty)<<5
	b = append(b, byte(m.Kind), flags, byte(m.Status), byte(m.Access), byte(m.Deleg))
	b = binary.AppendUvarint(b, uint64(m.From))
	b = binary.AppendUvarint(b, uint64(m.To))
	b = binary.AppendUvarint(b, uint64(m.XID))
	b = binary.AppendUvarint(b, uint64(m.File))
	b = binary.AppendUvarint(b, uint64(m.Stateid))
	b = binary.AppendUvarint(b, uint64(m.DelegID))
	b = binary.AppendUvarint(b, uint64(m.Revoked))
	b = binary.AppendVarint(b, m.Size)
	b = binary.AppendUvarint(b, m.Change)
	b = binary.AppendUvarint(b, m.Data)
	return binary.AppendVarint(b, m.Bytes)
}

func bit(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// hashOp chains an operation onto the hash of the actor's history so far.
// The actor and its sequence number are implied by the position.
func (e *engine) hashOp(prev uint64, o *model.Op) uint64 {
	b := binary.LittleEndian.AppendUint64(e.buf[:0], prev)
	b = append(b, byte(o.Kind), bit(o.Flushed))
	b = binary.AppendUvarint(b, uint64(len(o.File)))
	b = append(b, o.File...)
	b = binary.AppendUvarint(b, uint64(len(o.Result)))
	b = append(b, o.Result...)
	b = binary.AppendVarint(b, int64(o.Start))
	b = binary.AppendVarint(b, int64(o.End))
	b = binary.AppendVarint(b, int64(o.Attempts))
	b = binary.AppendVarint(b, o.Size)
	b = binary.AppendUvarint(b, o.Change)
	b = binary.AppendUvarint(b, o.Data)
	b = binary.AppendVarint(b, o.Bytes)
	e.buf = b
	h := xxhash.Sum64(b)
	if h == 0 {
		h = 1 // 0 is the empty history
	}
	return h
}
