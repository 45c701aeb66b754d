package explain

import (
	"fmt"
	"io"
	"strings"
)

// WriteMermaid writes the run as a Mermaid sequence diagram, which GitHub
// renders inside a ```mermaid fence. Every arrow of the Story becomes one
// Mermaid message, in the order the arrows start; each message label
// begins with the time it was sent (and, for messages that take time, when
// it arrived). Notes mark failures, revocations and the like.
func (st *Story) WriteMermaid(w io.Writer) error {
	var b strings.Builder
	b.WriteString("sequenceDiagram\n")
	if st.Caption != "" {
		fmt.Fprintf(&b, "    %%%% %s\n", mermaidText(st.Caption))
	} else {
		fmt.Fprintf(&b, "    %%%% %s, profile %s, policy %s, seed %d\n", st.Scenario, st.Profile, st.Policy, st.Seed)
	}
	for _, l := range st.Lanes {
		fmt.Fprintf(&b, "    participant %s as %s\n", l.ID, mermaidText(l.Label))
	}
	notes := st.Notes
	for _, a := range st.Arrows {
		for len(notes) > 0 && notes[0].Row < a.Row {
			writeNote(&b, st, notes[0])
			notes = notes[1:]
		}
		label := fmtMs(a.Sent) + " " + a.Label
		if a.Kind == ArrowRequest || a.Kind == ArrowReply {
			if a.Arrives != a.Sent {
				label += ", arrives " + fmtMs(a.Arrives)
			}
		}
		fmt.Fprintf(&b, "    %s%s%s: %s\n", st.Lanes[a.From].ID, mermaidArrows[a.Kind], st.Lanes[a.To].ID, mermaidText(label))
	}
	for _, n := range notes {
		writeNote(&b, st, n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeNote(b *strings.Builder, st *Story, n Note) {
	fmt.Fprintf(b, "    Note over %s: %s\n", st.Lanes[n.Lane].ID, mermaidText(n.Text))
}

// mermaidArrows are the Mermaid arrow for each arrow kind: solid for
// requests and calls, dotted for replies and returns, a cross for a lost
// message, an open (async) head for the lease layer's calls into nfsd.
var mermaidArrows = [...]string{ArrowRequest: "->>", ArrowReply: "-->>", ArrowDropped: "-x",
	ArrowCall: "->>", ArrowReturn: "-->>", ArrowLease: "-)"}

// mermaidText escapes what Mermaid's sequence grammar does not allow in a
// message or a participant alias: '#' and ';' (written as entity codes)
// and line breaks.
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '#':
			b.WriteString("#35;")
		case ';':
			b.WriteString("#59;")
		case '\n', '\r':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
