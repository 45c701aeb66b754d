package explain

import (
	"fmt"
	"strings"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/sim"
)

// Reasons cited by the narration, one per rule. Kernel functions refer to
// the Linux tree (fs/locks.c, fs/nfsd, fs/nfs); see facts.md.
const (
	whyGrantWrite    = "nfsd4_open → nfs4_open_delegation: an O_RDWR open (SHARE_ACCESS_BOTH) by a v4.1+ client gets a write delegation, a FL_DELEG lease on the inode (RFC 8881 §10.4, §18.16)"
	whyGrantRead     = "nfsd4_open → nfs4_open_delegation: a read-only open gets a read delegation (RFC 8881 §10.4, §18.16)"
	whyNoWriteV40    = "nfs4_open_delegation: never a write delegation to NFSv4.0, whose server cannot tell the holder's own GETATTR apart (RFC 7530 §16.7.5)"
	whyNoWronly      = "nfs4_open_delegation: before 6.17 an O_WRONLY open gets no write delegation"
	whyLocalEAGAIN   = "__break_lease queues CB_RECALL via nfsd_break_deleg_cb and, for O_NONBLOCK, returns EWOULDBLOCK at once"
	whyLocalAgain    = "__break_lease skips a lease that is already breaking (no second CB_RECALL) and, for O_NONBLOCK, returns EWOULDBLOCK"
	whyLocalBlock    = "__break_lease: a blocking opener sleeps until the lease is gone; nfsd's leases have break time 0, so only the reader downgrade after lease-break-time bounds the wait"
	whyLocalMeta     = "try_break_deleg then break_deleg_wait: unlink/rename/chmod wait for DELEGRETURN or revocation, without bound"
	whyLocalStat     = "vfs_getattr takes no lease: stat never breaks a delegation"
	whyNoConflict    = "leases_conflict: no lease on the file conflicts with this access"
	whyRemoteOpen    = "nfsd_open_break_lease breaks the lease without waiting; nfsd_break_deleg_cb queues CB_RECALL and the OPEN gets NFS4ERR_DELAY (RFC 8881 §15.1.1.3)"
	whyRemoteWait    = "nfsd breaks the lease and waits up to NFSD_DELEGRETURN_TIMEOUT (≈30 ms) in nfsd_wait_for_delegreturn, else NFS4ERR_DELAY"
	whyGetattrCB     = "nfsd4_deleg_getattr_conflict (6.9+): ask the holder with CB_GETATTR instead of recalling (RFC 8881 §10.4.3, §20.1)"
	whyGetattrOld    = "nfsd4_deleg_getattr_conflict (before 6.9): recall, then wait ≤30 ms in nfsd_wait_for_delegreturn (RFC 8881 §10.4)"
	whyOwnGetattr    = "nfsd_breaker_owns_lease: SEQUENCE identifies the holder, so its own GETATTR does not conflict (RFC 8881 §18.7)"
	whyCBAnswer      = "nfsd4_deleg_getattr_conflict compares the holder's change and size with those at grant; if modified, nfsd bumps mtime/ctime and reports the holder's size (RFC 8881 §10.4.3)"
	whyDelegReturn   = "nfsd4_delegreturn → destroy_delegation removes the FL_DELEG lease (RFC 8881 §18.6)"
	whyWake          = "__break_lease re-checks and finds no conflicting lease: the waiter proceeds"
	whyRecallDone    = "nfsd4_cb_recall_done: CB_RECALL acknowledged; nfsd now waits for DELEGRETURN (RFC 8881 §20.2)"
	whyRecallDelay   = "nfsd4_cb_recall_done: NFS4ERR_DELAY → CB_RECALL resent after 2 s"
	whyRecallBad     = "nfsd4_cb_recall_done: BAD_STATEID → retried once (dl_retries)"
	whyCBTimeout     = "max_cb_time = max(lease/10, 1 s): the callback RPC is not retransmitted; the path is marked faulty and a v4.1+ recall is requeued (nfsd4_cb_sequence_done)"
	whyRevoke        = "nfs4_laundromat → revoke_delegation: a recalled delegation still out one lease after the recall is revoked"
	whyDowngrade     = "time_out_leases: after fs.lease-break-time the VFS downgrades nfsd's write lease to a read lease for a reader; nfsd still lists the write delegation"
	whyNfsdTimeout   = "nfsd_wait_for_delegreturn gave up after NFSD_DELEGRETURN_TIMEOUT (≈30 ms): NFS4ERR_DELAY (RFC 8881 §15.1.1.3)"
	whyCBFallback    = "nfsd4_deleg_getattr_conflict: no CB_GETATTR answer in time, fall back to a recall"
	whyClose         = "nfsd4_close releases the open state; a delegation lives on after the open that got it (RFC 8881 §18.2, §10.4)"
	whyWrite         = "nfsd4_write stores the data and bumps the change attribute (RFC 8881 §18.32)"
	whyRenew         = "every request (SEQUENCE in v4.1+, RENEW in v4.0) renews the client's lease (RFC 8881 §18.46)"
	whyRevokedFlag   = "SEQ4_STATUS_RECALLABLE_STATE_REVOKED in the SEQUENCE reply tells the client (RFC 8881 §18.46.3)"
	whySeqFault      = "nfsd4_sequence sets SEQ4_STATUS_BACKCHANNEL_FAULT (or CB_PATH_DOWN) from cl_cb_state on every reply (RFC 8881 §18.46.3)"
	whyPathDown      = "nfsd4_renew: a v4.0 client holding delegations whose callback path is not up gets NFS4ERR_CB_PATH_DOWN (RFC 7530 §16.29)"
	whyReprobe       = "nfsd4_probe_callback: v4.0 gets a CB_NULL on the new callback address; v4.1+ sets up the new backchannel, marks it up and restarts the callbacks in flight"
	whyWriteNoCMtime = "a WRITE_ATTRS_DELEG delegation is out: nfsd's file has FMODE_NOCMTIME, so file_modified updates neither mtime, ctime nor the change attribute (RFC 9754 §4)"
	whyDelegTimes    = "nfsd4_setattr with a delegated mtime (vet_deleg_attrs) sets mtime and ctime, then DELEGRETURN removes the lease (RFC 9754 §4)"
)

func (s *stepCtx) server() {
	s.leaseArrows()
	in := s.rec.Input
	switch in.Kind {
	case model.InDeliver:
		m := in.Msg
		switch {
		case m.Kind.Channel() == model.ChanLocal:
			s.syscall(m)
		case m.Reply:
			s.callbackReply(m)
		default:
			s.rpc(m)
		}
	case model.InTimer:
		s.serverTimer(in.Timer)
	}
	s.wakes()
}

// wakes narrates waiters answered by this step other than the requester:
// lease removals and downgrades let blocked accesses proceed.
func (s *stepCtx) wakes() {
	var req model.Message
	switch in := s.rec.Input; {
	case in.Kind == model.InDeliver:
		req = in.Msg
	case in.Kind == model.InTimer && (in.Timer.Kind == model.TimerNfsdWait || in.Timer.Kind == model.TimerLocalWait):
		return // serverTimer narrated the replies
	}
	for _, mr := range s.msgs {
		r := mr.Msg
		if !r.Reply || r.From != model.ServerID || (r.To == req.From && r.XID == req.XID && !req.Reply) {
			continue
		}
		if r.Kind.Channel() == model.ChanCallback {
			continue
		}
		who := s.n.name(r.To)
		why := whyWake
		switch {
		case req.Kind == model.MsgCBGetattr:
			why = "" // the CB_GETATTR answer's reason covers it
		case r.Kind.Channel() != model.ChanLocal:
			why = "nfsd_wait_for_delegreturn: the delegation is gone, the waiting nfsd thread goes on"
		}
		switch {
		case r.Status == model.StatusOK:
			s.say(fmt.Sprintf("%s's waiting %s proceeds", who, r.Kind), why)
		case r.Status == model.ErrEAGAIN:
			s.say(fmt.Sprintf("%s's %s fails with EAGAIN", who, r.Kind), "")
		default:
			s.say(fmt.Sprintf("%s's %s gets %s", who, r.Kind, r.Status), "")
		}
	}
}

func (s *stepCtx) rpc(m model.Message) {
	from, f := s.n.name(m.From), s.n.file(m.File)
	r, replied := s.replyTo(m)
	label := requestLabel(m, f)
	if replied && r.Seq&model.SeqStateRevoked != 0 {
		s.say(fmt.Sprintf("the reply tells %s that a delegation of its was revoked", from), whyRevokedFlag)
	}
	if replied && r.Seq&model.SeqBackchannelFault != 0 {
		s.say(fmt.Sprintf("the reply tells %s its backchannel is faulty", from), whySeqFault)
	} else if replied && r.Seq&model.SeqCBPathDown != 0 {
		s.say(fmt.Sprintf("the reply tells %s its callback path is down", from), whySeqFault)
	}
	switch m.Kind {
	case model.MsgOpen:
		s.open(m, r, replied)
		return
	case model.MsgGetattr, model.MsgSetattr, model.MsgRemove, model.MsgRename, model.MsgLink:
		if s.remoteConflict(m, r, replied) {
			return
		}
		if m.Kind == model.MsgLink && replied {
			s.say(fmt.Sprintf("%s from %s → %s: the file has another name", label, from, r.Status), "nfsd_link → vfs_link (RFC 8881 §18.9)")
			return
		}
		if m.Kind == model.MsgGetattr && r.Status == model.StatusOK {
			why := whyNoConflict
			if s.holds(from, f) {
				why = whyOwnGetattr
			}
			s.say(fmt.Sprintf("%s from %s answered: size=%d change=%d", label, from, r.Size, r.Change), why)
			return
		}
	case model.MsgClose:
		if r.Status == model.StatusOK && s.holds(from, f) {
			s.say(fmt.Sprintf("CLOSE(%s) from %s: open state released; %s keeps its delegation", f, from, from), whyClose)
			return
		}
		if r.Status == model.StatusOK {
			s.say(fmt.Sprintf("CLOSE(%s) from %s: open state released", f, from), "nfsd4_close (RFC 8881 §18.2)")
			return
		}
		s.say(fmt.Sprintf("CLOSE(%s) from %s → %s", f, from, r.Status), "nfsd4_close (RFC 8881 §18.2)")
		return
	case model.MsgWrite:
		if r.Status == model.StatusOK && s.timesDelegated(f) {
			s.say(fmt.Sprintf("%s from %s stored: size %d; mtime and change stay as they were (%d): the holder owns the times", label, from, r.Size, r.Change), whyWriteNoCMtime)
			return
		}
		if r.Status == model.StatusOK {
			s.say(fmt.Sprintf("%s from %s stored: size %d, change %d", label, from, r.Size, r.Change), whyWrite)
			return
		}
		s.say(fmt.Sprintf("%s from %s refused: %s (its open state is gone)", label, from, r.Status), "")
		return
	case model.MsgDelegReturn:
		if s.has(model.EvReturn) && m.Flags&model.FlagSetattrTimes != 0 {
			s.say(fmt.Sprintf("SETATTR and DELEGRETURN from %s: mtime %s is now %s's; delegation %d and its lease removed", from, fmtMs(r.Mtime), f, m.Stateid), whyDelegTimes)
			return
		}
		if s.has(model.EvReturn) {
			s.say(fmt.Sprintf("DELEGRETURN from %s: delegation %d and its lease removed", from, m.Stateid), whyDelegReturn)
			return
		}
		s.say(fmt.Sprintf("DELEGRETURN from %s → %s: the delegation is already gone", from, r.Status), "nfsd4_delegreturn: the stateid names no delegation (revoked, or the client's state expired)")
		return
	case model.MsgRenew:
		if r.Status == model.NFS4ErrCBPathDown {
			s.say("RENEW from "+from+" → NFS4ERR_CB_PATH_DOWN: its callback path is down", whyPathDown)
			return
		}
		s.say("lease renewal from "+from, whyRenew)
		return
	case model.MsgSetclientid, model.MsgCreateSession, model.MsgBindConn:
		s.has(model.EvCBPathUp)
		what := fmt.Sprintf("%s from %s: nfsd sets up the callback path again", m.Kind, from)
		if len(s.sent(model.MsgCBNull, false)) > 0 {
			what += " and probes it with CB_NULL"
		} else {
			what += ", marks it up"
			if len(s.sent(model.MsgCBRecall, false)) > 0 {
				what += " and restarts CB_RECALL on it"
			}
		}
		s.say(what, whyReprobe)
		return
	case model.MsgCommit:
		s.say(fmt.Sprintf("COMMIT(%s) from %s: data stable", f, from), "nfsd4_commit (RFC 8881 §18.3)")
		return
	case model.MsgRead:
		if r.Status != model.StatusOK {
			s.say(fmt.Sprintf("READ(%s) from %s → %s: its stateid allows no READ", f, from, r.Status), "nfsd4_read: nfs4_preprocess_stateid_op (RFC 8881 §18.22)")
			return
		}
		s.say(fmt.Sprintf("READ(%s) from %s: size %d, %s", f, from, r.Size, DataName(r.Data)), "nfsd4_read (RFC 8881 §18.22)")
		return
	case model.MsgTestStateid:
		s.say(fmt.Sprintf("TEST_STATEID(%d) from %s → %s", m.Stateid, from, r.Status), "nfsd4_test_stateid (RFC 8881 §18.48)")
		return
	case model.MsgFreeStateid:
		s.say(fmt.Sprintf("FREE_STATEID(%d) from %s → %s: the revoked delegation is released", m.Stateid, from, r.Status), "nfsd4_free_stateid (RFC 8881 §18.38)")
		return
	case model.MsgGetDirDeleg:
		if r.Deleg.Held() {
			s.say(fmt.Sprintf("GET_DIR_DELEGATION(%s) from %s: a read delegation on the directory", f, from), "nfsd_get_dir_deleg (RFC 8881 §18.39)")
			return
		}
		s.say(fmt.Sprintf("GET_DIR_DELEGATION(%s) from %s: GDD4_UNAVAIL", f, from), "nfsd4_get_dir_delegation (RFC 8881 §18.39)")
		return
	case model.MsgOpenConfirm:
		s.say("OPEN_CONFIRM from "+from+": open-owner confirmed", "RFC 7530 §16.18")
		return
	}
	if replied {
		s.say(fmt.Sprintf("%s from %s → %s", label, from, r.Status), "")
	} else {
		s.say(fmt.Sprintf("%s from %s: nfsd waits", label, from), "")
	}
}

func (s *stepCtx) open(m model.Message, r model.Message, replied bool) {
	from, f := s.n.name(m.From), s.n.file(m.File)
	label := requestLabel(m, f)
	if !replied {
		s.say(label+" from "+from+": nfsd waits", "")
		return
	}
	switch {
	case r.Status == model.NFS4ErrDelay:
		d, ok := s.holder(f, from)
		if s.has(model.EvRecall) {
			s.has(model.EvNfsdDelay)
			s.say(fmt.Sprintf("%s from %s conflicts with %s's %s delegation: CB_RECALL queued, NFS4ERR_DELAY returned",
				label, from, d.Holder, d.Type), whyRemoteOpen)
			return
		}
		s.has(model.EvNfsdDelay)
		if ok {
			s.say(fmt.Sprintf("%s from %s: %s's delegation is already being recalled, NFS4ERR_DELAY again", label, from, d.Holder), whyRemoteOpen)
			return
		}
		s.say(label+" from "+from+": NFS4ERR_DELAY", whyRemoteOpen)
	case r.Status != model.StatusOK:
		s.say(fmt.Sprintf("%s from %s fails: %s", label, from, r.Status), "RFC 8881 §18.16")
	case r.Deleg != model.DelegNone:
		s.has(model.EvGrant)
		why := whyGrantRead
		if r.Deleg.Writes() {
			why = whyGrantWrite
			if m.Access == model.AccessWrite {
				why = "nfs4_open_delegation (6.17+): an O_WRONLY open by a v4.1+ client gets a write delegation (RFC 8881 §10.4, §18.16)"
			}
		}
		s.say(fmt.Sprintf("%s from %s granted with a %s delegation (stateid %d)", label, from, r.Deleg, r.DelegID), why)
	default:
		what := fmt.Sprintf("%s from %s granted, no delegation", label, from)
		if e, ok := s.event(model.EvDelegRefused); ok {
			s.say(what+": "+e.Why, "nfs4_open_delegation")
			return
		}
		switch {
		case m.Stateid != 0:
			s.say(fmt.Sprintf("%s from %s: the open is reclaimed under the delegation before it goes", label, from),
				"nfs_end_delegation_return reclaims opens made under the delegation (CLAIM_DELEG_CUR_FH, RFC 8881 §18.16)")
		case m.Access&model.AccessWrite != 0 && s.n.minor[m.From] == 0:
			s.say(what, whyNoWriteV40)
		case m.Access == model.AccessWrite && !s.n.r.Profile.WriteDelegWronly:
			s.say(what, whyNoWronly)
		default:
			s.say(what, fmt.Sprintf("policy %s offers no delegation here (Policy.Grant)", s.n.r.Policy.Name()))
		}
	}
}

// remoteConflict narrates a GETATTR, SETATTR, REMOVE or RENAME that ran
// into another client's delegation. It reports false if there was none.
func (s *stepCtx) remoteConflict(m model.Message, r model.Message, replied bool) bool {
	from, f := s.n.name(m.From), s.n.file(m.File)
	label := requestLabel(m, f)
	d, ok := s.holder(f, from)
	if !ok || (replied && r.Status == model.StatusOK && !s.has(model.EvRecall)) {
		return false
	}
	head := fmt.Sprintf("%s from %s conflicts with %s's %s delegation", label, from, d.Holder, d.Type)
	switch {
	case len(s.sent(model.MsgCBGetattr, false)) > 0:
		s.say(head+": nfsd asks the holder with CB_GETATTR and waits", whyGetattrCB)
	case s.has(model.EvRecall) && !replied:
		why := whyRemoteWait
		if m.Kind == model.MsgGetattr {
			why = whyGetattrOld
		}
		s.say(head+": CB_RECALL queued, nfsd waits up to 30 ms for DELEGRETURN", why)
	case !replied:
		s.say(head+": nfsd waits", whyRemoteWait)
	case r.Status == model.NFS4ErrDelay:
		s.has(model.EvNfsdDelay)
		s.say(head+": NFS4ERR_DELAY", whyRemoteWait)
	default:
		s.say(fmt.Sprintf("%s → %s", head, r.Status), whyRemoteWait)
	}
	return true
}

func (s *stepCtx) syscall(m model.Message) {
	from, f := s.n.name(m.From), s.n.file(m.File)
	label := requestLabel(m, f)
	r, replied := s.replyTo(m)
	d, conflict := s.holder(f, from)
	switch {
	case replied && r.Status == model.ErrENOENT:
		s.say(label+" from "+from+": ENOENT", "")
	case m.Kind == model.MsgSysStat:
		s.say(fmt.Sprintf("stat(%s) from %s answered: size=%d change=%d", f, from, r.Size, r.Change), whyLocalStat)
	case s.has(model.EvRecall) && s.has(model.EvLocalEAGAIN):
		s.say(fmt.Sprintf("%s from %s hits %s's %s lease: CB_RECALL queued, EAGAIN returned", label, from, d.Holder, d.Type), whyLocalEAGAIN)
	case s.has(model.EvLocalEAGAIN):
		what := fmt.Sprintf("%s from %s: %s's lease is already being recalled, EAGAIN again", label, from, d.Holder)
		if !conflict || !s.recalling(f) {
			what = fmt.Sprintf("%s from %s refused: EAGAIN", label, from)
		}
		s.say(what, whyLocalAgain)
	case s.has(model.EvLocalWait) || (!replied && !s.cbSent()):
		recalled := s.has(model.EvRecall)
		what := fmt.Sprintf("%s from %s hits %s's %s lease", label, from, d.Holder, d.Type)
		if recalled {
			what += ": CB_RECALL queued"
		}
		bound := s.waitBound(from)
		if bound == "" {
			what += ", the call sleeps until the lease goes"
		} else {
			what += ", the call waits at most " + bound
		}
		why := whyLocalBlock
		switch {
		case m.Kind != model.MsgSysOpen:
			why = whyLocalMeta
		case m.NonBlk:
			why = fmt.Sprintf("policy %s: an O_NONBLOCK open waits a bounded time for DELEGRETURN before EWOULDBLOCK", s.n.r.Policy.Name())
		}
		s.say(what, why)
	case s.cbSent():
		s.say(fmt.Sprintf("%s from %s meets %s's %s delegation: policy %s asks the holder with CB_GETATTR first",
			label, from, d.Holder, d.Type, s.n.r.Policy.Name()),
			"CB_GETATTR (RFC 8881 §20.1): if the holder has modified nothing the open proceeds without a recall")
	case conflict && d.Type == "write" && d.Lease == "read" && r.Status == model.StatusOK && m.Access == model.AccessRead:
		s.say(fmt.Sprintf("%s from %s succeeds: %s's write delegation now stands on a read lease, which a reader does not break (size %d, %s)",
			label, from, d.Holder, r.Size, DataName(r.Data)),
			"time_out_leases downgraded the lease earlier; leases_conflict: a read lease does not conflict with a reader, though nfsd still lists a write delegation")
	case conflict && d.Type == "write" && r.Status == model.StatusOK:
		s.say(fmt.Sprintf("%s from %s let through despite %s's write delegation: no recall; it sees the server's copy (size %d, %s)",
			label, from, d.Holder, r.Size, DataName(r.Data)),
			fmt.Sprintf("policy %s: leases_conflict would conflict; the access is exempted, so unflushed client data is invisible", s.n.r.Policy.Name()))
	case r.Status == model.StatusOK:
		what := fmt.Sprintf("%s from %s succeeds", label, from)
		if m.Kind == model.MsgSysOpen {
			what += fmt.Sprintf(": size %d, %s", r.Size, DataName(r.Data))
		}
		why := whyNoConflict
		if conflict {
			why = "leases_conflict: a read lease does not conflict with a reader"
		}
		s.say(what, why)
	default:
		s.say(fmt.Sprintf("%s from %s → %s", label, from, r.Status), "")
	}
}

// callback returns the callback the server sent with this xid.
func (s *stepCtx) callback(xid uint32) (sim.MessageRecord, bool) {
	for _, mr := range s.n.res.Messages {
		if m := mr.Msg; m.From == model.ServerID && !m.Reply && m.Kind.Channel() == model.ChanCallback && m.XID == xid {
			return mr, true
		}
	}
	return sim.MessageRecord{}, false
}

// timedOut reports whether the server's callback with this xid timed out
// before this step: its cb-timeout timer fired.
func (s *stepCtx) timedOut(xid uint32) bool {
	for _, rec := range s.n.res.StepRecords[:s.k] {
		if in := rec.Input; rec.Actor == model.ServerID && in.Kind == model.InTimer &&
			in.Timer.Kind == model.TimerCBTimeout && in.Timer.Arg == xid {
			return true
		}
	}
	return false
}

// timesDelegated reports whether a write-attrs delegation on f is out
// before this step.
func (s *stepCtx) timesDelegated(f string) bool {
	for _, d := range s.before.Delegations {
		if d.File == f && d.Type == model.DelegWriteAttrs.String() {
			return true
		}
	}
	return false
}

func (s *stepCtx) cbSent() bool { return len(s.sent(model.MsgCBGetattr, false)) > 0 }

func (s *stepCtx) recalling(f string) bool {
	for _, d := range s.before.Delegations {
		if d.File == f && d.State != "granted" {
			return true
		}
	}
	return false
}

// waitBound returns the bound of the waiter the step parked for actor,
// or "" if it waits without bound.
func (s *stepCtx) waitBound(actor string) string {
	for _, w := range s.after.Waiters {
		if i := len(actor); len(w) > i && w[:i] == actor && w[i] == ' ' {
			if j := strings.Index(w, "(at most "); j >= 0 {
				return w[j+len("(at most ") : len(w)-1]
			}
		}
	}
	return ""
}

func (s *stepCtx) callbackReply(m model.Message) {
	from := s.n.name(m.From)
	switch {
	case s.timedOut(m.XID):
		s.say(fmt.Sprintf("late %s reply from %s ignored: the callback already timed out", m.Kind, from), "the RPC client drops replies to calls it has given up on")
	case m.Kind == model.MsgCBNull:
		s.has(model.EvCBPathUp)
		s.say(from+" answers CB_NULL: callback path up", "nfsd4_cb_probe_done marks the callback path up")
	case m.Kind == model.MsgCBRecall && m.Status == model.StatusOK:
		s.say(from+" acknowledges CB_RECALL", whyRecallDone)
	case m.Kind == model.MsgCBRecall && m.Status == model.NFS4ErrDelay:
		s.say(from+" answers CB_RECALL with NFS4ERR_DELAY: nfsd will resend", whyRecallDelay)
	case m.Kind == model.MsgCBRecall:
		s.say(fmt.Sprintf("%s answers CB_RECALL with %s", from, m.Status), whyRecallBad)
	case m.Kind == model.MsgCBGetattr:
		s.has(model.EvCBGetattrOK)
		what := fmt.Sprintf("CB_GETATTR answer from %s: size=%d change=%d", from, m.Size, m.Change)
		if m.Dirty {
			what += ", modified data cached"
		}
		if s.has(model.EvRecall) {
			what += "; the holder modified the file: CB_RECALL queued"
		}
		s.say(what, whyCBAnswer)
	}
}

func (s *stepCtx) serverTimer(k model.TimerKey) {
	switch k.Kind {
	case model.TimerCBTimeout:
		what := "a callback went unanswered"
		if cb, ok := s.callback(k.Arg); ok {
			what = fmt.Sprintf("%s to %s unanswered after %s", cb.Msg.Kind, s.n.name(cb.Msg.To), s.rec.At-cb.Sent)
		}
		if e, ok := s.event(model.EvCBPathDown); ok {
			if strings.Contains(e.Why, "faulty") {
				what += ": backchannel to " + s.n.name(e.Client) + " marked faulty"
			} else {
				what += ": callback path to " + s.n.name(e.Client) + " marked down"
			}
		}
		if len(s.sent(model.MsgCBRecall, false)) > 0 {
			what += "; CB_RECALL sent again"
		}
		s.say(what, whyCBTimeout)
	case model.TimerCBResend:
		s.say("CB_RECALL sent again", whyRecallDelay)
	case model.TimerRevoke:
		if e, ok := s.event(model.EvRevoke); ok {
			s.say(fmt.Sprintf("%s's %s delegation on %s not returned one lease after the recall: revoked",
				s.n.name(e.Client), e.Deleg, s.n.file(e.File)), whyRevoke)
		}
	case model.TimerDowngrade:
		if e, ok := s.event(model.EvDowngrade); ok {
			s.say(fmt.Sprintf("lease-break-time passed: %s's write lease on %s downgraded to read", s.n.name(e.Client), s.n.file(e.File)), whyDowngrade)
		}
	case model.TimerNfsdWait, model.TimerLocalWait:
		if s.has(model.EvRecall) {
			s.say("no CB_GETATTR answer in time: CB_RECALL queued", whyCBFallback)
			return
		}
		s.has(model.EvNfsdDelay)
		s.has(model.EvLocalEAGAIN)
		for _, mr := range s.msgs {
			if r := mr.Msg; r.Reply {
				if k.Kind == model.TimerNfsdWait {
					s.say(fmt.Sprintf("nfsd stops waiting: %s's %s gets %s", s.n.name(r.To), r.Kind, r.Status), whyNfsdTimeout)
				} else {
					s.say(fmt.Sprintf("the wait bound passed: %s's %s gets %s", s.n.name(r.To), r.Kind, r.Status),
						fmt.Sprintf("policy %s: the bounded wait ended with the delegation still out", s.n.r.Policy.Name()))
				}
			}
		}
	}
}
