package sim

import (
	"hash/fnv"
	"math/rand/v2"
)

// Streams splits one seed into independent named random streams, so that
// adding a client or a draw in one place does not shift the draws of
// another: "c1/fore" gets the same numbers whatever else the run does.
type Streams struct{ seed uint64 }

// NewStreams returns the streams of seed.
func NewStreams(seed uint64) Streams { return Streams{seed: seed} }

// Get returns the stream with the given name, positioned at its start.
func (s Streams) Get(name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(s.seed, h.Sum64()))
}
