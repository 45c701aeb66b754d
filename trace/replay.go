package trace

import (
	"slices"
	"strings"
	"time"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/trace/nfs4"
)

// replay is one run of the model against a capture.
type replay struct {
	c   *Capture
	st  *Story
	res *CheckResult
	srv *model.Server
	par model.ServerParams // the model's timers (the kernel defaults)
	out model.Output
	now time.Duration

	files  map[int]model.FileID // story file → model file
	order  []int                // story files in the model's table, in order
	b      *builder             // for concerns: the story's file handles and names
	local  model.ActorID
	timers map[model.TimerKey]time.Duration

	// Per request sent to the model (by model xid): the exchange, and
	// whether it stands only for the lease renewal of its SEQUENCE.
	sent    map[xidKey]int
	renewal map[xidKey]bool
	replies map[xidKey]model.Message
	// Why the model refused a delegation to an OPEN it answered.
	refused map[xidKey]string
	// Model callbacks in order of sending; and which real callback each
	// was matched with (-1: none yet).
	cbs []modelCB
	// Real stateids (other, hex) → model stateids: opens per (client,
	// file), delegations by the OPEN that granted them.
	openIDs  map[[2]int]uint32
	delegIDs map[string]uint32
	nextXID  uint32
	sizes    map[int]int64
	data     uint64
	notGrant map[string]bool // real delegations the model did not grant
}

type xidKey struct {
	client model.ActorID
	xid    uint32
}

type modelCB struct {
	msg     model.Message
	at      time.Duration
	matched int // index of the real exchange, -1
}

func newReplay(c *Capture, st *Story, prof model.Profile, pol model.Policy) *replay {
	r := &replay{c: c, st: st, res: &CheckResult{Profile: prof.Name, Policy: pol.Name()}, files: map[int]model.FileID{},
		par: model.DefaultServerParams().WithDefaults(), timers: map[model.TimerKey]time.Duration{},
		sent: map[xidKey]int{}, renewal: map[xidKey]bool{}, replies: map[xidKey]model.Message{}, refused: map[xidKey]string{},
		openIDs: map[[2]int]uint32{}, delegIDs: map[string]uint32{}, sizes: map[int]int64{}, notGrant: map[string]bool{}}
	var specs []model.FileSpec
	for f, fi := range st.Files {
		first := slices.IndexFunc(st.Opens, func(o Open) bool { return o.File == f })
		if fi.Dir || first < 0 {
			continue
		}
		r.files[f] = model.FileID(len(specs))
		r.order = append(r.order, f)
		// A file first opened with O_CREAT may not have existed; one
		// opened without it did.
		specs = append(specs, model.FileSpec{Name: fi.Name, Exists: !st.Opens[first].Create})
	}
	r.b = &builder{c: c, st: st, files: map[string]int{}, names: map[string]int{}}
	for i, fi := range st.Files {
		if fi.FH != "" {
			r.b.files[fi.FH] = i
		}
		r.b.names[fi.Name] = i
	}
	var clients []model.ClientInfo
	for i, cl := range c.Clients {
		clients = append(clients, model.ClientInfo{ID: model.ActorID(i + 1), Minor: cl.Minor, CBUp: true})
	}
	r.local = model.ActorID(len(c.Clients) + 1)
	r.srv = model.NewServer(model.ServerConfig{Profile: prof, Policy: pol, Files: specs, Clients: clients, Actors: len(c.Clients) + 2})
	return r
}

// input is one thing to feed the model, at a captured time.
type input struct {
	at    time.Duration
	frame int
	kind  int // inRequest, inCallbackReply, inLocal
	ex    int
	brk   int
}

const (
	inRequest = iota
	inCallbackReply
	inLocal
)

func (r *replay) inputs() []input {
	var ins []input
	for i := range r.c.Exchanges {
		e := &r.c.Exchanges[i]
		if e.Client < 0 {
			continue
		}
		if !e.Callback {
			ins = append(ins, input{at: e.CallAt, frame: e.CallFrame, kind: inRequest, ex: i})
		} else if e.Answered() {
			// CB_COMPOUND answers, and CB_NULL answers to nfsd's probe.
			ins = append(ins, input{at: e.ReplyAt, frame: e.ReplyFrame, kind: inCallbackReply, ex: i})
		}
	}
	for i, lb := range r.st.LocalBreaks {
		ins = append(ins, input{at: r.injectAt(lb), frame: lb.Frame, kind: inLocal, brk: i})
	}
	slices.SortStableFunc(ins, func(a, b input) int {
		if a.frame != b.frame {
			return a.frame - b.frame
		}
		return b.kind - a.kind // the local access comes before the recall it explains
	})
	return ins
}

func (r *replay) run() {
	r.step(0, model.Input{Kind: model.InStart})
	for _, in := range r.inputs() {
		r.advance(in.at)
		switch in.kind {
		case inRequest:
			r.request(in.ex)
		case inCallbackReply:
			r.callbackReply(in.ex)
		case inLocal:
			r.localAccess(in.brk)
		}
	}
	// Let waits and callback timeouts that would still fire run out.
	r.advance(r.st.End + 10*time.Second)
	r.compareReplies()
	r.compareCallbacks()
	slices.SortStableFunc(r.res.Divergences, func(a, b Divergence) int {
		if a.Frame != b.Frame {
			return a.Frame - b.Frame
		}
		return strings.Compare(a.Op+a.Real, b.Op+b.Real)
	})
}

// advance fires the model's timers due by t.
func (r *replay) advance(t time.Duration) {
	for {
		var next model.TimerKey
		at := time.Duration(-1)
		for k, v := range r.timers {
			if v <= t && (at < 0 || v < at || (v == at && lessKey(k, next))) {
				next, at = k, v
			}
		}
		if at < 0 {
			break
		}
		delete(r.timers, next)
		r.step(at, model.Input{Kind: model.InTimer, Timer: next})
	}
	r.now = max(r.now, t)
}

func lessKey(a, b model.TimerKey) bool {
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	return a.Arg < b.Arg
}

func (r *replay) step(at time.Duration, in model.Input) {
	r.out.Reset()
	r.now = max(r.now, at)
	r.srv.Step(r.now, in, &r.out)
	for _, tc := range r.out.Timers {
		if tc.Cancel {
			delete(r.timers, tc.Key)
		} else {
			r.timers[tc.Key] = tc.At
		}
	}
	for _, m := range r.out.Msgs {
		switch {
		case m.Reply:
			k := xidKey{m.To, m.XID}
			r.replies[k] = m
			if m.Kind == model.MsgOpen {
				r.refused[k] = r.refusal(m)
			}
			r.learn(m)
		case m.Kind == model.MsgCBRecall || m.Kind == model.MsgCBGetattr || m.Kind == model.MsgCBNull:
			r.cbs = append(r.cbs, modelCB{msg: m, at: r.now, matched: -1})
		}
	}
}

// refusal is why the model refused a delegation to the OPEN reply m, as
// its events of the step say, or "".
func (r *replay) refusal(m model.Message) string {
	for _, ev := range r.out.Events {
		if ev.Kind == model.EvDelegRefused && ev.Client == m.To && ev.File == m.File {
			return ev.Why
		}
	}
	return ""
}

func (r *replay) deliver(m model.Message) {
	r.step(r.now, model.Input{Kind: model.InDeliver, Msg: m})
}

// request maps a captured compound to the model's request, if it has
// one; a v4.1+ compound that has none still renews the lease with its
// SEQUENCE, whose status flags are compared.
func (r *replay) request(i int) {
	e := &r.c.Exchanges[i]
	m, ok := r.message(e)
	renewal := false
	if !ok {
		if m, ok = r.renewalOf(e); !ok {
			return
		}
		renewal = true
	}
	r.nextXID++
	m.XID, m.From, m.To = r.nextXID, model.ActorID(e.Client+1), model.ServerID
	k := xidKey{m.From, m.XID}
	r.sent[k] = i
	r.renewal[k] = renewal
	r.deliver(m)
}

// localAccess injects the server-local access behind a recall.
func (r *replay) localAccess(i int) {
	lb := r.st.LocalBreaks[i]
	id, ok := r.files[lb.File]
	if !ok {
		return
	}
	d := r.st.Delegations[lb.Delegation]
	acc := model.AccessRead
	if !strings.HasPrefix(d.Type, "WRITE") {
		acc = model.AccessWrite // a read delegation breaks only for writers
	}
	r.res.Injected++
	r.nextXID++
	r.deliver(model.Message{Kind: model.MsgSysOpen, From: r.local, To: model.ServerID, XID: r.nextXID, File: id, Access: acc, NonBlk: true})
}

// injectAt is when the server-local access behind break lb is injected.
// nfsd recalls at once (nfsd_break_deleg_cb queues the CB_RECALL), so
// normally just before the CB_RECALL that shows it. But a CB_RECALL
// restarted less than a callback timeout after the capture first saw it
// went out long before that: nfsd restarts a callback only after it got
// no answer within the timeout (nfsd4_cb_sequence_done: no reply,
// nfsd4_mark_cb_fault, requeue), so the network (a partition, a full
// loss) held the first attempt, and the restarts, until the capture point
// saw them in one burst. With k restarts in the burst the first attempt
// left k timeouts before the last; the break is placed there, within its
// window, so that the model's own callback times out, faults the
// backchannel and is restarted as the real one was.
func (r *replay) injectAt(lb LocalBreak) time.Duration {
	first := slices.IndexFunc(r.c.Exchanges, func(e Exchange) bool { return e.Callback && e.CallFrame == lb.Frame })
	if first < 0 {
		return lb.Before
	}
	var burst []int
	for _, j := range r.restartsOf(first) {
		if r.c.Exchanges[j].CallAt-r.c.Exchanges[first].CallAt < r.par.CBTimeout {
			burst = append(burst, j)
		}
	}
	if len(burst) == 0 {
		return lb.Before
	}
	last := r.c.Exchanges[burst[len(burst)-1]].CallAt
	return max(lb.After, last-time.Duration(len(burst))*r.par.CBTimeout)
}

// restartsOf returns the CB_RECALL exchanges that restart CB_RECALL
// exchange i: later CB_RECALLs of the same delegation on the same
// backchannel slot with the same sequence id (a restart does not bump it;
// a resend after NFS4ERR_DELAY follows a CB_SEQUENCE that succeeded,
// which does), or sent while i was still unanswered (nfsd has one recall
// callback per delegation, dl_recall, and a second lease break while it
// runs sends none from 6.15 on; before, the single backchannel slot kept
// a second CB_SEQUENCE from overlapping the first).
func (r *replay) restartsOf(i int) []int {
	e := &r.c.Exchanges[i]
	rec, seq := cbRecallOf(e)
	if rec == nil {
		return nil
	}
	var out []int
	for j := i + 1; j < len(r.c.Exchanges); j++ {
		o := &r.c.Exchanges[j]
		if !o.Callback || o.Client != e.Client {
			continue
		}
		orec, oseq := cbRecallOf(o)
		if orec == nil || orec.Stateid.Other != rec.Stateid.Other {
			continue
		}
		sameSlot := seq != nil && oseq != nil && oseq.SessionID == seq.SessionID && oseq.Slot == seq.Slot && oseq.SequenceID == seq.SequenceID
		if sameSlot || !e.Answered() || o.CallAt < e.ReplyAt {
			out = append(out, j)
		}
	}
	return out
}

// cbRecallOf returns a CB_COMPOUND's CB_RECALL and CB_SEQUENCE
// arguments (nil if it has none).
func cbRecallOf(e *Exchange) (rec *nfs4.Op, seq *nfs4.Sequence) {
	if e.Call == nil {
		return nil, nil
	}
	for i := range e.Call.Ops {
		switch op := &e.Call.Ops[i]; op.Code {
		case nfs4.CBRecall:
			rec = op
		case nfs4.CBSequence:
			seq = op.Seq
		}
	}
	return rec, seq
}
