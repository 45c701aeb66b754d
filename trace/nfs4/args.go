package nfs4

import "fmt"

// Argument decoders of the fore-channel operations (RFC 7530 §16,
// RFC 8881 §18, RFC 7862 §15, RFC 8276 §8). Every operation has one, so
// that any compound can be walked; the ones that carry delegation state
// keep what they read in Op.
var argDecoders = opTable{
	OpAccess: func(x *xdr, o *Op) { x.u32() },
	OpClose:  func(x *xdr, o *Op) { x.u32(); o.Stateid = x.stateid() },
	OpCommit: func(x *xdr, o *Op) { o.Offset = x.u64(); o.Count = x.u32() },
	OpCreate: func(x *xdr, o *Op) {
		switch t := x.u32(); t {
		case 5: // NF4LNK: linkdata
			x.opaque(1 << 16)
		case 3, 4: // NF4BLK, NF4CHR: specdata4
			x.skipN(2)
		}
		o.Name = x.str(1 << 12)
		o.Attrs = x.fattr()
	},
	OpDelegPurge:  func(x *xdr, o *Op) { o.ClientID = x.u64() },
	OpDelegReturn: func(x *xdr, o *Op) { o.Stateid = x.stateid() },
	OpGetattr:     func(x *xdr, o *Op) { o.Mask = x.bitmap() },
	OpGetFH:       nothing,
	OpLink:        func(x *xdr, o *Op) { o.Name = x.str(1 << 12) },
	OpLock: func(x *xdr, o *Op) {
		x.u32()            // locktype
		x.boolean()        // reclaim
		o.Offset = x.u64() // offset
		x.u64()            // length
		if x.boolean() {   // new_lock_owner: open_to_lock_owner4
			x.u32()                 // open_seqid
			o.Stateid = x.stateid() // open_stateid
			x.u32()                 // lock_seqid
			x.u64()                 // lock_owner4.clientid
			x.opaque(1024)          // lock_owner4.owner
		} else { // exist_lock_owner4
			o.Stateid = x.stateid()
			x.u32()
		}
	},
	OpLockT:    func(x *xdr, o *Op) { x.u32(); x.u64(); x.u64(); x.u64(); x.opaque(1024) },
	OpLockU:    func(x *xdr, o *Op) { x.u32(); x.u32(); o.Stateid = x.stateid(); x.u64(); x.u64() },
	OpLookup:   func(x *xdr, o *Op) { o.Name = x.str(1 << 12) },
	OpLookupP:  nothing,
	OpNVerify:  func(x *xdr, o *Op) { o.Attrs = x.fattr() },
	OpOpen:     openArgs,
	OpOpenAttr: func(x *xdr, o *Op) { x.boolean() },
	OpOpenConfirm: func(x *xdr, o *Op) {
		o.Stateid = x.stateid()
		x.u32()
	},
	OpOpenDowngrade: func(x *xdr, o *Op) { o.Stateid = x.stateid(); x.u32(); x.u32(); x.u32() },
	OpPutFH:         func(x *xdr, o *Op) { o.FH = x.fh() },
	OpPutPubFH:      nothing,
	OpPutRootFH:     nothing,
	OpRead:          func(x *xdr, o *Op) { o.Stateid = x.stateid(); o.Offset = x.u64(); o.Count = x.u32() },
	OpReadDir:       func(x *xdr, o *Op) { x.u64(); x.fixed(8); x.u32(); x.u32(); x.skipBitmap() },
	OpReadLink:      nothing,
	OpRemove:        func(x *xdr, o *Op) { o.Name = x.str(1 << 12) },
	OpRename:        func(x *xdr, o *Op) { o.Name = x.str(1 << 12); o.NewName = x.str(1 << 12) },
	OpRenew:         func(x *xdr, o *Op) { o.ClientID = x.u64() },
	OpRestoreFH:     nothing,
	OpSaveFH:        nothing,
	OpSecInfo:       func(x *xdr, o *Op) { o.Name = x.str(1 << 12) },
	OpSetattr:       func(x *xdr, o *Op) { o.Stateid = x.stateid(); o.Attrs = x.fattr() },
	OpSetClientID: func(x *xdr, o *Op) {
		c := x.a.clients.one()
		c.Verifier, c.Owner = x.verifier(), x.opaqueCopy(1024)
		c.CBProgram = x.u32()
		c.CBNetID = x.str(64)
		c.CBAddr = x.str(128)
		c.CBIdent = x.u32()
		o.Client = c
	},
	OpSetClientIDConfirm: func(x *xdr, o *Op) { o.ClientID = x.u64(); x.fixed(8) },
	OpVerify:             func(x *xdr, o *Op) { o.Attrs = x.fattr() },
	OpWrite: func(x *xdr, o *Op) {
		o.Stateid = x.stateid()
		o.Offset = x.u64()
		o.Stable = x.u32()
		o.Count = uint32(x.skipOpaque(1 << 30))
	},
	OpReleaseLockOwner: func(x *xdr, o *Op) { x.u64(); x.opaque(1024) },
	OpBackchannelCtl: func(x *xdr, o *Op) {
		o.Client = x.a.clients.one()
		o.Client.CBProgram = x.u32()
		x.arr(x.secParms)
	},
	OpBindConnToSession: func(x *xdr, o *Op) { copy(o.SessionID[:], x.fixed(16)); x.u32(); x.boolean() },
	OpExchangeID: func(x *xdr, o *Op) {
		c := x.a.clients.one()
		c.Verifier, c.Owner = x.verifier(), x.opaqueCopy(1024)
		c.Flags = x.u32()
		x.stateProtectArgs()
		x.arr(func() { // client_impl_id<1>: domain, name, date
			x.opaque(1024)
			c.ImplName = x.str(1024)
			x.time()
		})
		o.Client = c
	},
	OpCreateSession: func(x *xdr, o *Op) {
		o.ClientID = x.u64()
		c := x.a.clients.one()
		c.Sequence, c.Flags = x.u32(), x.u32()
		x.channelAttrs()
		x.channelAttrs()
		c.CBProgram = x.u32()
		x.arr(x.secParms)
		o.Client = c
	},
	OpDestroySession: func(x *xdr, o *Op) { copy(o.SessionID[:], x.fixed(16)) },
	OpFreeStateid:    func(x *xdr, o *Op) { o.Stateid = x.stateid() },
	OpGetDirDelegation: func(x *xdr, o *Op) {
		d := x.a.dirs.one()
		d.WillSign, d.Notify = x.boolean(), x.bitmap()
		x.time() // child_attr_delay
		x.time() // dir_attr_delay
		x.skipBitmap()
		x.skipBitmap()
		o.DirDeleg = d
	},
	OpGetDeviceInfo: func(x *xdr, o *Op) { x.fixed(16); x.u32(); x.u32(); x.skipBitmap() },
	OpGetDeviceList: func(x *xdr, o *Op) { x.u32(); x.u32(); x.u64(); x.fixed(8) },
	OpLayoutCommit: func(x *xdr, o *Op) {
		x.u64()
		x.u64()
		x.boolean()
		o.Stateid = x.stateid()
		x.optional(func() { x.u64() })  // newoffset4
		x.optional(func() { x.time() }) // newtime4
		x.u32()                         // layoutupdate4 type
		x.opaque(1 << 20)               // body
	},
	OpLayoutGet: func(x *xdr, o *Op) {
		x.boolean()
		x.u32()
		x.u32()
		x.u64()
		x.u64()
		x.u64()
		o.Stateid = x.stateid()
		x.u32()
	},
	OpLayoutReturn: func(x *xdr, o *Op) {
		x.boolean()       // reclaim
		x.u32()           // layout type
		x.u32()           // iomode
		if x.u32() == 1 { // LAYOUTRETURN4_FILE
			x.u64()
			x.u64()
			o.Stateid = x.stateid()
			x.opaque(1 << 20)
		}
	},
	OpSecInfoNoName: func(x *xdr, o *Op) { x.u32() },
	OpSequence: func(x *xdr, o *Op) {
		s := x.a.seqs.one()
		copy(s.SessionID[:], x.fixed(16))
		s.SequenceID, s.Slot, s.HighestSlot = x.u32(), x.u32(), x.u32()
		x.boolean() // cachethis
		o.Seq = s
	},
	OpSetSSV: func(x *xdr, o *Op) { x.opaque(1 << 16); x.opaque(1 << 16) },
	OpTestStateid: func(x *xdr, o *Op) {
		x.arr(func() { o.Stateids = append(o.Stateids, x.stateid()) })
	},
	OpWantDelegation: func(x *xdr, o *Op) {
		x.u32() // want
		if x.u32() == ClaimPrevious {
			x.u32()
		}
	},
	OpDestroyClientID: func(x *xdr, o *Op) { o.ClientID = x.u64() },
	OpReclaimComplete: func(x *xdr, o *Op) { x.boolean() },
	OpAllocate:        func(x *xdr, o *Op) { o.Stateid = x.stateid(); o.Offset = x.u64(); x.u64() },
	OpCopy: func(x *xdr, o *Op) {
		x.stateid()
		o.Stateid = x.stateid()
		x.u64()
		o.Offset = x.u64()
		x.u64()
		x.boolean()
		x.boolean()
		x.arr(x.netloc)
	},
	OpCopyNotify: func(x *xdr, o *Op) { o.Stateid = x.stateid(); x.netloc() },
	OpDeallocate: func(x *xdr, o *Op) { o.Stateid = x.stateid(); o.Offset = x.u64(); x.u64() },
	OpIOAdvise:   func(x *xdr, o *Op) { o.Stateid = x.stateid(); o.Offset = x.u64(); x.u64(); x.skipBitmap() },
	OpLayoutError: func(x *xdr, o *Op) {
		x.u64()
		x.u64()
		o.Stateid = x.stateid()
		x.arr(func() { x.fixed(16); x.u32(); x.u32() })
	},
	OpLayoutStats: func(x *xdr, o *Op) {
		x.u64()
		x.u64()
		o.Stateid = x.stateid()
		x.skipN(8)
		x.fixed(16)
		x.u32()
		x.opaque(1 << 20)
	},
	OpOffloadCancel: func(x *xdr, o *Op) { o.Stateid = x.stateid() },
	OpOffloadStatus: func(x *xdr, o *Op) { o.Stateid = x.stateid() },
	OpReadPlus:      func(x *xdr, o *Op) { o.Stateid = x.stateid(); o.Offset = x.u64(); o.Count = x.u32() },
	OpSeek:          func(x *xdr, o *Op) { o.Stateid = x.stateid(); o.Offset = x.u64(); x.u32() },
	OpWriteSame: func(x *xdr, o *Op) {
		o.Stateid = x.stateid()
		o.Stable = x.u32()
		// app_data_block4: offset, block_size, block_count, reloff_blocknum, block_num, reloff_pattern, pattern
		o.Offset = x.u64()
		x.u64()
		x.u64()
		x.u64()
		x.u32()
		x.u64()
		x.skipOpaque(1 << 30)
	},
	OpClone:       func(x *xdr, o *Op) { x.stateid(); o.Stateid = x.stateid(); x.u64(); o.Offset = x.u64(); x.u64() },
	OpGetXattr:    func(x *xdr, o *Op) { o.Name = x.str(1 << 12) },
	OpSetXattr:    func(x *xdr, o *Op) { x.u32(); o.Name = x.str(1 << 12); x.skipOpaque(1 << 30) },
	OpListXattrs:  func(x *xdr, o *Op) { x.u64(); x.u32() },
	OpRemoveXattr: func(x *xdr, o *Op) { o.Name = x.str(1 << 12) },
}

func nothing(*xdr, *Op) {}

// opTable maps an opcode to its decoder: an array, not a map, because
// it is consulted for every operation of every compound.
type opTable [OpRemoveXattr + 1]func(x *xdr, o *Op)

// of returns the decoder of code, nil for an unknown operation.
// OP_ILLEGAL and CB_ILLEGAL (both 10044) have no arguments or results
// beyond their status.
func (t *opTable) of(code Opcode) func(x *xdr, o *Op) {
	switch {
	case int(code) < len(t):
		return t[code]
	case code == OpIllegal:
		return nothing
	}
	return nil
}

// openArgs decodes OPEN4args (RFC 8881 §18.16.1).
func openArgs(x *xdr, o *Op) {
	a := x.a.opens.one()
	a.Seqid, a.ShareAccess, a.ShareDeny = x.u32(), x.u32(), x.u32()
	a.OwnerClient = x.u64()
	a.Owner = x.opaqueCopy(1024)
	if x.u32() == OpenCreate {
		a.Create = true
		a.CreateMode = x.u32()
		switch a.CreateMode {
		case CreateUnchecked, CreateGuarded:
			a.CreateAttrs = x.fattr()
		case CreateExclusive:
			x.fixed(8)
		case CreateExclusive4_1:
			x.fixed(8)
			a.CreateAttrs = x.fattr()
		default:
			x.fail(fmt.Errorf("%w: OPEN createmode %d", ErrBad, a.CreateMode))
		}
	}
	a.Claim = x.u32()
	switch a.Claim {
	case ClaimNull, ClaimDelegatePrev:
		o.Name = x.str(1 << 12)
	case ClaimPrevious:
		a.DelegType = x.u32()
	case ClaimDelegateCur:
		a.DelegState = x.stateid()
		o.Name = x.str(1 << 12)
	case ClaimDelegCurFH:
		a.DelegState = x.stateid()
	case ClaimFH, ClaimDelegPrevFH:
	default:
		x.fail(fmt.Errorf("%w: OPEN claim type %d", ErrBad, a.Claim))
	}
	o.Open = a
}

// secParms skips a callback_sec_parms4 (RFC 8881 §18.36.1).
func (x *xdr) secParms() {
	switch f := x.u32(); f {
	case 0: // AUTH_NONE
	case 1: // AUTH_SYS: stamp, machinename, uid, gid, gids<16>
		x.u32()
		x.opaque(255)
		x.u32()
		x.u32()
		x.arr(func() { x.u32() })
	case 6: // RPCSEC_GSS: service, handle from server, handle from client
		x.u32()
		x.opaque(1 << 16)
		x.opaque(1 << 16)
	default:
		x.fail(fmt.Errorf("%w: callback security flavor %d", ErrBad, f))
	}
}

// channelAttrs skips a channel_attrs4.
func (x *xdr) channelAttrs() {
	x.skipN(6)
	x.arr(func() { x.u32() })
}

// stateProtectOps skips a state_protect_ops4.
func (x *xdr) stateProtectOps() { x.skipBitmap(); x.skipBitmap() }

// stateProtectArgs skips a state_protect4_a (RFC 8881 §18.35.1).
func (x *xdr) stateProtectArgs() {
	switch h := x.u32(); h {
	case 0: // SP4_NONE
	case 1: // SP4_MACH_CRED
		x.stateProtectOps()
	case 2: // SP4_SSV
		x.stateProtectOps()
		x.arr(func() { x.opaque(1024) })
		x.arr(func() { x.opaque(1024) })
		x.u32()
		x.u32()
	default:
		x.fail(fmt.Errorf("%w: state protection %d", ErrBad, h))
	}
}

// netloc skips a netloc4 (RFC 7862 §15.2).
func (x *xdr) netloc() {
	switch t := x.u32(); t {
	case 1, 2: // NL4_NAME, NL4_URL
		x.opaque(1 << 12)
	case 3: // NL4_NETADDR
		x.opaque(64)
		x.opaque(128)
	default:
		x.fail(fmt.Errorf("%w: netloc type %d", ErrBad, t))
	}
}
