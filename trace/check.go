package trace

import (
	"fmt"
	"time"

	"github.com/delegsim/delegsim/model"
)

// Divergence is one point where delegsim's server model answered a
// captured request differently from the real server.
type Divergence struct {
	Frame  int
	At     time.Duration
	Client string
	Op     string
	Real   string // what the real server did
	Model  string // what the model did
	Rule   string // the model rule involved
	// Limit, if set, says why the difference follows from what a
	// capture cannot show rather than from the model; such differences
	// are listed but do not fail the check.
	Limit string
}

func (d Divergence) String() string {
	s := fmt.Sprintf("frame %d (%.3f ms) %s %s: real server %s; model %s", d.Frame, ms(d.At), d.Client, d.Op, d.Real, d.Model)
	if d.Rule != "" {
		s += " [" + d.Rule + "]"
	}
	if d.Limit != "" {
		s += " (not counted: " + d.Limit + ")"
	}
	return s
}

// CheckResult is the conformance of a capture with one profile and policy.
type CheckResult struct {
	Profile     string
	Policy      string
	Divergences []Divergence
	Compared    int      // requests compared
	Skipped     []string // what could not be replayed, and why
	Injected    int      // server-local accesses injected
}

// Count returns the divergences that count (those not explained by a
// limit of the capture).
func (r *CheckResult) Count() int {
	n := 0
	for _, d := range r.Divergences {
		if d.Limit == "" {
			n++
		}
	}
	return n
}

// Check drives delegsim's server model (model.Server, through its Step
// API) with the requests the capture's clients sent, in captured order and
// at captured times, and compares every answer: the delegation granted or
// refused (its type, delegated timestamps included, and whether the OPEN
// kept an open stateid), each reply's status (NFS4ERR_DELAY where the
// model would or would not give it), the SEQUENCE status flags that
// signal a callback path down or faulty, and the callbacks sent.
// Callback replies are fed back to the model as the clients really gave
// them. Server-local accesses are not on the wire: each recall the story
// attributes to one is injected as a local open of the file (a read open
// against a write delegation, a write open against a read delegation),
// at the time of the CB_RECALL, or earlier when the capture shows that
// the first CB_RECALL went out unseen (see injectAt).
//
// Check reads c's exchanges; CheckCapture replays a capture as it
// streams.
func Check(c *Capture, st *Story, prof model.Profile, pol model.Policy) *CheckResult {
	r := newReplay(c, st, prof, pol)
	for i := range c.Exchanges {
		r.add(&c.Exchanges[i])
	}
	return r.finish()
}
