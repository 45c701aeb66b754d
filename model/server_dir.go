package model

// Directory delegations (RFC 8881 §10.9). From 6.10 nfsd decodes
// GET_DIR_DELEGATION and answers GDD4_UNAVAIL; later releases grant a
// read delegation on the directory, a VFS lease like a file's
// (nfsd_get_dir_deleg: "nfsd: wire up GET_DIR_DELEGATION handling"),
// recalled with CB_RECALL when a name in the directory is created,
// removed, renamed or linked (vfs_create, vfs_unlink, vfs_rename and
// vfs_link break a delegation on the parent: try_break_deleg(dir)); the
// 7.2 captures show the grant and its DELEGRETURN. The model's files all
// live in the one directory a scenario may declare (`dir: true`).

// getDirDeleg serves GET_DIR_DELEGATION on directory m.File. The reply
// carries the delegation stateid in DelegID, or DelegNone for
// GDD4_UNAVAIL.
func (s *Server) getDirDeleg(now Time, m *Message, out *Output) {
	r := s.replyMsg(m, StatusOK)
	f := s.file(m.File)
	switch why := s.refuseDir(now, m); {
	case !f.Dir:
		r.Status = ErrEINVAL // the model's clients ask it of the directory only
	case why != "":
		out.event(Event{Kind: EvDelegRefused, Actor: ServerID, File: m.File, Client: m.From, Deleg: DelegRead, Why: why})
	default:
		d := Deleg{ID: s.nextStateid, File: m.File, Client: m.From, Type: DelegRead, LeaseType: DelegRead,
			ChangeAtGrant: f.Change, SizeAtGrant: f.Size, MtimeAtGrant: f.Mtime}
		s.nextStateid++
		s.delegs = append(s.delegs, d)
		r.Deleg, r.DelegID = DelegRead, d.ID
		out.event(Event{Kind: EvGrant, Actor: ServerID, File: m.File, Client: m.From, Deleg: DelegRead, Stateid: d.ID,
			Why: "nfsd_get_dir_deleg: GET_DIR_DELEGATION granted a read delegation on the directory (GDD4_OK)"})
	}
	r.Size, r.Change, r.Mtime = f.Size, f.Change, f.Mtime
	s.send(r, out)
}

// refuseDir returns why nfsd answers GDD4_UNAVAIL, or "".
func (s *Server) refuseDir(now Time, m *Message) string {
	switch {
	case !s.prof.DirDeleg:
		return "GET_DIR_DELEGATION answered GDD4_UNAVAIL: this release grants no directory delegations (nfsd4_get_dir_delegation)"
	case !s.cbGood(m.From):
		return "callback path not up: GDD4_UNAVAIL (nfsd4_cb_channel_good)"
	case s.par.inGrace(now):
		return "grace period: GDD4_UNAVAIL (locks_in_grace)"
	case s.block.blocked(now, s.par.BlockPeriod, m.File, s.prof.BlockedSwapBug):
		return "directory recently recalled: GDD4_UNAVAIL (delegation_blocked)"
	case s.files[m.File].HadConflict:
		return "fi_had_conflict: GDD4_UNAVAIL"
	}
	for _, d := range s.delegs {
		if d.File == m.File && d.Client == m.From {
			return "client already holds the directory's delegation (nfs4_delegation_exists)"
		}
	}
	return ""
}
