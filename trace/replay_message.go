package trace

import (
	"fmt"
	"time"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/trace/nfs4"
)

// message is the model request for exchange e, if the model has one.
func (r *replay) message(e *Exchange) (model.Message, bool) {
	if e.Call == nil {
		return model.Message{}, false
	}
	f := r.fileOf(r.touches)
	id, inTable := r.files[f]
	switch e.Name() {
	case "OPEN":
		if !inTable {
			return model.Message{}, false
		}
		return r.open(e, id)
	case "OPEN_CONFIRM":
		return model.Message{Kind: model.MsgOpenConfirm, File: id}, inTable
	case "CLOSE":
		return model.Message{Kind: model.MsgClose, File: id, Stateid: r.openIDs[[2]int{e.Client, f}]}, inTable
	case "WRITE":
		op := e.Call.Find(nfs4.OpWrite)
		end := int64(op.Offset) + int64(op.Count)
		r.sizes[f] = max(r.sizes[f], end)
		r.data++
		// Under open-XOR-delegation the client writes with its
		// delegation stateid: there is no open stateid.
		sid := r.openIDs[[2]int{e.Client, f}]
		if d, ok := r.delegIDs[op.Stateid.Key()]; ok {
			sid = d
		}
		return model.Message{Kind: model.MsgWrite, File: id, Stateid: sid, Size: r.sizes[f], Data: r.data, Bytes: int64(op.Count)}, inTable
	case "COMMIT":
		return model.Message{Kind: model.MsgCommit, File: id}, inTable
	case "GETATTR", "LOOKUP":
		if !inTable || !hasGetattr(e) {
			return model.Message{}, false
		}
		return model.Message{Kind: model.MsgGetattr, File: id}, true
	case "SETATTR":
		return model.Message{Kind: model.MsgSetattr, File: id}, inTable
	case "REMOVE":
		return model.Message{Kind: model.MsgRemove, File: id}, inTable
	case "RENAME":
		return model.Message{Kind: model.MsgRename, File: id}, inTable
	case "READ":
		return model.Message{Kind: model.MsgRead, File: id}, inTable
	case "DELEGRETURN":
		return r.delegReturn(e, id)
	case "GET_DIR_DELEGATION":
		r.skip(e, "GET_DIR_DELEGATION: the model has no directory delegations; the 7.x client asks for one on the parent directory after a recall, and its grant and return are not compared")
	case "SEQUENCE", "RENEW":
		return model.Message{Kind: model.MsgRenew}, true
	case "SETCLIENTID_CONFIRM":
		// The v4.0 client (re-)establishes its callback path: nfsd
		// probes it with CB_NULL (nfsd4_setclientid_confirm →
		// nfsd4_probe_callback).
		return model.Message{Kind: model.MsgSetclientid}, true
	case "CREATE_SESSION":
		// A new session's backchannel: nfsd marks the callback path up
		// and restarts callbacks waiting on a faulty one
		// (nfsd4_create_session → nfsd4_probe_callback).
		return model.Message{Kind: model.MsgCreateSession}, true
	case "BIND_CONN_TO_SESSION":
		return model.Message{Kind: model.MsgBindConn}, true
	}
	return model.Message{}, false
}

// renewalOf is the lease renewal a v4.1+ compound the model has no
// request for still makes: its SEQUENCE renews the lease
// (nfsd4_sequence), and the reply's status flags say how the callback
// path is. A SEQUENCE the real server refused (NFS4ERR_BADSESSION after
// a session was destroyed, ...) renewed nothing; the model has no
// sessions, so it is left out.
func (r *replay) renewalOf(e *Exchange) (model.Message, bool) {
	if e.Call == nil || e.Call.Find(nfs4.OpSequence) == nil {
		return model.Message{}, false
	}
	if e.Reply != nil {
		if s := e.Reply.Find(nfs4.OpSequence); s == nil || s.Status != nfs4.OK {
			r.skip(e, fmt.Sprintf("%s: its SEQUENCE was answered %s; the model has no sessions", e.Name(), e.Status()))
			return model.Message{}, false
		}
	}
	return model.Message{Kind: model.MsgRenew}, true
}

// open maps an OPEN: share access, O_CREAT and exclusive create, the want
// flags of RFC 9754 (delegated timestamps, open-XOR-delegation) that a
// 7.x client sets whenever the server advertises them, and
// CLAIM_DELEG_CUR_FH, the holder turning an open it made locally under
// its delegation into server open state (nfs4_open_delegation_recall).
func (r *replay) open(e *Exchange, id model.FileID) (model.Message, bool) {
	op := e.Call.Find(nfs4.OpOpen)
	if op == nil || op.Open == nil {
		return model.Message{}, false
	}
	a := op.Open
	m := model.Message{Kind: model.MsgOpen, File: id, Access: model.Access(a.Access()), Create: a.Create,
		Excl: a.Create && (a.CreateMode == nfs4.CreateExclusive || a.CreateMode == nfs4.CreateExclusive4_1)}
	if a.ShareAccess&nfs4.WantDelegTimestamps != 0 {
		m.Flags |= model.FlagWantTimes
	}
	if a.ShareAccess&nfs4.WantOpenXORDelegation != 0 {
		m.Flags |= model.FlagWantXor
	}
	switch a.Claim {
	case nfs4.ClaimDelegCurFH, nfs4.ClaimDelegateCur:
		d, ok := r.delegIDs[a.DelegState.Key()]
		if !ok {
			r.skip(e, "OPEN claiming a delegation (CLAIM_DELEG_CUR_FH) the model did not grant")
			return model.Message{}, false
		}
		m.Flags |= model.FlagClaimDelegCur
		m.Stateid = d
	}
	return m, true
}

// delegReturn maps a DELEGRETURN, with the delegated mtime of a SETATTR
// before it in the compound (the 7.x client settles the times it owns
// before it returns a *_ATTRS_DELEG delegation).
func (r *replay) delegReturn(e *Exchange, id model.FileID) (model.Message, bool) {
	op := e.Call.Find(nfs4.OpDelegReturn)
	key := op.Stateid.Key()
	d, ok := r.delegIDs[key]
	if !ok {
		switch {
		case r.notGrant[key]:
			r.skip(e, "DELEGRETURN of a delegation the model did not grant (see the OPEN's divergence)")
		case r.directoryDeleg(key):
			r.skip(e, "DELEGRETURN of a directory delegation (GET_DIR_DELEGATION): the model has no directory delegations")
		}
		return model.Message{}, false
	}
	m := model.Message{Kind: model.MsgDelegReturn, File: id, Stateid: d}
	if t, ok := delegatedMtime(e.Call); ok {
		m.Flags |= model.FlagSetattrTimes
		m.Mtime = r.captureTime(t)
	}
	return m, true
}

// delegatedMtime returns the time_deleg_modify a SETATTR before
// DELEGRETURN in compound c sets (RFC 9754 §5.2).
func delegatedMtime(c *nfs4.Compound) (nfs4.Time, bool) {
	for i := range c.Ops {
		op := &c.Ops[i]
		switch {
		case op.Code == nfs4.OpDelegReturn:
			return nfs4.Time{}, false
		case op.Code == nfs4.OpSetattr && op.Attrs.Has(nfs4.AttrTimeDelegMod):
			return op.Attrs.DelegMtime, true
		}
	}
	return nfs4.Time{}, false
}

// captureTime maps a wall-clock time in an attribute to the replay's
// clock, the time since the capture's first packet. The client stamps
// delegated times with its own clock; nfsd clamps one in its future to
// its present (nfsd4_vet_deleg_time), as the model does.
func (r *replay) captureTime(t nfs4.Time) time.Duration {
	return time.Unix(t.Sec, int64(t.Nsec)).Sub(r.c.Start)
}

func (r *replay) directoryDeleg(stateid string) bool {
	for _, d := range r.st.Delegations {
		if d.Stateid == stateid && d.Type == "DIRECTORY" {
			return true
		}
	}
	return false
}

// skip notes a request that is not replayed, and why.
func (r *replay) skip(e *Exchange, why string) {
	r.res.Skipped = append(r.res.Skipped, fmt.Sprintf("frame %d: %s", e.CallFrame, why))
}

// fileOf is the model-table file an exchange that touches files as ts
// do is about (the first in the story's order), -1 if none.
func (r *replay) fileOf(ts []touch) int {
	best := -1
	consider := func(f int) {
		if _, ok := r.files[f]; ok && (best < 0 || f < best) && r.x.concerns(ts, f) {
			best = f
		}
	}
	for _, t := range ts {
		switch t.kind {
		case touchFH:
			if f, ok := r.x.files[t.fh]; ok {
				consider(f)
			}
		case touchEntry:
			if f, ok := r.x.names[t.name]; ok {
				consider(f)
			}
		case touchOpenName:
			for _, f := range r.byName[t.name] {
				consider(f)
			}
		}
	}
	return best
}

// modelStatus maps an NFS status to the model's.
func modelStatus(s nfs4.Status) model.Status {
	switch s {
	case nfs4.OK:
		return model.StatusOK
	case nfs4.ErrDelay:
		return model.NFS4ErrDelay
	case nfs4.ErrNoent:
		return model.NFS4ErrNoent
	case nfs4.ErrExist:
		return model.NFS4ErrExist
	case nfs4.ErrBadStateid:
		return model.NFS4ErrBadStateid
	case nfs4.ErrBadHandle:
		return model.NFS4ErrBadHandle
	case nfs4.ErrExpired:
		return model.NFS4ErrExpired
	case nfs4.ErrOpenMode:
		return model.NFS4ErrOpenMode
	case nfs4.ErrCBPathDown:
		return model.NFS4ErrCBPathDown
	}
	return model.ErrEINVAL
}
