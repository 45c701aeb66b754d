package runcheck

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/delegsim/delegsim/checker"
)

// aggregate fills the report's properties from the runs, in run order.
func (rep *Report) aggregate(results []runResult) {
	for _, inv := range checker.Invariants {
		rep.Properties = append(rep.Properties, Property{Name: inv.Name, Kind: KindInvariant, Finding: inv.Finding, Note: inv.Note})
	}
	rep.Properties = append(rep.Properties, Property{Name: checker.LostWrite, Kind: KindHistory})
	for _, c := range rep.opts.Consistency {
		rep.Properties = append(rep.Properties, Property{Name: c.String(), Kind: KindConsistency})
	}
	for i := range rep.Properties {
		p := &rep.Properties[i]
		for _, rr := range results {
			acc, failed := rr.failed[p.Name]
			if !failed {
				continue
			}
			if p.Kind == KindConsistency && rr.verdict[consistencyOf(p.Name)] == checker.Unknown {
				p.Unknown++
			} else {
				p.Violations++
			}
			if p.ExampleSeed == nil {
				seed := rr.seed
				p.ExampleSeed, p.Example = &seed, acc
			}
		}
		p.OK = p.Violations == 0 && p.Unknown == 0
		if p.OK || !p.Finding {
			p.Note = ""
		}
	}

	// The visualisation shows the first run that violates a reported
	// consistency model, else the first run.
	rep.html = htmlRun{seed: rep.Seed, c: rep.opts.Consistency[0]}
	for _, c := range rep.opts.Consistency {
		if p, _ := rep.Property(c.String()); p.ExampleSeed != nil {
			rep.html = htmlRun{seed: *p.ExampleSeed, c: c}
			break
		}
	}

	lin, cto := 0, 0
	why, whySeed := causeUnknown, uint64(0)
	for _, rr := range results {
		if rr.verdict[checker.Linearizable] == checker.Violation {
			if lin == 0 {
				why, whySeed = rr.cause, rr.seed
			}
			lin++
		}
		if rr.verdict[checker.CloseToOpen] != checker.Ok {
			cto++
		}
	}
	if _, reported := rep.Property(checker.Linearizable.String()); reported && lin > 0 && cto == 0 {
		note := fmt.Sprintf("linearizable fails in %d of %d runs, but close-to-open holds in every run: "+
			"each stale read saw data its writer had not yet made due by close(2) or fsync(2). "+
			"NFS promises only close-to-open consistency (the cto mount option, nfs(5); RFC 8881 §10.3)", lin, len(results))
		if why != causeUnknown {
			note += fmt.Sprintf("; in seed %d, %s", whySeed, causeText[why])
		}
		rep.Notes = append(rep.Notes, note+".")
	}
}

func consistencyOf(name string) checker.Consistency {
	c, _ := checker.ParseConsistency(name)
	return c
}

// WriteText prints the report for people: one line per property with its
// verdict and counts; for each failed property the first failing run's
// seed, a short account, and the command that replays it (replay returns
// it for a seed; nil prints none); then notes and the overall verdict.
func (rep *Report) WriteText(w io.Writer, replay func(seed uint64) string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "check %s   profile %s   policy %s   %d runs, seeds %d..%d\n\n",
		rep.Scenario, rep.Profile, rep.Policy, rep.Runs, rep.Seed, rep.Seed+uint64(rep.Runs)-1)
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	for _, p := range rep.Properties {
		mark := "ok"
		switch {
		case p.OK:
		case p.Finding:
			mark = "FINDING"
		case p.Violations == 0:
			mark = "UNKNOWN"
		default:
			mark = "VIOLATED"
		}
		counts := fmt.Sprintf("%d of %d runs", p.Violations, rep.Runs)
		if p.Unknown > 0 {
			counts += fmt.Sprintf(", %d unknown", p.Unknown)
		}
		first := ""
		if p.ExampleSeed != nil {
			first = fmt.Sprintf("first at seed %d", *p.ExampleSeed)
		}
		fmt.Fprintf(tw, "  %-8s  %s\t%s\t%s\n", mark, p.Name, counts, first)
	}
	tw.Flush()
	for _, l := range strings.Split(strings.TrimSuffix(table.String(), "\n"), "\n") {
		b.WriteString(strings.TrimRight(l, " ") + "\n")
	}
	for _, p := range rep.Properties {
		if p.OK {
			continue
		}
		fmt.Fprintf(&b, "\n%s (seed %d):\n", p.Name, *p.ExampleSeed)
		for _, l := range p.Example {
			fmt.Fprintf(&b, "  %s\n", l)
		}
		if p.Note != "" {
			fmt.Fprintf(&b, "  finding, not a failure: %s\n", p.Note)
		}
		if replay != nil {
			fmt.Fprintf(&b, "  replay: %s\n", replay(*p.ExampleSeed))
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(&b, "\nnote: %s\n", n)
	}
	var bad, findings []string
	for _, p := range rep.Properties {
		switch {
		case p.OK:
		case p.Finding:
			findings = append(findings, p.Name)
		default:
			bad = append(bad, p.Name)
		}
	}
	b.WriteString("\nverdict: ")
	if len(bad) > 0 {
		fmt.Fprintf(&b, "VIOLATED (%s)", strings.Join(bad, ", "))
	} else {
		b.WriteString("ok")
	}
	if len(findings) > 0 {
		fmt.Fprintf(&b, "; findings: %s", strings.Join(findings, ", "))
	}
	if rep.Interrupted {
		fmt.Fprintf(&b, "; INTERRUPTED after %d of %d runs", rep.Runs, rep.Asked)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// HTMLSeed returns the seed and consistency model of the run WriteHTML
// shows: the first run that violates a reported consistency model, else
// the first run under the first reported model.
func (rep *Report) HTMLSeed() (uint64, checker.Consistency) { return rep.html.seed, rep.html.c }

// WriteHTML writes porcupine's visualisation of the run HTMLSeed names,
// replayed from its seed.
func (rep *Report) WriteHTML(w io.Writer) error {
	r, err := rep.sc.Resolve(rep.opts.Scenario)
	if err != nil {
		return err
	}
	_, lin := runOnce(rep.sc, r, rep.opts, rep.html.seed)
	return lin[rep.html.c].WriteHTML(w)
}
