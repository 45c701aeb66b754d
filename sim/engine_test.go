package sim_test

import (
	"reflect"
	"testing"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
)

func load(t testing.TB, yaml string) *scenarios.Scenario {
	t.Helper()
	src, err := scenarios.Parse("t.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := src.Scenario()
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestChannelsAreFIFO: with wildly varying latency a channel still
// delivers in order, as TCP does: a client's WRITE never overtakes the
// OPEN before it.
func TestChannelsAreFIFO(t *testing.T) {
	sc := load(t, `name: t
version: 1
files: [{name: f}]
clients:
  - name: c1
    latency: exponential:50ms
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: write, file: f, bytes: 1}
      - {op: close, file: f}
      - {op: open, file: f, flags: [O_RDWR]}
      - {op: write, file: f, bytes: 1}
      - {op: fsync, file: f}
      - {op: close, file: f}
locals:
  - name: l1
    script: [{at: 10ms, op: cat, file: f}, {op: cat, file: f}, {op: cat, file: f}]
`)
	for seed := uint64(0); seed < 50; seed++ {
		res, _, err := sc.Run(scenarios.Options{Seed: seed, HasSeed: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Unfinished) > 0 {
			t.Fatalf("seed %d: unfinished %v", seed, res.Unfinished)
		}
		// Out-of-order delivery would let the second fsync's WRITE land
		// before the first close's, or a COMMIT overtake its WRITE; the
		// server would end up with the first write's contents.
		f := res.Actors[0].(*model.Server).Files()[0]
		if f.Size != 2 || f.Data != model.DataValue(1, 2) {
			t.Fatalf("seed %d: server ended with size %d data %d, want the second write", seed, f.Size, f.Data)
		}
	}
}

// TestRunnerReuse: a Runner reused across runs gives exactly what fresh
// runs give.
func TestRunnerReuse(t *testing.T) {
	sc, err := scenarios.Load("second-client-open", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := sc.Resolve(scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var runner sim.Runner
	for seed := uint64(0); seed < 20; seed++ {
		r.Seed = seed
		a := runner.Run(sc.Config(r, scenarios.Options{Trace: true}))
		b := sim.Run(sc.Config(r, scenarios.Options{Trace: true}))
		if !reflect.DeepEqual(a.Trace, b.Trace) || !reflect.DeepEqual(a.Ops, b.Ops) {
			t.Fatalf("seed %d: reused runner differs from a fresh run", seed)
		}
	}
}

// TestLossDropsMessages: with certain loss on the callback channel the
// recall never arrives and the callback path is marked down after
// max_cb_time.
func TestLossDropsMessages(t *testing.T) {
	sc := load(t, `name: t
version: 1
files: [{name: f}]
clients:
  - name: c1
    callback: {loss: 1}
    script:
      - {op: open, file: f, flags: [O_CREAT, O_RDWR]}
      - {op: close, file: f}
locals:
  - name: l1
    script: [{at: 1s, op: lsattr, file: f, startup: 0}]
`)
	res, _, err := sc.Run(scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Each lost CB_RECALL marks the v4.2 backchannel faulty; the client's
	// session reset brings it up and the resent recall is lost again.
	if res.Dropped == 0 || res.EventCount(model.EvCBPathDown) == 0 {
		t.Fatalf("dropped %d, cb-path-down %d", res.Dropped, res.EventCount(model.EvCBPathDown))
	}
}

// TestQueueFormDoesNotChangeRuns: the event queue is a sorted slice while
// short and a heap when long, and sequence numbers are renumbered before
// they overflow; none of it may change a run by a byte, traced or not.
func TestQueueFormDoesNotChangeRuns(t *testing.T) {
	scs := []*scenarios.Scenario{longScenario(t, 40)}
	for _, name := range []string{"bz219278-2c2l", "client-unreachable", "open-dirty-local-read"} {
		sc, err := scenarios.Load(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		scs = append(scs, sc)
	}
	forms := []struct {
		name              string
		sortedMax, maxSeq int
	}{
		{"heap from the first event", 0, 1 << 32},
		{"slice turning into a heap", 4, 1 << 32},
		{"renumbered every 8 events", 1 << 20, 8},
		{"heap, renumbered every 5 events", 0, 5},
	}
	run := func(sc *scenarios.Scenario, seed uint64, trace bool) *sim.Result {
		res, _, err := sc.Run(scenarios.Options{Seed: seed, HasSeed: true, Trace: trace})
		if err != nil {
			t.Fatal(err)
		}
		res.Actors = nil // compared through what they did
		return res
	}
	sortedMax, maxSeq := *sim.SortedMax, *sim.MaxSeq
	defer func() { *sim.SortedMax, *sim.MaxSeq = sortedMax, maxSeq }()
	for _, sc := range scs {
		for seed := uint64(0); seed < 3; seed++ {
			want := [2]*sim.Result{run(sc, seed, false), run(sc, seed, true)}
			for _, f := range forms {
				*sim.SortedMax, *sim.MaxSeq = f.sortedMax, uint64(f.maxSeq)
				got := [2]*sim.Result{run(sc, seed, false), run(sc, seed, true)}
				*sim.SortedMax, *sim.MaxSeq = sortedMax, maxSeq
				for i := range got {
					if !reflect.DeepEqual(got[i], want[i]) {
						t.Errorf("%s seed %d, %s (trace %v): the run changed", sc.Name(), seed, f.name, i == 1)
					}
				}
			}
		}
	}
}
