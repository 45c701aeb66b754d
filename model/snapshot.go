package model

import "encoding/binary"

// Helpers for state-space search (package explore), which steps actors
// millions of times and keeps each distinct actor value once.
//
// CopyFrom copies an actor into another of the same run without
// allocating (beyond growing a table that is too small), so that a step
// can work on a scratch copy. AppendSnapshot encodes everything Step can
// change, field for field: unlike AppendState, whose encoding only needs
// to tell apart actors that behave differently, two actors of the same run
// with equal snapshots are equal. What never changes during a run (the
// configuration, the profile, the policy, file names) is not encoded.
// TestSnapshotFields lists the fields each encoder covers: a field added
// to an actor must be added to its snapshot too.

func appendU(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }
func appendI(b []byte, v int64) []byte  { return binary.AppendVarint(b, v) }

func b2u(v bool) uint64 {
	if v {
		return 1
	}
	return 0
}

// appendMessageSnapshot encodes every field of a message.
func appendMessageSnapshot(b []byte, m *Message) []byte {
	flags := b2u(m.Reply) | b2u(m.Create)<<1 | b2u(m.Excl)<<2 | b2u(m.NonBlk)<<3 | b2u(m.Confirm)<<4 | b2u(m.Dirty)<<5
	b = append(b, byte(m.Kind), byte(flags), byte(m.Status), byte(m.Access), byte(m.Deleg), byte(m.Seq), byte(m.Flags),
		byte(m.Deny), byte(m.Want), byte(m.Why), m.Owner, byte(m.Attrs))
	b = appendU(b, uint64(m.From))
	b = appendU(b, uint64(m.To))
	b = appendU(b, uint64(m.XID))
	b = appendU(b, uint64(m.File))
	b = appendU(b, uint64(m.Stateid))
	b = appendU(b, uint64(m.DelegID))
	b = appendI(b, int64(m.Target))
	b = appendI(b, m.Size)
	b = appendU(b, m.Change)
	b = appendI(b, int64(m.Mtime))
	b = appendU(b, m.Data)
	return appendI(b, m.Bytes)
}

// CopyFrom makes s a copy of src, a server of the same run, reusing s's
// tables: afterwards s shares nothing mutable with src.
func (s *Server) CopyFrom(src *Server) {
	files, clients, delegs, opens := s.files[:0], s.clients[:0], s.delegs[:0], s.opens[:0]
	waiters, cbs, cur, old := s.waiters[:0], s.cbs[:0], s.block.cur[:0], s.block.old[:0]
	revoked, names := s.revoked[:0], s.names[:0]
	*s = *src
	s.files = append(files, src.files...)
	s.clients = append(clients, src.clients...)
	s.delegs = append(delegs, src.delegs...)
	s.opens = append(opens, src.opens...)
	s.waiters = append(waiters, src.waiters...)
	s.cbs = append(cbs, src.cbs...)
	s.block.cur = append(cur, src.block.cur...)
	s.block.old = append(old, src.block.old...)
	s.revoked = append(revoked, src.revoked...)
	if src.names == nil {
		s.names = nil
	} else {
		s.names = append(names, src.names...)
	}
}

// AppendSnapshot appends an encoding of everything in the server's state
// that a step can change: two servers of the same run with equal
// snapshots are equal.
func (s *Server) AppendSnapshot(b []byte) []byte {
	b = appendU(b, uint64(len(s.files)))
	for i := range s.files {
		f := &s.files[i]
		b = appendU(b, b2u(f.Exists)|b2u(f.HadConflict)<<1|b2u(f.Aliased)<<2|b2u(f.Setuid)<<3|b2u(f.Dir)<<4)
		b = appendU(b, uint64(f.Writers))
		b = appendI(b, f.Size)
		b = appendU(b, f.Change)
		b = appendI(b, int64(f.Mtime))
		b = appendU(b, f.Data)
	}
	b = appendU(b, uint64(len(s.clients)))
	for i := range s.clients {
		c := &s.clients[i]
		b = appendU(b, b2u(c.isClient)|b2u(c.alive)<<1|b2u(c.courtesy)<<2|b2u(c.expirable)<<3)
		b = appendU(b, uint64(c.confirmed))
		b = appendU(b, uint64(c.cb))
		b = appendU(b, uint64(c.minor))
		b = appendI(b, int64(c.lastRenew))
	}
	b = appendU(b, uint64(len(s.revoked)))
	for _, r := range s.revoked {
		b = appendU(b, uint64(r.id))
		b = appendU(b, uint64(r.client))
		b = appendU(b, uint64(r.file))
	}
	b = appendU(b, uint64(len(s.names)))
	for _, n := range s.names {
		b = appendU(b, uint64(n))
	}
	b = appendU(b, uint64(len(s.delegs)))
	for i := range s.delegs {
		d := &s.delegs[i]
		b = appendU(b, uint64(d.ID))
		b = appendU(b, uint64(d.File))
		b = appendU(b, uint64(d.Client))
		b = appendU(b, uint64(d.Type))
		b = appendU(b, uint64(d.LeaseType))
		b = appendU(b, b2u(d.Recalling)|b2u(d.UnlockPending)<<1|b2u(d.DowngradePending)<<2|b2u(d.cbRunning)<<3)
		b = appendI(b, int64(d.RecallAt))
		b = appendU(b, d.ChangeAtGrant)
		b = appendI(b, d.SizeAtGrant)
		b = appendI(b, int64(d.MtimeAtGrant))
		b = appendU(b, b2u(d.written)|b2u(d.setattr)<<1)
		b = appendU(b, uint64(d.retries))
		b = appendI(b, int64(d.DowngradeAt))
	}
	b = appendU(b, uint64(len(s.opens)))
	for _, o := range s.opens {
		b = appendU(b, uint64(o.client))
		b = appendU(b, uint64(o.file))
		b = appendU(b, uint64(o.stateid))
		b = appendU(b, uint64(o.access))
		b = appendU(b, uint64(o.deny))
		b = appendU(b, uint64(o.owner))
	}
	b = appendU(b, uint64(len(s.waiters)))
	for i := range s.waiters {
		w := &s.waiters[i]
		b = appendU(b, uint64(w.id))
		b = appendU(b, uint64(w.from))
		b = appendMessageSnapshot(b, &w.req)
		b = appendU(b, uint64(w.access))
		b = appendU(b, b2u(w.write)|b2u(w.onCB)<<1|b2u(w.haveCB)<<2|b2u(w.cbModified)<<3)
		b = appendU(b, uint64(w.dec.Action))
		b = appendI(b, int64(w.dec.Wait))
		b = appendU(b, uint64(w.dec.Then))
		b = appendI(b, int64(w.dec.ThenWait))
		b = appendU(b, uint64(w.dec.Unanswered))
		b = appendI(b, int64(w.dec.UnansweredWait))
		b = appendI(b, int64(w.since))
		b = appendU(b, uint64(w.cbXID))
		b = appendI(b, w.cbSize)
		b = appendI(b, int64(w.cbMtime))
		b = appendI(b, int64(w.ino))
	}
	b = appendU(b, uint64(len(s.cbs)))
	for _, c := range s.cbs {
		b = appendU(b, uint64(c.xid))
		b = appendU(b, uint64(c.client))
		b = appendU(b, uint64(c.kind))
		b = appendU(b, uint64(c.deleg))
	}
	b = appendU(b, uint64(len(s.block.cur)))
	for _, f := range s.block.cur {
		b = appendU(b, uint64(f))
	}
	b = appendU(b, uint64(len(s.block.old)))
	for _, f := range s.block.old {
		b = appendU(b, uint64(f))
	}
	b = appendI(b, int64(s.block.swapAt))
	b = appendU(b, uint64(s.block.entries))
	b = appendU(b, uint64(s.block.oldEntries))
	b = appendU(b, uint64(s.nextStateid))
	b = appendU(b, uint64(s.nextXID))
	return appendU(b, uint64(s.nextWaiter))
}

// CopyFrom makes c a copy of src, a client of the same run, reusing c's
// tables: afterwards c shares nothing mutable with src.
func (c *Client) CopyFrom(src *Client) {
	files, rpcs := c.files[:0], c.rpcs[:0]
	*c = *src
	c.files = append(files, src.files...)
	c.rpcs = append(rpcs, src.rpcs...)
}

// AppendSnapshot appends an encoding of everything in the client's state
// that a step can change: two clients of the same run with equal
// snapshots are equal.
func (c *Client) AppendSnapshot(b []byte) []byte {
	b = appendU(b, uint64(len(c.files)))
	for i := range c.files {
		f := &c.files[i]
		b = appendU(b, uint64(f.opens))
		b = appendU(b, uint64(f.access))
		for _, o := range f.own {
			b = appendU(b, uint64(o.opens))
			b = appendU(b, uint64(o.access))
			b = appendU(b, b2u(o.rpcOpen))
			b = appendU(b, uint64(o.stateid))
		}
		b = appendU(b, uint64(f.deleg))
		b = appendU(b, b2u(f.returning)<<1|b2u(f.returnWhen)<<2|b2u(f.referenced)<<3|b2u(f.dirty)<<4|b2u(f.cached)<<5|b2u(f.hasAttrs)<<6|
			b2u(f.tested)<<7|b2u(f.wbErr)<<8|b2u(f.stateLost)<<9)
		b = appendU(b, uint64(f.claims))
		b = appendU(b, uint64(f.reopens))
		b = appendI(b, int64(f.mtime))
		b = appendI(b, int64(f.attrAt))
		b = appendI(b, int64(f.attrTimeo))
		b = appendU(b, uint64(f.delegID))
		b = appendU(b, f.delegCh)
		b = appendI(b, f.size)
		b = appendU(b, f.data)
		b = appendU(b, f.change)
		b = appendI(b, int64(f.dirtySince))
	}
	b = appendU(b, uint64(c.next))
	cur := &c.cur
	b = appendU(b, b2u(cur.active)|b2u(cur.flushed)<<1)
	b = appendU(b, uint64(cur.stage))
	b = appendU(b, uint64(cur.step))
	b = appendI(b, int64(cur.start))
	b = appendI(b, int64(cur.sent))
	b = appendI(b, int64(cur.mtime))
	b = appendU(b, b2u(cur.cached))
	b = appendI(b, int64(cur.attrsAt))
	b = appendU(b, uint64(cur.attempts))
	b = appendU(b, uint64(cur.xid))
	b = appendI(b, cur.size)
	b = appendU(b, cur.data)
	b = appendU(b, cur.change)
	b = appendU(b, uint64(cur.result))
	b = appendU(b, uint64(cur.sid))
	b = appendU(b, uint64(cur.ffile))
	b = appendU(b, uint64(cur.deleg))
	b = appendU(b, uint64(cur.why))
	b = appendU(b, uint64(len(c.rpcs)))
	for _, r := range c.rpcs {
		b = appendU(b, uint64(r.xid))
		b = appendU(b, uint64(r.why))
		b = appendU(b, uint64(r.file))
		b = appendU(b, r.data)
		b = appendI(b, int64(r.sent))
		b = appendU(b, uint64(r.sid))
		b = appendU(b, uint64(r.owner))
	}
	b = appendU(b, uint64(c.recalls))
	b = appendU(b, uint64(c.nextXID))
	b = appendI(b, int64(c.backoff))
	b = appendU(b, uint64(c.writes))
	b = appendU(b, uint64(c.seq))
	b = appendI(b, int64(c.lastRenewal))
	b = appendI(b, int64(c.flushAt))
	return appendU(b, b2u(c.crashed)|b2u(c.bdiWritten)<<1|b2u(c.recovering)<<2)
}

// CopyFrom makes l a copy of src, a process of the same run.
func (l *Local) CopyFrom(src *Local) { *l = *src }

// AppendSnapshot appends an encoding of everything in the process's state
// that a step can change: two processes of the same run with equal
// snapshots are equal.
func (l *Local) AppendSnapshot(b []byte) []byte {
	b = appendU(b, uint64(l.next))
	b = appendU(b, b2u(l.active))
	b = appendU(b, uint64(l.stage))
	b = appendU(b, uint64(l.step))
	b = appendI(b, int64(l.start))
	b = appendU(b, uint64(l.attempt))
	b = appendU(b, uint64(l.xid))
	b = appendU(b, uint64(l.nextXID))
	b = appendMessageSnapshot(b, &l.statted)
	b = appendMessageSnapshot(b, &l.result)
	b = appendU(b, uint64(l.seq))
	return appendU(b, uint64(l.writes))
}
