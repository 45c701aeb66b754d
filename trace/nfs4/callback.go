package nfs4

import "fmt"

// Argument decoders of the callback operations (RFC 8881 §20, RFC 7862
// §16).
var cbArgDecoders = opTable{
	CBGetattr: func(x *xdr, o *Op) { o.FH = x.fh(); o.Mask = x.bitmap() },
	CBRecall: func(x *xdr, o *Op) {
		o.Stateid = x.stateid()
		o.Truncate = x.boolean()
		o.FH = x.fh()
	},
	CBLayoutRecall: func(x *xdr, o *Op) {
		x.u32() // layout type
		x.u32() // iomode
		x.boolean()
		switch t := x.u32(); t {
		case 1: // LAYOUTRECALL4_FILE
			o.FH = x.fh()
			x.u64()
			x.u64()
			o.Stateid = x.stateid()
		case 2: // LAYOUTRECALL4_FSID
			x.skipN(4)
		case 3: // LAYOUTRECALL4_ALL
		default:
			x.fail(fmt.Errorf("%w: layout recall type %d", ErrBad, t))
		}
	},
	CBNotify: func(x *xdr, o *Op) {
		o.Stateid = x.stateid()
		o.FH = x.fh()
		x.arr(func() { x.skipBitmap(); x.opaque(1 << 20) })
	},
	CBPushDeleg:          func(x *xdr, o *Op) { o.FH = x.fh(); o.Deleg = x.delegation() },
	CBRecallAny:          func(x *xdr, o *Op) { o.Keep = x.u32(); o.TypeMask = x.bitmap() },
	CBRecallableObjAvail: func(x *xdr, o *Op) { o.Keep = x.u32(); o.TypeMask = x.bitmap() },
	CBRecallSlot:         func(x *xdr, o *Op) { x.u32() },
	CBSequence: func(x *xdr, o *Op) {
		s := x.a.seqs.one()
		copy(s.SessionID[:], x.fixed(16))
		s.SequenceID, s.Slot, s.HighestSlot = x.u32(), x.u32(), x.u32()
		x.boolean() // cachethis
		// referring_call_list4<>: sessionid, referring_call4<>{seqid, slotid}
		x.arr(func() { x.fixed(16); x.arr(func() { x.skipN(2) }) })
		o.Seq = s
	},
	CBWantsCancelled: func(x *xdr, o *Op) { x.boolean(); x.boolean() },
	CBNotifyLock:     func(x *xdr, o *Op) { o.FH = x.fh(); x.u64(); x.opaque(1024) },
	CBNotifyDeviceID: func(x *xdr, o *Op) { x.arr(func() { x.skipBitmap(); x.opaque(1 << 20) }) },
	CBOffload: func(x *xdr, o *Op) {
		o.FH = x.fh()
		o.Stateid = x.stateid()
		if Status(x.u32()) == OK {
			x.writeResponse()
		} else {
			x.u64()
		}
	},
}

// Result decoders of the callback operations, for NFS4_OK.
var cbResDecoders = opTable{
	CBGetattr: func(x *xdr, o *Op) { o.Attrs = x.fattr() },
	CBRecall:  nothing, CBLayoutRecall: nothing, CBNotify: nothing, CBPushDeleg: nothing,
	CBRecallAny: nothing, CBRecallableObjAvail: nothing, CBRecallSlot: nothing,
	CBSequence: func(x *xdr, o *Op) {
		s := x.a.seqs.one()
		copy(s.SessionID[:], x.fixed(16))
		s.SequenceID, s.Slot, s.HighestSlot, s.TargetHighest = x.u32(), x.u32(), x.u32(), x.u32()
		o.Seq = s
	},
	CBWantsCancelled: nothing, CBNotifyLock: nothing, CBNotifyDeviceID: nothing, CBOffload: nothing,
}
