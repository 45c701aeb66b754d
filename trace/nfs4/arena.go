package nfs4

import "unsafe"

// Arena holds the memory of decoded compounds: their operations and the
// values the operations point to (attributes, sequences, file handles,
// bitmaps). A capture holds hundreds of thousands of compounds of a few
// operations each; taking them from an arena costs one allocation per
// many values instead of several per operation, which is most of what a
// decoder would otherwise spend in the allocator and the garbage
// collector.
//
// Compounds decoded from an arena stay valid until Reset. The zero Arena
// is ready to use; an Arena is not safe for concurrent use.
type Arena struct {
	x, sub    xdr // readers of the compound and of an attribute list
	compounds slab[Compound]
	ops       slab[Op]
	fattrs    slab[Fattr]
	seqs      slab[Sequence]
	opens     slab[OpenArgs]
	delegs    slab[Delegation]
	clients   slab[ClientArgs]
	cinfos    slab[ChangeInfo]
	dirs      slab[DirDeleg]
	times     slab[Time]
	words     slab[uint32] // bitmaps
	bytes     slab[byte]   // file handles, owners
}

// Reset hands the arena's memory to the compounds decoded next: every
// compound decoded from it before must no longer be used.
func (a *Arena) Reset() {
	a.compounds.reset()
	a.ops.reset()
	a.fattrs.reset()
	a.seqs.reset()
	a.opens.reset()
	a.delegs.reset()
	a.clients.reset()
	a.cinfos.reset()
	a.dirs.reset()
	a.times.reset()
	a.words.reset()
	a.bytes.reset()
}

// DecodeCall is the package's DecodeCall, taking memory from a.
func (a *Arena) DecodeCall(body []byte, cutAt int, callback bool) *Compound {
	return decodeCall(a, body, cutAt, callback)
}

// DecodeReply is the package's DecodeReply, taking memory from a.
func (a *Arena) DecodeReply(body []byte, cutAt int, callback bool) *Compound {
	return decodeReply(a, body, cutAt, callback)
}

// Chunk sizes, in bytes: the first chunk of a slab is small (a lone
// compound decoded by DecodeCall should not cost kilobytes), later ones
// double up to a bound, so a long capture makes few, moderate
// allocations.
const (
	firstChunk = 1 << 10
	maxChunk   = 32 << 10
)

// slab hands out zeroed values of T from chunks. Values handed out are
// never moved: a new chunk is started when the current one is full, and
// the old one lives on for as long as its values are used. reset reuses
// the current chunk from its start.
type slab[T any] struct {
	buf []T
	n   int
}

// take returns k zeroed values, contiguous, with no room to append.
func (s *slab[T]) take(k int) []T {
	if k == 0 {
		return []T{}
	}
	if s.n+k > len(s.buf) {
		sz := int(unsafe.Sizeof(*new(T)))
		size := max(k, firstChunk/sz, min(2*len(s.buf), maxChunk/sz))
		s.buf = make([]T, size)
		s.n = 0
	}
	v := s.buf[s.n : s.n+k : s.n+k]
	s.n += k
	clear(v) // reused after a reset
	return v
}

func (s *slab[T]) one() *T { return &s.take(1)[0] }

func (s *slab[T]) reset() { s.n = 0 }

// reader returns the arena's compound reader, set to read b.
func (a *Arena) reader(b []byte, cutAt int) *xdr {
	a.x = xdr{b: b, cut: noCut, a: a}
	if cutAt >= 0 {
		a.x.cut = cutAt
	}
	return &a.x
}
