package trace

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/trace/nfs4"
)

// Divergence is one point where delegsim's server model answered a
// captured request differently from the real server.
type Divergence struct {
	Frame  int
	At     time.Duration
	Client string
	Op     string
	Real   string // what the real server did
	Model  string // what the model did
	Rule   string // the model rule involved
	// Limit, if set, says why the difference follows from what a
	// capture cannot show rather than from the model; such differences
	// are listed but do not fail the check.
	Limit string
}

func (d Divergence) String() string {
	s := fmt.Sprintf("frame %d (%.3f ms) %s %s: real server %s; model %s", d.Frame, ms(d.At), d.Client, d.Op, d.Real, d.Model)
	if d.Rule != "" {
		s += " [" + d.Rule + "]"
	}
	if d.Limit != "" {
		s += " (not counted: " + d.Limit + ")"
	}
	return s
}

// CheckResult is the conformance of a capture with one profile and policy.
type CheckResult struct {
	Profile     string
	Policy      string
	Divergences []Divergence
	Compared    int      // requests compared
	Skipped     []string // what could not be replayed, and why
	Injected    int      // server-local accesses injected
}

// Count returns the divergences that count (those not explained by a
// limit of the capture).
func (r *CheckResult) Count() int {
	n := 0
	for _, d := range r.Divergences {
		if d.Limit == "" {
			n++
		}
	}
	return n
}

// Check drives delegsim's server model (model.Server, through its Step
// API) with the requests the capture's clients sent, in captured order and
// at captured times, and compares every answer: the delegation granted or
// refused, each reply's status (NFS4ERR_DELAY where the model would or
// would not give it), and the callbacks sent. Callback replies are fed
// back to the model as the clients really gave them. Server-local
// accesses are not on the wire: each recall the story attributes to one
// is injected as a local open of the file at the time of the CB_RECALL
// (a read open against a write delegation, a write open against a read
// delegation).
func Check(c *Capture, st *Story, prof model.Profile, pol model.Policy) *CheckResult {
	r := newReplay(c, st, prof, pol)
	r.run()
	return r.res
}

// replay is one run of the model against a capture.
type replay struct {
	c   *Capture
	st  *Story
	res *CheckResult
	srv *model.Server
	out model.Output
	now time.Duration

	files  map[int]model.FileID // story file → model file
	order  []int                // story files in the model's table, in order
	b      *builder             // for concerns: the story's file handles and names
	local  model.ActorID
	timers map[model.TimerKey]time.Duration

	// Per request sent to the model (by model xid): the exchange.
	sent    map[xidKey]int
	replies map[xidKey]model.Message
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
		timers: map[model.TimerKey]time.Duration{}, sent: map[xidKey]int{}, replies: map[xidKey]model.Message{},
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
	kind  int // 0 request, 1 callback reply, 2 local access
	ex    int
	brk   int
}

func (r *replay) run() {
	var ins []input
	for i := range r.c.Exchanges {
		e := &r.c.Exchanges[i]
		if e.Client < 0 {
			continue
		}
		if !e.Callback {
			ins = append(ins, input{at: e.CallAt, frame: e.CallFrame, kind: 0, ex: i})
		} else if e.Answered() && e.Proc == nfs4.ProcCompound {
			ins = append(ins, input{at: e.ReplyAt, frame: e.ReplyFrame, kind: 1, ex: i})
		}
	}
	for i, lb := range r.st.LocalBreaks {
		ins = append(ins, input{at: lb.Before, frame: lb.Frame, kind: 2, brk: i})
	}
	slices.SortStableFunc(ins, func(a, b input) int {
		if a.frame != b.frame {
			return a.frame - b.frame
		}
		return b.kind - a.kind // the local access comes before the recall it explains
	})
	r.step(0, model.Input{Kind: model.InStart})
	for _, in := range ins {
		r.advance(in.at)
		switch in.kind {
		case 0:
			r.request(in.ex)
		case 1:
			r.callbackReply(in.ex)
		case 2:
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
			r.replies[xidKey{m.To, m.XID}] = m
			r.learn(m)
		case m.Kind == model.MsgCBRecall || m.Kind == model.MsgCBGetattr:
			r.cbs = append(r.cbs, modelCB{msg: m, at: r.now, matched: -1})
		}
	}
}

func (r *replay) deliver(m model.Message) {
	r.step(r.now, model.Input{Kind: model.InDeliver, Msg: m})
}

// request maps a captured compound to the model's request, if it has one.
func (r *replay) request(i int) {
	e := &r.c.Exchanges[i]
	m, ok := r.message(e)
	if !ok {
		return
	}
	r.nextXID++
	m.XID, m.From, m.To = r.nextXID, model.ActorID(e.Client+1), model.ServerID
	r.sent[xidKey{m.From, m.XID}] = i
	r.deliver(m)
}

// message is the model request for exchange e.
func (r *replay) message(e *Exchange) (model.Message, bool) {
	if e.Call == nil {
		return model.Message{}, false
	}
	name := e.Name()
	f := r.fileOfExchange(e)
	id, inTable := r.files[f]
	switch name {
	case "OPEN":
		op := e.Call.Find(nfs4.OpOpen)
		if !inTable || op == nil || op.Open == nil {
			return model.Message{}, false
		}
		if op.Open.Claim == nfs4.ClaimDelegCurFH {
			r.res.Skipped = append(r.res.Skipped, fmt.Sprintf("frame %d: OPEN with CLAIM_DELEG_CUR_FH (the holder reopening under its delegation) has no model counterpart", e.CallFrame))
			return model.Message{}, false
		}
		a := op.Open
		return model.Message{Kind: model.MsgOpen, File: id, Access: model.Access(a.Access()), Create: a.Create,
			Excl: a.Create && (a.CreateMode == nfs4.CreateExclusive || a.CreateMode == nfs4.CreateExclusive4_1)}, true
	case "OPEN_CONFIRM":
		return model.Message{Kind: model.MsgOpenConfirm, File: id}, inTable
	case "CLOSE":
		return model.Message{Kind: model.MsgClose, File: id, Stateid: r.openIDs[[2]int{e.Client, f}]}, inTable
	case "WRITE":
		op := e.Call.Find(nfs4.OpWrite)
		end := int64(op.Offset) + int64(op.Count)
		r.sizes[f] = max(r.sizes[f], end)
		r.data++
		sid := r.openIDs[[2]int{e.Client, f}]
		if d, ok := r.delegIDs[op.Stateid.Key()]; ok {
			sid = d
		}
		return model.Message{Kind: model.MsgWrite, File: id, Stateid: sid, Size: r.sizes[f], Data: r.data, Bytes: int64(op.Count)}, inTable
	case "COMMIT":
		return model.Message{Kind: model.MsgCommit, File: id}, inTable
	case "GETATTR", "LOOKUP":
		if !inTable || !hasGetattr(e) {
			return model.Message{}, false
		}
		return model.Message{Kind: model.MsgGetattr, File: id}, true
	case "SETATTR":
		return model.Message{Kind: model.MsgSetattr, File: id}, inTable
	case "REMOVE":
		return model.Message{Kind: model.MsgRemove, File: id}, inTable
	case "RENAME":
		return model.Message{Kind: model.MsgRename, File: id}, inTable
	case "READ":
		return model.Message{Kind: model.MsgRead, File: id}, inTable
	case "DELEGRETURN":
		op := e.Call.Find(nfs4.OpDelegReturn)
		d, ok := r.delegIDs[op.Stateid.Key()]
		if !ok {
			if r.notGrant[op.Stateid.Key()] {
				r.res.Skipped = append(r.res.Skipped, fmt.Sprintf("frame %d: DELEGRETURN of a delegation the model did not grant (see the OPEN's divergence)", e.CallFrame))
			}
			return model.Message{}, false
		}
		return model.Message{Kind: model.MsgDelegReturn, File: id, Stateid: d}, true
	case "SEQUENCE", "RENEW":
		return model.Message{Kind: model.MsgRenew}, true
	}
	return model.Message{}, false
}

// fileOfExchange is the model-table file an exchange is about, -1 if
// none.
func (r *replay) fileOfExchange(e *Exchange) int {
	for _, f := range r.order {
		if r.b.concerns(e, f) {
			return f
		}
	}
	return -1
}

// callbackReply delivers a client's real callback answer to the model's
// matching callback.
func (r *replay) callbackReply(i int) {
	e := &r.c.Exchanges[i]
	kind, f, ok := r.callbackOf(e)
	if !ok {
		return
	}
	k := r.matchCB(i, kind, model.ActorID(e.Client+1), f)
	if k < 0 {
		return
	}
	cb := &r.cbs[k]
	m := model.Message{Kind: kind, Reply: true, From: cb.msg.To, To: model.ServerID, XID: cb.msg.XID, File: cb.msg.File, Status: modelStatus(e.Status())}
	if kind == model.MsgCBGetattr {
		m.Size, m.Change = r.cbAttrs(e, cb.msg)
	}
	r.deliver(m)
}

// cbAttrs translates a CB_GETATTR answer into the model's terms: the
// model compares the holder's size and change with what it knew at the
// grant (nfsd4_deleg_getattr_conflict), so the real answer is compared
// with the real values in the granting OPEN's reply.
func (r *replay) cbAttrs(e *Exchange, cb model.Message) (int64, uint64) {
	var grant model.Deleg
	for _, d := range r.srv.Delegations() {
		if d.ID == cb.Stateid {
			grant = d
		}
	}
	op := e.Reply.Find(nfs4.CBGetattr)
	if op == nil || op.Attrs == nil {
		return grant.SizeAtGrant, grant.ChangeAtGrant
	}
	size, change := int64(op.Attrs.Size), grant.ChangeAtGrant
	for _, o := range r.st.Opens {
		if o.Client == e.Client && r.files[o.File] == cb.File && o.Deleg != "" && o.Deleg != "NONE" && o.Change != nil && *o.Change != op.Attrs.Change {
			change++ // the holder's change attribute moved since the grant
		}
	}
	return size, change
}

func (r *replay) callbackOf(e *Exchange) (model.MsgKind, model.FileID, bool) {
	if e.Call == nil {
		return 0, 0, false
	}
	for _, op := range e.Call.Ops {
		var k model.MsgKind
		switch op.Code {
		case nfs4.CBRecall:
			k = model.MsgCBRecall
		case nfs4.CBGetattr:
			k = model.MsgCBGetattr
		default:
			continue
		}
		b := nfs4.FHKey(op.FH)
		for sf, id := range r.files {
			if r.st.Files[sf].FH == b {
				return k, id, true
			}
		}
	}
	return 0, 0, false
}

// matchCB pairs real callback exchange i with the earliest unmatched model
// callback of the same kind, to the same client and file, sent no later
// than a second after it.
func (r *replay) matchCB(i int, kind model.MsgKind, to model.ActorID, f model.FileID) int {
	e := &r.c.Exchanges[i]
	for k := range r.cbs {
		cb := &r.cbs[k]
		if cb.matched == i {
			return k
		}
		if cb.matched >= 0 || cb.msg.Kind != kind || cb.msg.To != to || cb.msg.File != f || cb.at > e.CallAt+time.Second {
			continue
		}
		cb.matched = i
		return k
	}
	return -1
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

// modelStatus maps an NFS status to the model's.
func modelStatus(s nfs4.Status) model.Status {
	switch s {
	case nfs4.OK:
		return model.StatusOK
	case nfs4.ErrDelay:
		return model.NFS4ErrDelay
	case nfs4.ErrNoent:
		return model.NFS4ErrNoent
	case nfs4.ErrExist:
		return model.NFS4ErrExist
	case nfs4.ErrBadStateid:
		return model.NFS4ErrBadStateid
	case nfs4.ErrBadHandle:
		return model.NFS4ErrBadHandle
	case nfs4.ErrExpired:
		return model.NFS4ErrExpired
	case nfs4.ErrOpenMode:
		return model.NFS4ErrOpenMode
	}
	return model.ErrEINVAL
}
