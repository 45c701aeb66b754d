package sim

import (
	"container/heap"
	"fmt"
	"math/rand/v2"

	"github.com/delegsim/delegsim/model"
)

// Config is a run: the actors in their initial state and everything that
// decides timing. Actors[0] is the server, then the clients (one ClientNet
// each, in order), then local processes.
type Config struct {
	Actors  []model.Actor
	Names   []string
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
type Scripted interface{ Done() bool }

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
}

type eventQueue []event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type timerID struct {
	actor model.ActorID
	key   model.TimerKey
}

// Engine runs one Config. It is single-use.
type Engine struct {
	cfg      Config
	now      model.Time
	seq      uint64
	q        eventQueue
	timers   map[timerID]uint32 // armed generation; 0 or absent: disarmed
	gens     uint32
	chans    []channelState // per client, in the order of channelNames
	proc     *rand.Rand     // server processing
	react    []*rand.Rand   // per client reaction
	inFlight int
	out      model.Output
	res      *Result
}

// Run executes the configuration and returns what happened.
func Run(cfg Config) *Result {
	e := newEngine(cfg)
	e.run()
	return e.res
}

func newEngine(cfg Config) *Engine {
	if cfg.MaxTime == 0 {
		cfg.MaxTime = 3600e9
	}
	st := NewStreams(cfg.Seed)
	e := &Engine{cfg: cfg, timers: make(map[timerID]uint32), proc: st.Get("server/processing"),
		res: &Result{Names: cfg.Names, trace: cfg.Trace}}
	for i := range cfg.Clients {
		name := cfg.Names[i+1]
		for _, dir := range channelNames {
			e.chans = append(e.chans, channelState{rng: st.Get(name + "/" + dir)})
		}
		e.react = append(e.react, st.Get(name+"/reaction"))
	}
	return e
}

func (e *Engine) push(ev event) {
	ev.seq = e.seq
	e.seq++
	heap.Push(&e.q, ev)
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
		ev := heap.Pop(&e.q).(event)
		e.now = ev.at
		switch ev.kind {
		case evDeliver:
			e.inFlight--
			e.res.traceDeliver(e.now, ev.msg)
			e.step(ev.actor, model.Input{Kind: model.InDeliver, Msg: ev.msg})
		case evTimer:
			id := timerID{ev.actor, ev.key}
			if e.timers[id] != ev.gen {
				continue // re-armed or cancelled since
			}
			delete(e.timers, id)
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
	}
	if srv, ok := e.cfg.Actors[0].(*model.Server); ok {
		if n, _ := srv.Waiting(); n > 0 {
			return false
		}
	}
	return true
}

func (e *Engine) step(id model.ActorID, in model.Input) {
	e.out.Reset()
	e.cfg.Actors[id].Step(e.now, in, &e.out)
	for _, t := range e.out.Timers {
		tid := timerID{id, t.Key}
		if t.Cancel {
			delete(e.timers, tid)
			continue
		}
		e.gens++
		e.timers[tid] = e.gens
		e.push(event{at: max(t.At, e.now), kind: evTimer, actor: id, key: t.Key, gen: e.gens})
	}
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
			at += e.cfg.Server.Syscall.Sample(e.proc)
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
		at += e.cfg.Server.RPC.Sample(e.proc)
	case fromServer: // a callback leaves through nfsd's callback workqueue
		at += e.cfg.Server.CBQueue.Sample(e.proc)
	case m.Kind.Channel() == model.ChanCallback || m.Kind == model.MsgDelegReturn:
		at += cn.Reaction.Sample(e.react[client-1])
	}
	at, ok := link.heldUntil(at)
	if !ok || (link.Loss > 0 && ch.rng.Float64() < link.Loss) {
		e.res.traceDrop(e.now, m)
		return
	}
	at += link.Latency.Sample(ch.rng)
	if m.Kind == model.MsgDelegReturn && !m.Reply {
		at += e.cfg.Server.DelegReturn.Sample(e.proc)
	}
	at = max(at, ch.last)
	ch.last = at
	e.deliver(at, m)
}

// channelNames name the four directions of a client's two links, which
// are also their random streams.
var channelNames = [4]string{"fore/up", "fore/down", "callback/down", "callback/up"}

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
	e.push(event{at: at, kind: evDeliver, actor: m.To, msg: m})
}

// String describes the engine's position, for debugging.
func (e *Engine) String() string { return fmt.Sprintf("sim at %v, %d events queued", e.now, len(e.q)) }
