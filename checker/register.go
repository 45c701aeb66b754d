package checker

import (
	"fmt"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/delegsim/delegsim/model"
)

// Value is the content of a file register: its size and a name for its data
// (see model.DataValue; 0 is the empty initial file).
type Value struct {
	Size int64
	Data uint64
}

// String formats the value as "size=N data=D" (see DataName).
func (v Value) String() string { return fmt.Sprintf("size=%d data=%s", v.Size, DataName(v.Data)) }

// DataName names file contents as reports print them: "initial" for the
// contents a file starts with (0), else "wA.N", the contents produced by
// the N-th write of the actor with index A (model.DataValue).
func DataName(d uint64) string {
	if d == 0 {
		return "initial"
	}
	return fmt.Sprintf("w%d.%d", d>>32, d&0xffffffff)
}

// regKind says how an operation acts on a register.
type regKind uint8

const (
	regWrite     regKind = iota // sets size and data
	regReadAttrs                // observes the size
	regReadData                 // observes size and data
)

// regOp is one operation of a file's register history: the input of a
// porcupine operation. Its interval [start, end] is the effective one under
// the consistency model being checked, which may be wider than the
// operation's own.
type regOp struct {
	op         *model.Op
	kind       regKind
	v          Value  // written or observed; only Size for regReadAttrs
	init       *Value // the register's value at the start of the operation's segment
	fileInit   *Value // ... and of the file's history
	start, end model.Time

	// Writes: the writer's slot among the file's writers, and the order of
	// the write among that writer's writes.
	slot, seq int
	nslots    int

	// Close-to-open only: the close or fsync that made a write due, and the
	// open whose invocation begins a read's interval.
	dueBy, opened *model.Op

	// seg is the operation's segment of its file's history (see
	// fileHistory.segment); tracked, for a write, that its segment keeps
	// the writers' program order in its states.
	seg     int
	tracked bool
}

// observes reports whether the read could have observed the register
// holding v.
func (r *regOp) observes(v Value) bool {
	if r.kind == regReadAttrs {
		return v.Size == r.v.Size
	}
	return v == r.v
}

// describe is the operation's one-line label in the HTML visualisation.
func (r *regOp) describe() string {
	o := r.op
	switch r.kind {
	case regWrite:
		return fmt.Sprintf("%s %s %s %s", o.Name(), o.Kind, o.File, r.v)
	case regReadAttrs:
		return fmt.Sprintf("%s %s %s -> size=%d", o.Name(), o.Kind, o.File, r.v.Size)
	default:
		return fmt.Sprintf("%s %s %s -> %s", o.Name(), o.Kind, o.File, r.v)
	}
}

// details is the operation's tooltip in the HTML visualisation.
func (r *regOp) details() string {
	s := r.op.String()
	if r.dueBy != nil {
		s += fmt.Sprintf("; due at %s %s ending %s", r.dueBy.Name(), r.dueBy.Kind, fmtTime(r.dueBy.End))
	} else if r.kind == regWrite && r.end != r.op.End {
		s += "; never closed or synced: due at no time"
	}
	if r.opened != nil {
		s += fmt.Sprintf("; file opened by %s at %s", r.opened.Name(), fmtTime(r.opened.Start))
	}
	return s
}

// A register's state in the porcupine model is nil, the initial state (the
// segment's initial value, which every operation carries, regOp.init,
// since porcupine's Init cannot know the partition), or the write that
// set the value (a *regOp: no allocation per write), or, in a segment
// where one writer's writes overlap, a *regState.
//
// regState.last holds, for each writer slot, the highest write seq
// applied so far. A writer's writes take effect in program order even
// where their effective intervals overlap (under close-to-open they all
// extend to the same close): a write linearized after a later write of the
// same writer is a no-op, which is the same as taking effect just before
// that later write. Since last is a function of the set of operations
// linearized so far, states are compared by value alone. Its states are
// interned by transition (regStates), so each is allocated once.
type regState struct {
	v    Value
	last []int
	next map[*regOp]*regState // transitions taken from this state
}

// valueOf returns the register's value in state s, for operation in.
func valueOf(s any, in *regOp) Value {
	switch s := s.(type) {
	case *regOp:
		return s.v
	case *regState:
		return s.v
	}
	return *in.init
}

func regStep(state, input, _ any) (bool, any) {
	in := input.(*regOp)
	if in.kind != regWrite {
		return in.observes(valueOf(state, in)), state
	}
	if !in.tracked {
		return true, in
	}
	s, _ := state.(*regState)
	if s != nil && s.last[in.slot] > in.seq {
		return true, s // superseded by a later write of the same writer
	}
	if s != nil {
		if n := s.next[in]; n != nil {
			return true, n
		}
	}
	next := &regState{v: in.v, last: make([]int, in.nslots)}
	if s != nil {
		copy(next.last, s.last)
		if s.next == nil {
			s.next = map[*regOp]*regState{}
		}
		s.next[in] = next
	}
	next.last[in.slot] = in.seq
	return true, next
}

func regEqual(a, b any) bool {
	if a == nil || b == nil {
		return a == b
	}
	return stateValue(a) == stateValue(b)
}

func stateValue(s any) Value {
	if r, ok := s.(*regOp); ok {
		return r.v
	}
	return s.(*regState).v
}

func regHash(state any) uint64 {
	if state == nil {
		return 0
	}
	v := stateValue(state)
	return v.Data*0x9e3779b97f4a7c15 ^ uint64(v.Size)
}

// registerModel is the porcupine model of a set of file registers. Every
// partition is one segment of one file's history: Partition splits the
// history, which CheckLinearizability lays out file by file and segment
// by segment, at each change.
func registerModel() porcupine.Model {
	return porcupine.Model{
		Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
			var parts [][]porcupine.Operation
			for i := 0; i < len(h); {
				j := i + 1
				for j < len(h) && samePartition(h[j].Input.(*regOp), h[i].Input.(*regOp)) {
					j++
				}
				parts = append(parts, h[i:j])
				i = j
			}
			return parts
		},
		Init:  func() any { return nil },
		Step:  regStep,
		Equal: regEqual,
		Hash:  regHash,
		DescribeOperation: func(input, _ any) string {
			return input.(*regOp).describe()
		},
		DescribeState: func(state any) string {
			if state != nil {
				return stateValue(state).String()
			}
			return "initial value"
		},
		DescribeOperationMetadata: func(info any) string {
			if info == nil {
				return ""
			}
			return info.(*regOp).details()
		},
	}
}

// fmtTime prints virtual time as model.Op.String does: milliseconds with
// microsecond precision.
func fmtTime(t model.Time) string {
	return fmt.Sprintf("%.3fms", float64(t)/float64(time.Millisecond))
}

func samePartition(a, b *regOp) bool { return a.seg == b.seg && a.op.File == b.op.File }
