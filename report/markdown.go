package report

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/delegsim/delegsim/internal/atomicfile"
	"github.com/delegsim/delegsim/sweep"
)

// File names in a report directory.
const (
	HTMLFile     = "report.html"
	MarkdownFile = "report.md"
	FiguresDir   = "figures"
	SweepDir     = "sweep" // the sweep's results.csv and sweep.json
)

// WriteMarkdown writes the report as GitHub Markdown for a bug comment or
// a mailing-list post: the figures are referenced as figures/NAME.png
// beside it, and each counterexample is a Mermaid diagram.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b bytes.Buffer
	t := r.Main
	fmt.Fprintf(&b, "# %s\n\n", r.Title())
	fmt.Fprintf(&b, "delegsim %s · kernel profile %s · %d runs per fix, seeds %d–%d\n\n", r.Options.Version, t.Profile,
		t.Trials, t.Seed, t.Seed+uint64(t.Trials)-1)
	fmt.Fprintf(&b, "## The question\n\n%s\n\n", r.Question)
	for _, row := range t.Rows {
		fmt.Fprintf(&b, "- **%s** (%s): %s\n", row.Name, row.Kind, row.Verdict)
	}
	fmt.Fprintf(&b, "\n## The scenario: %s\n\n%s\n\n<details><summary>the scenario file</summary>\n\n```yaml\n%s```\n\n</details>\n\n",
		r.Scenario.Name(), r.Scenario.Spec.Description, r.YAML)
	b.WriteString("## The decision table\n\n")
	if err := t.WriteMarkdown(&b); err != nil {
		return err
	}
	fmt.Fprintf(&b, "\nReproduce: `%s`\n", r.compareCommand(r.Options.Scenario, r.Options.Sets, t))
	if len(r.Figures) > 0 {
		fmt.Fprintf(&b, "\n## Failure and latency against the network delay\n\n%s\n\n", r.sweepText())
		for _, f := range r.Figures {
			fmt.Fprintf(&b, "![%s](%s/%s.png)\n\n", f.Title, FiguresDir, f.Name)
		}
	}
	if len(r.Safety) > 0 {
		b.WriteString("\n## Safety: where skipping a recall shows\n\n")
		for i, st := range r.Safety {
			if err := st.WriteMarkdown(&b); err != nil {
				return err
			}
			fmt.Fprintf(&b, "\nReproduce: `%s`\n\n", r.compareCommand(r.Options.Safety[i], nil, st))
		}
	}
	b.WriteString("\n## Counterexamples\n\n")
	if len(r.Counterexamples) == 0 {
		b.WriteString("No fix was found unsafe.\n")
	}
	for _, c := range r.Counterexamples {
		fmt.Fprintf(&b, "### %s on %s: %s\n\n", c.Fix, c.Scenario, c.Property)
		if c.Missing != "" {
			fmt.Fprintf(&b, "%s\n\n", c.Missing)
			continue
		}
		b.WriteString(c.how())
		if c.Schedule != "" {
			fmt.Fprintf(&b, " Schedule: [%s](%s).", c.File(), c.File())
		}
		fmt.Fprintf(&b, "\n\n```\n%s\n```\n\n<details><summary>sequence diagram</summary>\n\n```mermaid\n%s```\n\n</details>\n\n",
			c.Detail, c.Mermaid)
	}
	b.WriteString("## Reproduce every number\n\n```sh\n")
	for _, c := range r.Commands {
		fmt.Fprintf(&b, "# %s\n%s\n", c.What, c.Line)
	}
	b.WriteString("```\n")
	_, err := w.Write(b.Bytes())
	return err
}

// WriteDir writes report.html, report.md, the figures (PNG and SVG), the
// sweep's results and the counterexamples' schedules into dir, creating
// it, and returns the files written; each file is written atomically,
// report.html last.
func (r *Report) WriteDir(dir string) ([]string, error) {
	if err := os.MkdirAll(filepath.Join(dir, FiguresDir), 0o755); err != nil {
		return nil, fmt.Errorf("report directory: %w", err)
	}
	var files []string
	write := func(name string, data []byte) error {
		path := filepath.Join(dir, name)
		files = append(files, path)
		return atomicfile.WriteFile(path, data)
	}
	for _, f := range r.Figures {
		if err := write(filepath.Join(FiguresDir, f.Name+".png"), f.PNG); err != nil {
			return files, err
		}
		if err := write(filepath.Join(FiguresDir, f.Name+".svg"), f.SVG); err != nil {
			return files, err
		}
	}
	if r.Sweep != nil {
		if err := r.Sweep.WriteDir(filepath.Join(dir, SweepDir)); err != nil {
			return files, err
		}
		files = append(files, filepath.Join(dir, SweepDir, sweep.ResultsFile), filepath.Join(dir, SweepDir, sweep.MetaFile))
	}
	for _, c := range r.Counterexamples {
		if c.Schedule == "" {
			continue
		}
		if err := write(c.File(), []byte(c.Schedule)); err != nil {
			return files, err
		}
	}
	var md, page bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		return files, err
	}
	if err := write(MarkdownFile, md.Bytes()); err != nil {
		return files, err
	}
	if err := r.WriteHTML(&page); err != nil {
		return files, err
	}
	return files, write(HTMLFile, page.Bytes())
}
