package explore

import (
	"cmp"
	"encoding/binary"
	"math/bits"
	"slices"

	"github.com/cespare/xxhash/v2"

	"github.com/delegsim/delegsim/model"
)

// Canonical fingerprints (Options.Symmetry). A state's class is every
// state that a symmetry (symmetry.go), a renaming of identifiers and a
// reordering of the server's searched tables make of it (model's
// AppendCanon). Its canonical fingerprint is the least, over the
// symmetries σ, of the fingerprint of σ(state) with its identifiers
// renamed in order of first occurrence: the same for every state of a
// class.
//
// Computed naively that is one encoding of the whole state per symmetry
// and successor. Instead each interned part and queue keeps, per
// symmetry, the hash of its canonical template (its encoding with every
// identifier a placeholder) and its identifier occurrences. A frame keeps,
// per symmetry, the sum of its components' template terms, updated with
// two terms per changed component like the fingerprint itself; that sum
// ignores identifiers, so only the symmetries that minimise it can give
// the least fingerprint, and only for those (usually one) the renaming
// pass walks the identifier occurrences of the state's components.

// canonInfo is a part's or a queue's canonical template under each
// symmetry.
//
// A component's identifiers are kept as its distinct identifiers in
// order of first occurrence and the pattern of occurrences over them
// (pat, a hash of the sequence of local names); the renaming pass then
// names each distinct identifier once, and the component's renamed
// encoding is its template, its pattern and those names.
type canonInfo struct {
	t   []uint64   // per symmetry: sym[s].t, contiguous for the template sums
	sym []canonSym // per symmetry
}

type canonSym struct {
	th  uint64   // template hash mixed with the pattern's hash
	t   uint64   // th mixed with the salt of the slot the symmetry moves the component to
	ids []uint64 // distinct identifiers (idKey)
}

// idKey is an identifier as the renamer looks it up: for the usual small
// values an index into its direct table, else the identifier in full
// with the top bit set.
func idKey(r model.IDRef) uint64 {
	if sp := r.Space - 1; r.Value < 1<<renDirectBits && r.Owner < 64 && sp < 4 {
		return uint64(sp)<<(6+renDirectBits) | uint64(r.Owner)<<renDirectBits | uint64(r.Value)
	}
	return 1<<63 | uint64(r.Space)<<56 | uint64(r.Owner)<<32 | uint64(r.Value)
}

// packID is the full key of an identifier, for canonBytes.
func packID(r model.IDRef) uint64 {
	return uint64(r.Space)<<56 | uint64(r.Owner)<<32 | uint64(r.Value)
}

// symState is an engine's symmetry group and the encoders of its
// canonical templates.
type symState struct {
	perms  []perm
	inv    []perm         // inverses (actor and chans)
	canons []*model.Canon // one per symmetry
	// fileName maps, per symmetry, a file's name to its image's.
	fileName []map[string]string
	// salt names the slots a component can be moved to: actors, then
	// channels.
	salt []uint64
	cbuf []byte
}

func newSymState(m *Model, perms []perm) *symState {
	s := &symState{perms: perms}
	na, nc := len(m.actors), len(m.Channels)
	s.salt = make([]uint64, na+nc)
	for i := range s.salt {
		s.salt[i] = mix(uint64(i+1)*0xd1b54a32d192ed03 ^ 0x5bd1e995)
	}
	for _, p := range perms {
		inv := perm{actor: make([]model.ActorID, na), chans: make([]int, nc)}
		for a, b := range p.actor {
			inv.actor[b] = model.ActorID(a)
		}
		for a, b := range p.chans {
			inv.chans[b] = a
		}
		s.inv = append(s.inv, inv)
		s.canons = append(s.canons, m.newCanon(p))
		names := map[string]string{}
		for f, g := range p.file {
			names[m.Files[f]] = m.Files[g]
		}
		s.fileName = append(s.fileName, names)
	}
	return s
}

// writerIndex returns an actor's index in data values (0: none).
func writerIndex(a model.Actor) int {
	if w, ok := a.(interface{ WriterIndex() int }); ok {
		return w.WriterIndex()
	}
	return 0
}

// newCanon returns the model's canonical encoder for p.
func (m *Model) newCanon(p perm) *model.Canon {
	n := 0
	for _, a := range m.actors {
		n = max(n, writerIndex(a)+1)
	}
	w := make([]int, n)
	for i := range w {
		w[i] = i
	}
	for a, b := range p.actor {
		if i := writerIndex(m.actors[a]); i > 0 {
			w[i] = writerIndex(m.actors[b])
		}
	}
	c := model.NewCanon(p.actor, p.file, w)
	c.KeepXIDs = true
	return c
}

// canoner is what symmetry reduction needs of an actor: a canonical
// encoding (see model.Server.AppendCanon).
type canoner interface {
	AppendCanon(b []byte, c *model.Canon) []byte
}

func appendCanon(b []byte, a model.Actor, c *model.Canon) []byte {
	switch a := a.(type) {
	case *model.Server:
		return a.AppendCanon(b, c)
	case *model.Client:
		return a.AppendCanon(b, c)
	case *model.Local:
		return a.AppendCanon(b, c)
	}
	return a.(canoner).AppendCanon(b, c)
}

// appendTimersCanon appends actor id's timers under c: those whose
// argument is no identifier sorted by their image, then those that name
// an identifier by kind and deadline (ties in the order of their
// arguments), their identifiers recorded in c.IDs.
func appendTimersCanon(b []byte, c *model.Canon, id model.ActorID, ts []timer) []byte {
	type mapped struct {
		key model.TimerKey
		at  model.Time
		id  bool
	}
	ms := make([]mapped, 0, len(ts))
	for _, t := range ts {
		if t.key == crashTimer {
			ms = append(ms, mapped{key: t.key, at: t.at})
			continue
		}
		k, ok := c.MapTimerKey(t.key)
		ms = append(ms, mapped{key: k, at: t.at, id: !ok})
	}
	slices.SortStableFunc(ms, func(x, y mapped) int {
		if x.id != y.id {
			if x.id {
				return 1
			}
			return -1
		}
		if x.id {
			return cmp.Or(cmp.Compare(x.key.Kind, y.key.Kind), cmp.Compare(x.at, y.at))
		}
		return cmp.Or(keyLess(x.key, y.key), cmp.Compare(x.at, y.at))
	})
	b = binary.AppendUvarint(b, uint64(len(ms)))
	for _, t := range ms {
		if t.id {
			b = c.AppendTimerKey(b, id, t.key)
		} else {
			b = append(b, byte(t.key.Kind))
			b = binary.AppendUvarint(b, uint64(t.key.Arg))
		}
		b = binary.AppendVarint(b, int64(t.at))
	}
	return b
}

// partTemplate appends the canonical template of actor id's part p under
// symmetry s.
func (e *engine) partTemplate(b []byte, s int, id int, p *part) []byte {
	c := e.sym.canons[s]
	b = appendCanon(b, p.actor, c)
	b = appendTimersCanon(b, c, model.ActorID(id), p.timers)
	return binary.LittleEndian.AppendUint64(b, e.hists[p.hist].hs[s])
}

// queueTemplate appends the canonical template of queue q under s.
func (e *engine) queueTemplate(b []byte, s int, q *queue) []byte {
	c := e.sym.canons[s]
	b = binary.AppendUvarint(b, uint64(len(q.msgs)))
	for _, m := range q.msgs {
		b = c.AppendMessageCanon(b, m.msg)
		b = binary.AppendVarint(b, int64(m.ready))
		b = binary.AppendVarint(b, int64(m.due))
	}
	return b
}

// canonInfo computes a component's templates; slot is where it sits
// (an actor, or len(actors) plus a channel), template appends its
// template under a symmetry.
func (e *engine) canonInfo(slot int, template func(b []byte, s int) []byte) *canonInfo {
	sy := e.sym
	n := len(sy.perms)
	ci := &canonInfo{t: make([]uint64, n), sym: make([]canonSym, n)}
	var ids []uint64
	off := make([]int, n+1)
	na := len(e.m.actors)
	local := map[uint64]uint64{}
	for s := range n {
		c := sy.canons[s]
		c.IDs = c.IDs[:0]
		sy.cbuf = template(sy.cbuf[:0], s)
		clear(local)
		pat := uint64(len(c.IDs))
		for _, r := range c.IDs {
			k := idKey(r)
			if _, ok := local[k]; !ok {
				local[k] = uint64(len(local) + 1)
				// Waiter ids occur in the server's part only (its
				// waiters and their timers): named within the part.
				if r.Space != model.IDWaiter {
					ids = append(ids, k)
				}
			}
			pat = pat*0x9e3779b97f4a7c15 + local[k]
		}
		if len(c.IDs) > 0 {
			sy.cbuf = binary.LittleEndian.AppendUint64(sy.cbuf, mix(pat))
		}
		cs := &ci.sym[s]
		cs.th = xxhash.Sum64(sy.cbuf)
		dst := 0
		if slot < na {
			dst = int(sy.perms[s].actor[slot])
		} else {
			dst = na + sy.perms[s].chans[slot-na]
		}
		cs.t = mix(cs.th ^ sy.salt[dst])
		ci.t[s] = cs.t
		off[s+1] = len(ids)
	}
	// One array holds every symmetry's identifiers.
	ids = slices.Clip(ids)
	for s := range ci.sym {
		if off[s+1] > off[s] {
			ci.sym[s].ids = ids[off[s]:off[s+1]:off[s+1]]
		}
	}
	return ci
}

// canonSums computes f's template sums, one per symmetry, into ts.
func (e *engine) canonSums(f *frame, ts []uint64) {
	now := e.nowTerm(f.now)
	for s := range ts {
		ts[s] = now
	}
	for _, p := range f.parts {
		for s, t := range p.c.t {
			ts[s] += t
		}
	}
	for _, q := range f.chans {
		for s, t := range q.c.t {
			ts[s] += t
		}
	}
}

// canonDelta computes the template sums of f+d into d.ts.
func (e *engine) canonDelta(f *frame, d *delta) {
	ts := d.ts
	copy(ts, f.ts)
	if d.now != f.now {
		dn := e.nowTerm(d.now) - e.nowTerm(f.now)
		for s := range ts {
			ts[s] += dn
		}
	}
	if d.actor >= 0 {
		nt, ot := d.p.c.t, f.parts[d.actor].c.t
		for s := range ts {
			ts[s] += nt[s] - ot[s]
		}
	}
	for _, ch := range d.chans {
		nt, ot := ch.q.c.t, f.chans[ch.i].c.t
		for s := range ts {
			ts[s] += nt[s] - ot[s]
		}
	}
}

// canonKey returns the canonical fingerprint of f+d (d may be nil), whose
// template sums are ts.
func (e *engine) canonKey(f *frame, d *delta, ts []uint64) uint64 {
	least := ts[0]
	for _, t := range ts[1:] {
		least = min(least, t)
	}
	key := ^uint64(0)
	if d != nil {
		d.xc = d.xc[:0]
	}
	for s, t := range ts {
		if t != least {
			continue
		}
		var x uint64
		if d != nil && e.sameIDs(f, d, s) {
			x = e.frameNames(f, s)
		} else {
			x = e.renamed(f, d, s)
		}
		if d != nil {
			d.xc = append(d.xc, symNames{s, x})
		}
		key = min(key, t+mix(x))
	}
	return key
}

// symNames is the hash of a state's identifiers' names under a symmetry.
type symNames struct {
	s int
	x uint64
}

// frameNames returns renamed(f, nil, s), computed once per frame.
func (e *engine) frameNames(f *frame, s int) uint64 {
	if !f.xv[s] {
		f.xs[s], f.xv[s] = e.renamed(f, nil, s), true
	}
	return f.xs[s]
}

// sameIDs reports whether the components d changes have the same
// identifiers under symmetry s before and after: then f+d's names are
// f's (the names depend only on the sequence of the components'
// identifiers).
func (e *engine) sameIDs(f *frame, d *delta, s int) bool {
	if d.actor >= 0 && !slices.Equal(d.p.c.sym[s].ids, f.parts[d.actor].c.sym[s].ids) {
		return false
	}
	for _, c := range d.chans {
		if !slices.Equal(c.q.c.sym[s].ids, f.chans[c.i].c.sym[s].ids) {
			return false
		}
	}
	return true
}

// inheritNames gives dst, the state f+d, the names canonKey computed for
// it.
func inheritNames(dst *frame, d *delta) {
	clear(dst.xv)
	for _, c := range d.xc {
		dst.xs[c.s], dst.xv[c.s] = c.x, true
	}
}

// renamed hashes the names of the identifiers of the image of f+d under
// symmetry s, renamed by first occurrence: the names of each component's
// distinct identifiers, visited in the order of the slots of the image
// (actors, then the channels with messages in flight). The image's
// fingerprint is its template sum (which fixes every component's
// template and its pattern of identifiers) plus a mix of that hash.
func (e *engine) renamed(f *frame, d *delta, s int) uint64 {
	r := &e.ren
	r.reset()
	inv := &e.sym.inv[s]
	x := uint64(0xcbf29ce484222325)
	actor := -1
	if d != nil {
		actor = d.actor
	}
	for _, a := range inv.actor {
		p := f.parts[a]
		if int(a) == actor {
			p = d.p
		}
		if ids := p.c.sym[s].ids; len(ids) > 0 {
			x = r.names(x, ids)
		}
	}
	mask := f.mask
	if d != nil {
		mask = d.mask
	}
	if mask == fullMask {
		for _, c := range inv.chans {
			if q := f.queue(d, c); len(q.msgs) > 0 {
				x = r.names(x, q.c.sym[s].ids)
			}
		}
		return x
	}
	// The image's slots of the channels in flight, in order.
	fwd := e.sym.perms[s].chans
	var dst uint64
	for m := mask; m != 0; m &= m - 1 {
		dst |= 1 << fwd[bits.TrailingZeros64(m)]
	}
	for ; dst != 0; dst &= dst - 1 {
		c := inv.chans[bits.TrailingZeros64(dst)]
		q := f.chans[c]
		if d != nil {
			for _, ch := range d.chans {
				if ch.i == c {
					q = ch.q
				}
			}
		}
		if ids := q.c.sym[s].ids; len(ids) > 0 {
			x = r.names(x, ids)
		}
	}
	return x
}

// renamer renames identifiers by first occurrence. The usual ones (values
// below 2^renDirectBits of four namespaces and 64 owners) have a slot of
// their own in a direct table, stamped with the pass that named them, so
// that a pass starts by bumping the stamp; others go to a map.
type renamer struct {
	direct []uint64 // stamp<<32 | name
	cur    uint64
	next   uint64
	over   map[uint64]uint64
}

const renDirectBits = 8

func (r *renamer) reset() {
	if r.direct == nil {
		r.direct = make([]uint64, 4<<(6+renDirectBits))
	}
	r.cur++
	if r.cur == 1<<32 {
		clear(r.direct)
		r.cur = 1
	}
	r.next = 0
	if len(r.over) > 0 {
		clear(r.over)
	}
}

// name returns the canonical name of an identifier outside the direct
// table.
func (r *renamer) name(k uint64) uint64 {
	if r.over == nil {
		r.over = map[uint64]uint64{}
	}
	if n, ok := r.over[k]; ok {
		return n
	}
	r.next++
	r.over[k] = r.next
	return r.next
}

// names hashes into x the canonical names of ids (1 for the first
// identifier met since reset, 2 for the next, ...), FNV-1a style.
func (r *renamer) names(x uint64, ids []uint64) uint64 {
	direct, cur, next := r.direct, r.cur, r.next
	for _, k := range ids {
		var n uint64
		if k < uint64(len(direct)) {
			if v := direct[k]; v>>32 == cur {
				n = v & 0xffffffff
			} else {
				next++
				direct[k] = cur<<32 | next
				n = next
			}
		} else {
			r.next = next
			n = r.name(k)
			next = r.next
		}
		x = (x ^ n) * 0x100000001b3
	}
	r.next = next
	return x
}

// canonBytes is the reference canonical encoding of f under p: every
// slot of the image in order, each its template and its identifiers
// renamed by first occurrence. Explorations use canonKey; this is for
// checking that a permutation maps the start state onto itself, and for
// tests.
func (e *engine) canonBytes(f *frame, p perm) []byte {
	c := e.m.newCanon(p)
	na := len(f.parts)
	inv := make([]int, na)
	for a, b := range p.actor {
		inv[b] = a
	}
	cinv := make([]int, len(p.chans))
	for a, b := range p.chans {
		cinv[b] = a
	}
	names := map[uint64]uint64{}
	var out []byte
	emit := func(tmpl []byte) {
		out = binary.AppendUvarint(out, uint64(len(tmpl)))
		out = append(out, tmpl...)
		for _, r := range c.IDs {
			k := packID(r)
			if _, ok := names[k]; !ok {
				names[k] = uint64(len(names) + 1)
			}
			out = binary.AppendUvarint(out, names[k])
		}
		c.IDs = c.IDs[:0]
	}
	out = binary.AppendVarint(out, int64(f.now))
	fileName := map[string]string{}
	for a, b := range p.file {
		fileName[e.m.Files[a]] = e.m.Files[b]
	}
	for j := range na {
		pt := f.parts[inv[j]]
		b := appendCanon(nil, pt.actor, c)
		b = appendTimersCanon(b, c, model.ActorID(inv[j]), pt.timers)
		emit(b)
		var hist []byte
		for h := pt.hist; h != 0; h = e.hists[h].prev {
			op := e.hists[h].op
			hist = e.appendOpMapped(hist, &op, fileName[op.File], c.Data(op.Data))
		}
		emit(hist)
	}
	for j := range cinv {
		q := f.chans[cinv[j]]
		b := binary.AppendUvarint(nil, uint64(len(q.msgs)))
		for _, m := range q.msgs {
			b = c.AppendMessageCanon(b, m.msg)
			b = binary.AppendVarint(b, int64(m.ready))
			b = binary.AppendVarint(b, int64(m.due))
		}
		emit(b)
	}
	return out
}
