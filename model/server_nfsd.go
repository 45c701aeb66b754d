package model

import "slices"

// rpc serves a fore-channel request. Every request renews the client's
// lease (RENEW in v4.0, SEQUENCE in v4.1+).
func (s *Server) rpc(now Time, m *Message, out *Output) {
	c := &s.clients[m.From]
	if !c.isClient {
		return
	}
	if !c.alive {
		// An expired client re-establishes itself (EXCHANGE_ID or
		// SETCLIENTID); its old stateids stay invalid.
		c.alive = true
		out.arm(TimerKey{TimerExpire, uint32(m.From)}, s.laundromatDue(now))
	}
	// A courtesy client that speaks again is active again, state intact.
	c.courtesy = false
	c.lastRenew = now
	switch m.Kind {
	case MsgOpen:
		f := s.file(m.File)
		switch {
		case !f.Exists && !m.Create:
			s.reply(m, NFS4ErrNoent, out)
		case f.Exists && m.Create && m.Excl:
			s.reply(m, NFS4ErrExist, out)
		default:
			s.access(now, m, AccessRemoteOpen, m.Access&AccessWrite != 0, true, out)
		}
	case MsgOpenConfirm:
		c.confirmed = true
		s.reply(m, StatusOK, out)
	case MsgClose:
		s.close(m, out)
	case MsgWrite:
		if st := s.mayWrite(m); st != StatusOK {
			// No open state and no delegation (dropped with an expired
			// client or a revoked delegation), or an open without write
			// access: the write is refused.
			s.reply(m, st, out)
			return
		}
		s.write(now, m, out)
	case MsgGetattr:
		s.access(now, m, AccessRemoteGetattr, false, false, out)
	case MsgSetattr, MsgRemove, MsgRename:
		s.access(now, m, AccessRemoteMeta, true, false, out)
	case MsgRead:
		f := s.file(m.File)
		r := s.replyMsg(m, StatusOK)
		r.Size, r.Data, r.Change, r.Bytes, r.Mtime = f.Size, f.Data, f.Change, f.Size, f.Mtime
		s.send(r, out)
	case MsgDelegReturn:
		s.delegReturn(now, m, out)
	case MsgRenew:
		// nfsd4_renew: a v4.0 client holding delegations hears that its
		// callback path is down. (v4.1+ renews with SEQUENCE, whose
		// status flags say it on every reply.)
		if c.minor == 0 && s.holdsDelegs(m.From) && c.cb != cbUp {
			s.reply(m, NFS4ErrCBPathDown, out)
			return
		}
		s.reply(m, StatusOK, out)
	case MsgSetclientid:
		// SETCLIENTID + SETCLIENTID_CONFIRM with the client's callback
		// address: nfsd4_change_callback, then nfsd4_probe_callback.
		s.reply(m, StatusOK, out)
		s.probe(now, m.From, out)
	case MsgCreateSession, MsgBindConn:
		s.reply(m, StatusOK, out)
		s.probe(now, m.From, out)
	default: // MsgCommit
		s.reply(m, StatusOK, out)
	}
}

// write applies a WRITE. While a WRITE_ATTRS_DELEG delegation is out,
// nfsd's file has FMODE_NOCMTIME: the data and size change, but neither
// mtime, ctime nor the change attribute that follows them
// (file_modified skips file_update_time); nfsd notes that the file was
// written (nfsd4_file_mark_deleg_written).
func (s *Server) write(now Time, m *Message, out *Output) {
	f := s.file(m.File)
	f.Size, f.Data = m.Size, m.Data
	if i := s.timesDeleg(m.File); i >= 0 {
		s.delegs[i].written = true
	} else {
		f.Mtime = now
		f.Change++
	}
	r := s.replyMsg(m, StatusOK)
	r.Size, r.Data, r.Change, r.Mtime = f.Size, f.Data, f.Change, f.Mtime
	s.send(r, out)
}

// timesDeleg returns the WRITE_ATTRS_DELEG delegation on f, or -1.
func (s *Server) timesDeleg(f FileID) int {
	for i := range s.delegs {
		if s.delegs[i].File == f && s.delegs[i].Type == DelegWriteAttrs {
			return i
		}
	}
	return -1
}

// mayWrite checks a WRITE's stateid: the client's write delegation on the
// file, or its open of the file with write access (nfs4_check_openmode:
// NFS4ERR_OPENMODE for a read-only open).
func (s *Server) mayWrite(m *Message) Status {
	if i := s.delegIndex(m.Stateid); i >= 0 && s.delegs[i].Client == m.From && s.delegs[i].File == m.File && s.delegs[i].Type.Writes() {
		return StatusOK
	}
	i := s.openIndex(m.From, m.File)
	switch {
	case i < 0:
		return NFS4ErrBadStateid
	case s.opens[i].access&AccessWrite == 0:
		return NFS4ErrOpenMode
	}
	return StatusOK
}

func (s *Server) replyMsg(m *Message, st Status) Message {
	return Message{Kind: m.Kind, Reply: true, From: ServerID, To: m.From, XID: m.XID, File: m.File, Status: st}
}

// send emits a reply; fore-channel replies carry the SEQUENCE status
// flags: a delegation was revoked, the callback path is down or faulty
// (nfsd4_sequence).
func (s *Server) send(r Message, out *Output) {
	if r.Kind.Channel() == ChanFore {
		if c := &s.clients[r.To]; c.revoked != 0 {
			r.Revoked = c.revoked
			c.revoked = 0
		}
		r.Seq = s.seqFlags(r.To)
	}
	out.send(r)
}

func (s *Server) holdsDelegs(id ActorID) bool {
	return slices.ContainsFunc(s.delegs, func(d Deleg) bool { return d.Client == id })
}

func (s *Server) reply(m *Message, st Status, out *Output) { s.send(s.replyMsg(m, st), out) }

func (s *Server) openIndex(c ActorID, f FileID) int {
	return slices.IndexFunc(s.opens, func(o openState) bool { return o.client == c && o.file == f })
}

// openGranted finishes an OPEN that met no conflict: create the file if
// asked, record the open, and decide on a delegation.
func (s *Server) openGranted(now Time, m *Message, out *Output) {
	f := s.file(m.File)
	if !f.Exists {
		f.Exists, f.Size, f.Data, f.Mtime = true, 0, 0, now
		f.Change++
	}
	r := s.replyMsg(m, StatusOK)
	fresh := false
	if i := s.openIndex(m.From, m.File); i >= 0 {
		s.opens[i].access |= m.Access // OPEN upgrade: same stateid
		r.Stateid = s.opens[i].stateid
	} else {
		r.Stateid = s.nextStateid
		s.nextStateid++
		s.opens = append(s.opens, openState{client: m.From, file: m.File, stateid: r.Stateid, access: m.Access})
		fresh = true
	}
	c := s.clients[m.From]
	r.Confirm = c.minor == 0 && !c.confirmed // RFC 7530 §16.16.5: new open-owner
	if m.Flags&FlagClaimDelegCur == 0 {
		// nfs4_open_delegation considers CLAIM_NULL and CLAIM_FH only.
		r.Deleg, r.DelegID = s.grant(now, m, out)
	}
	if r.Deleg != DelegNone && fresh && m.Flags&FlagWantXor != 0 && s.prof.OpenXorDeleg {
		// OPEN4_RESULT_NO_OPEN_STATEID: the delegation stands for the
		// open; nfsd releases the open stateid it made.
		s.opens = s.opens[:len(s.opens)-1]
		r.Stateid = 0
		r.Flags |= FlagNoOpenStateid
	}
	r.Size, r.Change, r.Mtime = f.Size, f.Change, f.Mtime
	s.send(r, out)
}

// grant decides on a delegation for an OPEN (nfs4_open_delegation,
// nfs4_set_delegation): the profile's rules and the policy say what may be
// offered; the server's state can still refuse it.
func (s *Server) grant(now Time, m *Message, out *Output) (DelegType, uint32) {
	c := s.clients[m.From]
	kern := kernelGrant(s.prof, c.minor, m.Access)
	want := s.pol.Grant(GrantInfo{Profile: s.prof, Minor: c.minor, Access: m.Access, Kernel: kern})
	if want == DelegNone {
		return DelegNone, 0
	}
	if why := s.refuse(now, m, want); why != "" {
		out.event(Event{Kind: EvDelegRefused, Actor: ServerID, File: m.File, Client: m.From, Deleg: want, Why: why})
		return DelegNone, 0
	}
	if c.minor >= 2 && m.Flags&FlagWantTimes != 0 && s.prof.DelegTimestamps {
		// nfsd4_want_deleg_timestamps: OPEN_DELEGATE_*_ATTRS_DELEG.
		want = want.WithTimes()
	}
	f := s.file(m.File)
	d := Deleg{ID: s.nextStateid, File: m.File, Client: m.From, Type: want, LeaseType: want.Lease(),
		ChangeAtGrant: f.Change, SizeAtGrant: f.Size, MtimeAtGrant: f.Mtime}
	s.nextStateid++
	s.delegs = append(s.delegs, d)
	out.event(Event{Kind: EvGrant, Actor: ServerID, File: m.File, Client: m.From, Deleg: want, Why: "nfs4_open_delegation: delegation offered with the OPEN"})
	return want, d.ID
}

// refuse returns why server state rules out a delegation, or "".
func (s *Server) refuse(now Time, m *Message, want DelegType) string {
	c := s.clients[m.From]
	switch {
	case !s.cbGood(m.From):
		return "callback path not up: nfsd offers no delegation (nfsd4_cb_channel_good)"
	case s.par.inGrace(now):
		return "grace period: no delegations (nfs4_open_delegation: locks_in_grace, nfsd's or lockd's)"
	case c.minor == 0 && !c.confirmed:
		return "v4.0 open-owner not yet confirmed: no delegation"
	case s.block.blocked(now, s.par.BlockPeriod, m.File, s.prof.BlockedSwapBug):
		return "recently recalled: delegation_blocked"
	case s.files[m.File].HadConflict:
		return "fi_had_conflict: a lease on this file was broken"
	case m.Access&AccessWrite != 0 && s.files[m.File].Setuid:
		return "setuid/setgid file opened for write: no delegation (nfsd4_verify_setuid_write)"
	}
	if why := s.conflictingOpens(m); why != "" {
		return why
	}
	for _, d := range s.delegs {
		if d.File != m.File {
			continue
		}
		if d.Client == m.From {
			return "client already holds a delegation (nfs4_delegation_exists)"
		}
		if want.Writes() || d.LeaseType == DelegWrite {
			return "conflicting lease held by another client"
		}
	}
	return ""
}

// conflictingOpens is nfsd4_check_conflicting_opens: it counts the
// inode's writers (i_writecount) and refuses any delegation while someone
// other than the requesting client has the file open for write. nfsd's
// own descriptors (one per access mode, shared by all clients) are taken
// off the count; what remains are local processes. An aliased file's
// writers cannot be told apart at all, so any writer, the requester's own
// OPEN included, refuses it. Readers do not count: another client's
// read-only open does not prevent a write delegation.
func (s *Server) conflictingOpens(m *Message) string {
	f := &s.files[m.File]
	nfsdWriter := m.Access&AccessWrite != 0
	other := false
	for _, o := range s.opens {
		if o.file != m.File || o.access&AccessWrite == 0 {
			continue
		}
		nfsdWriter = true
		other = other || o.client != m.From
	}
	switch {
	case f.Aliased && (f.Writers > 0 || nfsdWriter):
		return "file reachable through another filehandle and open for write: no delegation (nfsd4_check_conflicting_opens, fi_aliased)"
	case f.Writers > 0:
		return "a local process has the file open for write: no delegation (nfsd4_check_conflicting_opens: i_writecount)"
	case other:
		return "file open for write by another client (nfsd4_check_conflicting_opens)"
	}
	return ""
}

func (s *Server) close(m *Message, out *Output) {
	i := s.openIndex(m.From, m.File)
	if i < 0 || s.opens[i].stateid != m.Stateid {
		s.reply(m, NFS4ErrBadStateid, out)
		return
	}
	s.opens = slices.Delete(s.opens, i, i+1)
	s.forgetConflict(m.File)
	f := s.file(m.File)
	r := s.replyMsg(m, StatusOK) // the compound's GETATTR
	r.Size, r.Change, r.Mtime = f.Size, f.Change, f.Mtime
	s.send(r, out)
}

func (s *Server) delegReturn(now Time, m *Message, out *Output) {
	i := s.delegIndex(m.Stateid)
	if i < 0 || s.delegs[i].Client != m.From {
		s.reply(m, NFS4ErrBadStateid, out)
		return
	}
	if d := &s.delegs[i]; m.Flags&FlagSetattrTimes != 0 && d.Type.Times() {
		s.setDelegatedMtime(now, d, m.Mtime)
	}
	f := s.file(m.File)
	s.removeDeleg(now, i, EvReturn, "nfsd4_delegreturn: lease removed", out)
	r := s.replyMsg(m, StatusOK) // the compound's GETATTR
	r.Size, r.Change, r.Mtime = f.Size, f.Change, f.Mtime
	s.send(r, out)
}

// setDelegatedMtime is nfsd4_setattr with a delegated mtime
// (vet_deleg_attrs): a time later than the delegation's grant and not in
// the future sets mtime and ctime, and so moves the change attribute.
func (s *Server) setDelegatedMtime(now Time, d *Deleg, mtime Time) {
	if mtime <= d.MtimeAtGrant || mtime > now {
		return
	}
	f := s.file(d.File)
	f.Mtime = mtime
	f.Change++
	d.setattr = true
}

// complete finishes an access that nothing (any longer) blocks.
func (s *Server) complete(now Time, w *waiter, out *Output) {
	s.completeReq(now, &w.req, w.haveCB && w.cbModified, w.cbSize, w.cbMtime, out)
}

// completeReq is complete for request m; cbModified says a CB_GETATTR
// answer showed the holder modified the file, with size cbSize.
func (s *Server) completeReq(now Time, m *Message, cbModified bool, cbSize int64, cbMtime Time, out *Output) {
	f := s.file(m.File)
	switch m.Kind {
	case MsgOpen:
		s.openGranted(now, m, out)
		return
	case MsgSetattr:
		// The model's SETATTR may truncate: data time and change move.
		f.Change++
		f.Mtime = now
	case MsgSysChmod, MsgRename, MsgSysRename:
		// notify_change of the mode, or a rename: ctime (and with it the
		// change attribute) moves, mtime does not.
		f.Change++
	case MsgRemove, MsgSysUnlink:
		f.Exists, f.Size, f.Data = false, 0, 0
		f.Change++
	case MsgSysOpen:
		if m.Access&AccessWrite != 0 && m.Data != 0 {
			// open-write with bytes: the local process replaces the
			// contents (O_TRUNC then write).
			f.Size, f.Data, f.Mtime = m.Size, m.Data, now
			f.Change++
		}
		if m.Access&AccessWrite != 0 && m.Flags&FlagKeepOpen != 0 {
			f.Writers++ // get_write_access until the close
		}
	}
	r := s.replyMsg(m, StatusOK)
	r.Size, r.Data, r.Change, r.Bytes, r.Mtime = f.Size, f.Data, f.Change, f.Size, f.Mtime
	if cbModified {
		// nfsd4_deleg_getattr_conflict: the holder changed the file, so
		// nfsd bumps mtime/ctime (and with it the change attribute) and
		// reports the holder's size. A holder of delegated timestamps
		// sent its own mtime (time_deleg_modify), which nfsd sets.
		f.Change++
		f.Mtime = now
		if cbMtime != 0 {
			f.Mtime = cbMtime
		}
		r.Size, r.Change, r.Mtime = cbSize, f.Change, f.Mtime
	}
	s.send(r, out)
}

// fail ends a conflicting access: NFS4ERR_DELAY to a client, EAGAIN to a
// local process.
func (s *Server) fail(now Time, w *waiter, out *Output) {
	if w.access.IsLocal() {
		out.event(Event{Kind: EvLocalEAGAIN, Actor: ServerID, File: w.req.File, Client: w.from, Why: "__break_lease: O_NONBLOCK open of a file with a conflicting lease returns EWOULDBLOCK"})
		s.reply(&w.req, ErrEAGAIN, out)
		return
	}
	out.event(Event{Kind: EvNfsdDelay, Actor: ServerID, File: w.req.File, Client: w.from, Why: "conflict with a delegation being recalled: NFS4ERR_DELAY"})
	s.reply(&w.req, NFS4ErrDelay, out)
}

// syscall serves a local process's system call against the VFS.
func (s *Server) syscall(now Time, m *Message, out *Output) {
	if m.Kind == MsgSysClose {
		// The descriptor outlives an unlink of its name.
		if f := s.file(m.File); m.Access&AccessWrite != 0 && f.Writers > 0 {
			f.Writers-- // put_write_access
		}
		s.reply(m, StatusOK, out)
		return
	}
	if !s.file(m.File).Exists {
		s.reply(m, ErrENOENT, out)
		return
	}
	switch m.Kind {
	case MsgSysSetflags:
		// FS_IOC_SETFLAGS through a descriptor already open: no lease
		// break (the open did that); the inode's ctime moves.
		f := s.file(m.File)
		f.Change++
		r := s.replyMsg(m, StatusOK)
		r.Size, r.Change, r.Mtime = f.Size, f.Change, f.Mtime
		s.send(r, out)
	case MsgSysStat:
		s.access(now, m, AccessLocalStat, false, false, out)
	case MsgSysOpen:
		s.access(now, m, AccessLocalOpen, m.Access&AccessWrite != 0, m.NonBlk, out)
	default: // unlink, rename, chmod: try_break_deleg, then break_deleg_wait
		s.access(now, m, AccessLocalMeta, true, false, out)
	}
}
