package report

import (
	"bytes"
	"fmt"
	"io"
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
