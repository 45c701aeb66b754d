package explore

import (
	"sync"
	"sync/atomic"
)

// visitedSet is the set of visited states, stored as their 64-bit
// fingerprints only (hash compaction): open-addressed tables with linear
// probing, kept at most 3/4 full, so a state costs 10.7 to 21.3 bytes.
// Two states with the same fingerprint are taken to be the same; with n
// states the chance of any collision is about n²/2⁶⁵ (3·10⁻⁸ for a
// million states), and a collision can only hide states, never invent a
// violation.
//
// One worker uses one table without locks. Several share 256 shards,
// chosen by a fingerprint's top bits (the slot by its low bits), each
// behind its own lock, so two workers rarely wait for each other and a
// shard grows alone.
type visitedSet struct {
	shards []vshard
	shift  uint // a fingerprint's shard is h >> shift
	locked bool
	sink   uint64 // keeps the prefetching loads of addBatch
}

type vshard struct {
	mu    sync.Mutex
	slots []uint64 // 0: empty; outside the Go heap (allocWords)
	free  func()
	n     int
	_     [16]byte // one shard per cache line
}

func newVisited(workers int) *visitedSet {
	if workers <= 1 {
		return &visitedSet{shards: make([]vshard, 1), shift: 63}
	}
	return &visitedSet{shards: make([]vshard, 256), shift: 56, locked: true}
}

func (v *visitedSet) shard(h uint64) *vshard {
	if len(v.shards) == 1 {
		return &v.shards[0]
	}
	return &v.shards[h>>v.shift]
}

// add inserts h and reports whether it was new.
func (v *visitedSet) add(h uint64) bool {
	if h == 0 {
		h = 1 // 0 marks an empty slot
	}
	s := v.shard(h)
	if v.locked {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	return s.add(h)
}

// addBatch inserts every key and sets fresh[i] for the new ones. With one
// table it first touches every key's slot, so that the cache misses of a
// state's successors overlap instead of following one another: the
// table is far larger than the caches and each insertion is a miss.
func (v *visitedSet) addBatch(keys []uint64, fresh []bool) {
	if !v.locked {
		s := &v.shards[0]
		if n := len(s.slots); n > 0 && 4*(s.n+len(keys)) <= 3*n {
			mask := uint64(n - 1)
			var sum uint64
			for _, h := range keys {
				sum += s.slots[h&mask]
			}
			v.sink += sum
		}
	}
	for i, h := range keys {
		fresh[i] = v.add(h)
	}
}

func (s *vshard) add(h uint64) bool {
	if 4*(s.n+1) > 3*len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return false
		case 0:
			s.slots[i] = h
			s.n++
			return true
		}
	}
}

func (s *vshard) grow() {
	old := s.slots
	size := 2 * len(old)
	if size == 0 {
		size = 1 << 6
	}
	oldFree := s.free
	s.slots, s.free = allocWords(size)
	mask := uint64(size - 1)
	for _, h := range old {
		if h == 0 {
			continue
		}
		i := h & mask
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = h
	}
	if oldFree != nil {
		oldFree()
	}
}

// release frees the tables; the set is empty afterwards.
func (v *visitedSet) release() {
	for i := range v.shards {
		if s := &v.shards[i]; s.free != nil {
			s.free()
			s.slots, s.free, s.n = nil, nil, 0
		}
	}
}

// bytes is the tables' size in memory.
func (v *visitedSet) bytes() int {
	n := 0
	for i := range v.shards {
		n += 8 * len(v.shards[i].slots)
	}
	return n
}

// recentSet remembers plain fingerprints lately seen: a direct-mapped
// table, each slot the latest fingerprint that fell to it. A fingerprint
// found there belongs to a state already visited (up to the collisions
// that hash compaction admits anyway). It grows with the search to
// recentMax slots.
type recentSet struct {
	slots []uint64
	n     int
	sink  uint64
}

const recentMax = 1 << 19

// touch loads the slots of the successors' plain fingerprints, so that
// their cache misses overlap (see addBatch).
func (r *recentSet) touch(kids []delta) {
	if len(r.slots) == 0 {
		return
	}
	mask := uint64(len(r.slots) - 1)
	var sum uint64
	for i := range kids {
		sum += r.slots[kids[i].hash&mask]
	}
	r.sink += sum
}

// seen reports whether h is in the set, and adds it.
func (r *recentSet) seen(h uint64) bool {
	if h == 0 {
		h = 1
	}
	if r.n++; len(r.slots) < recentMax && r.n > 2*len(r.slots) {
		r.slots = make([]uint64, max(1<<12, 2*len(r.slots)))
	}
	i := h & uint64(len(r.slots)-1)
	if r.slots[i] == h {
		return true
	}
	r.slots[i] = h
	return false
}

// offHeap counts the bytes of the tables allocWords keeps outside the Go
// heap.
var offHeap atomic.Int64

// OffHeapBytes returns the memory the explorer holds outside the Go heap
// (its visited sets), which the Go runtime's memory statistics leave
// out.
func OffHeapBytes() int64 { return offHeap.Load() }
