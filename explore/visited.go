package explore

// hashSet is the set of visited states, stored as their 64-bit hashes
// only (hash compaction): an open-addressing table with linear probing,
// kept at most 3/4 full, so a state costs 10.7 to 21.3 bytes. Two states
// with the same hash are taken to be the same; with n states the chance
// of any collision is about n²/2⁶⁵ (3·10⁻⁸ for a million states), and a
// collision can only hide states, never invent a violation.
type hashSet struct {
	slots []uint64 // 0: empty
	n     int
}

// add inserts h and reports whether it was new.
func (s *hashSet) add(h uint64) bool {
	if h == 0 {
		h = 1 // 0 marks an empty slot
	}
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

func (s *hashSet) grow() {
	old := s.slots
	size := 2 * len(old)
	if size == 0 {
		size = 1 << 10
	}
	s.slots = make([]uint64, size)
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
}

// bytes is the table's size in memory.
func (s *hashSet) bytes() int { return 8 * len(s.slots) }
