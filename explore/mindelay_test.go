package explore_test

import (
	"bytes"
	"testing"

	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/scenarios"
)

// minModel is loadModel with the lower bounds of delays kept
// (ModelOptions.MinDelay), as delegsim explore and compare build it.
func minModel(tb testing.TB, name, policy string, minDelay bool) *explore.Model {
	tb.Helper()
	sc, err := scenarios.Load(name, nil)
	if err != nil {
		tb.Fatal(err)
	}
	m, _, err := explore.FromScenario(sc, scenarios.Options{Policy: policy}, explore.ModelOptions{MinDelay: minDelay})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// TestMinDelayStateCounts pins the spaces with lower bounds on delays, as
// TestStateCounts pins them without; BFS and DFS agree.
func TestMinDelayStateCounts(t *testing.T) {
	tests := []struct {
		scenario, policy string
		distinct         int
		histories        int
	}{
		{"bz219278", "kernel", 383, 4},
		{"bz219278-2c2l", "kernel", 77102, 34}, // 76762 before the client fingerprinted when its RPCs left
		// Fixed delays pin the times: the coarser model needs more than
		// 10 million states here (TestMinDelayRemovesFalseStaleRead).
		{"open-dirty-local-read", "kernel", 40448, 96},
	}
	for _, tt := range tests {
		for _, strat := range []explore.Strategy{explore.BFS, explore.DFS} {
			rep := explore.Explore(minModel(t, tt.scenario, tt.policy, true), explore.Options{Strategy: strat})
			if !rep.Exhausted || rep.Violated() || rep.Distinct != tt.distinct || rep.Histories != tt.histories {
				t.Errorf("%s/%s: exhausted %v, violated %v, %d distinct states, %d histories; pinned %d, %d",
					tt.scenario, strat, rep.Exhausted, rep.Violated(), rep.Distinct, rep.Histories, tt.distinct, tt.histories)
			}
		}
	}
}

// TestMinDelayRemovesFalseStaleRead is issue 16's reproduction. Without
// lower bounds on delays the explorer finds, for the kernel on
// open-dirty-local-read, a stale lsattr that needs a CB_RECALL round trip
// of 0 ms over c2's fixed 50 ms link; with them the kernel's space is
// exhausted and keeps close-to-open, as docs/checking.md says, while the
// unsafe policy is still found out. A schedule says which model found it
// and replays only under that one.
func TestMinDelayRemovesFalseStaleRead(t *testing.T) {
	coarse := minModel(t, "open-dirty-local-read", "kernel", false)
	rep := explore.Explore(coarse, explore.Options{Strategy: explore.DFS, MaxStates: 200000})
	if !rep.Violated() || rep.Counterexample.Property != "close-to-open" {
		t.Fatalf("the coarser model's kernel counterexample is gone: %+v", rep.Counterexample)
	}
	var b bytes.Buffer
	rep.Counterexample.Schedule.Format(&b)
	sch, err := explore.ParseSchedule("cx.sched", b.Bytes())
	if err != nil || sch.MinDelay {
		t.Fatalf("schedule header: %v, min-delay %v", err, sch != nil && sch.MinDelay)
	}
	exact := minModel(t, "open-dirty-local-read", "kernel", true)
	if _, err := explore.Replay(exact, sch, explore.ReplayOptions{}); err == nil {
		t.Error("the 0 ms recall replays with lower bounds on delays")
	}
	if rep := explore.Explore(exact, explore.Options{}); !rep.Exhausted || rep.Violated() {
		t.Errorf("kernel with lower bounds: exhausted %v, counterexample %+v", rep.Exhausted, rep.Counterexample)
	}
	unsafe := minModel(t, "open-dirty-local-read", "local-read-exempt", true)
	rep = explore.Explore(unsafe, explore.Options{})
	if !rep.Violated() {
		t.Fatal("local-read-exempt's stale read is not found with lower bounds")
	}
	b.Reset()
	rep.Counterexample.Schedule.Format(&b)
	if sch, err = explore.ParseSchedule("cx.sched", b.Bytes()); err != nil || !sch.MinDelay {
		t.Fatalf("schedule header: %v, min-delay %v", err, sch != nil && sch.MinDelay)
	}
	if _, err := explore.Replay(unsafe, sch, explore.ReplayOptions{}); err != nil {
		t.Errorf("replay: %v", err)
	}
}
