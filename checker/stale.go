package checker

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/delegsim/delegsim/model"
)

// StaleRead is a read that returned a value which had certainly been
// overwritten before the read began: every write that could have produced
// the value (or the initial value) had become due before Write began, and
// Write had become due before the read's interval began. A stale read is by
// itself a proof that the history violates the consistency model.
type StaleRead struct {
	Read model.Op
	// Opened is, under close-to-open, the open whose invocation begins the
	// read's interval; nil if the read's own invocation does.
	Opened *model.Op
	// Write is a write that overwrote the value read; nil if no write
	// produced that value and it was not the initial value either.
	Write *model.Op
	// DueBy is, under close-to-open, the close or fsync whose return made
	// Write due; nil under linearizability, where Write was due at its own
	// return.
	DueBy *model.Op
	// Earlier is set instead of Write for an attribute read whose change
	// attribute is lower than one the same reader saw before (see
	// changeBackwards); Opened, Write and DueBy are then nil.
	Earlier *model.Op
}

// String is a one-line human account of the conflict, e.g.
// "l1#2 cat f at 45.000ms read data=initial (size 0), but c1#2 write at 1.000ms
// (size 65536, data=w1.2) had completed; under close-to-open it was
// due at c1#3 close ending 2.000ms".
func (s StaleRead) String() string {
	var b strings.Builder
	r := &s.Read
	fmt.Fprintf(&b, "%s %s %s at %s ", r.Name(), r.Kind, r.File, fmtTime(r.Start))
	if s.Earlier != nil {
		e := s.Earlier
		fmt.Fprintf(&b, "saw change %d, but the same reader's %s %s at %s had seen change %d: the change attribute went backwards",
			r.Change, e.Name(), e.Kind, fmtTime(e.Start), e.Change)
		return b.String()
	}
	if r.Kind.ReadsAttrs() {
		fmt.Fprintf(&b, "saw size %d", r.Size)
	} else {
		fmt.Fprintf(&b, "read data=%s (size %d)", DataName(r.Data), r.Bytes)
	}
	if s.Opened != nil {
		fmt.Fprintf(&b, " (file opened by %s at %s)", s.Opened.Name(), fmtTime(s.Opened.Start))
	}
	w := s.Write
	if w == nil {
		b.WriteString(", a value that no write produced")
		return b.String()
	}
	v := writtenValue(w)
	fmt.Fprintf(&b, ", but %s %s at %s (size %d, data=%s) had completed", w.Name(), w.Kind, fmtTime(w.Start), v.Size, DataName(v.Data))
	if s.DueBy != nil {
		fmt.Fprintf(&b, "; under close-to-open it was due at %s %s ending %s", s.DueBy.Name(), s.DueBy.Kind, fmtTime(s.DueBy.End))
	} else {
		fmt.Fprintf(&b, " at %s", fmtTime(w.End))
	}
	return b.String()
}

// staleReads finds the stale reads of one file's register history.
//
// A read r that observed v is stale when some write w that does not write v
// became due before r's interval began (w.end < r.start) and certainly
// follows every candidate source of v: every write c that wrote a value r
// would observe either became due before w began (c.end < w.start) or is an
// earlier write of w's writer, and the initial value is a candidate only
// before any write. Then in every linearization the last write to take
// effect before r comes after w, so it is no candidate, and r cannot have
// observed v.
//
// It is enough to try, for each writer, its last write due before r: it
// began no earlier and follows all that writer's earlier writes. And a
// writer's writes become due in the order they were made.
func staleReads(fh *fileHistory) []StaleRead {
	type source struct {
		due model.Time // latest due of the writer's candidates
		seq int        // highest seq of the writer's candidates
	}
	type key struct {
		attrs bool
		v     Value
	}
	sources := make(map[key]map[int]source) // observable value -> writer slot -> its writes of it
	var byWriter [][]*regOp                 // slot -> writes in program order
	for _, r := range fh.ops {
		if r.kind != regWrite {
			continue
		}
		for len(byWriter) <= r.slot {
			byWriter = append(byWriter, nil)
		}
		byWriter[r.slot] = append(byWriter[r.slot], r)
		for _, k := range []key{{false, r.v}, {true, Value{Size: r.v.Size}}} {
			m := sources[k]
			if m == nil {
				m = make(map[int]source)
				sources[k] = m
			}
			s := m[r.slot]
			m[r.slot] = source{due: max(s.due, r.end), seq: max(s.seq, r.seq)}
		}
	}
	for _, ws := range byWriter {
		slices.SortFunc(ws, func(a, b *regOp) int { return cmp.Compare(a.seq, b.seq) })
	}

	var out []StaleRead
	for _, r := range fh.ops {
		if r.kind == regWrite {
			continue
		}
		cands := sources[key{r.kind == regReadAttrs, r.v}]
		if len(cands) == 0 && !r.observes(*r.fileInit) {
			out = append(out, StaleRead{Read: *r.op, Opened: r.opened})
			continue
		}
		var witness *regOp
		for slot, ws := range byWriter {
			n := sort.Search(len(ws), func(i int) bool { return ws[i].end >= r.start })
			if n == 0 {
				continue
			}
			w := ws[n-1]
			if r.observes(w.v) || cands[slot].seq > w.seq {
				continue
			}
			follows := true
			for other, c := range cands {
				if other != slot && c.due >= w.start {
					follows = false
					break
				}
			}
			if follows && (witness == nil || w.start > witness.start) {
				witness = w
			}
		}
		if witness != nil {
			out = append(out, StaleRead{Read: *r.op, Opened: r.opened, Write: witness.op, DueBy: witness.dueBy})
		}
	}
	slices.SortStableFunc(out, func(a, b StaleRead) int {
		return cmp.Or(cmp.Compare(a.Read.Start, b.Read.Start), cmp.Compare(a.Read.ID, b.Read.ID))
	})
	return out
}
