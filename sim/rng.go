package sim

import "math/rand/v2"

// Streams splits one seed into independent named random streams, so that
// adding a client or a draw in one place does not shift the draws of
// another: "c1/fore" gets the same numbers whatever else the run does.
type Streams struct{ seed uint64 }

// NewStreams returns the streams of seed.
func NewStreams(seed uint64) Streams { return Streams{seed: seed} }

// Get returns the stream with the given name, positioned at its start.
func (s Streams) Get(name string) *rand.Rand {
	return rand.New(rand.NewPCG(s.seed, fnv64a(fnvOffset64, name)))
}

// FNV-1a, 64 bits (hash/fnv's New64a), inlined so that naming a stream
// allocates nothing.
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// fnv64a continues the FNV-1a hash h over the bytes of s.
func fnv64a(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime64
	}
	return h
}
