package model

// Changes of attributes and names from the client: SETATTR, REMOVE,
// RENAME and LINK. The Linux client gets its own delegations out of the
// way first, so that nfsd does not have to recall them:
//   - nfs4_proc_remove, and nfs4_proc_rename_setup for the name a rename
//     replaces, return the delegation (nfs4_inode_return_delegation: write
//     back dirty pages, then DELEGRETURN, and wait);
//   - a rename's source, a link's source and a SETATTR of the mode are
//     made writeable (nfs4_inode_make_writeable): a read delegation, or
//     any delegation of a v4.0 client, is returned the same way; a v4.1+
//     client keeps a write delegation, since nfsd knows the holder from
//     SEQUENCE;
//   - nfs_setattr writes back dirty pages first (nfs_sync_inode).

// meta runs OpSetattr, OpRemove, OpRename and OpLink up to their RPC.
func (c *Client) meta(now Time, st *ClientStep, out *Output) {
	cf := &c.files[st.File]
	for _, f := range c.returnsFirst(st) {
		g := &c.files[f]
		if g.dirty && !g.returning {
			c.flush(now, f, st.Owner, out)
			return
		}
		if g.deleg.Held() {
			c.cur.stage = stageReturn
			if !g.returning {
				c.returnDeleg(now, f, out)
			}
			return
		}
	}
	if st.Kind == OpSetattr && cf.dirty {
		c.flush(now, st.File, st.Owner, out)
		return
	}
	c.cur.stage = stageMain
	m := Message{File: st.File}
	switch st.Kind {
	case OpSetattr:
		m.Kind, m.Attrs = MsgSetattr, st.Attrs
		if st.Attrs&AttrSize != 0 {
			// The SETATTR of a size carries the stateid the truncation
			// writes with (nfs4_do_setattr); what is left of the contents
			// is new data unless nothing is.
			m.Size, m.Stateid = st.Size, cf.ioStateid(st.Owner, true)
			if st.Size > 0 {
				c.writes++
				m.Data = DataValue(c.cfg.Index, c.writes)
			}
			c.cur.data = m.Data
		}
	case OpRemove:
		m.Kind = MsgRemove
	case OpRename:
		m.Kind, m.Target = MsgRename, st.File
		if st.HasTarget {
			m.Target = st.Target
		}
	case OpLink:
		m.Kind, m.Target = MsgLink, st.Target
	}
	c.send(now, m, forApp, out)
}

// returnsFirst lists the files whose delegation the client returns
// before the step's RPC (see the package comment above).
func (c *Client) returnsFirst(st *ClientStep) []FileID {
	writeable := func(f FileID) bool {
		d := c.files[f].deleg
		return d.Held() && !(c.cfg.Minor >= 1 && d.Writes())
	}
	var fs []FileID
	switch st.Kind {
	case OpRemove:
		fs = append(fs, st.File)
	case OpRename:
		if writeable(st.File) {
			fs = append(fs, st.File)
		}
		if st.HasTarget && st.Target != st.File {
			fs = append(fs, st.Target)
		}
	case OpLink:
		if writeable(st.File) {
			fs = append(fs, st.File)
		}
	case OpSetattr:
		if st.Attrs&AttrMode != 0 && writeable(st.File) {
			fs = append(fs, st.File)
		}
	}
	return fs
}

// metaDone applies a successful SETATTR, REMOVE, RENAME or LINK to the
// client's caches.
func (c *Client) metaDone(now Time, st *ClientStep, m *Message) {
	cf := &c.files[st.File]
	switch st.Kind {
	case OpSetattr:
		if st.Attrs&AttrSize != 0 {
			c.truncated(now, cf, m, st.Size, c.cur.data)
		} else {
			c.refresh(now, cf, m)
		}
		c.cur.size, c.cur.change, c.cur.mtime = m.Size, m.Change, m.Mtime
	case OpRemove:
		// The name and, with it, what the client knew of the file are
		// gone; a later create starts afresh.
		opens := *cf
		*cf = cfile{attrTimeo: c.cfg.AttrMin, opens: opens.opens, access: opens.access, own: opens.own}
	case OpRename:
		if st.HasTarget && st.Target != st.File {
			// The inode, and everything the client has of it, now
			// answers to the target name (nfs_rename: d_move).
			c.files[st.Target] = *cf
			*cf = cfile{attrTimeo: c.cfg.AttrMin}
		}
	case OpLink:
		// The link's new name is a name the client has not looked up:
		// it knows nothing of it until it opens or stats it.
	}
}

// truncated applies a SETATTR of size to the client's caches: the size
// is the reply's, the contents what the truncation left.
func (c *Client) truncated(now Time, cf *cfile, m *Message, size int64, data uint64) {
	cf.dirty = false // nfs_setattr wrote them back first
	c.refresh(now, cf, m)
	cf.size, cf.data, cf.cached = size, data, true
	if size == 0 {
		cf.data = 0
	}
}
