package explore

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

// Schedule is a replayable sequence of steps together with the run it was
// recorded for. Its text form (see Format and ParseSchedule) is one step
// per line:
//
//	deliver c1->server fore     the oldest message in flight on a channel arrives
//	lose server->c1 callback    ... or is lost (lossy links only)
//	timer server revoke/3       an armed timer fires (kind/argument, as in traces)
//	crash c2                    a client's scheduled crash happens
//	wait                        time passes to the next deadline (see Wait)
//
// after header lines naming the run: scenario, policy, profile, seed,
// max-delay (if the search used one), min-delay (if messages kept to the
// lower bounds of their delays) and one set line per --set override.
// Everything after '#' is a comment; the explorer writes the time and what
// moved there.
type Schedule struct {
	Scenario, Policy, Profile string
	Seed                      uint64
	Sets                      []string
	MaxDelay                  model.Time // 0: delays bounded by the scenario
	MinDelay                  bool       // ModelOptions.MinDelay
	Steps                     []ScheduleStep
}

// ScheduleStep is one line of a schedule.
type ScheduleStep struct {
	Text string // canonical text, e.g. "deliver c1->server fore"
	Note string // what happened, written as a comment
	Line int    // line in the file it was parsed from, else 0
}

// ScheduleError is a problem with a schedule file or with replaying it.
// It counts as bad input: it unwraps to scenarios.ErrInvalid.
type ScheduleError struct {
	File string
	Line int // 0: the file as a whole
	Msg  string
}

func (e *ScheduleError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("schedule %s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("schedule %s: %s", e.File, e.Msg)
}

// Unwrap makes every ScheduleError match scenarios.ErrInvalid.
func (e *ScheduleError) Unwrap() error { return scenarios.ErrInvalid }

// stepText renders a step with the model's names.
func (m *Model) stepText(st Step) string {
	switch st.Kind {
	case Deliver, Lose:
		return st.Kind.String() + " " + m.ChannelName(st.Index)
	case Crash:
		return "crash " + m.Names[st.Index]
	case Wait:
		return "wait"
	}
	return "timer " + m.Names[st.Index] + " " + st.Timer.String()
}

// schedule turns steps into a schedule for m, with notes from a replay.
func (m *Model) schedule(steps []Step) *Schedule {
	sch := &Schedule{Scenario: m.Scenario, Policy: m.Policy, Profile: m.Profile, Seed: m.Seed,
		Sets: m.Sets, MaxDelay: m.MaxDelay, MinDelay: m.minDelay}
	notes := m.notes(steps)
	for i, st := range steps {
		sch.Steps = append(sch.Steps, ScheduleStep{Text: m.stepText(st), Note: notes[i]})
	}
	return sch
}

// Format writes the schedule's text form.
func (s *Schedule) Format(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# delegsim schedule: replay with `delegsim run %s --schedule FILE`\n", s.Scenario)
	fmt.Fprintf(&b, "scenario %s\npolicy %s\nprofile %s\nseed %d\n", s.Scenario, s.Policy, s.Profile, s.Seed)
	if s.MaxDelay > 0 {
		fmt.Fprintf(&b, "max-delay %s\n", s.MaxDelay)
	}
	if s.MinDelay {
		b.WriteString("min-delay\n")
	}
	for _, set := range s.Sets {
		fmt.Fprintf(&b, "set %s\n", set)
	}
	width := 0
	for _, st := range s.Steps {
		width = max(width, len(st.Text))
	}
	for _, st := range s.Steps {
		if st.Note == "" {
			fmt.Fprintln(&b, st.Text)
			continue
		}
		fmt.Fprintf(&b, "%-*s  # %s\n", width, st.Text, st.Note)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// String is the text form.
func (s *Schedule) String() string {
	var b strings.Builder
	s.Format(&b)
	return b.String()
}

// ParseSchedule reads a schedule's text form; file names it in errors.
// Steps are checked against a run only when replayed.
func ParseSchedule(file string, data []byte) (*Schedule, error) {
	s := &Schedule{}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	bad := func(format string, args ...any) error {
		return &ScheduleError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	for sc.Scan() {
		line++
		text, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		key, args := fields[0], fields[1:]
		switch key {
		case "min-delay":
			if len(s.Steps) > 0 || len(args) > 0 || s.MinDelay {
				return nil, bad("min-delay is a header line of its own, given once")
			}
			s.MinDelay = true
		case "scenario", "policy", "profile", "seed", "max-delay":
			if len(s.Steps) > 0 {
				return nil, bad("header line %q after the first step", key)
			}
			if seen[key] {
				return nil, bad("%s given twice", key)
			}
			seen[key] = true
			if len(args) != 1 {
				return nil, bad("%s takes one value, got %d", key, len(args))
			}
			switch key {
			case "scenario":
				s.Scenario = args[0]
			case "policy":
				s.Policy = args[0]
			case "profile":
				s.Profile = args[0]
			case "seed":
				v, err := strconv.ParseUint(args[0], 10, 64)
				if err != nil {
					return nil, bad("seed %q is not a non-negative integer", args[0])
				}
				s.Seed = v
			case "max-delay":
				d, err := time.ParseDuration(args[0])
				if err != nil || d <= 0 {
					return nil, bad("max-delay %q is not a positive duration (e.g. 20ms)", args[0])
				}
				s.MaxDelay = d
			}
		case "set":
			if len(s.Steps) > 0 {
				return nil, bad("header line %q after the first step", key)
			}
			if len(args) != 1 || !strings.Contains(args[0], "=") {
				return nil, bad("set takes one KEY=VALUE override")
			}
			s.Sets = append(s.Sets, args[0])
		case "deliver", "lose":
			if len(args) != 2 || !strings.Contains(args[0], "->") {
				return nil, bad("%s takes FROM->TO CHANNEL, e.g. %q", key, key+" c1->server fore")
			}
			s.Steps = append(s.Steps, ScheduleStep{Text: key + " " + args[0] + " " + args[1], Line: line})
		case "timer":
			if len(args) != 2 || !strings.Contains(args[1], "/") {
				return nil, bad("timer takes ACTOR KIND/ARG, e.g. %q", "timer server revoke/2")
			}
			s.Steps = append(s.Steps, ScheduleStep{Text: "timer " + args[0] + " " + args[1], Line: line})
		case "wait":
			if len(args) != 0 {
				return nil, bad("wait takes no argument")
			}
			s.Steps = append(s.Steps, ScheduleStep{Text: "wait", Line: line})
		case "crash":
			if len(args) != 1 {
				return nil, bad("crash takes ACTOR")
			}
			s.Steps = append(s.Steps, ScheduleStep{Text: "crash " + args[0], Line: line})
		default:
			return nil, bad("unknown line %q (steps: deliver, lose, timer, crash, wait; header: scenario, policy, profile, seed, max-delay, set)", key)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &ScheduleError{File: file, Msg: err.Error()}
	}
	for _, k := range []string{"scenario", "policy", "profile", "seed"} {
		if !seen[k] {
			return nil, &ScheduleError{File: file, Msg: fmt.Sprintf("missing header line %q", k)}
		}
	}
	return s, nil
}

var timerKinds = func() map[string]model.TimerKind {
	m := map[string]model.TimerKind{}
	for k := model.TimerKind(0); k < 64; k++ {
		if n := k.String(); !strings.HasPrefix(n, "timer(") {
			m[n] = k
		}
	}
	return m
}()

// resolve maps a step's text to a step of m.
func (m *Model) resolve(text string) (Step, error) {
	f := strings.Fields(text)
	actor := func(name string) (int, error) {
		for i, n := range m.Names {
			if n == name {
				return i, nil
			}
		}
		return 0, fmt.Errorf("no actor %q (actors: %s)", name, strings.Join(m.Names, ", "))
	}
	switch f[0] {
	case "wait":
		return Step{Kind: Wait}, nil
	case "deliver", "lose":
		want := f[1] + " " + f[2]
		for i := range m.Channels {
			if m.ChannelName(i) == want {
				k := Deliver
				if f[0] == "lose" {
					k = Lose
				}
				return Step{Kind: k, Index: i}, nil
			}
		}
		var names []string
		for i := range m.Channels {
			names = append(names, m.ChannelName(i))
		}
		return Step{}, fmt.Errorf("no channel %q (channels: %s)", want, strings.Join(names, "; "))
	case "crash":
		id, err := actor(f[1])
		return Step{Kind: Crash, Index: id}, err
	}
	id, err := actor(f[1])
	if err != nil {
		return Step{}, err
	}
	kind, arg, _ := strings.Cut(f[2], "/")
	k, ok := timerKinds[kind]
	if !ok {
		var names []string
		for n := range timerKinds {
			names = append(names, n)
		}
		return Step{}, fmt.Errorf("unknown timer kind %q (kinds: %s)", kind, strings.Join(slices.Sorted(slices.Values(names)), ", "))
	}
	a, err := strconv.ParseUint(arg, 10, 32)
	if err != nil {
		return Step{}, fmt.Errorf("timer argument %q is not a number", arg)
	}
	return Step{Kind: Fire, Index: id, Timer: model.TimerKey{Kind: k, Arg: uint32(a)}}, nil
}
