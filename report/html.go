package report

import (
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/delegsim/delegsim/compare"
)

//go:embed page.html
var pageSource string

var page = template.Must(template.New("page").Parse(pageSource))

type tableView struct {
	Title, Skipped, Command string
	Head, BHead             []string
	Rows, BRows             [][]string
	Classes                 []string // per row: base, good (fixes the access), bad (unsafe) or ""
}

type figureView struct {
	Name, Title string
	Data        template.URL
}

type ceView struct {
	Counterexample
	How, ExplainHint string
	Diagram          template.HTML // explain's own SVG, trusted
}

type pageView struct {
	Title, Version, Profile, Seeds, Command, Question string
	Scenario, Description, YAML, SweepText            string
	Trials                                            int
	FirstSeed                                         uint64
	Main                                              tableView
	Safety                                            []tableView
	Figures                                           []figureView
	Counterexamples                                   []ceView
	Commands                                          []Command
}

func (r *Report) tableView(t *compare.Table, cmd string) tableView {
	v := tableView{Title: t.Title(), Skipped: t.SkippedText(), Command: cmd}
	v.Head, v.Rows = t.Columns()
	v.BHead, v.BRows = t.BreaksColumns()
	base := baseRow(t)
	for _, row := range t.Rows {
		c := ""
		switch {
		case row.Name == base.Name:
			c = "base"
		case worse(row, base):
			c = "bad"
		case row.Fail < base.Fail && row.Fail == 0:
			c = "good"
		}
		v.Classes = append(v.Classes, c)
	}
	return v
}

// worse reports whether a row is less safe than the baseline: more runs
// with stale reads, lost writes or broken invariants, or a property the
// exhaustive search breaks where the baseline's holds.
func worse(row, base compare.Row) bool {
	return row.StaleCTO > base.StaleCTO || row.LostWrites > base.LostWrites || row.Broken > base.Broken ||
		row.Explore != nil && row.Explore.Unsafe() && (base.Explore == nil || !base.Explore.Unsafe())
}

// Title is the report's heading.
func (r *Report) Title() string { return "Which fix for " + r.Main.Scenario + "?" }

// sweepText describes the sweep behind the figures.
func (r *Report) sweepText() string {
	if r.Sweep == nil {
		return ""
	}
	m := r.Sweep.Meta
	s := fmt.Sprintf("A sweep of %s over %s, %d trials per point and fix (seeds derived from base seed %d, the point and the trial)",
		m.Name, strings.Join(m.Vary, " "), m.Trials, m.Seed)
	if len(m.Sets) > 0 {
		s += ", with " + strings.Join(m.Sets, " ")
	}
	return s + ". Shaded bands are 95% Wilson intervals."
}

func (c Counterexample) how() string {
	if c.Seed != 0 {
		return fmt.Sprintf("No schedule breaking a property within the search bounds; drawn instead, the first of the table's runs "+
			"that broke one: seed %d.", c.Seed)
	}
	if c.Shortest {
		return fmt.Sprintf("The shortest schedule breaking %s: %d steps, found breadth first within %d states. "+
			"Hover or click a row of the diagram to see nfsd's delegation table at that step.", c.Property, c.Depth, c.MaxStates)
	}
	return fmt.Sprintf("A schedule breaking %s in %d steps, found depth first within %d states (the breadth-first search "+
		"for the shortest ran out of its bound, so a shorter one may exist).", c.Property, c.Depth, c.MaxStates)
}

// WriteHTML writes the report as one self-contained page: figures are
// embedded as data: URLs, sequence diagrams as inline SVG (each row's
// title says what happened and why), and a Content-Security-Policy
// forbids every fetch.
func (r *Report) WriteHTML(w io.Writer) error {
	t := r.Main
	p := pageView{Title: r.Title(), Version: r.Options.Version, Profile: t.Profile, Question: r.Question,
		Seeds: fmt.Sprintf("%d–%d", t.Seed, t.Seed+uint64(t.Trials)-1), Command: r.reportCommand(),
		Scenario: r.Scenario.Name(), Description: r.Scenario.Spec.Description, YAML: r.YAML,
		Trials: t.Trials, FirstSeed: t.Seed, SweepText: r.sweepText(), Commands: r.Commands}
	p.Main = r.tableView(t, r.compareCommand(r.Options.Scenario, r.Options.Sets, t))
	for i, st := range r.Safety {
		p.Safety = append(p.Safety, r.tableView(st, r.compareCommand(r.Options.Safety[i], nil, st)))
	}
	for _, f := range r.Figures {
		p.Figures = append(p.Figures, figureView{Name: f.Name, Title: f.Title,
			Data: template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(f.SVG))})
	}
	for _, c := range r.Counterexamples {
		p.Counterexamples = append(p.Counterexamples, ceView{Counterexample: c, How: c.how(), Diagram: template.HTML(c.SVG),
			ExplainHint: r.explainHint(c)})
	}
	var b strings.Builder
	if err := page.Execute(&b, p); err != nil {
		return fmt.Errorf("report html: %w", err)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// explainHint is the command that opens c in explain's interactive page.
func (r *Report) explainHint(c Counterexample) string {
	if c.Schedule != "" {
		return r.explainCommand(c)
	}
	return r.explainRunCommand(c) + " --out diagram.html"
}
