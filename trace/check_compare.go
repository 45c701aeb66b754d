package trace

import (
	"fmt"
	"slices"
	"strings"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/trace/nfs4"
)

// learn maps the real stateids of an OPEN's answer to the model's, so
// that later CLOSE, WRITE and DELEGRETURN name the model's state.
func (r *replay) learn(m model.Message) {
	if m.Kind != model.MsgOpen || m.Status != model.StatusOK {
		return
	}
	i, ok := r.sent[xidKey{m.To, m.XID}]
	if !ok {
		return
	}
	e := &r.c.Exchanges[i]
	f := r.fileOfExchange(e)
	r.openIDs[[2]int{e.Client, f}] = m.Stateid
	if e.Reply == nil {
		return
	}
	if op := e.Reply.Find(nfs4.OpOpen); op != nil && op.Status == nfs4.OK && op.Deleg.Granted() {
		if m.Deleg != model.DelegNone {
			r.delegIDs[op.Deleg.Stateid.Key()] = m.DelegID
		} else {
			r.notGrant[op.Deleg.Stateid.Key()] = true
		}
	}
}

// realDeleg maps a real delegation type to the model's, and says whether
// it carries delegated timestamps (RFC 9754).
func realDeleg(t uint32) (model.DelegType, bool) {
	switch t {
	case nfs4.DelegRead:
		return model.DelegRead, false
	case nfs4.DelegReadAttrs:
		return model.DelegRead, true
	case nfs4.DelegWrite:
		return model.DelegWrite, false
	case nfs4.DelegWriteAttrs:
		return model.DelegWrite, true
	}
	return model.DelegNone, false
}

func (r *replay) diverge(e *Exchange, real, mod, rule string) {
	r.res.Divergences = append(r.res.Divergences, Divergence{Frame: e.CallFrame, At: e.CallAt, Client: clientName(r.c, e.Client),
		Op: e.Name(), Real: real, Model: mod, Rule: rule})
}

func clientName(c *Capture, i int) string {
	if i >= 0 && i < len(c.Clients) {
		return c.Clients[i].Name
	}
	return "?"
}

// compareReplies compares every answered request with the model's answer.
func (r *replay) compareReplies() {
	keys := make([]xidKey, 0, len(r.sent))
	for k := range r.sent {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b xidKey) int { return r.sent[a] - r.sent[b] })
	for _, k := range keys {
		i := r.sent[k]
		e := &r.c.Exchanges[i]
		if !e.Answered() || e.Reply == nil {
			continue
		}
		r.res.Compared++
		m, ok := r.replies[k]
		real := e.Status()
		if !ok {
			r.diverge(e, "answered "+real.String(), "had not answered by the end of the capture", "a wait the model did not end (waiter on a lease or a CB_GETATTR)")
			continue
		}
		if got := modelStatus(real); got != m.Status && !(got == model.ErrEINVAL && m.Status != model.StatusOK) {
			r.diverge(e, "answered "+real.String(), "answers "+m.Status.String(), statusRule(m))
			continue
		}
		if m.Kind == model.MsgOpen && m.Status == model.StatusOK {
			r.compareOpen(e, m)
		}
	}
}

func statusRule(m model.Message) string {
	switch m.Status {
	case model.NFS4ErrDelay:
		return "conflict with a delegation being recalled (nfsd_open_break_lease / nfsd_wait_for_delegreturn)"
	case model.NFS4ErrBadStateid:
		return "no such open or delegation state"
	}
	if m.Kind == model.MsgOpen || m.Kind == model.MsgGetattr || m.Kind == model.MsgSetattr {
		return "conflict handling (kernelDecision) for this access"
	}
	return ""
}

// compareOpen compares the delegation an OPEN got.
func (r *replay) compareOpen(e *Exchange, m model.Message) {
	op := e.Reply.Find(nfs4.OpOpen)
	if op == nil || op.Deleg == nil {
		return
	}
	want, attrs := realDeleg(op.Deleg.Type)
	noOpen := op.OpenFlags&nfs4.ResultNoOpenStateid != 0
	realText := "granted " + op.Deleg.TypeName()
	if op.Deleg.Type == nfs4.DelegNoneExt {
		realText = "granted no delegation (" + op.Deleg.WhyName() + ")"
	} else if op.Deleg.Type == nfs4.DelegNone {
		realText = "granted no delegation"
	}
	if noOpen {
		realText += " with no open stateid (open-XOR-delegation)"
	}
	modText := "grants " + strings.ToUpper(m.Deleg.String())
	if m.Deleg == model.DelegNone {
		modText = "grants no delegation"
	}
	switch {
	case want != m.Deleg:
		r.diverge(e, realText, modText, "grant rules of the profile (kernelGrant) and server state (refuse)")
	case attrs || noOpen:
		// The model has no delegated timestamps and no open-XOR-
		// delegation yet: it grants the plain type with an open stateid.
		r.diverge(e, realText, modText+" and an open stateid", "the profile has no delegated timestamps (WRITE_ATTRS_DELEG, RFC 9754 §4) or open-XOR-delegation (§7)")
	}
}

// compareCallbacks reports callbacks one side sent and the other did not.
func (r *replay) compareCallbacks() {
	matched := map[int]bool{}
	for _, cb := range r.cbs {
		if cb.matched >= 0 {
			matched[cb.matched] = true
			continue
		}
		r.res.Divergences = append(r.res.Divergences, Divergence{Frame: r.frameAt(cb.at), At: cb.at, Client: clientName(r.c, int(cb.msg.To)-1),
			Op: cb.msg.Kind.String(), Real: "sent no " + cb.msg.Kind.String(), Model: fmt.Sprintf("sends %s at %.3f ms", cb.msg.Kind, ms(cb.at)),
			Rule: cbRule(cb.msg.Kind)})
	}
	for i := range r.c.Exchanges {
		e := &r.c.Exchanges[i]
		if !e.Callback || matched[i] || e.Client < 0 {
			continue
		}
		kind, _, ok := r.callbackOf(e)
		if !ok {
			continue
		}
		d := Divergence{Frame: e.CallFrame, At: e.CallAt, Client: clientName(r.c, e.Client), Op: kind.String(),
			Real: "sent " + kind.String(), Model: "sends none", Rule: cbRule(kind)}
		if kind == model.MsgCBRecall && r.resent(e) {
			d.Model = "had its recall answered already"
			d.Limit = "a resent CB_RECALL: the first attempt went out while the network dropped it, which a capture cannot show, so the model sees the recall only when it got through"
		}
		r.res.Divergences = append(r.res.Divergences, d)
	}
}

// resent reports whether callback e is a second CB_RECALL of the same
// delegation.
func (r *replay) resent(e *Exchange) bool {
	op := e.Call.Find(nfs4.CBRecall)
	for j := 0; j < e.Index; j++ {
		o := &r.c.Exchanges[j]
		if o.Callback && o.Call != nil {
			if p := o.Call.Find(nfs4.CBRecall); p != nil && p.Stateid.Other == op.Stateid.Other {
				return true
			}
		}
	}
	return false
}

func cbRule(k model.MsgKind) string {
	if k == model.MsgCBGetattr {
		return "CB_GETATTR for another client's GETATTR (nfsd4_deleg_getattr_conflict, profile CBGetattr)"
	}
	return "lease break → CB_RECALL (nfsd_break_deleg_cb; leaseConflict)"
}

// frameAt returns the frame of the first exchange at or after t.
func (r *replay) frameAt(t interface{ Nanoseconds() int64 }) int {
	for i := range r.c.Exchanges {
		if r.c.Exchanges[i].CallAt.Nanoseconds() >= t.Nanoseconds() {
			return r.c.Exchanges[i].CallFrame
		}
	}
	return 0
}
