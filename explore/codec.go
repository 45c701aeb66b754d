package explore

import (
	"encoding/binary"
	"slices"

	"github.com/delegsim/delegsim/model"
)

// The BFS frontier holds its states compactly: parts and queues are
// interned (see engine), so a state is its clock and, for each actor and
// each channel, the index of its interned value: a few dozen bytes
// (SPIN's collapse compression, with the components' tables kept by the
// engine). Entries are kept in chunks that are recycled as the search
// goes (layer), so the frontier holds no pointer for the garbage
// collector to scan.

// encode returns the entry of the state f+d (d may be nil) in a scratch
// buffer.
func (e *engine) encode(f *frame, d *delta) []byte {
	now := f.now
	if d != nil {
		now = d.now
	}
	b := binary.AppendVarint(e.ebuf[:0], int64(now))
	actor := -1
	qs := f.chans
	if d != nil {
		actor = d.actor
		if len(d.chans) > 0 {
			qs = append(e.queueBuf[:0], f.chans...)
			for _, c := range d.chans {
				qs[c.i] = c.q
			}
			e.queueBuf = qs
		}
	}
	// Written in place: most indices take one byte.
	n := len(b)
	b = slices.Grow(b, binary.MaxVarintLen32*(len(f.parts)+len(qs)))
	b = b[:cap(b)]
	for i, p := range f.parts {
		if i == actor {
			p = d.p
		}
		n = putID(b, n, p.id)
	}
	for _, q := range qs {
		n = putID(b, n, q.id)
	}
	e.ebuf = b[:n]
	return e.ebuf
}

// putID writes id at b[n:] as a uvarint and returns the end.
func putID(b []byte, n int, id uint32) int {
	if id < 0x80 {
		b[n] = byte(id)
		return n + 1
	}
	return n + binary.PutUvarint(b[n:], uint64(id))
}

// readID reads the index encode wrote at b[n:] and returns it and its
// end.
func readID(b []byte, n int) (uint32, int) {
	if n < len(b) && b[n] < 0x80 {
		return uint32(b[n]), n + 1
	}
	return readIDSlow(b, n)
}

func readIDSlow(b []byte, n int) (uint32, int) {
	if n > len(b) {
		panic("explore: corrupt frontier entry")
	}
	v, k := binary.Uvarint(b[n:])
	if k <= 0 {
		panic("explore: corrupt frontier entry")
	}
	return uint32(v), n + k
}

// load makes f the state entry encodes, updating f's fingerprint with the
// parts and queues that change.
func (e *engine) load(f *frame, entry []byte) {
	b := entry
	now, pos := binary.Varint(b)
	if pos <= 0 {
		panic("explore: corrupt frontier entry")
	}
	if model.Time(now) != f.now {
		dn := e.nowTerm(model.Time(now)) - e.nowTerm(f.now)
		f.hash += dn
		for s := range f.ts {
			f.ts[s] += dn
		}
		f.now = model.Time(now)
	}
	for i, p := range f.parts {
		var id uint32
		id, pos = readID(b, pos)
		if id != p.id {
			n := e.parts[i].values.at(id)
			f.hash += n.term - p.term
			f.parts[i] = n
			if f.ts != nil {
				for s := range f.ts {
					f.ts[s] += n.c.t[s] - p.c.t[s]
				}
			}
		}
	}
	for ci, q := range f.chans {
		var id uint32
		id, pos = readID(b, pos)
		if id != q.id {
			n := e.queues[ci].values.at(id)
			f.hash += n.term - q.term
			f.chans[ci] = n
			if f.ts != nil {
				for s := range f.ts {
					f.ts[s] += n.c.t[s] - q.c.t[s]
				}
			}
		}
	}
	f.arrive, f.next = f.horizon()
	if f.ts != nil {
		clear(f.xv)
	}
}

// chunkSize is the size of the frontier's chunks.
const chunkSize = 64 << 10

// chunkPool keeps the chunks that a layer has been read out of, for the
// next layer to write into. Each worker has its own.
type chunkPool struct{ free [][]byte }

func (p *chunkPool) get(n int) []byte {
	for k := len(p.free) - 1; k >= 0; k-- {
		if c := p.free[k]; cap(c) >= n {
			p.free = append(p.free[:k], p.free[k+1:]...)
			return c[:0]
		}
	}
	return make([]byte, 0, max(n, chunkSize))
}

func (p *chunkPool) put(c []byte) { p.free = append(p.free, c[:0]) }

// fchunk is a run of frontier entries, each prefixed with its length,
// and for each entry its origin: the index of its parent in the layer
// before and the position of its step among the parent's enabled steps.
// The entries are dropped once read; the origins stay, for
// counterexamples.
type fchunk struct {
	data   []byte
	n      int // entries
	base   int // index of the first entry in its layer
	parent []uint32
	ord    []uint16
}

// layer is one depth of the BFS frontier: chunks, in order.
type layer struct {
	chunks []*fchunk
	n      int
}

// layerWriter appends entries to a worker's share of the next layer.
type layerWriter struct {
	pool   *chunkPool
	chunks []*fchunk
	n      int
}

// add appends an entry and its origin.
func (w *layerWriter) add(entry []byte, parent int, ord int) {
	need := binary.MaxVarintLen64 + len(entry)
	k := len(w.chunks)
	if k == 0 || cap(w.chunks[k-1].data)-len(w.chunks[k-1].data) < need {
		w.chunks = append(w.chunks, &fchunk{data: w.pool.get(need)})
		k++
	}
	c := w.chunks[k-1]
	c.data = binary.AppendUvarint(c.data, uint64(len(entry)))
	c.data = append(c.data, entry...)
	c.parent = append(c.parent, uint32(parent))
	c.ord = append(c.ord, uint16(ord))
	c.n++
	w.n++
}

// join makes a layer of the writers' chunks, in writer order.
func join(ws []*layerWriter) *layer {
	l := &layer{}
	for _, w := range ws {
		for _, c := range w.chunks {
			c.base = l.n
			l.n += c.n
			l.chunks = append(l.chunks, c)
		}
		w.chunks, w.n = nil, 0
	}
	return l
}

// each calls f with every entry of chunk c and its index in the layer,
// then gives the chunk's entries back to pool; f may stop it by
// returning false.
func (c *fchunk) each(pool *chunkPool, f func(i int, entry []byte) bool) {
	b := c.data
	for j := 0; j < c.n; j++ {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			panic("explore: corrupt frontier chunk")
		}
		if !f(c.base+j, b[k:k+int(n)]) {
			break
		}
		b = b[k+int(n):]
	}
	pool.put(c.data)
	c.data = nil
}

// origin returns the parent and step position of entry i.
func (l *layer) origin(i int) (parent int, ord uint16) {
	lo, hi := 0, len(l.chunks)
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if l.chunks[mid].base <= i {
			lo = mid
		} else {
			hi = mid
		}
	}
	c := l.chunks[lo]
	return int(c.parent[i-c.base]), c.ord[i-c.base]
}
