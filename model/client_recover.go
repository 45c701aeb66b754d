package model

// A delegation lost to revocation, as the Linux client finds out and
// recovers (RFC 8881 §8.2.3, §10.5):
//   - v4.1+: a SEQUENCE reply with SEQ4_STATUS_RECALLABLE_STATE_REVOKED
//     makes the state manager test every delegation it holds
//     (nfs41_handle_recallable_state_revoked →
//     nfs_test_expired_all_delegations → TEST_STATEID);
//   - any version: a READ, WRITE or SETATTR with the delegation stateid
//     answered NFS4ERR_DELEG_REVOKED (v4.1+) or NFS4ERR_BAD_STATEID (v4.0,
//     whose revoked delegations nfsd destroys) marks its state for
//     recovery (nfs4_do_handle_exception → nfs_inode_find_state_and_recover).
// A delegation found revoked is dropped and, v4.1+, freed (FREE_STATEID:
// nfs41_test_and_free_expired_stateid); opens made locally under it are
// opened again at the server with CLAIM_NULL (nfs41_open_expired →
// nfs4_open_expired), and the I/O that failed is sent again with the new
// open stateid. If that OPEN fails, the open state is lost
// (nfs4_state_mark_recovery_failed): dirty pages are dropped with a
// write-back error that the next close(2) or fsync(2) reports as EIO, and
// nobody hears of it if the application does neither.

// lostDeleg reports whether answer st to I/O on file f with stateid sid
// says the delegation it used is gone.
func (c *Client) lostDeleg(f FileID, sid uint32, st Status) bool {
	cf := &c.files[f]
	if sid == 0 || !cf.deleg.Held() || cf.delegID != sid {
		return false
	}
	return st == NFS4ErrDelegRevoked || (st == NFS4ErrBadStateid && c.cfg.Minor == 0)
}

// recoverDeleg starts the recovery of file f after lostDeleg.
func (c *Client) recoverDeleg(now Time, f FileID, st Status, out *Output) {
	c.dropDeleg(now, f, st == NFS4ErrDelegRevoked, "the delegation stateid was answered "+st.String()+": delegation dropped, state recovered (nfs4_do_handle_exception → nfs_inode_find_state_and_recover)", out)
}

// stateRevoked is the state manager's answer to
// SEQ4_STATUS_RECALLABLE_STATE_REVOKED: TEST_STATEID of each delegation
// not yet found valid since the flag rose.
func (c *Client) stateRevoked(now Time, out *Output) {
	for i := range c.files {
		cf := &c.files[i]
		if !cf.deleg.Held() || cf.returning || cf.tested || c.inFlight(forTest, FileID(i)) {
			continue
		}
		c.send(now, Message{Kind: MsgTestStateid, File: FileID(i), Stateid: cf.delegID}, forTest, out)
	}
}

// testAnswered handles TEST_STATEID's answer for a delegation of file f.
func (c *Client) testAnswered(now Time, f FileID, sid uint32, st Status, out *Output) {
	cf := &c.files[f]
	if !cf.deleg.Held() || cf.delegID != sid {
		return
	}
	if st == StatusOK {
		cf.tested = true
		return
	}
	c.dropDeleg(now, f, st == NFS4ErrDelegRevoked, "TEST_STATEID answered "+st.String()+": delegation dropped and freed (nfs41_test_and_free_expired_stateid)", out)
}

// dropDeleg forgets file f's delegation, frees it at the server if nfsd
// keeps it revoked, and recovers the opens made under it.
func (c *Client) dropDeleg(now Time, f FileID, revoked bool, why string, out *Output) {
	cf := &c.files[f]
	id := cf.delegID
	out.event(Event{Kind: EvRevokeSeen, Actor: c.cfg.ID, File: f, Client: c.cfg.ID, Deleg: cf.deleg, Stateid: id, Why: why})
	cf.deleg, cf.delegID, cf.returning, cf.returnWhen, cf.tested = DelegNone, 0, false, false, false
	c.forgetAttrs(cf)
	if revoked && c.cfg.Minor >= 1 {
		c.send(now, Message{Kind: MsgFreeStateid, File: f, Stateid: id}, forFree, out)
	}
	for o := range cf.own {
		if own := &cf.own[o]; own.opens > 0 && !own.rpcOpen {
			cf.reopens++
			c.send(now, Message{Kind: MsgOpen, File: f, Access: own.access, Owner: uint8(o)}, forReopen, out)
		}
	}
	if cf.reopens == 0 {
		c.recovered(now, f, out)
	}
}

// reopened handles the answer to a recovery OPEN of owner o.
func (c *Client) reopened(now Time, f FileID, o uint8, m *Message, out *Output) {
	cf := &c.files[f]
	if m.Status == NFS4ErrDelay {
		// Recovery retries after the server's back-off like any OPEN.
		c.send(now, Message{Kind: MsgOpen, File: f, Access: cf.own[o].access, Owner: o}, forReopen, out)
		return
	}
	cf.reopens--
	if m.Status == StatusOK {
		cf.own[o].rpcOpen, cf.own[o].stateid = true, m.Stateid
		if m.Deleg.Held() && !cf.deleg.Held() {
			cf.deleg, cf.delegID, cf.delegCh = m.Deleg, m.DelegID, m.Change
		}
	} else {
		cf.stateLost = true
	}
	if cf.reopens == 0 {
		c.recovered(now, f, out)
	}
}

// recovered resumes what waited for file f's state: an application
// operation goes on (its I/O is sent again, or fails), dirty pages are
// written back again, or dropped if the state is lost.
func (c *Client) recovered(now Time, f FileID, out *Output) {
	cf := &c.files[f]
	if cf.stateLost && cf.dirty {
		c.dropDirty(f)
	}
	if c.cur.active && c.cur.stage == stageRecover && (c.cfg.Script[c.cur.step].File == f || c.cur.ffile == f) {
		c.cur.stage = stageStart
		if c.cfg.Script[c.cur.step].Kind == OpRead && cf.stateLost {
			c.finish(now, ErrEIO, out)
			return
		}
		c.run(now, out)
		return
	}
	if cf.dirty && !c.writingBack(f) {
		c.writeback(now, f, "WRITE sent again after state recovery (nfs4_write_done_cb: the exception is handled, the I/O restarted)", out)
	}
}

// dropDirty drops file f's dirty pages with a write-back error
// (nfs_write_error: mapping_set_error).
func (c *Client) dropDirty(f FileID) {
	cf := &c.files[f]
	cf.dirty, cf.wbErr = false, true
}

// inFlight reports whether an RPC for purpose why on file f is under way.
func (c *Client) inFlight(why purpose, f FileID) bool {
	for _, r := range c.rpcs {
		if r.why == why && r.file == f {
			return true
		}
	}
	return false
}

// recallAnswer returns the scripted answer to the next CB_RECALL of a
// held delegation.
func (c *Client) recallAnswer() RecallAnswer {
	as := c.cfg.RecallAnswers
	if len(as) == 0 {
		return LinuxRecallAnswer
	}
	a := as[min(c.recalls, len(as)-1)]
	if c.recalls < len(as)-1 {
		c.recalls++ // the last answer repeats: no need to count further
	}
	return a
}

// fileOfDeleg returns the file whose delegation has stateid id, or -1: a
// callback names the delegation's inode, which the client finds by its
// filehandle and stateid (nfs_delegation_find_inode).
func (c *Client) fileOfDeleg(id uint32) FileID {
	for i := range c.files {
		if c.files[i].deleg.Held() && c.files[i].delegID == id {
			return FileID(i)
		}
	}
	return -1
}
