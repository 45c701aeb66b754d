package trace

import (
	"fmt"
	"slices"
	"time"

	"github.com/delegsim/delegsim/trace/nfs4"
)

func (b *builder) callback(idx int, e *Exchange) {
	cl := b.clientName(e.Client)
	cb := Callback{Client: e.Client, Op: e.Name(), Frame: e.CallFrame, ReplyFrame: e.ReplyFrame, At: e.CallAt, File: -1}
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
		b.recall(idx, e, main, &cb)
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
			b.st.Observations = append(b.st.Observations, Observation{Client: e.Client, File: cb.File, Kind: "cb-getattr", Start: e.CallAt, End: e.ReplyAt,
				OK: true, Size: a.Size, HasSize: a.Has(nfs4.AttrSize), Change: a.Change, HasChg: a.Has(nfs4.AttrChange)})
		}
		asker := b.inFlight(e, cb.File, func(o *Exchange) bool { return o.Client != e.Client && hasGetattr(o) })
		why := "nfsd4_deleg_getattr_conflict (6.9+): a GETATTR of size or change by another client is answered from the holder's attributes instead of a recall"
		if asker >= 0 {
			why = fmt.Sprintf("%s's %s (frame %d) needs the size and change %s may have changed under its write delegation: ", b.clientName(b.c.Exchanges[asker].Client), b.c.Exchanges[asker].Name(), b.c.Exchanges[asker].CallFrame, cl) + why
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

func (b *builder) recall(idx int, e *Exchange, op *nfs4.Op, cb *Callback) {
	cl := b.clientName(e.Client)
	di, ok := b.delegs[op.Stateid.Key()]
	if !ok {
		di = len(b.st.Delegations)
		b.delegs[op.Stateid.Key()] = di
		b.st.Delegations = append(b.st.Delegations, Delegation{Client: e.Client, File: cb.File, Stateid: op.Stateid.Key(), Type: "UNKNOWN"})
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
	if cause >= 0 {
		o := &b.c.Exchanges[cause]
		d.Cause = fmt.Sprintf("%s by %s (frame %d)", o.Name(), b.clientName(o.Client), o.CallFrame)
		why = fmt.Sprintf("%s's %s (frame %d) conflicts with the delegation: nfsd breaks the lease (nfsd_break_deleg_cb queues CB_RECALL)", b.clientName(o.Client), o.Name(), o.CallFrame)
	} else {
		d.Cause = "a server-local access (or a client not in the capture)"
		b.st.LocalBreaks = append(b.st.LocalBreaks, LocalBreak{File: d.File, Delegation: di, After: b.quietSince(e), Before: e.CallAt, Frame: e.CallFrame})
		why = fmt.Sprintf("no NFS request in the capture conflicts with it: a process on the server (or a client the capture does not see) opened or changed %s, which broke the lease (__break_lease → nfsd_break_deleg_cb) shortly before this", b.fileName(d.File))
	}
	b.event(Event{At: e.CallAt, Frame: e.CallFrame, Actor: "nfsd", What: what, Why: why, From: "nfsd", To: cl})
}

// quietSince returns the time of the last NFS message before exchange e.
func (b *builder) quietSince(e *Exchange) time.Duration {
	var t time.Duration
	for i := 0; i < e.Index; i++ {
		o := &b.c.Exchanges[i]
		for _, at := range []time.Duration{o.CallAt, o.ReplyAt} {
			if at < e.CallAt && at > t && (at != o.ReplyAt || o.Answered()) {
				t = at
			}
		}
	}
	return t
}

// recallCause finds the NFS request that broke delegation d: a request
// from another client on the same file (for NFSv4.0, the holder too:
// nfsd cannot tell its own GETATTR or SETATTR apart, nfsd_breaker_owns_lease)
// that conflicts with it and was in flight when the CB_RECALL went out.
// -1 if there is none.
func (b *builder) recallCause(e *Exchange, d *Delegation) int {
	write := d.Type == "WRITE" || d.Type == "WRITE_ATTRS_DELEG"
	return b.inFlight(e, d.File, func(o *Exchange) bool {
		if o.Client == d.Client && o.Minor > 0 {
			return false
		}
		switch o.Name() {
		case "OPEN":
			op := o.Call.Find(nfs4.OpOpen)
			if op == nil || op.Open == nil {
				return false
			}
			if o.Client == d.Client && op.Open.Claim == nfs4.ClaimDelegCurFH {
				return false
			}
			return write || op.Open.Access()&nfs4.ShareAccessWrite != 0
		case "SETATTR", "REMOVE", "RENAME", "LINK", "WRITE":
			return true
		}
		return write && hasGetattr(o)
	})
}

// inFlight returns the latest exchange matching ok that concerns file f
// and was sent before e and answered after e was sent (or answered with
// NFS4ERR_DELAY shortly before), -1 if none.
func (b *builder) inFlight(e *Exchange, f int, ok func(*Exchange) bool) int {
	const window = 5 * time.Second
	for i := e.Index - 1; i >= 0; i-- {
		o := &b.c.Exchanges[i]
		if e.CallAt-o.CallAt > window {
			break
		}
		if o.Callback || o.Call == nil || !ok(o) || !b.concerns(o, f) {
			continue
		}
		if !o.Answered() || o.ReplyAt >= e.CallAt || o.Status() == nfs4.ErrDelay {
			return i
		}
	}
	return -1
}

// concerns reports whether exchange o is about file f.
func (b *builder) concerns(o *Exchange, f int) bool {
	if f < 0 {
		return false
	}
	before, after, names := walk(o.Call, o.Reply)
	for i := range o.Call.Ops {
		op := &o.Call.Ops[i]
		switch op.Code {
		case nfs4.OpRemove, nfs4.OpRename, nfs4.OpLink:
			if b.names[op.Name] == f && b.st.Files[f].Name == op.Name {
				return true
			}
		case nfs4.OpOpen:
			if fh := after[i]; fh != nil && b.files[nfs4.FHKey(fh)] == f {
				return true
			}
			if names[i] != "" && b.st.Files[f].Name == names[i] {
				return true
			}
			if before[i] != nil && op.Open != nil && op.Open.Claim == nfs4.ClaimFH && b.files[nfs4.FHKey(before[i])] == f {
				return true
			}
		case nfs4.OpPutFH, nfs4.OpGetFH, nfs4.OpSaveFH, nfs4.OpRestoreFH, nfs4.OpSequence, nfs4.OpLookup, nfs4.OpAccess:
		default:
			// Any other operation acts on the current file.
			if fh := before[i]; fh != nil {
				if fi, ok := b.files[nfs4.FHKey(fh)]; ok && fi == f {
					return true
				}
			}
		}
	}
	return false
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

// finish derives the figures and sorts the timeline.
func (b *builder) finish() {
	for _, g := range b.getattrs {
		b.st.Events[g.event].Why = b.getattrWhy(g.ex, g.file, g.attrs)
	}
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
}

func (b *builder) figures() {
	for c := range b.c.Clients {
		cf := ClientFigures{Client: c}
		for _, ci := range b.c.Conns {
			if ci.Client == c && !ci.Callback && ci.SynAck > 0 && ci.Ack > 0 {
				cf.HandshakeRTT = ptr(ci.SynAck + ci.Ack)
				cf.Loopback = ci.Loopback
				break
			}
		}
		var rs []time.Duration
		for i := range b.c.Exchanges {
			e := &b.c.Exchanges[i]
			if e.Client != c || e.Callback || !e.Answered() || e.Status() != nfs4.OK || b.overlapsCallback(i) {
				continue
			}
			rs = append(rs, e.ReplyAt-e.CallAt)
		}
		if len(rs) > 0 {
			slices.Sort(rs)
			cf.ReplyMin, cf.ReplyMedian, cf.Replies = ptr(rs[0]), ptr(rs[len(rs)/2]), len(rs)
		}
		b.st.Figures.Clients = append(b.st.Figures.Clients, cf)
	}
}

// overlapsCallback reports whether a callback was sent while exchange i
// was waiting for its reply: its reply time then includes the callback.
func (b *builder) overlapsCallback(i int) bool {
	e := &b.c.Exchanges[i]
	for _, cb := range b.st.Callbacks {
		if cb.At >= e.CallAt && cb.At <= e.ReplyAt {
			return true
		}
	}
	return false
}
