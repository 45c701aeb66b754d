package checker

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/delegsim/delegsim/model"
)

// Verdict is the outcome of a check.
type Verdict int

// Verdicts. Unknown means the search for a linearization ran out of time
// before it found one or proved there is none.
const (
	Ok Verdict = iota
	Violation
	Unknown
)

var verdictNames = [...]string{Ok: "ok", Violation: "violation", Unknown: "unknown"}

// String returns "ok", "violation" or "unknown".
func (v Verdict) String() string {
	if v >= 0 && int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("verdict(%d)", int(v))
}

// FileVerdict is the outcome of checking one file's register.
type FileVerdict struct {
	File    string
	Verdict Verdict
	Writes  int // successful writes in the register history
	Reads   int // successful reads in the register history
	Failed  int // operations on the file that failed (any kind)
	Skipped int // reads served from the reader's own unflushed writes (close-to-open)
}

// LinResult is the outcome of CheckLinearizability.
type LinResult struct {
	Consistency Consistency
	Verdict     Verdict       // Violation if any file's is, else Unknown if any file's is
	Files       []FileVerdict // every file in the history, by name
	StaleReads  []StaleRead   // by file, then read invocation
	Ops         int           // operations in the register histories
	Failed      int           // failed operations, left out of the register histories
	Skipped     int           // reads left out as served from the reader's own cache

	search  Verdict // porcupine's verdict alone, before stale reads
	hist    []*fileHistory
	history []porcupine.Operation
	verbose bool     // info was computed
	names   []string // actors, by porcupine client id
	asides  []aside  // operations outside the register histories
	model   porcupine.Model
	info    porcupine.LinearizationInfo
}

// CheckLinearizability checks that ops, the history of a run, is that of one
// register per file under consistency model c (see the package
// documentation). A file missing from init starts as the zero Value. The
// search for a linearization gives up after timeout (0: no limit), leaving
// the files it had not settled Unknown; stale reads still prove violations.
// The result refers to ops, which must not change while it is in use.
func CheckLinearizability(ops []model.Op, init map[string]Value, c Consistency, timeout time.Duration) LinResult {
	files, asides := buildHistories(ops, init, c)

	actors := make(map[string]int)
	for _, o := range ops {
		actors[o.Actor] = 0
	}
	names := slices.Sorted(maps.Keys(actors))
	for i, a := range names {
		actors[a] = i
	}

	res := LinResult{Consistency: c, model: registerModel(), hist: files}
	n := 0
	for _, fh := range files {
		n += len(fh.ops)
	}
	history := make([]porcupine.Operation, 0, n)
	var checked []int  // index in files of each porcupine partition
	var partSize []int // operations in each partition
	for i, fh := range files {
		for k, r := range fh.ops {
			if k == 0 || r.seg != fh.ops[k-1].seg {
				checked, partSize = append(checked, i), append(partSize, 0)
			}
			partSize[len(partSize)-1]++
			history = append(history, porcupine.Operation{
				ClientId: actors[r.op.Actor], Input: r, Call: int64(r.start), Return: int64(r.end), Metadata: r,
			})
		}
	}
	res.Ops = len(history)
	res.history = history

	// The plain check first: the verbose one, which records the longest
	// linearizable prefixes the visualisation and the per-file verdicts
	// need, costs far more, and only a violation (or a time-out) needs it.
	verdict := porcupine.CheckOperationsTimeout(res.model, history, timeout)
	var info porcupine.LinearizationInfo
	if verdict != porcupine.Ok {
		verdict, info = porcupine.CheckOperationsVerbose(res.model, history, timeout)
		res.verbose = true
	}
	switch verdict {
	case porcupine.Illegal:
		res.search = Violation
	case porcupine.Unknown:
		res.search = Unknown
	}
	res.Files = make([]FileVerdict, len(files))
	for i, fh := range files {
		res.Files[i] = FileVerdict{File: fh.file, Writes: fh.writes, Reads: fh.reads, Failed: fh.failed, Skipped: fh.skipped}
		res.Failed += fh.failed
		res.Skipped += fh.skipped
	}
	if verdict != porcupine.Ok {
		for p, partials := range info.PartialLinearizations() {
			fv := &res.Files[checked[p]]
			if !slices.ContainsFunc(partials, func(l []int) bool { return len(l) == partSize[p] }) {
				fv.Verdict = Unknown
				if verdict == porcupine.Illegal {
					fv.Verdict = Violation
				}
			}
		}
	}
	attrReads := make(map[string][]*model.Op)
	for i := range ops {
		if o := &ops[i]; o.OK() && o.Kind.ReadsAttrs() {
			attrReads[o.File] = append(attrReads[o.File], o)
		}
	}
	for i, fh := range files {
		sr := append(staleReads(fh), changeBackwards(attrReads[fh.file])...)
		slices.SortStableFunc(sr, func(a, b StaleRead) int {
			return cmp.Or(cmp.Compare(a.Read.Start, b.Read.Start), cmp.Compare(a.Read.ID, b.Read.ID))
		})
		if len(sr) > 0 {
			res.StaleReads = append(res.StaleReads, sr...)
			res.Files[i].Verdict = Violation
		}
	}
	for _, fv := range res.Files {
		switch {
		case fv.Verdict == Violation:
			res.Verdict = Violation
		case fv.Verdict == Unknown && res.Verdict == Ok:
			res.Verdict = Unknown
		}
	}

	res.info, res.names, res.asides = info, names, asides

	return res
}

// String is a one-line summary, e.g. "close-to-open: violation (1 of 3
// files); 2 stale reads; 40 register ops, 1 failed, 2 skipped".
func (r LinResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", r.Consistency, r.Verdict)
	if r.Verdict != Ok {
		n := 0
		for _, f := range r.Files {
			if f.Verdict == r.Verdict {
				n++
			}
		}
		fmt.Fprintf(&b, " (%d of %d files)", n, len(r.Files))
	}
	fmt.Fprintf(&b, "; %d stale reads; %d register ops, %d failed, %d skipped", len(r.StaleReads), r.Ops, r.Failed, r.Skipped)
	return b.String()
}

// Account is a short human account of a violation, at most max lines: one
// per stale read (StaleRead.String), or, if the search for a linearization
// failed without any single stale read to show for it, the register
// operations of the first violating file, none of whose orders explains
// what its readers saw. It is empty if the verdict is not Violation.
func (r LinResult) Account(max int) []string {
	if r.Verdict != Violation || max <= 0 {
		return nil
	}
	var out []string
	if len(r.StaleReads) > 0 {
		for _, s := range r.StaleReads {
			if len(out) == max {
				out[max-1] = fmt.Sprintf("... and %d more stale reads", len(r.StaleReads)-max+1)
				break
			}
			out = append(out, s.String())
		}
		return out
	}
	for i, fv := range r.Files {
		if fv.Verdict != Violation || i >= len(r.hist) {
			continue
		}
		ops := r.hist[i].ops
		out = append(out, fmt.Sprintf("no order of the %d register operations on %s explains what its readers saw:", len(ops), fv.File))
		for _, op := range ops {
			if len(out) == max {
				out[max-1] = fmt.Sprintf("... (%d operations in all)", len(ops))
				break
			}
			out = append(out, "  "+op.op.String())
		}
		break
	}
	return out
}

// WriteHTML writes porcupine's interactive visualisation of the checked
// history to w: one partition per file that has register operations, with
// failed operations, opens, closes, fsyncs, reads served from the reader's
// own cache and stale reads shown as annotations.
func (r LinResult) WriteHTML(w io.Writer) error {
	m := r.model
	if m.Step == nil { // the zero LinResult: an empty history
		m = registerModel()
	}
	// Annotations are built here, not by every check: most checks never
	// draw their history. Nor do they record what the drawing needs.
	info := r.info
	if !r.verbose && len(r.history) > 0 {
		_, info = porcupine.CheckOperationsVerbose(m, r.history, 0)
	}
	info.AddAnnotations(annotations(r.names, r.asides, r.StaleReads))
	if err := porcupine.Visualize(m, info, w); err != nil {
		return fmt.Errorf("checker: writing HTML visualisation: %w", err)
	}
	return nil
}

// annotations shows in the visualisation what the register histories leave
// out, in one row per actor below the numbered rows of register operations;
// a "clients" row says which number is which actor.
func annotations(actors []string, asides []aside, stale []StaleRead) []porcupine.Annotation {
	legend := make([]string, len(actors))
	for i, a := range actors {
		legend[i] = fmt.Sprintf("%d=%s", i, a)
	}
	var out []porcupine.Annotation
	if len(actors) > 0 {
		out = append(out, porcupine.Annotation{Tag: "clients", Description: strings.Join(legend, " ")})
	}
	for _, a := range asides {
		o := a.op
		an := porcupine.Annotation{
			Tag: o.Actor, Start: int64(o.Start), End: int64(o.End),
			Description: fmt.Sprintf("%s %s %s", o.Name(), o.Kind, o.File), Details: o.String(),
			BackgroundColor: "#e8eef7",
		}
		switch {
		case !o.OK():
			an.Description += " " + o.Result
			an.BackgroundColor, an.TextColor = "#f6d5d5", "#8a1f1f"
		case a.skipped:
			an.Description += " (own cache, not checked)"
			an.BackgroundColor = "#e4e4e4"
		}
		out = append(out, an)
	}
	for _, s := range stale {
		out = append(out, porcupine.Annotation{
			Tag: "stale reads", Start: int64(s.Read.Start), End: int64(s.Read.End),
			Description: "stale: " + s.Read.Name() + " " + s.Read.File, Details: s.String(),
			BackgroundColor: "#d9534f", TextColor: "#ffffff",
		})
	}
	return out
}
