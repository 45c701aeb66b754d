package explore_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/delegsim/delegsim/explore"
)

// TestShardsMerge splits searches into shards, passes each shard's report
// through its JSON form, merges them, and requires what an unsharded
// search finds: the same histories, outcomes, verdicts and events, every
// state visited (no fewer counted), and a counterexample as short.
func TestShardsMerge(t *testing.T) {
	tests := []struct {
		scenario, policy string
		shards           int
		o                explore.Options
	}{
		{"bz219278-2c2l", "kernel", 3, explore.Options{}},
		{"bz219278-2c2l", "kernel", 2, explore.Options{Strategy: explore.DFS, Symmetry: true, Workers: 2}},
		{"testdata/lossy-crash.yaml", "kernel", 4, explore.Options{ShardDepth: 3}},
		{"testdata/stale-local-read.yaml", "local-read-exempt", 3, explore.Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+"/"+tt.policy, func(t *testing.T) {
			m := loadModel(t, tt.scenario, tt.policy, nil)
			whole := explore.Explore(m, tt.o)
			var reps []*explore.Report
			for i := range tt.shards {
				o := tt.o
				o.Shard, o.Shards = i, tt.shards
				var b bytes.Buffer
				if err := explore.Explore(m, o).WriteJSON(&b); err != nil {
					t.Fatal(err)
				}
				rep, err := explore.ReadReport(&b)
				if err != nil {
					t.Fatal(err)
				}
				reps = append(reps, rep)
			}
			got, err := explore.Merge(reps)
			if err != nil {
				t.Fatal(err)
			}
			if whole.Violated() {
				if !got.Violated() || got.Counterexample.Property != whole.Counterexample.Property ||
					got.Counterexample.Depth != whole.Counterexample.Depth {
					t.Fatalf("merged counterexample %+v, unsharded %+v", got.Counterexample, whole.Counterexample)
				}
				return
			}
			if !got.Exhausted || got.Distinct < whole.Distinct || got.Histories != whole.Histories ||
				!reflect.DeepEqual(got.Consistency, whole.Consistency) || !reflect.DeepEqual(got.Events, whole.Events) {
				t.Errorf("merged: exhausted %v, %d states, %d histories, %+v, %v; unsharded %d states, %d histories, %+v, %v",
					got.Exhausted, got.Distinct, got.Histories, got.Consistency, got.Events,
					whole.Distinct, whole.Histories, whole.Consistency, whole.Events)
			}
			if len(got.Outcomes) != len(whole.Outcomes) {
				t.Fatalf("merged outcomes %v, unsharded %v", got.Outcomes, whole.Outcomes)
			}
			for i := range got.Outcomes {
				g, w := got.Outcomes[i], whole.Outcomes[i]
				if g.Op != w.Op || g.Result != w.Result || g.Histories != w.Histories {
					t.Errorf("outcome %d: merged %+v, unsharded %+v", i, g, w)
				}
			}
			t.Logf("%d shards split at depth %d (%d states): %d states counted, %d unsharded",
				tt.shards, got.Shard.Depth, got.Shard.Frontier, got.Distinct, whole.Distinct)
		})
	}
	if _, err := explore.Merge([]*explore.Report{explore.Explore(loadModel(t, "bz219278", "kernel", nil), explore.Options{})}); err == nil {
		t.Error("merged an unsharded report")
	}
}
