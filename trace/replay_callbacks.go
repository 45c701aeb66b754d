package trace

import (
	"time"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/trace/nfs4"
)

// realCallback keeps what the replay compares of callback exchange e.
func (r *replay) realCallback(e *Exchange) realCB {
	cb := realCB{index: e.Index, client: e.Client, callFrame: e.CallFrame, callAt: e.CallAt, replyAt: e.ReplyAt, answered: e.Answered(),
		status: e.Status(), rpcError: e.RPCError != ""}
	cb.kind, cb.file, cb.ok = r.callbackOf(e)
	if rec, _ := cbRecallOf(e); rec != nil {
		cb.recall = rec.Stateid.Key()
	}
	if e.Reply != nil {
		if op := e.Reply.Find(nfs4.CBGetattr); op != nil && op.Attrs != nil {
			cb.attrs, cb.size, cb.change = true, op.Attrs.Size, op.Attrs.Change
			cb.delegMtime, cb.hasMtime = op.Attrs.DelegMtime, op.Attrs.Has(nfs4.AttrTimeDelegMod)
		}
	}
	return cb
}

// callbackReply delivers a client's real callback answer to the model's
// matching callback.
func (r *replay) callbackReply(e *realCB) {
	if !e.ok {
		return
	}
	k := r.matchCB(e.index, e.kind, model.ActorID(e.client+1), e.file, e.callAt)
	if k < 0 || e.rpcError {
		// A callback the RPC layer rejected got no answer: the model's
		// own times out, as nfsd's does.
		return
	}
	cb := &r.cbs[k]
	m := model.Message{Kind: e.kind, Reply: true, From: cb.msg.To, To: model.ServerID, XID: cb.msg.XID, File: cb.msg.File, Status: modelStatus(e.status)}
	if e.kind == model.MsgCBGetattr {
		m.Size, m.Change, m.Mtime = r.cbAttrs(e, cb.msg)
	}
	r.deliver(m)
}

// cbAttrs translates a CB_GETATTR answer into the model's terms: the
// model compares the holder's size and change with what it knew at the
// grant (nfsd4_deleg_getattr_conflict), so the real answer is compared
// with the real values in the granting OPEN's reply. A holder of
// delegated timestamps also sends the mtime it owns (time_deleg_modify),
// which nfsd sets on the file (cb_getattr_update_times).
func (r *replay) cbAttrs(e *realCB, cb model.Message) (int64, uint64, time.Duration) {
	var grant model.Deleg
	for _, d := range r.srv.Delegations() {
		if d.ID == cb.Stateid {
			grant = d
		}
	}
	if !e.attrs {
		return grant.SizeAtGrant, grant.ChangeAtGrant, 0
	}
	size, change := int64(e.size), grant.ChangeAtGrant
	for _, o := range r.st.Opens {
		if o.Client == e.client && r.files[o.File] == cb.File && o.Deleg != "" && o.Deleg != "NONE" && o.Change != nil && *o.Change != e.change {
			change++ // the holder's change attribute moved since the grant
		}
	}
	var mtime time.Duration
	if e.hasMtime {
		mtime = r.captureTime(e.delegMtime)
	}
	return size, change, mtime
}

// callbackOf says which model callback a real one is: CB_RECALL or
// CB_GETATTR of a file in the model's table, or CB_NULL, nfsd's probe of
// a v4.0 callback path.
func (r *replay) callbackOf(e *Exchange) (model.MsgKind, model.FileID, bool) {
	if e.Proc == nfs4.ProcNull {
		return model.MsgCBNull, 0, true
	}
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

// matchCB pairs real callback exchange i, sent at at, with the earliest
// unmatched model callback of the same kind, to the same client and
// file, sent no later than a second after it.
func (r *replay) matchCB(i int, kind model.MsgKind, to model.ActorID, f model.FileID, at time.Duration) int {
	for k := range r.cbs {
		cb := &r.cbs[k]
		if cb.matched == i {
			return k
		}
		if cb.matched >= 0 || cb.msg.Kind != kind || cb.msg.To != to || cb.msg.File != f || cb.at > at+time.Second {
			continue
		}
		cb.matched = i
		return k
	}
	return -1
}
