package explore

import (
	"reflect"
	"slices"
	"testing"

	"github.com/delegsim/delegsim/checker"
	"github.com/delegsim/delegsim/scenarios"
)

func testModel(t *testing.T, scenario, policy string) *Model {
	t.Helper()
	sc, err := scenarios.Load(scenario, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := FromScenario(sc, scenarios.Options{Policy: policy}, ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMemoizedStepsAgree: the explorer steps an actor once per actor
// value, time and input and reuses the result wherever they recur. A
// search that steps every actor afresh must find the same states,
// histories, outcomes, verdicts and counterexample; it would not if an
// actor's Step depended on anything else (the model's purity contract)
// or if the memo were keyed wrong. lossy-crash loses callbacks and
// crashes a client; stale-local-read ends in a counterexample.
func TestMemoizedStepsAgree(t *testing.T) {
	tests := []struct {
		scenario, policy string
		strategy         Strategy
	}{
		{"bz219278-2c2l", "kernel", BFS},
		{"testdata/lossy-crash.yaml", "kernel", DFS},
		{"testdata/stale-local-read.yaml", "local-read-exempt", BFS},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+"/"+tt.policy, func(t *testing.T) {
			m := testModel(t, tt.scenario, tt.policy)
			memo := Explore(m, Options{Strategy: tt.strategy})
			fresh := Explore(m, Options{Strategy: tt.strategy, noMemo: true})
			for _, r := range []*Report{memo, fresh} {
				r.Elapsed = 0
			}
			if !reflect.DeepEqual(memo, fresh) {
				t.Errorf("memoized and fresh steps disagree: %d and %d distinct states, %d and %d generated, %d and %d terminal, %d and %d histories",
					memo.Distinct, fresh.Distinct, memo.Generated, fresh.Generated, memo.Terminal, fresh.Terminal, memo.Histories, fresh.Histories)
			}
			if memo.Distinct < 500 {
				t.Errorf("only %d states: the test needs a larger space", memo.Distinct)
			}
		})
	}
}

// TestInvariantsSeeServerAndClock guards explorer.invariants, which
// caches the invariants' verdicts by the server's state and the time: it
// is right as long as that is all an invariant can see.
func TestInvariantsSeeServerAndClock(t *testing.T) {
	var fields []string
	for f := range reflect.TypeFor[checker.State]().Fields() {
		fields = append(fields, f.Name)
	}
	if want := []string{"Now", "Server", "Names"}; !slices.Equal(fields, want) {
		t.Errorf("checker.State has fields %v, not %v: explorer.invariants must key its cache on what was added", fields, want)
	}
}

// TestInterning: equal parts and queues are stored once, whichever state
// they come from, and a frontier entry names the same state after a
// round trip.
func TestInterning(t *testing.T) {
	m := testModel(t, "bz219278-2c2l", "kernel")
	e := newEngine(m)
	f := e.initial()
	for i, p := range f.parts {
		if q := e.internPart(i, p.actor, p.timers, p.hist); q != p {
			t.Errorf("part %d interned twice", i)
		}
	}
	var d delta
	steps := e.enabled(f, nil)
	if len(steps) == 0 {
		t.Fatal("nothing enabled at the start")
	}
	e.apply(f, steps[0], &d)
	g := e.newFrame()
	e.advance(g, f, &d)
	if g.hash != e.frameHash(g) {
		t.Errorf("incremental fingerprint %x, from scratch %x", g.hash, e.frameHash(g))
	}
	h := e.newFrame()
	e.advance(h, f, &delta{now: f.now, actor: -1, hash: f.hash}) // h = f
	h.depth = f.depth
	e.load(h, e.encode(f, &d))
	if h.hash != g.hash || !slices.Equal(h.parts, g.parts) || !slices.Equal(h.chans, g.chans) || h.now != g.now {
		t.Error("the frontier entry of a successor loads as another state")
	}
}
