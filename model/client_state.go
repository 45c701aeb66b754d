package model

import "slices"

// renewd is the client's renew daemon (nfs4_renew_state). It renews the
// lease if the last renewal is more than a third of a lease old or the
// client holds delegations (NFS4_RENEW_TIMEOUT, NFS4_RENEW_DELEGATION_CB:
// a v4.0 RENEW is how the client learns its callback path is down), then
// returns delegations unused since its previous run
// (nfs_expire_unreferenced_delegations). It runs again 2/3 lease after
// the last renewal, at least 5 s from now (nfs4_schedule_state_renewal),
// rescheduled when its RENEW returns: requests made meanwhile push the
// next run back rather than adding runs.
func (c *Client) renewd(now Time, out *Output) {
	holds := false
	for i := range c.files {
		if c.files[i].deleg != DelegNone {
			holds = true
		}
	}
	if now > c.lastRenewal+c.cfg.Lease/3 || holds {
		c.send(now, Message{Kind: MsgRenew}, forRenew, out)
		// If the RENEW is never answered, the RPC's major timeout ends it
		// and nfs4_renew_release reschedules: about another 2/3 lease.
		out.arm(TimerKey{Kind: TimerRenew}, now+2*c.cfg.Lease/3)
	} else {
		c.scheduleRenewal(now, out)
	}
	for i := range c.files {
		cf := &c.files[i]
		if cf.deleg == DelegNone || cf.returning {
			continue
		}
		if cf.referenced {
			cf.referenced = false
			continue
		}
		out.event(Event{Kind: EvIdleReturn, Actor: c.cfg.ID, File: FileID(i), Client: c.cfg.ID, Deleg: cf.deleg, Why: "nfs_expire_unreferenced_delegations: delegation unused since the last renewd run"})
		if cf.opens > 0 {
			cf.returnWhen = true
			continue
		}
		c.returnDeleg(now, FileID(i), out)
	}
}

// scheduleRenewal is nfs4_schedule_state_renewal.
func (c *Client) scheduleRenewal(now Time, out *Output) {
	at := max(c.lastRenewal+2*c.cfg.Lease/3, now+5e9)
	out.arm(TimerKey{Kind: TimerRenew}, at)
}

// markDirty notes that f's page cache holds data the server lacks. The
// first dirty page of a clean superblock queues the flusher's delayed
// work for dirty_writeback later (__mark_inode_dirty → wb_wakeup_delayed);
// work already queued keeps its time.
func (c *Client) markDirty(now Time, f FileID, out *Output) {
	cf := &c.files[f]
	if cf.dirty {
		return
	}
	clean := true
	for i := range c.files {
		clean = clean && !c.files[i].dirty
	}
	cf.dirty, cf.dirtySince = true, now
	if clean && c.flushAt == 0 {
		c.flushAt = now + c.cfg.WritebackInterval
		out.arm(TimerKey{Kind: TimerWriteback}, c.flushAt)
	}
}

// flusher is one run of the superblock's writeback work (wb_workfn →
// wb_do_writeback). Periodic writeback writes inodes dirtied more than
// dirty_expire ago (wb_check_old_data_flush, for_kupdate); background
// writeback writes everything while the bdi is over its share of the
// background threshold (wb_check_background_flush). A freshly mounted
// bdi with no writeout history has no share before 6.14, so its first
// run writes everything; from 6.14 small amounts wait for expiry. While
// dirty pages remain the work is queued again an interval later. Nothing
// NFS-specific starts writeback once a delegation is gone: it is the
// flusher, or close(2), fsync(2) or stat(2) on the client.
func (c *Client) flusher(now Time, out *Output) {
	c.flushAt = 0
	background := c.cfg.Profile.FreshBdiFlush && !c.bdiWritten
	dirty := false
	for i := range c.files {
		cf := &c.files[i]
		if !cf.dirty {
			continue
		}
		dirty = true
		if c.writingBack(FileID(i)) {
			continue
		}
		if background || now-cf.dirtySince >= c.cfg.WritebackExpire {
			why := "flusher: dirty pages older than dirty_expire written back (wb_check_old_data_flush)"
			if background {
				why = "flusher: a freshly mounted bdi is over its zero share of the background threshold, all dirty pages written back (wb_check_background_flush)"
			}
			c.writeback(now, FileID(i), why, out)
		}
	}
	if dirty {
		c.flushAt = now + c.cfg.WritebackInterval
		out.arm(TimerKey{Kind: TimerWriteback}, c.flushAt)
	}
}

func (c *Client) writingBack(f FileID) bool {
	return slices.ContainsFunc(c.rpcs, func(r rpc) bool { return r.why == forWriteback && r.file == f })
}

// writeback writes f's dirty pages in the background: WRITE then COMMIT.
func (c *Client) writeback(now Time, f FileID, why string, out *Output) {
	cf := &c.files[f]
	if !cf.dirty {
		return
	}
	if cf.stateLost {
		c.dropDirty(f)
		return
	}
	if cf.reopens > 0 {
		return // state recovery under way: the pages wait for the new stateid
	}
	out.event(Event{Kind: EvWriteback, Actor: c.cfg.ID, File: f, Client: c.cfg.ID, Why: why})
	c.send(now, Message{Kind: MsgWrite, File: f, Stateid: cf.ioStateid(0, true), Size: cf.size, Data: cf.data, Bytes: cf.size}, forWriteback, out)
}

// returnDeleg starts the state manager's delegation return
// (nfs_end_delegation_return with issync=0): reclaim opens made locally
// under the delegation, or the open an open-XOR-delegation OPEN never
// got, with OPEN CLAIM_DELEG_CUR_FH, then DELEGRETURN. Dirty pages are
// not flushed first.
func (c *Client) returnDeleg(now Time, f FileID, out *Output) {
	cf := &c.files[f]
	cf.returning = true
	for o := range cf.own {
		if own := &cf.own[o]; own.opens > 0 && !own.rpcOpen {
			m := Message{Kind: MsgOpen, File: f, Access: own.access, Stateid: cf.delegID, Flags: FlagClaimDelegCur, Owner: uint8(o)}
			if c.cfg.Minor >= 2 && c.cfg.Profile.OpenXorDeleg {
				m.Flags |= FlagWantTimes | FlagWantXor
			}
			cf.claims++
			c.send(now, m, forClaim, out)
		}
	}
	if cf.claims == 0 {
		c.sendDelegReturn(now, f, out)
	}
}

// sendDelegReturn sends DELEGRETURN. With delegated timestamps the
// compound carries SETATTR of the client's mtime first (nfs4_proc_delegreturn:
// NFS_DELEGATION_DELEGTIME), then GETATTR.
func (c *Client) sendDelegReturn(now Time, f FileID, out *Output) {
	cf := &c.files[f]
	m := Message{Kind: MsgDelegReturn, File: f, Stateid: cf.delegID}
	if cf.deleg.Times() {
		m.Flags |= FlagSetattrTimes
		m.Mtime = cf.mtime
	}
	c.send(now, m, forReturn, out)
}

// callback serves CB_RECALL, CB_GETATTR and CB_NULL (nfs4_callback_recall,
// nfs4_callback_getattr), finding the delegation by its stateid. The
// Linux client answers a recall at once and the state manager sends
// DELEGRETURN right behind it; from 7.x the DELEGRETURN leaves first. A
// scenario may script other answers (ClientConfig.RecallAnswers).
func (c *Client) callback(now Time, m *Message, out *Output) {
	r := Message{Kind: m.Kind, Reply: true, From: c.cfg.ID, To: ServerID, XID: m.XID, File: m.File}
	if m.Kind == MsgCBNull {
		out.send(r)
		return
	}
	f := c.fileOfDeleg(m.Stateid)
	held := f >= 0
	if !held {
		f = 0
	}
	cf := &c.files[f]
	switch m.Kind {
	case MsgCBRecall:
		if !held || cf.returning {
			r.Status = NFS4ErrBadStateid
			out.send(r)
			return
		}
		a := c.recallAnswer()
		switch {
		case a.Silent:
			return
		case a.Status != StatusOK || !a.Return:
			r.Status = a.Status
			out.send(r)
			return
		}
		if c.cfg.Profile.ReturnBeforeCBReply {
			c.returnDeleg(now, f, out)
			out.send(r)
			return
		}
		out.send(r)
		c.returnDeleg(now, f, out)
	case MsgCBGetattr:
		if !held || !cf.deleg.Writes() {
			r.Status = NFS4ErrBadHandle
			out.send(r)
			return
		}
		r.Size, r.Change, r.Dirty, r.Mtime = cf.size, cf.delegCh, cf.dirty, cf.mtime
		if cf.dirty {
			r.Change++ // nfs_have_writebacks: report a change
		}
		out.send(r)
	}
}

func (c *Client) reply(now Time, m *Message, out *Output) {
	if m.Seq&SeqStateRevoked != 0 {
		c.stateRevoked(now, out)
	} else if m.Kind.Channel() == ChanFore && c.cfg.Minor >= 1 {
		for i := range c.files {
			c.files[i].tested = false // the flag went down: a new rise tests again
		}
	}
	if m.Seq&^SeqStateRevoked != 0 {
		c.sequenceFlags(now, m.Seq&^SeqStateRevoked, out)
	}
	if m.XID == c.cur.xid && c.cur.active {
		c.cur.xid = 0
		c.renewed(c.cur.sent, m.Status)
		c.appReply(now, m, out)
		return
	}
	i := slices.IndexFunc(c.rpcs, func(r rpc) bool { return r.xid == m.XID })
	if i < 0 {
		return
	}
	r := c.rpcs[i]
	c.rpcs = slices.Delete(c.rpcs, i, i+1)
	c.renewed(r.sent, m.Status)
	cf := &c.files[r.file]
	switch r.why {
	case forWriteback:
		if c.lostDeleg(r.file, r.sid, m.Status) {
			c.recoverDeleg(now, r.file, m.Status, out)
			return
		}
		c.written(now, r.file, r.data, m, out)
		if m.Status == StatusOK {
			c.send(now, Message{Kind: MsgCommit, File: r.file}, forCommit, out)
		}
	case forClaim:
		if m.Status == StatusOK {
			cf.own[r.owner].rpcOpen, cf.own[r.owner].stateid = true, m.Stateid
		}
		if cf.claims--; cf.claims == 0 {
			c.sendDelegReturn(now, r.file, out)
		}
	case forReturn:
		if m.Status == NFS4ErrDelegRevoked && c.cfg.Minor >= 1 {
			// nfs4_delegreturn_done: the revoked delegation is freed.
			out.event(Event{Kind: EvRevokeSeen, Actor: c.cfg.ID, File: r.file, Client: c.cfg.ID, Deleg: cf.deleg, Stateid: r.sid,
				Why: "DELEGRETURN answered NFS4ERR_DELEG_REVOKED: the revoked delegation is freed (nfs4_delegreturn_done)"})
			c.send(now, Message{Kind: MsgFreeStateid, File: r.file, Stateid: r.sid}, forFree, out)
		}
		cf.deleg, cf.delegID, cf.returning, cf.returnWhen = DelegNone, 0, false, false
		if m.Status == StatusOK {
			cf.hasAttrs = false // the compound's GETATTR starts the attribute cache afresh
			c.refresh(now, cf, m)
		} else {
			c.forgetAttrs(cf)
		}
		if c.cur.active && c.cur.stage == stageReturn {
			// nfs4_inode_return_delegation returned: the operation
			// that waited for it goes on.
			c.cur.stage = stageStart
			c.run(now, out)
		}
	case forTest:
		c.testAnswered(now, r.file, r.sid, m.Status, out)
	case forReopen:
		c.reopened(now, r.file, r.owner, m, out)
	case forFree:
	case forRenew:
		c.scheduleRenewal(now, out)
		if m.Status == NFS4ErrCBPathDown {
			c.pathDown(now, out)
		}
	case forRecovery:
		c.recovering = false
	}
}

// pathDown is the v4.0 client's answer to RENEW's NFS4ERR_CB_PATH_DOWN
// (nfs4_schedule_path_down_recovery → nfs40_handle_cb_pathdown): return
// every delegation (nfs_expire_all_delegations) and establish the
// clientid again with SETCLIENTID, which gives nfsd the callback address
// to probe (NFS4CLNT_LEASE_EXPIRED).
func (c *Client) pathDown(now Time, out *Output) {
	if c.recovering {
		return
	}
	c.recovering = true
	out.event(Event{Kind: EvCBRecovery, Actor: c.cfg.ID, Client: c.cfg.ID, Why: "RENEW answered NFS4ERR_CB_PATH_DOWN: return all delegations, SETCLIENTID to re-establish the callback path (nfs40_handle_cb_pathdown)"})
	c.send(now, Message{Kind: MsgSetclientid}, forRecovery, out)
	c.expireAll(now, out)
}

// sequenceFlags is nfs41_handle_sequence_flag_errors for the backchannel
// flags: BACKCHANNEL_FAULT resets the session (NFS4CLNT_SESSION_RESET:
// DESTROY_SESSION, CREATE_SESSION), CB_PATH_DOWN rebinds the connection
// (BIND_CONN_TO_SESSION). Either gives nfsd a working backchannel, and
// the callbacks it could not deliver restart on it.
func (c *Client) sequenceFlags(now Time, f SeqFlags, out *Output) {
	if c.recovering {
		return
	}
	c.recovering = true
	if f&SeqBackchannelFault != 0 {
		out.event(Event{Kind: EvCBRecovery, Actor: c.cfg.ID, Client: c.cfg.ID, Why: "SEQ4_STATUS_BACKCHANNEL_FAULT: reset the session, DESTROY_SESSION + CREATE_SESSION (nfs41_handle_backchannel_fault)"})
		c.send(now, Message{Kind: MsgCreateSession}, forRecovery, out)
		return
	}
	out.event(Event{Kind: EvCBRecovery, Actor: c.cfg.ID, Client: c.cfg.ID, Why: "SEQ4_STATUS_CB_PATH_DOWN: BIND_CONN_TO_SESSION (nfs41_handle_cb_path_down)"})
	c.send(now, Message{Kind: MsgBindConn}, forRecovery, out)
}

// expireAll returns every delegation (nfs_expire_all_delegations marks
// them NFS_DELEGATION_RETURN: open files too, after reclaiming their
// opens).
func (c *Client) expireAll(now Time, out *Output) {
	for i := range c.files {
		if cf := &c.files[i]; cf.deleg != DelegNone && !cf.returning {
			c.returnDeleg(now, FileID(i), out)
		}
	}
}

// written applies a WRITE reply: the pages are clean if nothing newer was
// written meanwhile. The reply's attributes are the client's own change:
// they update the cache without invalidating it.
func (c *Client) written(now Time, f FileID, data uint64, m *Message, out *Output) {
	cf := &c.files[f]
	if cf.data != data || !cf.dirty {
		return
	}
	switch m.Status {
	case StatusOK:
		// The bdi now has writeout completions (__wb_writeout_add), from
		// the flusher or from close(2) and fsync(2) alike.
		c.bdiWritten = true
		cf.change = m.Change
		if !cf.deleg.Times() {
			cf.mtime = m.Mtime
		}
		cf.attrAt, cf.hasAttrs = now, true
	case NFS4ErrBadStateid: // the state is gone: the server refused the data
	default:
		return
	}
	cf.dirty = false
}

// refresh applies attributes from a reply (nfs_update_inode): a change
// attribute the cache does not have invalidates the cached data and
// resets the attribute timeout to acregmin; unchanged attributes double
// it, up to acregmax, once it has run out. Under a delegation the
// attribute timeout is not consulted (nfs_have_delegated_attributes) and
// the DELEGRETURN's GETATTR refreshes it when the delegation goes, so
// the model leaves it at a canonical value meanwhile: states that
// differed only in when a reply refreshed a delegated file's attributes
// are one state.
func (c *Client) refresh(now Time, cf *cfile, m *Message) {
	if cf.dirty {
		return // the client's own pages are newer
	}
	defer c.canonAttrs(cf)
	if cf.deleg != DelegNone {
		cf.cached = cf.cached && m.Change == cf.change
		cf.size, cf.change, cf.hasAttrs = m.Size, m.Change, true
		cf.attrAt, cf.attrTimeo = 0, c.cfg.AttrMin
		if !cf.deleg.Times() {
			cf.mtime = m.Mtime
		}
		if cf.size == 0 {
			cf.cached, cf.data = true, 0
		}
		return
	}
	switch {
	case !cf.hasAttrs || m.Change != cf.change:
		cf.cached = cf.cached && m.Change == cf.change
		cf.attrTimeo = c.cfg.AttrMin
	case now >= cf.attrAt+cf.attrTimeo:
		cf.attrTimeo = min(2*cf.attrTimeo, c.cfg.AttrMax)
	}
	cf.size, cf.change, cf.attrAt, cf.hasAttrs = m.Size, m.Change, now, true
	if !cf.deleg.Times() {
		cf.mtime = m.Mtime
	}
	if cf.size == 0 {
		cf.cached, cf.data = true, 0 // nothing to read
	}
}

// canonAttrs forgets when f's attributes were fetched once the script
// will not look at them again (no stat or read of f is left): the time
// can then change nothing, and states differing only in it are one.
func (c *Client) canonAttrs(cf *cfile) {
	f := c.fileOf(cf)
	step := c.next
	if c.cur.active {
		step = c.cur.step
	}
	if step > c.cfg.lastAttrUse[f] {
		cf.attrAt, cf.attrTimeo = 0, c.cfg.AttrMin
	}
}

func (c *Client) fileOf(cf *cfile) int {
	for i := range c.files {
		if &c.files[i] == cf {
			return i
		}
	}
	return 0
}

// forgetAttrs: a delegation went without a GETATTR to take over from it;
// the next stat asks the server (the model's conservative choice).
func (c *Client) forgetAttrs(cf *cfile) {
	cf.hasAttrs, cf.attrAt, cf.attrTimeo = false, 0, c.cfg.AttrMin
}

// attrsValid reports whether f's cached attributes may be used without a
// GETATTR: always under a delegation (nfs_have_delegated_attributes),
// else within the attribute timeout (nfs_attribute_cache_expired).
func (c *Client) attrsValid(now Time, cf *cfile) bool {
	if cf.deleg != DelegNone {
		return true
	}
	return cf.hasAttrs && now < cf.attrAt+cf.attrTimeo
}
