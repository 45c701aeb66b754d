package trace

import (
	"time"

	"github.com/delegsim/delegsim/checker"
	"github.com/delegsim/delegsim/model"
)

// History returns what the capture's clients saw and did as an
// application-level history for the checker: each WRITE (and each size
// set by SETATTR or an O_TRUNC OPEN) writes the file's register, CLOSE and
// COMMIT make a client's writes due, OPEN starts a close-to-open read
// interval, and every GETATTR answer (and CB_GETATTR answer, the holder's
// own view) reads the size and change attribute. The initial value of a
// file is what was first seen of it, if that was a read.
func (st *Story) History() ([]model.Op, map[string]checker.Value) {
	var ops []model.Op
	seq := map[int]int{}
	add := func(ob Observation, kind model.OpKind) *model.Op {
		seq[ob.Client]++
		op := model.Op{ID: len(ops), Actor: st.clientName(ob.Client), Seq: seq[ob.Client], Kind: kind, File: st.fileName(ob.File),
			Start: ob.Start, End: max(ob.End, ob.Start), Result: model.ResultOK, Attempts: 1}
		if !ob.OK {
			op.Result = "error"
		}
		ops = append(ops, op)
		return &ops[len(ops)-1]
	}
	init := map[string]checker.Value{}
	written := map[int]bool{}
	writes := 0
	for _, ob := range st.Observations {
		if ob.File < 0 || ob.Client < 0 || st.Files[ob.File].Dir {
			continue
		}
		switch ob.Kind {
		case "open":
			add(ob, model.OpOpen)
			fallthrough
		case "getattr", "cb-getattr":
			if !ob.HasSize {
				continue
			}
			if _, ok := init[st.fileName(ob.File)]; !ok && !written[ob.File] {
				init[st.fileName(ob.File)] = checker.Value{Size: int64(ob.Size)}
			}
			op := add(ob, model.OpStat)
			op.Size, op.Change = int64(ob.Size), ob.Change
		case "write", "setattr-size":
			writes++
			written[ob.File] = true
			op := add(ob, model.OpWrite)
			op.Size, op.Data = int64(ob.Size), model.DataValue(ob.Client+1, writes)
		case "close":
			add(ob, model.OpClose)
		case "commit":
			add(ob, model.OpFsync)
		}
	}
	return ops, init
}

// CheckHistory checks the history with the checker's close-to-open model
// (see checker.CheckLinearizability), giving up the search after timeout.
func (st *Story) CheckHistory(timeout time.Duration) checker.LinResult {
	ops, init := st.History()
	return checker.CheckLinearizability(ops, init, checker.CloseToOpen, timeout)
}
