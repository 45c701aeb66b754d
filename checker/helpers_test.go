package checker

import (
	"time"

	"github.com/delegsim/delegsim/model"
)

// Builders for hand-written histories. Times are in milliseconds; history
// numbers the operations and each actor's sequence in the order given.

func at(ms float64) model.Time { return model.Time(ms * float64(time.Millisecond)) }

func op(actor string, kind model.OpKind, start, end float64) model.Op {
	return model.Op{Actor: actor, Kind: kind, File: "f", Start: at(start), End: at(end), Result: model.ResultOK}
}

func write(actor string, start, end float64, v Value) model.Op {
	o := op(actor, model.OpWrite, start, end)
	o.Size, o.Data = v.Size, v.Data
	return o
}

// read is a data read (read, cat, nginx) that returned v.
func read(actor string, kind model.OpKind, start, end float64, v Value) model.Op {
	o := op(actor, kind, start, end)
	o.Bytes, o.Data = v.Size, v.Data
	return o
}

// stat is an attribute read (stat, lsattr, local-stat) that saw size.
func stat(actor string, kind model.OpKind, start, end float64, size int64) model.Op {
	o := op(actor, kind, start, end)
	o.Size = size
	return o
}

func open(actor string, start, end float64) model.Op   { return op(actor, model.OpOpen, start, end) }
func closeF(actor string, start, end float64) model.Op { return op(actor, model.OpClose, start, end) }
func fsync(actor string, start, end float64) model.Op  { return op(actor, model.OpFsync, start, end) }

// localWrite is a server-local open-write that replaced the contents with v.
func localWrite(actor string, start, end float64, v Value) model.Op {
	o := op(actor, model.OpOpenWrite, start, end)
	o.Size, o.Data = v.Size, v.Data
	return o
}

// change is an attribute read that saw change attribute ch (and size 0).
func change(actor string, kind model.OpKind, start, end float64, ch uint64) model.Op {
	o := op(actor, kind, start, end)
	o.Change = ch
	return o
}

func failed(o model.Op, result string) model.Op { o.Result = result; return o }

func attempts(o model.Op, n int) model.Op { o.Attempts = n; return o }

func on(file string, o model.Op) model.Op { o.File = file; return o }

func history(ops ...model.Op) []model.Op {
	seq := make(map[string]int)
	for i := range ops {
		seq[ops[i].Actor]++
		ops[i].ID, ops[i].Seq = i, seq[ops[i].Actor]
	}
	return ops
}

var (
	v0 = Value{}                                         // the empty initial file
	v1 = Value{Size: 65536, Data: model.DataValue(1, 2)} // c1's first write in most cases
	v2 = Value{Size: 131072, Data: model.DataValue(1, 3)}
	v3 = Value{Size: 4096, Data: model.DataValue(2, 2)}
)
