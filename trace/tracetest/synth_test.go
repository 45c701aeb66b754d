package tracetest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/delegsim/delegsim/trace"
	"github.com/delegsim/delegsim/trace/tracetest"
)

func seed(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A synthesized capture decodes as what it is made of: every WRITE of
// the stream answered, and the seed's story once per replay, from new
// connections.
func TestSynthDecodes(t *testing.T) {
	s, err := tracetest.New(tracetest.Options{Size: 8 << 20, Seeds: [][]byte{seed(t, "k612-v42-rdwr-lsattr2-d0.pcap")}, WriteEvery: 2 << 20})
	if err != nil {
		t.Fatal(err)
	}
	c, st, err := trace.Tell(s, "synth", trace.TellOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: %v", c.Warnings)
	}
	writes, answered := 0, 0
	for _, f := range st.Figures.Clients {
		if c.Clients[f.Client].Owner == "" {
			writes, answered = s.Writes(), f.Replies
		}
	}
	if writes < 200 || answered != writes {
		t.Errorf("%d WRITEs made, %d answered in the story", writes, answered)
	}
	// The seed is replayed between every 2 MB of WRITEs: three or four
	// times in 8 MB, each with its delegation recalled.
	if n := len(st.Delegations); n < 3 || n > 4 || len(st.LocalBreaks) != n {
		t.Errorf("%d delegations, %d local breaks: want the seed's one per replay", n, len(st.LocalBreaks))
	}
}
