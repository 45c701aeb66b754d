package model

// Stages of a multi-RPC application operation.
const (
	stageStart      uint8 = iota
	stageWrite            // WRITE sent (flush)
	stageCommit           // COMMIT sent
	stageClose            // CLOSE sent
	stageConfirm          // OPEN_CONFIRM sent (v4.0)
	stageMain             // the operation's own RPC sent
	stageRevalidate       // GETATTR before a read: the attribute cache ran out
	stageReturn           // waiting for a delegation the operation returns first
	stageRecover          // waiting for state recovery after a lost delegation
	stageTrunc            // SETATTR of size 0 after an OPEN with O_TRUNC
)

// run advances the current application operation from its stage.
func (c *Client) run(now Time, out *Output) {
	st := &c.cfg.Script[c.cur.step]
	cf := &c.files[st.File]
	if st.Kind != OpOpen && st.Kind != OpWrite {
		cf.referenced = true
	}
	own := &cf.own[st.Owner]
	switch st.Kind {
	case OpOpen:
		c.open(now, st, out)
	case OpWrite:
		if own.opens == 0 || own.access&AccessWrite == 0 {
			c.finish(now, ErrEBADF, out) // write(2) needs a descriptor open for writing
			return
		}
		cf.referenced = true
		c.writes++
		cf.size += st.Bytes
		cf.data = DataValue(c.cfg.Index, c.writes)
		cf.cached = true
		if cf.deleg == DelegWriteAttrs {
			cf.mtime = now // nfs_update_delegated_mtime: the client owns mtime
		}
		c.markDirty(now, st.File, out)
		c.cur.size, c.cur.data = cf.size, cf.data
		c.finish(now, StatusOK, out)
	case OpClose, OpFsync:
		if st.Kind == OpClose && own.opens == 0 {
			c.finish(now, ErrEBADF, out)
			return
		}
		c.flushThen(now, st, out)
	case OpStat, OpLookup:
		c.stat(now, st, out)
	case OpRead:
		if own.opens == 0 {
			c.finish(now, ErrEBADF, out) // read(2) needs an open descriptor
			return
		}
		c.read(now, st, out)
	case OpSetattr, OpRemove, OpRename, OpLink:
		c.meta(now, st, out)
	default:
		c.finish(now, ErrEINVAL, out)
	}
}

// stat is nfs_getattr. Dirty pages are written back first so that the
// server's mtime and size are current (filemap_write_and_wait); with a
// delegated mtime the client only starts that writeback and answers
// (filemap_fdatawrite). Then attributes a delegation or the attribute
// cache vouches for are answered without a GETATTR. A lookup of the
// directory on a release with directory delegations asks for one
// (GET_DIR_DELEGATION) unless it holds one.
func (c *Client) stat(now Time, st *ClientStep, out *Output) {
	cf := &c.files[st.File]
	if cf.dirty {
		if cf.deleg != DelegWriteAttrs {
			c.flush(now, st.File, st.Owner, out)
			return
		}
		if !c.writingBack(st.File) {
			c.writeback(now, st.File, "stat(2) under a delegated mtime starts writeback without waiting (nfs_getattr: filemap_fdatawrite)", out)
		}
	}
	if st.Kind == OpLookup && c.cfg.Profile.DirDeleg && c.cfg.Minor >= 1 && !cf.deleg.Held() {
		c.cur.stage = stageMain
		c.send(now, Message{Kind: MsgGetDirDeleg, File: st.File}, forApp, out)
		return
	}
	if c.attrsValid(now, cf) {
		c.cur.size, c.cur.change, c.cur.mtime = cf.size, cf.change, cf.mtime
		if cf.deleg == DelegNone {
			c.cur.cached, c.cur.attrsAt = true, cf.attrAt
		}
		c.finish(now, StatusOK, out)
		return
	}
	c.cur.stage = stageMain
	c.send(now, Message{Kind: MsgGetattr, File: st.File}, forApp, out)
}

// read is read(2) of the whole file: from the page cache when it holds
// the contents the attributes describe; the attributes are revalidated
// first once the attribute cache has run out (nfs_revalidate_mapping),
// and a change seen then sends the read to the server, with the stateid
// nfs4_select_rw_stateid picks.
func (c *Client) read(now Time, st *ClientStep, out *Output) {
	cf := &c.files[st.File]
	if c.cur.stage == stageStart && !c.attrsValid(now, cf) && !cf.dirty {
		c.cur.stage = stageRevalidate
		c.send(now, Message{Kind: MsgGetattr, File: st.File}, forApp, out)
		return
	}
	if cf.cached {
		c.cur.size, c.cur.data = cf.size, cf.data
		c.finish(now, StatusOK, out)
		return
	}
	c.cur.stage = stageMain
	c.send(now, Message{Kind: MsgRead, File: st.File, Stateid: cf.ioStateid(st.Owner, false)}, forApp, out)
}

// open: an open the client's delegation covers is done locally; others
// send OPEN (O_EXCL creates always go to the server, and so do opens
// with a share deny or a delegation want: a local open could honour
// neither). A 4.2 client asks for delegated timestamps and
// open-XOR-delegation where the server advertises them
// (FATTR4_OPEN_ARGUMENTS, nfs4_map_atomic_open_share). O_TRUNC goes in
// the OPEN of an O_CREAT open (size 0 in the create attributes); without
// O_CREAT the VFS truncates after the open (handle_truncate), a SETATTR
// of size 0.
func (c *Client) open(now Time, st *ClientStep, out *Output) {
	cf := &c.files[st.File]
	if c.cur.stage == stageStart && !st.Excl && !cf.returning && st.Deny == 0 && st.Want == WantNone &&
		(cf.deleg.Writes() || (cf.deleg.Held() && st.Access == AccessRead)) {
		cf.openOwner(st.Owner, st.Access)
		cf.referenced = true
		c.cur.size, c.cur.data = cf.size, cf.data
		if st.Trunc {
			c.truncateAfterOpen(now, st, out)
			return
		}
		c.finish(now, StatusOK, out)
		return
	}
	c.cur.stage = stageMain
	m := Message{Kind: MsgOpen, File: st.File, Access: st.Access, Create: st.Create, Excl: st.Excl,
		Deny: st.Deny, Want: st.Want, Owner: st.Owner}
	if st.Trunc && st.Create {
		m.Flags |= FlagTrunc
	}
	if c.cfg.Minor >= 2 && c.cfg.Profile.OpenXorDeleg {
		m.Flags |= FlagWantTimes | FlagWantXor
	}
	c.send(now, m, forApp, out)
}

// truncateAfterOpen sends the SETATTR of size 0 with which the VFS
// truncates an O_TRUNC open that did not create (nfs4_proc_setattr with
// ATTR_OPEN): it carries the open's (or the delegation's) stateid.
func (c *Client) truncateAfterOpen(now Time, st *ClientStep, out *Output) {
	cf := &c.files[st.File]
	c.cur.stage = stageTrunc
	c.send(now, Message{Kind: MsgSetattr, File: st.File, Attrs: AttrSize, Stateid: cf.ioStateid(st.Owner, true)}, forApp, out)
}

// flush sends the dirty pages of f as the current operation's WRITE.
// Once the file's open state could not be recovered the pages fail
// without an RPC (nfs4_select_rw_stateid: -EIO).
func (c *Client) flush(now Time, f FileID, owner uint8, out *Output) {
	cf := &c.files[f]
	if cf.stateLost {
		c.dropDirty(f)
		c.cur.stage = stageStart
		c.run(now, out)
		return
	}
	c.cur.stage, c.cur.ffile = stageWrite, f
	c.cur.flushed, c.cur.size, c.cur.data = true, cf.size, cf.data
	c.send(now, Message{Kind: MsgWrite, File: f, Stateid: cf.ioStateid(owner, true), Size: cf.size, Data: cf.data, Bytes: cf.size}, forApp, out)
}

// flushThen runs close(2) or fsync(2): write back dirty pages (all of
// them and wait, or under a space-limited write delegation on close only
// start it: nfs4_file_flush), then for the owner's last close of state
// from a real OPEN, CLOSE. An open-XOR-delegation OPEN left no open
// state, so its close sends nothing. A write-back error since the last
// close or fsync is reported now (filemap_check_wb_err), as EIO.
func (c *Client) flushThen(now Time, st *ClientStep, out *Output) {
	cf := &c.files[st.File]
	if cf.dirty {
		if st.Kind == OpClose && cf.deleg.Writes() && c.cfg.CloseFlush == FlushStart {
			c.writeback(now, st.File, "close(2) under a space-limited write delegation only starts writeback (nfs4_file_flush)", out)
		} else {
			c.flush(now, st.File, st.Owner, out)
			return
		}
	}
	result := StatusOK
	if cf.wbErr {
		result, cf.wbErr = ErrEIO, false
	}
	if st.Kind == OpFsync {
		c.finish(now, result, out)
		return
	}
	o := &cf.own[st.Owner]
	cf.closeOwner(st.Owner)
	if o.opens > 0 || !o.rpcOpen {
		c.closed(now, st.File, out)
		c.finish(now, result, out)
		return
	}
	c.cur.result = result
	c.cur.stage = stageClose
	c.send(now, Message{Kind: MsgClose, File: st.File, Stateid: o.stateid, Owner: st.Owner}, forApp, out)
}

// closed runs after the last close: a delegation marked for return when
// closed goes back now.
func (c *Client) closed(now Time, f FileID, out *Output) {
	if cf := &c.files[f]; cf.opens == 0 && cf.returnWhen && !cf.returning {
		c.returnDeleg(now, f, out)
	}
}

// appReply handles the reply to the current operation's RPC.
func (c *Client) appReply(now Time, m *Message, out *Output) {
	st := &c.cfg.Script[c.cur.step]
	cf := &c.files[st.File]
	if m.Status == NFS4ErrDelay {
		c.retryLater(now, out)
		return
	}
	io := st.File // the file the RPC was about: a flush may be of another
	if c.cur.stage == stageWrite {
		io = c.cur.ffile
	}
	if c.lostDeleg(io, c.cur.sid, m.Status) {
		// nfs4_async_handle_exception: recover the state, then the
		// same I/O again.
		c.cur.stage = stageRecover
		c.recoverDeleg(now, io, m.Status, out)
		return
	}
	switch c.cur.stage {
	case stageWrite:
		c.written(now, io, c.cur.data, m, out)
		if m.Status != StatusOK {
			c.finish(now, m.Status, out)
			return
		}
		c.cur.stage = stageCommit
		c.send(now, Message{Kind: MsgCommit, File: io}, forApp, out)
	case stageCommit:
		if st.Kind != OpClose && st.Kind != OpFsync {
			c.cur.stage = stageStart
			c.run(now, out)
			return
		}
		c.flushThen(now, st, out)
	case stageClose:
		cf.own[st.Owner].rpcOpen = false
		if m.Status == StatusOK {
			c.refresh(now, cf, m) // CLOSE's compound has a GETATTR
		}
		c.closed(now, st.File, out)
		result := m.Status
		if result == StatusOK {
			result = c.cur.result
		}
		c.finish(now, result, out)
	case stageConfirm:
		c.finish(now, m.Status, out)
	case stageTrunc:
		if m.Status == StatusOK {
			c.truncated(now, cf, m, 0, 0)
			c.cur.size, c.cur.data = cf.size, cf.data
		}
		c.finish(now, m.Status, out)
	case stageRevalidate:
		if m.Status != StatusOK {
			c.finish(now, m.Status, out)
			return
		}
		c.refresh(now, cf, m)
		c.read(now, st, out)
	case stageMain:
		c.mainReply(now, st, m, out)
	}
}

func (c *Client) mainReply(now Time, st *ClientStep, m *Message, out *Output) {
	cf := &c.files[st.File]
	if m.Status != StatusOK {
		c.finish(now, m.Status, out)
		return
	}
	switch st.Kind {
	case OpOpen:
		cf.openOwner(st.Owner, st.Access)
		cf.referenced = true
		if m.Flags&FlagNoOpenStateid == 0 {
			cf.own[st.Owner].rpcOpen, cf.own[st.Owner].stateid = true, m.Stateid
		}
		// Close-to-open: the OPEN's GETATTR revalidates the cache; data
		// cached under another change attribute is dropped.
		if m.Deleg != DelegNone {
			cf.deleg, cf.delegID, cf.delegCh = m.Deleg, m.DelegID, m.Change
			cf.returning, cf.returnWhen, cf.tested = false, false, false
		}
		c.refresh(now, cf, m)
		if m.Deleg != DelegNone {
			cf.mtime = m.Mtime
		}
		c.cur.size, c.cur.data = cf.size, cf.data
		c.cur.deleg, c.cur.why = m.Deleg, m.Why
		if m.Confirm {
			c.cur.stage = stageConfirm
			c.send(now, Message{Kind: MsgOpenConfirm, File: st.File, Stateid: m.Stateid, Owner: st.Owner}, forApp, out)
			return
		}
		if st.Trunc && !st.Create {
			c.truncateAfterOpen(now, st, out)
			return
		}
	case OpStat, OpLookup:
		if st.Kind == OpLookup && m.Kind == MsgGetDirDeleg && m.Deleg.Held() {
			cf.deleg, cf.delegID, cf.delegCh = m.Deleg, m.DelegID, m.Change
			cf.returning, cf.returnWhen, cf.tested = false, false, false
		}
		c.refresh(now, cf, m)
		c.cur.size, c.cur.change, c.cur.mtime = m.Size, m.Change, m.Mtime
		c.cur.deleg = m.Deleg
	case OpRead:
		c.cur.size, c.cur.data = m.Size, m.Data
		if !cf.dirty {
			c.refresh(now, cf, m)
			cf.data, cf.cached = m.Data, true
		}
	case OpSetattr, OpRemove, OpRename, OpLink:
		c.metaDone(now, st, m)
	}
	c.finish(now, StatusOK, out)
}
