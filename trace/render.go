package trace

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/delegsim/delegsim/explain"
)

// Explain turns the story into an explain.Story, so that explain's
// renderers draw the real trace exactly as they draw a simulated run: a
// lane per client, nfsd, the VFS lease layer and, if a local access was
// inferred, the server-local process; a row per event; an arrow per
// message seen on the wire (request and reply at the times the capture
// saw them, so they are drawn flat).
func (st *Story) Explain() *explain.Story {
	es := &explain.Story{Scenario: filepath.Base(st.File), End: st.End,
		Caption: fmt.Sprintf("%s   captured on the wire: %d clients, %d delegations, %d recalls", filepath.Base(st.File), len(st.Clients), len(st.Delegations), st.recalls())}
	lanes := map[string]int{}
	add := func(key, id, label string, k explain.LaneKind) {
		lanes[key] = len(es.Lanes)
		es.Lanes = append(es.Lanes, explain.Lane{ID: id, Label: label, Kind: k})
	}
	for i, c := range st.Clients {
		add(c.Name, fmt.Sprintf("C%d", i+1), fmt.Sprintf("%s NFS client %s", c.Name, c.Addr), explain.LaneNFSClient)
	}
	add("nfsd", "NFSD", "nfsd", explain.LaneNfsd)
	add("vfs", "VFS", "VFS lease", explain.LaneVFS)
	if len(st.LocalBreaks) > 0 {
		add("local", "L1", "server-local process (inferred)", explain.LaneLocal)
	}
	breaks := st.LocalBreaks
	for _, ev := range st.Events {
		// An inferred local access gets its own row just before the
		// recall it explains.
		for len(breaks) > 0 && breaks[0].Frame <= ev.Frame && ev.At >= breaks[0].Before {
			lb := breaks[0]
			breaks = breaks[1:]
			row := len(es.Steps)
			es.Steps = append(es.Steps, explain.Step{At: lb.Before, Actor: "local",
				What: fmt.Sprintf("a server-local process opens or changes %s (inferred: no NFS request conflicts with the delegation)", st.fileName(lb.File)),
				Why:  "__break_lease: the access conflicts with nfsd's lease; nfsd_break_deleg_cb queues the recall", Table: st.table(lb.Before)})
			es.Arrows = append(es.Arrows, explain.Arrow{Kind: explain.ArrowLease, From: lanes["local"], To: lanes["vfs"], Row: row, End: row, Label: "open (inferred)", Sent: lb.Before, Arrives: lb.Before},
				explain.Arrow{Kind: explain.ArrowLease, From: lanes["vfs"], To: lanes["nfsd"], Row: row, End: row, Label: "lm_break", Sent: lb.Before, Arrives: lb.Before})
		}
		row := len(es.Steps)
		what := ev.What
		if ev.Frame > 0 {
			what += fmt.Sprintf(" [frame %d]", ev.Frame)
		}
		es.Steps = append(es.Steps, explain.Step{At: ev.At, Actor: ev.Actor, What: what, Why: ev.Why, Table: st.table(ev.At)})
		from, okf := lanes[ev.From]
		to, okt := lanes[ev.To]
		if okf && okt {
			k := explain.ArrowRequest
			if ev.Reply {
				k = explain.ArrowReply
			}
			es.Arrows = append(es.Arrows, explain.Arrow{Kind: k, From: from, To: to, Row: row, End: row, Label: arrowLabel(ev.What), Sent: ev.At, Arrives: ev.At})
		}
	}
	for _, f := range st.Faults {
		lane, ok := lanes[st.clientName(f.Client)]
		if !ok {
			lane = lanes["nfsd"]
		}
		es.Notes = append(es.Notes, explain.Note{Lane: lane, Row: st.rowOf(es, f.At, f.Frame), Text: f.Kind})
	}
	for _, e := range st.Errors {
		es.Notes = append(es.Notes, explain.Note{Lane: lanes["nfsd"], Row: st.rowOf(es, e.At, e.Frame), Text: e.Status})
	}
	sortNotes(es.Notes)
	return es
}

func (st *Story) recalls() int {
	n := 0
	for _, d := range st.Delegations {
		n += d.Recalls
	}
	return n
}

func (st *Story) clientName(c int) string {
	if c >= 0 && c < len(st.Clients) {
		return st.Clients[c].Name
	}
	return "?"
}

func (st *Story) fileName(f int) string {
	if f >= 0 && f < len(st.Files) {
		return st.Files[f].Name
	}
	return "?"
}

// rowOf finds the row of the event at (at, frame).
func (st *Story) rowOf(es *explain.Story, at time.Duration, frame int) int {
	for i, s := range es.Steps {
		if s.At >= at {
			return i
		}
	}
	return max(0, len(es.Steps)-1)
}

func sortNotes(ns []explain.Note) {
	for i := 1; i < len(ns); i++ {
		for j := i; j > 0 && ns[j].Row < ns[j-1].Row; j-- {
			ns[j], ns[j-1] = ns[j-1], ns[j]
		}
	}
}

// arrowLabel shortens an event to a message label: the operation names
// in it ("OPEN f", "CB_RECALL").
func arrowLabel(what string) string {
	for _, w := range strings.Fields(what) {
		w = strings.Trim(w, "(),:")
		if len(w) > 2 && strings.ToUpper(w) == w && strings.ContainsAny(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			return w
		}
	}
	return what
}

// table is the delegation table at time t: what nfsd held then.
func (st *Story) table(t time.Duration) explain.Table {
	var tb explain.Table
	for _, d := range st.Delegations {
		if d.GrantedAt > t || (d.ReturnedAt != nil && *d.ReturnedAt <= t) || (d.RevokedAt != nil && *d.RevokedAt <= t) {
			continue
		}
		state := "granted"
		if d.RecallAt != nil && *d.RecallAt <= t {
			state = fmt.Sprintf("recalling since %.3f ms", ms(*d.RecallAt))
		}
		lease := "read"
		if strings.HasPrefix(d.Type, "WRITE") {
			lease = "write"
		}
		id := uint32(0)
		fmt.Sscanf(d.Stateid[16:], "%08x", &id)
		tb.Delegations = append(tb.Delegations, explain.DelegRow{Stateid: swap32(id), File: st.fileName(d.File),
			Holder: st.clientName(d.Client), Type: strings.ToLower(d.Type), Lease: lease, State: state})
	}
	return tb
}

// swap32 turns the hex of a little-endian so_id into its value.
func swap32(v uint32) uint32 { return v>>24 | (v>>8)&0xff00 | (v<<8)&0xff0000 | v<<24 }

// WriteText writes the narrated timeline in explain's style (one line per
// event: time, actor, what happened — the rule behind it), then each
// delegation with its fate and figures, the clients' timing figures, and
// the warnings.
func (st *Story) WriteText(w io.Writer) error {
	var b strings.Builder
	if err := st.Explain().WriteText(&b); err != nil {
		return err
	}
	b.WriteString("\ndelegations:\n")
	if len(st.Delegations) == 0 {
		b.WriteString("  none granted in the capture\n")
	}
	for _, d := range st.Delegations {
		fmt.Fprintf(&b, "  %s %s on %s (stateid %s): granted %s", st.clientName(d.Client), d.Type, st.fileName(d.File), d.Stateid, fmtMsPtr(&d.GrantedAt))
		if d.RecallAt != nil {
			fmt.Fprintf(&b, ", recalled %s (%d CB_RECALL)", fmtMsPtr(d.RecallAt), d.Recalls)
		}
		if d.ReturnedAt != nil {
			fmt.Fprintf(&b, ", returned %s", fmtMsPtr(d.ReturnedAt))
		}
		if d.RevokedAt != nil {
			fmt.Fprintf(&b, ", revoked %s", fmtMsPtr(d.RevokedAt))
		}
		fmt.Fprintf(&b, "; %s\n", d.Cause)
		if d.RecallLatency != nil || d.Reaction != nil {
			fmt.Fprintf(&b, "    recall latency %s, client reaction %s, DELEGRETURN answered in %s\n",
				fmtDurPtr(d.RecallLatency), fmtDurPtr(d.Reaction), fmtDurPtr(d.ReturnReply))
		}
	}
	if len(st.LocalBreaks) > 0 {
		b.WriteString("\nserver-local accesses (inferred):\n")
		for _, lb := range st.LocalBreaks {
			fmt.Fprintf(&b, "  %s: a local process (or a client not in the capture) broke the lease between %s and %s (CB_RECALL, frame %d)\n",
				st.fileName(lb.File), fmtMsPtr(&lb.After), fmtMsPtr(&lb.Before), lb.Frame)
		}
	}
	b.WriteString("\nfigures:\n")
	for _, cf := range st.Figures.Clients {
		fmt.Fprintf(&b, "  %s: handshake RTT %s, RPC call→reply min %s median %s over %d replies\n", st.clientName(cf.Client),
			fmtDurPtr(cf.HandshakeRTT), fmtDurPtr(cf.ReplyMin), fmtDurPtr(cf.ReplyMedian), cf.Replies)
	}
	if len(st.Warnings) > 0 {
		b.WriteString("\nwarnings:\n")
		for _, wn := range st.Warnings {
			fmt.Fprintf(&b, "  %s\n", wn)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func fmtMsPtr(d *time.Duration) string {
	if d == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f ms", ms(*d))
}

func fmtDurPtr(d *time.Duration) string {
	if d == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f ms", ms(*d))
}

// WriteMermaid writes the Mermaid sequence diagram explain draws.
func (st *Story) WriteMermaid(w io.Writer) error { return st.Explain().WriteMermaid(w) }

// WriteHTML writes the self-contained page explain draws.
func (st *Story) WriteHTML(w io.Writer) error { return st.Explain().WriteHTML(w) }
