package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/delegsim/delegsim/model"
)

// Config is a run: the actors in their initial state and everything that
// decides timing. Actors[0] is the server, then the clients (one ClientNet
// each, in order), then local processes.
type Config struct {
	Actors  []model.Actor
	Names   []string // actors, by ActorID
	Files   []string // files, by FileID (for traces)
	Clients []ClientNet
	Server  ServerTiming
	Seed    uint64
	// Until is the earliest time the run may stop; it then goes on until
	// every script has finished and nothing is in flight, or MaxTime.
	Until   model.Time
	MaxTime model.Time
	// Trace records every message, timer, event and operation.
	Trace bool
	// Observe, if set, is called after every step with the actors' state.
	Observe func(now model.Time, actors []model.Actor)
}

// Scripted is implemented by actors that run a script.
type Scripted interface {
	Done() bool
	ScriptLen() int // operations in the script, to size the history
}

// quiescer is implemented by actors with background work that matters
// after their script ends (a client with dirty pages to write back).
type quiescer interface{ Quiescent() bool }

type evKind uint8

const (
	evDeliver evKind = iota
	evTimer
	evCrash
)

// event is what a queued entry stands for. Events live in a slab
// (Engine.evs) and the queue holds only their times and slab slots: queue
// operations then move 16 bytes instead of a whole message.
type event struct {
	kind  evKind
	gen   uint32        // evTimer: the arming's generation
	next  int32         // a free slot: the next free one
	actor model.ActorID // who steps
	rec   int           // evDeliver: index in Result.Messages (Config.Trace only)
	in    model.Input   // what the actor steps on
}

// qitem is a queue entry: the event's time, then its sequence number in the
// upper 32 bits of key and its slab slot in the lower 32. Sequence numbers
// are unique, so comparing key compares them and the slot never decides.
type qitem struct {
	at  model.Time
	key uint64
}

func (a qitem) before(b qitem) bool { return a.at < b.at || (a.at == b.at && a.key < b.key) }

func (a qitem) slot() uint32 { return uint32(a.key) }

// eventQueue orders events by (time, sequence number): ties break by the
// order events were scheduled, so runs are deterministic. The order in
// which events leave depends only on their keys, never on how the queue
// stores them.
//
// A run's queue is short (a dozen events: messages in flight and each
// actor's few timers), and most new events are due before everything
// else queued (a reply, the next script step) while a few timers sit far
// in the future (renewd, the laundromat). So the queue starts as a slice
// sorted latest first: taking the next event pops the last element and
// inserting one shifts only the events due before it, usually none or
// one. Should a run ever queue more than sortedMax events, the queue turns
// into a binary min-heap (a slice sorted earliest first already is one)
// and stays one: a sorted slice would then cost too much per insertion.
type eventQueue struct {
	h    []qitem
	heap bool // h is a binary min-heap; else sorted, latest first
}

// sortedMax is the longest the queue stays a sorted slice; a var so that
// tests can run whole simulations on the heap.
var sortedMax = 32

func (q *eventQueue) len() int { return len(q.h) }

// next returns the earliest event without removing it.
func (q *eventQueue) next() qitem {
	if q.heap {
		return q.h[0]
	}
	return q.h[len(q.h)-1]
}

func (q *eventQueue) push(it qitem) {
	h := append(q.h, it)
	i := len(h) - 1
	if !q.heap {
		// Most new events are due first (they go at the end) or nearly,
		// so a linear shift from the end beats a binary search and a
		// memmove call (callgrind, BenchmarkQueueThreshold).
		for i > 0 && h[i-1].before(it) {
			h[i] = h[i-1]
			i--
		}
		h[i] = it
		q.h = h
		if len(h) > sortedMax {
			slices.Reverse(h)
			q.heap = true
		}
		return
	}
	for i > 0 {
		p := (i - 1) / 2
		if !it.before(h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = it
	q.h = h
}

func (q *eventQueue) pop() qitem {
	h := q.h
	n := len(h) - 1
	last := h[n]
	q.h = h[:n]
	if !q.heap {
		return last
	}
	top := h[0]
	if n > 0 {
		siftDown(h[:n], 0, last)
	}
	return top
}

// siftDown places it in the hole at i of heap h, moving smaller children
// up.
func siftDown(h []qitem, i int, it qitem) {
	n := len(h)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && h[r].before(h[c]) {
			c = r
		}
		if !h[c].before(it) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = it
}

// filter keeps the events for which keep is true, in order.
func (q *eventQueue) filter(keep func(qitem) bool) {
	live := q.h[:0]
	for _, it := range q.h {
		if keep(it) {
			live = append(live, it)
		}
	}
	q.h = live
	if q.heap {
		for i := len(live)/2 - 1; i >= 0; i-- {
			siftDown(live, i, live[i])
		}
	}
}

// maxSeq bounds the sequence numbers that fit in a qitem key; a var so
// that tests can make renumbering happen.
var maxSeq uint64 = 1 << 32

// renumber gives the queued events fresh sequence numbers from 0, in the
// order they will leave, once the counter would overflow its 32 bits. A
// slice sorted earliest first is a heap.
func (e *Engine) renumber() {
	h := e.q.h
	slices.SortFunc(h, func(a, b qitem) int {
		if a.before(b) {
			return -1
		}
		return 1
	})
	for i := range h {
		h[i].key = uint64(i)<<32 | uint64(h[i].slot())
	}
	if !e.q.heap {
		slices.Reverse(h)
	}
	e.seq = uint64(len(h))
}

// armed is a timer of one actor and the generation of its latest arming:
// an event of an older generation is stale. Actors hold a handful of
// timers, so a slice per actor beats a map.
type armed struct {
	key model.TimerKey
	gen uint32
}

func armedIndex(ts []armed, k model.TimerKey) int {
	for i := range ts {
		if ts[i].key == k {
			return i
		}
	}
	return -1
}

// live reports whether timer event ev is the latest arming of its timer.
func (e *Engine) live(ev *event) bool {
	ts := e.timers[ev.actor]
	i := armedIndex(ts, ev.in.Timer)
	return i >= 0 && ts[i].gen == ev.gen
}

func (e *Engine) disarm(id model.ActorID, k model.TimerKey) {
	ts := e.timers[id]
	if i := armedIndex(ts, k); i >= 0 {
		last := len(ts) - 1
		ts[i] = ts[last]
		e.timers[id] = ts[:last]
		e.stale++
	}
}

// compact drops stale timer events from the queue once they make up most
// of it: cancelled and re-armed timers are deleted lazily, and long runs
// would otherwise drag thousands of dead events through every queue
// operation.
func (e *Engine) compact() {
	if e.stale < 64 || 2*e.stale < e.q.len() {
		return
	}
	e.q.filter(func(it qitem) bool {
		ev := &e.evs[it.slot()]
		if ev.kind == evTimer && !e.live(ev) {
			e.release(it.slot())
			return false
		}
		return true
	})
	e.stale = 0
}

// Engine runs one Config. It is single-use.
type Engine struct {
	cfg      Config
	now      model.Time
	seq      uint64
	q        eventQueue
	evs      []event   // queued events, by slab slot
	free     int32     // first free slab slot (-1: none); event.next links the rest
	timers   [][]armed // armed timers and their generation, by actor
	gens     uint32
	chans    []channelState // per client, in the order of channelNames
	streams  Streams
	proc     lazyRand   // server processing
	react    []lazyRand // per client reaction
	inFlight int
	stale    int // timer events in q that were cancelled or re-armed
	out      model.Output
	res      *Result

	// Quiescence: scripted and quiesce are the actors' Scripted and
	// quiescer sides (nil if they have none). witness is an actor found
	// busy (script unfinished or background work) when last asked, -1 if
	// none; until it steps again it is still busy, since an actor's state
	// changes only when it steps, so nobody else need be asked.
	scripted       []Scripted
	quiesce        []quiescer
	witness        model.ActorID
	witnessStepped bool
}

// Run executes the configuration and returns what happened.
func Run(cfg Config) *Result {
	var r Runner
	return r.Run(cfg)
}

// Runner runs configurations one after another, reusing the engine's
// buffers between runs; a sweep keeps one per worker. The zero value is
// ready to use. A Runner is not safe for concurrent use.
type Runner struct{ e Engine }

// Run executes cfg. The Result is the caller's; the Runner keeps nothing
// of it.
func (r *Runner) Run(cfg Config) *Result {
	r.e.reset(cfg)
	r.e.run()
	res := r.e.res
	r.e.res = nil
	r.e.cfg = Config{}
	clear(r.e.scripted)
	clear(r.e.quiesce)
	return res
}

// resize returns s with length n, reusing its storage when it can.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// reset readies the engine for cfg, keeping allocated buffers. Fields are
// set one by one rather than by assigning a whole Engine, which would
// copy every buffer's header through a temporary.
func (e *Engine) reset(cfg Config) {
	if cfg.MaxTime == 0 {
		cfg.MaxTime = 3600e9
	}
	nActors := len(cfg.Actors)
	timers := e.timers[:cap(e.timers)]
	for i := range timers {
		timers[i] = timers[i][:0]
	}
	if len(timers) < nActors {
		timers = append(timers, make([][]armed, nActors-len(timers))...)
	}
	e.cfg = cfg
	e.now, e.seq, e.gens, e.inFlight, e.stale = 0, 0, 0, 0, 0
	e.q = eventQueue{h: e.q.h[:0]}
	e.evs, e.free = e.evs[:0], -1
	e.timers = timers[:nActors]
	e.chans, e.react = e.chans[:0], e.react[:0]
	e.streams = NewStreams(cfg.Seed)
	e.proc = lazyRand{prefix: "server/processing"}
	e.out.Reset()
	e.scripted, e.quiesce = resize(e.scripted, nActors), resize(e.quiesce, nActors)
	e.witness, e.witnessStepped = -1, false
	for i := 0; i < 4*len(cfg.Clients); i++ {
		e.chans = append(e.chans, channelState{lazyRand: lazyRand{prefix: cfg.Names[i/4+1], suffix: channelNames[i%4]}})
	}
	for i := range cfg.Clients {
		e.react = append(e.react, lazyRand{prefix: cfg.Names[i+1], suffix: "/reaction"})
	}
	n := 0
	for id, a := range cfg.Actors {
		if s, ok := a.(Scripted); ok {
			e.scripted[id] = s
			n += s.ScriptLen()
		}
		if q, ok := a.(quiescer); ok {
			e.quiesce[id] = q
		}
	}
	// Every script step ends in one operation; events are fewer than
	// operations in every built-in scenario, and far fewer in long runs.
	e.res = &Result{Names: cfg.Names, Files: cfg.Files, trace: cfg.Trace,
		Ops: make([]model.Op, 0, n), Events: make([]TimedEvent, 0, min(n, 64))}
}

// push queues an event at time at and returns it for the caller to fill
// in; the pointer is good until the next push.
func (e *Engine) push(at model.Time, kind evKind, actor model.ActorID) *event {
	if at < e.now {
		// An invariant, not an input check: dists are bounded (MaxDelay)
		// and timers are clamped to now, so only a bug gets here.
		panic(fmt.Sprintf("sim: time went backwards: an event for actor %d queued at %v, before the clock's %v", actor, at, e.now))
	}
	if e.seq >= maxSeq {
		e.renumber()
	}
	var slot uint32
	if e.free >= 0 {
		slot = uint32(e.free)
		e.free = e.evs[slot].next
	} else {
		slot = uint32(len(e.evs))
		e.evs = append(e.evs, event{})
	}
	e.q.push(qitem{at: at, key: e.seq<<32 | uint64(slot)})
	e.seq++
	ev := &e.evs[slot]
	ev.kind, ev.actor = kind, actor
	return ev
}

// release returns slab slot to the free list.
func (e *Engine) release(slot uint32) {
	e.evs[slot].next = e.free
	e.free = int32(slot)
}

func (e *Engine) run() {
	for id := range e.cfg.Actors {
		e.step(model.ActorID(id), &model.Input{Kind: model.InStart})
	}
	for i, c := range e.cfg.Clients {
		if c.HasCrash {
			e.push(c.CrashAt, evCrash, model.ActorID(i+1)).in = model.Input{Kind: model.InCrash}
		}
	}
	for e.q.len() > 0 {
		// Popped before the checks: a run that stops drops its queue.
		it := e.q.pop()
		if it.at > e.cfg.MaxTime || (it.at > e.cfg.Until && e.quiet()) {
			break
		}
		slot := it.slot()
		// The slot is released only after the step, so that the events
		// the step queues cannot reuse it while it is being read.
		ev := &e.evs[slot]
		e.now = it.at
		switch ev.kind {
		case evDeliver:
			e.inFlight--
			if e.cfg.Trace {
				e.res.traceDeliver(e.now, &ev.in.Msg)
				e.res.Messages[ev.rec].Recv = len(e.res.StepRecords)
			}
		case evTimer:
			if !e.live(ev) {
				e.release(slot)
				continue // re-armed or cancelled since
			}
			e.disarm(ev.actor, ev.in.Timer)
			if e.cfg.Trace {
				e.res.traceTimer(e.now, e.cfg.Names[ev.actor], ev.in.Timer)
			}
		}
		e.step(ev.actor, &ev.in)
		e.release(slot)
	}
	e.res.End = e.now
	for id, a := range e.cfg.Actors {
		if s, ok := a.(Scripted); ok && !s.Done() {
			e.res.Unfinished = append(e.res.Unfinished, e.cfg.Names[id])
		}
	}
	e.res.Actors = e.cfg.Actors
}

// quiet reports whether nothing is left to happen that the scenario cares
// about: every script finished and no message in flight. Periodic timers
// (renewd, the laundromat) would otherwise run for ever.
func (e *Engine) quiet() bool {
	if e.inFlight > 0 {
		return false
	}
	if e.witness >= 0 && !e.witnessStepped {
		return false
	}
	for id := range e.scripted {
		if (e.scripted[id] != nil && !e.scripted[id].Done()) ||
			(e.quiesce[id] != nil && !e.quiesce[id].Quiescent()) {
			e.witness, e.witnessStepped = model.ActorID(id), false
			return false
		}
	}
	e.witness = -1
	return true
}

// step runs one step of actor id on *in. in may point into the event
// slab, which events queued by the step can move, so it is read only
// before the actor steps.
func (e *Engine) step(id model.ActorID, in *model.Input) {
	if e.cfg.Trace || e.cfg.Observe != nil {
		e.stepWatched(id, in)
		return
	}
	e.stepOnly(id, in)
}

// stepOnly is step without tracing or observers: what a sweep runs.
func (e *Engine) stepOnly(id model.ActorID, in *model.Input) {
	out := &e.out
	out.Msgs, out.Timers, out.Ops, out.Events = out.Msgs[:0], out.Timers[:0], out.Ops[:0], out.Events[:0]
	e.res.Steps++
	if id == e.witness {
		e.witnessStepped = true
	}
	e.cfg.Actors[id].Step(e.now, in, out)
	if len(out.Timers) > 0 {
		e.arm(id)
	}
	if len(out.Events) > 0 {
		for i := range out.Events {
			e.res.addEvent(e.now, &out.Events[i])
		}
	}
	if len(out.Ops) > 0 {
		for i := range out.Ops {
			op := &out.Ops[i]
			op.ID = len(e.res.Ops)
			e.res.addOp(op)
		}
	}
	for i := range out.Msgs {
		e.send(&out.Msgs[i])
	}
}

// stepWatched is step with the trace recorded and observers called.
func (e *Engine) stepWatched(id model.ActorID, in *model.Input) {
	var nEvents, nOps, nMsgs int
	if e.cfg.Trace {
		nEvents, nOps, nMsgs = len(e.res.Events), len(e.res.Ops), len(e.res.Messages)
		// Recorded now, while in is valid; the spans are filled in
		// below. Messages sent by this step name it as len-1.
		e.res.StepRecords = append(e.res.StepRecords, StepRecord{At: e.now, Actor: id, Input: *in})
	}
	e.stepOnly(id, in)
	if e.cfg.Trace {
		rec := &e.res.StepRecords[len(e.res.StepRecords)-1]
		rec.Events = Span{nEvents, len(e.res.Events)}
		rec.Ops = Span{nOps, len(e.res.Ops)}
		rec.Msgs = Span{nMsgs, len(e.res.Messages)}
	}
	if e.cfg.Observe != nil {
		e.cfg.Observe(e.now, e.cfg.Actors)
	}
}

// arm applies the timer commands of actor id's step.
func (e *Engine) arm(id model.ActorID) {
	for i := range e.out.Timers {
		t := &e.out.Timers[i]
		if t.Cancel {
			e.disarm(id, t.Key)
			continue
		}
		e.gens++
		ts := e.timers[id]
		if i := armedIndex(ts, t.Key); i >= 0 {
			ts[i].gen = e.gens
			e.stale++
		} else {
			e.timers[id] = append(ts, armed{t.Key, e.gens})
		}
		ev := e.push(max(t.At, e.now), evTimer, id)
		ev.gen = e.gens
		ev.in.Kind = model.InTimer
		ev.in.Timer = t.Key
		ev.in.Msg = model.Message{}
	}
	e.compact()
}

// send computes when m arrives, if it does: processing at the sender,
// partitions, loss and one-way latency, kept in order per direction.
func (e *Engine) send(m *model.Message) {
	e.res.countSend(m)
	at := e.now
	ch := m.Kind.Channel()
	fromServer := m.From == model.ServerID
	if ch == model.ChanLocal {
		if fromServer {
			at += e.sample(&e.cfg.Server.Syscall, &e.proc)
		}
		e.deliver(at, m)
		return
	}
	client := m.To
	if !fromServer {
		client = m.From
	}
	cn := &e.cfg.Clients[client-1]
	link, cs := &cn.Fore, e.channel(client, ch, fromServer)
	if ch == model.ChanCallback {
		link = &cn.Callback
	}
	switch {
	case fromServer && m.Reply && m.Kind == model.MsgDelegReturn:
		at += e.sample(&e.cfg.Server.DelegReturnReply, &e.proc)
	case fromServer && m.Reply:
		at += e.sample(&e.cfg.Server.RPC, &e.proc)
	case fromServer: // a callback leaves through nfsd's callback workqueue
		at += e.sample(&e.cfg.Server.CBQueue, &e.proc)
	case ch == model.ChanCallback || m.Kind == model.MsgDelegReturn:
		at += e.sample(&cn.Reaction, &e.react[client-1])
	}
	at, ok := link.heldUntil(at)
	if !ok || (link.Loss > 0 && e.rng(&cs.lazyRand).Float64() < link.Loss) {
		e.res.Dropped++
		if e.cfg.Trace {
			e.res.traceDrop(e.now, m)
			e.res.Messages = append(e.res.Messages, MessageRecord{Msg: *m, Sent: e.now, Dropped: true,
				Step: len(e.res.StepRecords) - 1, Recv: -1})
		}
		return
	}
	at += e.sample(&link.Latency, &cs.lazyRand)
	if m.Kind == model.MsgDelegReturn && !m.Reply {
		at += e.sample(&e.cfg.Server.DelegReturn, &e.proc)
		if m.Flags&model.FlagSetattrTimes != 0 {
			at += e.sample(&e.cfg.Server.Setattr, &e.proc)
		}
	}
	fifo := cs // the connection's order; the draws stay the channel's own
	if cn.SharedConn && ch == model.ChanCallback {
		fifo = e.channel(client, model.ChanFore, fromServer)
	}
	at = max(at, fifo.last)
	fifo.last = at
	e.deliver(at, m)
}

// lazyRand is a named stream created on first use: fixed delays draw
// nothing, so most runs never pay for most streams. Creation order does
// not matter because each stream depends only on the seed and its name.
//
// The generator lives inside the lazyRand, so creating it allocates
// nothing; the engine's lazyRands stay put during a run.
type lazyRand struct {
	prefix, suffix string // the stream's name is prefix+suffix
	r              *rand.Rand
	pcg            rand.PCG
	rr             rand.Rand
}

func (e *Engine) rng(l *lazyRand) *rand.Rand {
	if l.r == nil {
		// Streams.Get(prefix+suffix), without building the name.
		l.pcg.Seed(e.streams.seed, fnv64a(fnv64a(fnvOffset64, l.prefix), l.suffix))
		l.rr = *rand.New(&l.pcg)
		l.r = &l.rr
	}
	return l.r
}

func (e *Engine) sample(d *Dist, l *lazyRand) model.Time {
	if d.IsFixed() {
		return model.Time(d.a)
	}
	return d.sample(e.rng(l))
}

// channelNames name the four directions of a client's two links, which
// are also their random streams.
var channelNames = [4]string{"/fore/up", "/fore/down", "/callback/down", "/callback/up"}

func (e *Engine) channel(client model.ActorID, c model.Channel, fromServer bool) *channelState {
	i := 0 // fore, client to server
	switch {
	case c == model.ChanFore && fromServer:
		i = 1
	case c == model.ChanCallback && fromServer:
		i = 2
	case c == model.ChanCallback:
		i = 3
	}
	return &e.chans[4*(int(client)-1)+i]
}

func (e *Engine) deliver(at model.Time, m *model.Message) {
	e.inFlight++
	ev := e.push(at, evDeliver, m.To)
	// One field at a time: a tuple assignment would copy *m through a
	// temporary.
	ev.in.Kind = model.InDeliver
	ev.in.Timer = model.TimerKey{}
	ev.in.Msg = *m
	if e.cfg.Trace {
		e.res.traceSend(e.now, at, m)
		ev.rec = len(e.res.Messages)
		e.res.Messages = append(e.res.Messages, MessageRecord{Msg: *m, Sent: e.now, Arrives: at,
			Step: len(e.res.StepRecords) - 1, Recv: -1})
	}
}

// String describes the engine's position, for debugging.
func (e *Engine) String() string { return fmt.Sprintf("sim at %v, %d events queued", e.now, e.q.len()) }
