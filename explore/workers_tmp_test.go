package explore

import "testing"

func TestTmpWorkers(t *testing.T) {
	for _, sc := range []string{"bz219278-2c2l", "testdata/lossy-crash.yaml", "testdata/stale-local-read.yaml"} {
		for _, st := range []Strategy{BFS, DFS} {
			for _, sym := range []bool{false, true} {
				m := testModel(t, sc, "kernel")
				a := Explore(m, Options{Strategy: st, Symmetry: sym})
				b := Explore(m, Options{Strategy: st, Symmetry: sym, Workers: 2})
				if a.Distinct != b.Distinct || a.Histories != b.Histories || a.Terminal != b.Terminal || a.Generated != b.Generated {
					t.Errorf("%s %v %v: %d %d %d %d vs %d %d %d %d", sc, st, sym, a.Distinct, a.Histories, a.Terminal, a.Generated, b.Distinct, b.Histories, b.Terminal, b.Generated)
				} else {
					t.Logf("%s %v %v: %d %d %d", sc, st, sym, a.Distinct, a.Histories, a.Terminal)
				}
			}
		}
	}
}
