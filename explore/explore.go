package explore

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
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
	// Progress, if set, is called every ProgressEvery new states.
	Progress func(Progress)
	// ProgressEvery is how many new states pass between Progress calls;
	// 0: DefaultProgressEvery.
	ProgressEvery int
	// Context, if set, stops the search soon after it is done (within a
	// few thousand states); the report then has Interrupted set.
	Context context.Context

	noMemo bool // tests: step every actor afresh (engine.noMemo)
}

// DefaultProgressEvery is how many new states pass between Progress calls
// by default.
const DefaultProgressEvery = 1 << 16

// Progress is a search's position, for progress reports.
type Progress struct {
	Generated int64
	Distinct  int
	Depth     int
	Elapsed   time.Duration
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
	Depth     int   `json:"depth"` // deepest state reached
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

	Elapsed      time.Duration `json:"-"`
	VisitedBytes int           `json:"-"` // size of the visited-state table
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
}

// explorer is one search.
type explorer struct {
	m       *Model
	o       Options
	e       *engine
	d       delta // the successor being looked at
	visited hashSet
	rep     *Report
	start   time.Time
	// path returns the steps from the start to the state being looked at
	// (the frame being expanded, plus the successor's step while one is).
	path func() []Step

	consistency checker.Consistency
	checkHist   bool
	findings    map[string]*InvariantResult
	actorIndex  map[string]int
	histories   map[uint64]bool
	inv         [1024]invEntry // see invariants
	outcomes    map[Outcome]int
	stop        bool
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
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = DefaultProgressEvery
	}
	e := newEngine(m)
	e.noMemo = o.noMemo
	x := &explorer{m: m, o: o, e: e, start: time.Now(),
		findings: map[string]*InvariantResult{}, histories: map[uint64]bool{}, outcomes: map[Outcome]int{},
		rep: &Report{Scenario: m.Scenario, Policy: m.Policy, Profile: m.Profile, Seed: m.Seed,
			Strategy: o.Strategy.String(), MaxDepth: o.MaxDepth, MaxStates: o.MaxStates}}
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
	for _, inv := range checker.Invariants {
		x.findings[inv.Name] = &InvariantResult{Name: inv.Name, Finding: inv.Finding}
	}
	x.actorIndex = map[string]int{}
	for i, n := range m.Names {
		x.actorIndex[n] = i
	}

	root := x.e.initial()
	x.visited.add(root.hash)
	x.rep.Distinct, x.rep.Generated = 1, 1
	x.path = func() []Step { return nil }
	if x.visit(root, nil) {
		if o.Strategy == DFS {
			x.dfs(root)
		} else {
			x.bfs(root)
		}
	}
	x.finish()
	return x.rep
}

// visit checks the invariants of a new state, f+d (d may be nil), and
// ends its run if it is finished. It reports whether the state is to be
// expanded.
func (x *explorer) visit(f *frame, d *delta) bool {
	now := f.now
	if d != nil {
		now = d.now
	}
	for _, v := range x.invariants(f, d, now) {
		r := x.findings[v.Invariant]
		if r == nil {
			r = &InvariantResult{Name: v.Invariant, Finding: v.Finding}
			x.findings[v.Invariant] = r
		}
		r.States++
		if r.First == "" {
			r.First = v.String()
		}
		if !v.Finding && x.rep.Counterexample == nil {
			x.counterexample(f, d, "invariant "+v.Invariant, v.String())
			return false
		}
	}
	if x.e.finished(f, d) {
		x.complete(f, d)
		return false
	}
	return true
}

// invariants returns checker.CheckState's violations in f+d at now. The
// invariants see the server and the clock only (checker.State), so a
// verdict holds for every state with the same server part at the same
// time: verdicts are cached by both (TestInvariantsSeeServerAndClock
// guards the premise).
func (x *explorer) invariants(f *frame, d *delta, now model.Time) []checker.InvariantViolation {
	p := f.part(d, int(model.ServerID))
	c := &x.inv[mix(uint64(p.id)<<32^uint64(now))%uint64(len(x.inv))]
	if c.p != p || c.now != now {
		*c = invEntry{p: p, now: now, res: checker.CheckState(now, x.e.actorsOf(f, d))}
	}
	return c.res
}

// invEntry is a cached verdict of the invariants.
type invEntry struct {
	p   *part
	now model.Time
	res []checker.InvariantViolation
}

// bfs expands the frontier layer by layer. The frontier is compressed (see
// codec.go); each state is loaded into one frame to be expanded. For the
// counterexample's sake each layer records, for each of its states, the
// index of its parent in the layer before and the position of the step
// among the parent's enabled steps.
func (x *explorer) bfs(root *frame) {
	e, f, d := x.e, root, &x.d
	var pool chunkPool
	cur := &layer{}
	cur.add(&pool, e.encode(f, nil))
	type origin struct {
		parent []uint32
		ord    []uint16
	}
	origins := []origin{{}} // by depth
	var depth, index int    // of the state being expanded
	var st Step             // the step being tried
	var inChild bool
	x.path = func() []Step {
		ords := make([]uint16, depth)
		for k, j := depth, index; k > 0; k-- {
			ords[k-1], j = origins[k].ord[j], int(origins[k].parent[j])
		}
		steps := x.m.stepsOf(ords)
		if inChild {
			steps = append(steps, st)
		}
		return steps
	}
	var steps []Step
	for ; cur.n > 0 && !x.stop; depth++ {
		next := &layer{}
		var o origin
		for index = 0; !x.stop; index++ {
			entry, ok := cur.next(&pool)
			if !ok {
				break
			}
			e.load(f, entry)
			f.depth = int32(depth)
			steps = e.enabled(f, steps[:0])
			if len(steps) == 0 {
				x.complete(f, nil)
				continue
			}
			if depth >= x.o.MaxDepth {
				x.rep.Bound = "max-depth"
				continue
			}
			for k := range steps {
				st, inChild = steps[k], true
				if x.child(f, st, d) && x.visit(f, d) {
					if k > math.MaxUint16 {
						panic("explore: more than 65536 steps enabled in a state")
					}
					next.add(&pool, e.encode(f, d))
					o.parent = append(o.parent, uint32(index))
					o.ord = append(o.ord, uint16(k))
				}
				inChild = false
				if x.stop {
					break
				}
			}
		}
		origins = append(origins, o)
		cur = next
	}
}

// stepsOf replays a path given as positions among the enabled steps of
// each state from the start, and returns its steps.
func (m *Model) stepsOf(ords []uint16) []Step {
	e := newEngine(m)
	f, g := e.initial(), e.newFrame()
	var d delta
	var enabled []Step
	steps := make([]Step, len(ords))
	for i, k := range ords {
		enabled = e.enabled(f, enabled[:0])
		steps[i] = enabled[k]
		e.apply(f, steps[i], &d)
		e.advance(g, f, &d)
		f, g = g, f
	}
	return steps
}

// dfs follows each schedule to its end before backtracking. It keeps one
// frame per depth: a successor is built in the frame after its parent's
// (a few pointers per actor and channel, see engine.advance).
func (x *explorer) dfs(root *frame) {
	type level struct {
		steps []Step
		i     int
	}
	e, d := x.e, &x.d
	frames := []*frame{root}
	var stack []level
	var spare [][]Step // step buffers of popped levels
	x.path = func() []Step {
		steps := make([]Step, len(stack))
		for k := range stack {
			steps[k] = stack[k].steps[stack[k].i-1]
		}
		return steps
	}
	// expand pushes f's level, or ends its run.
	expand := func(f *frame) {
		var buf []Step
		if k := len(spare); k > 0 {
			buf, spare = spare[k-1][:0], spare[:k-1]
		}
		steps := e.enabled(f, buf)
		if len(steps) == 0 {
			x.complete(f, nil)
			spare = append(spare, steps)
			return
		}
		if int(f.depth) >= x.o.MaxDepth {
			x.rep.Bound = "max-depth"
			spare = append(spare, steps)
			return
		}
		stack = append(stack, level{steps: steps})
	}
	expand(root)
	for len(stack) > 0 && !x.stop {
		top := &stack[len(stack)-1]
		if top.i == len(top.steps) {
			spare = append(spare, top.steps)
			stack[len(stack)-1] = level{}
			stack = stack[:len(stack)-1]
			continue
		}
		f := frames[len(stack)-1]
		st := top.steps[top.i]
		top.i++
		if !x.child(f, st, d) || !x.visit(f, d) {
			continue
		}
		if len(frames) == len(stack) {
			frames = append(frames, e.newFrame())
		}
		g := frames[len(stack)]
		e.advance(g, f, d)
		expand(g)
	}
}

// child applies st to f in d and reports whether the successor is new.
func (x *explorer) child(f *frame, st Step, d *delta) bool {
	x.e.apply(f, st, d)
	x.rep.Generated++
	if !x.visited.add(d.hash) {
		return false
	}
	x.rep.Distinct++
	x.rep.Depth = max(x.rep.Depth, int(f.depth)+1)
	if x.o.Progress != nil && x.rep.Distinct%x.o.ProgressEvery == 0 {
		x.o.Progress(Progress{Generated: x.rep.Generated, Distinct: x.rep.Distinct, Depth: x.rep.Depth, Elapsed: time.Since(x.start)})
	}
	if x.rep.Distinct >= x.o.MaxStates {
		x.rep.Bound = "max-states"
		x.stop = true
	}
	if x.rep.Distinct%interruptEvery == 0 && x.o.Context != nil && x.o.Context.Err() != nil {
		x.rep.Interrupted = true
		x.stop = true
	}
	return true
}

// interruptEvery is how many new states pass between looks at
// Options.Context: rarely enough to cost nothing, often enough to stop
// within milliseconds.
const interruptEvery = 1 << 12

// complete records a state, f+d (d may be nil), where the run ends: its
// history's outcomes and, once per distinct history, the consistency
// verdict.
func (x *explorer) complete(f *frame, d *delta) {
	x.rep.Terminal++
	if len(x.e.unfinished(f, d)) > 0 {
		x.rep.Unfinished++
	}
	h := x.e.historyHash(f, d)
	if _, seen := x.histories[h]; seen {
		return
	}
	ops := x.e.history(f, d)
	violated := false
	if x.checkHist {
		res := checker.CheckLinearizability(ops, x.m.Init, x.consistency, x.o.LinTimeout)
		x.rep.Consistency.Checked++
		switch res.Verdict {
		case checker.Violation:
			violated = true
			x.rep.Consistency.Violations++
			if x.rep.Counterexample == nil {
				detail := res.String()
				for _, sr := range res.StaleReads {
					detail += "\n" + sr.String()
				}
				x.counterexample(f, d, res.Consistency.String(), detail)
			}
		case checker.Unknown:
			x.rep.Consistency.Unknown++
		}
	}
	x.histories[h] = violated
	for _, op := range ops {
		x.outcomes[Outcome{Op: op.Name(), Kind: op.Kind.String(), File: op.File, Result: op.Result,
			actor: x.actorIndex[op.Actor], seq: op.Seq}]++
	}
}

func (x *explorer) counterexample(f *frame, d *delta, property, detail string) {
	steps := x.path()
	x.rep.Counterexample = &Counterexample{Property: property, Detail: detail, Depth: len(steps),
		Schedule: x.m.schedule(steps), Ops: x.e.history(f, d)}
	x.stop = true
}

func (x *explorer) finish() {
	r := x.rep
	r.Elapsed = time.Since(x.start)
	r.VisitedBytes = x.visited.bytes()
	r.Histories = len(x.histories)
	r.Exhausted = r.Bound == "" && r.Counterexample == nil && !r.Interrupted
	for _, inv := range checker.Invariants {
		r.Invariants = append(r.Invariants, *x.findings[inv.Name])
		delete(x.findings, inv.Name)
	}
	for _, name := range slicesSortedKeys(x.findings) {
		r.Invariants = append(r.Invariants, *x.findings[name])
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
		if x.e.seen&(1<<k) != 0 {
			r.Events = append(r.Events, model.EventKind(k).String())
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
