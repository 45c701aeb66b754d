package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Columns returns the outcome table's headings and cells, shared by the
// text, Markdown and HTML renderings.
func (t *Table) Columns() ([]string, [][]string) {
	head := []string{"fix", "kind", t.AccessKind + " fails", "any local fails", "local p50", "local p99",
		"stale (checker: c2o/lin)", "stale (exploration)", "client RPCs", "recalls", "delegations lost", "verdict"}
	if t.AccessKind == "" {
		head[2] = "local access fails"
	}
	var rows [][]string
	for _, r := range t.Rows {
		explore := "not run"
		if r.Explore != nil {
			explore = r.Explore.String()
		}
		rows = append(rows, []string{r.Name, string(r.Kind),
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

// BreaksColumns returns the "what each fix breaks" table's headings and
// cells.
func (t *Table) BreaksColumns() ([]string, [][]string) {
	head := []string{"fix", "needs", "origin", "changes documented behaviour", "ties up an nfsd thread",
		"client cost", "stale reads / lost writes", "notes"}
	var rows [][]string
	for _, r := range t.Rows {
		rows = append(rows, []string{r.Name, r.Needs, r.Origin, r.Changes, r.NfsdThread, r.ClientCost, r.Safety, r.Notes})
	}
	return head, rows
}

// Title says what the table is about.
func (t *Table) Title() string {
	s := fmt.Sprintf("%s on %s: %d runs per fix, seeds %d–%d", t.Scenario, t.Profile, t.Trials, t.Seed, t.Seed+uint64(t.Trials)-1)
	if t.Access != "" {
		s += fmt.Sprintf("; the local access is %s (%s)", t.Access, t.AccessKind)
	}
	return s
}

// SkippedText lists the default fixes that do not apply, or "".
func (t *Table) SkippedText() string {
	var parts []string
	for _, s := range t.Skipped {
		parts = append(parts, fmt.Sprintf("%s (%s)", s.Fix, s.Why))
	}
	if len(parts) == 0 {
		return ""
	}
	return "not applicable here: " + strings.Join(parts, "; ")
}

// WriteText writes the tables for a terminal: the outcomes, then what
// each fix breaks, one fix per paragraph.
func (t *Table) WriteText(w io.Writer) error {
	var b strings.Builder
	b.WriteString(t.Title() + "\n\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	head, rows := t.Columns()
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	if s := t.SkippedText(); s != "" {
		b.WriteString("\n" + s + "\n")
	}
	b.WriteString("\nwhat each fix breaks:\n")
	head, rows = t.BreaksColumns()
	for _, r := range rows {
		fmt.Fprintf(&b, "  %s\n", r[0])
		for i := 1; i < len(head); i++ {
			if r[i] != "" {
				fmt.Fprintf(&b, "    %-28s %s\n", head[i]+":", r[i])
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the tables as GitHub Markdown.
func (t *Table) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", t.Title())
	head, rows := t.Columns()
	markdownTable(&b, head, rows)
	if s := t.SkippedText(); s != "" {
		b.WriteString("\n" + s + "\n")
	}
	b.WriteString("\nWhat each fix breaks:\n\n")
	head, rows = t.BreaksColumns()
	markdownTable(&b, head, rows)
	_, err := io.WriteString(w, b.String())
	return err
}

func markdownTable(b *strings.Builder, head []string, rows [][]string) {
	b.WriteString("| " + strings.Join(head, " | ") + " |\n")
	b.WriteString("|" + strings.Repeat(" --- |", len(head)) + "\n")
	for _, r := range rows {
		cells := make([]string, len(r))
		for i := range r {
			cells[i] = strings.ReplaceAll(r[i], "|", `\|`)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
}

// WriteJSON writes tables as one JSON array.
func WriteJSON(w io.Writer, tables []*Table) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(tables)
}
