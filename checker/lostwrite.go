package checker

import (
	"fmt"
	"slices"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/sim"
)

// LostWrite is the name of the history invariant LostWrites checks.
const LostWrite = "no-lost-write"

// LostWrites checks, at the end of a run, that no acknowledged write was
// lost: every write(2) that returned ok, and every local open-write that
// wrote data, reached the server (held reports whether the server's file
// ever held given contents; see Monitor.Held), itself or through a later
// write of the same writer to the same file (a client writes back its
// latest page-cache contents, RFC 8881 §10.4.1).
//
// A write that has not reached the server is not lost, and is not
// reported, when
//   - its client still holds it in its page cache at the end of the run
//     (dirty pages the flusher will write back);
//   - its client crashed (EvCrash) at or after the write;
//   - the server revoked the client's delegation of the file (EvRevoke)
//     or expired the client (EvExpire) at or after the write: RFC 8881
//     §10.5 lets a client lose what it cached under a delegation the
//     server then revoked. A write made after the revocation is not
//     excused by it, even if the client had not yet heard: the Linux
//     client recovers its open state and writes such data again, and
//     when that fails only a later close or fsync tells the application;
//   - a later close(2) or fsync(2) of the file by the writer failed, which
//     is how an application learns of the loss.
//
// Each violation names the write and when the run ended.
func LostWrites(res *sim.Result, held func(file string, data uint64) bool) []InvariantViolation {
	ids := make(map[string]model.ActorID, len(res.Names))
	for i, n := range res.Names {
		ids[n] = model.ActorID(i)
	}
	fileIDs := make(map[string]model.FileID)
	if len(res.Actors) > 0 {
		if srv, ok := res.Actors[0].(*model.Server); ok {
			for i, f := range srv.Files() {
				fileIDs[f.Name] = model.FileID(i)
			}
		}
	}
	type key struct{ actor, file string }
	later := make(map[key][]model.Op) // the writer's successful writes to the file, in order
	var writes []model.Op
	for _, o := range res.Ops {
		if o.OK() && (o.Kind == model.OpWrite || (o.Kind == model.OpOpenWrite && o.Data != 0)) {
			writes = append(writes, o)
			later[key{o.Actor, o.File}] = append(later[key{o.Actor, o.File}], o)
		}
	}

	var out []InvariantViolation
	for _, w := range writes {
		ws := later[key{w.Actor, w.File}]
		i := slices.IndexFunc(ws, func(o model.Op) bool { return o.ID == w.ID })
		if slices.ContainsFunc(ws[i:], func(o model.Op) bool { return held(o.File, o.Data) }) {
			continue
		}
		id, known := ids[w.Actor]
		fid, fknown := fileIDs[w.File]
		if known && fknown && int(id) < len(res.Actors) {
			if c, ok := res.Actors[id].(*model.Client); ok && !c.Crashed() && c.Dirty(fid) {
				continue // still in the page cache
			}
		}
		if known && excused(res, w, id, fid, fknown) {
			continue
		}
		out = append(out, InvariantViolation{Invariant: LostWrite, At: res.End, Detail: fmt.Sprintf(
			"%s %s %s at %s (size %d, data=%s) returned ok but never reached the server, and no crash, revocation, client expiry or failed close/fsync was reported",
			w.Name(), w.Kind, w.File, fmtTime(w.Start), w.Size, DataName(w.Data))})
	}
	return out
}

// excused reports whether the run told the writer of w that w may be lost.
func excused(res *sim.Result, w model.Op, id model.ActorID, fid model.FileID, fknown bool) bool {
	for _, e := range res.Events {
		if e.At < w.Start {
			continue
		}
		sameFile := fknown && e.File == fid
		switch {
		case e.Kind == model.EvCrash && e.Actor == id,
			e.Kind == model.EvExpire && e.Client == id,
			e.Kind == model.EvRevoke && e.Client == id && sameFile:
			return true
		}
	}
	return slices.ContainsFunc(res.Ops, func(o model.Op) bool {
		return o.Actor == w.Actor && o.File == w.File && !o.OK() && o.Start >= w.End &&
			(o.Kind == model.OpClose || o.Kind == model.OpFsync)
	})
}
