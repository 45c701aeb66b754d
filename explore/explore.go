package explore

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/delegsim/delegsim/checker"
	"github.com/delegsim/delegsim/model"
)

// Strategy is the order in which the explorer visits states.
type Strategy uint8

// Strategies.
const (
	// BFS visits states in order of depth: the first counterexample found
	// is a shortest one. It keeps a whole layer of states in memory.
	BFS Strategy = iota
	// DFS follows one schedule to its end before backtracking: memory
	// grows with the depth only, counterexamples may be long.
	DFS
)

func (s Strategy) String() string {
	if s == DFS {
		return "dfs"
	}
	return "bfs"
}

// ParseStrategy returns the strategy named "bfs" or "dfs".
func ParseStrategy(s string) (Strategy, error) {
	switch s {
	case "bfs":
		return BFS, nil
	case "dfs":
		return DFS, nil
	}
	return 0, fmt.Errorf("unknown strategy %q (allowed: bfs, dfs)", s)
}

// Defaults for Options.
const (
	DefaultMaxDepth   = 1000
	DefaultMaxStates  = 10_000_000
	DefaultLinTimeout = 10 * time.Second
)

// Options bound and direct a search.
type Options struct {
	Strategy  Strategy
	MaxDepth  int // states this deep are not expanded; 0: DefaultMaxDepth
	MaxStates int // the search stops after this many distinct states; 0: DefaultMaxStates
	// Consistency is the model every complete history is checked
	// against; nil means the one the policy promises (see Promise).
	Consistency *checker.Consistency
	// SkipConsistency checks no history.
	SkipConsistency bool
	// LinTimeout bounds the linearizability search of one history; 0:
	// DefaultLinTimeout.
	LinTimeout time.Duration
	// Progress, if set, is called every ProgressInterval, or every
	// ProgressEvery new states if that is set, from the search's
	// goroutines but never twice at once.
	Progress func(Progress)
	// ProgressInterval is the time between Progress calls; 0:
	// DefaultProgressInterval.
	ProgressInterval time.Duration
	// ProgressEvery, if positive, calls Progress every this many new
	// states instead (of one worker's).
	ProgressEvery int
	// Context, if set, stops the search soon after it is done (within a
	// few thousand states); the report then has Interrupted set.
	Context context.Context

	// Symmetry fingerprints each state by a canonical representative of
	// its class: states that a symmetry of the run (interchangeable
	// clients or local processes, see symmetry.go), a renaming of
	// stateids and xids, or a reordering of the server's searched tables
	// make one of the other count once. Counts of states then count
	// classes; histories, outcomes and verdicts are those of the full
	// space (each complete history found stands for its images under
	// the symmetries).
	Symmetry bool
	// Workers is how many goroutines search, sharing the visited set and
	// the interned values (0 or 1: one). Counts and verdicts of an
	// exhausted search do not depend on it; which counterexample is
	// found first may.
	Workers int
	// Shards > 1 explores only shard Shard (0 ≤ Shard < Shards) of the
	// space: every state to ShardDepth steps from the start, then only
	// below the states at that depth whose fingerprints fall to this
	// shard (fingerprint mod Shards). ShardDepth 0 picks the first depth
	// with at least 64 states per shard. See Merge.
	Shard, Shards, ShardDepth int

	noMemo bool // tests: step every actor afresh (engine.noMemo)
	// Tests: canon is called with every canonicalized successor;
	// recordHistories fills Report.HistorySet.
	canon           func(e *engine, f *frame, d *delta, key uint64, fresh bool)
	recordHistories bool
}

// DefaultProgressInterval is the time between Progress calls by
// default.
const DefaultProgressInterval = time.Second

// Progress is a search's position, for progress reports.
type Progress struct {
	Generated int64 // states generated: the start and every transition taken
	Distinct  int   // distinct states found
	Depth     int   // deepest state found
	// Queue is how many states wait to be expanded: the BFS frontier, or
	// the successors left on DFS stacks and in the workers' queue.
	Queue   int64
	Elapsed time.Duration
	// Rate is distinct states per second since the previous report (or
	// the start).
	Rate float64
	// Memory is the bytes of the Go heap in use (runtime/metrics).
	Memory  uint64
	Workers int
}

// Promise returns the consistency model a policy promises its users, and
// whether it is meant to keep it. Every policy aims at NFS's close-to-open
// consistency (a reader that opens after a writer's close sees the
// write); the kernel does not promise linearizability, since a recalled
// client does not flush before DELEGRETURN. local-read-exempt and
// exempt-all-local break the promise by design: local readers (and, for
// exempt-all-local, writers) pass write delegations without a recall.
func Promise(policy string) (checker.Consistency, bool) {
	switch policy {
	case "local-read-exempt", "exempt-all-local":
		return checker.CloseToOpen, false
	}
	return checker.CloseToOpen, true
}

// Report is the outcome of a search.
type Report struct {
	Scenario string `json:"scenario"`
	Policy   string `json:"policy"`
	Profile  string `json:"profile"`
	Seed     uint64 `json:"seed"`

	Strategy  string `json:"strategy"`
	MaxDepth  int    `json:"max_depth"`
	MaxStates int    `json:"max_states"`
	// MaxDelay is the --max-delay bound; empty when the scenario's
	// distributions bound each message.
	MaxDelay string `json:"max_delay,omitempty"`

	Generated int64 `json:"states_generated"` // the start and every transition taken
	Distinct  int   `json:"distinct_states"`
	// Symmetries is the size of the symmetry group states were reduced
	// by (Options.Symmetry; 1: identifiers renamed only), 0 without.
	Symmetries int `json:"symmetries,omitempty"`
	Depth      int `json:"depth"` // deepest state reached
	// Exhausted: every reachable state was visited.
	Exhausted bool `json:"exhausted"`
	// Bound names the bound that cut the search ("max-states",
	// "max-depth", "max-memory"), if any.
	Bound string `json:"bound,omitempty"`
	// MaxMemory is the max-memory bound in bytes, if there was one (the
	// caller enforces it through Options.Context).
	MaxMemory int64 `json:"max_memory,omitempty"`
	// Interrupted: Options.Context stopped the search.
	Interrupted bool `json:"interrupted,omitempty"`

	Terminal   int `json:"terminal_states"`   // states where the run ends
	Unfinished int `json:"unfinished_states"` // terminal states with a script not finished
	Histories  int `json:"complete_histories"`

	Invariants  []InvariantResult  `json:"invariants"`
	Consistency *ConsistencyResult `json:"consistency,omitempty"`
	Outcomes    []Outcome          `json:"outcomes"`
	Events      []string           `json:"events_reached"`

	Counterexample *Counterexample `json:"counterexample,omitempty"`

	// Sharded searches (Options.Shards) record which shard this is, how
	// many states the shared prefix holds (counted by shard 0 only), and
	// every complete history found, for Merge.
	Shard      *ShardInfo      `json:"shard,omitempty"`
	HistorySet []HistoryRecord `json:"history_set,omitempty"`
	// MergedShards is the number of shards Merge joined into this report.
	MergedShards int `json:"merged_shards,omitempty"`

	Elapsed      time.Duration `json:"-"`
	VisitedBytes int           `json:"-"` // size of the visited-state table
	Workers      int           `json:"-"`
}

// ShardInfo says which part of a sharded search a report covers.
type ShardInfo struct {
	Index        int `json:"index"`
	Of           int `json:"of"`
	Depth        int `json:"depth"`         // the frontier's depth
	Frontier     int `json:"frontier"`      // states at that depth, all shards
	Own          int `json:"own"`           // of which this shard's
	PrefixStates int `json:"prefix_states"` // states above the frontier
}

// HistoryRecord is one distinct complete history of a sharded search:
// its fingerprint, verdict and outcomes ("l1#1 lsattr f EAGAIN").
type HistoryRecord struct {
	Hash     string   `json:"hash"`
	Verdict  string   `json:"verdict"` // "ok", "violated", "unknown" or "" (unchecked)
	Outcomes []string `json:"outcomes"`
}

// Violated reports whether the search found a counterexample.
func (r *Report) Violated() bool { return r.Counterexample != nil }

// StatesPerSecond is the rate at which distinct states were found.
func (r *Report) StatesPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Distinct) / r.Elapsed.Seconds()
}

// InvariantResult is the verdict on one checker invariant.
type InvariantResult struct {
	Name    string `json:"name"`
	Finding bool   `json:"finding"` // a known kernel behaviour when it fails
	States  int    `json:"states"`  // distinct states that broke it
	First   string `json:"first,omitempty"`
}

// ConsistencyResult is the verdict on the complete histories.
type ConsistencyResult struct {
	Model      string `json:"model"`
	Promised   bool   `json:"promised"` // the policy means to keep it
	Checked    int    `json:"checked"`  // distinct complete histories
	Violations int    `json:"violations"`
	Unknown    int    `json:"unknown"`
}

// Outcome counts the complete histories in which an operation ended with
// a result.
type Outcome struct {
	Op        string `json:"op"` // "l1#1"
	Kind      string `json:"kind"`
	File      string `json:"file"`
	Result    string `json:"result"`
	Histories int    `json:"histories"`

	actor, seq int
}

// Counterexample is a schedule that breaks a property.
type Counterexample struct {
	Property string     `json:"property"`
	Detail   string     `json:"detail"`
	Depth    int        `json:"depth"`
	Schedule *Schedule  `json:"schedule"`
	Ops      []model.Op `json:"-"`

	opsText []string // Ops as text, in a report read back (ReadReport)
}

// explorer is one search: what its workers share.
type explorer struct {
	m       *Model
	o       Options
	t       *tables
	visited *visitedSet
	rep     *Report
	start   time.Time

	consistency checker.Consistency
	checkHist   bool
	actorIndex  map[string]int

	stop        atomic.Bool
	interrupted atomic.Bool  // Options.Context stopped the search
	budget      atomic.Int64 // distinct states that may still be admitted
	workers     []*worker

	// Progress: counters the workers publish every so often.
	distinct, generated, queue, depth atomic.Int64
	lastProgress                      atomic.Int64 // nanoseconds since start
	lastDistinct                      int64
	progressMu                        sync.Mutex

	mu        sync.Mutex // guards what follows
	histories map[uint64]uint8
	records   map[uint64]*HistoryRecord // sharded searches
	outcomes  map[Outcome]int
	bound     string

	// quietStats: a shard other than 0 explores the shared prefix, and
	// counts nothing there.
	quietStats atomic.Bool
}

// Verdicts of complete histories.
const (
	vUnchecked uint8 = iota
	vOK
	vViolated
	vUnknown
)

// worker is one goroutine's share of a search.
type worker struct {
	x     *explorer
	e     *engine
	kids  []delta // BFS: the successors of the state being expanded
	ords  []uint16
	keys  []uint64 // the keys of the successors being looked at
	probe []int    // their positions among the successors
	isNew []bool
	fresh []bool // by successor
	// recent holds the plain fingerprints of states seen lately, with
	// symmetries.
	recent recentSet
	steps  []Step
	inv    [1024]invEntry // see invariants

	frames []*frame
	pool   *chunkPool
	// The position of the state being expanded: BFS its layer and index,
	// DFS the stack and the path to its bottom.
	layers             []*layer
	bfsDepth, bfsIndex int
	stack, levels      []*dfsLevel
	prefix             []uint16
	pending            int64 // states this worker has queued, less those it took

	findings map[string]*InvariantResult
	quota    int64 // states this worker may admit before asking for more
	// Counts not yet published to the explorer's, and this worker's own.
	pubDistinct, pubGenerated, pubPending int64
	distinct, generated                   int64
	terminal, unfinished, depth           int
	sinceProgress                         int
}

// Explore searches every interleaving of m's deliveries, losses, timer
// firings and crashes (see the package documentation), checking the
// invariants on every state and the consistency model on every complete
// history. It stops at the first violation.
func Explore(m *Model, o Options) *Report {
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxStates <= 0 {
		o.MaxStates = DefaultMaxStates
	}
	if o.LinTimeout <= 0 {
		o.LinTimeout = DefaultLinTimeout
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = DefaultProgressInterval
	}
	o.Workers = max(o.Workers, 1)
	var perms []perm
	if o.Symmetry {
		perms = m.symmetries()
	}
	e := newEngine(m, perms...)
	e.noMemo = o.noMemo
	x := &explorer{m: m, o: o, t: e.tables, visited: newVisited(o.Workers), start: time.Now(),
		histories: map[uint64]uint8{}, outcomes: map[Outcome]int{},
		rep: &Report{Scenario: m.Scenario, Policy: m.Policy, Profile: m.Profile, Seed: m.Seed,
			Strategy: o.Strategy.String(), MaxDepth: o.MaxDepth, MaxStates: o.MaxStates, Workers: o.Workers,
			Symmetries: len(perms)}}
	if m.MaxDelay > 0 {
		x.rep.MaxDelay = m.MaxDelay.String()
	}
	promised, safe := Promise(m.Policy)
	x.consistency = promised
	if o.Consistency != nil {
		x.consistency = *o.Consistency
	}
	if !o.SkipConsistency {
		x.checkHist = true
		x.rep.Consistency = &ConsistencyResult{Model: x.consistency.String(), Promised: safe && x.consistency == promised}
	}
	x.actorIndex = map[string]int{}
	for i, n := range m.Names {
		x.actorIndex[n] = i
	}
	for i := range o.Workers {
		w := &worker{x: x, e: e, findings: map[string]*InvariantResult{}}
		if i > 0 {
			w.e = e.tables.fork()
			w.e.noMemo = o.noMemo
		}
		x.workers = append(x.workers, w)
	}
	x.budget.Store(int64(o.MaxStates) - 1)
	if o.Shards > 1 || o.recordHistories {
		x.records = map[uint64]*HistoryRecord{}
	}
	if o.Shards > 1 {
		x.rep.Shard = &ShardInfo{Index: o.Shard, Of: o.Shards}
	}

	w := x.workers[0]
	root := e.initial()
	x.visited.add(e.key(root))
	w.distinct, w.generated = 1, 1
	if w.visit(root, nil, Step{}) {
		x.search(root)
	}
	x.finish()
	return x.rep
}

// admit counts a new state against MaxStates and reports whether it may
// be visited; once the bound is hit, the search stops.
func (w *worker) admit() bool {
	if w.quota == 0 {
		x := w.x
		for {
			b := x.budget.Load()
			if b <= 0 {
				x.setBound("max-states")
				return false
			}
			take := min(b, 256)
			if x.budget.CompareAndSwap(b, b-take) {
				w.quota = take
				break
			}
		}
	}
	w.quota--
	w.distinct++
	return true
}

func (x *explorer) setBound(b string) {
	x.mu.Lock()
	if x.bound == "" || b == "max-states" {
		x.bound = b
	}
	x.mu.Unlock()
	if b == "max-states" {
		x.stop.Store(true)
	}
}

// expand computes the successors of f into *kids, inserts their keys in
// the visited set, visits the new ones and appends the positions of those
// to be expanded (among f's steps, and in *kids) to ords, n of them. A
// state without successors ends its run.
func (w *worker) expand(f *frame, kidsp *[]delta, ords []uint16) (n int, _ []uint16) {
	x, e := w.x, w.e
	w.steps = e.enabled(f, w.steps[:0])
	if len(w.steps) == 0 {
		w.complete(f, nil, Step{})
		return 0, ords
	}
	if int(f.depth) >= x.o.MaxDepth {
		x.setBound("max-depth")
		return 0, ords
	}
	if len(w.steps) > math.MaxUint16 {
		panic("explore: more than 65536 steps enabled in a state")
	}
	for len(*kidsp) < len(w.steps) {
		*kidsp = append(*kidsp, delta{})
	}
	kids := *kidsp
	w.keys, w.fresh, w.probe = w.keys[:0], w.fresh[:0], w.probe[:0]
	for k, st := range w.steps {
		e.applyRaw(f, st, &kids[k])
		w.fresh = append(w.fresh, false)
	}
	if e.sym != nil {
		w.recent.touch(kids[:len(w.steps)])
	}
	for k := range w.steps {
		d := &kids[k]
		if e.sym != nil {
			// A state seen a moment ago (the other order of two
			// independent steps, most often) need not be
			// canonicalized again.
			if w.recent.seen(d.hash) {
				continue
			}
			e.canonicalize(f, d)
		}
		w.keys = append(w.keys, d.key)
		w.probe = append(w.probe, k)
	}
	w.generated += int64(len(w.steps))
	w.isNew = slices.Grow(w.isNew[:0], len(w.keys))[:len(w.keys)]
	x.visited.addBatch(w.keys, w.isNew)
	for i, k := range w.probe {
		w.fresh[k] = w.isNew[i]
		if x.o.canon != nil && e.sym != nil {
			x.o.canon(e, f, &kids[k], kids[k].key, w.fresh[k])
		}
	}
	for k := range w.steps {
		if !w.fresh[k] {
			continue
		}
		if !w.admit() {
			return n, ords
		}
		w.depth = max(w.depth, int(f.depth)+1)
		w.progress()
		if !w.visit(f, &kids[k], w.steps[k]) {
			if x.stop.Load() {
				return n, ords
			}
			continue
		}
		ords = append(ords, uint16(k))
		n++
	}
	return n, ords
}

// interruptEvery is how many new states pass between looks at
// Options.Context: rarely enough to cost nothing, often enough to stop
// within milliseconds.
const interruptEvery = 1 << 12

// progress publishes the worker's counts every so often and calls
// Options.Progress when it is due.
func (w *worker) progress() {
	w.sinceProgress++
	x := w.x
	if w.sinceProgress%interruptEvery == 0 && x.o.Context != nil && x.o.Context.Err() != nil {
		x.interrupted.Store(true)
		x.stop.Store(true)
	}
	if every := x.o.ProgressEvery; every > 0 {
		if w.sinceProgress%every == 0 {
			w.publish()
			x.report(time.Since(x.start))
		}
		return
	}
	if w.sinceProgress&4095 != 0 {
		return
	}
	w.publish()
	if x.o.Progress == nil {
		return
	}
	el := time.Since(x.start)
	if el-time.Duration(x.lastProgress.Load()) >= x.o.ProgressInterval {
		x.report(el)
	}
}

// publish adds the worker's counts since the last call to the explorer's.
func (w *worker) publish() {
	x := w.x
	x.distinct.Add(w.distinct - w.pubDistinct)
	x.generated.Add(w.generated - w.pubGenerated)
	x.queue.Add(w.pending - w.pubPending)
	w.pubDistinct, w.pubGenerated, w.pubPending = w.distinct, w.generated, w.pending
	for {
		d := x.depth.Load()
		if int64(w.depth) <= d || x.depth.CompareAndSwap(d, int64(w.depth)) {
			break
		}
	}
}

// report calls Options.Progress, unless a call is under way.
func (x *explorer) report(el time.Duration) {
	if x.o.Progress == nil || !x.progressMu.TryLock() {
		return
	}
	defer x.progressMu.Unlock()
	last := time.Duration(x.lastProgress.Swap(int64(el)))
	d := x.distinct.Load()
	p := Progress{Generated: x.generated.Load(), Distinct: int(d), Depth: int(x.depth.Load()), Queue: max(x.queue.Load(), 0),
		Elapsed: el, Memory: heapBytes(), Workers: len(x.workers)}
	if el > last {
		p.Rate = float64(d-x.lastDistinct) / (el - last).Seconds()
	}
	x.lastDistinct = d
	x.o.Progress(p)
}

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

// heapBytes returns the bytes of heap objects, live or not yet swept.
func heapBytes() uint64 {
	s := slices.Clone(heapSample)
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// visit checks the invariants of a new state, f+d (d may be nil; st is
// the step to it), and ends its run if it is finished. It reports
// whether the state is to be expanded.
func (w *worker) visit(f *frame, d *delta, st Step) bool {
	x := w.x
	now := f.now
	if d != nil {
		now = d.now
	}
	quiet := x.quiet()
	for _, v := range w.invariants(f, d, now) {
		if !quiet {
			r := w.findings[v.Invariant]
			if r == nil {
				r = &InvariantResult{Name: v.Invariant, Finding: v.Finding}
				w.findings[v.Invariant] = r
			}
			r.States++
			if r.First == "" {
				r.First = v.String()
			}
		}
		if !v.Finding {
			w.counterexample(f, d, st, "invariant "+v.Invariant, v.String())
			return false
		}
	}
	if w.e.finished(f, d) {
		w.complete(f, d, st)
		return false
	}
	return true
}

// quiet reports whether statistics are not to be counted (a shard other
// than 0 in the shared prefix).
func (x *explorer) quiet() bool { return x.quietStats.Load() }

// invariants returns checker.CheckState's violations in f+d at now. The
// invariants see the server and the clock only (checker.State), so a
// verdict holds for every state with the same server part at the same
// time: verdicts are cached by both (TestInvariantsSeeServerAndClock
// guards the premise).
func (w *worker) invariants(f *frame, d *delta, now model.Time) []checker.InvariantViolation {
	p := f.part(d, int(model.ServerID))
	c := &w.inv[mix(uint64(p.id)<<32^uint64(now))%uint64(len(w.inv))]
	if c.p != p || c.now != now {
		*c = invEntry{p: p, now: now, res: checker.CheckState(now, w.e.actorsOf(f, d))}
	}
	return c.res
}

// invEntry is a cached verdict of the invariants.
type invEntry struct {
	p   *part
	now model.Time
	res []checker.InvariantViolation
}

// complete records a state, f+d (d may be nil; st is the step to it),
// where the run ends: its
// history's outcomes and, once per distinct history, the consistency
// verdict. With symmetries, the history stands for its images under each
// of them, which are counted as histories of their own.
func (w *worker) complete(f *frame, d *delta, st Step) {
	x, e := w.x, w.e
	if x.quiet() {
		return
	}
	w.terminal++
	if len(e.unfinished(f, d)) > 0 {
		w.unfinished++
	}
	e.mu.Lock()
	n := 1
	if e.sym != nil {
		n = len(e.sym.perms)
	}
	hs := make([]uint64, n)
	for s := range hs {
		hs[s] = e.historyImageHash(f, d, s)
	}
	e.mu.Unlock()

	x.mu.Lock()
	fresh := false
	for _, h := range hs {
		if _, ok := x.histories[h]; !ok {
			fresh = true
		}
	}
	verdict, known := x.histories[hs[0]]
	x.mu.Unlock()
	if !fresh {
		return
	}
	e.mu.Lock()
	ops := e.history(f, d)
	e.mu.Unlock()
	var res checker.LinResult
	if !known {
		verdict = vUnchecked
		if x.checkHist {
			res = checker.CheckLinearizability(ops, x.m.Init, x.consistency, x.o.LinTimeout)
			switch res.Verdict {
			case checker.Violation:
				verdict = vViolated
			case checker.Unknown:
				verdict = vUnknown
			default:
				verdict = vOK
			}
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for s, h := range hs {
		if _, ok := x.histories[h]; ok {
			continue
		}
		x.histories[h] = verdict
		img := ops
		if s > 0 {
			img = e.historyImage(ops, s)
		}
		if c := x.rep.Consistency; c != nil && verdict != vUnchecked {
			c.Checked++
			switch verdict {
			case vViolated:
				c.Violations++
			case vUnknown:
				c.Unknown++
			}
		}
		var rec *HistoryRecord
		if x.records != nil {
			rec = &HistoryRecord{Hash: fmt.Sprintf("%016x", h), Verdict: verdictNames[verdict], Outcomes: []string{}}
			x.records[h] = rec
		}
		for _, op := range img {
			o := Outcome{Op: op.Name(), Kind: op.Kind.String(), File: op.File, Result: op.Result,
				actor: x.actorIndex[op.Actor], seq: op.Seq}
			x.outcomes[o]++
			if rec != nil {
				rec.Outcomes = append(rec.Outcomes, o.key())
			}
		}
	}
	if verdict == vViolated && x.rep.Counterexample == nil && !known {
		detail := res.String()
		for _, sr := range res.StaleReads {
			detail += "\n" + sr.String()
		}
		x.mu.Unlock()
		w.counterexample(f, d, st, res.Consistency.String(), detail)
		x.mu.Lock()
	}
}

var verdictNames = [...]string{vUnchecked: "", vOK: "ok", vViolated: "violated", vUnknown: "unknown"}

// key names an outcome in a HistoryRecord.
func (o Outcome) key() string { return o.Op + " " + o.Kind + " " + o.File + " " + o.Result }

// counterexample records the path to f+d (d nil: to f; st is the step
// from f to f+d) as the search's counterexample, unless it has one, and
// stops the search.
func (w *worker) counterexample(f *frame, d *delta, st Step, property, detail string) {
	x := w.x
	steps := w.path()
	if d != nil {
		steps = append(steps, st)
	}
	w.e.mu.Lock()
	ops := w.e.history(f, d)
	w.e.mu.Unlock()
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.rep.Counterexample != nil {
		return
	}
	x.rep.Counterexample = &Counterexample{Property: property, Detail: detail, Depth: len(steps),
		Schedule: x.m.schedule(steps), Ops: ops}
	x.stop.Store(true)
}

func (x *explorer) finish() {
	r := x.rep
	r.Elapsed = time.Since(x.start)
	r.VisitedBytes = x.visited.bytes()
	x.visited.release()
	r.Bound = x.bound
	r.Interrupted = x.interrupted.Load()
	findings := map[string]*InvariantResult{}
	for _, inv := range checker.Invariants {
		findings[inv.Name] = &InvariantResult{Name: inv.Name, Finding: inv.Finding}
	}
	var seen uint64
	for _, w := range x.workers {
		r.Distinct += int(w.distinct)
		r.Generated += w.generated
		r.Terminal += w.terminal
		r.Unfinished += w.unfinished
		r.Depth = max(r.Depth, w.depth)
		seen |= w.e.seen
		for name, f := range w.findings {
			g := findings[name]
			if g == nil {
				g = &InvariantResult{Name: name, Finding: f.Finding}
				findings[name] = g
			}
			g.States += f.States
			if g.First == "" {
				g.First = f.First
			}
		}
	}
	r.Histories = len(x.histories)
	r.Exhausted = r.Bound == "" && r.Counterexample == nil && !r.Interrupted
	for _, inv := range checker.Invariants {
		r.Invariants = append(r.Invariants, *findings[inv.Name])
		delete(findings, inv.Name)
	}
	for _, name := range slicesSortedKeys(findings) {
		r.Invariants = append(r.Invariants, *findings[name])
	}
	for o, n := range x.outcomes {
		o.Histories = n
		r.Outcomes = append(r.Outcomes, o)
	}
	slices.SortFunc(r.Outcomes, func(a, b Outcome) int {
		return cmp.Or(cmp.Compare(a.actor, b.actor), cmp.Compare(a.seq, b.seq), strings.Compare(a.Result, b.Result))
	})
	if r.Outcomes == nil {
		r.Outcomes = []Outcome{}
	}
	r.Events = []string{}
	for k := 0; k < model.EventKindCount; k++ {
		if seen&(1<<k) != 0 {
			r.Events = append(r.Events, model.EventKind(k).String())
		}
	}
	if x.records != nil {
		for _, h := range slices.Sorted(maps.Keys(x.records)) {
			r.HistorySet = append(r.HistorySet, *x.records[h])
		}
	}
}

func slicesSortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
