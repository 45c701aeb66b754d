package explain

import (
	"fmt"
	"slices"
	"strings"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
)

// narrator turns a traced run into a Story. It reads the structured
// records of the run (sim.Result.StepRecords, Messages, Events, Ops) and
// the table snapshots, never the text trace.
type narrator struct {
	sc     *scenarios.Scenario
	r      scenarios.Resolved
	res    *sim.Result
	tables []Table
	st     *Story

	nClients int
	minor    []int          // per actor: NFS minor version of a client
	rows     []int          // per sim step: row in st.Steps, or -1
	begun    map[int]int    // per actor: script steps begun so far
	lanes    map[string]int // lane ID → index
}

func newNarrator(sc *scenarios.Scenario, r scenarios.Resolved, res *sim.Result, tables []Table, st *Story) *narrator {
	n := &narrator{sc: sc, r: r, res: res, tables: tables, st: st, nClients: len(sc.Spec.Clients),
		minor: make([]int, len(res.Names)), begun: map[int]int{}, lanes: map[string]int{}}
	for i, c := range sc.Spec.Clients {
		n.minor[1+i] = 2
		switch c.Version {
		case "4.0":
			n.minor[1+i] = 0
		case "4.1":
			n.minor[1+i] = 1
		}
	}
	add := func(id, label string, k LaneKind, a model.ActorID) {
		n.lanes[id] = len(st.Lanes)
		st.Lanes = append(st.Lanes, Lane{ID: id, Label: label, Kind: k, Actor: a})
	}
	for i, c := range sc.Spec.Clients {
		add(fmt.Sprintf("A%d", i+1), c.Name+" app", LaneApp, model.ActorID(1+i))
		add(fmt.Sprintf("C%d", i+1), c.Name+" NFS client", LaneNFSClient, model.ActorID(1+i))
	}
	add("NET", "network", LaneNetwork, model.ServerID)
	add("NFSD", "nfsd", LaneNfsd, model.ServerID)
	add("VFS", "VFS lease", LaneVFS, model.ServerID)
	for i, l := range sc.Spec.Locals {
		add(fmt.Sprintf("L%d", i+1), l.Name+" local process", LaneLocal, model.ActorID(1+n.nClients+i))
	}
	return n
}

func (n *narrator) isClient(a model.ActorID) bool { return a >= 1 && int(a) <= n.nClients }
func (n *narrator) name(a model.ActorID) string   { return actorName(n.res.Names, a) }

func (n *narrator) file(f model.FileID) string {
	if int(f) < len(n.sc.Spec.Files) {
		return n.sc.Spec.Files[f].Name
	}
	return fmt.Sprintf("file %d", f)
}

// lane returns the lane an actor's messages start or end on.
func (n *narrator) lane(a model.ActorID) int {
	switch {
	case a == model.ServerID:
		return n.lanes["NFSD"]
	case n.isClient(a):
		return n.lanes[fmt.Sprintf("C%d", a)]
	}
	return n.lanes[fmt.Sprintf("L%d", int(a)-n.nClients)]
}

// msgLanes returns the lanes of a message's arrow: system calls run
// between a local process and the VFS, everything else between an NFS
// client and nfsd.
func (n *narrator) msgLanes(m model.Message) (from, to int) {
	from, to = n.lane(m.From), n.lane(m.To)
	if m.Kind.Channel() == model.ChanLocal {
		if m.From == model.ServerID {
			from = n.lanes["VFS"]
		} else {
			to = n.lanes["VFS"]
		}
	}
	return from, to
}

// shown reports whether a step is worth a line: anything delivered, and
// any step that produced something or starts a script step. Timers that
// only re-arm themselves (renewd, the laundromat) are left out.
func (n *narrator) shown(rec sim.StepRecord) bool {
	switch rec.Input.Kind {
	case model.InDeliver, model.InCrash:
		return true
	case model.InTimer:
		switch rec.Input.Timer.Kind {
		case model.TimerScript, model.TimerOpen, model.TimerAppRetry:
			return true
		}
	}
	return rec.Events.To > rec.Events.From || rec.Ops.To > rec.Ops.From || rec.Msgs.To > rec.Msgs.From
}

func (n *narrator) tell() {
	n.rows = make([]int, len(n.res.StepRecords))
	for k, rec := range n.res.StepRecords {
		n.rows[k] = -1
		if rec.Input.Kind == model.InTimer && rec.Input.Timer.Kind == model.TimerScript {
			n.begun[int(rec.Actor)]++
		}
		if !n.shown(rec) {
			continue
		}
		n.rows[k] = len(n.st.Steps)
		s := &stepCtx{n: n, k: k, rec: rec, row: len(n.st.Steps),
			events: n.res.Events[rec.Events.From:rec.Events.To],
			ops:    n.res.Ops[rec.Ops.From:rec.Ops.To],
			msgs:   n.res.Messages[rec.Msgs.From:rec.Msgs.To],
			after:  n.tables[k]}
		if k > 0 {
			s.before = n.tables[k-1]
		}
		switch {
		case rec.Actor == model.ServerID:
			s.server()
		case n.isClient(rec.Actor):
			s.client()
		default:
			s.local()
		}
		s.leftoverEvents()
		for _, mr := range s.msgs {
			if mr.Dropped {
				s.say(msgLabel(mr.Msg, n.file(mr.Msg.File))+" is lost on the way: a partition or loss on the link", "")
			}
		}
		n.st.Steps = append(n.st.Steps, Step{At: rec.At, Actor: n.name(rec.Actor),
			What: strings.Join(s.what, "; "), Why: strings.Join(s.why, "; "), Table: s.after, Sim: k})
	}
	n.messageArrows()
}

// inFlightSuffix ends the label of a message still in flight when the
// story ends.
const inFlightSuffix = " (in flight at the end)"

// messageArrows adds one arrow per message, from the row of the step that
// sent it to the row of the step that received it.
func (n *narrator) messageArrows() {
	last := len(n.st.Steps) - 1
	for _, mr := range n.res.Messages {
		from, to := n.msgLanes(mr.Msg)
		a := Arrow{Kind: ArrowRequest, From: from, To: to, Row: n.rows[mr.Step], Sent: mr.Sent, Arrives: mr.Arrives,
			Label: msgLabel(mr.Msg, n.file(mr.Msg.File))}
		if mr.Msg.Reply {
			a.Kind = ArrowReply
		}
		switch {
		case mr.Dropped:
			a.Kind, a.To, a.End = ArrowDropped, n.lanes["NET"], a.Row
			a.Label += " (lost)"
		case mr.Recv < 0:
			// A client's message is in the network; a local process's
			// system call or its answer is on its way between its lanes.
			a.Kind, a.End, a.InFlight = ArrowDropped, last, true
			if mr.Msg.Kind.Channel() != model.ChanLocal {
				a.To = n.lanes["NET"]
			}
			a.Label += inFlightSuffix
		default:
			a.End = n.rows[mr.Recv]
		}
		n.st.Arrows = append(n.st.Arrows, a)
	}
	// Keep arrows in the order they start, then end: messages were added
	// after the steps' own arrows.
	slices.SortStableFunc(n.st.Arrows, func(x, y Arrow) int {
		if x.Row != y.Row {
			return x.Row - y.Row
		}
		return 0
	})
}

// stepCtx narrates one step.
type stepCtx struct {
	n             *narrator
	k, row        int
	rec           sim.StepRecord
	events        []sim.TimedEvent
	ops           []model.Op
	msgs          []sim.MessageRecord
	before, after Table
	what, why     []string
	handled       [model.EventKindCount]bool
}

func (s *stepCtx) say(what, why string) {
	if what != "" {
		s.what = append(s.what, what)
	}
	if why != "" && !slices.Contains(s.why, why) {
		s.why = append(s.why, why)
	}
}

func (s *stepCtx) event(k model.EventKind) (sim.TimedEvent, bool) {
	for _, e := range s.events {
		if e.Kind == k {
			s.handled[k] = true
			return e, true
		}
	}
	return sim.TimedEvent{}, false
}

func (s *stepCtx) has(k model.EventKind) bool {
	_, ok := s.event(k)
	return ok
}

// sent returns the messages of a kind the step sent (requests or replies).
func (s *stepCtx) sent(k model.MsgKind, reply bool) []model.Message {
	var out []model.Message
	for _, mr := range s.msgs {
		if mr.Msg.Kind == k && mr.Msg.Reply == reply {
			out = append(out, mr.Msg)
		}
	}
	return out
}

// replyTo returns the step's reply to the request m, if it sent one.
func (s *stepCtx) replyTo(m model.Message) (model.Message, bool) {
	for _, mr := range s.msgs {
		r := mr.Msg
		if r.Reply && r.Kind == m.Kind && r.To == m.From && r.XID == m.XID {
			return r, true
		}
	}
	return model.Message{}, false
}

func (s *stepCtx) arrow(k ArrowKind, from, to int, label string) {
	s.n.st.Arrows = append(s.n.st.Arrows, Arrow{Kind: k, From: from, To: to, Row: s.row, End: s.row,
		Label: label, Sent: s.rec.At, Arrives: s.rec.At})
}

func (s *stepCtx) note(lane int, text string) {
	s.n.st.Notes = append(s.n.st.Notes, Note{Lane: lane, Row: s.row, Text: text})
}

// holder returns the delegation on file f held before this step by
// someone other than requester, if any.
func (s *stepCtx) holder(f string, requester string) (DelegRow, bool) {
	for _, d := range s.before.Delegations {
		if d.File == f && d.Holder != requester {
			return d, true
		}
	}
	return DelegRow{}, false
}

func (s *stepCtx) holds(client, f string) bool {
	for _, d := range s.before.Delegations {
		if d.File == f && d.Holder == client {
			return true
		}
	}
	return false
}

// leaseArrows draws the VFS lease layer and nfsd acting on each other for
// the step's lease events.
func (s *stepCtx) leaseArrows() {
	nfsd, vfs := s.n.lanes["NFSD"], s.n.lanes["VFS"]
	for _, e := range s.events {
		f := s.n.file(e.File)
		switch e.Kind {
		case model.EvGrant:
			s.arrow(ArrowLease, nfsd, vfs, fmt.Sprintf("set %s lease on %s (FL_DELEG)", e.Deleg, f))
		case model.EvRecall:
			s.arrow(ArrowLease, vfs, nfsd, "lm_break → nfsd_break_deleg_cb")
		case model.EvReturn:
			s.arrow(ArrowLease, nfsd, vfs, "remove lease on "+f)
		case model.EvRevoke:
			s.arrow(ArrowLease, nfsd, vfs, "remove lease on "+f+" (revoked)")
			s.note(nfsd, fmt.Sprintf("%s's %s delegation on %s revoked", s.n.name(e.Client), e.Deleg, f))
		case model.EvDowngrade:
			s.note(vfs, "write lease on "+f+" downgraded to read")
		case model.EvExpire:
			s.note(nfsd, s.n.name(e.Client)+" expired")
		case model.EvCourtesy:
			s.note(nfsd, s.n.name(e.Client)+" kept as courtesy client")
		case model.EvCBPathDown:
			s.note(nfsd, "callback path to "+s.n.name(e.Client)+" down")
		case model.EvCBPathUp:
			s.note(nfsd, "callback path to "+s.n.name(e.Client)+" up")
		case model.EvDelegRefused:
			s.note(nfsd, "no delegation: "+e.Why)
		}
	}
}

// leftoverEvents narrates events no rule above accounted for, with the
// model's own reason.
func (s *stepCtx) leftoverEvents() {
	for _, e := range s.events {
		if s.handled[e.Kind] {
			continue
		}
		s.handled[e.Kind] = true
		what, why, _ := strings.Cut(e.Why, ": ")
		if why == "" {
			what, why = e.Kind.String(), e.Why
		} else {
			what, why = why, what
		}
		s.say(what, why)
	}
}
