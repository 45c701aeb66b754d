package sim

import (
	"fmt"
	"math/rand/v2"

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

type event struct {
	at    model.Time
	seq   uint64
	kind  evKind
	actor model.ActorID
	msg   model.Message
	key   model.TimerKey
	gen   uint32
	rec   int // index in Result.Messages (Config.Trace only)
}

// eventQueue is a binary min-heap ordered by (time, sequence number):
// ties break by the order events were scheduled, so runs are
// deterministic. Hand-written rather than container/heap to avoid boxing
// every event in an interface.
type eventQueue []event

func (q eventQueue) less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}

func (q *eventQueue) push(ev event) {
	*q = append(*q, ev)
	h := *q
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (q *eventQueue) pop() event {
	h := *q
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	*q = h[:n]
	q.down(0)
	return top
}

func (q eventQueue) down(i int) {
	h, n := q, len(q)
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && h.less(l, m) {
			m = l
		}
		if r < n && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

type timerID struct {
	actor model.ActorID
	key   model.TimerKey
}

// armed is a timer and the generation of its latest arming: an event of an
// older generation is stale. Actors hold a handful of timers, so a slice
// beats a map.
type armed struct {
	id  timerID
	gen uint32
}

func (e *Engine) armedIndex(id timerID) int {
	for i := range e.timers {
		if e.timers[i].id == id {
			return i
		}
	}
	return -1
}

func (e *Engine) disarm(id timerID) {
	if i := e.armedIndex(id); i >= 0 {
		last := len(e.timers) - 1
		e.timers[i] = e.timers[last]
		e.timers = e.timers[:last]
		e.stale++
	}
}

// compact drops stale timer events from the queue once they make up most
// of it: cancelled and re-armed timers are deleted lazily, and long runs
// would otherwise drag thousands of dead events through every heap
// operation.
func (e *Engine) compact() {
	if e.stale < 64 || 2*e.stale < len(e.q) {
		return
	}
	live := e.q[:0]
	for _, ev := range e.q {
		if ev.kind == evTimer {
			i := e.armedIndex(timerID{ev.actor, ev.key})
			if i < 0 || e.timers[i].gen != ev.gen {
				continue
			}
		}
		live = append(live, ev)
	}
	e.q = live
	for i := len(e.q)/2 - 1; i >= 0; i-- {
		e.q.down(i)
	}
	e.stale = 0
}

// Engine runs one Config. It is single-use.
type Engine struct {
	cfg      Config
	now      model.Time
	seq      uint64
	q        eventQueue
	timers   []armed // armed timers and their generation
	gens     uint32
	chans    []channelState // per client, in the order of channelNames
	streams  Streams
	proc     lazyRand   // server processing
	react    []lazyRand // per client reaction
	inFlight int
	stale    int             // timer events in q that were cancelled or re-armed
	msgs     []model.Message // messages in flight, by slab index
	free     []int32         // free slab slots
	out      model.Output
	res      *Result
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
	return res
}

// reset readies the engine for cfg, keeping allocated buffers.
func (e *Engine) reset(cfg Config) {
	if cfg.MaxTime == 0 {
		cfg.MaxTime = 3600e9
	}
	*e = Engine{cfg: cfg, streams: NewStreams(cfg.Seed), q: e.q[:0], timers: e.timers[:0],
		msgs: e.msgs[:0], free: e.free[:0], out: e.out, chans: e.chans[:0], react: e.react[:0],
		res: &Result{Names: cfg.Names, Files: cfg.Files, trace: cfg.Trace, Ops: make([]model.Op, 0, 8), Events: make([]TimedEvent, 0, 8)}}
	for i := 0; i < 4*len(cfg.Clients); i++ {
		e.chans = append(e.chans, channelState{lazyRand: lazyRand{prefix: cfg.Names[i/4+1], suffix: channelNames[i%4]}})
	}
	for i := range cfg.Clients {
		e.react = append(e.react, lazyRand{prefix: cfg.Names[i+1], suffix: "/reaction"})
	}
	e.proc.prefix = "server/processing"
	n := 0
	for _, a := range cfg.Actors {
		if s, ok := a.(Scripted); ok {
			n += s.ScriptLen()
		}
	}
	e.res.Ops = make([]model.Op, 0, n)
	e.res.Events = make([]TimedEvent, 0, n)
}

func (e *Engine) push(ev event) {
	ev.seq = e.seq
	e.seq++
	e.q.push(ev)
}

func (e *Engine) run() {
	for id := range e.cfg.Actors {
		e.step(model.ActorID(id), model.Input{Kind: model.InStart})
	}
	for i, c := range e.cfg.Clients {
		if c.HasCrash {
			e.push(event{at: c.CrashAt, kind: evCrash, actor: model.ActorID(i + 1)})
		}
	}
	for len(e.q) > 0 {
		if e.q[0].at > e.cfg.MaxTime {
			break
		}
		if e.q[0].at > e.cfg.Until && e.quiet() {
			break
		}
		ev := e.q.pop()
		e.now = ev.at
		switch ev.kind {
		case evDeliver:
			e.inFlight--
			e.res.traceDeliver(e.now, ev.msg)
			if e.cfg.Trace {
				e.res.Messages[ev.rec].Recv = len(e.res.StepRecords)
			}
			e.step(ev.actor, model.Input{Kind: model.InDeliver, Msg: ev.msg})
		case evTimer:
			id := timerID{ev.actor, ev.key}
			i := e.armedIndex(id)
			if i < 0 || e.timers[i].gen != ev.gen {
				continue // re-armed or cancelled since
			}
			e.disarm(id)
			e.res.traceTimer(e.now, e.cfg.Names[ev.actor], ev.key)
			e.step(ev.actor, model.Input{Kind: model.InTimer, Timer: ev.key})
		case evCrash:
			e.step(ev.actor, model.Input{Kind: model.InCrash})
		}
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
	for _, a := range e.cfg.Actors {
		if s, ok := a.(Scripted); ok && !s.Done() {
			return false
		}
		if q, ok := a.(quiescer); ok && !q.Quiescent() {
			return false
		}
	}
	return true
}

func (e *Engine) step(id model.ActorID, in model.Input) {
	var rec StepRecord
	if e.cfg.Trace {
		rec = StepRecord{At: e.now, Actor: id, Input: in, Events: Span{len(e.res.Events), 0},
			Ops: Span{len(e.res.Ops), 0}, Msgs: Span{len(e.res.Messages), 0}}
	}
	e.out.Reset()
	e.res.Steps++
	e.cfg.Actors[id].Step(e.now, in, &e.out)
	for _, t := range e.out.Timers {
		tid := timerID{id, t.Key}
		if t.Cancel {
			e.disarm(tid)
			continue
		}
		e.gens++
		if i := e.armedIndex(tid); i >= 0 {
			e.timers[i].gen = e.gens
			e.stale++
		} else {
			e.timers = append(e.timers, armed{tid, e.gens})
		}
		e.push(event{at: max(t.At, e.now), kind: evTimer, actor: id, key: t.Key, gen: e.gens})
	}
	e.compact()
	for _, ev := range e.out.Events {
		e.res.addEvent(e.now, ev)
	}
	for _, op := range e.out.Ops {
		op.ID = len(e.res.Ops)
		e.res.addOp(op)
	}
	for _, m := range e.out.Msgs {
		e.send(m)
	}
	if e.cfg.Trace {
		rec.Events.To, rec.Ops.To, rec.Msgs.To = len(e.res.Events), len(e.res.Ops), len(e.res.Messages)
		e.res.StepRecords = append(e.res.StepRecords, rec)
	}
	if e.cfg.Observe != nil {
		e.cfg.Observe(e.now, e.cfg.Actors)
	}
}

// send computes when m arrives, if it does: processing at the sender,
// partitions, loss and one-way latency, kept in order per direction.
func (e *Engine) send(m model.Message) {
	e.res.countSend(m)
	at := e.now
	if m.Kind.Channel() == model.ChanLocal {
		if m.From == model.ServerID {
			at += e.sample(e.cfg.Server.Syscall, &e.proc)
		}
		e.deliver(at, m)
		return
	}
	client := m.To
	if m.From != model.ServerID {
		client = m.From
	}
	cn := &e.cfg.Clients[client-1]
	fromServer := m.From == model.ServerID
	link, ch := &cn.Fore, e.channel(client, m.Kind.Channel(), fromServer)
	if m.Kind.Channel() == model.ChanCallback {
		link = &cn.Callback
	}
	switch {
	case fromServer && m.Reply:
		at += e.sample(e.cfg.Server.RPC, &e.proc)
	case fromServer: // a callback leaves through nfsd's callback workqueue
		at += e.sample(e.cfg.Server.CBQueue, &e.proc)
	case m.Kind.Channel() == model.ChanCallback || m.Kind == model.MsgDelegReturn:
		at += e.sample(cn.Reaction, &e.react[client-1])
	}
	at, ok := link.heldUntil(at)
	if !ok || (link.Loss > 0 && e.rng(&ch.lazyRand).Float64() < link.Loss) {
		e.res.traceDrop(e.now, m)
		if e.cfg.Trace {
			e.res.Messages = append(e.res.Messages, MessageRecord{Msg: m, Sent: e.now, Dropped: true,
				Step: len(e.res.StepRecords), Recv: -1})
		}
		return
	}
	at += e.sample(link.Latency, &ch.lazyRand)
	if m.Kind == model.MsgDelegReturn && !m.Reply {
		at += e.sample(e.cfg.Server.DelegReturn, &e.proc)
	}
	at = max(at, ch.last)
	ch.last = at
	e.deliver(at, m)
}

// lazyRand is a named stream created on first use: fixed delays draw
// nothing, so most runs never pay for most streams. Creation order does
// not matter because each stream depends only on the seed and its name.
type lazyRand struct {
	prefix, suffix string // the stream's name is prefix+suffix
	r              *rand.Rand
}

func (e *Engine) rng(l *lazyRand) *rand.Rand {
	if l.r == nil {
		l.r = e.streams.Get(l.prefix + l.suffix)
	}
	return l.r
}

func (e *Engine) sample(d Dist, l *lazyRand) model.Time {
	if d.IsFixed() {
		return d.Median()
	}
	return d.Sample(e.rng(l))
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

func (e *Engine) deliver(at model.Time, m model.Message) {
	e.res.traceSend(e.now, at, m)
	e.inFlight++
	ev := event{at: at, kind: evDeliver, actor: m.To, msg: m}
	if e.cfg.Trace {
		ev.rec = len(e.res.Messages)
		e.res.Messages = append(e.res.Messages, MessageRecord{Msg: m, Sent: e.now, Arrives: at,
			Step: len(e.res.StepRecords), Recv: -1})
	}
	e.push(ev)
}

// String describes the engine's position, for debugging.
func (e *Engine) String() string { return fmt.Sprintf("sim at %v, %d events queued", e.now, len(e.q)) }
