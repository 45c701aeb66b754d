package trace

import (
	"fmt"
	"io"
	"time"

	"github.com/delegsim/delegsim/model"
)

// TellOptions say what of a story Tell keeps besides what every output
// needs (clients, files, opens, delegations, callbacks, errors, faults,
// local breaks, figures), all of which grow with the capture's
// delegation events, not with its length.
type TellOptions struct {
	// Timeline keeps the narrated timeline (Story.Events) that the
	// text, Mermaid and HTML outputs draw: an event or two for every
	// request, so its memory grows with the capture.
	Timeline bool
	// Observations keeps what the clients saw and did (Story.Observations)
	// for the history check: one per WRITE, GETATTR answer, CLOSE and
	// COMMIT, which the close-to-open check needs all at once.
	Observations bool
}

// Tell reads a capture and tells its story as the exchanges stream past
// (see Options.Exchange): it keeps no exchange, and what it keeps of the
// story is what o asks for. The story is the one Build tells from the
// same capture decoded whole (less what o leaves out); the capture's
// Exchanges are empty.
func Tell(r io.Reader, name string, o TellOptions) (*Capture, *Story, error) {
	d := newDecoder(name, Options{})
	b := newBuilder(d.cap, buildOptions{timeline: o.Timeline, observations: o.Observations})
	d.o.Exchange = b.add
	c, err := d.run(r)
	if err != nil {
		return nil, nil, err
	}
	return c, b.finish(), nil
}

// CheckCapture is CheckStory for a capture that Tell (with Observations)
// has told and r reads again from its start. The model is built with
// every file and client of the story before the first request, so the
// check is a second reading of the capture; every profile's replay is fed
// as it streams, and none keeps the exchanges.
func CheckCapture(r io.Reader, c *Capture, st *Story, o CheckOptions) (*Conformance, error) {
	conf, profs, pol, err := o.resolve()
	if err != nil {
		return nil, err
	}
	rs := make([]*replay, len(profs))
	for i, p := range profs {
		rs[i] = newReplay(c, st, p, pol)
	}
	add := func(e *Exchange) {
		for _, r := range rs {
			r.add(e)
		}
	}
	if _, err := Decode(r, c.File, Options{Exchange: add}); err != nil {
		return nil, fmt.Errorf("reading the capture again for --check: %w", err)
	}
	for _, r := range rs {
		conf.Results = append(conf.Results, r.finish())
	}
	conf.History = st.CheckHistory(o.historyTimeout())
	return conf, nil
}

// Validate checks the profile and policy names.
func (o CheckOptions) Validate() error {
	_, _, _, err := o.resolve()
	return err
}

// resolve looks up the profiles and policy o names.
func (o CheckOptions) resolve() (*Conformance, []model.Profile, model.Policy, error) {
	polName := o.Policy
	if polName == "" {
		polName = "kernel"
	}
	pol, err := model.LookupPolicy(polName, model.PolicyOptions{})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("--policy: %w", err)
	}
	names := []string{o.Profile}
	conf := &Conformance{}
	if o.Profile == "" || o.Profile == "auto" {
		names, conf.Auto = model.ProfileNames(), true
	}
	var profs []model.Profile
	for _, n := range names {
		prof, err := model.LookupProfile(n)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("--profile: %w (or auto)", err)
		}
		profs = append(profs, prof)
	}
	return conf, profs, pol, nil
}

func (o CheckOptions) historyTimeout() time.Duration {
	if o.HistoryTimeout == 0 {
		return 10 * time.Second
	}
	return o.HistoryTimeout
}
