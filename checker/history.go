package checker

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/delegsim/delegsim/model"
)

// fileHistory is the register history of one file, with the counts of the
// file's operations that were left out of it.
type fileHistory struct {
	file            string
	ops             []*regOp
	writes, reads   int
	failed, skipped int
}

// aside is an operation that is not in any register history, kept for the
// HTML visualisation.
type aside struct {
	op      model.Op
	skipped bool // a read served from the writer's own cache
}

// buildHistories turns a run's history into per-file register histories
// under consistency model c, sorted by file name, plus the operations left
// aside. Every file that appears in ops has a fileHistory, possibly empty.
func buildHistories(ops []model.Op, init map[string]Value, c Consistency) ([]*fileHistory, []aside) {
	ops = byInode(ops)
	var horizon model.Time // after every operation: where unflushed writes end
	byActor := make(map[string][]model.Op)
	files := make(map[string]*fileHistory)
	for _, o := range ops {
		horizon = max(horizon, o.End+1)
		byActor[o.Actor] = append(byActor[o.Actor], o)
		if files[o.File] == nil {
			files[o.File] = &fileHistory{file: o.File}
		}
	}
	inits := make(map[string]*Value, len(files))
	for f := range files {
		v := init[f]
		inits[f] = &v
	}
	slots := make(map[string]map[string]int) // file -> writer -> slot

	var asides []aside
	for _, actor := range slices.Sorted(maps.Keys(byActor)) {
		aops := byActor[actor]
		slices.SortStableFunc(aops, func(a, b model.Op) int {
			return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.ID, b.ID))
		})
		unflushed := make(map[string][]*regOp) // file -> writes awaiting close or fsync
		opened := make(map[string]*model.Op)   // file -> latest successful open
		nwrites := make(map[string]int)        // file -> writes so far
		for i := range aops {
			o := &aops[i]
			fh := files[o.File]
			if !o.OK() {
				fh.failed++
				asides = append(asides, aside{op: *o})
				continue
			}
			switch {
			case isWrite(o):
				ws := slots[o.File]
				if ws == nil {
					ws = make(map[string]int)
					slots[o.File] = ws
				}
				slot, ok := ws[actor]
				if !ok {
					slot = len(ws)
					ws[actor] = slot
				}
				nwrites[o.File]++
				r := &regOp{op: *o, kind: regWrite, v: writtenValue(o), init: inits[o.File],
					start: o.Start, end: o.End, slot: slot, seq: nwrites[o.File]}
				if c == CloseToOpen && o.Kind == model.OpWrite {
					r.end = horizon
					unflushed[o.File] = append(unflushed[o.File], r)
				}
				fh.ops = append(fh.ops, r)
				fh.writes++
			case o.Kind.ReadsAttrs() || o.Kind.ReadsData():
				if c == CloseToOpen && len(unflushed[o.File]) > 0 {
					fh.skipped++
					asides = append(asides, aside{op: *o, skipped: true})
					continue
				}
				r := &regOp{op: *o, kind: regReadData, v: Value{o.Bytes, o.Data}, init: inits[o.File],
					start: o.Start, end: o.End}
				if o.Kind.ReadsAttrs() {
					r.kind, r.v = regReadAttrs, Value{Size: o.Size}
				}
				if o.Kind == model.OpLsattr && o.Attempts <= 1 {
					// lsattr reports what its stat() saw, and the stat is
					// the first thing it does (e2fsprogs misc/lsattr.c
					// list_attributes: lstat, then fgetflags' open and
					// ioctl); the server answers it at once. After a
					// retry the last attempt's stat is at an unknown
					// point of the operation, so the whole interval is
					// kept.
					r.end = o.Start
				}
				if op := opened[o.File]; c == CloseToOpen && op != nil {
					r.start, r.opened = op.Start, op
				}
				if c == CloseToOpen && o.FromCache {
					// Attributes from the client's attribute cache: NFS
					// promises them as of when they were fetched.
					r.start = min(r.start, o.AttrsAt)
				}
				fh.ops = append(fh.ops, r)
				fh.reads++
			default:
				switch o.Kind {
				case model.OpOpen:
					opened[o.File] = o
				case model.OpClose, model.OpFsync:
					for _, w := range unflushed[o.File] {
						w.end, w.dueBy = o.End, o
					}
					unflushed[o.File] = nil
				}
				asides = append(asides, aside{op: *o})
			}
		}
	}

	out := make([]*fileHistory, 0, len(files))
	for _, f := range slices.Sorted(maps.Keys(files)) {
		fh := files[f]
		n := len(slots[f])
		for _, r := range fh.ops {
			if r.kind == regWrite {
				r.nslots = n
			}
		}
		slices.SortStableFunc(fh.ops, func(a, b *regOp) int {
			return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.op.ID, b.op.ID))
		})
		out = append(out, fh)
	}
	slices.SortStableFunc(asides, func(a, b aside) int { return cmp.Compare(a.op.Start, b.op.Start) })
	return out, asides
}

// isWrite reports whether a successful operation sets the file's register:
// a client's write(2) (into its page cache: it reaches the server later), a
// server-local open-write that writes data (O_TRUNC then write: the server's
// file changes before the call returns), a truncation (a local truncate, a
// client's SETATTR of size: what it left is the new contents), or a
// removal, which leaves the
// empty file a later create finds (nfsd's and the VFS's unlink drop the
// contents; the model's create starts from size 0, data 0).
func isWrite(o *model.Op) bool {
	switch o.Kind {
	case model.OpWrite, model.OpRemove, model.OpUnlink, model.OpTruncate:
		return true
	case model.OpOpenWrite:
		return o.Data != 0
	case model.OpSetattr:
		return o.Sets&model.AttrSize != 0
	}
	return false
}

// writtenValue is the value a writing operation leaves in the register.
func writtenValue(o *model.Op) Value {
	switch o.Kind {
	case model.OpRemove, model.OpUnlink:
		return Value{}
	}
	return Value{o.Size, o.Data}
}

// byInode renames each operation's file to the file it reached: a link
// gives a file a second name and a rename over a name moves the file to
// it, so registers follow files, not names. Names are resolved in the
// order the operations returned; a name a rename moved away from is a new,
// empty file ("f#1") until something creates it.
func byInode(ops []model.Op) []model.Op {
	if !slices.ContainsFunc(ops, func(o model.Op) bool { return o.Target != "" && o.OK() }) {
		return ops
	}
	out := slices.Clone(ops)
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(out[a].End, out[b].End), cmp.Compare(out[a].ID, out[b].ID))
	})
	names := map[string]string{}
	key := func(n string) string {
		if k, ok := names[n]; ok {
			return k
		}
		return n
	}
	fresh := 0
	for _, i := range order {
		o := &out[i]
		f := key(o.File)
		if o.OK() && o.Target != "" {
			switch o.Kind {
			case model.OpLink, model.OpLocalLink:
				names[o.Target] = f
			case model.OpRename, model.OpLocalRename:
				names[o.Target] = f
				fresh++
				names[o.File] = fmt.Sprintf("%s#%d", o.File, fresh)
			}
		}
		o.File = f
	}
	return out
}
