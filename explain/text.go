package explain

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes the narrated timeline: a header, then one line per
// step with its time, the actor that stepped, what happened and — after
// the dash — why, citing the kernel function or RFC section behind the
// rule; then what each application call returned.
func (st *Story) WriteText(w io.Writer) error {
	var b strings.Builder
	b.WriteString(st.heading() + "\n")
	if st.Description != "" {
		b.WriteString(wrap(st.Description, 100, ""))
	}
	b.WriteString("\n")
	for _, s := range st.Steps {
		fmt.Fprintf(&b, "%12s  %-7s %s", fmtMs(s.At), s.Actor, s.What)
		if s.Why != "" {
			fmt.Fprintf(&b, " — %s", s.Why)
		}
		b.WriteString("\n")
	}
	if st.Caption == "" || len(st.Ops) > 0 {
		b.WriteString("\noutcome:\n")
	}
	for _, op := range st.Ops {
		fmt.Fprintf(&b, "  %-10s %-10s %-6s %12s → %12s  %s\n", op.Name(), op.Kind, op.File, fmtMs(op.Start), fmtMs(op.End), opResult(op))
	}
	if len(st.Unfinished) > 0 {
		fmt.Fprintf(&b, "  still running at the end: %s\n", strings.Join(st.Unfinished, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// wrap breaks text into lines of at most width runes, each starting with
// indent.
func wrap(text string, width int, indent string) string {
	var b strings.Builder
	line := indent
	for _, word := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(word) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	if len(line) > len(indent) {
		b.WriteString(line + "\n")
	}
	return b.String()
}
