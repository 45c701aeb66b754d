package model

import (
	"encoding/binary"
	"slices"
)

// waiter is an access blocked on a delegation: a local opener sleeping in
// __break_lease, an nfsd thread in nfsd_wait_for_delegreturn, or either
// waiting for a CB_GETATTR answer.
type waiter struct {
	id     uint32
	from   ActorID
	req    Message
	access AccessKind
	write  bool
	dec    Decision
	since  Time
	onCB   bool   // waiting for the CB_GETATTR with xid cbXID
	cbXID  uint32 // CB_GETATTR in flight
	// What a CB_GETATTR answer said, carried into the reply.
	haveCB     bool
	cbModified bool
	cbSize     int64
	cbMtime    Time // the holder's delegated mtime, for *_ATTRS_DELEG
	// ino is the inode whose lease break the access waits for (the
	// first it conflicted with; a rename may break two, and a change of
	// names the directory's too).
	ino FileID
}

func (w waiter) appendState(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(w.id))
	b = binary.AppendUvarint(b, uint64(w.from))
	b = binary.AppendUvarint(b, uint64(w.req.Kind))
	b = binary.AppendUvarint(b, uint64(w.req.XID))
	b = binary.AppendUvarint(b, uint64(w.req.File))
	b = binary.AppendUvarint(b, uint64(w.dec.Action))
	b = binary.AppendVarint(b, int64(w.since))
	b = binary.AppendUvarint(b, uint64(w.cbXID))
	if w.onCB {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	if w.haveCB {
		b = binary.AppendVarint(b, w.cbSize)
		b = binary.AppendVarint(b, int64(w.cbMtime))
	}
	return binary.AppendUvarint(b, uint64(w.ino))
}

// leaseConflict reports whether request req, a writer if write, conflicts
// with delegation d (leases_conflict in fs/locks.c): a writer conflicts
// with any lease, a reader only with a write lease, and never the lease's
// own client where nfsd knows who is asking (lm_breaker_owns_lease,
// nfsd_breaker_owns_lease: the compound's cstate->clp).
func (s *Server) leaseConflict(d *Deleg, write bool, req *Message) bool {
	if d.Client == req.From && s.ownsLease(req) {
		return false
	}
	return write || d.LeaseType == DelegWrite
}

// ownsLease reports whether nfsd knows the client behind req, so that the
// client's own delegation is no conflict. A v4.1+ compound names its
// client in SEQUENCE. A v4.0 compound has no SEQUENCE; nfsd learns the
// client only from an operation that carries a clientid or a stateid,
// which of the model's requests OPEN does (its open-owner names the
// clientid: nfsd4_process_open1 → set_client) and a SETATTR of size (its
// stateid does). v4.0 REMOVE, RENAME, LINK and SETATTR without a stateid
// name nobody and recall the client's own delegation.
func (s *Server) ownsLease(req *Message) bool {
	c := &s.clients[req.From]
	return c.isClient && (c.minor >= 1 || req.Kind == MsgOpen || s.namesClient(req))
}

// namesClient reports whether a v4.0 request carries a stateid of the
// client's own: a SETATTR of size does (nfsd4_setattr →
// nfs4_preprocess_stateid_op → set_client), so nfsd knows the client.
func (s *Server) namesClient(req *Message) bool {
	return req.Kind == MsgSetattr && req.Attrs&AttrSize != 0 && req.Stateid != 0 &&
		(s.openByStateid(req.From, req.Stateid) >= 0 || s.delegIndex(req.Stateid) >= 0)
}

// firstConflict returns the first delegation request req conflicts with
// on any inode it breaks leases on (reqInodes), or -1.
func (s *Server) firstConflict(write bool, req *Message) int {
	if len(s.delegs) == 0 {
		return -1
	}
	b := s.reqInodes(req, write)
	for j := range b.n {
		for i := range s.delegs {
			if s.delegs[i].File == b.ino[j] && s.leaseConflict(&s.delegs[i], b.write[j], req) {
				return i
			}
		}
	}
	return -1
}

// leasePresent is nfsd4_deleg_present: any lease at all on inode f, the
// requester's own and non-conflicting ones included.
func (s *Server) leasePresent(f FileID) bool {
	for i := range s.delegs {
		if s.delegs[i].File == f {
			return true
		}
	}
	return false
}

// unblocked reports whether waiter w may proceed. A local opener sleeping
// in __break_lease re-checks for a conflicting lease; an nfsd thread in
// nfsd_wait_for_delegreturn waits until no lease is left on the inode
// whose break it waits for at all (nfsd4_deleg_present), so a lease that
// does not conflict, such as the requester's own delegation or a read
// lease left by the VFS's downgrade, keeps it waiting until its 30 ms run
// out.
func (s *Server) unblocked(w *waiter) bool {
	if w.access.IsLocal() {
		return s.firstConflict(w.write, &w.req) < 0
	}
	return !s.leasePresent(w.ino)
}

// access runs one access that may conflict with a delegation: it asks the
// policy what to do, then completes, fails, or parks the access.
func (s *Server) access(now Time, req *Message, kind AccessKind, write, nonBlock bool, out *Output) {
	i := s.firstConflict(write, req)
	if i < 0 {
		s.completeReq(now, req, false, 0, 0, out)
		return
	}
	w := waiter{from: req.From, req: *req, access: kind, write: write, since: now, ino: s.delegs[i].File}
	kern := kernelDecision(s.prof, kind, nonBlock, s.par.DelegReturnWait)
	w.dec = s.pol.Conflict(ConflictInfo{Profile: s.prof, Access: kind, Write: write,
		NonBlock: nonBlock, Holder: s.delegs[i].Type, Recalling: s.delegs[i].Recalling, Kernel: kern})
	s.apply(now, w, w.dec, out)
}

func (s *Server) apply(now Time, w waiter, dec Decision, out *Output) {
	switch dec.Action {
	case ActAllow:
		s.complete(now, &w, out)
	case ActDeny:
		s.fail(now, &w, out)
	case ActRecallFail:
		s.breakConflicts(now, w.write, &w.req, out)
		s.fail(now, &w, out)
	case ActRecallWait:
		s.breakConflicts(now, w.write, &w.req, out)
		if s.unblocked(&w) {
			s.complete(now, &w, out)
			return
		}
		if dec.Wait <= 0 {
			s.fail(now, &w, out)
			return
		}
		if w.access.IsLocal() {
			out.event(Event{Kind: EvLocalWait, Actor: ServerID, File: w.req.File, Client: w.from, Why: "__break_lease: blocking opener sleeps until the lease is gone"})
		}
		w.dec = dec
		s.park(now, w, dec.Wait, out)
	case ActCBGetattr:
		i := s.firstConflict(w.write, &w.req)
		if i < 0 {
			s.complete(now, &w, out)
			return
		}
		w.onCB = true
		w.cbXID = s.cbGetattr(now, i, out)
		s.park(now, w, dec.Wait, out)
	}
}

// cbGetattr returns the xid of a CB_GETATTR to delegation i's holder,
// joining one already in flight (NFSD4_CALLBACK_RUNNING).
func (s *Server) cbGetattr(now Time, i int, out *Output) uint32 {
	d := &s.delegs[i]
	for _, cb := range s.cbs {
		if cb.kind == MsgCBGetattr && cb.deleg == d.ID {
			return cb.xid
		}
	}
	return s.sendCB(now, d, MsgCBGetattr, out)
}

func (s *Server) park(now Time, w waiter, wait Time, out *Output) {
	w.id = s.nextWaiter
	s.nextWaiter++
	s.waiters = append(s.waiters, w)
	if wait != Forever {
		out.arm(s.waitKey(w), now+wait)
	}
}

func (s *Server) waitKey(w waiter) TimerKey {
	if w.access.IsLocal() {
		return TimerKey{TimerLocalWait, w.id}
	}
	return TimerKey{TimerNfsdWait, w.id}
}

func (s *Server) unpark(i int, out *Output) waiter {
	w := s.waiters[i]
	s.waiters = slices.Delete(s.waiters, i, i+1)
	if w.dec.Wait != Forever || w.onCB {
		out.cancel(s.waitKey(w))
	}
	return w
}

// wake re-checks the lease-waiters of file f after a lease went away or was
// downgraded: __break_lease re-checks every jiffy and wait_var_event in
// nfsd_wait_for_delegreturn is woken by the lease's removal, so a waiter
// proceeds as soon as unblocked says it may.
func (s *Server) wake(now Time, f FileID, out *Output) {
	for i := 0; i < len(s.waiters); {
		if w := &s.waiters[i]; !s.waitsOn(w, f) || w.onCB || !s.unblocked(w) {
			i++
			continue
		}
		w := s.unpark(i, out)
		if !w.access.IsLocal() && s.firstConflict(w.write, &w.req) >= 0 {
			// nfsd retries the operation once after the wait
			// (nfsd_setattr's loop); another conflict fails it.
			s.fail(now, &w, out)
			continue
		}
		s.complete(now, &w, out)
	}
}

func (s *Server) waitTimeout(now Time, id uint32, out *Output) {
	i := slices.IndexFunc(s.waiters, func(w waiter) bool { return w.id == id })
	if i < 0 {
		return
	}
	w := s.waiters[i]
	s.waiters = slices.Delete(s.waiters, i, i+1)
	if w.onCB {
		// No CB_GETATTR answer in time: nfsd4_deleg_getattr_conflict
		// falls back to a recall.
		w.onCB = false
		w.dec = w.dec.unanswered()
		s.apply(now, w, w.dec, out)
		return
	}
	s.fail(now, &w, out)
}

// cbGetattrAnswer resumes the accesses waiting for CB_GETATTR xid. Two
// questions are asked of the answer. Modified since the grant (change or
// size differ from what the holder had then: nfsd4_deleg_getattr_conflict,
// RFC 8881 §10.4.3) decides whether nfsd bumps mtime/ctime and reports the
// holder's size. Stale (the holder has unwritten data, or a size the
// server does not have) decides which way a policy's Then goes: only then
// is the server's own view of the file out of date.
func (s *Server) cbGetattrAnswer(now Time, m *Message, deleg uint32, out *Output) {
	modified := m.Dirty
	stale := m.Dirty
	if i := s.delegIndex(deleg); i >= 0 {
		d := s.delegs[i]
		modified = modified || m.Change != d.ChangeAtGrant || m.Size != d.SizeAtGrant
		stale = stale || m.Size != s.files[d.File].Size
		out.event(Event{Kind: EvCBGetattrOK, Actor: ServerID, File: d.File, Client: d.Client, Deleg: d.Type, Stateid: d.ID, Why: "CB_GETATTR answered: holder's size and change"})
	}
	for i := 0; i < len(s.waiters); {
		if !s.waiters[i].onCB || s.waiters[i].cbXID != m.XID {
			i++
			continue
		}
		w := s.unpark(i, out)
		w.onCB, w.haveCB, w.cbModified, w.cbSize = false, true, modified, m.Size
		if i := s.delegIndex(deleg); i >= 0 && s.delegs[i].Type.Times() {
			w.cbMtime = m.Mtime
		}
		w.dec = w.dec.then(stale)
		s.apply(now, w, w.dec, out)
	}
}

func (s *Server) breakConflicts(now Time, write bool, req *Message, out *Output) {
	b := s.reqInodes(req, write)
	for j := range b.n {
		for i := range s.delegs {
			if s.delegs[i].File == b.ino[j] && s.leaseConflict(&s.delegs[i], b.write[j], req) {
				s.breakLease(now, i, b.write[j], out)
			}
		}
	}
}

// waitsOn reports whether waiter w waits for a lease on inode f.
func (s *Server) waitsOn(w *waiter, f FileID) bool {
	b := s.reqInodes(&w.req, w.write)
	for j := range b.n {
		if b.ino[j] == f {
			return true
		}
	}
	return false
}

// breakLease is __break_lease's per-lease step: a writer marks the lease
// FL_UNLOCK_PENDING (nfsd zeroes its break time, so it never times out), a
// reader marks it FL_DOWNGRADE_PENDING with the downgrade due after
// lease-break-time. A lease already breaking the same way is skipped, so
// no second lm_break runs.
func (s *Server) breakLease(now Time, i int, write bool, out *Output) {
	d := &s.delegs[i]
	if write {
		if d.UnlockPending {
			return
		}
		d.UnlockPending = true
	} else {
		if d.UnlockPending || d.DowngradePending {
			return
		}
		d.DowngradePending = true
		d.DowngradeAt = now + s.par.LeaseBreakTime
		out.arm(TimerKey{TimerDowngrade, d.ID}, d.DowngradeAt)
	}
	s.recall(now, i, out)
}

// recall is nfsd's lm_break (nfsd_break_deleg_cb → nfsd_break_one_deleg):
// mark the file as having had a conflict, block new delegations on it,
// and queue a CB_RECALL. __break_lease calls lm_break again only for a
// break of a new kind (a writer after a reader, or a writer after the
// reader downgrade), and nfsd then sends another CB_RECALL unless the
// first is still running (6.15+, NFSD4_CALLBACK_RUNNING; before, only a
// callback still waiting in the workqueue was skipped, and the model
// sends at once, so every lm_break sent one). The laundromat revokes the
// delegation one lease after the first recall: dl_time is set once
// (nfsd4_cb_recall_prepare).
func (s *Server) recall(now Time, i int, out *Output) {
	d := &s.delegs[i]
	s.files[d.File].HadConflict = true
	if d.Recalling && d.cbRunning && s.prof.CBRunningGuard {
		return
	}
	why := "nfsd_break_deleg_cb: conflicting access broke the lease, CB_RECALL queued"
	if d.Recalling {
		why = "nfsd_break_deleg_cb: a new kind of break (writer after reader) broke the lease again, another CB_RECALL queued"
	} else {
		d.Recalling = true
		d.RecallAt = now
		d.retries = 1
		out.arm(TimerKey{TimerRevoke, d.ID}, s.laundromatDue(now))
	}
	// block_delegations runs in nfsd4_cb_recall_prepare, as the recall is
	// sent; the model sends at once (queueing delay is the driver's).
	s.block.add(now, d.File)
	out.event(Event{Kind: EvRecall, Actor: ServerID, File: d.File, Client: d.Client, Deleg: d.Type, Stateid: d.ID, Why: why})
	if c := &s.clients[d.Client]; c.courtesy {
		// try_to_expire_client: a courtesy client in the way is made
		// expirable and the laundromat runs at once; callbacks to
		// courtesy clients are dropped (nfsd4_run_cb_work).
		c.expirable = true
		out.arm(TimerKey{TimerExpire, uint32(d.Client)}, now)
		return
	}
	s.sendCB(now, d, MsgCBRecall, out)
}

// downgrade applies time_out_leases to a lease whose reader breaker waited
// lease-break-time: the VFS turns nfsd's write lease into a read lease,
// while nfsd still lists the write delegation.
func (s *Server) downgrade(now Time, id uint32, out *Output) {
	i := s.delegIndex(id)
	if i < 0 || !s.delegs[i].DowngradePending {
		return
	}
	d := &s.delegs[i]
	d.DowngradePending = false
	d.LeaseType = DelegRead
	out.event(Event{Kind: EvDowngrade, Actor: ServerID, File: d.File, Client: d.Client, Deleg: d.Type, Stateid: d.ID, Why: "time_out_leases: lease-break-time passed, write lease downgraded to read; nfsd still lists the write delegation"})
	s.wake(now, d.File, out)
}

// removeDeleg drops delegation i and its lease, then lets waiters on the
// file re-check. Unlocking a WRITE_ATTRS_DELEG lease first settles the
// file's times (nfsd4_finalize_deleg_timestamps): written through nfsd
// but never given a time by the client, it is stamped now.
func (s *Server) removeDeleg(now Time, i int, kind EventKind, why string, out *Output) {
	d := s.delegs[i]
	if d.Type == DelegWriteAttrs && d.written && !d.setattr {
		f := s.file(d.File)
		f.Mtime = now
		f.Change++
	}
	s.delegs = slices.Delete(s.delegs, i, i+1)
	out.cancel(TimerKey{TimerRevoke, d.ID})
	out.cancel(TimerKey{TimerDowngrade, d.ID})
	out.cancel(TimerKey{TimerCBResend, d.ID})
	out.event(Event{Kind: kind, Actor: ServerID, File: d.File, Client: d.Client, Deleg: d.Type, Stateid: d.ID, Why: why})
	s.forgetConflict(d.File)
	s.wake(now, d.File, out)
}

// forgetConflict clears fi_had_conflict once nothing references the
// nfs4_file any more: the next OPEN allocates a fresh one.
func (s *Server) forgetConflict(f FileID) {
	for _, o := range s.opens {
		if o.file == f {
			return
		}
	}
	for _, d := range s.delegs {
		if d.File == f {
			return
		}
	}
	s.files[f].HadConflict = false
}
