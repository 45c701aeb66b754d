package explore_test

import (
	"bytes"
	"testing"

	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/scenarios"
)

// TestZeroMinDelayIsTheOldModel: without lower bounds on delays the
// explorer is the one before issue 16, counts and all, and on
// open-dirty-local-read it finds the kernel "violation" that needs a 0 ms
// recall round trip over c2's fixed 50 ms link: the false positive the
// lower bounds remove (TestUnsafePoliciesFoundOut). Its schedule says
// how it was found and replays only so.
func TestZeroMinDelayIsTheOldModel(t *testing.T) {
	model := func(name string) *explore.Model {
		sc, err := scenarios.Load(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		m, _, err := explore.FromScenario(sc, scenarios.Options{Policy: "kernel"}, explore.ModelOptions{ZeroMinDelay: true})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, tt := range []struct {
		scenario            string
		distinct, histories int
	}{{"bz219278", 424, 4}, {"bz219278-2c2l", 42280, 16}} {
		rep := explore.Explore(model(tt.scenario), explore.Options{})
		if !rep.Exhausted || rep.Distinct != tt.distinct || rep.Histories != tt.histories {
			t.Errorf("%s: exhausted %v, %d distinct states, %d histories; the old model had %d and %d",
				tt.scenario, rep.Exhausted, rep.Distinct, rep.Histories, tt.distinct, tt.histories)
		}
	}
	m := model("open-dirty-local-read")
	rep := explore.Explore(m, explore.Options{Strategy: explore.DFS, MaxStates: 20000})
	if !rep.Violated() || rep.Counterexample.Property != "close-to-open" {
		t.Fatalf("the old model's kernel counterexample is gone: %+v", rep.Counterexample)
	}
	var b bytes.Buffer
	rep.Counterexample.Schedule.Format(&b)
	sch, err := explore.ParseSchedule("cx.sched", b.Bytes())
	if err != nil || !sch.ZeroMinDelay {
		t.Fatalf("schedule header: %v, zero-min-delay %v", err, sch != nil && sch.ZeroMinDelay)
	}
	if _, err := explore.Replay(m, sch, explore.ReplayOptions{}); err != nil {
		t.Errorf("replay with the old model: %v", err)
	}
	if _, err := explore.Replay(loadModel(t, "open-dirty-local-read", "kernel", nil), sch, explore.ReplayOptions{}); err == nil {
		t.Error("the 0 ms recall replays with lower bounds on delays")
	}
}
