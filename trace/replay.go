package trace

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/trace/nfs4"
)

// replay is one run of the model against a capture. It is fed the
// capture's exchanges in call order (add) with the story already told
// (the model needs every file and client from the start), and keeps of
// them only what a later input still needs: the requests the model has
// not answered yet, the callbacks (they are few), and the callback
// answers waiting for their frame.
type replay struct {
	c   *Capture
	st  *Story
	res *CheckResult
	srv *model.Server
	par model.ServerParams // the model's timers (the kernel defaults)
	out model.Output
	now time.Duration

	files  map[int]model.FileID // story file → model file
	x      fileIndex            // the story's file handles and names
	byName map[string][]int     // name → story files
	local  model.ActorID
	timers map[model.TimerKey]time.Duration

	// Requests sent to the model and not answered yet, by model xid.
	sent map[xidKey]*sentReq
	// Model callbacks in order of sending, and which real callback each
	// was matched with (-1: none yet); the real callbacks.
	cbs  []modelCB
	real []realCB
	// Inputs waiting for their frame: callback answers and the
	// server-local accesses.
	queue inputQueue
	// Exchanges a model callback's frame may still be (frameAt), and
	// model callbacks waiting for the exchange that gives theirs.
	marks     []frameMark
	markWait  []int
	replyDivs []indexedDivergence // compareReplies' divergences
	// Real stateids (other, hex) → model stateids: opens per (client,
	// file), delegations by the OPEN that granted them.
	openIDs  map[[2]int]uint32
	delegIDs map[string]uint32
	nextXID  uint32
	sizes    map[int]int64
	data     uint64
	notGrant map[string]bool // real delegations the model did not grant
	walk     walkBuf
	touches  []touch

	// answers, if not nil, receives every model answer (for tests).
	answers func(req *sentReq, m model.Message)
}

type xidKey struct {
	client model.ActorID
	xid    uint32
}

type modelCB struct {
	msg     model.Message
	at      time.Duration
	matched int // index of the real exchange, -1
	frame   int // the first exchange's at or after at, 0 if none
}

// sentReq is what the comparison of a request's answers needs of it.
type sentReq struct {
	index, client, frame int
	at                   time.Duration
	name                 string
	file                 int  // story file
	renewal              bool // it stands only for the lease renewal of its SEQUENCE
	replied              bool // the real reply is in the capture and decoded
	status               nfs4.Status
	openFound            bool // the reply has an OPEN result with a delegation part
	deleg                nfs4.Delegation
	openFlags            uint32
	grant                string // the stateid of a delegation the real OPEN got, "" if none
	seqOK                bool   // the reply's SEQUENCE succeeded
	seqFlags             uint32
	refused              string // why the model refused a delegation to the OPEN
}

// realCB is a callback of the capture, as the replay compares it.
type realCB struct {
	index, client   int
	callFrame       int
	callAt, replyAt time.Duration
	answered        bool
	status          nfs4.Status
	rpcError        bool
	kind            model.MsgKind
	file            model.FileID
	ok              bool   // a callback the model has (callbackOf)
	recall          string // the stateid a CB_RECALL recalls, "" if none
	attrs           bool   // a CB_GETATTR answer with attributes
	size, change    uint64
	delegMtime      nfs4.Time
	hasMtime        bool
}

type frameMark struct {
	at    time.Duration
	frame int
}

type indexedDivergence struct {
	index int
	d     Divergence
}

func newReplay(c *Capture, st *Story, prof model.Profile, pol model.Policy) *replay {
	r := &replay{c: c, st: st, res: &CheckResult{Profile: prof.Name, Policy: pol.Name()}, files: map[int]model.FileID{},
		par: model.DefaultServerParams().WithDefaults(), timers: map[model.TimerKey]time.Duration{},
		sent: map[xidKey]*sentReq{}, openIDs: map[[2]int]uint32{}, delegIDs: map[string]uint32{}, sizes: map[int]int64{},
		notGrant: map[string]bool{}, byName: map[string][]int{}}
	var specs []model.FileSpec
	opened := map[int]int{} // file → its first open
	for i := len(st.Opens) - 1; i >= 0; i-- {
		opened[st.Opens[i].File] = i
	}
	for f, fi := range st.Files {
		first, ok := opened[f]
		if fi.Dir || !ok {
			continue
		}
		r.files[f] = model.FileID(len(specs))
		// A file first opened with O_CREAT may not have existed; one
		// opened without it did.
		specs = append(specs, model.FileSpec{Name: fi.Name, Exists: !st.Opens[first].Create})
	}
	r.x = fileIndex{files: map[uint32]int{}, names: map[string]int{}, list: &st.Files}
	for i, fi := range st.Files {
		if fi.FH != "" {
			if k, err := strconv.ParseUint(strings.TrimPrefix(fi.FH, "0x"), 16, 32); err == nil {
				r.x.files[uint32(k)] = i
			}
		}
		r.x.names[fi.Name] = i
		r.byName[fi.Name] = append(r.byName[fi.Name], i)
	}
	var clients []model.ClientInfo
	for i, cl := range c.Clients {
		clients = append(clients, model.ClientInfo{ID: model.ActorID(i + 1), Minor: cl.Minor, CBUp: true})
	}
	r.local = model.ActorID(len(c.Clients) + 1)
	r.srv = model.NewServer(model.ServerConfig{Profile: prof, Policy: pol, Files: specs, Clients: clients, Actors: len(c.Clients) + 2})
	for i, lb := range st.LocalBreaks {
		r.queue.push(input{at: r.injectAt(lb), frame: lb.Frame, kind: inLocal, seq: i, brk: i})
	}
	r.step(0, model.Input{Kind: model.InStart})
	return r
}

// input is one thing to feed the model, at a captured time.
type input struct {
	at    time.Duration
	frame int
	kind  int // inRequest, inCallbackReply, inLocal
	seq   int // among inputs of one frame and kind: the exchange's index, the break's
	cb    int // inCallbackReply: index in real
	brk   int
}

// Inputs go to the model in frame order: a request at its call, a
// callback answer at its reply, a server-local access at the CB_RECALL
// that shows it, and of one frame the local access before the callback
// answer before the request.
const (
	inRequest = iota
	inCallbackReply
	inLocal
)

// add feeds the model what exchange e, the next in call order, brings.
func (r *replay) add(e *Exchange) {
	r.mark(e)
	// Every input still to come lies at e's call frame or later, and
	// of e's frame only a request can come (in index order).
	for len(r.queue) > 0 {
		in := r.queue[0]
		if in.frame > e.CallFrame || (in.frame == e.CallFrame && in.kind == inRequest) {
			break
		}
		r.queue.pop()
		r.feed(in)
	}
	if e.Client < 0 {
		return
	}
	if !e.Callback {
		r.advance(e.CallAt)
		r.request(e)
		return
	}
	r.real = append(r.real, r.realCallback(e))
	if e.Answered() {
		// CB_COMPOUND answers, and CB_NULL answers to nfsd's probe.
		r.queue.push(input{at: e.ReplyAt, frame: e.ReplyFrame, kind: inCallbackReply, seq: e.Index, cb: len(r.real) - 1})
	}
}

func (r *replay) feed(in input) {
	r.advance(in.at)
	switch in.kind {
	case inCallbackReply:
		r.callbackReply(&r.real[in.cb])
	case inLocal:
		r.localAccess(in.brk)
	}
}

// finish runs the model out and compares what is left to compare.
func (r *replay) finish() *CheckResult {
	for len(r.queue) > 0 {
		r.feed(r.queue.pop())
	}
	// Let waits and callback timeouts that would still fire run out.
	r.advance(r.st.End + 10*time.Second)
	r.unanswered()
	slices.SortStableFunc(r.replyDivs, func(a, b indexedDivergence) int { return a.index - b.index })
	for _, d := range r.replyDivs {
		r.res.Divergences = append(r.res.Divergences, d.d)
	}
	r.compareCallbacks()
	slices.SortStableFunc(r.res.Divergences, func(a, b Divergence) int {
		if a.Frame != b.Frame {
			return a.Frame - b.Frame
		}
		return strings.Compare(a.Op+a.Real, b.Op+b.Real)
	})
	return r.res
}

// mark notes e's call for frameAt, and settles the model callbacks
// waiting for an exchange at or after their time.
func (r *replay) mark(e *Exchange) {
	keep := r.markWait[:0]
	for _, k := range r.markWait {
		if e.CallAt >= r.cbs[k].at {
			r.cbs[k].frame = e.CallFrame
			continue
		}
		keep = append(keep, k)
	}
	r.markWait = keep
	r.marks = append(r.marks, frameMark{e.CallAt, e.CallFrame})
	r.dropMarks(r.now)
}

// dropMarks forgets the exchanges sent before t: model callbacks are
// sent at the replay's present or later.
func (r *replay) dropMarks(t time.Duration) {
	n := 0
	for n < len(r.marks) && r.marks[n].at < t {
		n++
	}
	if n > 0 {
		r.marks = append(r.marks[:0], r.marks[n:]...)
	}
}

// frameAt gives model callback k the frame of the first exchange (in call
// order) sent at or after it, once that exchange is known.
func (r *replay) frameAt(k int) {
	r.dropMarks(r.cbs[k].at)
	if len(r.marks) > 0 {
		r.cbs[k].frame = r.marks[0].frame
		return
	}
	r.markWait = append(r.markWait, k)
}

// inputQueue is a min-heap of inputs in feeding order.
type inputQueue []input

func (q inputQueue) less(i, j int) bool {
	a, b := q[i], q[j]
	if a.frame != b.frame {
		return a.frame < b.frame
	}
	if a.kind != b.kind {
		return a.kind > b.kind
	}
	return a.seq < b.seq
}

func (q *inputQueue) push(in input) {
	*q = append(*q, in)
	a := *q
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if !a.less(i, p) {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
}

func (q *inputQueue) pop() input {
	a := *q
	in := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a = a[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && a.less(l, m) {
			m = l
		}
		if l+1 < n && a.less(l+1, m) {
			m = l + 1
		}
		if m == i {
			break
		}
		a[m], a[i] = a[i], a[m]
		i = m
	}
	*q = a
	return in
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
	r.srv.Step(r.now, &in, &r.out)
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
			req, ok := r.sent[k]
			if !ok {
				continue
			}
			delete(r.sent, k)
			if m.Kind == model.MsgOpen {
				req.refused = r.refusal(m)
			}
			r.learn(req, m)
			r.compareReply(req, m)
			if r.answers != nil {
				r.answers(req, m)
			}
		case m.Kind == model.MsgCBRecall || m.Kind == model.MsgCBGetattr || m.Kind == model.MsgCBNull:
			r.cbs = append(r.cbs, modelCB{msg: m, at: r.now, matched: -1})
			r.frameAt(len(r.cbs) - 1)
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
func (r *replay) request(e *Exchange) {
	r.touches = r.touches[:0]
	if e.Call != nil {
		before, after, names := r.walk.walk(e.Call, e.Reply)
		r.touches = touchesOf(r.touches, e.Call, before, after, names)
	}
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
	r.sent[xidKey{m.From, m.XID}] = r.sentReq(e, renewal)
	r.deliver(m)
}

// sentReq keeps what comparing the answers to e needs.
func (r *replay) sentReq(e *Exchange, renewal bool) *sentReq {
	s := &sentReq{index: e.Index, client: e.Client, frame: e.CallFrame, at: e.CallAt, name: e.Name(), file: r.fileOf(r.touches),
		renewal: renewal, replied: e.Answered() && e.Reply != nil, status: e.Status()}
	if !s.replied {
		return s
	}
	if op := e.Reply.Find(nfs4.OpOpen); op != nil {
		if op.Deleg != nil {
			s.openFound, s.deleg, s.openFlags = true, *op.Deleg, op.OpenFlags
		}
		if op.Status == nfs4.OK && op.Deleg.Granted() {
			s.grant = op.Deleg.Stateid.Key()
		}
	}
	if op := e.Reply.Find(nfs4.OpSequence); op != nil && op.Seq != nil && op.Status == nfs4.OK {
		s.seqOK, s.seqFlags = true, op.Seq.Flags
	}
	return s
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
	var burst []time.Duration
	for _, at := range lb.restarts {
		if at-lb.Before < r.par.CBTimeout {
			burst = append(burst, at)
		}
	}
	if len(burst) == 0 {
		return lb.Before
	}
	return max(lb.After, burst[len(burst)-1]-time.Duration(len(burst))*r.par.CBTimeout)
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
