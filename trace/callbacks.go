package trace

import (
	"fmt"
	"slices"
	"time"

	"github.com/delegsim/delegsim/trace/nfs4"
)

func (b *builder) callback(e *Exchange) {
	cl := b.clientName(e.Client)
	cb := Callback{Client: e.Client, Op: b.name, Frame: e.CallFrame, ReplyFrame: e.ReplyFrame, At: e.CallAt, File: -1}
	if n := len(b.st.Callbacks); n > 0 && b.st.Callbacks[n-1].At > e.CallAt {
		b.cbMonotone = false
	}
	b.restarts(e)
	if e.Answered() {
		cb.ReplyAt = ptr(e.ReplyAt)
		cb.Status = e.Status().String()
		if e.RPCError != "" {
			cb.Status = e.RPCError
		}
	}
	var main, mainRes *nfs4.Op
	if e.Call != nil {
		for i := range e.Call.Ops {
			if e.Call.Ops[i].Code == nfs4.CBSequence {
				continue
			}
			main = &e.Call.Ops[i]
			if e.Reply != nil && i < len(e.Reply.Ops) {
				mainRes = &e.Reply.Ops[i]
			}
			break
		}
	}
	switch {
	case e.Proc == nfs4.ProcNull:
		b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: "nfsd", What: fmt.Sprintf("nfsd probes %s's callback path (CB_NULL)", cl),
			Why: "nfsd4_probe_callback: the callback path must answer before nfsd grants delegations", From: "nfsd", To: cl})
	case main != nil && main.Code == nfs4.CBRecall:
		cb.Stateid = main.Stateid.Key()
		cb.File = b.file(main.FH, "")
		b.recall(e, main, &cb)
	case main != nil && main.Code == nfs4.CBGetattr:
		cb.File = b.file(main.FH, "")
		if mainRes != nil && mainRes.Status == nfs4.OK && mainRes.Attrs != nil {
			a := mainRes.Attrs
			if a.Has(nfs4.AttrSize) {
				cb.Size = ptr(a.Size)
			}
			if a.Has(nfs4.AttrChange) {
				cb.Change = ptr(a.Change)
			}
			b.observe(Observation{Client: e.Client, File: cb.File, Kind: "cb-getattr", Start: e.CallAt, End: e.ReplyAt,
				OK: true, Size: a.Size, HasSize: a.Has(nfs4.AttrSize), Change: a.Change, HasChg: a.Has(nfs4.AttrChange)})
		}
		asker := b.inFlight(e, cb.File, func(o *seen) bool { return o.client != e.Client && o.getattr })
		why := "nfsd4_deleg_getattr_conflict (6.9+): a GETATTR of size or change by another client is answered from the holder's attributes instead of a recall"
		if asker != nil {
			why = fmt.Sprintf("%s's %s (frame %d) needs the size and change %s may have changed under its write delegation: ", b.clientName(asker.client), asker.name, asker.callFrame, cl) + why
			cb.asker = &origin{at: asker.callAt, client: asker.client}
		}
		b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: "nfsd", What: fmt.Sprintf("nfsd asks %s for its attributes of %s (CB_GETATTR)", cl, b.fileName(cb.File)), Why: why, From: "nfsd", To: cl})
	case main != nil && main.Code == nfs4.CBRecallAny:
		b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: "nfsd", What: fmt.Sprintf("nfsd asks %s to return delegations, keeping %d (CB_RECALL_ANY)", cl, main.Keep),
			Why: "nfsd's delegation shrinker: too many delegations are out (deleg_reaper, RFC 8881 §20.6)", From: "nfsd", To: cl})
	default:
		b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: "nfsd", What: fmt.Sprintf("nfsd sends %s to %s", cb.Op, cl), From: "nfsd", To: cl})
	}
	b.st.Callbacks = append(b.st.Callbacks, cb)
	b.callbackReply(e, &cb)
}

func (b *builder) callbackReply(e *Exchange, cb *Callback) {
	cl := b.clientName(e.Client)
	if !e.Answered() {
		text := fmt.Sprintf("%s to %s (frame %d) is not answered in the capture", cb.Op, cl, e.CallFrame)
		b.st.Faults = append(b.st.Faults, Fault{Client: e.Client, Kind: "cb-unanswered", Frame: e.CallFrame, At: e.CallAt, Text: text})
		b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: "nfsd", What: text,
			Why: "the callback RPC times out after max(lease/10, 1 s) with no retransmit (max_cb_time); nfsd then marks the callback path down or faulty"})
		return
	}
	st := e.Status()
	what := fmt.Sprintf("%s answers %s: %s", cl, cb.Op, cb.Status)
	why := ""
	if cb.Size != nil {
		what += fmt.Sprintf(" (size %d", *cb.Size)
		if cb.Change != nil {
			what += fmt.Sprintf(", change %d", *cb.Change)
		}
		what += ")"
		why = "the holder reports the size and change of its cached file (nfs4_callback_getattr)"
	}
	if cb.Op == "CB_RECALL" && st == nfs4.OK {
		why = "nfs4_callback_recall: the client acknowledges at once and returns the delegation from its state manager"
	}
	if st != nfs4.OK || e.RPCError != "" {
		b.st.Faults = append(b.st.Faults, Fault{Client: e.Client, Kind: "cb-error", Frame: e.ReplyFrame, At: e.ReplyAt, Text: what})
		switch st {
		case nfs4.ErrRetryUncached:
			why = "the client already processed this backchannel slot's sequence id and kept no reply (RFC 8881 §15.1.10.3): nfsd marks the backchannel faulty (nfsd4_cb_sequence_done)"
		case nfs4.ErrDelay:
			why = "the client asks nfsd to retry: nfsd resends the recall after 2 s (nfsd4_cb_recall_done)"
		case nfs4.ErrBadHandle, nfs4.ErrBadStateid:
			why = "the client no longer holds that delegation: nfsd retries once, then gives up (nfsd4_cb_recall_done)"
		}
	}
	b.event(Event{At: e.ReplyAt, Frame: e.ReplyFrame, Actor: cl, What: what, Why: why, From: cl, To: "nfsd", Reply: true})
}

func (b *builder) recall(e *Exchange, op *nfs4.Op, cb *Callback) {
	cl := b.clientName(e.Client)
	di, ok := b.delegs[op.Stateid.Key()]
	if !ok {
		di = b.newDeleg(Delegation{Client: e.Client, File: cb.File, Stateid: op.Stateid.Key(), Type: "UNKNOWN"})
	}
	d := &b.st.Delegations[di]
	d.Recalls++
	d.Truncate = d.Truncate || op.Truncate
	if d.RecallAt != nil {
		b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: "nfsd", What: fmt.Sprintf("nfsd sends CB_RECALL again for %s's %s delegation on %s (attempt %d)", cl, d.Type, b.fileName(d.File), d.Recalls),
			Why: "the first CB_RECALL got no usable answer: nfsd requeues the callback (nfsd4_cb_sequence_done, need_restart) on a new xid", From: "nfsd", To: cl})
		if d.RecallReply == nil && e.Answered() && e.Status() == nfs4.OK {
			d.RecallReply = ptr(e.ReplyAt)
		}
		return
	}
	d.RecallAt, d.RecallFrame = ptr(e.CallAt), e.CallFrame
	if e.Answered() {
		d.RecallReply = ptr(e.ReplyAt)
	}
	cause := b.recallCause(e, d)
	what := fmt.Sprintf("nfsd recalls %s's %s delegation on %s (CB_RECALL", cl, d.Type, b.fileName(d.File))
	if op.Truncate {
		what += ", truncate"
	}
	what += ")"
	var why string
	if o := cause; o != nil {
		d.Cause = fmt.Sprintf("%s by %s (frame %d)", o.name, b.clientName(o.client), o.callFrame)
		why = fmt.Sprintf("%s's %s (frame %d) conflicts with the delegation: nfsd breaks the lease (nfsd_break_deleg_cb queues CB_RECALL)", b.clientName(o.client), o.name, o.callFrame)
		if o.client >= 0 {
			d.cause = &origin{at: o.callAt, client: o.client}
		}
	} else {
		d.Cause = "a server-local access (or a client not in the capture)"
		b.st.LocalBreaks = append(b.st.LocalBreaks, LocalBreak{File: d.File, Delegation: di, After: b.quiet.before, Before: e.CallAt, Frame: e.CallFrame})
		b.watchRestarts(e, op, len(b.st.LocalBreaks)-1)
		why = fmt.Sprintf("no NFS request in the capture conflicts with it: a process on the server (or a client the capture does not see) opened or changed %s, which broke the lease (__break_lease → nfsd_break_deleg_cb) shortly before this", b.fileName(d.File))
	}
	b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: "nfsd", What: what, Why: why, From: "nfsd", To: cl})
}

// recallCause finds the NFS request that broke delegation d: a request
// from another client on the same file (for NFSv4.0, the holder too:
// nfsd cannot tell its own GETATTR or SETATTR apart, nfsd_breaker_owns_lease)
// that conflicts with it and was in flight when the CB_RECALL went out.
// nil if there is none.
func (b *builder) recallCause(e *Exchange, d *Delegation) *seen {
	write := d.Type == "WRITE" || d.Type == "WRITE_ATTRS_DELEG"
	return b.inFlight(e, d.File, func(o *seen) bool {
		if o.client == d.Client && o.minor > 0 {
			return false
		}
		switch o.name {
		case "OPEN":
			if !o.open {
				return false
			}
			if o.client == d.Client && o.claim == nfs4.ClaimDelegCurFH {
				return false
			}
			return write || o.access&nfs4.ShareAccessWrite != 0
		case "SETATTR", "REMOVE", "RENAME", "LINK", "WRITE":
			return true
		}
		return write && o.getattr
	})
}

// inFlight returns the latest exchange matching ok that concerns file f
// and was sent before e and answered after e was sent (or answered with
// NFS4ERR_DELAY shortly before), nil if none.
func (b *builder) inFlight(e *Exchange, f int, ok func(*seen) bool) *seen {
	for i := len(b.win.recs) - 1; i >= 0; i-- {
		o := b.win.recs[i]
		if e.CallAt-o.callAt > conflictWindow {
			break
		}
		if !ok(o) || !b.x.concerns(o.touches, f) {
			continue
		}
		if !o.answered || o.replyAt >= e.CallAt || o.status == nfs4.ErrDelay {
			return o
		}
	}
	return nil
}

// hasGetattr reports whether a compound asks for size or change: only
// those conflict with a write delegation (nfsd4_deleg_getattr_conflict).
func hasGetattr(o *Exchange) bool {
	for _, op := range o.Call.Ops {
		if op.Code == nfs4.OpGetattr && (op.Mask.Has(nfs4.AttrSize) || op.Mask.Has(nfs4.AttrChange)) {
			return true
		}
	}
	return false
}

// finish derives the figures and sorts the timeline, once every
// exchange has been told.
func (b *builder) finish() *Story {
	for _, g := range b.getattrs {
		b.st.Events[g.event].Why = b.getattrWhy(g)
	}
	b.getattrs = nil
	b.replies.finish()
	b.st.Clients, b.st.Warnings = b.c.Clients, b.c.Warnings
	for i := range b.st.Delegations {
		d := &b.st.Delegations[i]
		if d.RecallAt != nil {
			if d.ReturnedAt != nil {
				d.RecallLatency = ptr(*d.ReturnedAt - *d.RecallAt)
			}
			if d.ReturnSent != nil {
				d.Reaction = ptr(*d.ReturnSent - *d.RecallAt)
			}
		}
		if d.ReturnSent != nil && d.ReturnedAt != nil {
			d.ReturnReply = ptr(*d.ReturnedAt - *d.ReturnSent)
		}
		switch {
		case d.Cause != "":
		case d.RevokedAt != nil:
			d.Cause = "revoked"
		case d.ReturnSent != nil:
			d.Cause = "returned by the client without a recall"
		default:
			d.Cause = "still held at the end of the capture"
		}
	}
	b.figures()
	slices.SortStableFunc(b.st.Events, func(x, y Event) int {
		if x.At != y.At {
			if x.At < y.At {
				return -1
			}
			return 1
		}
		return x.Frame - y.Frame
	})
	return b.st
}

// figures derives each client's timing figures: the handshake of its
// first connection, the reply times of its requests that met no
// conflict.
func (b *builder) figures() {
	b.st.replies = &b.replies
	for c := range b.c.Clients {
		cf := ClientFigures{Client: c}
		for _, ci := range b.c.Conns {
			if ci.Client == c && !ci.Callback && ci.SynAck > 0 && ci.Ack > 0 {
				cf.HandshakeRTT = ptr(ci.SynAck + ci.Ack)
				cf.Loopback = ci.Loopback
				break
			}
		}
		if rs := b.replies.of(c); rs.all.n > 0 {
			cs := rs.all.sorted()
			cf.ReplyMin, cf.ReplyMedian, cf.Replies = ptr(rs.all.least), ptr(nth(cs, rs.all.n/2)), rs.all.n
		}
		b.st.Figures.Clients = append(b.st.Figures.Clients, cf)
	}
}

// watchKey names a delegation recalled for a local break: CB_RECALLs of
// it to the same client may restart that recall.
type watchKey struct {
	client int
	other  [12]byte
}

// restartWatch is the first CB_RECALL of a local break, as restarts
// compare later ones with it.
type restartWatch struct {
	lb       int
	answered bool
	replyAt  time.Duration
	seq      nfs4.Sequence
	hasSeq   bool
}

// watchRestarts starts noting the CB_RECALLs that restart e's, the one
// that shows local break lb.
func (b *builder) watchRestarts(e *Exchange, rec *nfs4.Op, lb int) {
	w := restartWatch{lb: lb, answered: e.Answered(), replyAt: e.ReplyAt}
	if _, seq := cbRecallOf(e); seq != nil {
		w.seq, w.hasSeq = *seq, true
	}
	k := watchKey{e.Client, rec.Stateid.Other}
	b.watch[k] = append(b.watch[k], w)
}

// restarts notes callback e with the local breaks whose recall it
// restarts: a CB_RECALL of the same delegation on the same backchannel
// slot with the same sequence id (a restart does not bump it; a resend
// after NFS4ERR_DELAY follows a CB_SEQUENCE that succeeded, which does),
// or sent while the first was still unanswered (nfsd has one recall
// callback per delegation, dl_recall, and a second lease break while it
// runs sends none from 6.15 on; before, the single backchannel slot kept
// a second CB_SEQUENCE from overlapping the first).
func (b *builder) restarts(e *Exchange) {
	rec, seq := cbRecallOf(e)
	if rec == nil {
		return
	}
	for _, w := range b.watch[watchKey{e.Client, rec.Stateid.Other}] {
		sameSlot := w.hasSeq && seq != nil && seq.SessionID == w.seq.SessionID && seq.Slot == w.seq.Slot && seq.SequenceID == w.seq.SequenceID
		if sameSlot || !w.answered || e.CallAt < w.replyAt {
			lb := &b.st.LocalBreaks[w.lb]
			lb.restarts = append(lb.restarts, e.CallAt)
		}
	}
}
