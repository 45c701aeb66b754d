package nfs4

import "fmt"

// Result decoders of the fore-channel operations, for NFS4_OK. An error
// status has a void body except where errBodies says otherwise.
var resDecoders = opTable{
	OpAccess:     func(x *xdr, o *Op) { x.u32(); x.u32() },
	OpClose:      func(x *xdr, o *Op) { o.Stateid = x.stateid() },
	OpCommit:     func(x *xdr, o *Op) { x.fixed(8) },
	OpCreate:     func(x *xdr, o *Op) { o.CInfo = x.changeInfo(); x.skipBitmap() },
	OpDelegPurge: nothing, OpDelegReturn: nothing,
	OpGetattr: func(x *xdr, o *Op) { o.Attrs = x.fattr() },
	OpGetFH:   func(x *xdr, o *Op) { o.FH = x.fh() },
	OpLink:    func(x *xdr, o *Op) { o.CInfo = x.changeInfo() },
	OpLock:    func(x *xdr, o *Op) { o.Stateid = x.stateid() },
	OpLockT:   nothing,
	OpLockU:   func(x *xdr, o *Op) { o.Stateid = x.stateid() },
	OpLookup:  nothing, OpLookupP: nothing, OpNVerify: nothing,
	OpOpen: func(x *xdr, o *Op) {
		o.Stateid = x.stateid()
		o.CInfo = x.changeInfo()
		o.OpenFlags = x.u32()
		x.skipBitmap() // attrset
		o.Deleg = x.delegation()
	},
	OpOpenAttr:      nothing,
	OpOpenConfirm:   func(x *xdr, o *Op) { o.Stateid = x.stateid() },
	OpOpenDowngrade: func(x *xdr, o *Op) { o.Stateid = x.stateid() },
	OpPutFH:         nothing, OpPutPubFH: nothing, OpPutRootFH: nothing,
	OpRead: func(x *xdr, o *Op) {
		o.EOF = x.boolean()
		o.Count = uint32(x.skipOpaque(1 << 30))
	},
	OpReadDir: func(x *xdr, o *Op) {
		x.fixed(8)                        // cookieverf
		for x.err == nil && x.boolean() { // entry4 *entries
			x.u64()
			x.opaque(1 << 12)
			x.fattr()
		}
		x.boolean() // eof
	},
	OpReadLink:  func(x *xdr, o *Op) { x.opaque(1 << 16) },
	OpRemove:    func(x *xdr, o *Op) { o.CInfo = x.changeInfo() },
	OpRename:    func(x *xdr, o *Op) { o.CInfo = x.changeInfo(); x.changeInfo() },
	OpRenew:     nothing,
	OpRestoreFH: nothing, OpSaveFH: nothing,
	OpSecInfo: secInfoRes, OpSecInfoNoName: secInfoRes,
	OpSetClientID:        func(x *xdr, o *Op) { o.ClientID = x.u64(); x.fixed(8) },
	OpSetClientIDConfirm: nothing,
	OpVerify:             nothing,
	OpWrite: func(x *xdr, o *Op) {
		o.Count = x.u32()
		o.Stable = x.u32()
		x.fixed(8)
	},
	OpReleaseLockOwner: nothing,
	OpBackchannelCtl:   nothing,
	OpBindConnToSession: func(x *xdr, o *Op) {
		copy(o.SessionID[:], x.fixed(16))
		x.u32()
		x.boolean()
	},
	OpExchangeID: func(x *xdr, o *Op) {
		o.ClientID = x.u64()
		x.u32() // sequenceid
		o.Client = x.a.clients.one()
		o.Client.Flags = x.u32()
		switch h := x.u32(); h { // state_protect4_r
		case 0:
		case 1:
			x.stateProtectOps()
		case 2: // ssv_prot_info4
			x.stateProtectOps()
			x.skipN(4)
			x.arr(func() { x.opaque(1 << 16) })
		default:
			x.fail(fmt.Errorf("%w: state protection %d", ErrBad, h))
		}
		x.u64()        // server_owner4 minor id
		x.opaque(1024) // major id
		x.opaque(1024) // server scope
		x.arr(func() { // server_impl_id<1>
			x.opaque(1024)
			o.Client.ImplName = x.str(1024)
			x.time()
		})
	},
	OpCreateSession: func(x *xdr, o *Op) {
		copy(o.SessionID[:], x.fixed(16))
		o.Client = x.a.clients.one()
		o.Client.Sequence, o.Client.Flags = x.u32(), x.u32()
		x.channelAttrs()
		x.channelAttrs()
	},
	OpDestroySession: nothing,
	OpFreeStateid:    nothing,
	OpGetDirDelegation: func(x *xdr, o *Op) {
		d := o.DirDeleg
		if d == nil {
			d = x.a.dirs.one()
			o.DirDeleg = d
		}
		d.Status = x.u32()
		switch d.Status {
		case 0: // GDD4_OK
			x.fixed(8) // cookieverf
			d.Stateid = x.stateid()
			d.Notify = x.bitmap()
			x.skipBitmap()
			x.skipBitmap()
		case 1: // GDD4_UNAVAIL
			d.WillSign = x.boolean()
		default:
			x.fail(fmt.Errorf("%w: GET_DIR_DELEGATION status %d", ErrBad, d.Status))
		}
	},
	OpGetDeviceInfo: func(x *xdr, o *Op) { x.u32(); x.opaque(1 << 20); x.skipBitmap() },
	OpGetDeviceList: func(x *xdr, o *Op) { x.u64(); x.fixed(8); x.arr(func() { x.fixed(16) }); x.boolean() },
	OpLayoutCommit:  func(x *xdr, o *Op) { x.optional(func() { x.u64() }) },
	OpLayoutGet: func(x *xdr, o *Op) {
		x.boolean()
		o.Stateid = x.stateid()
		x.arr(func() { x.u64(); x.u64(); x.u32(); x.u32(); x.opaque(1 << 20) })
	},
	OpLayoutReturn: func(x *xdr, o *Op) { x.optional(func() { o.Stateid = x.stateid() }) },
	OpSequence: func(x *xdr, o *Op) {
		s := x.a.seqs.one()
		copy(s.SessionID[:], x.fixed(16))
		s.SequenceID, s.Slot, s.HighestSlot, s.TargetHighest, s.Flags = x.u32(), x.u32(), x.u32(), x.u32(), x.u32()
		o.Seq = s
	},
	OpSetSSV: func(x *xdr, o *Op) { x.opaque(1 << 16) },
	OpTestStateid: func(x *xdr, o *Op) {
		x.arr(func() { o.Statuses = append(o.Statuses, Status(x.u32())) })
	},
	OpWantDelegation:  func(x *xdr, o *Op) { o.Deleg = x.delegation() },
	OpDestroyClientID: nothing, OpReclaimComplete: nothing, OpAllocate: nothing,
	OpCopy: func(x *xdr, o *Op) {
		x.writeResponse()
		x.boolean()
		x.boolean()
	},
	OpCopyNotify: func(x *xdr, o *Op) {
		x.time()
		o.Stateid = x.stateid()
		x.arr(x.netloc)
	},
	OpDeallocate:  nothing,
	OpIOAdvise:    func(x *xdr, o *Op) { x.skipBitmap() },
	OpLayoutError: nothing, OpLayoutStats: nothing, OpOffloadCancel: nothing,
	OpOffloadStatus: func(x *xdr, o *Op) { x.u64(); x.arr(func() { x.u32() }) },
	OpReadPlus: func(x *xdr, o *Op) {
		o.EOF = x.boolean()
		x.arr(func() {
			switch t := x.u32(); t {
			case 0: // NFS4_CONTENT_DATA
				x.u64()
				o.Count += uint32(x.skipOpaque(1 << 30))
			case 1: // NFS4_CONTENT_HOLE
				x.u64()
				x.u64()
			default:
				x.fail(fmt.Errorf("%w: READ_PLUS content type %d", ErrBad, t))
			}
		})
	},
	OpSeek:        func(x *xdr, o *Op) { o.EOF = x.boolean(); o.Offset = x.u64() },
	OpWriteSame:   func(x *xdr, o *Op) { x.writeResponse() },
	OpClone:       nothing,
	OpGetXattr:    func(x *xdr, o *Op) { x.skipOpaque(1 << 30) },
	OpSetXattr:    func(x *xdr, o *Op) { o.CInfo = x.changeInfo() },
	OpListXattrs:  func(x *xdr, o *Op) { x.u64(); x.arr(func() { x.opaque(1 << 12) }); x.boolean() },
	OpRemoveXattr: func(x *xdr, o *Op) { o.CInfo = x.changeInfo() },
}

// errBodies are the results that carry data with an error status.
var errBodies = map[Opcode]map[Status]func(x *xdr, o *Op){
	// LOCK4denied: offset, length, locktype, lock_owner4.
	OpLock:  {ErrDenied: lockDenied},
	OpLockT: {ErrDenied: lockDenied},
	// SETCLIENTID4resok's alternative: the clientaddr4 in use.
	OpSetClientID:   {ErrClidInUse: func(x *xdr, o *Op) { x.opaque(64); x.opaque(128) }},
	OpLayoutGet:     {ErrLayoutTryLater: func(x *xdr, o *Op) { x.boolean() }},
	OpGetDeviceInfo: {ErrTooSmall: func(x *xdr, o *Op) { x.u32() }},
	OpCopy:          {ErrOffloadNoReqs: func(x *xdr, o *Op) { x.boolean(); x.boolean() }},
}

// SETATTR's result always carries attrsset, whatever the status
// (RFC 8881 §18.30.2).
func setattrRes(x *xdr, o *Op) { o.Mask = x.bitmap() }

func lockDenied(x *xdr, o *Op) { x.u64(); x.u64(); x.u32(); x.u64(); x.opaque(1024) }

func secInfoRes(x *xdr, o *Op) {
	x.arr(func() {
		if x.u32() == 6 { // RPCSEC_GSS: oid, qop, service
			x.opaque(1024)
			x.u32()
			x.u32()
		}
	})
}

func (x *xdr) changeInfo() *ChangeInfo {
	c := x.a.cinfos.one()
	c.Atomic, c.Before, c.After = x.boolean(), x.u64(), x.u64()
	return c
}

// writeResponse skips a write_response4 (RFC 7862 §15.2).
func (x *xdr) writeResponse() {
	x.arr(func() { x.stateid() }) // callback id<1>
	x.u64()
	x.u32()
	x.fixed(8)
}

// delegation decodes an open_delegation4 (RFC 8881 §18.16.2, RFC 9754 §4).
func (x *xdr) delegation() *Delegation {
	d := x.a.delegs.one()
	d.Type = x.u32()
	switch d.Type {
	case DelegNone:
	case DelegRead, DelegReadAttrs:
		d.Stateid = x.stateid()
		d.Recall = x.boolean()
		skipACE(x)
	case DelegWrite, DelegWriteAttrs:
		d.Stateid = x.stateid()
		d.Recall = x.boolean()
		d.LimitBy = x.u32()
		switch d.LimitBy {
		case 1: // NFS_LIMIT_SIZE
			d.SizeLim = x.u64()
		case 2: // NFS_LIMIT_BLOCKS: num_blocks, bytes_per_block
			x.u32()
			x.u32()
		default:
			x.fail(fmt.Errorf("%w: space limit %d", ErrBad, d.LimitBy))
		}
		skipACE(x)
	case DelegNoneExt:
		d.Why = x.u32()
		// WND4_CONTENTION and WND4_RESOURCE carry a boolean
		// (ond_server_will_push_deleg / ond_server_will_signal_avail).
		if d.Why == 1 || d.Why == 2 {
			d.WillPush = x.boolean()
		}
	default:
		x.fail(fmt.Errorf("%w: delegation type %d", ErrBad, d.Type))
	}
	return d
}
