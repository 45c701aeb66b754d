package explore_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

// takeWhere takes the first enabled transition whose schedule text
// starts with prefix.
func takeWhere(t *testing.T, c *explore.Cursor, prefix string) explore.Choice {
	t.Helper()
	for i, ch := range c.Choices() {
		if strings.HasPrefix(ch.Text, prefix) {
			if err := c.Take(i); err != nil {
				t.Fatal(err)
			}
			return ch
		}
	}
	var texts []string
	for _, ch := range c.Choices() {
		texts = append(texts, ch.Text)
	}
	t.Fatalf("no enabled transition %q at %v (enabled: %s)", prefix, c.Now(), strings.Join(texts, "; "))
	return explore.Choice{}
}

// TestCursorLsattrRace drives bz219278 by hand to the point where
// lsattr's O_NONBLOCK open has hit the write lease (fs/locks.c
// __break_lease): nfsd has queued CB_RECALL and answered EAGAIN, and
// either message may arrive first. Both branches end with the first
// lsattr failing, as the exhaustive search says of every interleaving.
func TestCursorLsattrRace(t *testing.T) {
	m := loadModel(t, "bz219278", "kernel", nil)
	for _, branch := range []string{"deliver server->l1 local", "deliver server->c1 callback"} {
		c := m.NewCursor(explore.CursorOptions{})
		for _, st := range []string{"timer c1 script/0", "deliver c1->server fore", "deliver server->c1 fore",
			"timer c1 script/0", "deliver c1->server fore", "deliver server->c1 fore",
			"timer l1 script/0", "deliver l1->server local", "deliver server->l1 local",
			"timer l1 open/0", "deliver l1->server local"} {
			takeWhere(t, c, st)
		}
		var race []string
		for _, ch := range c.Choices() {
			if ch.Msg != nil {
				race = append(race, ch.Msg.Kind.String()+" to "+m.Names[ch.Actor])
			}
		}
		if want := []string{"CB_RECALL to c1", "open to l1"}; !slices.Equal(race, want) {
			t.Fatalf("deliveries enabled after the open: %v, want %v", race, want)
		}
		ch := takeWhere(t, c, branch)
		if branch == "deliver server->l1 local" && (ch.Msg.Status != model.ErrEAGAIN || !ch.Msg.Reply) {
			t.Errorf("l1 got %v, want the open's EAGAIN reply", ch.Msg)
		}
		for !c.Ended() && len(c.History()) < 3 {
			takeWhere(t, c, "") // the first enabled: deliveries before waits
		}
		var first *model.Op
		for _, op := range c.History() {
			if op.Kind == model.OpLsattr {
				first = &op
				break
			}
		}
		if first == nil || first.Result != "EAGAIN" {
			t.Errorf("%s first: first lsattr %v, want EAGAIN", branch, first)
		}
	}
}

// TestCursorPathReplays: any path taken with a cursor is a schedule that
// Replay accepts and that gives the cursor's history, and the cursor's
// structured trace matches its state: one record per actor step, every
// delivered message received by a delivery step, every message still in
// flight listed on its channel.
func TestCursorPathReplays(t *testing.T) {
	for _, name := range []string{"bz219278", "testdata/lossy-crash.yaml", "testdata/bz219278-2c2l.yaml"} {
		m := loadModel(t, name, "kernel", nil)
		rng := rand.New(rand.NewPCG(1, 2))
		for walk := 0; walk < 20; walk++ {
			observed := 0
			c := m.NewCursor(explore.CursorOptions{Observe: func(model.Time, []model.Actor) { observed++ }})
			for steps := rng.IntN(60); steps > 0 && !c.Ended(); steps-- {
				if err := c.Take(rng.IntN(len(c.Choices()))); err != nil {
					t.Fatal(err)
				}
			}
			res, err := explore.Replay(m, c.Schedule(), explore.ReplayOptions{})
			if err != nil {
				t.Fatalf("%s: the cursor's path does not replay: %v", name, err)
			}
			if got, want := opsText(res.Ops), opsText(c.History()); got != want {
				t.Fatalf("%s: replay history\n%s\ncursor history\n%s", name, got, want)
			}
			tr := c.Result()
			if observed != len(tr.StepRecords) {
				t.Errorf("%s: Observe called %d times for %d actor steps", name, observed, len(tr.StepRecords))
			}
			inFlight := 0
			for ch := range m.Channels {
				inFlight += len(c.InFlight(ch))
			}
			pending := 0
			for i, mr := range tr.Messages {
				switch {
				case mr.Dropped:
				case mr.Recv < 0:
					pending++
				default:
					in := tr.StepRecords[mr.Recv].Input
					if in.Kind != model.InDeliver || in.Msg != mr.Msg {
						t.Fatalf("%s: message %d (%v) received by a step with input %+v", name, i, mr.Msg, in)
					}
				}
			}
			if pending != inFlight {
				t.Errorf("%s: trace has %d messages in flight, channels hold %d", name, pending, inFlight)
			}
		}
	}
}

func opsText(ops []model.Op) string {
	var lines []string
	for _, op := range ops {
		op.ID = 0
		lines = append(lines, op.String())
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestCursorTakeText: a schedule line is taken only when it is enabled,
// and the error names what is.
func TestCursorTakeText(t *testing.T) {
	m := loadModel(t, "bz219278", "kernel", nil)
	c := m.NewCursor(explore.CursorOptions{})
	for _, tc := range []struct{ line, err string }{
		{"deliver c1->server fore", `"deliver c1->server fore" is not enabled at 0.000ms (enabled: timer c1 script/0)`},
		{"deliver c9->server fore", `no channel "c9->server fore"`},
		{"jump", `unknown line "jump"`},
		{"timer c1 script/0", ""},
		{"deliver c1->server fore", ""},
	} {
		err := c.TakeText(tc.line)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.line, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want one containing %q", tc.line, err, tc.err)
		}
	}
	if c.Depth() != 2 {
		t.Errorf("depth %d after two good steps", c.Depth())
	}
	if err := c.Take(99); err == nil {
		t.Error("Take(99) accepted")
	}
}

// TestCursorShowsState: timers carry their deadlines, a scheduled crash
// shows as one, and a wait moves the clock to the latest arrival.
func TestCursorShowsState(t *testing.T) {
	m := loadModel(t, "testdata/lossy-crash.yaml", "kernel", nil)
	c := m.NewCursor(explore.CursorOptions{})
	crash := false
	for id := range m.Names {
		for _, tm := range c.Timers(model.ActorID(id)) {
			crash = crash || tm.Crash
		}
	}
	if !crash {
		t.Error("lossy-crash arms a crash, but no timer shows it")
	}
	for !c.Ended() {
		for i, ch := range c.Choices() {
			if ch.Step.Kind == explore.Wait {
				due := ch.At
				if err := c.Take(i); err != nil {
					t.Fatal(err)
				}
				if c.Now() != due {
					t.Fatalf("wait took the clock to %v, choice said %v", c.Now(), due)
				}
				return
			}
		}
		if err := c.Take(0); err != nil {
			t.Fatal(err)
		}
	}
	t.Error("no wait was ever enabled")
}

// A cursor lists the transitions enabled in a state and takes the one a
// person picks; here, always the first, to the end of the run.
func ExampleModel_NewCursor() {
	sc, err := scenarios.Load("bz219278", nil)
	if err != nil {
		panic(err)
	}
	m, _, err := explore.FromScenario(sc, scenarios.Options{Policy: "kernel"}, explore.ModelOptions{})
	if err != nil {
		panic(err)
	}
	c := m.NewCursor(explore.CursorOptions{})
	for _, ch := range c.Choices() {
		fmt.Println("enabled:", ch.Text)
	}
	for !c.Ended() {
		if err := c.Take(0); err != nil {
			panic(err)
		}
	}
	fmt.Println(c.Depth(), "steps, at", c.Now())
	for _, op := range c.History() {
		fmt.Println(op.Name(), op.Kind, op.Result)
	}
	// Output:
	// enabled: timer c1 script/0
	// 22 steps, at 213.09169ms
	// c1#1 open ok
	// c1#2 close ok
	// l1#1 lsattr EAGAIN
	// l1#2 lsattr ok
}
