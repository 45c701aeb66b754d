package explore

import (
	"fmt"
	"slices"

	"github.com/delegsim/delegsim/model"
)

// State is one state of a model's explored system, for stepping through
// it by hand (a browser UI, a debugger) with the transitions a search
// takes: Enabled lists them, Apply takes one and returns the next state.
// States are values: Apply leaves its receiver as it was. The states
// reached from one Start share an engine and must be used from one
// goroutine.
type State struct {
	m *Model
	e *engine
	f *frame
}

// Start returns the start state (after every actor's InStart, as sim and
// the explorer start a run).
func (m *Model) Start() *State {
	e := newEngine(m)
	return &State{m: m, e: e, f: e.initial()}
}

// Now is the state's logical clock.
func (s *State) Now() model.Time { return s.f.now }

// Finished reports whether the run ends here (see the package
// documentation): then no step is enabled.
func (s *State) Finished() bool { return s.e.finished(s.f, nil) || len(s.e.enabled(s.f, nil)) == 0 }

// Enabled returns the transitions enabled in the state, in the order a
// search tries them; none if the run has ended.
func (s *State) Enabled() []Step {
	if s.e.finished(s.f, nil) {
		return nil
	}
	return s.e.enabled(s.f, nil)
}

// Apply returns the state after st, which must be enabled.
func (s *State) Apply(st Step) (*State, error) {
	if !slices.Contains(s.Enabled(), st) {
		return nil, fmt.Errorf("explore: %q is not enabled at %s", s.m.stepText(st), ms(s.f.now))
	}
	var d delta
	s.e.apply(s.f, st, &d)
	g := s.e.newFrame()
	s.e.advance(g, s.f, &d)
	return &State{m: s.m, e: s.e, f: g}, nil
}

// Actors returns the actors' states, by model.ActorID. They are the
// explorer's own: do not modify them.
func (s *State) Actors() []model.Actor {
	out := make([]model.Actor, len(s.f.parts))
	for i, p := range s.f.parts {
		out[i] = p.actor
	}
	return out
}

// InFlight returns the messages in flight on channel i (Model.Channels),
// oldest first.
func (s *State) InFlight(i int) []model.Message {
	var out []model.Message
	for _, m := range s.f.chans[i].msgs {
		out = append(out, *m.msg)
	}
	return out
}

// History returns the operations completed so far, in the order a
// search's histories list them.
func (s *State) History() []model.Op { return s.e.history(s.f, nil) }

// StepText renders a step as schedules write it ("deliver c1->server
// fore").
func (m *Model) StepText(st Step) string { return m.stepText(st) }

// ParseStep reads a step in the form StepText writes.
func (m *Model) ParseStep(text string) (Step, error) { return m.resolve(text) }
