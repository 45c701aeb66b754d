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
	// Variants are rows beyond Policies, each with its own overrides and
	// policy: a fix that changes the workload or the configuration (an
	// application retry, an NFSv4.0 mount), or a policy given as a value
	// (a policy file). They come after the Policies' rows.
	Variants []Variant
}

// Variant is a row of a sweep that runs the scenario with more overrides
// or a policy value.
type Variant struct {
	Name string   // the row's name; unique among the sweep's rows
	Sets []string // applied after Spec.Sets, before the point's --vary values
	// Policy names a built-in policy ("" = kernel); Value, if set, is used
	// instead.
	Policy string
	Value  model.Policy
}

// VariantMeta records a variant in sweep.json.
type VariantMeta struct {
	Name   string   `json:"name"`
	Sets   []string `json:"sets"`
	Policy string   `json:"policy"`
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

// point is one grid point's scenario, resolved once per row.
type point struct {
	index    int
	x        []float64
	sc       *scenarios.Scenario   // the scenario with Spec.Sets and the point's values
	rows     []*scenarios.Scenario // per Plan.pols: sc, or a variant's own
	resolved []scenarios.Resolved  // per Plan.pols
}

// NewPlan validates spec and builds every grid point. Errors wrap
// ErrInvalid (a bad grid, trials, policies) or scenarios.ErrInvalid (a
// bad scenario, a --set or --vary path the scenario does not have).
func NewPlan(spec Spec) (*Plan, error) {
	if spec.Trials < 1 {
		return nil, invalidf("--trials must be >= 1, got %d", spec.Trials)
	}
	pols, err := checkPolicies(spec.Policies, spec.Variants)
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
		Profile: p.points[0].resolved[0].Profile.Name, Policies: rowNames(spec),
		Baseline: Baseline, Sets: append([]string{}, spec.Sets...), Trials: spec.Trials, Seed: spec.Seed,
		Consistency: cons, Points: n, Shard: Whole, Complete: true,
		Vary: []string{},
	}
	for _, v := range spec.Vary {
		p.Meta.Vary = append(p.Meta.Vary, v.String())
	}
	for _, v := range spec.Variants {
		pol := v.Policy
		if v.Value != nil {
			pol = v.Value.Name()
		}
		p.Meta.Variants = append(p.Meta.Variants, VariantMeta{Name: v.Name, Sets: append([]string{}, v.Sets...), Policy: pol})
	}
	p.Meta.vary = slices.Clone(spec.Vary)
	p.Meta.Ops = append([]OpMeta{}, localOps(sc)...)
	p.init = map[string]checker.Value{}
	for _, f := range sc.Spec.Files {
		p.init[f.Name] = checker.Value{Size: f.Size}
	}
	return p, nil
}

func checkPolicies(names []string, variants []Variant) ([]string, error) {
	if len(names)+len(variants) == 0 {
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
	for _, v := range variants {
		if v.Name == "" || v.Name == Baseline && !seen[Baseline] {
			return nil, invalidf("a variant needs a name other than %q", Baseline)
		}
		if seen[v.Name] {
			return nil, invalidf("two rows named %q", v.Name)
		}
		seen[v.Name] = true
		if v.Value == nil && v.Policy != "" {
			if _, err := model.LookupPolicy(v.Policy, model.PolicyOptions{}); err != nil {
				return nil, invalidf("variant %s: %v", v.Name, err)
			}
		}
	}
	pols := slices.Clone(names)
	for _, v := range variants {
		pols = append(pols, v.Name)
	}
	if !seen[Baseline] {
		pols = append(pols, Baseline)
	}
	return pols, nil
}

// rowNames lists the rows of a sweep: its policies, then its variants.
func rowNames(spec Spec) []string {
	names := slices.Clone(spec.Policies)
	for _, v := range spec.Variants {
		names = append(names, v.Name)
	}
	if names == nil {
		names = []string{}
	}
	return names
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
	for _, va := range spec.Variants {
		for _, s := range va.Sets {
			path, _, _ := strings.Cut(s, "=")
			if by := seen[path]; by == "another --vary" {
				return invalidf("%s sets %s, which the grid varies", va.Name, path)
			}
		}
	}
	return nil
}

// buildPoint applies the sets and point i's values to a clone of the
// source and resolves every row: policies on that scenario, variants on
// their own, with their overrides applied before the point's values.
func buildPoint(src *scenarios.Source, spec Spec, i int, pols []string) (*point, error) {
	pt := &point{index: i, x: make([]float64, len(spec.Vary))}
	build := func(extra []string) (*scenarios.Scenario, error) {
		s := src.Clone()
		for _, a := range append(slices.Clone(spec.Sets), extra...) {
			if err := s.Set(a); err != nil {
				return nil, err
			}
		}
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
		return sc, nil
	}
	sc, err := build(nil)
	if err != nil {
		return nil, err
	}
	pt.sc = sc
	variants := map[string]Variant{}
	for _, v := range spec.Variants {
		variants[v.Name] = v
	}
	for _, name := range pols {
		o := scenarios.Options{Profile: spec.Profile, Policy: name}
		row := sc
		if v, ok := variants[name]; ok {
			o.Policy, o.PolicyValue = firstNonEmpty(v.Policy, "kernel"), v.Value
			if len(v.Sets) > 0 {
				if row, err = build(v.Sets); err != nil {
					return nil, fmt.Errorf("%s: %w", v.Name, err)
				}
				if !slices.Equal(localOps(row), localOps(sc)) {
					return nil, invalidf("%s changes the scenario's local operations: its rows could not share columns", v.Name)
				}
			}
		}
		r, err := row.Resolve(o)
		if err != nil {
			return nil, err
		}
		pt.rows = append(pt.rows, row)
		pt.resolved = append(pt.resolved, r)
	}
	return pt, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
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
