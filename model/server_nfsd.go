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
		f := s.file(m.File)
		f.Size, f.Data, f.Mtime = m.Size, m.Data, now
		f.Change++
		r := s.replyMsg(m, StatusOK)
		r.Size, r.Data, r.Change = f.Size, f.Data, f.Change
		s.send(r, out)
	case MsgGetattr:
		s.access(now, m, AccessRemoteGetattr, false, false, out)
	case MsgSetattr, MsgRemove, MsgRename:
		s.access(now, m, AccessRemoteMeta, true, false, out)
	case MsgRead:
		f := s.file(m.File)
		r := s.replyMsg(m, StatusOK)
		r.Size, r.Data, r.Change, r.Bytes = f.Size, f.Data, f.Change, f.Size
		s.send(r, out)
	case MsgDelegReturn:
		s.delegReturn(now, m, out)
	default: // MsgCommit, MsgRenew
		s.reply(m, StatusOK, out)
	}
}

// mayWrite checks a WRITE's stateid: the client's write delegation on the
// file, or its open of the file with write access (nfs4_check_openmode:
// NFS4ERR_OPENMODE for a read-only open).
func (s *Server) mayWrite(m *Message) Status {
	if i := s.delegIndex(m.Stateid); i >= 0 && s.delegs[i].Client == m.From && s.delegs[i].File == m.File && s.delegs[i].Type == DelegWrite {
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

// send emits a reply; fore-channel replies carry the SEQUENCE flag that
// tells a client one of its delegations was revoked.
func (s *Server) send(r Message, out *Output) {
	if r.Kind.Channel() == ChanFore && s.clients[r.To].revoked != 0 {
		r.Revoked = s.clients[r.To].revoked
		s.clients[r.To].revoked = 0
	}
	out.send(r)
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
	if i := s.openIndex(m.From, m.File); i >= 0 {
		s.opens[i].access |= m.Access // OPEN upgrade: same stateid
		r.Stateid = s.opens[i].stateid
	} else {
		r.Stateid = s.nextStateid
		s.nextStateid++
		s.opens = append(s.opens, openState{client: m.From, file: m.File, stateid: r.Stateid, access: m.Access})
	}
	c := s.clients[m.From]
	r.Confirm = c.minor == 0 && !c.confirmed // RFC 7530 §16.16.5: new open-owner
	r.Deleg, r.DelegID = s.grant(now, m, out)
	r.Size, r.Data, r.Change = f.Size, f.Data, f.Change
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
	f := s.file(m.File)
	d := Deleg{ID: s.nextStateid, File: m.File, Client: m.From, Type: want, LeaseType: want,
		ChangeAtGrant: f.Change, SizeAtGrant: f.Size}
	s.nextStateid++
	s.delegs = append(s.delegs, d)
	out.event(Event{Kind: EvGrant, Actor: ServerID, File: m.File, Client: m.From, Deleg: want, Why: "nfs4_open_delegation: delegation offered with the OPEN"})
	return want, d.ID
}

// refuse returns why server state rules out a delegation, or "".
func (s *Server) refuse(now Time, m *Message, want DelegType) string {
	c := s.clients[m.From]
	switch {
	case !c.cbUp:
		return "callback path down: nfsd offers no delegation"
	case now < s.par.Grace:
		return "grace period: no delegations (nfs4_open_delegation)"
	case c.minor == 0 && !c.confirmed:
		return "v4.0 open-owner not yet confirmed: no delegation"
	case s.block.blocked(now, s.par.BlockPeriod, m.File):
		return "recently recalled: delegation_blocked"
	case s.files[m.File].HadConflict:
		return "fi_had_conflict: a lease on this file was broken"
	}
	for _, d := range s.delegs {
		if d.File != m.File {
			continue
		}
		if d.Client == m.From {
			return "client already holds a delegation (nfs4_delegation_exists)"
		}
		if want == DelegWrite || d.LeaseType == DelegWrite {
			return "conflicting lease held by another client"
		}
	}
	for _, o := range s.opens {
		if o.file != m.File || o.client == m.From {
			continue
		}
		// nfsd4_check_conflicting_opens looks only at writers: another
		// client's read-only open does not prevent a write delegation.
		if o.access&AccessWrite != 0 {
			return "file open for write by another client (nfsd4_check_conflicting_opens)"
		}
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
	s.reply(m, StatusOK, out)
}

func (s *Server) delegReturn(now Time, m *Message, out *Output) {
	i := s.delegIndex(m.Stateid)
	if i < 0 || s.delegs[i].Client != m.From {
		s.reply(m, NFS4ErrBadStateid, out)
		return
	}
	s.reply(m, StatusOK, out)
	s.removeDeleg(now, i, EvReturn, "nfsd4_delegreturn: lease removed", out)
}

// complete finishes an access that nothing (any longer) blocks.
func (s *Server) complete(now Time, w *waiter, out *Output) {
	s.completeReq(now, &w.req, w.haveCB && w.cbModified, w.cbSize, out)
}

// completeReq is complete for request m; cbModified says a CB_GETATTR
// answer showed the holder modified the file, with size cbSize.
func (s *Server) completeReq(now Time, m *Message, cbModified bool, cbSize int64, out *Output) {
	f := s.file(m.File)
	switch m.Kind {
	case MsgOpen:
		s.openGranted(now, m, out)
		return
	case MsgSetattr, MsgSysChmod, MsgRename, MsgSysRename:
		f.Change++
		f.Mtime = now
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
	}
	r := s.replyMsg(m, StatusOK)
	r.Size, r.Data, r.Change, r.Bytes = f.Size, f.Data, f.Change, f.Size
	if cbModified {
		// nfsd4_deleg_getattr_conflict: the holder changed the file, so
		// nfsd bumps mtime/ctime (and with it the change attribute) and
		// reports the holder's size.
		f.Change++
		f.Mtime = now
		r.Size, r.Change = cbSize, f.Change
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
	if !s.file(m.File).Exists {
		s.reply(m, ErrENOENT, out)
		return
	}
	switch m.Kind {
	case MsgSysStat:
		s.access(now, m, AccessLocalStat, false, false, out)
	case MsgSysOpen:
		s.access(now, m, AccessLocalOpen, m.Access&AccessWrite != 0, m.NonBlk, out)
	default: // unlink, rename, chmod: try_break_deleg, then break_deleg_wait
		s.access(now, m, AccessLocalMeta, true, false, out)
	}
}
