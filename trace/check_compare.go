package trace

import (
	"fmt"
	"strings"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/trace/nfs4"
)

// learn maps the real stateids of an OPEN's answer to the model's, so
// that later CLOSE, WRITE and DELEGRETURN name the model's state.
func (r *replay) learn(e *sentReq, m model.Message) {
	if m.Kind != model.MsgOpen || m.Status != model.StatusOK {
		return
	}
	r.openIDs[[2]int{e.client, e.file}] = m.Stateid
	if e.grant == "" {
		return
	}
	if m.Deleg != model.DelegNone {
		r.delegIDs[e.grant] = m.DelegID
	} else {
		r.notGrant[e.grant] = true
	}
}

// realDeleg maps a real delegation type to the model's.
func realDeleg(t uint32) model.DelegType {
	switch t {
	case nfs4.DelegRead:
		return model.DelegRead
	case nfs4.DelegReadAttrs:
		return model.DelegReadAttrs
	case nfs4.DelegWrite:
		return model.DelegWrite
	case nfs4.DelegWriteAttrs:
		return model.DelegWriteAttrs
	}
	return model.DelegNone
}

// delegName names a model delegation type as the OPEN reply does.
func delegName(d model.DelegType) string {
	switch d {
	case model.DelegRead:
		return "READ"
	case model.DelegWrite:
		return "WRITE"
	case model.DelegReadAttrs:
		return "READ_ATTRS_DELEG"
	case model.DelegWriteAttrs:
		return "WRITE_ATTRS_DELEG"
	}
	return "no delegation"
}

func (r *replay) diverge(e *sentReq, real, mod, rule string) {
	r.replyDivs = append(r.replyDivs, indexedDivergence{e.index, Divergence{Frame: e.frame, At: e.at, Client: clientName(r.c, e.client),
		Op: e.name, Real: real, Model: mod, Rule: rule}})
}

func clientName(c *Capture, i int) string {
	if i >= 0 && i < len(c.Clients) {
		return c.Clients[i].Name
	}
	return "?"
}

// compareReply compares a request's real answer with the model's m: its
// status, an OPEN's delegation, and the SEQUENCE status flags. A
// compound sent only for its SEQUENCE's lease renewal is compared on
// those flags alone. Requests the capture shows unanswered are not
// compared.
func (r *replay) compareReply(e *sentReq, m model.Message) {
	if !e.replied {
		return
	}
	r.res.Compared++
	if e.renewal {
		r.compareSeq(e, m)
		return
	}
	real := e.status
	if got := modelStatus(real); got != m.Status && !(got == model.ErrEINVAL && m.Status != model.StatusOK) {
		r.diverge(e, "answered "+real.String(), "answers "+m.Status.String(), statusRule(m))
		return
	}
	if m.Kind == model.MsgOpen && m.Status == model.StatusOK {
		r.compareOpen(e, m, e.refused)
	}
	r.compareSeq(e, m)
}

// unanswered reports the answered requests the model never answered.
func (r *replay) unanswered() {
	for _, e := range r.sent {
		if !e.replied {
			continue
		}
		r.res.Compared++
		r.diverge(e, "answered "+e.status.String(), "had not answered by the end of the capture", "a wait the model did not end (waiter on a lease or a CB_GETATTR)")
	}
	clear(r.sent)
}

func statusRule(m model.Message) string {
	switch m.Status {
	case model.NFS4ErrDelay:
		return "conflict with a delegation being recalled (nfsd_open_break_lease / nfsd_wait_for_delegreturn)"
	case model.NFS4ErrBadStateid:
		return "no such open or delegation state"
	case model.NFS4ErrCBPathDown:
		return "RENEW while the v4.0 callback path is down and the client holds delegations (nfsd4_renew)"
	}
	if m.Kind == model.MsgRenew {
		return "RENEW answers NFS4ERR_CB_PATH_DOWN only while the callback path is down and the client holds delegations (nfsd4_renew)"
	}
	if m.Kind == model.MsgOpen || m.Kind == model.MsgGetattr || m.Kind == model.MsgSetattr {
		return "conflict handling (kernelDecision) for this access"
	}
	return ""
}

// compareOpen compares what an OPEN got: the delegation type (READ,
// WRITE, or a *_ATTRS_DELEG type with delegated timestamps, RFC 9754 §4)
// and whether the reply carried an open stateid (open-XOR-delegation,
// OPEN4_RESULT_NO_OPEN_STATEID, RFC 9754 §5). refused is the model's
// reason for granting none.
func (r *replay) compareOpen(e *sentReq, m model.Message, refused string) {
	if !e.openFound {
		return
	}
	d := &e.deleg
	want := realDeleg(d.Type)
	noOpen := e.openFlags&nfs4.ResultNoOpenStateid != 0
	modNoOpen := m.Flags&model.FlagNoOpenStateid != 0
	var rules []string
	if want.Lease() != m.Deleg.Lease() {
		rule := "grant rules of the profile (kernelGrant) and server state (refuse)"
		if refused != "" {
			rule = "the model refused: " + refused
		}
		rules = append(rules, rule)
	} else if want.Times() != m.Deleg.Times() {
		rules = append(rules, "delegated timestamps: *_ATTRS_DELEG for a 4.2 OPEN with WANT_DELEG_TIMESTAMPS where the profile has them (DelegTimestamps; nfsd4_want_deleg_timestamps)")
	}
	if noOpen != modNoOpen {
		rules = append(rules, "open-XOR-delegation: no open stateid for an OPEN with WANT_OPEN_XOR_DELEGATION that gets a delegation, where the profile has it (OpenXorDeleg; OPEN4_RESULT_NO_OPEN_STATEID)")
	}
	if len(rules) == 0 {
		return
	}
	realText := "granted " + d.TypeName()
	switch d.Type {
	case nfs4.DelegNoneExt:
		realText = "granted no delegation (" + d.WhyName() + ")"
	case nfs4.DelegNone:
		realText = "granted no delegation"
	}
	modText := "grants " + delegName(m.Deleg)
	if d.Granted() {
		realText += openStateidText(noOpen)
	}
	if m.Deleg.Held() {
		modText += openStateidText(modNoOpen)
	}
	r.diverge(e, realText, modText, strings.Join(rules, "; "))
}

func openStateidText(none bool) string {
	if none {
		return " with no open stateid (open-XOR-delegation)"
	}
	return " and an open stateid"
}

// seqSignals are the SEQUENCE status flags by which nfsd tells a v4.1+
// client how its callback path is (nfsd4_sequence, from cl_cb_state).
var seqSignals = []struct {
	real  uint32
	model model.SeqFlags
	name  string
}{
	{nfs4.SeqCBPathDown, model.SeqCBPathDown, "CB_PATH_DOWN"},
	{nfs4.SeqBackchannelFault, model.SeqBackchannelFault, "BACKCHANNEL_FAULT"},
}

// compareSeq compares the callback-path flags of a SEQUENCE reply. The
// revocation flag is not compared: nfsd keeps RECALLABLE_STATE_REVOKED
// on every reply until the client frees the stateid (cl_revoked), the
// model sets it on the first reply only.
func (r *replay) compareSeq(e *sentReq, m model.Message) {
	if !e.seqOK {
		return
	}
	var realSet, modelSet []string
	for _, s := range seqSignals {
		rs, ms := e.seqFlags&s.real != 0, m.Seq&s.model != 0
		if rs == ms {
			continue
		}
		if rs {
			realSet = append(realSet, s.name)
		} else {
			modelSet = append(modelSet, s.name)
		}
	}
	if len(realSet) == 0 && len(modelSet) == 0 {
		return
	}
	r.diverge(e, "flagged SEQUENCE "+flagsText(realSet), "flags "+flagsText(modelSet),
		"callback path state (nfsd4_sequence: CB_PATH_DOWN while it is down, BACKCHANNEL_FAULT after a callback failed or timed out, until a new session or BIND_CONN_TO_SESSION)")
}

func flagsText(fs []string) string {
	if len(fs) == 0 {
		return "nothing"
	}
	return strings.Join(fs, "|")
}

// compareCallbacks reports callbacks one side sent and the other did not.
func (r *replay) compareCallbacks() {
	// Answers paired the callbacks as they came; one the capture shows
	// unanswered is paired now, so that a callback both servers sent is
	// no divergence because its client did not answer.
	for _, e := range r.real {
		if !e.answered && e.ok {
			r.matchCB(e.index, e.kind, model.ActorID(e.client+1), e.file, e.callAt)
		}
	}
	matched := map[int]bool{}
	for _, cb := range r.cbs {
		if cb.matched >= 0 {
			matched[cb.matched] = true
			continue
		}
		r.res.Divergences = append(r.res.Divergences, Divergence{Frame: cb.frame, At: cb.at, Client: clientName(r.c, int(cb.msg.To)-1),
			Op: cb.msg.Kind.String(), Real: "sent no " + cb.msg.Kind.String(), Model: fmt.Sprintf("sends %s at %.3f ms", cb.msg.Kind, ms(cb.at)),
			Rule: cbRule(cb.msg.Kind)})
	}
	for _, e := range r.real {
		if matched[e.index] {
			continue
		}
		if !e.ok {
			if e.recall != "" && r.directoryDeleg(e.recall) {
				r.res.Skipped = append(r.res.Skipped, fmt.Sprintf("frame %d: %s", e.callFrame, "CB_RECALL of a directory delegation: the model has no directory delegations"))
			}
			continue
		}
		r.res.Divergences = append(r.res.Divergences, Divergence{Frame: e.callFrame, At: e.callAt, Client: clientName(r.c, e.client), Op: e.kind.String(),
			Real: "sent " + e.kind.String(), Model: "sends none", Rule: cbRule(e.kind)})
	}
}

func cbRule(k model.MsgKind) string {
	switch k {
	case model.MsgCBGetattr:
		return "CB_GETATTR for another client's GETATTR (nfsd4_deleg_getattr_conflict, profile CBGetattr)"
	case model.MsgCBNull:
		return "CB_NULL probes a v4.0 callback path after SETCLIENTID_CONFIRM (nfsd4_probe_callback)"
	}
	return "lease break → CB_RECALL (nfsd_break_deleg_cb; leaseConflict), resent after a callback timeout on v4.1+ (nfsd4_cb_sequence_done)"
}
