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
	index           int // in order of first appearance
	ops             []*regOp
	segments        int // see segment
	writes, reads   int
	failed, skipped int
}

// aside is an operation that is not in any register history, kept for the
// HTML visualisation.
type aside struct {
	op      *model.Op
	skipped bool // a read served from the writer's own cache
}

// buildHistories turns a run's history into per-file register histories
// under consistency model c, sorted by file name, plus the operations left
// aside. Every file that appears in ops has a fileHistory, possibly empty.
// The histories point into ops, which must not change.
func buildHistories(ops []model.Op, init map[string]Value, c Consistency) ([]*fileHistory, []aside) {
	ops = byInode(ops)
	var horizon model.Time              // after every operation: where unflushed writes end
	byActor := make(map[string][]int32) // indices in ops
	files := make(map[string]*fileHistory)
	// Each file is looked up once: fileOf is by operation, the per-file
	// tables below by index.
	fileOf := make([]int32, len(ops))
	var fileList []*fileHistory
	for i := range ops {
		o := &ops[i]
		horizon = max(horizon, o.End+1)
		byActor[o.Actor] = append(byActor[o.Actor], int32(i))
		fh := files[o.File]
		if fh == nil {
			fh = &fileHistory{file: o.File, index: len(fileList)}
			files[o.File] = fh
			fileList = append(fileList, fh)
		}
		fileOf[i] = int32(fh.index)
	}
	inits := make(map[string]*Value, len(files))
	for f := range files {
		v := init[f]
		inits[f] = &v
	}
	slots := make([]map[string]int, len(fileList)) // file -> writer -> slot
	slab := make([]regOp, 0, len(ops))             // every regOp, one allocation
	newReg := func(r regOp) *regOp {
		slab = append(slab, r)
		return &slab[len(slab)-1]
	}

	var asides []aside
	for _, actor := range slices.Sorted(maps.Keys(byActor)) {
		aops := byActor[actor]
		order := func(i, j int32) int {
			a, b := &ops[i], &ops[j]
			return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.ID, b.ID))
		}
		if !slices.IsSortedFunc(aops, order) {
			slices.SortStableFunc(aops, order)
		}
		unflushed := make([][]*regOp, len(fileList)) // file -> writes awaiting close or fsync
		opened := make([]*model.Op, len(fileList))   // file -> latest successful open
		nwrites := make([]int, len(fileList))        // file -> writes so far
		for _, i := range aops {
			o, f := &ops[i], fileOf[i]
			fh := fileList[f]
			if !o.OK() {
				fh.failed++
				asides = append(asides, aside{op: o})
				continue
			}
			switch {
			case isWrite(o):
				ws := slots[f]
				if ws == nil {
					ws = make(map[string]int)
					slots[f] = ws
				}
				slot, ok := ws[actor]
				if !ok {
					slot = len(ws)
					ws[actor] = slot
				}
				nwrites[f]++
				r := newReg(regOp{op: o, kind: regWrite, v: writtenValue(o), init: inits[fh.file], fileInit: inits[fh.file],
					start: o.Start, end: o.End, slot: slot, seq: nwrites[f]})
				if c == CloseToOpen && o.Kind == model.OpWrite {
					r.end = horizon
					unflushed[f] = append(unflushed[f], r)
				}
				fh.ops = append(fh.ops, r)
				fh.writes++
			case o.Kind.ReadsAttrs() || o.Kind.ReadsData():
				if c == CloseToOpen && len(unflushed[f]) > 0 {
					fh.skipped++
					asides = append(asides, aside{op: o, skipped: true})
					continue
				}
				r := newReg(regOp{op: o, kind: regReadData, v: Value{o.Bytes, o.Data}, init: inits[fh.file], fileInit: inits[fh.file],
					start: o.Start, end: o.End})
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
				if op := opened[f]; c == CloseToOpen && op != nil {
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
					opened[f] = o
				case model.OpClose, model.OpFsync:
					for _, w := range unflushed[f] {
						w.end, w.dueBy = o.End, o
					}
					unflushed[f] = nil
				}
				asides = append(asides, aside{op: o})
			}
		}
	}

	out := make([]*fileHistory, 0, len(files))
	for _, f := range slices.Sorted(maps.Keys(files)) {
		fh := files[f]
		n := len(slots[fh.index])
		for _, r := range fh.ops {
			if r.kind == regWrite {
				r.nslots = n
			}
		}
		slices.SortStableFunc(fh.ops, func(a, b *regOp) int {
			return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.op.ID, b.op.ID))
		})
		if segmentHistories {
			fh.segment(inits[f])
		} else {
			for _, r := range fh.ops {
				r.tracked = r.kind == regWrite
			}
		}
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

// minSegment is the fewest operations a segment has before it may be cut:
// porcupine runs each partition on a goroutine of its own, which costs
// more than a short search saves.
var minSegment = 256

// segmentHistories is false in tests that compare against unsegmented
// checks.
var segmentHistories = true

// segment cuts the file's register history (sorted by start) into
// segments that can be checked one by one: a cut falls before an
// operation that begins after every earlier one has ended (so every
// linearization puts all of them first) and when the register's value at
// that point is forced, because one write of the segment must come after
// all its other writes (or there is none). The next segment starts from
// that value. Checking a long history then costs the sum of its
// segments' costs: porcupine's memory grows with the square of a
// partition's length. A segment where one writer's writes overlap (under
// close-to-open, several writes before one close) keeps track of their
// program order (regOp.tracked); elsewhere a register's state is the write
// that set it.
func (fh *fileHistory) segment(init *Value) {
	seg, first := 0, 0
	var maxEnd model.Time
	var lastW *regOp         // the write that begins last in the segment
	var othersEnd model.Time // the latest end of the segment's other writes
	close := func(end int) {
		ops := fh.ops[first:end]
		ends := map[int]model.Time{}
		tracked := false
		for _, r := range ops {
			if r.kind != regWrite {
				continue
			}
			if e, ok := ends[r.slot]; ok && r.start <= e {
				tracked = true
			}
			ends[r.slot] = max(ends[r.slot], r.end)
		}
		for _, r := range ops {
			r.seg, r.init, r.tracked = seg, init, tracked && r.kind == regWrite
		}
		if lastW != nil {
			v := lastW.v
			init = &v
		}
	}
	for i, r := range fh.ops {
		if i-first >= minSegment && maxEnd < r.start && (lastW == nil || othersEnd < lastW.start) {
			close(i)
			seg, first, lastW, othersEnd = seg+1, i, nil, 0
		}
		maxEnd = max(maxEnd, r.end)
		if r.kind == regWrite {
			if lastW != nil {
				othersEnd = max(othersEnd, lastW.end)
			}
			lastW = r
		}
	}
	if len(fh.ops) > 0 {
		close(len(fh.ops))
	}
	fh.segments = seg + 1
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
