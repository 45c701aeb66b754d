package sweep

import (
	"context"
	"encoding/binary"
	"hash/fnv"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/delegsim/delegsim/checker"
	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
)

// RunOptions choose how a plan runs; none of them changes the results.
type RunOptions struct {
	Workers int   // goroutines running trials; 0 = GOMAXPROCS
	Shard   Shard // the slice of the grid to run; zero value = the whole grid
	// Progress, if set, is called from one goroutine after each batch of
	// trials with the trials done so far and the total.
	Progress func(done, total int)
	// Skip, if set, names grid points not to run (those an interrupted
	// run already finished, for Resume); the results then lack them.
	Skip func(point int) bool
}

// chunkTrials is how many trials a worker takes at a time: large enough
// to amortise the hand-off, small enough to keep both cores busy to the
// end and to stop soon after an interrupt.
const chunkTrials = 100

// checkTimeout bounds porcupine's search on one trial's history.
const checkTimeout = 10 * time.Second

// TrialSeed is the seed of trial t at grid point p of a sweep with the
// given base seed. It depends on nothing else (not on the worker, the
// shard or the policy), so results do not depend on how the work is
// split, and every policy at a point sees the same random draws (common
// random numbers: their differences are not sampling noise).
func TrialSeed(base uint64, p, t int) uint64 {
	var b [24]byte
	binary.LittleEndian.PutUint64(b[0:], base)
	binary.LittleEndian.PutUint64(b[8:], uint64(p))
	binary.LittleEndian.PutUint64(b[16:], uint64(t))
	h := fnv.New64a()
	h.Write(b[:])
	// splitmix64's finaliser spreads FNV's weak low bits.
	z := h.Sum64() + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// cell accumulates one policy at one point.
type cell struct {
	mu         sync.Mutex
	opFail     []int
	lat        [][]float64 // per op, per trial: ms; NaN if the op did not run
	any, all   int
	stale, unk int
	rpcs       int
	recalls    int
	getattrs   int
	grants     int
	unfinished int
}

type job struct {
	pt     *point
	pol    int
	c      *cell // the workers' only way to a cell: the map is the collector's
	lo, hi int
}

type runner struct {
	plan  *Plan
	cells map[int][]*cell // point index -> per policy
	left  map[int]int     // point index -> chunks not done
}

// Run runs the plan's shard. It returns the rows of every point that
// finished; if ctx is cancelled it stops handing out work, lets running
// batches end, drops the points they belong to unless they finished, and
// returns the finished points with Meta.Complete false.
func (p *Plan) Run(ctx context.Context, o RunOptions) *Results {
	sh := o.Shard
	if sh.Count == 0 {
		sh = Whole
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	r := &runner{plan: p, cells: map[int][]*cell{}, left: map[int]int{}}
	var jobs []job
	var pts []*point
	for _, i := range sh.Points(len(p.points)) {
		pt := p.points[i]
		if o.Skip != nil && o.Skip(i) {
			continue
		}
		pts = append(pts, pt)
		for k := range p.pols {
			c := &cell{opFail: make([]int, len(p.Meta.Ops))}
			r.cells[i] = append(r.cells[i], c)
			for lo := 0; lo < p.Meta.Trials; lo += chunkTrials {
				jobs = append(jobs, job{pt: pt, pol: k, c: c, lo: lo, hi: min(lo+chunkTrials, p.Meta.Trials)})
				r.left[i]++
			}
		}
	}
	total := len(pts) * len(p.pols) * p.Meta.Trials

	type done struct{ point, trials int }
	todo := make(chan job)
	events := make(chan done, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rn sim.Runner // reuses the engine's buffers across trials
			for j := range todo {
				r.runJob(&rn, j)
				events <- done{j.pt.index, j.hi - j.lo}
			}
		}()
	}
	go func() {
		defer close(todo)
		for _, j := range jobs {
			select {
			case todo <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(events) }()

	// A point's rows are built as soon as its last batch lands (the
	// worker sent the event after its last write), and its per-trial
	// latencies are freed, so memory stays bounded by the points in flight.
	finished := map[int][]Row{}
	n := 0
	for ev := range events {
		n += ev.trials
		if r.left[ev.point]--; r.left[ev.point] == 0 {
			finished[ev.point] = r.rows(p.points[ev.point])
			for _, c := range r.cells[ev.point] {
				c.lat = nil // no batch of this point is left to write it
			}
			delete(r.cells, ev.point)
		}
		if o.Progress != nil {
			o.Progress(n, total)
		}
	}

	res := &Results{Meta: p.Meta}
	res.Meta.Shard = sh
	for _, pt := range pts {
		rows, ok := finished[pt.index]
		if !ok {
			res.Meta.Complete = false
			continue
		}
		res.Rows = append(res.Rows, rows...)
	}
	return res
}

func (r *runner) runJob(rn *sim.Runner, j job) {
	p := r.plan
	local := &cell{opFail: make([]int, len(p.Meta.Ops))}
	c := j.c
	c.mu.Lock()
	if c.lat == nil {
		c.lat = make([][]float64, len(p.Meta.Ops))
		for k := range c.lat {
			c.lat[k] = make([]float64, p.Meta.Trials)
		}
	}
	lat := c.lat // each batch writes only its own trials' slots
	c.mu.Unlock()
	base := opBase(p.Meta.Ops)
	failed := make([]bool, len(p.Meta.Ops))
	for t := j.lo; t < j.hi; t++ {
		res := rn.Run(j.pt.rows[j.pol].Config(withSeed(j.pt.resolved[j.pol], TrialSeed(p.Meta.Seed, j.pt.index, t)), scenarios.Options{}))
		for k := range failed {
			failed[k] = true // an operation that never ran failed
			lat[k][t] = math.NaN()
		}
		for _, op := range res.Ops {
			if !op.Kind.IsLocal() {
				continue
			}
			b, ok := base[op.Actor]
			if !ok || op.Seq < 1 || b+op.Seq-1 >= len(failed) {
				continue
			}
			k := b + op.Seq - 1
			failed[k] = !op.OK()
			lat[k][t] = float64(op.End-op.Start) / float64(time.Millisecond)
		}
		nf := 0
		for k, f := range failed {
			if f {
				local.opFail[k]++
				nf++
			}
		}
		if nf > 0 {
			local.any++
		}
		if nf == len(failed) && nf > 0 {
			local.all++
		}
		if p.check {
			stale, unk := staleTrial(res.Ops, p.init, p.cons)
			if stale {
				local.stale++
			}
			if unk {
				local.unk++
			}
		}
		local.rpcs += res.ClientRPCs()
		local.recalls += res.Sent[model.MsgCBRecall]
		local.getattrs += res.Sent[model.MsgCBGetattr]
		local.grants += res.EventCount(model.EvGrant)
		if len(res.Unfinished) > 0 {
			local.unfinished++
		}
	}
	// Integer sums: the order in which batches land does not matter.
	c.mu.Lock()
	for k, n := range local.opFail {
		c.opFail[k] += n
	}
	c.any += local.any
	c.all += local.all
	c.stale += local.stale
	c.unk += local.unk
	c.rpcs += local.rpcs
	c.recalls += local.recalls
	c.getattrs += local.getattrs
	c.grants += local.grants
	c.unfinished += local.unfinished
	c.mu.Unlock()
}

func withSeed(r scenarios.Resolved, seed uint64) scenarios.Resolved {
	r.Seed = seed
	return r
}

// opBase maps a local actor to the index of its first operation in ops.
func opBase(ops []OpMeta) map[string]int {
	base := map[string]int{}
	for i, op := range ops {
		actor := op.Name[:len(op.Name)-len(opSuffix(op.Name))]
		if _, ok := base[actor]; !ok {
			base[actor] = i
		}
	}
	return base
}

// opSuffix returns "#N" of "actor#N".
func opSuffix(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '#' {
			return name[i:]
		}
	}
	return ""
}

// rows turns a finished point's cells into rows, in policy order.
func (r *runner) rows(pt *point) []Row {
	p := r.plan
	n := p.Meta.Trials
	mean := func(sum int) float64 { return float64(sum) / float64(n) }
	cells := r.cells[pt.index]
	base := cells[slices.Index(p.pols, Baseline)]
	var out []Row
	for k, name := range p.Meta.Policies {
		c := cells[k]
		row := Row{Point: pt.index, X: slices.Clone(pt.x), Policy: name, Trials: n,
			Any: Wilson(c.any, n), All: Wilson(c.all, n), Unknown: c.unk,
			RPCs: mean(c.rpcs), ExtraRPCs: mean(c.rpcs - base.rpcs), Recalls: mean(c.recalls),
			CBGetattrs: mean(c.getattrs), Grants: mean(c.grants), Unfinished: c.unfinished}
		row.Stale = Rate{math.NaN(), math.NaN(), math.NaN()}
		if p.check {
			row.Stale = Wilson(c.stale, n)
		}
		for j := range p.Meta.Ops {
			lat := slices.DeleteFunc(c.lat[j], func(x float64) bool { return math.IsNaN(x) })
			slices.Sort(lat)
			row.Ops = append(row.Ops, OpStats{Fail: Wilson(c.opFail[j], n),
				P50: Percentile(lat, 0.50), P90: Percentile(lat, 0.90), P99: Percentile(lat, 0.99)})
		}
		out = append(out, row)
	}
	return out
}

// staleTrial reports whether a trial's history holds a stale read or
// another consistency violation, and whether the check gave up.
//
// Without a successful write the register never changes, so a read is
// wrong exactly when it saw something other than the initial value: the
// same verdict the full check reaches (no write can explain another
// value), without the cost of porcupine, which would otherwise take most
// of a sweep's time on histories such as bz219278's.
func staleTrial(ops []model.Op, init map[string]checker.Value, c checker.Consistency) (stale, unknown bool) {
	writes := false
	for i := range ops {
		if ops[i].Kind == model.OpWrite && ops[i].OK() {
			writes = true
			break
		}
	}
	if !writes {
		for i := range ops {
			o := &ops[i]
			if !o.OK() {
				continue
			}
			v := init[o.File]
			switch {
			case o.Kind.ReadsAttrs() && o.Size != v.Size:
				return true, false
			case o.Kind.ReadsData() && (o.Bytes != v.Size || o.Data != v.Data):
				return true, false
			}
		}
		return false, false
	}
	res := checker.CheckLinearizability(ops, init, c, checkTimeout)
	return res.Verdict == checker.Violation, res.Verdict == checker.Unknown
}
