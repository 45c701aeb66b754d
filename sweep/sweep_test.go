package sweep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/delegsim/delegsim/checker"
	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

func varies(t *testing.T, ss ...string) []Vary {
	t.Helper()
	var out []Vary
	for _, s := range ss {
		v, err := ParseVary(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func run(t *testing.T, spec Spec, o RunOptions) *Results {
	t.Helper()
	p, err := NewPlan(spec)
	if err != nil {
		t.Fatal(err)
	}
	return p.Run(context.Background(), o)
}

func csvOf(t *testing.T, r *Results) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteCSV(&b, &r.Meta, r.Rows); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// smallSpec is the default sweep cut down: three delays, 250 trials (three
// batches per policy, so the batches of one cell land in any order).
func smallSpec(t *testing.T) Spec {
	s := Default()
	s.Vary = varies(t, "clients.c1.latency=0ms:60ms:30ms")
	s.Trials = 250
	return s
}

// The trial seeds depend on the base seed, the point and the trial only:
// one worker or eight, the rows are byte-identical.
func TestResultsDoNotDependOnWorkers(t *testing.T) {
	spec := smallSpec(t)
	one := csvOf(t, run(t, spec, RunOptions{Workers: 1}))
	eight := csvOf(t, run(t, spec, RunOptions{Workers: 8}))
	if one != eight {
		t.Fatalf("--workers 1 and --workers 8 differ:\n%s\n---\n%s", one, eight)
	}
	spec.Seed = 2
	if other := csvOf(t, run(t, spec, RunOptions{Workers: 8})); other == one {
		t.Error("seed 2 gave the same results as seed 1: the seed is not used")
	}
}

// A sweep split in three shards, each written to its own directory and
// merged, writes exactly what the unsharded sweep writes.
func TestThreeShardsMergeToTheUnshardedSweep(t *testing.T) {
	spec := smallSpec(t)
	tmp := t.TempDir()
	whole := filepath.Join(tmp, "whole")
	if err := run(t, spec, RunOptions{Workers: 2}).WriteDir(whole); err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for i := range 3 {
		d := filepath.Join(tmp, fmt.Sprintf("shard%d", i))
		res := run(t, spec, RunOptions{Workers: 3 - i, Shard: Shard{Index: i, Count: 3}})
		if err := res.WriteDir(d); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	slices.Reverse(dirs) // the order of the arguments does not matter
	merged, err := Merge(dirs, false)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "merged")
	if err := merged.WriteDir(out); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{ResultsFile, MetaFile} {
		a, _ := os.ReadFile(filepath.Join(whole, f))
		b, _ := os.ReadFile(filepath.Join(out, f))
		if !bytes.Equal(a, b) {
			t.Errorf("merged %s differs from the unsharded one:\n%s\n---\n%s", f, a, b)
		}
	}
}

func TestMergeRejects(t *testing.T) {
	spec := smallSpec(t)
	spec.Trials = 20
	tmp := t.TempDir()
	write := func(name string, s Spec, sh Shard) string {
		d := filepath.Join(tmp, name)
		if err := run(t, s, RunOptions{Shard: sh}).WriteDir(d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	s0 := write("s0", spec, Shard{0, 2})
	s1 := write("s1", spec, Shard{1, 2})
	other := spec
	other.Seed = 9
	o1 := write("o1", other, Shard{1, 2})
	t3 := write("t3", spec, Shard{1, 3})
	tests := []struct {
		name string
		dirs []string
		want string
	}{
		{"shards of different sweeps", []string{s0, o1}, "not shards of the same sweep"},
		{"the same shard twice", []string{s0, s0}, "given twice"},
		{"a missing shard", []string{s1}, "missing shards: 0/2"},
		{"different shard counts", []string{s0, t3}, "different shard counts"},
		{"no directory", nil, "at least one"},
		{"not a sweep directory", []string{tmp}, "sweep output directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Merge(tt.dirs, false)
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Merge = %v, want an ErrInvalid saying %q", err, tt.want)
			}
		})
	}
	res, err := Merge([]string{s1}, true)
	if err != nil || res.Meta.Complete || res.PointsDone() != 1 {
		t.Errorf("Merge(--allow-partial) of shard 1/2 of 3 points = %v points, complete %v, %v; want 1 point, incomplete",
			res.PointsDone(), res.Meta.Complete, err)
	}
}

// fail returns a row's failure probability of op k.
func fail(r Row, k int) float64 { return r.Ops[k].Fail.P }

// The shapes the bz219278 question is about (facts.md: the recall takes
// about 2d + 5 ms at one-way delay d; a second lsattr opens ~64 ms after
// the first):
//   - kernel: the first lsattr always fails (its open starts the recall);
//     the second fails only once 2d + recall processing passes the gap
//     between the two opens: never at d = 0, always at d = 120 ms;
//   - nonblock-wait with bound T: the first lsattr waits up to T for the
//     DELEGRETURN and fails exactly when 2d + processing > T: with
//     T = 30 ms from d = 60 ms on, with T = 200 ms only at d = 120 ms;
//   - no-write-deleg: nothing to recall, nothing ever fails, no extra RPC.
func TestBz219278CurveShapes(t *testing.T) {
	spec := Default()
	spec.Policies = []string{"kernel", "nonblock-wait", "no-write-deleg"}
	spec.Vary = varies(t, "policy_options.nonblock_wait=30ms:200ms:170ms", "clients.c1.latency=0ms:120ms:60ms")
	spec.Trials = 100
	res := run(t, spec, RunOptions{})
	if len(res.Rows) != 2*3*3 {
		t.Fatalf("got %d rows, want 18", len(res.Rows))
	}
	const first, second = 0, 1
	for _, r := range res.Rows {
		bound, d := r.X[0], r.X[1]
		where := fmt.Sprintf("%s at d=%gms (nonblock-wait bound %gms)", r.Policy, d, bound)
		want := func(what string, got, want float64) {
			t.Helper()
			if got != want {
				t.Errorf("%s: %s = %v, want %v", where, what, got, want)
			}
		}
		switch r.Policy {
		case "kernel":
			want("P(first lsattr fails)", fail(r, first), 1)
			want("recalls per trial", r.Recalls, 1)
			if r.ExtraRPCs < 1 || r.ExtraRPCs > 1.1 {
				// The DELEGRETURN, and now and then a lease renewal: a
				// client that holds state renews it (renewd phase is drawn
				// per trial).
				t.Errorf("%s: extra RPCs = %v, want 1 (the DELEGRETURN) plus a few renewals", where, r.ExtraRPCs)
			}
			switch d {
			case 0:
				want("P(second lsattr fails)", fail(r, second), 0)
			case 120:
				want("P(second lsattr fails)", fail(r, second), 1)
				want("P(both fail)", r.All.P, 1)
			}
		case "nonblock-wait":
			fails := 0.0
			if 2*d+5 > bound {
				fails = 1
			}
			want("P(first lsattr fails)", fail(r, first), fails)
		case "no-write-deleg":
			want("P(first lsattr fails)", fail(r, first), 0)
			want("P(second lsattr fails)", fail(r, second), 0)
			want("delegations granted", r.Grants, 0)
			want("extra RPCs", r.ExtraRPCs, 0)
		}
		if r.Stale.P != 0 || r.Unfinished != 0 {
			t.Errorf("%s: stale %v, unfinished %d; want none (nothing is written)", where, r.Stale.P, r.Unfinished)
		}
	}
}

// Without no-write-deleg among the policies it still runs, unseen, as the
// baseline of extra_rpcs.
func TestHiddenBaseline(t *testing.T) {
	spec := Default()
	spec.Policies = []string{"kernel"}
	spec.Vary = varies(t, "clients.c1.latency=10ms:10ms:1ms")
	spec.Trials = 30
	res := run(t, spec, RunOptions{})
	if len(res.Rows) != 1 || res.Rows[0].Policy != "kernel" {
		t.Fatalf("rows = %+v, want kernel's only", res.Rows)
	}
	if r := res.Rows[0]; r.ExtraRPCs < 1 || r.ExtraRPCs > 1.1 {
		t.Errorf("kernel's extra RPCs = %v (RPCs %v), want 1 (its DELEGRETURN) plus a few renewals", r.ExtraRPCs, r.RPCs)
	}
}

func TestNewPlanRejects(t *testing.T) {
	base := func() Spec {
		s := Default()
		s.Trials = 10
		return s
	}
	tests := []struct {
		name   string
		edit   func(*Spec)
		sentry error
		want   string
	}{
		{"no trials", func(s *Spec) { s.Trials = 0 }, ErrInvalid, "--trials must be >= 1"},
		{"no policies", func(s *Spec) { s.Policies = nil }, ErrInvalid, "--policies is empty"},
		{"an unknown policy", func(s *Spec) { s.Policies = []string{"kernel", "kernal"} }, ErrInvalid, `unknown policy "kernal"`},
		{"a policy twice", func(s *Spec) { s.Policies = []string{"kernel", "kernel"} }, ErrInvalid, "given twice"},
		{"an unknown consistency model", func(s *Spec) { s.Consistency = "sequential" }, ErrInvalid, "sequential"},
		{"a varied field the scenario does not have", func(s *Spec) { s.Vary = varies(t, "clients.c1.latncy=0ms:10ms:10ms") },
			scenarios.ErrInvalid, `unknown field "latncy"`},
		{"a varied client the scenario does not have", func(s *Spec) { s.Vary = varies(t, "clients.c9.latency=0ms:10ms:10ms") },
			scenarios.ErrInvalid, `no element named "c9"`},
		{"a value the field cannot hold", func(s *Spec) { s.Vary = varies(t, "clients.c1.callback.loss=0:2:1") },
			scenarios.ErrInvalid, "must be a probability"},
		{"a duration where a number goes", func(s *Spec) { s.Vary = varies(t, "clients.c1.callback.loss=0ms:10ms:10ms") },
			scenarios.ErrInvalid, "loss"},
		{"a varied field also set", func(s *Spec) { s.Sets = append(s.Sets, "clients.c1.latency=5ms") }, ErrInvalid, "already given by --set"},
		{"an unknown scenario", func(s *Spec) { s.Scenario = "bz2192788" }, scenarios.ErrInvalid, "no built-in scenario"},
		{"an unknown profile", func(s *Spec) { s.Profile = "linux-5.4" }, scenarios.ErrInvalid, "unknown profile"},
		{"a grid too large", func(s *Spec) {
			s.Vary = varies(t, "clients.c1.latency=0ms:9999ms:1ms", "clients.c1.reaction=0ms:99ms:1ms")
		}, ErrInvalid, "more than 100000 points"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			tt.edit(&s)
			_, err := NewPlan(s)
			if err == nil || !errors.Is(err, tt.sentry) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewPlan = %v, want an error matching %v and saying %q", err, tt.sentry, tt.want)
			}
		})
	}
}

// An interrupted sweep keeps exactly the points that finished, with the
// values the uninterrupted sweep has for them, and says it is incomplete.
func TestInterruptKeepsFinishedPoints(t *testing.T) {
	spec := smallSpec(t)
	spec.Vary = varies(t, "clients.c1.latency=0ms:100ms:10ms")
	spec.Trials = 100
	full := run(t, spec, RunOptions{Workers: 2})
	p, err := NewPlan(spec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopAt := 3 * p.TrialsPerPoint()
	res := p.Run(ctx, RunOptions{Workers: 2, Progress: func(done, total int) {
		if done >= stopAt {
			cancel()
		}
	}})
	if res.Meta.Complete {
		t.Fatal("an interrupted sweep says it is complete")
	}
	n := res.PointsDone()
	if n < 3 || n >= 11 {
		t.Fatalf("kept %d points, want at least the 3 finished before the interrupt and fewer than all 11", n)
	}
	want := map[string]Row{}
	for _, r := range full.Rows {
		want[fmt.Sprint(r.Point, r.Policy)] = r
	}
	perPoint := map[int]int{}
	for _, r := range res.Rows {
		perPoint[r.Point]++
		if w := want[fmt.Sprint(r.Point, r.Policy)]; fmt.Sprint(w) != fmt.Sprint(r) {
			t.Errorf("point %d %s: kept %v, the full sweep has %v", r.Point, r.Policy, r, w)
		}
	}
	for pt, c := range perPoint {
		if c != len(spec.Policies) {
			t.Errorf("point %d kept with %d of %d policies: a partial point", pt, c, len(spec.Policies))
		}
	}

	cancelled, stop := context.WithCancel(context.Background())
	stop()
	if res := p.Run(cancelled, RunOptions{}); res.Meta.Complete || len(res.Rows) != 0 {
		t.Errorf("a sweep cancelled before it starts has %d rows, complete %v; want none, incomplete", len(res.Rows), res.Meta.Complete)
	}
}

// results.csv reads back to the same rows, and writes back byte for byte.
func TestCSVRoundTrip(t *testing.T) {
	spec := smallSpec(t)
	spec.Trials = 30
	res := run(t, spec, RunOptions{})
	dir := t.TempDir()
	if err := res.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	back, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := csvOf(t, res), csvOf(t, back); a != b {
		t.Errorf("read back and written again, results.csv changed:\n%s\n---\n%s", a, b)
	}
	if !slices.Equal(back.Meta.Vary, res.Meta.Vary) || back.Meta.VaryParams()[0].Column() != "clients.c1.latency_ms" {
		t.Errorf("sweep.json read back: vary %v", back.Meta.Vary)
	}
	bad := filepath.Join(dir, ResultsFile)
	os.WriteFile(bad, []byte("point,policy\n0,kernel\n"), 0o644)
	if _, err := ReadDir(dir); err == nil || !errors.Is(err, ErrInvalid) {
		t.Errorf("a results.csv with another header read as %v, want an ErrInvalid", err)
	}
}

// The cheap check used when nothing is written agrees with the checker.
func TestStaleShortcutAgreesWithChecker(t *testing.T) {
	ms := func(f float64) model.Time { return model.Time(f * 1e6) }
	ok := model.ResultOK
	create := []model.Op{
		{ID: 0, Actor: "c1", Seq: 1, Kind: model.OpOpen, File: "f", Start: 0, End: ms(1), Result: ok},
		{ID: 1, Actor: "c1", Seq: 2, Kind: model.OpClose, File: "f", Start: ms(1), End: ms(2), Result: ok},
	}
	with := func(ops ...model.Op) []model.Op { return append(slices.Clone(create), ops...) }
	tests := []struct {
		name  string
		ops   []model.Op
		init  map[string]checker.Value
		stale bool
	}{
		{"lsattr sees the initial size", with(model.Op{ID: 2, Actor: "l1", Seq: 1, Kind: model.OpLsattr, File: "f", Start: ms(3), End: ms(4), Result: ok}),
			map[string]checker.Value{"f": {}}, false},
		{"lsattr sees a size nothing wrote", with(model.Op{ID: 2, Actor: "l1", Seq: 1, Kind: model.OpLsattr, File: "f", Start: ms(3), End: ms(4), Result: ok, Size: 7}),
			map[string]checker.Value{"f": {}}, true},
		{"cat reads the initial data of a non-empty file", with(model.Op{ID: 2, Actor: "l1", Seq: 1, Kind: model.OpCat, File: "f", Start: ms(3), End: ms(4), Result: ok, Bytes: 10}),
			map[string]checker.Value{"f": {Size: 10}}, false},
		{"cat reads data nothing wrote", with(model.Op{ID: 2, Actor: "l1", Seq: 1, Kind: model.OpCat, File: "f", Start: ms(3), End: ms(4), Result: ok, Bytes: 10, Data: 5}),
			map[string]checker.Value{"f": {Size: 10}}, true},
		{"a failed lsattr observes nothing", with(model.Op{ID: 2, Actor: "l1", Seq: 1, Kind: model.OpLsattr, File: "f", Start: ms(3), End: ms(4), Result: "EAGAIN", Size: 7}),
			map[string]checker.Value{"f": {}}, false},
	}
	for _, tt := range tests {
		for _, c := range []checker.Consistency{checker.Linearizable, checker.CloseToOpen} {
			stale, unknown := staleTrial(tt.ops, tt.init, c)
			full := checker.CheckLinearizability(tt.ops, tt.init, c, 0)
			if stale != tt.stale || unknown || (full.Verdict == checker.Violation) != tt.stale {
				t.Errorf("%s (%s): shortcut says stale=%v, checker says %v; want stale=%v", tt.name, c, stale, full.Verdict, tt.stale)
			}
		}
	}
	// With writes the full checker runs: a cat that reads the old file
	// after the client's close is stale under both models.
	res := run(t, Spec{Scenario: "dirty-recall-stale-read", Policies: []string{"kernel"}, Trials: 5, Seed: 1,
		Consistency: "linearizable"}, RunOptions{})
	if got := res.Rows[0].Stale.P; got != 1 {
		t.Errorf("dirty-recall-stale-read under linearizability: stale rate %v, want 1 (cat reads the empty file)", got)
	}
}

// TrialSeed spreads neighbouring inputs and depends on each of them.
func TestTrialSeed(t *testing.T) {
	seen := map[uint64]string{}
	for base := range uint64(3) {
		for p := range 20 {
			for tr := range 20 {
				s := TrialSeed(base, p, tr)
				key := fmt.Sprint(base, p, tr)
				if prev, ok := seen[s]; ok {
					t.Fatalf("TrialSeed(%s) = TrialSeed(%s)", key, prev)
				}
				seen[s] = key
			}
		}
	}
}
