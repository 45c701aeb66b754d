package trace

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/delegsim/delegsim/checker"
)

// Conformance is the result of --check: the story checked against one or
// more kernel profiles, and its history against the close-to-open model.
type Conformance struct {
	Auto    bool // every profile was tried
	Results []*CheckResult
	History checker.LinResult
}

// Agreeing lists the profiles with no counted divergence.
func (c *Conformance) Agreeing() []string {
	var out []string
	for _, r := range c.Results {
		if r.Count() == 0 {
			out = append(out, r.Profile)
		}
	}
	return out
}

// Failed reports whether the check fails: a divergence under the one
// profile asked for (under auto: no profile agrees), or a history that
// violates close-to-open consistency.
func (c *Conformance) Failed() bool {
	if c.History.Verdict == checker.Violation {
		return true
	}
	return len(c.Agreeing()) == 0
}

// CheckOptions choose the profiles and policy of CheckStory.
type CheckOptions struct {
	Profile string // a profile name, or "auto" (or "") for all of them
	Policy  string // a policy name, "" for kernel
	// HistoryTimeout bounds the linearizability search (0: 10 s).
	HistoryTimeout time.Duration
}

// CheckStory runs Check under the profiles o names and checks the
// history. Unknown names are errors naming the allowed values.
func CheckStory(c *Capture, st *Story, o CheckOptions) (*Conformance, error) {
	conf, profs, pol, err := o.resolve()
	if err != nil {
		return nil, err
	}
	for _, prof := range profs {
		conf.Results = append(conf.Results, Check(c, st, prof, pol))
	}
	conf.History = st.CheckHistory(o.historyTimeout())
	return conf, nil
}

// WriteText writes the conformance report: per profile the divergences
// (frame, what the real server did, what the model did, the rule), then
// the history check.
func (c *Conformance) WriteText(w io.Writer, file string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: delegsim's server model against the capture\n", file)
	if c.Auto {
		if a := c.Agreeing(); len(a) > 0 {
			fmt.Fprintf(&b, "profiles that agree with the capture: %s\n", strings.Join(a, ", "))
		} else {
			b.WriteString("no profile agrees with the capture\n")
		}
	}
	for _, r := range c.Results {
		fmt.Fprintf(&b, "\n%s (policy %s): %d divergences; %d requests compared, %d server-local accesses injected\n",
			r.Profile, r.Policy, r.Count(), r.Compared, r.Injected)
		for _, d := range r.Divergences {
			fmt.Fprintf(&b, "  %s\n", d)
		}
		for _, s := range r.Skipped {
			fmt.Fprintf(&b, "  not replayed: %s\n", s)
		}
	}
	fmt.Fprintf(&b, "\nhistory: %s\n", c.History)
	for _, s := range c.History.Account(10) {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Summary is one line per profile, for --profile auto: "linux-6.17: 0
// divergences; linux-6.12: frame 54 OPEN real ... model ...".
func (c *Conformance) Summary() []string {
	var out []string
	for _, r := range c.Results {
		s := fmt.Sprintf("%s: %d divergences", r.Profile, r.Count())
		for _, d := range r.Divergences {
			if d.Limit == "" {
				s += fmt.Sprintf("; frame %d %s: real %s, model %s", d.Frame, d.Op, d.Real, d.Model)
				break
			}
		}
		out = append(out, s)
	}
	return out
}
