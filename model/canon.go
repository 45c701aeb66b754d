package model

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
)

// Canonical encodings, for symmetry reduction in state-space search
// (package explore; Stateright's Representative is the model).
//
// Two states of a run are interchangeable when one becomes the other by
//
//   - a symmetry: a permutation of actors and files that maps the run's
//     configuration onto itself (clients with the same script up to file
//     names, versions and network, local processes with the same script),
//     applied to every actor id, file id and data value (DataValue names
//     its writer);
//   - a renaming of identifiers: which stateid, callback xid, waiter id or
//     RPC xid an entity got depends only on the order in which things
//     happened, and the model compares identifiers only for equality
//     (every lookup is by equality; counters only ever hand out fresh
//     values);
//   - a reordering of the server's tables that the model only searches:
//     opens, delegations on different files, pending callbacks and the
//     recently-recalled filter (waiters are a queue and keep their order).
//
// AppendCanon encodes an actor's state under a symmetry with its tables in
// a canonical order and every identifier replaced by a placeholder; the
// identifiers go to Canon.IDs, in encoding order, for the caller to rename
// by first occurrence across the whole state. The counters that hand out
// identifiers (nextStateid, nextXID, nextWaiter) are left out: any fresh
// value behaves the same. TestCanonCoversEveryField lists what each
// encoder covers and which fields are identifiers: a field added to an
// actor must be added here too, or symmetry reduction would merge states
// that differ.

// IDSpace is a namespace of identifiers.
type IDSpace uint8

// Identifier namespaces.
const (
	IDNone     IDSpace = iota
	IDStateid          // open and delegation stateids nfsd issues
	IDCallback         // xids of nfsd's callbacks (CB_RECALL, CB_GETATTR)
	IDWaiter           // nfsd's parked accesses
	IDXID              // an actor's own RPC or system-call xids (per actor)
)

// IDRef is one occurrence of an identifier in a canonical encoding.
type IDRef struct {
	Space IDSpace
	Owner ActorID // IDXID: the issuing actor's image under the symmetry
	Value uint32
}

// Canon is a symmetry and the identifiers met while encoding under it.
type Canon struct {
	// Actor and File map each actor and file to its image; Writer maps
	// writer indices (DataValue's actorIndex; 0, the initial contents,
	// to itself).
	Actor  []ActorID
	File   []FileID
	Writer []int
	// IDs collects identifier occurrences in encoding order.
	IDs []IDRef
	// KeepXIDs encodes the actors' own xids (IDXID) as plain values
	// instead of identifiers: exact, only less reducing (an actor's xids
	// follow its own history, not the interleaving of others').
	KeepXIDs bool

	actorInv []ActorID
	fileInv  []FileID
	idx      []int // scratch for sorting tables
}

// NewCanon returns the canonical encoder of a symmetry; Identity maps
// nothing.
func NewCanon(actor []ActorID, file []FileID, writer []int) *Canon {
	c := &Canon{Actor: actor, File: file, Writer: writer,
		actorInv: make([]ActorID, len(actor)), fileInv: make([]FileID, len(file))}
	for i, a := range actor {
		c.actorInv[a] = ActorID(i)
	}
	for i, f := range file {
		c.fileInv[f] = FileID(i)
	}
	return c
}

// Data maps a data value under the symmetry: the value names its writer.
func (c *Canon) Data(v uint64) uint64 {
	w := int(v >> 32)
	if w == 0 || w >= len(c.Writer) {
		return v
	}
	return uint64(c.Writer[w])<<32 | v&0xffffffff
}

func (c *Canon) actor(a ActorID) uint64 {
	if int(a) < len(c.Actor) {
		return uint64(c.Actor[a])
	}
	return uint64(a)
}

func (c *Canon) file(f FileID) uint64 {
	if f >= 0 && int(f) < len(c.File) {
		return uint64(c.File[f])
	}
	return uint64(f)
}

// fileAt and actorAt return the file and actor whose images are j: the
// entries of tables indexed by file or actor, in image order.
func (c *Canon) fileAt(j int) int {
	if j < len(c.fileInv) {
		return int(c.fileInv[j])
	}
	return j
}

func (c *Canon) actorAt(j int) int {
	if j < len(c.actorInv) {
		return int(c.actorInv[j])
	}
	return j
}

// id appends a placeholder for identifier v of namespace sp (0 is no
// identifier) and records the occurrence.
func (c *Canon) id(b []byte, sp IDSpace, owner ActorID, v uint32) []byte {
	if v == 0 {
		return append(b, 0)
	}
	if sp == IDXID && c.KeepXIDs {
		return appendU(append(b, 2), uint64(v))
	}
	c.IDs = append(c.IDs, IDRef{Space: sp, Owner: ActorID(c.actor(owner)), Value: v})
	return append(b, 1)
}

// TimerArg says what a timer's argument is.
type TimerArg uint8

// Timer arguments.
const (
	argUnknown  TimerArg = iota // a kind timerArgs does not list
	ArgNone                     // unused (zero)
	ArgActor                    // an actor id
	ArgFile                     // a file id
	ArgStateid                  // a delegation stateid
	ArgCallback                 // a callback xid
	ArgWaiter                   // a waiter id
)

var timerArgs = [timerKindCount]TimerArg{
	TimerScript: ArgNone, TimerCBTimeout: ArgCallback, TimerCBResend: ArgStateid,
	TimerRevoke: ArgStateid, TimerExpire: ArgActor, TimerDowngrade: ArgStateid,
	TimerNfsdWait: ArgWaiter, TimerLocalWait: ArgWaiter, TimerRetry: ArgNone,
	TimerRenew: ArgNone, TimerWriteback: ArgFile, TimerOpen: ArgNone, TimerAppRetry: ArgNone,
}

// Arg returns what the timer's TimerKey.Arg holds. It panics for a kind
// it does not know: encoding an identifier as a plain value would merge
// states that differ.
func (k TimerKind) Arg() TimerArg {
	if int(k) < len(timerArgs) && timerArgs[k] != argUnknown {
		return timerArgs[k]
	}
	panic(fmt.Sprintf("model: timer kind %v has no TimerArg (canon.go)", k))
}

// IDSpace returns the namespace of an identifier argument (IDNone for
// ArgNone, ArgActor and ArgFile).
func (a TimerArg) IDSpace() IDSpace {
	switch a {
	case ArgStateid:
		return IDStateid
	case ArgCallback:
		return IDCallback
	case ArgWaiter:
		return IDWaiter
	}
	return IDNone
}

// AppendTimerKey appends a canonical encoding of one of owner's timers.
func (c *Canon) AppendTimerKey(b []byte, owner ActorID, k TimerKey) []byte {
	b = append(b, byte(k.Kind))
	switch a := k.Kind.Arg(); a {
	case ArgActor:
		return appendU(b, c.actor(ActorID(k.Arg)))
	case ArgFile:
		return appendU(b, c.file(FileID(k.Arg)))
	case ArgNone:
		return appendU(b, uint64(k.Arg))
	default:
		return c.id(b, a.IDSpace(), ServerID, k.Arg)
	}
}

// MapTimerKey returns a timer's key under the symmetry, when its argument
// is no identifier (ok false otherwise).
func (c *Canon) MapTimerKey(k TimerKey) (TimerKey, bool) {
	switch k.Kind.Arg() {
	case ArgActor:
		k.Arg = uint32(c.actor(ActorID(k.Arg)))
	case ArgFile:
		k.Arg = uint32(c.file(FileID(k.Arg)))
	case ArgNone:
	default:
		return k, false
	}
	return k, true
}

// AppendMessageCanon appends a canonical encoding of a message.
func (c *Canon) AppendMessageCanon(b []byte, m *Message) []byte {
	if *m == (Message{}) {
		// No message (a local process's stat answer before its stat):
		// its zero file and actors name nothing to map.
		return append(b, 0xff)
	}
	flags := b2u(m.Reply) | b2u(m.Create)<<1 | b2u(m.Excl)<<2 | b2u(m.NonBlk)<<3 | b2u(m.Confirm)<<4 | b2u(m.Dirty)<<5
	b = append(b, byte(m.Kind), byte(flags), byte(m.Status), byte(m.Access), byte(m.Deleg), byte(m.Seq), byte(m.Flags),
		byte(m.Deny), byte(m.Want), byte(m.Why), m.Owner, byte(m.Attrs))
	b = appendU(b, c.actor(m.From))
	b = appendU(b, c.actor(m.To))
	// A callback's xid is nfsd's; any other xid is the client's or the
	// local process's, the end that is not the server.
	if m.Kind.Channel() == ChanCallback {
		b = c.id(b, IDCallback, ServerID, m.XID)
	} else {
		owner := m.From
		if owner == ServerID {
			owner = m.To
		}
		b = c.id(b, IDXID, owner, m.XID)
	}
	b = appendU(b, c.file(m.File))
	b = c.id(b, IDStateid, ServerID, m.Stateid)
	b = c.id(b, IDStateid, ServerID, m.DelegID)
	switch m.Kind {
	case MsgLink, MsgRename, MsgSysLink, MsgSysRename:
		b = appendU(b, c.file(m.Target))
	default:
		b = appendU(b, uint64(m.Target)) // unused: zero, no file
	}
	b = appendI(b, m.Size)
	b = appendU(b, m.Change)
	b = appendI(b, int64(m.Mtime))
	b = appendU(b, c.Data(m.Data))
	return appendI(b, m.Bytes)
}

// order returns the indices 0..n-1 sorted stably by key.
func (c *Canon) order(n int, key func(i int) uint64) []int {
	c.idx = c.idx[:0]
	for i := range n {
		c.idx = append(c.idx, i)
	}
	slices.SortStableFunc(c.idx, func(i, j int) int { return cmp.Compare(key(i), key(j)) })
	return c.idx
}

// The actors' canonical encodings cover what their AppendState covers
// (what the explorer's fingerprints tell apart), field for field, with
// identifiers renamed, actors and files mapped and searched tables in a
// canonical order: a canonical class never splits states the explorer's
// plain fingerprints merge.

// AppendCanon appends the server's canonical encoding under c.
func (s *Server) AppendCanon(b []byte, c *Canon) []byte {
	b = appendU(b, uint64(len(s.files)))
	for j := range s.files {
		f := &s.files[c.fileAt(j)]
		b = appendU(b, b2u(f.Exists)|b2u(f.HadConflict)<<1|b2u(f.Aliased)<<2|b2u(f.Setuid)<<3|b2u(f.Dir)<<4)
		b = appendU(b, uint64(f.Writers))
		b = appendI(b, f.Size)
		b = appendU(b, f.Change)
		b = appendI(b, int64(f.Mtime))
		b = appendU(b, c.Data(f.Data))
	}
	b = appendU(b, uint64(len(s.clients)))
	for j := range s.clients {
		r := &s.clients[c.actorAt(j)]
		b = appendU(b, b2u(r.isClient)|b2u(r.alive)<<1|b2u(r.courtesy)<<2|b2u(r.expirable)<<3)
		b = appendU(b, uint64(r.confirmed))
		b = appendU(b, uint64(r.cb))
		b = appendU(b, uint64(r.minor))
		b = appendI(b, int64(r.lastRenew))
	}
	// Revoked delegations nfsd keeps until FREE_STATEID: looked up by
	// stateid or client, in their order.
	b = appendU(b, uint64(len(s.revoked)))
	for _, r := range s.revoked {
		b = c.id(b, IDStateid, ServerID, r.id)
		b = appendU(b, c.actor(r.client))
		b = appendU(b, c.file(r.file))
	}
	// Names map to inodes, both files.
	b = appendU(b, uint64(len(s.names)))
	for j := range s.names {
		b = appendU(b, c.file(s.names[c.fileAt(j)]))
	}
	// Delegations by file: firstConflict takes the first of a file's
	// delegations, so those of one file keep their order.
	b = appendU(b, uint64(len(s.delegs)))
	for _, i := range c.order(len(s.delegs), func(i int) uint64 { return c.file(s.delegs[i].File) }) {
		d := &s.delegs[i]
		b = c.id(b, IDStateid, ServerID, d.ID)
		b = appendU(b, c.file(d.File))
		b = appendU(b, c.actor(d.Client))
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
	// Opens are looked up by client, file and open-owner; those of one
	// client and file keep their order.
	b = appendU(b, uint64(len(s.opens)))
	for _, i := range c.order(len(s.opens), func(i int) uint64 {
		return c.actor(s.opens[i].client)<<32 | c.file(s.opens[i].file)
	}) {
		o := &s.opens[i]
		b = appendU(b, c.actor(o.client))
		b = appendU(b, c.file(o.file))
		b = c.id(b, IDStateid, ServerID, o.stateid)
		b = appendU(b, uint64(o.access))
		b = appendU(b, uint64(o.deny))
		b = appendU(b, uint64(o.owner))
	}
	// Waiters are woken in arrival order: they keep it. What of them
	// waiter.appendState covers.
	b = appendU(b, uint64(len(s.waiters)))
	for i := range s.waiters {
		w := &s.waiters[i]
		b = c.id(b, IDWaiter, ServerID, w.id)
		b = appendU(b, c.actor(w.from))
		b = appendU(b, uint64(w.req.Kind))
		b = c.id(b, IDXID, w.from, w.req.XID)
		b = appendU(b, c.file(w.req.File))
		b = appendU(b, uint64(w.dec.Action))
		b = appendI(b, int64(w.since))
		b = c.id(b, IDCallback, ServerID, w.cbXID)
		b = appendU(b, b2u(w.onCB))
		if w.haveCB {
			b = appendI(b, w.cbSize)
			b = appendI(b, int64(w.cbMtime))
		}
		b = appendU(b, c.file(w.ino))
	}
	// Pending callbacks are looked up by xid, or by kind and delegation.
	b = appendU(b, uint64(len(s.cbs)))
	for _, i := range c.order(len(s.cbs), func(i int) uint64 {
		return c.actor(s.cbs[i].client)<<8 | uint64(s.cbs[i].kind)
	}) {
		cb := &s.cbs[i]
		b = c.id(b, IDCallback, ServerID, cb.xid)
		b = appendU(b, c.actor(cb.client))
		b = appendU(b, uint64(cb.kind))
		b = c.id(b, IDStateid, ServerID, cb.deleg)
	}
	// The recently-recalled filter holds sets of files.
	for _, set := range [2][]FileID{s.block.cur, s.block.old} {
		b = appendU(b, uint64(len(set)))
		for _, i := range c.order(len(set), func(i int) uint64 { return c.file(set[i]) }) {
			b = appendU(b, c.file(set[i]))
		}
	}
	b = appendU(b, uint64(s.block.entries))
	b = appendU(b, uint64(s.block.oldEntries))
	return appendI(b, int64(s.block.swapAt))
}

// AppendCanon appends the client's canonical encoding under c.
func (cl *Client) AppendCanon(b []byte, c *Canon) []byte {
	me := cl.cfg.ID
	b = appendU(b, uint64(len(cl.files)))
	for j := range cl.files {
		f := &cl.files[c.fileAt(j)]
		b = appendU(b, uint64(f.opens))
		b = appendU(b, uint64(f.access))
		for _, o := range f.own {
			b = appendU(b, uint64(o.opens))
			b = appendU(b, uint64(o.access))
			b = appendU(b, b2u(o.rpcOpen))
			b = c.id(b, IDStateid, ServerID, o.stateid)
		}
		b = appendU(b, b2u(f.returning)<<1|b2u(f.returnWhen)<<2|b2u(f.referenced)<<3|b2u(f.dirty)<<4|b2u(f.cached)<<5|b2u(f.hasAttrs)<<6|
			b2u(f.tested)<<7|b2u(f.wbErr)<<8|b2u(f.stateLost)<<9)
		b = appendU(b, uint64(f.claims))
		b = appendU(b, uint64(f.reopens))
		b = appendU(b, uint64(f.deleg))
		b = c.id(b, IDStateid, ServerID, f.delegID)
		b = appendU(b, f.delegCh)
		b = appendI(b, f.size)
		b = appendU(b, c.Data(f.data))
		b = appendU(b, f.change)
		b = appendI(b, int64(f.mtime))
		b = appendI(b, int64(f.dirtySince))
		b = appendI(b, int64(f.attrAt))
		b = appendI(b, int64(f.attrTimeo))
	}
	b = appendU(b, uint64(cl.next))
	cur := &cl.cur
	b = appendU(b, b2u(cur.active))
	b = appendU(b, uint64(cur.stage))
	b = appendU(b, uint64(cur.attempts))
	b = c.id(b, IDXID, me, cur.xid)
	b = c.id(b, IDStateid, ServerID, cur.sid)
	if cur.active && cur.ffile != noFile {
		b = appendU(b, c.file(cur.ffile))
	} else {
		// No flush yet (noFile), or no operation under way (finish zeroed
		// cur, and begin sets it afresh): the field names no file, so it
		// is not permuted.
		b = appendU(b, uint64(cur.ffile))
	}
	b = appendI(b, int64(cur.start))
	b = appendI(b, int64(cur.sent))
	b = appendU(b, uint64(len(cl.rpcs)))
	for _, r := range cl.rpcs {
		b = appendI(b, int64(r.sent))
		b = c.id(b, IDXID, me, r.xid)
		b = appendU(b, uint64(r.why))
		b = appendU(b, c.file(r.file))
		b = appendU(b, c.Data(r.data))
		b = c.id(b, IDStateid, ServerID, r.sid)
		b = appendU(b, uint64(r.owner))
	}
	b = appendU(b, uint64(cl.recalls))
	b = appendI(b, int64(cl.backoff))
	b = appendU(b, uint64(cl.writes))
	b = appendU(b, uint64(cl.seq))
	b = appendU(b, b2u(cl.crashed)|b2u(cl.bdiWritten)<<1|b2u(cl.recovering)<<2)
	b = appendI(b, int64(cl.lastRenewal))
	return appendI(b, int64(cl.flushAt))
}

// AppendCanon appends the process's canonical encoding under c.
func (l *Local) AppendCanon(b []byte, c *Canon) []byte {
	b = appendU(b, uint64(l.next))
	b = appendU(b, uint64(l.step))
	b = appendU(b, uint64(l.attempt))
	b = appendU(b, uint64(l.stage))
	b = c.id(b, IDXID, l.cfg.ID, l.xid)
	b = appendU(b, uint64(l.seq))
	b = appendU(b, uint64(l.writes))
	b = appendI(b, l.statted.Size)
	b = appendU(b, l.statted.Change)
	b = appendI(b, int64(l.statted.Mtime))
	b = appendU(b, uint64(l.result.Status))
	b = appendI(b, l.result.Size)
	b = appendU(b, l.result.Change)
	b = appendU(b, b2u(l.active))
	return appendI(b, int64(l.start))
}

// WriterIndex returns the client's index in data values (DataValue).
func (cl *Client) WriterIndex() int { return cl.cfg.Index }

// WriterIndex returns the process's index in data values (DataValue).
func (l *Local) WriterIndex() int { return l.cfg.Index }

// Interchangeable reports whether d runs cl's configuration once files
// are renamed by file (file[f] is f's image): the same version, script,
// lease, renewd phase, back-off, writeback and flush behaviour. Names,
// actor ids and writer indices are what a symmetry renames.
func (cl *Client) Interchangeable(d *Client, file []FileID) bool {
	a, b := *cl.cfg, *d.cfg
	a.ID, a.Name, a.Index, b.ID, b.Name, b.Index = 0, "", 0, 0, "", 0
	a.Script = slices.Clone(a.Script)
	for i := range a.Script {
		st := &a.Script[i]
		if !mapFile(&st.File, file) || (st.HasTarget && !mapFile(&st.Target, file)) {
			return false
		}
	}
	// Tables by file move with their files.
	if a.lastAttrUse != nil {
		if len(a.lastAttrUse) != len(file) {
			return false
		}
		use := make([]int, len(file))
		for f, v := range a.lastAttrUse {
			use[file[f]] = v
		}
		a.lastAttrUse = use
	}
	return reflect.DeepEqual(a, b)
}

// mapFile renames *f by file, and reports whether file names it.
func mapFile(f *FileID, file []FileID) bool {
	if *f < 0 || int(*f) >= len(file) {
		return false
	}
	*f = file[*f]
	return true
}

// Interchangeable reports whether d runs l's configuration once files are
// renamed by file, with the same start-up times and retries.
func (l *Local) Interchangeable(d *Local, file []FileID) bool {
	a, b := *l.cfg, *d.cfg
	a.ID, a.Name, a.Index, b.ID, b.Name, b.Index = 0, "", 0, 0, "", 0
	a.Script = slices.Clone(a.Script)
	for i := range a.Script {
		st := &a.Script[i]
		if !mapFile(&st.File, file) || (st.HasTarget && !mapFile(&st.Target, file)) {
			return false
		}
	}
	return reflect.DeepEqual(a, b)
}
