package sim

import (
	"hash/fnv"
	"testing"
)

// TestStreamNames: a stream is named by the FNV-1a hash of its name
// (hash/fnv's New64a, inlined here), and the engine's lazily created
// streams, named in two parts, draw exactly what Streams.Get draws for
// the whole name.
func TestStreamNames(t *testing.T) {
	tests := []struct{ prefix, suffix string }{
		{"", ""},
		{"server/processing", ""},
		{"c1", "/fore/up"},
		{"c12", "/callback/down"},
		{"l1", "/startup"},
	}
	for _, tt := range tests {
		name := tt.prefix + tt.suffix
		h := fnv.New64a()
		h.Write([]byte(name))
		if got, want := fnv64a(fnvOffset64, name), h.Sum64(); got != want {
			t.Errorf("fnv64a(%q) = %#x, want %#x", name, got, want)
		}
		e := Engine{streams: NewStreams(7)}
		l := lazyRand{prefix: tt.prefix, suffix: tt.suffix}
		want := e.streams.Get(name)
		for i := 0; i < 5; i++ {
			if g, w := e.rng(&l).Uint64(), want.Uint64(); g != w {
				t.Fatalf("stream %q draw %d: %#x, want %#x", name, i, g, w)
			}
		}
	}
}
