package serve

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/delegsim/delegsim/explain"
	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

// Run names one run of a scenario, as a schedule's header does: the
// scenario, and the policy, profile and seed ("" for the scenario's
// own), the --set overrides and the explorer's delay bounds.
//
// The page explores the exact model, as `delegsim explore` does
// (explore.ModelOptions.MinDelay): no message arrives before the lower
// bounds of its delays allow, so every interleaving offered is one a run
// with the scenario's delays can have. ZeroMinDelay selects the coarser
// model instead, in which any message may arrive as soon as it is sent:
// the one a schedule without a min-delay line (`delegsim explore
// --zero-min-delay`) was recorded in, and that its steps need.
type Run struct {
	Scenario     string   `json:"scenario"`
	Policy       string   `json:"policy,omitempty"`
	Profile      string   `json:"profile,omitempty"`
	Seed         string   `json:"seed,omitempty"` // a string: JavaScript numbers lose a uint64's low bits
	Sets         []string `json:"sets,omitempty"`
	MaxDelay     string   `json:"max_delay,omitempty"` // e.g. "20ms"; "" for the scenario's own bounds
	ZeroMinDelay bool     `json:"zero_min_delay,omitempty"`
}

// Bounds on what one request may ask for.
const (
	// MaxSteps bounds the states one request expands: the path replayed,
	// the steps of a random walk, and the same path under a second
	// policy for a side-by-side view, together.
	MaxSteps = 5000
	// MaxWalk bounds one random walk.
	MaxWalk = 1000
	// MaxSets bounds the --set overrides of a run, MaxText the length of
	// any one string in a request.
	MaxSets = 16
	MaxText = 256
	// MaxBody bounds a request's body, in bytes.
	MaxBody = 256 << 10
	// linTimeout bounds the consistency check of one path's history; a
	// path's history is a few dozen operations, decided in microseconds.
	linTimeout = 2 * time.Second
)

// errBadRequest marks errors that are the request's fault (HTTP 400).
var errBadRequest = errors.New("bad request")

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadRequest, fmt.Sprintf(format, args...))
}

// check validates a run's fields before anything is built from them.
func (r Run) check() error {
	if len(r.Sets) > MaxSets {
		return badRequest("%d --set overrides, at most %d", len(r.Sets), MaxSets)
	}
	for _, s := range append([]string{r.Scenario, r.Policy, r.Profile, r.Seed, r.MaxDelay}, r.Sets...) {
		if len(s) > MaxText {
			return badRequest("a field of %d bytes, at most %d", len(s), MaxText)
		}
	}
	return nil
}

// options turns the run's policy, profile and seed into scenario options.
func (r Run) options() (scenarios.Options, explore.ModelOptions, error) {
	o := scenarios.Options{Policy: r.Policy, Profile: r.Profile}
	mo := explore.ModelOptions{MinDelay: !r.ZeroMinDelay}
	if r.Seed != "" {
		s, err := strconv.ParseUint(r.Seed, 10, 64)
		if err != nil {
			return o, mo, badRequest("seed %q is not a non-negative integer", r.Seed)
		}
		o.Seed, o.HasSeed = s, true
	}
	if r.MaxDelay != "" {
		d, err := time.ParseDuration(r.MaxDelay)
		if err != nil || d <= 0 {
			return o, mo, badRequest("max_delay %q is not a positive duration (e.g. 20ms)", r.MaxDelay)
		}
		mo.MaxDelay = d
	}
	return o, mo, nil
}

// built is a run prepared for exploration.
type built struct {
	run Run // resolved: policy, profile and seed filled in
	sc  *scenarios.Scenario
	r   scenarios.Resolved
	m   *explore.Model
}

// build loads the run's scenario (by name: a built-in, or the file the
// server was started with, never a path from the request) and prepares
// it for exploration.
func (s *Server) build(run Run) (*built, error) {
	if err := run.check(); err != nil {
		return nil, err
	}
	arg, ok := s.scenarioArg(run.Scenario)
	if !ok {
		return nil, badRequest("unknown scenario %q (allowed: %s)", run.Scenario, strings.Join(s.scenarioNames(), ", "))
	}
	o, mo, err := run.options()
	if err != nil {
		return nil, err
	}
	sc, err := scenarios.Load(arg, run.Sets)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadRequest, err)
	}
	m, r, err := explore.FromScenario(sc, o, mo)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadRequest, err)
	}
	m.Sets = run.Sets
	run.Policy, run.Profile, run.Seed = r.Policy.Name(), r.Profile.Name, strconv.FormatUint(r.Seed, 10)
	return &built{run: run, sc: sc, r: r, m: m}, nil
}

// walked is a path replayed on a cursor, with what the page needs to
// relate the explorer's steps to the story's rows and to the checks.
type walked struct {
	b      *built
	c      *explore.Cursor
	tables []explain.Table
	// recs[i] is the number of actor steps (story records) after path
	// step i; before the first step, start records the actors' InStart.
	start int
	recs  []int
	// broken[name] is the first path step (0-based) after which a
	// non-finding invariant failed; findings[name] likewise for findings.
	broken, findings map[string]int
	// diverged is set when the path stopped early: the step that was not
	// enabled and why.
	diverged *Divergence
}

// Divergence is where a path could not be followed: its step At (0-based)
// is not enabled in the state reached before it.
type Divergence struct {
	At      int      `json:"at"`
	Step    string   `json:"step"`
	Reason  string   `json:"reason"`
	Enabled []string `json:"enabled"`
}

// walk replays steps on a fresh cursor and stops, without failing, at the
// first step that is not enabled.
func (b *built) walk(steps []string) *walked {
	w := &walked{b: b, broken: map[string]int{}, findings: map[string]int{}}
	w.c = b.m.NewCursor(explore.CursorOptions{Observe: func(now model.Time, actors []model.Actor) {
		w.tables = append(w.tables, explain.Snapshot(now, actors, b.m.Names))
	}})
	w.start = len(w.tables)
	w.checkInvariants()
	for i, st := range steps {
		if err := w.c.TakeText(st); err != nil {
			w.diverge(i, st, err)
			break
		}
		w.stepped()
	}
	return w
}

// diverge records that step i could not be taken.
func (w *walked) diverge(i int, step string, err error) {
	d := &Divergence{At: i, Step: step, Reason: strings.TrimPrefix(err.Error(), "explore: "), Enabled: []string{}}
	for _, ch := range w.c.Choices() {
		d.Enabled = append(d.Enabled, ch.Text)
	}
	w.diverged = d
}

// stepped records what the step just taken did.
func (w *walked) stepped() {
	w.recs = append(w.recs, len(w.tables))
	w.checkInvariants()
}

// take takes choice i.
func (w *walked) take(i int) error {
	if err := w.c.Take(i); err != nil {
		return err
	}
	w.stepped()
	return nil
}

// checkInvariants checks the checker's invariants in the state reached
// and notes the first step at which each broke.
func (w *walked) checkInvariants() {
	for _, v := range checkState(w.c, w.b.m.Names) {
		seen := w.broken
		if v.Finding {
			seen = w.findings
		}
		if _, ok := seen[v.Invariant]; !ok {
			seen[v.Invariant] = w.c.Depth() - 1
		}
	}
}

// violated reports whether a non-finding invariant has broken.
func (w *walked) violated() bool { return len(w.broken) > 0 }

// randomWalk extends the path by up to n transitions drawn by next (an
// index below the number of choices), stopping where the run ends or an
// invariant breaks.
func (w *walked) randomWalk(n int, next func(int) int) error {
	for k := 0; k < n && !w.c.Ended() && !w.violated(); k++ {
		if err := w.take(next(len(w.c.Choices()))); err != nil {
			return err
		}
	}
	return nil
}

// pathStep returns the path step (0-based, -1 for the start) that produced
// story record rec.
func (w *walked) pathStep(rec int) int {
	if rec < w.start {
		return -1
	}
	i, _ := slices.BinarySearch(w.recs, rec+1)
	return i
}
