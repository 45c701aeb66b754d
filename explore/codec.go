package explore

import (
	"encoding/binary"

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
	for i := range f.parts {
		b = appendID(b, f.part(d, i).id)
	}
	for ci := range f.chans {
		b = appendID(b, f.queue(d, ci).id)
	}
	e.ebuf = b
	return b
}

// appendID appends an index as a uvarint; most are below 128.
func appendID(b []byte, id uint32) []byte {
	if id < 0x80 {
		return append(b, byte(id))
	}
	return binary.AppendUvarint(b, uint64(id))
}

// load makes f the state entry encodes, updating f's fingerprint with the
// parts and queues that change.
func (e *engine) load(f *frame, entry []byte) {
	b := entry
	next := func() uint32 {
		if len(b) > 0 && b[0] < 0x80 {
			v := b[0]
			b = b[1:]
			return uint32(v)
		}
		v, k := binary.Uvarint(b)
		if k <= 0 {
			panic("explore: corrupt frontier entry")
		}
		b = b[k:]
		return uint32(v)
	}
	now, k := binary.Varint(b)
	if k <= 0 {
		panic("explore: corrupt frontier entry")
	}
	b = b[k:]
	if model.Time(now) != f.now {
		f.hash += e.nowTerm(model.Time(now)) - e.nowTerm(f.now)
		f.now = model.Time(now)
	}
	for i, p := range f.parts {
		if id := next(); id != p.id {
			n := e.parts[i].values[id]
			f.hash += n.term - p.term
			f.parts[i] = n
		}
	}
	for ci, q := range f.chans {
		if id := next(); id != q.id {
			n := e.queues[ci].values[id]
			f.hash += n.term - q.term
			f.chans[ci] = n
		}
	}
	f.arrive, f.next = f.horizon()
}

// chunkSize is the size of the frontier's chunks.
const chunkSize = 64 << 10

// chunkPool keeps the chunks that a layer has been read out of, for the
// next layer to write into.
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

// layer is one depth of the BFS frontier: entries, each prefixed with its
// length, in chunks.
type layer struct {
	chunks [][]byte
	n      int // entries
	// Reading: the chunk and the offset in it.
	rc, ro int
}

// add appends an entry.
func (l *layer) add(pool *chunkPool, entry []byte) {
	need := binary.MaxVarintLen64 + len(entry)
	if k := len(l.chunks); k == 0 || cap(l.chunks[k-1])-len(l.chunks[k-1]) < need {
		l.chunks = append(l.chunks, pool.get(need))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = binary.AppendUvarint(*c, uint64(len(entry)))
	*c = append(*c, entry...)
	l.n++
}

// next returns the next entry, or false at the end; a chunk read to its
// end goes back to the pool, so the entry is valid until the next call.
func (l *layer) next(pool *chunkPool) ([]byte, bool) {
	for l.rc < len(l.chunks) {
		c := l.chunks[l.rc]
		if l.ro < len(c) {
			n, k := binary.Uvarint(c[l.ro:])
			if k <= 0 || n > uint64(len(c)-l.ro-k) {
				panic("explore: corrupt frontier chunk")
			}
			start := l.ro + k
			l.ro = start + int(n)
			return c[start:l.ro], true
		}
		pool.put(c)
		l.chunks[l.rc] = nil
		l.rc++
		l.ro = 0
	}
	return nil, false
}
