// Package progress is the one progress reporter of delegsim's long
// commands (check, compare, explore, sweep). On a terminal it draws a bar
// (schollz/progressbar); when standard error is a file or a pipe, as in a
// batch job's log, it prints a plain line every few seconds instead of
// carriage returns and escape codes.
//
// A Reporter is fed by Set and SetTotal, which only store numbers and may
// be called from any goroutine on a hot path; one goroutine of the
// Reporter's own draws the bar or prints the lines.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Mode says how progress is shown.
type Mode uint8

// Modes.
const (
	Auto  Mode = iota // Bar on a terminal, Lines otherwise
	Bar               // a bar redrawn in place
	Lines             // a plain line every Interval
	Off               // nothing
)

var modeNames = [...]string{Auto: "auto", Bar: "bar", Lines: "lines", Off: "off"}

func (m Mode) String() string { return modeNames[m] }

// ParseMode parses "auto", "bar", "lines" or "off".
func ParseMode(s string) (Mode, error) {
	for m, n := range modeNames {
		if n == s {
			return Mode(m), nil
		}
	}
	return Auto, fmt.Errorf("unknown progress mode %q (allowed: auto, bar, lines, off)", s)
}

// DefaultInterval is how often Lines mode prints: often enough that a log
// shows a long run is alive, rarely enough to stay readable.
const DefaultInterval = 5 * time.Second

// barTick is how often the bar is redrawn.
const barTick = 150 * time.Millisecond

// Options configure a Reporter.
type Options struct {
	Mode     Mode
	Interval time.Duration // Lines mode; 0: DefaultInterval
	// Unit names what is counted, plural: "runs", "states", "trials".
	Unit string
	// Detail, if set, is called on each update and its text appended:
	// "depth 38, 1.2 GB".
	Detail func() string
}

// Reporter shows the progress of one piece of work.
type Reporter struct {
	w     io.Writer
	what  string
	o     Options
	mode  Mode
	done  atomic.Int64
	total atomic.Int64
	start time.Time
	bar   *progressbar.ProgressBar
	quit  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

// Start starts reporting the progress of what (such as "explore
// bz219278") towards total units (0 or less: unknown) on w, which is
// standard error. Stop must be called before anything else is written to
// w.
func Start(w io.Writer, what string, total int64, o Options) *Reporter {
	r := &Reporter{w: w, what: what, o: o, mode: o.Mode, start: time.Now(), quit: make(chan struct{})}
	if r.o.Interval <= 0 {
		r.o.Interval = DefaultInterval
	}
	if r.o.Unit == "" {
		r.o.Unit = "steps"
	}
	if r.mode == Auto {
		r.mode = Lines
		if isTerminal(w) {
			r.mode = Bar
		}
	}
	r.total.Store(total)
	if r.mode == Off {
		return r
	}
	if r.mode == Bar {
		r.bar = newBar(w, what, total, r.o.Unit)
	} else {
		// A log shows at once that the work started, and how much of it.
		fmt.Fprintln(w, r.Line(0, total, 0, ""))
	}
	r.wg.Add(1)
	go r.loop()
	return r
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newBar(w io.Writer, what string, total int64, unit string) *progressbar.ProgressBar {
	if total <= 0 {
		total = -1 // a spinner
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionThrottle(barTick),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionFullWidth(),
	)
}

// Set records how many units are done.
func (r *Reporter) Set(done int64) { r.done.Store(done) }

// Add records n more units done.
func (r *Reporter) Add(n int64) { r.done.Add(n) }

// SetTotal changes the total (0 or less: unknown).
func (r *Reporter) SetTotal(total int64) { r.total.Store(total) }

// Done returns the units done so far.
func (r *Reporter) Done() int64 { return r.done.Load() }

func (r *Reporter) loop() {
	defer r.wg.Done()
	tick := barTick
	if r.mode == Lines {
		tick = r.o.Interval
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-r.quit:
			return
		case <-t.C:
			r.update()
		}
	}
}

func (r *Reporter) update() {
	done, total := r.done.Load(), r.total.Load()
	detail := ""
	if r.o.Detail != nil {
		detail = r.o.Detail()
	}
	if r.mode == Bar {
		if total > 0 && int64(r.bar.GetMax64()) != total {
			r.bar.ChangeMax64(total)
		}
		if detail != "" {
			r.bar.Describe(r.what + " (" + detail + ")")
		}
		if total > 0 {
			done = min(done, total) // the bar refuses more than its max
		}
		r.bar.Set64(done)
		return
	}
	fmt.Fprintln(r.w, r.Line(done, total, time.Since(r.start), detail))
}

// Line is the text Lines mode prints: "delegsim: explore bz219278:
// 1234567 of 10000000 states (12%), 812345 states/s, 1.5s elapsed, about
// 11s left; depth 38".
func (r *Reporter) Line(done, total int64, elapsed time.Duration, detail string) string {
	s := fmt.Sprintf("delegsim: %s: %d", r.what, done)
	if total > 0 {
		s += fmt.Sprintf(" of %d", total)
	}
	s += " " + r.o.Unit
	if total > 0 {
		s += fmt.Sprintf(" (%d%%)", 100*done/total)
	}
	secs := elapsed.Seconds()
	if secs > 0 {
		s += fmt.Sprintf(", %.0f %s/s", float64(done)/secs, r.o.Unit)
	}
	s += fmt.Sprintf(", %s elapsed", elapsed.Round(100*time.Millisecond))
	if total > 0 && done > 0 && done < total {
		left := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
		s += fmt.Sprintf(", about %s left", left.Round(time.Second))
	}
	if detail != "" {
		s += "; " + detail
	}
	return s
}

// Stop stops reporting. A bar is left as it stands, full if the work
// finished, followed by a newline; Lines mode prints nothing more (the
// command's own summary follows). Stop may be called more than once.
func (r *Reporter) Stop() {
	r.once.Do(func() {
		if r.mode == Off {
			return
		}
		close(r.quit)
		r.wg.Wait()
		if r.mode == Bar {
			r.update()
			if total := r.total.Load(); total > 0 && r.done.Load() >= total {
				r.bar.Finish()
			} else {
				r.bar.Exit()
			}
			fmt.Fprintln(r.w)
		}
	})
}
