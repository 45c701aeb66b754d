package model

// Stages of a multi-RPC application operation.
const (
	stageStart   uint8 = iota
	stageWrite         // WRITE sent (flush)
	stageCommit        // COMMIT sent
	stageClose         // CLOSE sent
	stageConfirm       // OPEN_CONFIRM sent (v4.0)
	stageMain          // the operation's own RPC sent
)

// run advances the current application operation from its stage.
func (c *Client) run(now Time, out *Output) {
	st := &c.cfg.Script[c.cur.step]
	cf := &c.files[st.File]
	if st.Kind != OpOpen && st.Kind != OpWrite {
		cf.referenced = true
	}
	switch st.Kind {
	case OpOpen:
		c.open(now, st, out)
	case OpWrite:
		if cf.opens == 0 || cf.access&AccessWrite == 0 {
			c.finish(now, ErrEBADF, out) // write(2) needs a descriptor open for writing
			return
		}
		cf.referenced = true
		c.writes++
		cf.size += st.Bytes
		cf.data = DataValue(c.cfg.Index, c.writes)
		c.markDirty(now, st.File, out)
		c.cur.size, c.cur.data = cf.size, cf.data
		c.finish(now, StatusOK, out)
	case OpClose, OpFsync:
		if st.Kind == OpClose && cf.opens == 0 {
			c.finish(now, ErrEBADF, out)
			return
		}
		c.flushThen(now, st, out)
	case OpStat:
		// nfs_getattr writes dirty pages back before it reports
		// mtime/size; then a delegation lets it answer from cache.
		if cf.dirty {
			c.flush(st.File, out)
			return
		}
		if cf.deleg != DelegNone {
			c.cur.size, c.cur.change = cf.size, cf.change
			c.finish(now, StatusOK, out)
			return
		}
		c.cur.stage = stageMain
		c.send(Message{Kind: MsgGetattr, File: st.File}, forApp, out)
	case OpRead:
		if (cf.opens > 0 || cf.deleg != DelegNone) && !cf.invalid {
			// Page cache, revalidated at open (close-to-open).
			c.cur.size, c.cur.data = cf.size, cf.data
			c.finish(now, StatusOK, out)
			return
		}
		c.cur.stage = stageMain
		c.send(Message{Kind: MsgRead, File: st.File}, forApp, out)
	case OpSetattr, OpRemove, OpRename:
		kind := map[OpKind]MsgKind{OpSetattr: MsgSetattr, OpRemove: MsgRemove, OpRename: MsgRename}[st.Kind]
		c.cur.stage = stageMain
		c.send(Message{Kind: kind, File: st.File}, forApp, out)
	default:
		c.finish(now, ErrEINVAL, out)
	}
}

// open: an open the client's delegation covers is done locally; others
// send OPEN (O_EXCL creates always go to the server).
func (c *Client) open(now Time, st *ClientStep, out *Output) {
	cf := &c.files[st.File]
	if c.cur.stage == stageStart && !st.Excl && !cf.returning &&
		(cf.deleg == DelegWrite || (cf.deleg == DelegRead && st.Access == AccessRead)) {
		cf.opens++
		cf.access |= st.Access
		cf.referenced = true
		c.cur.size, c.cur.data = cf.size, cf.data
		c.finish(now, StatusOK, out)
		return
	}
	c.cur.stage = stageMain
	c.send(Message{Kind: MsgOpen, File: st.File, Access: st.Access, Create: st.Create, Excl: st.Excl}, forApp, out)
}

// flush sends the dirty pages of f as the current operation's WRITE.
func (c *Client) flush(f FileID, out *Output) {
	cf := &c.files[f]
	c.cur.stage = stageWrite
	c.cur.flushed, c.cur.size, c.cur.data = true, cf.size, cf.data
	c.send(Message{Kind: MsgWrite, File: f, Stateid: cf.writeStateid(), Size: cf.size, Data: cf.data, Bytes: cf.size}, forApp, out)
}

// flushThen runs close(2) or fsync(2): write back dirty pages (all of
// them and wait, or under a space-limited write delegation on close only
// start it: nfs4_file_flush), then for the last close of state from a
// real OPEN, CLOSE.
func (c *Client) flushThen(now Time, st *ClientStep, out *Output) {
	cf := &c.files[st.File]
	if cf.dirty {
		if st.Kind == OpClose && cf.deleg == DelegWrite && c.cfg.CloseFlush == FlushStart {
			c.writeback(now, st.File, out)
		} else {
			c.flush(st.File, out)
			return
		}
	}
	if st.Kind == OpFsync {
		c.finish(now, StatusOK, out)
		return
	}
	cf.opens--
	if cf.opens == 0 {
		cf.access = 0
	}
	if cf.opens > 0 || !cf.rpcOpen {
		c.closed(st.File, out)
		c.finish(now, StatusOK, out)
		return
	}
	c.cur.stage = stageClose
	c.send(Message{Kind: MsgClose, File: st.File, Stateid: cf.stateid}, forApp, out)
}

// closed runs after the last close: a delegation marked for return when
// closed goes back now.
func (c *Client) closed(f FileID, out *Output) {
	if cf := &c.files[f]; cf.opens == 0 && cf.returnWhen && !cf.returning {
		c.returnDeleg(f, out)
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
	switch c.cur.stage {
	case stageWrite:
		c.written(st.File, c.cur.data, m, out)
		if m.Status != StatusOK {
			c.finish(now, m.Status, out)
			return
		}
		c.cur.stage = stageCommit
		c.send(Message{Kind: MsgCommit, File: st.File}, forApp, out)
	case stageCommit:
		if st.Kind == OpStat {
			c.cur.stage = stageStart
			c.run(now, out)
			return
		}
		c.flushThen(now, st, out)
	case stageClose:
		cf.rpcOpen = false
		c.closed(st.File, out)
		c.finish(now, m.Status, out)
	case stageConfirm:
		c.finish(now, m.Status, out)
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
		cf.opens++
		cf.access |= st.Access
		cf.rpcOpen, cf.stateid = true, m.Stateid
		cf.referenced = true
		if !cf.dirty {
			// Close-to-open: the open revalidates the cache.
			cf.size, cf.data, cf.change, cf.invalid = m.Size, m.Data, m.Change, false
		}
		if m.Deleg != DelegNone {
			cf.deleg, cf.delegID, cf.delegCh = m.Deleg, m.DelegID, m.Change
			cf.returning, cf.returnWhen = false, false
		}
		c.cur.size, c.cur.data = cf.size, cf.data
		if m.Confirm {
			c.cur.stage = stageConfirm
			c.send(Message{Kind: MsgOpenConfirm, File: st.File, Stateid: m.Stateid}, forApp, out)
			return
		}
	case OpStat:
		c.cur.size, c.cur.change = m.Size, m.Change
		if !cf.dirty {
			cf.invalid = cf.invalid || m.Change != cf.change
			cf.size, cf.change = m.Size, m.Change
		}
	case OpRead:
		c.cur.size, c.cur.data = m.Size, m.Data
		if !cf.dirty {
			cf.size, cf.data, cf.change, cf.invalid = m.Size, m.Data, m.Change, false
		}
	}
	c.finish(now, StatusOK, out)
}
