package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestParseMode(t *testing.T) {
	for _, m := range []Mode{Auto, Bar, Lines, Off} {
		if got, err := ParseMode(m.String()); err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v", m, got, err)
		}
	}
	if _, err := ParseMode("fancy"); err == nil || !strings.Contains(err.Error(), "allowed: auto, bar, lines, off") {
		t.Errorf("ParseMode(fancy): %v", err)
	}
}

// TestModes: a log (not a terminal) gets plain lines, no carriage returns
// or escape codes; a forced bar draws one; Off prints nothing.
func TestModes(t *testing.T) {
	tests := []struct {
		mode    Mode
		want    []string // substrings of the output
		notWant []string
	}{
		{Auto, []string{"delegsim: check x: 40 of 100 runs (40%)", "elapsed"}, []string{"\r", "\x1b"}},
		{Lines, []string{"delegsim: check x: 0 of 100 runs (0%), 0s elapsed\n", "40 of 100 runs (40%)", "; depth 7"}, []string{"\r"}},
		{Bar, []string{"check x", "\r"}, nil},
		{Off, nil, []string{"check"}},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			var b bytes.Buffer
			r := Start(&b, "check x", 100, Options{Mode: tt.mode, Interval: 10 * time.Millisecond, Unit: "runs",
				Detail: func() string { return "depth 7" }})
			r.Set(40)
			time.Sleep(200 * time.Millisecond)
			r.Stop()
			r.Stop() // idempotent
			out := b.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%q", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%q", w, out)
				}
			}
		})
	}
}

func TestLine(t *testing.T) {
	r := &Reporter{what: "explore s", o: Options{Unit: "states"}}
	tests := []struct {
		done, total int64
		elapsed     time.Duration
		detail      string
		want        string
	}{
		{250, 1000, 2 * time.Second, "depth 9", "delegsim: explore s: 250 of 1000 states (25%), 125 states/s, 2s elapsed, about 6s left; depth 9"},
		{250, 0, 2 * time.Second, "", "delegsim: explore s: 250 states, 125 states/s, 2s elapsed"},
		{1000, 1000, time.Second, "", "delegsim: explore s: 1000 of 1000 states (100%), 1000 states/s, 1s elapsed"},
	}
	for _, tt := range tests {
		if got := r.Line(tt.done, tt.total, tt.elapsed, tt.detail); got != tt.want {
			t.Errorf("Line(%d, %d) =\n  %q, want\n  %q", tt.done, tt.total, got, tt.want)
		}
	}
}
