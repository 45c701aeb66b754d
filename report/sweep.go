package report

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/delegsim/delegsim/compare"
	"github.com/delegsim/delegsim/plots"
	"github.com/delegsim/delegsim/sweep"
)

// Figure is one figure of the sweep, in both formats.
type Figure struct {
	Name     string // "fail", "latency", ...
	Title    string
	SVG, PNG []byte
}

// figureTitles are the sweep's figures a report shows, in order, with
// what each shows.
var figureTitles = []struct{ name, title string }{
	{plots.Fail, "How often each local operation fails, against the one-way delay"},
	{plots.Latency, "How long each local operation takes (p50, p90, p99), against the one-way delay"},
	{plots.Stale, "How often a run reads stale data, against the one-way delay"},
	{plots.Cost, "What each fix costs the clients per run"},
}

// sweepSpec is the sweep behind the figures: the decision table's rows
// over the delay grid, with the sweep's defaults for the seed and the
// stale-read check.
func (r *Report) sweepSpec() (sweep.Spec, error) {
	o := r.Options
	spec := sweep.Default()
	spec.Scenario, spec.Profile, spec.Trials = o.Scenario, r.Main.Profile, o.SweepTrials
	spec.Policies, spec.Variants = nil, nil
	switch {
	case o.SweepSets != nil:
		spec.Sets = slices.Clone(o.SweepSets)
	case o.Scenario != sweep.Default().Scenario:
		spec.Sets = nil
	}
	spec.Sets = append(slices.Clone(o.Sets), spec.Sets...)
	vary := o.Vary
	if vary == "" {
		if len(r.Scenario.Spec.Clients) == 0 {
			return spec, fmt.Errorf("report: %s has no client whose delay to vary: give a grid", r.Scenario.Name())
		}
		vary = fmt.Sprintf("clients.%s.latency=%s", r.Scenario.Spec.Clients[0].Name, DefaultVaryRange)
	}
	v, err := sweep.ParseVary(vary)
	if err != nil {
		return spec, err
	}
	spec.Vary = []sweep.Vary{v}
	for _, row := range r.Main.Rows {
		compare.AddToSweep(&spec, row.Name, row.Variant)
	}
	return spec, nil
}

// sweep runs the sweep and draws its figures.
func (r *Report) sweep() error {
	spec, err := r.sweepSpec()
	if err != nil {
		return err
	}
	plan, err := sweep.NewPlan(spec)
	if err != nil {
		return fmt.Errorf("report sweep: %w", err)
	}
	o := &r.Options
	o.stage("sweep", "trials", 0)
	r.Sweep = plan.Run(o.ctx(), sweep.RunOptions{Workers: o.Workers, Progress: func(done, total int) {
		o.done("sweep", "trials", done, total)
	}})
	if err := o.stopped("the sweep"); err != nil {
		return err
	}
	// plots draws into a directory; the report keeps the bytes.
	dir, err := os.MkdirTemp("", "delegsim-report-figures-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if _, err := plots.WriteAll(dir, r.Sweep); err != nil {
		return fmt.Errorf("report figures: %w", err)
	}
	for _, ft := range figureTitles {
		svg, err := os.ReadFile(filepath.Join(dir, ft.name+".svg"))
		if err != nil {
			continue // not drawn for this sweep (stale without a check)
		}
		png, err := os.ReadFile(filepath.Join(dir, ft.name+".png"))
		if err != nil {
			return err
		}
		r.Figures = append(r.Figures, Figure{Name: ft.name, Title: ft.title, SVG: svg, PNG: png})
	}
	return nil
}

// sweepCommand is the `delegsim sweep` line that reproduces the sweep.
func (r *Report) sweepCommand(out string) string {
	spec, _ := r.sweepSpec()
	parts := []string{"delegsim", "sweep", quote(r.Options.Scenario)}
	for _, s := range spec.Sets {
		parts = append(parts, "--set", quote(s))
	}
	for _, v := range spec.Vary {
		parts = append(parts, "--vary", quote(v.String()))
	}
	parts = append(parts, "--fixes", quote(strings.Join(r.fixNames(r.Main), ",")))
	parts = append(parts, r.policyFileFlags()...)
	parts = append(parts, "--profile", r.Main.Profile, "--trials", fmt.Sprint(spec.Trials),
		"--seed", fmt.Sprint(spec.Seed), "--out", out)
	return strings.Join(parts, " ")
}
