package model

import (
	"slices"
	"time"
)

// sendCB sends a callback to delegation d's holder and arms the RPC
// timeout (max_cb_time; the callback client does not retransmit).
func (s *Server) sendCB(now Time, d *Deleg, kind MsgKind, out *Output) uint32 {
	if kind == MsgCBRecall {
		d.cbRunning = true
	}
	return s.callback(now, Message{Kind: kind, To: d.Client, File: d.File, Stateid: d.ID}, d.ID, out)
}

func (s *Server) callback(now Time, m Message, deleg uint32, out *Output) uint32 {
	xid := s.nextXID
	s.nextXID++
	m.From, m.XID = ServerID, xid
	s.cbs = append(s.cbs, pendingCB{xid: xid, client: m.To, kind: m.Kind, deleg: deleg})
	out.send(m)
	out.arm(TimerKey{TimerCBTimeout, xid}, now+s.par.CBTimeout)
	return xid
}

// cbGood is nfsd4_cb_channel_good, which every delegation needs: the path
// is up, or, with sessions, not yet known to be bad (the backchannel
// shares the fore connection, so it is assumed to work).
func (s *Server) cbGood(id ActorID) bool {
	c := &s.clients[id]
	return c.cb == cbUp || (c.minor >= 1 && c.cb == cbUnknown)
}

// seqFlags are the SEQUENCE status flags nfsd4_sequence sets from
// cl_cb_state and cl_revoked.
func (s *Server) seqFlags(id ActorID) SeqFlags {
	c := &s.clients[id]
	if c.minor == 0 {
		return 0
	}
	var f SeqFlags
	if s.hasRevoked(id) {
		f |= SeqStateRevoked
	}
	switch c.cb {
	case cbDown:
		f |= SeqCBPathDown
	case cbFault:
		f |= SeqBackchannelFault
	}
	return f
}

// markCB is nfsd4_mark_cb_state.
func (s *Server) markCB(id ActorID, st cbState, why string, out *Output) {
	c := &s.clients[id]
	if c.cb == st {
		return
	}
	c.cb = st
	switch st {
	case cbDown, cbFault:
		out.event(Event{Kind: EvCBPathDown, Actor: ServerID, Client: id, Why: why})
	case cbUp:
		out.event(Event{Kind: EvCBPathUp, Actor: ServerID, Client: id, Why: why})
	}
}

// probe is nfsd4_probe_callback after the client re-established its
// callback path. A v4.0 client gets a CB_NULL on the new callback
// connection, and the path is up when it answers. For v4.1+ nfsd sends no
// probe: setting up the callback client on the session's backchannel
// marks the path up (nfsd4_run_cb_work), and shutting down the old one
// signals the callbacks still in flight, which restart on the new one
// (nfsd4_process_cb_update, nfsd4_cb_sequence_done need_restart).
func (s *Server) probe(now Time, id ActorID, out *Output) {
	c := &s.clients[id]
	if c.minor == 0 {
		s.markCB(id, cbUnknown, "", out)
		s.callback(now, Message{Kind: MsgCBNull, To: id}, 0, out)
		return
	}
	s.markCB(id, cbUp, "new session or connection bound: nfsd sets up the backchannel, callback path up", out)
	n := len(s.cbs) // resendRecall appends the new ones after these
	for i := 0; i < n; {
		cb := s.cbs[i]
		if cb.client != id || cb.kind != MsgCBRecall {
			i++
			continue
		}
		s.cbs = slices.Delete(s.cbs, i, i+1)
		n--
		out.cancel(TimerKey{TimerCBTimeout, cb.xid})
		s.resendRecall(now, cb.deleg, out)
	}
}

func (s *Server) callbackReply(now Time, m *Message, out *Output) {
	i := slices.IndexFunc(s.cbs, func(c pendingCB) bool { return c.xid == m.XID && c.client == m.From })
	if i < 0 {
		return // timed out already: the RPC layer drops late replies
	}
	cb := s.cbs[i]
	s.cbs = slices.Delete(s.cbs, i, i+1)
	out.cancel(TimerKey{TimerCBTimeout, cb.xid})
	switch cb.kind {
	case MsgCBNull:
		s.markCB(cb.client, cbUp, "CB_NULL answered: callback path up (nfsd4_cb_probe_done)", out)
	case MsgCBRecall:
		// nfsd4_cb_recall_done: NFS4ERR_DELAY is retried every 2 s
		// without limit; BAD_STATEID/BADHANDLE once (dl_retries = 1). A
		// retry is the same callback, still running.
		i := s.delegIndex(cb.deleg)
		resend := false
		switch m.Status {
		case NFS4ErrDelay:
			resend = i >= 0
		case NFS4ErrBadStateid, NFS4ErrBadHandle:
			if i >= 0 && s.delegs[i].retries > 0 {
				s.delegs[i].retries--
				resend = true
			}
		}
		if resend {
			out.arm(TimerKey{TimerCBResend, cb.deleg}, now+s.par.CBResend)
		} else if i >= 0 {
			s.delegs[i].cbRunning = false // nfsd41_destroy_cb
		}
	case MsgCBGetattr:
		s.cbGetattrAnswer(now, m, cb.deleg, out)
	}
}

// callbackTimeout: the callback client is soft with no retransmits, so an
// unanswered callback fails after max_cb_time. On v4.0 the path is marked
// down and the recall is not resent (nfsd4_cb_done: -ETIMEDOUT,
// nfsd4_mark_cb_down; nfsd4_cb_recall_done returns 1); the client learns
// of it from RENEW's NFS4ERR_CB_PATH_DOWN. On v4.1+ the backchannel is
// marked faulty and the callback requeued and resent with the same slot
// and sequence id (nfsd4_cb_sequence_done: cb_seq_status 1,
// nfsd4_mark_cb_fault, need_restart); the client learns of it from
// SEQ4_STATUS_BACKCHANNEL_FAULT. Either way no new delegations go to the
// client, and the laundromat revokes an unreturned delegation one lease
// after the recall.
func (s *Server) callbackTimeout(now Time, xid uint32, out *Output) {
	i := slices.IndexFunc(s.cbs, func(c pendingCB) bool { return c.xid == xid })
	if i < 0 {
		return
	}
	cb := s.cbs[i]
	s.cbs = slices.Delete(s.cbs, i, i+1)
	c := &s.clients[cb.client]
	if c.minor == 0 {
		s.markCB(cb.client, cbDown, "callback RPC timed out (max_cb_time): v4.0 callback path marked down (nfsd4_mark_cb_down)", out)
	} else {
		s.markCB(cb.client, cbFault, "callback RPC timed out (max_cb_time): backchannel marked faulty (nfsd4_mark_cb_fault)", out)
	}
	if cb.kind != MsgCBRecall {
		return
	}
	if c.minor >= 1 {
		s.resendRecall(now, cb.deleg, out)
	} else if i := s.delegIndex(cb.deleg); i >= 0 {
		s.delegs[i].cbRunning = false
	}
}

func (s *Server) resendRecall(now Time, id uint32, out *Output) {
	i := s.delegIndex(id)
	if i < 0 {
		return
	}
	if d := &s.delegs[i]; d.Recalling && !s.clients[d.Client].courtesy {
		s.sendCB(now, d, MsgCBRecall, out)
		return
	}
	s.delegs[i].cbRunning = false
}

// laundromatDue is when the laundromat acts on a deadline of one lease
// after t: it compares whole boot-time seconds strictly (dl_time < cutoff,
// last_refresh < cutoff), so it acts in the first second after
// floor(t)+lease: 90–91 s with the default lease.
func (s *Server) laundromatDue(t Time) Time {
	return t.Truncate(time.Second) + s.par.Lease + time.Second
}

// laundromatRevoke: a recalled delegation still out one lease after the
// recall is revoked (nfs4_laundromat → revoke_delegation). A v4.1+
// client hears of it through the SEQUENCE status flags of its next
// reply (see server_revoke.go); a v4.0 client only when it next uses
// the stateid.
func (s *Server) laundromatRevoke(now Time, id uint32, out *Output) {
	i := s.delegIndex(id)
	if i < 0 || !s.delegs[i].Recalling {
		return
	}
	s.keepRevoked(&s.delegs[i])
	s.removeDeleg(now, i, EvRevoke, "nfs4_laundromat: recalled delegation not returned within a lease, revoked", out)
}

// laundromatExpire: a client silent for a whole lease loses its state
// (nfs4_laundromat, nfs4_get_client_reaplist) unless it can be kept as a
// courtesy client: one with no delegation in recall keeps its state until
// a conflict makes it expirable (try_to_expire_client). The timer is armed
// lazily at the earliest possible expiry and re-armed if the client renewed.
func (s *Server) laundromatExpire(now Time, id ActorID, out *Output) {
	c := &s.clients[id]
	if !c.alive {
		return
	}
	if !c.expirable {
		if due := s.laundromatDue(c.lastRenew); now < due {
			out.arm(TimerKey{TimerExpire, uint32(id)}, due)
			return
		}
		if !s.inRecall(id) && s.hasState(id) {
			if !c.courtesy {
				c.courtesy = true
				out.event(Event{Kind: EvCourtesy, Actor: ServerID, Client: id, Why: "nfs4_laundromat: silent client with no conflict kept as a courtesy client"})
			}
			return
		}
	}
	c.alive, c.courtesy, c.expirable = false, false, false
	out.event(Event{Kind: EvExpire, Actor: ServerID, Client: id, Why: "nfs4_laundromat: client silent for a lease, state dropped"})
	s.opens = slices.DeleteFunc(s.opens, func(o openState) bool { return o.client == id })
	for i := 0; i < len(s.delegs); {
		if s.delegs[i].Client != id {
			i++
			continue
		}
		s.removeDeleg(now, i, EvRevoke, "client expired: its delegation goes with it", out)
	}
	s.cbs = slices.DeleteFunc(s.cbs, func(cb pendingCB) bool { return cb.client == id })
	s.revoked = slices.DeleteFunc(s.revoked, func(r revokedDeleg) bool { return r.client == id })
}

// inRecall reports cl_delegs_in_recall > 0.
func (s *Server) inRecall(id ActorID) bool {
	for _, d := range s.delegs {
		if d.Client == id && d.Recalling {
			return true
		}
	}
	return false
}

func (s *Server) hasState(id ActorID) bool {
	return slices.ContainsFunc(s.opens, func(o openState) bool { return o.client == id }) ||
		slices.ContainsFunc(s.delegs, func(d Deleg) bool { return d.Client == id })
}
