package explore

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"

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

// inflight is a message on a channel and the earliest and latest times
// it may arrive.
type inflight struct {
	msg        *model.Message // interned
	mid        uint32         // its index among the interned messages
	ready, due model.Time
}

// part is one actor's share of a state: the actor, its armed timers and
// its history. Parts are interned (engine.internPart): each distinct value
// exists once, is never modified, and is shared by every state that has
// it.
type part struct {
	actor  model.Actor
	timers []timer    // sorted by key
	hist   uint32     // the actor's history: an index in engine.hists, 0: empty
	id     uint32     // index among the actor's interned parts
	ah, th uint64     // fingerprints of the actor and of its timers
	tmin   model.Time // the earliest timer deadline (MaxInt64: none)
	term   uint64     // the part's term in a state's fingerprint (see frameHash)
	// The actor's Done and Quiescent (true for actors without them).
	done, quiet bool
	c           *canonInfo // with Options.Symmetry
}

// queue is one channel's messages in flight, oldest first. Queues are
// interned like parts.
type queue struct {
	msgs []inflight
	id   uint32                // index among the channel's interned queues
	h    uint64                // fingerprint
	term uint64                // the queue's term in a state's fingerprint
	tail atomic.Pointer[queue] // msgs[1:], once asked for
	c    *canonInfo
}

// frame is one state of the explored system: the logical clock and, for
// each actor, its part and, for each channel, its queue. Frames are
// reused for state after state (DFS keeps one per depth, BFS one into
// which it loads each state of its frontier, a replay two); what they
// point to is interned and immutable, so a frame is a few words per actor
// and channel.
type frame struct {
	now   model.Time
	depth int32
	hash  uint64 // the state's fingerprint
	// arrive is the earliest due time of a message in flight, next the
	// earliest timer deadline (MaxInt64: none).
	arrive, next model.Time
	// arriveCh and nextPart are the channel and the part those come from
	// (-1: none); busy counts the channels with messages in flight, mask
	// has their bits (fullMask: more than 64 channels).
	arriveCh, nextPart int
	busy               int
	parts              []*part
	chans              []*queue
	mask               uint64
	// ts are the template sums per symmetry (canon.go), with
	// Options.Symmetry.
	ts []uint64
	// xs[s] is renamed(f, nil, s), where xv[s].
	xs []uint64
	xv []bool
}

const fullMask = ^uint64(0)

// recorder observes the steps of a replay; exploration has none.
type recorder interface {
	deliver(now model.Time, ch int, m model.Message)
	lose(now model.Time, ch int, m model.Message)
	fire(now model.Time, actor model.ActorID, key model.TimerKey)
	stepped(now model.Time, actor model.ActorID, in model.Input, out *model.Output)
	send(now model.Time, m model.Message, due model.Time, lost bool)
}

// histNode is one operation of an actor's history; histories are interned
// (engine.intern), so that equal histories are one chain of nodes.
type histNode struct {
	op   model.Op
	prev uint32
	h    uint64   // fingerprint of the history up to and including op
	hs   []uint64 // with symmetries: h of the history's image under each
}

type histKey struct {
	h     uint64
	actor int
}

// stepKey is an actor's step: which actor, from which part, at what time,
// on which input. The actors are pure, so a step's result is a function
// of its key and is computed once (engine.stepMemo).
//
// Its three words: the actor (16 bits), the input's kind (8), the timer's
// kind (8) and the part's index (32); for a delivery the message's index,
// for a timer its argument; the time.
func stepKey(actor model.ActorID, kind model.InputKind, pid, mid uint32, timer model.TimerKey, now model.Time) memoKey {
	b := uint64(mid)
	if kind != model.InDeliver {
		b = uint64(timer.Arg)
	}
	return memoKey{uint64(actor)<<48 | uint64(kind)<<40 | uint64(timer.Kind)<<32 | uint64(pid), b, uint64(now)}
}

// stepResult is what a step did: the actor's new part, the messages it
// sent, and the kinds of events it reported.
type stepResult struct {
	p     *part
	sends []send
	seen  uint64
}

// send is a message an actor sent, on its channel, with its due time
// before the channel's no-overtaking rule; lost if a partition that never
// heals swallows it.
type send struct {
	ch         int32
	mid        uint32
	lost       bool
	ready, due model.Time
}

// tables is what the engines of one search's workers share: the
// interned parts, queues, messages and histories, and the memos of
// steps and pushes. Lookups on the hot path (a memoized step, a push, a
// queue's tail, a part by index) take no lock (tables.go); whatever adds
// to the tables holds mu, and so does reading hists.
type tables struct {
	m    *Model
	salt []uint64 // per fingerprint component: see frameHash
	mu   sync.Mutex

	parts   []internTable[part]  // by actor
	queues  []internTable[queue] // by channel
	msgs    []*msgEntry          // interned messages
	msgIdx  map[model.Message]uint32
	hists   []histNode // interned histories; 0 is the empty one
	histIdx map[histKey]uint32

	stepMemo memo[stepResult] // by stepKey
	// pushMemo is by the channel (32 bits) and the queue's index (32),
	// the message's index, and the ready and due times.
	pushMemo  memo[queue]
	ripeMemo  memo[queue] // by channel and queue (see push), and the time
	sendArena []send
	ibuf      []byte // scratch for interning keys

	sym *symState // with Options.Symmetry
}

// engine applies transitions for one worker. It interns parts, queues,
// messages and histories, memoizes actors' steps and queues' pushes, and
// steps actors on scratch copies when a step is new. Engines made by
// fork share their tables; each is for one goroutine.
type engine struct {
	*tables
	out    model.Output
	buf    []byte
	actors []model.Actor // a state's actors, for checkers
	// scratch holds, per actor, the copy a new step works on.
	scratch []model.Actor
	rec     recorder
	seen    uint64 // event kinds seen, as a bit set
	// noMemo steps actors afresh even when the step was memoized, as a
	// replay does (tests compare the two).
	noMemo   bool
	timers   []timer  // scratch
	ebuf     []byte   // scratch for frontier entries (codec.go)
	ren      renamer  // canonical fingerprints (canon.go)
	queueBuf []*queue // a successor's channels, for encode
}

// internTable holds the distinct values of one actor's parts or one
// channel's queues, by index and by lossless encoding.
type internTable[T any] struct {
	index  map[string]*T
	values vec[T]
}

type msgEntry struct {
	msg model.Message
	h   uint64
}

// newEngine returns an engine for m; with symmetries (the identity
// first), its parts and queues carry their canonical templates.
func newEngine(m *Model, perms ...perm) *engine {
	t := &tables{m: m, parts: make([]internTable[part], len(m.actors)), queues: make([]internTable[queue], len(m.Channels)),
		msgIdx: map[model.Message]uint32{}, hists: []histNode{{}}, histIdx: map[histKey]uint32{}}
	for i := range m.actors {
		t.parts[i].index = map[string]*part{}
	}
	n := 3*len(m.actors) + len(m.Channels) + 1
	t.salt = make([]uint64, n)
	for i := range t.salt {
		t.salt[i] = mix(uint64(i+1) * 0x9e3779b97f4a7c15)
	}
	if len(perms) > 0 {
		t.sym = newSymState(m, perms)
		t.hists[0].hs = make([]uint64, len(perms))
	}
	e := t.fork()
	for ci := range e.queues {
		e.queues[ci].index = map[string]*queue{}
		e.internQueue(ci, nil) // index 0: empty
	}
	return e
}

// fork returns another engine on the same tables, for another worker.
func (t *tables) fork() *engine {
	e := &engine{tables: t, buf: make([]byte, 0, 512), actors: make([]model.Actor, len(t.m.actors)),
		scratch: make([]model.Actor, len(t.m.actors))}
	for i, a := range t.m.actors {
		e.scratch[i] = a.Clone()
	}
	return e
}

// newFrame returns an empty frame, to be filled by advance or load.
func (e *engine) newFrame() *frame {
	f := &frame{parts: make([]*part, len(e.m.actors)), chans: make([]*queue, len(e.m.Channels))}
	if e.sym != nil {
		n := len(e.sym.perms)
		f.ts, f.xs, f.xv = make([]uint64, n), make([]uint64, n), make([]bool, n)
	}
	return f
}

// initial returns the state after every actor's InStart, in actor order
// as sim starts them, with the scheduled crashes armed.
func (e *engine) initial() *frame {
	f := e.newFrame()
	e.mu.Lock()
	for id, a := range e.m.actors {
		f.parts[id] = e.internPart(id, a, nil, 0)
	}
	e.mu.Unlock()
	for ci := range f.chans {
		f.chans[ci] = e.queues[ci].values.at(0)
	}
	var d delta
	for id := range f.parts {
		d = delta{now: f.now, actor: id, chans: d.chans[:0]}
		e.step(f, &d, model.ActorID(id), model.Input{Kind: model.InStart}, f.parts[id], 0)
		e.advance(f, f, &d)
	}
	e.mu.Lock()
	for i, at := range e.m.crashes {
		if at >= 0 {
			p := f.parts[1+i]
			f.parts[1+i] = e.internPart(1+i, p.actor, setTimer(slices.Clone(p.timers), crashTimer, at), p.hist)
		}
	}
	e.mu.Unlock()
	f.depth = 0
	f.hash = e.frameHash(f)
	f.arrive, f.next = f.horizon()
	if e.sym != nil {
		e.canonSums(f, f.ts)
		clear(f.xv)
	}
	return f
}

// key is what the visited set holds for f: its fingerprint or, with
// symmetries, its canonical fingerprint.
func (e *engine) key(f *frame) uint64 {
	if e.sym != nil {
		return e.canonKey(f, nil, f.ts)
	}
	return f.hash
}

// delta is a successor in the making: what a step changes in a frame.
// Building it is enough to fingerprint the successor.
type delta struct {
	now   model.Time
	actor int   // the part that changed, or -1
	p     *part // its new value
	chans []chanChange
	hash  uint64
	// key is what the visited set holds: hash or, with symmetries, the
	// canonical fingerprint, from the template sums ts.
	key  uint64
	ts   []uint64
	mask uint64
	xc   []symNames // the names canonKey computed
}

type chanChange struct {
	i int
	q *queue
}

// queue returns channel i of the state f+d (d may be nil).
func (f *frame) queue(d *delta, i int) *queue {
	if d != nil {
		for k := range d.chans {
			if d.chans[k].i == i {
				return d.chans[k].q
			}
		}
	}
	return f.chans[i]
}

// part returns part i of the state f+d (d may be nil).
func (f *frame) part(d *delta, i int) *part {
	if d != nil && d.actor == i {
		return d.p
	}
	return f.parts[i]
}

// setQueue records in d that channel i becomes q.
func (d *delta) setQueue(i int, q *queue) {
	for k := range d.chans {
		if d.chans[k].i == i {
			d.chans[k].q = q
			return
		}
	}
	d.chans = append(d.chans, chanChange{i: i, q: q})
}

// apply computes in d what st changes in f, d.hash and d.key. Steps that
// are not enabled in f panic or misbehave: callers take them from
// enabled.
func (e *engine) apply(f *frame, st Step, d *delta) {
	e.applyRaw(f, st, d)
	if e.sym != nil {
		e.canonicalize(f, d)
	}
}

// applyRaw is apply without the canonical fingerprint: d.key is d.hash.
func (e *engine) applyRaw(f *frame, st Step, d *delta) {
	d.now, d.actor, d.p, d.chans = f.now, -1, nil, d.chans[:0]
	switch st.Kind {
	case Wait:
		d.now = e.waitTarget(f)
		e.ripen(f, d)
	case Deliver, Lose:
		q := f.chans[st.Index]
		m := q.msgs[0]
		d.setQueue(st.Index, e.pop(st.Index, q))
		if st.Kind == Lose {
			if e.rec != nil {
				e.rec.lose(d.now, st.Index, *m.msg)
			}
			break
		}
		if e.rec != nil {
			e.rec.deliver(d.now, st.Index, *m.msg)
		}
		id := m.msg.To
		d.actor = int(id)
		e.step(f, d, id, model.Input{Kind: model.InDeliver, Msg: *m.msg}, f.parts[id], m.mid)
	default: // Fire, Crash
		id := model.ActorID(st.Index)
		key := st.Timer
		in := model.Input{Kind: model.InTimer, Timer: key}
		if st.Kind == Crash {
			key, in = crashTimer, model.Input{Kind: model.InCrash}
		}
		p := f.parts[id]
		i := timerIndex(p.timers, key)
		d.now = max(d.now, p.timers[i].at)
		e.ripen(f, d)
		d.actor = int(id)
		if e.rec != nil && st.Kind == Fire {
			e.rec.fire(d.now, id, key)
		}
		e.step(f, d, id, in, p, 0)
	}
	d.hash = e.deltaHash(f, d)
	d.key = d.hash
}

// canonicalize sets d.key to the canonical fingerprint of f+d (apply
// does, unless told not to: expand first looks the plain fingerprint up
// among the states it has recently seen).
func (e *engine) canonicalize(f *frame, d *delta) {
	if len(d.ts) != len(f.ts) {
		d.ts = make([]uint64, len(f.ts))
	}
	d.mask = f.mask
	if d.mask != fullMask {
		for _, c := range d.chans {
			if len(c.q.msgs) > 0 {
				d.mask |= 1 << c.i
			} else {
				d.mask &^= 1 << c.i
			}
		}
	}
	e.canonDelta(f, d)
	d.key = e.canonKey(f, d, d.ts)
}

// step steps actor id from part p with in at d.now (for a delivery, mid
// is the message's index), and records in d the actor's new part and the
// messages it sent. A fired timer is disarmed before the step.
func (e *engine) step(f *frame, d *delta, id model.ActorID, in model.Input, p *part, mid uint32) {
	fired := in.Timer
	if in.Kind == model.InCrash {
		fired = crashTimer
	}
	k := stepKey(id, in.Kind, p.id, mid, fired, d.now)
	r := e.stepMemo.get(k)
	if r == nil || e.rec != nil || e.noMemo {
		e.mu.Lock()
		if r = e.stepMemo.get(k); r == nil || e.rec != nil || e.noMemo {
			nr := e.stepNew(d.now, id, in, p, fired)
			if r == nil {
				e.stepMemo.put(k, &nr)
			}
			r = &nr
		}
		e.mu.Unlock()
	}
	e.seen |= r.seen
	d.p = r.p
	for _, s := range r.sends {
		if s.lost {
			continue
		}
		q := f.queue(d, int(s.ch))
		ready, due := s.ready, s.due
		if n := len(q.msgs); n > 0 {
			// TCP: no overtaking, as sim's channelState.last.
			ready, due = max(ready, q.msgs[n-1].ready), max(due, q.msgs[n-1].due)
		}
		if ready <= d.now {
			ready = 0 // ripe: see ripen
		}
		d.setQueue(int(s.ch), e.push(int(s.ch), q, s.mid, ready, due))
	}
}

// stepNew steps actor id from part p on a scratch copy and interns the
// result. The caller holds mu.
func (e *engine) stepNew(now model.Time, id model.ActorID, in model.Input, p *part, fired model.TimerKey) stepResult {
	ts := append(e.timers[:0], p.timers...)
	if in.Kind == model.InTimer || in.Kind == model.InCrash {
		i := timerIndex(ts, fired)
		ts = slices.Delete(ts, i, i+1)
	}
	a := copyActor(e.scratch[id], p.actor)
	e.scratch[id] = a
	e.out.Reset()
	a.Step(now, &in, &e.out)
	for _, t := range e.out.Timers {
		if t.Cancel {
			if i := timerIndex(ts, t.Key); i >= 0 {
				ts = slices.Delete(ts, i, i+1)
			}
			continue
		}
		ts = setTimer(ts, t.Key, max(t.At, now))
	}
	e.timers = ts
	var r stepResult
	for _, ev := range e.out.Events {
		r.seen |= 1 << ev.Kind
	}
	if e.rec != nil {
		e.rec.stepped(now, id, in, &e.out)
	}
	hist := p.hist
	for i := range e.out.Ops {
		hist = e.intern(int(id), hist, &e.out.Ops[i])
	}
	r.p = e.internPart(int(id), a, ts, hist)
	if len(e.out.Msgs) > 0 {
		if cap(e.sendArena)-len(e.sendArena) < len(e.out.Msgs) {
			e.sendArena = make([]send, 0, max(1024, len(e.out.Msgs)))
		}
		start := len(e.sendArena)
		for i := range e.out.Msgs {
			msg := &e.out.Msgs[i]
			ci := e.m.channelIndex(msg)
			due, ok := e.m.due(&e.m.Channels[ci], now, msg)
			ready := e.m.ready(&e.m.Channels[ci], now, msg)
			if e.rec != nil {
				e.rec.send(now, *msg, due, !ok)
			}
			e.sendArena = append(e.sendArena, send{ch: int32(ci), mid: e.internMsg(msg), lost: !ok, ready: ready, due: due})
		}
		r.sends = e.sendArena[start:len(e.sendArena):len(e.sendArena)]
	}
	return r
}

// copyActor makes dst a copy of src without allocating, for the model's
// actors, and returns it; other actors are cloned.
func copyActor(dst, src model.Actor) model.Actor {
	switch s := src.(type) {
	case *model.Server:
		if d, ok := dst.(*model.Server); ok {
			d.CopyFrom(s)
			return d
		}
	case *model.Client:
		if d, ok := dst.(*model.Client); ok {
			d.CopyFrom(s)
			return d
		}
	case *model.Local:
		if d, ok := dst.(*model.Local); ok {
			d.CopyFrom(s)
			return d
		}
	}
	return src.Clone()
}

type doner interface{ Done() bool }
type quiescer interface{ Quiescent() bool }

// actorFlags returns the actor's Done and Quiescent (true where it has
// none).
func actorFlags(a model.Actor) (done, quiet bool) {
	done, quiet = true, true
	if d, ok := a.(doner); ok {
		done = d.Done()
	}
	if q, ok := a.(quiescer); ok {
		quiet = q.Quiescent()
	}
	return done, quiet
}

// internPart returns the interned part of actor id made of a, timers ts
// and history hist, storing copies of a and ts if it is new.
func (e *engine) internPart(id int, a model.Actor, ts []timer, hist uint32) *part {
	b := binary.AppendUvarint(e.ibuf[:0], uint64(hist))
	b = binary.AppendUvarint(b, uint64(len(ts)))
	for _, t := range ts {
		b = append(b, byte(t.key.Kind))
		b = binary.AppendUvarint(b, uint64(t.key.Arg))
		b = binary.AppendVarint(b, int64(t.at))
	}
	b = appendSnapshot(b, a)
	e.ibuf = b
	t := &e.parts[id]
	if p, ok := t.index[string(b)]; ok {
		return p
	}
	p := &part{actor: a.Clone(), timers: slices.Clip(slices.Clone(ts)), hist: hist, id: uint32(t.values.len())}
	t.index[string(b)] = p
	p.done, p.quiet = actorFlags(p.actor)
	e.buf = p.actor.AppendState(e.buf[:0])
	p.ah = xxhash.Sum64(e.buf)
	p.th = hashTimers(p.timers)
	p.tmin = math.MaxInt64
	for _, t := range p.timers {
		p.tmin = min(p.tmin, t.at)
	}
	p.term = mix(p.ah^e.salt[3*id]) + mix(p.th^e.salt[3*id+1]) + mix(e.hists[p.hist].h^e.salt[3*id+2])
	if e.sym != nil {
		p.c = e.canonInfo(id, func(b []byte, s int) []byte { return e.partTemplate(b, s, id, p) })
	}
	t.values.push(p) // published complete
	return p
}

// snapshotter is what the explorer needs of an actor besides model.Actor:
// a lossless encoding, by which parts are interned (see
// model.Server.AppendSnapshot).
type snapshotter interface {
	AppendSnapshot(b []byte) []byte
}

func appendSnapshot(b []byte, a model.Actor) []byte {
	switch a := a.(type) {
	case *model.Server:
		return a.AppendSnapshot(b)
	case *model.Client:
		return a.AppendSnapshot(b)
	case *model.Local:
		return a.AppendSnapshot(b)
	}
	return a.(snapshotter).AppendSnapshot(b)
}

// internMsg returns the index of an interned message. The caller holds
// mu, as for every intern function.
func (e *engine) internMsg(m *model.Message) uint32 {
	if id, ok := e.msgIdx[*m]; ok {
		return id
	}
	id := uint32(len(e.msgs))
	e.buf = appendMessage(e.buf[:0], m)
	e.msgs = append(e.msgs, &msgEntry{msg: *m, h: xxhash.Sum64(e.buf)})
	e.msgIdx[*m] = id
	return id
}

// internQueue returns the interned queue of channel ci made of msgs,
// storing a copy if it is new.
func (e *engine) internQueue(ci int, msgs []inflight) *queue {
	b := e.ibuf[:0]
	for _, m := range msgs {
		b = binary.AppendUvarint(b, uint64(m.mid))
		b = binary.AppendVarint(b, int64(m.ready))
		b = binary.AppendVarint(b, int64(m.due))
	}
	e.ibuf = b
	t := &e.queues[ci]
	if q, ok := t.index[string(b)]; ok {
		return q
	}
	q := &queue{msgs: slices.Clip(slices.Clone(msgs)), id: uint32(t.values.len())}
	t.index[string(b)] = q
	if len(msgs) > 0 {
		h := uint64(len(msgs))
		for _, m := range msgs {
			h = mix(h ^ e.msgs[m.mid].h)
			h = mix(h ^ uint64(m.ready))
			h = mix(h ^ uint64(m.due))
		}
		q.h = h
	}
	q.term = mix(q.h ^ e.salt[3*len(e.m.actors)+ci])
	if e.sym != nil {
		q.c = e.canonInfo(len(e.m.actors)+ci, func(b []byte, s int) []byte { return e.queueTemplate(b, s, q) })
	}
	t.values.push(q)
	return q
}

// pop returns channel ci's queue q without its oldest message.
func (e *engine) pop(ci int, q *queue) *queue {
	if t := q.tail.Load(); t != nil {
		return t
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if t := q.tail.Load(); t != nil {
		return t
	}
	t := e.internQueue(ci, q.msgs[1:])
	q.tail.Store(t)
	return t
}

// ripen records in d, for a step that moves the clock to d.now, the
// queues of f whose messages become ready by then, with their ready times
// set to 0. Once a message may be delivered, when it became so makes no
// difference to what can happen, so states that differ only there are one
// state: without this, ready times would multiply the space.
func (e *engine) ripen(f *frame, d *delta) {
	if d.now == f.now {
		return
	}
	for ci, q := range f.chans {
		for _, m := range q.msgs {
			if m.ready == 0 {
				continue // ripe already; the rest of the queue may not be
			}
			if m.ready <= d.now {
				d.setQueue(ci, e.ripe(ci, q, d.now))
			}
			break // ready times never fall along a queue
		}
	}
}

// ripe returns channel ci's queue q with the ready times of the messages
// ready by now set to 0.
func (e *engine) ripe(ci int, q *queue, now model.Time) *queue {
	k := memoKey{uint64(ci)<<32 | uint64(q.id), uint64(now)}
	if r := e.ripeMemo.get(k); r != nil {
		return r
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if r := e.ripeMemo.get(k); r != nil {
		return r
	}
	msgs := slices.Clone(q.msgs)
	for i := range msgs {
		if msgs[i].ready <= now {
			msgs[i].ready = 0
		}
	}
	r := e.internQueue(ci, msgs)
	e.ripeMemo.put(k, r)
	return r
}

// push returns channel ci's queue q with message mid appended, arriving
// in [ready, due].
func (e *engine) push(ci int, q *queue, mid uint32, ready, due model.Time) *queue {
	k := memoKey{uint64(ci)<<32 | uint64(q.id), uint64(mid), uint64(ready), uint64(due)}
	if r := e.pushMemo.get(k); r != nil {
		return r
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if r := e.pushMemo.get(k); r != nil {
		return r
	}
	msgs := append(make([]inflight, 0, len(q.msgs)+1), q.msgs...)
	msgs = append(msgs, inflight{msg: &e.msgs[mid].msg, mid: mid, ready: ready, due: due})
	r := e.internQueue(ci, msgs)
	e.pushMemo.put(k, r)
	return r
}

// advance makes dst the state f+d. dst may be f.
func (e *engine) advance(dst, f *frame, d *delta) {
	dst.now, dst.depth, dst.hash = d.now, f.depth+1, d.hash
	if dst.ts != nil {
		copy(dst.ts, d.ts)
		inheritNames(dst, d)
	}
	if dst == f {
		// In place (start-up, replays): no earlier horizon to go on from.
		if d.actor >= 0 {
			dst.parts[d.actor] = d.p
		}
		for _, c := range d.chans {
			dst.chans[c.i] = c.q
		}
		dst.arrive, dst.next = dst.horizon()
		return
	}
	copy(dst.parts, f.parts)
	copy(dst.chans, f.chans)
	// The horizon from f's, unless a step changes the component that
	// set it: the others' dues and deadlines are no earlier.
	dst.arrive, dst.arriveCh, dst.next, dst.nextPart = f.arrive, f.arriveCh, f.next, f.nextPart
	dst.busy, dst.mask = f.busy, f.mask
	nextLost, arriveLost := false, false
	if a := d.actor; a >= 0 {
		dst.parts[a] = d.p
		if a == f.nextPart {
			nextLost = true
		} else if d.p.tmin < dst.next {
			dst.next, dst.nextPart = d.p.tmin, a
		}
	}
	for _, c := range d.chans {
		old := f.chans[c.i]
		dst.chans[c.i] = c.q
		dst.busy += b2i(len(c.q.msgs) > 0) - b2i(len(old.msgs) > 0)
		if dst.mask != fullMask {
			if len(c.q.msgs) > 0 {
				dst.mask |= 1 << c.i
			} else {
				dst.mask &^= 1 << c.i
			}
		}
		if c.i == f.arriveCh {
			arriveLost = true
		} else if len(c.q.msgs) > 0 && c.q.msgs[0].due < dst.arrive {
			dst.arrive, dst.arriveCh = c.q.msgs[0].due, c.i
		}
	}
	switch {
	case dst.mask == fullMask:
		if nextLost || arriveLost {
			dst.arrive, dst.next = dst.horizon()
		}
		return
	case arriveLost:
		dst.arrive, dst.arriveCh = math.MaxInt64, -1
		for m := dst.mask; m != 0; m &= m - 1 {
			i := bits.TrailingZeros64(m)
			if due := dst.chans[i].msgs[0].due; due < dst.arrive {
				dst.arrive, dst.arriveCh = due, i
			}
		}
	}
	if nextLost {
		dst.next, dst.nextPart = math.MaxInt64, -1
		for i, p := range dst.parts {
			if p.tmin < dst.next {
				dst.next, dst.nextPart = p.tmin, i
			}
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
// It also sets the frame's other summaries: which channel and part they
// come from, and the channels in flight.
func (f *frame) horizon() (arrive, next model.Time) {
	arrive, next = math.MaxInt64, math.MaxInt64
	f.arriveCh, f.nextPart = -1, -1
	busy := 0
	var mask uint64
	for i, q := range f.chans {
		if len(q.msgs) > 0 {
			// Dues never fall along a queue: its head is its earliest.
			if q.msgs[0].due < arrive {
				arrive, f.arriveCh = q.msgs[0].due, i
			}
			busy++
			if i < 64 {
				mask |= 1 << i
			}
		}
	}
	for i, p := range f.parts {
		if p.tmin < next {
			next, f.nextPart = p.tmin, i
		}
	}
	f.busy, f.mask = busy, mask
	if len(f.chans) >= 64 {
		f.mask = fullMask
	}
	return arrive, next
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// waitTarget is where a Wait step takes the clock: to the earliest timer
// deadline, the earliest latest-arrival time or the earliest ready time
// still ahead, whichever comes first.
func (e *engine) waitTarget(f *frame) model.Time {
	return min(f.arrive, f.next, e.m.MaxTime, f.readyAfter(f.now))
}

// readyAfter returns the earliest ready time after now of a message at
// the head of its channel (MaxInt64: none). Messages behind a head wait
// for it: only heads are delivered.
func (f *frame) readyAfter(now model.Time) model.Time {
	t := model.Time(math.MaxInt64)
	for _, q := range f.chans {
		if len(q.msgs) > 0 && q.msgs[0].ready > now {
			t = min(t, q.msgs[0].ready)
		}
	}
	return t
}

// enabled appends the steps enabled in f to out: delivering (and, on a
// lossy channel, losing) the oldest message of each channel; firing the
// timers with the earliest deadline, provided that deadline is not past
// MaxTime nor past the latest arrival time of any message in flight; and,
// while messages are in flight, letting time pass (Wait) to the earlier
// of those two times. An empty result means the run has ended.
func (e *engine) enabled(f *frame, out []Step) []Step {
	if f.mask != fullMask {
		for m := f.mask; m != 0; m &= m - 1 {
			ci := bits.TrailingZeros64(m)
			if f.chans[ci].msgs[0].ready <= f.now {
				out = append(out, Step{Kind: Deliver, Index: ci})
			}
			if e.m.Channels[ci].Lossy {
				out = append(out, Step{Kind: Lose, Index: ci})
			}
		}
	} else {
		for ci, q := range f.chans {
			if len(q.msgs) == 0 {
				continue
			}
			if q.msgs[0].ready <= f.now {
				out = append(out, Step{Kind: Deliver, Index: ci})
			}
			if e.m.Channels[ci].Lossy {
				out = append(out, Step{Kind: Lose, Index: ci})
			}
		}
	}
	arrive, next := f.arrive, f.next
	if arrive != math.MaxInt64 && e.waitTarget(f) > f.now {
		out = append(out, Step{Kind: Wait})
	}
	if next > e.m.MaxTime || next > arrive {
		return out
	}
	for id, p := range f.parts {
		if p.tmin != next {
			continue
		}
		for _, t := range p.timers {
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

// finished reports whether a run would stop in f+d (d may be nil) before
// firing any timer: nothing in flight, every script finished, no
// background work under way (sim's quiet), and no timer due by Until.
func (e *engine) finished(f *frame, d *delta) bool {
	busy := f.busy
	if d != nil {
		for _, c := range d.chans {
			busy += b2i(len(c.q.msgs) > 0) - b2i(len(f.chans[c.i].msgs) > 0)
		}
	}
	if busy > 0 {
		return false
	}
	for i := range f.parts {
		if p := f.part(d, i); !p.done || !p.quiet {
			return false
		}
	}
	for i := range f.parts {
		for _, t := range f.part(d, i).timers {
			if t.at <= e.m.Until {
				return false
			}
		}
	}
	return true
}

// unfinished lists the actors of f+d whose scripts have not ended.
func (e *engine) unfinished(f *frame, d *delta) []string {
	var out []string
	for i := range f.parts {
		if !f.part(d, i).done {
			out = append(out, e.m.Names[i])
		}
	}
	return out
}

// actorsOf returns the actors of f+d in a scratch slice.
func (e *engine) actorsOf(f *frame, d *delta) []model.Actor {
	for i := range f.parts {
		e.actors[i] = f.part(d, i).actor
	}
	return e.actors
}

// history returns the operations of f+d in a canonical order: by response
// time, then invocation, then actor and sequence; IDs follow that order.
func (e *engine) history(f *frame, d *delta) []model.Op {
	type rec struct {
		actor int
		op    model.Op
	}
	var rs []rec
	for id := range f.parts {
		for h := f.part(d, id).hist; h != 0; h = e.hists[h].prev {
			rs = append(rs, rec{id, e.hists[h].op})
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

// intern returns the history of actor made of history prev and then op.
func (e *engine) intern(actor int, prev uint32, op *model.Op) uint32 {
	h := e.hashOp(e.hists[prev].h, op)
	k := histKey{h, actor}
	if id, ok := e.histIdx[k]; ok {
		return id
	}
	id := uint32(len(e.hists))
	n := histNode{op: *op, prev: prev, h: h}
	if sy := e.sym; sy != nil {
		n.hs = make([]uint64, len(sy.perms))
		for s := range n.hs {
			n.hs[s] = e.chainOp(e.hists[prev].hs[s], op, sy.fileName[s][op.File], sy.canons[s].Data(op.Data))
		}
	}
	e.hists = append(e.hists, n)
	e.histIdx[k] = id
	return id
}

// historyImageHash fingerprints the history of f+d alone, or with
// symmetries its image under symmetry s (0 is the identity: the history
// itself). The caller holds mu.
func (e *engine) historyImageHash(f *frame, d *delta, s int) uint64 {
	b := e.buf[:0]
	for j := range f.parts {
		i := j
		if s > 0 {
			i = int(e.sym.inv[s].actor[j])
		}
		h := e.hists[f.part(d, i).hist]
		if s > 0 {
			b = binary.LittleEndian.AppendUint64(b, h.hs[s])
		} else {
			b = binary.LittleEndian.AppendUint64(b, h.h)
		}
	}
	e.buf = b
	return xxhash.Sum64(b)
}

// historyImage returns the image of a history (in history's order) under
// symmetry s: every operation moved to the image of its actor, with its
// file and data value mapped, in history's order again.
func (e *engine) historyImage(ops []model.Op, s int) []model.Op {
	sy := e.sym
	idx := map[string]int{}
	for i, n := range e.m.Names {
		idx[n] = i
	}
	type rec struct {
		actor int
		op    model.Op
	}
	rs := make([]rec, len(ops))
	for i, op := range ops {
		a := int(sy.perms[s].actor[idx[op.Actor]])
		op.Actor, op.File, op.Data = e.m.Names[a], sy.fileName[s][op.File], sy.canons[s].Data(op.Data)
		if op.Target != "" {
			op.Target = sy.fileName[s][op.Target]
		}
		rs[i] = rec{a, op}
	}
	slices.SortFunc(rs, func(a, b rec) int {
		return cmp.Or(cmp.Compare(a.op.End, b.op.End), cmp.Compare(a.op.Start, b.op.Start),
			cmp.Compare(a.actor, b.actor), cmp.Compare(a.op.Seq, b.op.Seq))
	})
	out := make([]model.Op, len(rs))
	for i := range rs {
		out[i] = rs[i].op
		out[i].ID = i
	}
	return out
}

// Fingerprints. A state's fingerprint is a sum, over its components (the
// clock; each actor's state, timers and history; each channel's
// messages), of a mix of the component's own fingerprint with a salt
// that names the component: a step that changes one component changes
// the sum by two terms, so the successor's fingerprint costs O(what
// changed). mix is a bijection, so components that differ give terms
// that differ.

// mix is splitmix64's finalizer.
func mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func (e *engine) nowTerm(now model.Time) uint64 {
	return mix(uint64(now) ^ e.salt[len(e.salt)-1])
}

// frameHash fingerprints f from its components.
func (e *engine) frameHash(f *frame) uint64 {
	h := e.nowTerm(f.now)
	for _, p := range f.parts {
		h += p.term
	}
	for _, q := range f.chans {
		h += q.term
	}
	return h
}

// deltaHash fingerprints the successor f+d from f's fingerprint.
func (e *engine) deltaHash(f *frame, d *delta) uint64 {
	h := f.hash
	if d.now != f.now {
		h += e.nowTerm(d.now) - e.nowTerm(f.now)
	}
	if d.actor >= 0 {
		h += d.p.term - f.parts[d.actor].term
	}
	for _, c := range d.chans {
		h += c.q.term - f.chans[c.i].term
	}
	return h
}

// hashTimers fingerprints an actor's armed timers.
func hashTimers(ts []timer) uint64 {
	if len(ts) == 0 {
		return 0
	}
	h := uint64(len(ts))
	for _, t := range ts {
		h = mix(h ^ (uint64(t.key.Kind)<<32 | uint64(t.key.Arg)))
		h = mix(h ^ uint64(t.at))
	}
	return h
}

// appendMessage encodes every field of a message.
func appendMessage(b []byte, m *model.Message) []byte {
	flags := bit(m.Reply) | bit(m.Create)<<1 | bit(m.Excl)<<2 | bit(m.NonBlk)<<3 | bit(m.Confirm)<<4 | bit(m.Dirty)<<5
	b = append(b, byte(m.Kind), flags, byte(m.Status), byte(m.Access), byte(m.Deleg),
		byte(m.Seq), byte(m.Flags), byte(m.Deny), byte(m.Want), byte(m.Why), m.Owner, byte(m.Attrs))
	b = binary.AppendUvarint(b, uint64(m.From))
	b = binary.AppendUvarint(b, uint64(m.To))
	b = binary.AppendUvarint(b, uint64(m.XID))
	b = binary.AppendUvarint(b, uint64(m.File))
	b = binary.AppendUvarint(b, uint64(m.Stateid))
	b = binary.AppendUvarint(b, uint64(m.DelegID))
	b = binary.AppendVarint(b, int64(m.Target))
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

// hashOp chains an operation onto the fingerprint of the actor's history
// so far. The actor and its sequence number are implied by the position.
func (e *engine) hashOp(prev uint64, o *model.Op) uint64 {
	return e.chainOp(prev, o, o.File, o.Data)
}

// chainOp is hashOp for o with its file and data value replaced (by
// their images under a symmetry).
func (e *engine) chainOp(prev uint64, o *model.Op, file string, data uint64) uint64 {
	b := binary.LittleEndian.AppendUint64(e.buf[:0], prev)
	b = e.appendOpMapped(b, o, file, data)
	e.buf = b
	h := xxhash.Sum64(b)
	if h == 0 {
		h = 1 // 0 is the empty history
	}
	return h
}

// appendOpMapped encodes o with the given file and data value. The actor
// and its sequence number are implied by the position.
func (e *engine) appendOpMapped(b []byte, o *model.Op, file string, data uint64) []byte {
	b = append(b, byte(o.Kind), bit(o.Flushed))
	b = binary.AppendUvarint(b, uint64(len(file)))
	b = append(b, file...)
	b = binary.AppendUvarint(b, uint64(len(o.Result)))
	b = append(b, o.Result...)
	b = binary.AppendVarint(b, int64(o.Start))
	b = binary.AppendVarint(b, int64(o.End))
	b = binary.AppendVarint(b, int64(o.Attempts))
	b = binary.AppendVarint(b, o.Size)
	b = binary.AppendUvarint(b, o.Change)
	b = binary.AppendUvarint(b, data)
	return binary.AppendVarint(b, o.Bytes)
}
