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
}

// blocked reports whether f was recalled recently. Like the kernel it
// swaps generations lazily, when asked and the period has passed.
func (b *bloom) blocked(now, period Time, f FileID) bool {
	if len(b.cur)+len(b.old) == 0 {
		return false
	}
	if now-b.swapAt > period {
		b.old, b.cur = b.cur, nil
		b.swapAt = now
	}
	return slices.Contains(b.cur, f) || slices.Contains(b.old, f)
}

// add blocks f; the swap clock starts when the filter goes from empty to
// non-empty.
func (b *bloom) add(now Time, f FileID) {
	if len(b.cur)+len(b.old) == 0 {
		b.swapAt = now
	}
	if !slices.Contains(b.cur, f) {
		b.cur = append(b.cur, f)
	}
}

func (b bloom) clone() bloom {
	return bloom{cur: slices.Clone(b.cur), old: slices.Clone(b.old), swapAt: b.swapAt}
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
	return binary.AppendVarint(out, int64(b.swapAt))
}
