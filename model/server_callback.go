package model

import (
	"slices"
	"time"
)

// sendCB sends a callback to delegation d's holder and arms the RPC
// timeout (max_cb_time; the callback client does not retransmit).
func (s *Server) sendCB(now Time, d *Deleg, kind MsgKind, out *Output) uint32 {
	xid := s.nextXID
	s.nextXID++
	s.cbs = append(s.cbs, pendingCB{xid: xid, client: d.Client, kind: kind, deleg: d.ID})
	out.send(Message{Kind: kind, From: ServerID, To: d.Client, XID: xid, File: d.File, Stateid: d.ID})
	out.arm(TimerKey{TimerCBTimeout, xid}, now+s.par.CBTimeout)
	return xid
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
	case MsgCBRecall:
		// nfsd4_cb_recall_done: NFS4ERR_DELAY is retried every 2 s
		// without limit; BAD_STATEID/BADHANDLE once (dl_retries = 1).
		switch m.Status {
		case NFS4ErrDelay:
			out.arm(TimerKey{TimerCBResend, cb.deleg}, now+s.par.CBResend)
		case NFS4ErrBadStateid, NFS4ErrBadHandle:
			if i := s.delegIndex(cb.deleg); i >= 0 && s.delegs[i].retries > 0 {
				s.delegs[i].retries--
				out.arm(TimerKey{TimerCBResend, cb.deleg}, now+s.par.CBResend)
			}
		}
	case MsgCBGetattr:
		s.cbGetattrAnswer(now, m, cb.deleg, out)
	}
}

// callbackTimeout: the callback client is soft with no retransmits, so an
// unanswered callback fails after max_cb_time. On v4.0 the path is marked
// down and the recall is not resent (nfsd4_cb_recall_done returns 1); on
// v4.1+ the session is marked faulty and the callback requeued and resent
// (nfsd4_cb_sequence_done: nfsd4_mark_cb_fault, need_restart). Either way
// no new delegations go to the client, and the laundromat revokes an
// unreturned delegation one lease after the recall.
func (s *Server) callbackTimeout(now Time, xid uint32, out *Output) {
	i := slices.IndexFunc(s.cbs, func(c pendingCB) bool { return c.xid == xid })
	if i < 0 {
		return
	}
	cb := s.cbs[i]
	s.cbs = slices.Delete(s.cbs, i, i+1)
	c := &s.clients[cb.client]
	if c.cbUp {
		c.cbUp = false
		out.event(Event{Kind: EvCBPathDown, Actor: ServerID, Client: cb.client, Why: "callback RPC timed out (max_cb_time): callback path marked down/faulty"})
	}
	if cb.kind == MsgCBRecall && c.minor >= 1 {
		s.resendRecall(now, cb.deleg, out)
	}
}

func (s *Server) resendRecall(now Time, id uint32, out *Output) {
	if i := s.delegIndex(id); i >= 0 && s.delegs[i].Recalling && !s.clients[s.delegs[i].Client].courtesy {
		s.sendCB(now, &s.delegs[i], MsgCBRecall, out)
	}
}

// laundromatDue is when the laundromat acts on a deadline of one lease
// after t: it compares whole boot-time seconds strictly (dl_time < cutoff,
// last_refresh < cutoff), so it acts in the first second after
// floor(t)+lease: 90–91 s with the default lease.
func (s *Server) laundromatDue(t Time) Time {
	return t.Truncate(time.Second) + s.par.Lease + time.Second
}

// laundromatRevoke: a recalled delegation still out one lease after the
// recall is revoked (nfs4_laundromat → revoke_delegation). The client
// hears of it through the SEQUENCE status flags of its next reply.
func (s *Server) laundromatRevoke(now Time, id uint32, out *Output) {
	i := s.delegIndex(id)
	if i < 0 || !s.delegs[i].Recalling {
		return
	}
	s.clients[s.delegs[i].Client].revoked = id
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
