package explore

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/delegsim/delegsim/scenarios"
)

// TestSymmetryGroups: interchangeable clients and processes are found
// only where every configured and drawn value agrees. bz219278-2c2l
// draws its start-up times and renewd phases, so no permutation maps it
// onto itself; its -sym variants fix them and have every permutation of
// the client-file-process triples.
func TestSymmetryGroups(t *testing.T) {
	tests := []struct {
		scenario string
		size     int
	}{
		{"bz219278", 1},
		{"bz219278-2c2l", 1},
		{"testdata/bz219278-2c2l-sym.yaml", 2},
		{"testdata/bz219278-3c3l-sym.yaml", 6},
		{"testdata/bz219278-4c4l-sym.yaml", 24},
		{"testdata/lost-local-write-2.yaml", 2},
		{"testdata/lossy-crash.yaml", 1}, // c2 crashes, c1 loses callbacks
	}
	for _, tt := range tests {
		if got := len(testModel(t, tt.scenario, "kernel").symmetries()); got != tt.size {
			t.Errorf("%s: %d symmetries, want %d", tt.scenario, got, tt.size)
		}
	}
}

// soundnessCases are the spaces TestSymmetrySound compares: every
// built-in scenario small enough to exhaust in a test, under policies
// that keep and that break close-to-open, and the explorer's own
// fixtures, two of them symmetric.
func soundnessCases() [][2]string {
	var out [][2]string
	for _, sc := range scenarios.Names() {
		if sc == "open-dirty-local-read" {
			continue // millions of states
		}
		for _, pol := range []string{"kernel", "local-read-exempt", "nonblock-wait", "cb-getattr-gate"} {
			out = append(out, [2]string{sc, pol})
		}
	}
	return append(out,
		[2]string{"testdata/bz219278-2c2l-sym.yaml", "kernel"},
		[2]string{"testdata/bz219278-2c2l-sym.yaml", "no-write-deleg"},
		[2]string{"testdata/lost-local-write-2.yaml", "exempt-all-local"},
		[2]string{"testdata/lost-local-write.yaml", "exempt-all-local"},
		[2]string{"testdata/stale-local-read.yaml", "local-read-exempt"},
		[2]string{"testdata/stale-local-read.yaml", "kernel"},
		[2]string{"testdata/lossy-crash.yaml", "kernel"})
}

// TestSymmetrySound explores each space with and without symmetry
// reduction (both search orders for the symmetric ones) and requires the
// same verdicts, the same set of complete histories (each reduced
// history standing for its images under the symmetries), the same
// outcomes and events, a shortest counterexample of the same length that
// replays, and no more states. It logs the reduction factor.
func TestSymmetrySound(t *testing.T) {
	for _, c := range soundnessCases() {
		t.Run(c[0]+"/"+c[1], func(t *testing.T) {
			m := testModel(t, c[0], c[1])
			full := Explore(m, Options{recordHistories: true})
			for _, strat := range []Strategy{BFS, DFS} {
				red := Explore(m, Options{Strategy: strat, Symmetry: true, recordHistories: true})
				if strat == DFS && red.Symmetries < 2 {
					continue
				}
				if d := compareReports(full, red); d != "" {
					t.Fatalf("%s with symmetry: %s", strat, d)
				}
				if strat == BFS {
					t.Logf("%d symmetries: %d states, %d without (%.1fx), %d histories", red.Symmetries,
						red.Distinct, full.Distinct, float64(full.Distinct)/float64(red.Distinct), red.Histories)
				}
				if ce := red.Counterexample; ce != nil {
					res, err := Replay(m, ce.Schedule, ReplayOptions{})
					if err != nil || len(res.Ops) != len(ce.Ops) {
						t.Fatalf("counterexample does not replay: %v", err)
					}
				}
			}
		})
	}
}

// compareReports returns how a reduced search's report differs from the
// full one's, or "".
func compareReports(full, red *Report) string {
	switch {
	case full.Violated() != red.Violated():
		return fmt.Sprintf("violated %v, without %v", red.Violated(), full.Violated())
	case full.Violated():
		if full.Counterexample.Property != red.Counterexample.Property {
			return fmt.Sprintf("counterexample of %s, without of %s", red.Counterexample.Property, full.Counterexample.Property)
		}
		if red.Strategy == "bfs" && full.Counterexample.Depth != red.Counterexample.Depth {
			return fmt.Sprintf("shortest counterexample in %d steps, without in %d", red.Counterexample.Depth, full.Counterexample.Depth)
		}
		return ""
	case !full.Exhausted || !red.Exhausted:
		return fmt.Sprintf("exhausted %v, without %v", red.Exhausted, full.Exhausted)
	case red.Distinct > full.Distinct:
		return fmt.Sprintf("%d states, more than %d without", red.Distinct, full.Distinct)
	case red.Histories != full.Histories || !reflect.DeepEqual(red.HistorySet, full.HistorySet):
		return fmt.Sprintf("%d histories, %d without (or other ones)", red.Histories, full.Histories)
	case !reflect.DeepEqual(red.Outcomes, full.Outcomes):
		return fmt.Sprintf("outcomes %v, without %v", red.Outcomes, full.Outcomes)
	case !reflect.DeepEqual(red.Consistency, full.Consistency):
		return fmt.Sprintf("consistency %+v, without %+v", red.Consistency, full.Consistency)
	case !slices.Equal(red.Events, full.Events):
		return fmt.Sprintf("events %v, without %v", red.Events, full.Events)
	}
	for i := range full.Invariants {
		if (full.Invariants[i].States > 0) != (red.Invariants[i].States > 0) {
			return fmt.Sprintf("invariant %s broken in %d states, without in %d", full.Invariants[i].Name,
				red.Invariants[i].States, full.Invariants[i].States)
		}
	}
	return ""
}

// TestCanonicalKeys checks the fast canonical fingerprints against the
// reference encoding: two successors get the same key exactly when the
// least of their reference encodings over the symmetries is the same.
func TestCanonicalKeys(t *testing.T) {
	for _, sc := range []string{"testdata/bz219278-2c2l-sym.yaml", "testdata/lost-local-write-2.yaml", "testdata/lossy-crash.yaml"} {
		t.Run(sc, func(t *testing.T) {
			m := testModel(t, sc, "kernel")
			perms := m.symmetries()
			keyOf := map[string]uint64{}
			encOf := map[uint64]string{}
			n := 0
			check := func(ref *engine, f *frame, d *delta, key uint64, _ bool) {
				n++
				if n%7 != 0 { // a sample keeps the test short
					return
				}
				g := ref.newFrame()
				ref.advance(g, f, d)
				var least []byte
				for _, p := range perms {
					if b := ref.canonBytes(g, p); least == nil || bytes.Compare(b, least) < 0 {
						least = b
					}
				}
				enc := string(least)
				if k, ok := keyOf[enc]; ok && k != key {
					t.Fatalf("one class, two keys %x and %x", k, key)
				}
				if e, ok := encOf[key]; ok && e != enc {
					t.Fatalf("key %x for two classes", key)
				}
				keyOf[enc], encOf[key] = key, enc
			}
			rep := Explore(m, Options{Symmetry: true, canon: check, MaxStates: 200000})
			if len(keyOf) < 100 {
				t.Fatalf("only %d classes checked (%d states)", len(keyOf), rep.Distinct)
			}
		})
	}
}

// TestWorkersAgree: two workers find the same states, histories and
// verdicts as one, breadth and depth first, with and without symmetry,
// in a space that ends in a counterexample too.
func TestWorkersAgree(t *testing.T) {
	for _, c := range [][2]string{{"bz219278-2c2l", "kernel"}, {"testdata/lossy-crash.yaml", "kernel"},
		{"testdata/stale-local-read.yaml", "local-read-exempt"}, {"testdata/bz219278-2c2l-sym.yaml", "kernel"}} {
		for _, strat := range []Strategy{BFS, DFS} {
			for _, sym := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/%s/sym=%v", c[0], c[1], strat, sym), func(t *testing.T) {
					m := testModel(t, c[0], c[1])
					one := Explore(m, Options{Strategy: strat, Symmetry: sym, recordHistories: true})
					two := Explore(m, Options{Strategy: strat, Symmetry: sym, recordHistories: true, Workers: 2})
					if one.Violated() != two.Violated() {
						t.Fatalf("violated: %v with one worker, %v with two", one.Violated(), two.Violated())
					}
					if one.Violated() {
						if strat == BFS && one.Counterexample.Depth != two.Counterexample.Depth {
							t.Errorf("counterexample in %d steps with one worker, %d with two", one.Counterexample.Depth, two.Counterexample.Depth)
						}
						return
					}
					if one.Distinct != two.Distinct || one.Generated != two.Generated || one.Terminal != two.Terminal ||
						!reflect.DeepEqual(one.HistorySet, two.HistorySet) || !reflect.DeepEqual(one.Outcomes, two.Outcomes) {
						t.Errorf("one worker: %d states, %d generated, %d terminal, %d histories; two: %d, %d, %d, %d",
							one.Distinct, one.Generated, one.Terminal, one.Histories, two.Distinct, two.Generated, two.Terminal, two.Histories)
					}
				})
			}
		}
	}
}
