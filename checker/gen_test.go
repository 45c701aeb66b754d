package checker

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/delegsim/delegsim/model"
)

// genHistory makes a random history of n operations by the given numbers of
// NFS clients (c1, c2, ...: open, write or read or stat, close or fsync)
// and server-local processes (l1, l2, ...: cat, nginx, lsattr, local-stat,
// open-write)
// on the given number of files. Each actor works sequentially; actors
// overlap. Every successful operation takes effect at a random instant
// within its own interval, on one register per file, so the history is
// linearizable, and so also close-to-open; lsattr takes effect at its
// invocation, as its stat() does. About 1% of local reads fail with EAGAIN.
func genHistory(seed uint64, n, files, clients, locals int) []model.Op {
	rng := rand.New(rand.NewPCG(seed, 0))
	type actor struct {
		name    string
		index   int
		local   bool
		t       model.Time
		file    string // client: the open file, "" if none
		pending int    // client: operations left before closing
		seq     int
	}
	var actors []*actor
	for i := range clients + locals {
		a := &actor{index: i + 1, local: i >= clients}
		a.name = fmt.Sprintf("c%d", i+1)
		if a.local {
			a.name = fmt.Sprintf("l%d", i-clients+1)
		}
		actors = append(actors, a)
	}
	us := func(lo, hi int) model.Time { return model.Time(lo+rng.IntN(hi-lo+1)) * model.Time(time.Microsecond) }
	file := func() string { return fmt.Sprintf("f%02d", rng.IntN(files)) }

	ops := make([]model.Op, 0, n)
	effect := make([]model.Time, 0, n) // when each operation takes effect
	for len(ops) < n {
		a := slices.MinFunc(actors, func(x, y *actor) int { return cmp.Compare(x.t, y.t) })
		a.seq++
		o := model.Op{ID: len(ops), Actor: a.name, Seq: a.seq, Result: model.ResultOK, Attempts: 1}
		o.Start = a.t + us(0, 40)
		o.End = o.Start + us(5, 100)
		a.t = o.End
		switch {
		case a.local:
			o.File = file()
			o.Kind = []model.OpKind{model.OpCat, model.OpNginx, model.OpLsattr, model.OpLocalStat, model.OpOpenWrite}[rng.IntN(5)]
			switch {
			case rng.IntN(100) == 0:
				o.Result = "EAGAIN"
			case o.Kind == model.OpOpenWrite:
				o.Size, o.Data = int64(1+rng.IntN(4))*4096, model.DataValue(a.index, a.seq)
			}
		case a.file == "":
			a.file, a.pending = file(), 1+rng.IntN(4)
			o.Kind, o.File = model.OpOpen, a.file
		case a.pending == 0:
			o.Kind, o.File = model.OpClose, a.file
			if rng.IntN(4) == 0 {
				o.Kind = model.OpFsync
			} else {
				a.file = ""
			}
			a.pending = 1 + rng.IntN(2)
		default:
			a.pending--
			o.File = a.file
			o.Kind = []model.OpKind{model.OpWrite, model.OpWrite, model.OpRead, model.OpStat}[rng.IntN(4)]
			if o.Kind == model.OpWrite {
				o.Size, o.Data = int64(1+rng.IntN(4))*4096, model.DataValue(a.index, a.seq)
			}
		}
		ops = append(ops, o)
		at := o.Start + model.Time(rng.Int64N(int64(o.End-o.Start)+1))
		if o.Kind == model.OpLsattr {
			at = o.Start // its stat() comes first
		}
		effect = append(effect, at)
	}

	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return cmp.Compare(effect[i], effect[j]) })
	reg := make(map[string]Value)
	for _, i := range order {
		o := &ops[i]
		switch v := reg[o.File]; {
		case !o.OK():
		case isWrite(o):
			reg[o.File] = writtenValue(o)
		case o.Kind.ReadsAttrs():
			o.Size = v.Size
		case o.Kind.ReadsData():
			o.Bytes, o.Data = v.Size, v.Data
		}
	}
	return ops
}

func TestGeneratedHistories(t *testing.T) {
	for seed := range uint64(20) {
		ops := genHistory(seed, 2000, 3, 3, 2)
		for _, c := range []Consistency{Linearizable, CloseToOpen} {
			res := CheckLinearizability(ops, nil, c, 10*time.Second)
			if res.Verdict != Ok || len(res.StaleReads) != 0 {
				t.Fatalf("seed %d: a linearizable history: %s", seed, res)
			}

			// A final cat of each file, long after everything, that
			// returns the empty file: stale wherever a write was due.
			end := ops[len(ops)-1].End + model.Time(time.Second)
			bad := slices.Clone(ops)
			for i, fv := range res.Files {
				bad = append(bad, model.Op{ID: len(bad), Actor: "late", Seq: i + 1, Kind: model.OpCat, File: fv.File,
					Start: end, End: end + 1, Result: model.ResultOK})
			}
			res = CheckLinearizability(bad, nil, c, 10*time.Second)
			if res.Verdict != Violation || res.search != Violation || len(res.StaleReads) != len(res.Files) {
				t.Fatalf("seed %d: stale final reads: %s", seed, res)
			}
		}
	}
}

// BenchmarkCheck100kOps and BenchmarkCheck1MOps check generated
// linearizable histories (ten files, four clients, two local processes):
// the cost should grow linearly with the length (-benchmem shows the
// allocations).
func BenchmarkCheck100kOps(b *testing.B) { benchCheck(b, 100_000) }

func BenchmarkCheck1MOps(b *testing.B) { benchCheck(b, 1_000_000) }

func benchCheck(b *testing.B, n int) {
	ops := genHistory(1, n, 10, 4, 2)
	for _, c := range []Consistency{Linearizable, CloseToOpen} {
		b.Run(c.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res := CheckLinearizability(ops, nil, c, time.Minute)
				if res.Verdict != Ok {
					b.Fatalf("%s", res)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}

// TestSegmentsAgree: checking a file's history segment by segment gives
// the verdicts of checking it whole, on linearizable histories and on
// ones where a few reads return values they should not have.
func TestSegmentsAgree(t *testing.T) {
	defer func(n int) { segmentHistories, minSegment = true, n }(minSegment)
	minSegment = 1
	violations := 0
	for seed := range uint64(30) {
		ops := genHistory(seed, 600, 2, 3, 2)
		rng := rand.New(rand.NewPCG(seed, 7))
		if seed%3 != 0 {
			for range 1 + rng.IntN(3) {
				o := &ops[rng.IntN(len(ops))]
				if o.OK() && o.Kind.ReadsData() {
					o.Data = model.DataValue(1+rng.IntN(3), 1+rng.IntN(40))
				} else if o.OK() && o.Kind.ReadsAttrs() {
					o.Size = int64(1+rng.IntN(4)) * 4096
				}
			}
		}
		for _, c := range []Consistency{Linearizable, CloseToOpen} {
			segmentHistories = true
			seg := CheckLinearizability(ops, nil, c, time.Minute)
			segmentHistories = false
			whole := CheckLinearizability(ops, nil, c, time.Minute)
			if seg.Verdict != whole.Verdict || seg.search != whole.search || !slices.Equal(seg.Files, whole.Files) {
				t.Fatalf("seed %d %s: segmented %s %v, whole %s %v", seed, c, seg, seg.Files, whole, whole.Files)
			}
			if seg.search == Violation {
				violations++
			}
		}
	}
	if violations < 10 {
		t.Errorf("only %d histories violated: the test needs more", violations)
	}
}

func TestTimeoutLeavesFilesUnknown(t *testing.T) {
	ops := genHistory(2, 40_000, 4, 3, 2)
	res := CheckLinearizability(ops, nil, Linearizable, time.Nanosecond)
	if res.Verdict != Unknown || !slices.ContainsFunc(res.Files, func(f FileVerdict) bool { return f.Verdict == Unknown }) {
		t.Fatalf("a search cut short: %s, files %v", res, res.Files)
	}

	// A stale read proves a violation even when the search is cut short.
	end := ops[len(ops)-1].End + model.Time(time.Second)
	ops = append(ops, model.Op{ID: len(ops), Actor: "late", Seq: 1, Kind: model.OpCat, File: res.Files[0].File,
		Start: end, End: end + 1, Result: model.ResultOK})
	res = CheckLinearizability(ops, nil, Linearizable, time.Nanosecond)
	if res.Verdict != Violation || res.Files[0].Verdict != Violation {
		t.Fatalf("a stale read in a search cut short: %s, files %v", res, res.Files)
	}
}

// BenchmarkCheckStream10MOps checks ten million operations the way a
// sweep does: history after history (10,000 runs of 1,000 operations,
// each generated and checked, then dropped). The heap stays at what one
// history needs (peak-heap-MB, sampled after each check).
func BenchmarkCheckStream10MOps(b *testing.B) {
	const runs, per = 10_000, 1_000
	var peak uint64
	for b.Loop() {
		for seed := range uint64(runs) {
			ops := genHistory(seed, per, 2, 2, 1)
			if res := CheckLinearizability(ops, nil, CloseToOpen, time.Minute); res.Verdict != Ok {
				b.Fatalf("seed %d: %s", seed, res)
			}
			if seed%500 == 0 {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		}
	}
	b.ReportMetric(float64(runs*per)*float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
