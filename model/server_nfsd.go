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
			// nfs4_get_vfs_file checks share reservations
			// (nfs4_file_get_access, nfs4_file_check_deny) before
			// nfsd_open_break_lease: a denied OPEN recalls nothing.
			if st := s.shareConflict(m); st != StatusOK {
				s.reply(m, st, out)
				return
			}
			s.access(now, m, AccessRemoteOpen, m.Access&AccessWrite != 0, true, out)
		}
	case MsgOpenConfirm:
		c.confirmed |= 1 << m.Owner
		s.reply(m, StatusOK, out)
	case MsgClose:
		s.close(m, out)
	case MsgWrite:
		if st := s.checkStateid(m, true); st != StatusOK {
			// No open state and no delegation (dropped with an expired
			// client), a revoked delegation, or an open without write
			// access: the write is refused.
			s.reply(m, st, out)
			return
		}
		s.write(now, m, out)
	case MsgGetattr:
		s.access(now, m, AccessRemoteGetattr, false, false, out)
	case MsgSetattr, MsgRemove, MsgRename, MsgLink:
		if st := s.namespaceCheck(m); st != StatusOK {
			s.reply(m, st, out)
			return
		}
		if m.Kind == MsgSetattr && m.Attrs&AttrSize != 0 {
			// A SETATTR of size carries a stateid that must allow
			// writing (nfsd4_setattr: nfs4_preprocess_stateid_op).
			if st := s.checkStateid(m, true); st != StatusOK {
				s.reply(m, st, out)
				return
			}
		}
		s.access(now, m, AccessRemoteMeta, true, false, out)
	case MsgRead:
		// nfsd4_read: nfs4_preprocess_stateid_op checks the stateid;
		// a READ is allowed through any open (access_permit_read) or
		// delegation of the file.
		if st := s.checkStateid(m, false); st != StatusOK {
			s.reply(m, st, out)
			return
		}
		f := s.file(m.File)
		r := s.replyMsg(m, StatusOK)
		r.Size, r.Data, r.Change, r.Bytes, r.Mtime = f.Size, f.Data, f.Change, f.Size, f.Mtime
		s.send(r, out)
	case MsgDelegReturn:
		s.delegReturn(now, m, out)
	case MsgTestStateid:
		s.reply(m, s.testStateid(m.From, m.Stateid), out)
	case MsgFreeStateid:
		s.reply(m, s.freeStateid(m.From, m.Stateid), out)
	case MsgGetDirDeleg:
		s.getDirDeleg(now, m, out)
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

// namespaceCheck answers what nfsd finds before any lease break: the
// file must exist (NFS4ERR_NOENT), and a LINK's new name must not
// (NFS4ERR_EXIST, vfs_link on a positive dentry).
func (s *Server) namespaceCheck(m *Message) Status {
	switch {
	case !s.file(s.reqIno(m)).Exists:
		return NFS4ErrNoent
	case m.Kind == MsgLink && s.files[s.ino(m.Target)].Exists:
		return NFS4ErrExist
	}
	return StatusOK
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

// checkStateid checks the stateid of a READ, WRITE or SETATTR of size
// (nfs4_preprocess_stateid_op): the client's delegation of the file
// (nfs4_check_delegmode: a write needs a write delegation), or its open
// of the file (nfs4_check_openmode: NFS4ERR_OPENMODE for a write through
// a read-only open). A delegation the laundromat revoked answers
// NFS4ERR_DELEG_REVOKED while nfsd keeps it (v4.1+: until FREE_STATEID);
// anything else NFS4ERR_BAD_STATEID. The all-zero stateid is the
// anonymous one (RFC 8881 §8.2.3): allowed unless an open's share deny
// forbids the access (check_special_stateids → nfs4_share_conflict).
func (s *Server) checkStateid(m *Message, write bool) Status {
	if m.Stateid == 0 {
		want := AccessRead
		if write {
			want = AccessWrite
		}
		for _, o := range s.opens {
			if o.file == m.File && o.deny&want != 0 {
				return NFS4ErrLocked
			}
		}
		return StatusOK
	}
	if i := s.delegIndex(m.Stateid); i >= 0 && s.delegs[i].Client == m.From && s.delegs[i].File == m.File {
		if write && !s.delegs[i].Type.Writes() {
			return NFS4ErrOpenMode
		}
		return StatusOK
	}
	if s.isRevoked(m.From, m.Stateid) {
		return NFS4ErrDelegRevoked
	}
	i := s.openByStateid(m.From, m.Stateid)
	switch {
	case i < 0 || s.opens[i].file != m.File:
		return NFS4ErrBadStateid
	case write && s.opens[i].access&AccessWrite == 0:
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
		r.Seq = s.seqFlags(r.To)
	}
	out.send(r)
}

func (s *Server) holdsDelegs(id ActorID) bool {
	return slices.ContainsFunc(s.delegs, func(d Deleg) bool { return d.Client == id })
}

func (s *Server) reply(m *Message, st Status, out *Output) { s.send(s.replyMsg(m, st), out) }

// openIndex finds open-owner o's open of f by client c: one open
// stateid per open-owner and file (nfsd4_find_existing_open).
func (s *Server) openIndex(c ActorID, o uint8, f FileID) int {
	return slices.IndexFunc(s.opens, func(st openState) bool { return st.client == c && st.owner == o && st.file == f })
}

// openByStateid finds client c's open with the given stateid.
func (s *Server) openByStateid(c ActorID, id uint32) int {
	if id == 0 {
		return -1
	}
	return slices.IndexFunc(s.opens, func(st openState) bool { return st.client == c && st.stateid == id })
}

// shareConflict applies OPEN's share reservations (nfs4_file_get_access,
// nfs4_file_check_deny; RFC 8881 §18.16.3): the new access may not be one
// another open denies, nor the new deny one another open has. Opens of
// the same open-owner (an upgrade) do not count; opens of other owners of
// the same client do. Local processes take no share reservations (the
// VFS has none), so only NFSv4 opens take part.
func (s *Server) shareConflict(m *Message) Status {
	var access, deny Access
	for _, o := range s.opens {
		if o.file != m.File || (o.client == m.From && o.owner == m.Owner) {
			continue
		}
		access |= o.access
		deny |= o.deny
	}
	if m.Access&deny != 0 || m.Deny&access != 0 {
		return NFS4ErrShareDenied
	}
	return StatusOK
}

// openGranted finishes an OPEN that met no conflict: create the file if
// asked, record the open, and decide on a delegation.
func (s *Server) openGranted(now Time, m *Message, out *Output) {
	f := s.file(m.File)
	if !f.Exists {
		f.Exists, f.Size, f.Data, f.Mtime = true, 0, 0, now
		f.Change++
		s.dirChanged()
	} else if m.Flags&FlagTrunc != 0 && m.Access&AccessWrite != 0 {
		// O_CREAT|O_TRUNC sends size 0 in the OPEN's attributes:
		// nfsd4_truncate runs nfsd_setattr. Its wait for DELEGRETURN
		// (nfsd_wait_for_delegreturn) finds no lease to wait for:
		// nfsd_open_break_lease, for write access, already refused the
		// OPEN while any lease but the opener's own was on the file.
		f.Size, f.Data, f.Mtime = 0, 0, now
		f.Change++
	}
	r := s.replyMsg(m, StatusOK)
	fresh := false
	if i := s.openIndex(m.From, m.Owner, m.File); i >= 0 {
		// OPEN upgrade: same stateid, access and deny join
		// (nfs4_upgrade_open).
		s.opens[i].access |= m.Access
		s.opens[i].deny |= m.Deny
		r.Stateid = s.opens[i].stateid
	} else {
		r.Stateid = s.nextStateid
		s.nextStateid++
		s.opens = append(s.opens, openState{client: m.From, file: m.File, stateid: r.Stateid, access: m.Access,
			deny: m.Deny, owner: m.Owner})
		fresh = true
	}
	c := s.clients[m.From]
	// RFC 7530 §16.16.5: a v4.0 open-owner's first OPEN needs OPEN_CONFIRM.
	r.Confirm = c.minor == 0 && c.confirmed&(1<<m.Owner) == 0
	if m.Flags&FlagClaimDelegCur == 0 {
		// nfs4_open_delegation considers CLAIM_NULL and CLAIM_FH only.
		r.Deleg, r.DelegID, r.Why = s.grant(now, m, out)
	} else {
		r.Why = s.noneExt(m)
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
// offered; the server's state can still refuse it. A client that wants
// none gets none (nfsd4_process_open2, sessions only); the kind of
// delegation a client wants changes nothing else: nfsd offers what the
// open's share access allows, and answers a refusal OPEN_DELEGATE_NONE_EXT
// when the OPEN carried want bits.
func (s *Server) grant(now Time, m *Message, out *Output) (DelegType, uint32, WhyNoDeleg) {
	c := s.clients[m.From]
	if m.Want == WantNoDeleg && c.minor >= 1 {
		out.event(Event{Kind: EvDelegRefused, Actor: ServerID, File: m.File, Client: m.From,
			Why: "OPEN4_SHARE_ACCESS_WANT_NO_DELEG: the client wants none, OPEN_DELEGATE_NONE_EXT with WND4_NOT_WANTED (nfsd4_process_open2)"})
		return DelegNone, 0, WhyNotWanted
	}
	kern := kernelGrant(s.prof, c.minor, m.Access)
	want := s.pol.Grant(GrantInfo{Profile: s.prof, Minor: c.minor, Access: m.Access, Kernel: kern})
	if want == DelegNone {
		return DelegNone, 0, s.noneExt(m)
	}
	if why := s.refuse(now, m, want); why != "" {
		out.event(Event{Kind: EvDelegRefused, Actor: ServerID, File: m.File, Client: m.From, Deleg: want, Why: why})
		return DelegNone, 0, s.noneExt(m)
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
	out.event(Event{Kind: EvGrant, Actor: ServerID, File: m.File, Client: m.From, Deleg: want, Stateid: d.ID, Why: "nfs4_open_delegation: delegation offered with the OPEN"})
	return want, d.ID, WhyNone
}

// noneExt is the reason an OPEN that gets no delegation is told
// (nfsd4_open_deleg_none_ext), if its share access carried want bits: a
// v4.1+ OPEN with OPEN4_SHARE_ACCESS_WANT_*, or a 4.2 client asking for
// delegated timestamps or open-XOR-delegation (the 7.2 captures answer
// those OPEN_DELEGATE_NONE_EXT). nfs4_open_delegation passes it a status
// that is never -EAGAIN, so nfsd says WND4_RESOURCE, never
// WND4_CONTENTION; WND4_CANCELLED for a want of cancel. nfsd never
// signals a delegation later, whatever the client asked.
func (s *Server) noneExt(m *Message) WhyNoDeleg {
	wants := m.Want != WantNone || m.Flags&(FlagWantTimes|FlagWantXor) != 0
	switch {
	case !wants || s.clients[m.From].minor == 0:
		return WhyNone
	case m.Want == WantCancel:
		return WhyCancelled
	}
	return WhyResource
}

// refuse returns why server state rules out a delegation, or "".
func (s *Server) refuse(now Time, m *Message, want DelegType) string {
	c := s.clients[m.From]
	switch {
	case !s.cbGood(m.From):
		return "callback path not up: nfsd offers no delegation (nfsd4_cb_channel_good)"
	case s.par.inGrace(now):
		return "grace period: no delegations (nfs4_open_delegation: locks_in_grace, nfsd's or lockd's)"
	case c.minor == 0 && c.confirmed&(1<<m.Owner) == 0:
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
	i := s.openByStateid(m.From, m.Stateid)
	if i < 0 || s.opens[i].file != m.File {
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
		st := NFS4ErrBadStateid
		if s.isRevoked(m.From, m.Stateid) {
			st = NFS4ErrDelegRevoked // nfsd4_delegreturn finds it revoked
		}
		s.reply(m, st, out)
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
// (vet_deleg_attrs, nfsd4_vet_deleg_time): a time later than the
// delegation's grant sets mtime and ctime, and so moves the change
// attribute; one in the server's future is clamped to its present.
func (s *Server) setDelegatedMtime(now Time, d *Deleg, mtime Time) {
	if mtime <= d.MtimeAtGrant {
		return
	}
	mtime = min(mtime, now)
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
	f := s.file(s.reqIno(m))
	switch m.Kind {
	case MsgOpen:
		s.openGranted(now, m, out)
		return
	case MsgSetattr, MsgSysTruncate, MsgSysUtimes, MsgSysChmod:
		s.setattr(now, f, m)
	case MsgRename, MsgSysRename:
		if m.Target != m.File {
			s.renameOver(m.File, m.Target)
		} else {
			// A rename to a name outside the scenario: the inode's
			// ctime (and with it the change attribute) moves, mtime
			// does not.
			f.Change++
			s.dirChanged()
		}
	case MsgLink, MsgSysLink:
		s.link(s.ino(m.File), m.Target)
	case MsgRemove, MsgSysUnlink:
		s.unlinkName(m.File)
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
	if !s.file(s.reqIno(m)).Exists {
		s.reply(m, ErrENOENT, out)
		return
	}
	if m.Kind == MsgSysLink && s.files[s.ino(m.Target)].Exists {
		s.reply(m, ErrEEXIST, out) // vfs_link onto a positive dentry
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

// setattr applies a SETATTR or a local truncate, chmod or utimes
// (notify_change): a new size replaces the contents (the setter's
// m.Data names what is left, 0 when nothing is) and moves mtime and
// ctime; a mode moves ctime only; times set mtime (to now: utimes(NULL),
// touch) and ctime. The change attribute follows ctime. A SETATTR that
// names no attributes (the scenario format's plain setattr) sets the
// times.
func (s *Server) setattr(now Time, f *File, m *Message) {
	attrs := m.Attrs
	switch m.Kind {
	case MsgSysTruncate:
		attrs = AttrSize
	case MsgSysChmod:
		attrs = AttrMode
	case MsgSysUtimes:
		attrs = AttrTimes
	}
	if attrs == 0 {
		attrs = AttrTimes
	}
	if attrs&AttrSize != 0 {
		f.Size, f.Data = m.Size, m.Data
		if m.Size == 0 {
			f.Data = 0
		}
	}
	if attrs&(AttrSize|AttrTimes) != 0 {
		f.Mtime = now
	}
	f.Change++
}
