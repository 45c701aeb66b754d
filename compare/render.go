package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// columns are the table's headings and cells, shared by the text and
// Markdown renderings.
func (t *Table) columns() ([]string, [][]string) {
	head := []string{"policy", t.AccessKind + " fails", "any local fails", "local p50", "local p99",
		"stale (checker: c2o/lin)", "stale (exploration)", "client RPCs", "recalls", "delegations lost", "verdict"}
	if t.AccessKind == "" {
		head[1] = "local access fails"
	}
	var rows [][]string
	for _, r := range t.Rows {
		explore := "not run"
		if r.Explore != nil {
			explore = r.Explore.String()
		}
		rows = append(rows, []string{r.Policy,
			fmt.Sprintf("%s [%s–%s]", pct(r.Fail), pct(r.FailLo), pct(r.FailHi)),
			pct(r.AnyFail),
			fmt.Sprintf("%.3f ms", r.P50Ms), fmt.Sprintf("%.3f ms", r.P99Ms),
			fmt.Sprintf("%d/%d runs", r.StaleCTO, r.StaleLin),
			explore,
			fmt.Sprintf("%.1f", r.ClientRPCs), fmt.Sprintf("%.2f", r.Recalls), fmt.Sprintf("%.2f", r.Lost),
			r.Verdict})
	}
	return head, rows
}

func (t *Table) title() string {
	s := fmt.Sprintf("%s on %s: %d runs per policy, seeds %d–%d", t.Scenario, t.Profile, t.Trials, t.Seed, t.Seed+uint64(t.Trials)-1)
	if t.Access != "" {
		s += fmt.Sprintf("; the local access is %s (%s)", t.Access, t.AccessKind)
	}
	return s
}

// WriteText writes the table for a terminal.
func (t *Table) WriteText(w io.Writer) error {
	var b strings.Builder
	b.WriteString(t.title() + "\n\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	head, rows := t.columns()
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the table as GitHub Markdown.
func (t *Table) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", t.title())
	head, rows := t.columns()
	b.WriteString("| " + strings.Join(head, " | ") + " |\n")
	b.WriteString("|" + strings.Repeat(" --- |", len(head)) + "\n")
	for _, r := range rows {
		for i := range r {
			r[i] = strings.ReplaceAll(r[i], "|", `\|`)
		}
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes tables as one JSON array.
func WriteJSON(w io.Writer, tables []*Table) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(tables)
}
