package nfs4

// Op is one operation of a COMPOUND or CB_COMPOUND, as called or as
// answered. Only the fields of its kind are set; the comment of each
// field lists the operations that set it.
type Op struct {
	Code     Opcode
	Callback bool   // a CB_COMPOUND operation
	Status   Status // results only

	// Stateid: CLOSE, OPEN_CONFIRM, OPEN_DOWNGRADE, DELEGRETURN, WRITE,
	// READ, SETATTR, FREE_STATEID, LOCKU, CB_RECALL, CLAIM_DELEG_CUR_FH
	// (OPEN) arguments; OPEN (the open stateid), CLOSE, OPEN_CONFIRM,
	// OPEN_DOWNGRADE, LOCK, LOCKU results.
	Stateid Stateid
	FH      []byte // PUTFH, CB_RECALL, CB_GETATTR arguments; GETFH result
	Name    string // LOOKUP, REMOVE, LINK, CREATE, SECINFO, OPEN (CLAIM_NULL, CLAIM_DELEGATE_CUR/PREV), RENAME source
	NewName string // RENAME target

	Offset uint64 // READ, WRITE, COMMIT, SEEK arguments
	Count  uint32 // READ, WRITE, COMMIT arguments; WRITE result (bytes written); READ result (bytes read)
	EOF    bool   // READ result
	Stable uint32 // WRITE argument (stable_how4) and result (committed)

	Mask     Bitmap      // GETATTR, CB_GETATTR arguments; SETATTR result (attrsset)
	Attrs    *Fattr      // GETATTR, CB_GETATTR results; SETATTR, VERIFY, NVERIFY, CREATE arguments
	Truncate bool        // CB_RECALL
	CInfo    *ChangeInfo // REMOVE, LINK, CREATE results; RENAME result (source directory)

	ClientID  uint64   // SETCLIENTID, EXCHANGE_ID results; SETCLIENTID_CONFIRM, RENEW, CREATE_SESSION, DESTROY_CLIENTID, DELEGPURGE arguments
	SessionID [16]byte // CREATE_SESSION result; DESTROY_SESSION, BIND_CONN_TO_SESSION arguments
	Seq       *Sequence
	Open      *OpenArgs
	Deleg     *Delegation // OPEN, WANT_DELEGATION, CB_PUSH_DELEG
	OpenFlags uint32      // OPEN result rflags
	Client    *ClientArgs // EXCHANGE_ID, SETCLIENTID, CREATE_SESSION, BACKCHANNEL_CTL arguments
	Stateids  []Stateid   // TEST_STATEID arguments
	Statuses  []Status    // TEST_STATEID results
	DirDeleg  *DirDeleg   // GET_DIR_DELEGATION
	Keep      uint32      // CB_RECALL_ANY objects_to_keep
	TypeMask  Bitmap      // CB_RECALL_ANY type mask
}

// OpName is the operation's name ("OPEN", "CB_RECALL").
func (o *Op) OpName() string { return OpName(o.Code, o.Callback) }

// Sequence is a SEQUENCE or CB_SEQUENCE argument or result (RFC 8881
// §18.46, §20.9).
type Sequence struct {
	SessionID   [16]byte
	SequenceID  uint32
	Slot        uint32
	HighestSlot uint32
	// Results only.
	TargetHighest uint32
	Flags         uint32 // SEQUENCE result sr_status_flags
}

// SEQUENCE status flags (RFC 8881 §18.46.3).
const (
	SeqCBPathDown              = 0x1
	SeqCBGSSExpiring           = 0x2
	SeqCBGSSExpired            = 0x4
	SeqExpiredAllStateRevoked  = 0x8
	SeqExpiredSomeStateRevoked = 0x10
	SeqAdminStateRevoked       = 0x20
	SeqRecallableStateRevoked  = 0x40
	SeqLeaseMoved              = 0x80
	SeqRestartReclaimNeeded    = 0x100
	SeqCBPathDownSession       = 0x200
	SeqBackchannelFault        = 0x400
	SeqDevidChanged            = 0x800
	SeqDevidDeleted            = 0x1000
)

var seqFlagNames = []struct {
	bit  uint32
	name string
}{
	{SeqCBPathDown, "CB_PATH_DOWN"}, {SeqCBGSSExpiring, "CB_GSS_CONTEXTS_EXPIRING"},
	{SeqCBGSSExpired, "CB_GSS_CONTEXTS_EXPIRED"}, {SeqExpiredAllStateRevoked, "EXPIRED_ALL_STATE_REVOKED"},
	{SeqExpiredSomeStateRevoked, "EXPIRED_SOME_STATE_REVOKED"}, {SeqAdminStateRevoked, "ADMIN_STATE_REVOKED"},
	{SeqRecallableStateRevoked, "RECALLABLE_STATE_REVOKED"}, {SeqLeaseMoved, "LEASE_MOVED"},
	{SeqRestartReclaimNeeded, "RESTART_RECLAIM_NEEDED"}, {SeqCBPathDownSession, "CB_PATH_DOWN_SESSION"},
	{SeqBackchannelFault, "BACKCHANNEL_FAULT"}, {SeqDevidChanged, "DEVID_CHANGED"}, {SeqDevidDeleted, "DEVID_DELETED"},
}

// SeqFlagNames names the SEQUENCE status flags set in f.
func SeqFlagNames(f uint32) []string {
	var out []string
	for _, n := range seqFlagNames {
		if f&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// OPEN share access, want flags (RFC 8881 §18.16.3, RFC 9754 §6) and
// claim types (§18.16.1).
const (
	ShareAccessRead  = 1
	ShareAccessWrite = 2
	ShareAccessBoth  = 3

	WantMask                = 0xff00
	WantReadDeleg           = 0x0100
	WantWriteDeleg          = 0x0200
	WantAnyDeleg            = 0x0300
	WantNoDeleg             = 0x0400
	WantCancel              = 0x0500
	WantSignalWhenAvail     = 0x10000
	WantPushWhenUncontended = 0x20000
	WantDelegTimestamps     = 0x100000
	WantOpenXORDelegation   = 0x200000

	ClaimNull          = 0
	ClaimPrevious      = 1
	ClaimDelegateCur   = 2
	ClaimDelegatePrev  = 3
	ClaimFH            = 4
	ClaimDelegCurFH    = 5
	ClaimDelegPrevFH   = 6
	OpenNoCreate       = 0
	OpenCreate         = 1
	CreateUnchecked    = 0
	CreateGuarded      = 1
	CreateExclusive    = 2
	CreateExclusive4_1 = 3

	ResultConfirm       = 0x2
	ResultLockPosix     = 0x4
	ResultPreserveUnlnk = 0x8
	ResultNoOpenStateid = 0x10 // open-XOR-delegation (RFC 9754 §7)
	ResultMayNotifyLock = 0x20
)

// OpenArgs are OPEN's arguments.
type OpenArgs struct {
	Seqid       uint32
	ShareAccess uint32 // access bits and want flags
	ShareDeny   uint32
	Owner       []byte
	OwnerClient uint64 // open_owner4 clientid (v4.0 names its client here)
	Create      bool
	CreateMode  uint32
	CreateAttrs *Fattr // UNCHECKED4/GUARDED4/EXCLUSIVE4_1
	Claim       uint32
	DelegType   uint32  // CLAIM_PREVIOUS
	DelegState  Stateid // CLAIM_DELEGATE_CUR, CLAIM_DELEG_CUR_FH
}

// Access returns the share access bits (read, write or both).
func (o *OpenArgs) Access() uint32 { return o.ShareAccess & 3 }

// Delegation types in OPEN results (RFC 8881 §18.16.3, RFC 9754 §4).
const (
	DelegNone       = 0
	DelegRead       = 1
	DelegWrite      = 2
	DelegNoneExt    = 3
	DelegReadAttrs  = 4 // OPEN_DELEGATE_READ_ATTRS_DELEG
	DelegWriteAttrs = 5 // OPEN_DELEGATE_WRITE_ATTRS_DELEG
)

// Why-no-delegation reasons (why_no_delegation4).
var whyNames = []string{"WND4_NOT_WANTED", "WND4_CONTENTION", "WND4_RESOURCE", "WND4_NOT_SUPP_FTYPE",
	"WND4_WRITE_DELEG_NOT_SUPP_FTYPE", "WND4_NOT_SUPP_UPGRADE", "WND4_NOT_SUPP_DOWNGRADE", "WND4_CANCELLED",
	"WND4_IS_DIR"}

// Delegation is an open_delegation4.
type Delegation struct {
	Type    uint32
	Stateid Stateid
	Recall  bool // the server may recall at once
	// Write delegations: nfs_space_limit4.
	LimitBy  uint32
	SizeLim  uint64
	Why      uint32 // NONE_EXT
	WillPush bool   // NONE_EXT with WND4_CONTENTION / WND4_RESOURCE
}

// TypeName names the delegation type as the RFCs do.
func (d *Delegation) TypeName() string { return DelegTypeName(d.Type) }

// DelegTypeName names an open_delegation_type4.
func DelegTypeName(t uint32) string {
	switch t {
	case DelegNone:
		return "NONE"
	case DelegRead:
		return "READ"
	case DelegWrite:
		return "WRITE"
	case DelegNoneExt:
		return "NONE_EXT"
	case DelegReadAttrs:
		return "READ_ATTRS_DELEG"
	case DelegWriteAttrs:
		return "WRITE_ATTRS_DELEG"
	}
	return "DELEG_TYPE_" + itoa(t)
}

// WhyName names a NONE_EXT reason.
func (d *Delegation) WhyName() string {
	if int(d.Why) < len(whyNames) {
		return whyNames[d.Why]
	}
	return "WND4_" + itoa(d.Why)
}

// Granted reports whether a delegation (of any type) was granted.
func (d *Delegation) Granted() bool { return d != nil && d.Type != DelegNone && d.Type != DelegNoneExt }

// ClientArgs are what EXCHANGE_ID, SETCLIENTID, CREATE_SESSION and
// BACKCHANNEL_CTL say about a client and its callback path.
type ClientArgs struct {
	Owner     []byte // co_ownerid / nfs_client_id4.id
	Verifier  [8]byte
	CBProgram uint32
	CBNetID   string // SETCLIENTID r_netid
	CBAddr    string // SETCLIENTID r_addr (universal address)
	CBIdent   uint32 // SETCLIENTID callback_ident
	Sequence  uint32 // CREATE_SESSION csa_sequence
	Flags     uint32 // EXCHANGE_ID / CREATE_SESSION flags
	ImplName  string // EXCHANGE_ID client_impl_id name
}

// DirDeleg is GET_DIR_DELEGATION's result (RFC 8881 §18.39).
type DirDeleg struct {
	Status   uint32 // gddrnf_status: 0 GDD4_OK, 1 GDD4_UNAVAIL
	Stateid  Stateid
	Notify   Bitmap
	WillSign bool
}

func itoa(v uint32) string {
	var b [10]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}
