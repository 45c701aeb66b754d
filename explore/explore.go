package explore

import (
	"cmp"
	"fmt"
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
	// "max-depth"), if any.
	Bound string `json:"bound,omitempty"`

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
	d       delta // scratch successor
	visited hashSet
	rep     *Report
	start   time.Time

	consistency checker.Consistency
	checkHist   bool
	findings    map[string]*InvariantResult
	actorIndex  map[string]int
	histories   map[uint64]bool
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
	x := &explorer{m: m, o: o, e: newEngine(m), start: time.Now(),
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
	if x.visit(root) {
		if o.Strategy == DFS {
			x.dfs(root)
		} else {
			x.bfs(root)
		}
	}
	x.finish()
	return x.rep
}

// visit checks a new state's invariants and ends its run if it is
// finished. It reports whether the state is to be expanded.
func (x *explorer) visit(s *State) bool {
	for _, v := range checker.CheckState(s.now, x.e.actorsOf(s)) {
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
			x.counterexample(s, "invariant "+v.Invariant, v.String())
			return false
		}
	}
	if x.e.finished(s) {
		x.complete(s)
		return false
	}
	return true
}

func (x *explorer) bfs(root *State) {
	frontier := []*State{root}
	var steps []Step
	for len(frontier) > 0 && !x.stop {
		var next []*State
		for i, s := range frontier {
			frontier[i] = nil // let the layer go as it is expanded
			if x.stop {
				break
			}
			steps = x.e.enabled(s, steps[:0])
			if len(steps) == 0 {
				x.complete(s)
				continue
			}
			if int(s.depth) >= x.o.MaxDepth {
				x.rep.Bound = "max-depth"
				continue
			}
			for _, st := range steps {
				c := x.child(s, st)
				if c != nil && x.visit(c) {
					next = append(next, c)
				}
				if x.stop {
					break
				}
			}
		}
		frontier = next
	}
}

func (x *explorer) dfs(root *State) {
	type frame struct {
		s     *State
		steps []Step
		i     int
	}
	expand := func(s *State) (frame, bool) {
		steps := x.e.enabled(s, nil)
		if len(steps) == 0 {
			x.complete(s)
			return frame{}, false
		}
		if int(s.depth) >= x.o.MaxDepth {
			x.rep.Bound = "max-depth"
			return frame{}, false
		}
		return frame{s: s, steps: steps}, true
	}
	var stack []frame
	if f, ok := expand(root); ok {
		stack = append(stack, f)
	}
	for len(stack) > 0 && !x.stop {
		f := &stack[len(stack)-1]
		if f.i == len(f.steps) {
			stack[len(stack)-1] = frame{}
			stack = stack[:len(stack)-1]
			continue
		}
		st := f.steps[f.i]
		f.i++
		c := x.child(f.s, st)
		if c == nil || !x.visit(c) {
			continue
		}
		if g, ok := expand(c); ok {
			stack = append(stack, g)
		}
	}
}

// child applies st to s and returns the successor if it is new.
func (x *explorer) child(s *State, st Step) *State {
	x.e.apply(s, st, &x.d)
	x.rep.Generated++
	if !x.visited.add(x.d.hash) {
		return nil
	}
	c := x.e.materialize(s, &x.d)
	c.path = &pathNode{prev: s.path, step: st}
	x.rep.Distinct++
	x.rep.Depth = max(x.rep.Depth, int(c.depth))
	if x.o.Progress != nil && x.rep.Distinct%x.o.ProgressEvery == 0 {
		x.o.Progress(Progress{Generated: x.rep.Generated, Distinct: x.rep.Distinct, Depth: x.rep.Depth, Elapsed: time.Since(x.start)})
	}
	if x.rep.Distinct >= x.o.MaxStates {
		x.rep.Bound = "max-states"
		x.stop = true
	}
	return c
}

// complete records a state where the run ends: its history's outcomes
// and, once per distinct history, the consistency verdict.
func (x *explorer) complete(s *State) {
	x.rep.Terminal++
	if len(x.e.unfinished(s)) > 0 {
		x.rep.Unfinished++
	}
	h := x.e.historyHash(s)
	if _, seen := x.histories[h]; seen {
		return
	}
	ops := s.history()
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
				x.counterexample(s, res.Consistency.String(), detail)
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

func (x *explorer) counterexample(s *State, property, detail string) {
	var steps []Step
	for p := s.path; p != nil; p = p.prev {
		steps = append(steps, p.step)
	}
	slices.Reverse(steps)
	x.rep.Counterexample = &Counterexample{Property: property, Detail: detail, Depth: int(s.depth),
		Schedule: x.m.schedule(steps), Ops: s.history()}
	x.stop = true
}

func (x *explorer) finish() {
	r := x.rep
	r.Elapsed = time.Since(x.start)
	r.VisitedBytes = x.visited.bytes()
	r.Histories = len(x.histories)
	r.Exhausted = r.Bound == "" && r.Counterexample == nil
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
