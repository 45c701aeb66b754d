package sweep

import (
	"fmt"
	"slices"
	"strings"

	"github.com/delegsim/delegsim/checker"
	"github.com/delegsim/delegsim/internal/version"
	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

// Baseline is the policy extra RPCs are counted against. When a sweep's
// policies do not include it, it is run anyway at every point with the
// same trial seeds, but gets no rows of its own.
const Baseline = "no-write-deleg"

// Spec is what a sweep runs: a scenario, the policies, the grid and the
// number of trials.
type Spec struct {
	Scenario    string   // a built-in name or a .yaml path
	Profile     string   // "" = the scenario's (else model.DefaultProfile)
	Policies    []string // built-in policy names
	Sets        []string // --set overrides applied at every point
	Vary        []Vary   // the grid: the cartesian product, last Vary fastest
	Trials      int      // per point and policy
	Seed        uint64   // base seed; trial seeds are derived from it
	Consistency string   // stale-read check: "close-to-open", "linearizable" or "none"
}

// Default returns the built-in sweep, the bz219278 question: how often do
// the first and the second back-to-back lsattr fail as the one-way delay d
// on every packet between client and server (netem in the measurements;
// clients.c1.latency sets both the fore and the callback channel) goes
// from 0 to 200 ms, under every policy. The lsattr run at 1 s, after the
// client's create and close (four one-way trips, 800 ms at d = 200 ms)
// have finished; at the scenario's 100 ms they would run before the file
// exists once d passes ~25 ms.
func Default() Spec {
	return Spec{
		Scenario:    "bz219278",
		Policies:    model.PolicyNames(),
		Sets:        []string{"locals.l1.script.0.at=1s"},
		Vary:        []Vary{mustVary("clients.c1.latency=0ms:200ms:10ms")},
		Trials:      2000,
		Seed:        1,
		Consistency: checker.CloseToOpen.String(),
	}
}

func mustVary(s string) Vary {
	v, err := ParseVary(s)
	if err != nil {
		panic(err)
	}
	return v
}

// ConsistencyNone turns the stale-read check off.
const ConsistencyNone = "none"

// Plan is a validated sweep: every grid point's scenario built and every
// policy resolved, ready to run.
type Plan struct {
	Meta   Meta
	points []*point
	pols   []string // Meta.Policies, plus the hidden baseline if missing
	init   map[string]checker.Value
	cons   checker.Consistency
	check  bool
}

// point is one grid point's scenario, resolved once per policy.
type point struct {
	index    int
	x        []float64
	sc       *scenarios.Scenario
	resolved []scenarios.Resolved // per Plan.pols
}

// NewPlan validates spec and builds every grid point. Errors wrap
// ErrInvalid (a bad grid, trials, policies) or scenarios.ErrInvalid (a
// bad scenario, a --set or --vary path the scenario does not have).
func NewPlan(spec Spec) (*Plan, error) {
	if spec.Trials < 1 {
		return nil, invalidf("--trials must be >= 1, got %d", spec.Trials)
	}
	pols, err := checkPolicies(spec.Policies)
	if err != nil {
		return nil, err
	}
	if err := checkPaths(spec); err != nil {
		return nil, err
	}
	cons := spec.Consistency
	if cons == "" {
		cons = checker.CloseToOpen.String()
	}
	p := &Plan{pols: pols, check: cons != ConsistencyNone}
	if p.check {
		if p.cons, err = checker.ParseConsistency(cons); err != nil {
			return nil, invalidf("--consistency: %v, or %s", err, ConsistencyNone)
		}
	}
	n := 1
	for _, v := range spec.Vary {
		n *= len(v.Values)
		if n > maxPoints {
			return nil, invalidf("the grid has more than %d points", maxPoints)
		}
	}
	src, err := scenarios.Open(spec.Scenario)
	if err != nil {
		return nil, err
	}
	for i := range n {
		pt, err := buildPoint(src, spec, i, pols)
		if err != nil {
			return nil, err
		}
		p.points = append(p.points, pt)
	}
	sc := p.points[0].sc
	p.Meta = Meta{
		Version: version.String(), Format: FormatVersion, Scenario: spec.Scenario, Name: sc.Name(),
		Profile: p.points[0].resolved[0].Profile.Name, Policies: slices.Clone(spec.Policies),
		Baseline: Baseline, Sets: append([]string{}, spec.Sets...), Trials: spec.Trials, Seed: spec.Seed,
		Consistency: cons, Points: n, Shard: Whole, Complete: true,
		Vary: []string{},
	}
	for _, v := range spec.Vary {
		p.Meta.Vary = append(p.Meta.Vary, v.String())
	}
	p.Meta.vary = slices.Clone(spec.Vary)
	p.Meta.Ops = append([]OpMeta{}, localOps(sc)...)
	p.init = map[string]checker.Value{}
	for _, f := range sc.Spec.Files {
		p.init[f.Name] = checker.Value{Size: f.Size}
	}
	return p, nil
}

func checkPolicies(names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, invalidf("--policies is empty (built-ins: %s)", strings.Join(model.PolicyNames(), ", "))
	}
	seen := map[string]bool{}
	for _, n := range names {
		if _, err := model.LookupPolicy(n, model.PolicyOptions{}); err != nil {
			return nil, invalidf("--policies: %v", err)
		}
		if seen[n] {
			return nil, invalidf("--policies: %q given twice", n)
		}
		seen[n] = true
	}
	pols := slices.Clone(names)
	if !seen[Baseline] {
		pols = append(pols, Baseline)
	}
	return pols, nil
}

func checkPaths(spec Spec) error {
	seen := map[string]string{}
	for _, s := range spec.Sets {
		path, _, _ := strings.Cut(s, "=")
		seen[path] = "--set"
	}
	for _, v := range spec.Vary {
		if by, ok := seen[v.Path]; ok {
			return invalidf("--vary %s: %s is already given by %s", v, v.Path, by)
		}
		seen[v.Path] = "another --vary"
	}
	return nil
}

// buildPoint applies the sets and point i's values to a clone of the
// source and resolves every policy.
func buildPoint(src *scenarios.Source, spec Spec, i int, pols []string) (*point, error) {
	s := src.Clone()
	for _, a := range spec.Sets {
		if err := s.Set(a); err != nil {
			return nil, err
		}
	}
	pt := &point{index: i, x: make([]float64, len(spec.Vary))}
	rest := i
	for k := len(spec.Vary) - 1; k >= 0; k-- {
		v := spec.Vary[k]
		j := rest % len(v.Values)
		rest /= len(v.Values)
		pt.x[k] = v.Values[j]
		if err := s.Set(v.Set(j)); err != nil {
			return nil, err
		}
	}
	sc, err := s.Scenario()
	if err != nil {
		return nil, fmt.Errorf("grid point %s: %w", pointName(spec.Vary, pt.x), err)
	}
	pt.sc = sc
	for _, name := range pols {
		r, err := sc.Resolve(scenarios.Options{Profile: spec.Profile, Policy: name})
		if err != nil {
			return nil, err
		}
		pt.resolved = append(pt.resolved, r)
	}
	return pt, nil
}

func pointName(vs []Vary, x []float64) string {
	if len(vs) == 0 {
		return "(the only point)"
	}
	var parts []string
	for k, v := range vs {
		parts = append(parts, fmt.Sprintf("%s=%g%s", v.Path, x[k], v.Unit))
	}
	return strings.Join(parts, " ")
}

// localOps lists the server-local operations of the scenario, by name, in
// script order: the operations whose failure and latency a sweep reports.
func localOps(sc *scenarios.Scenario) []OpMeta {
	var ops []OpMeta
	for _, l := range sc.Spec.Locals {
		for j, st := range l.Script {
			ops = append(ops, OpMeta{Name: fmt.Sprintf("%s#%d", l.Name, j+1), Kind: st.Op})
		}
	}
	return ops
}

// Points returns the number of grid points.
func (p *Plan) Points() int { return len(p.points) }

// TrialsPerPoint is the number of simulations run at each point: the
// trials of every policy, the hidden baseline included.
func (p *Plan) TrialsPerPoint() int { return len(p.pols) * p.Meta.Trials }
