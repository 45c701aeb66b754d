package model

import (
	"encoding/binary"
	"slices"
)

// bloom models nfsd's blocked_delegations filter (delegation_blocked,
// block_delegations in fs/nfsd/nfs4state.c): a file whose delegation was
// recalled gets no new delegation until two swaps of a two-generation
// filter have passed, i.e. for 30–60 s. The real filter hashes file
// handles into 256 bits and can have false positives; the model keeps the
// exact set, which is the filter without collisions.
type bloom struct {
	cur, old []FileID
	swapAt   Time
	// entries and oldEntries are the kernel's bd->entries and
	// bd->old_entries: how many blocks the filter holds by its own count.
	// They decide when it is empty (and when the swap clock restarts);
	// with the swap bug they disagree with the sets.
	entries, oldEntries int
}

// blocked reports whether f was recalled recently. Like the kernel it
// swaps generations lazily, when asked and the period has passed. With
// swapBug (6.6.0, 6.9) the swap clears the new half instead of the old
// one: every entry is forgotten at the first swap, so a file is blocked
// for 0–30 s only.
func (b *bloom) blocked(now, period Time, f FileID, swapBug bool) bool {
	if b.entries == 0 {
		return false
	}
	if now-b.swapAt > period {
		b.entries -= b.oldEntries
		b.oldEntries = b.entries
		b.old, b.cur = b.cur, b.old[:0]
		if swapBug {
			b.old = b.old[:0]
		}
		b.swapAt = now
	}
	return slices.Contains(b.cur, f) || slices.Contains(b.old, f)
}

// add blocks f; the swap clock starts when the filter goes from empty to
// non-empty.
func (b *bloom) add(now Time, f FileID) {
	if b.entries == 0 {
		b.swapAt = now
	}
	b.entries++
	if !slices.Contains(b.cur, f) {
		b.cur = append(b.cur, f)
	}
}

func (b bloom) clone() bloom {
	c := b
	c.cur, c.old = slices.Clone(b.cur), slices.Clone(b.old)
	return c
}

func (b bloom) appendState(out []byte) []byte {
	out = binary.AppendUvarint(out, uint64(len(b.cur)))
	for _, f := range b.cur {
		out = binary.AppendUvarint(out, uint64(f))
	}
	out = binary.AppendUvarint(out, uint64(len(b.old)))
	for _, f := range b.old {
		out = binary.AppendUvarint(out, uint64(f))
	}
	out = binary.AppendUvarint(out, uint64(b.entries))
	out = binary.AppendUvarint(out, uint64(b.oldEntries))
	return binary.AppendVarint(out, int64(b.swapAt))
}
