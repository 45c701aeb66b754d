package explore

import (
	"sync/atomic"
)

// Tables the workers of a search share. Values are written under the
// tables' lock (engine.mu) and read without it: a reader only ever looks
// up what an atomic store published (a memo entry, a directory), and
// what it points to is never modified again.

// memo maps three-word keys to values: an open-addressed table whose
// slots hold the key and a pointer to the value, so that a probe reads
// one slot and no pointer it does not need. get takes no lock; put must
// be called under the tables' lock. A slot is written once: its key
// first, then (atomically) its value, which readers load before the key.
type memo[V any] struct {
	cur atomic.Pointer[memoTab[V]]
	n   int
}

type memoTab[V any] struct {
	mask  uint64
	slots []memoSlot[V]
}

type memoSlot[V any] struct {
	v atomic.Pointer[V]
	k memoKey
}

// memoKey is a memo's key: up to four words.
type memoKey = [4]uint64

// memoHash spreads a key over the table; keys are compared in full, so
// a collision only costs a probe.
func memoHash(k memoKey) uint64 {
	return mix(k[0] ^ k[1]*0x9e3779b97f4a7c15 ^ k[2]*0xc2b2ae3d27d4eb4f ^ k[3]*0x165667b19e3779f9)
}

// get returns the value stored under k, or nil.
func (m *memo[V]) get(k memoKey) *V {
	t := m.cur.Load()
	if t == nil {
		return nil
	}
	for i := memoHash(k) & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		v := s.v.Load()
		if v == nil {
			return nil
		}
		if s.k == k {
			return v
		}
	}
}

// put stores v under k (k must not be stored yet), growing the table to
// keep it at most half full.
func (m *memo[V]) put(k memoKey, v *V) {
	t := m.cur.Load()
	if t == nil || 2*(m.n+1) > len(t.slots) {
		size := 1 << 12
		if t != nil {
			size = 2 * len(t.slots)
		}
		nt := &memoTab[V]{mask: uint64(size - 1), slots: make([]memoSlot[V], size)}
		if t != nil {
			for i := range t.slots {
				if v := t.slots[i].v.Load(); v != nil {
					nt.insert(t.slots[i].k, v)
				}
			}
		}
		m.cur.Store(nt)
		t = nt
	}
	t.insert(k, v)
	m.n++
}

func (t *memoTab[V]) insert(k memoKey, v *V) {
	for i := memoHash(k) & t.mask; ; i = (i + 1) & t.mask {
		if s := &t.slots[i]; s.v.Load() == nil {
			s.k = k
			s.v.Store(v)
			return
		}
	}
}

// vec is an append-only sequence of pointers indexed by uint32: chunks
// that never move, reached through a directory that is replaced when it
// grows. at takes no lock; push must be called under the tables' lock.
type vec[T any] struct {
	dir atomic.Pointer[[]*vecChunk[T]]
	n   int
}

const vecShift = 8

type vecChunk[T any] [1 << vecShift]*T

// at returns element i, which must have been published to the caller.
func (v *vec[T]) at(i uint32) *T {
	return (*v.dir.Load())[i>>vecShift][i&(1<<vecShift-1)]
}

// len returns the number of elements; under the tables' lock.
func (v *vec[T]) len() int { return v.n }

// push appends x and returns its index.
func (v *vec[T]) push(x *T) uint32 {
	i := v.n
	var d []*vecChunk[T]
	if p := v.dir.Load(); p != nil {
		d = *p
	}
	c := i >> vecShift
	if c == len(d) {
		// Readers of the old directory never look past its length, so
		// its backing array may be extended in place.
		var nd []*vecChunk[T]
		if c < cap(d) {
			nd = d[:c+1]
		} else {
			nd = make([]*vecChunk[T], c+1, 2*c+1)
			copy(nd, d)
		}
		nd[c] = new(vecChunk[T])
		v.dir.Store(&nd)
		d = nd
	}
	d[c][i&(1<<vecShift-1)] = x
	v.n++
	return uint32(i)
}
