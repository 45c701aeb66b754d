package nfs4

import (
	"encoding/hex"
	"fmt"
	"hash/crc32"
)

// Programs and procedures (RFC 7530 §17, RFC 8881 §16 and §18.36).
const (
	Program          = 100003     // NFS
	Version          = 4          // NFSv4 (all minor versions)
	ProcNull         = 0          // NULL / CB_NULL
	ProcCompound     = 1          // COMPOUND / CB_COMPOUND
	CallbackProgram  = 0x40000000 // the Linux client's callback program number
	CallbackVersion0 = 1          // NFSv4.0 callback program version (RFC 7530 §16.33)
	CallbackVersion1 = 4          // NFSv4.1+ backchannel version (RFC 8881 §18.36)
	NFS4FHSize       = 128        // NFS4_FHSIZE
)

// Opcode is an NFSv4 operation number (RFC 8881 §16.2.1, RFC 7862 §11.2,
// RFC 8276 §8.2).
type Opcode uint32

// Fore-channel operations.
const (
	OpAccess             Opcode = 3
	OpClose              Opcode = 4
	OpCommit             Opcode = 5
	OpCreate             Opcode = 6
	OpDelegPurge         Opcode = 7
	OpDelegReturn        Opcode = 8
	OpGetattr            Opcode = 9
	OpGetFH              Opcode = 10
	OpLink               Opcode = 11
	OpLock               Opcode = 12
	OpLockT              Opcode = 13
	OpLockU              Opcode = 14
	OpLookup             Opcode = 15
	OpLookupP            Opcode = 16
	OpNVerify            Opcode = 17
	OpOpen               Opcode = 18
	OpOpenAttr           Opcode = 19
	OpOpenConfirm        Opcode = 20
	OpOpenDowngrade      Opcode = 21
	OpPutFH              Opcode = 22
	OpPutPubFH           Opcode = 23
	OpPutRootFH          Opcode = 24
	OpRead               Opcode = 25
	OpReadDir            Opcode = 26
	OpReadLink           Opcode = 27
	OpRemove             Opcode = 28
	OpRename             Opcode = 29
	OpRenew              Opcode = 30
	OpRestoreFH          Opcode = 31
	OpSaveFH             Opcode = 32
	OpSecInfo            Opcode = 33
	OpSetattr            Opcode = 34
	OpSetClientID        Opcode = 35
	OpSetClientIDConfirm Opcode = 36
	OpVerify             Opcode = 37
	OpWrite              Opcode = 38
	OpReleaseLockOwner   Opcode = 39
	OpBackchannelCtl     Opcode = 40
	OpBindConnToSession  Opcode = 41
	OpExchangeID         Opcode = 42
	OpCreateSession      Opcode = 43
	OpDestroySession     Opcode = 44
	OpFreeStateid        Opcode = 45
	OpGetDirDelegation   Opcode = 46
	OpGetDeviceInfo      Opcode = 47
	OpGetDeviceList      Opcode = 48
	OpLayoutCommit       Opcode = 49
	OpLayoutGet          Opcode = 50
	OpLayoutReturn       Opcode = 51
	OpSecInfoNoName      Opcode = 52
	OpSequence           Opcode = 53
	OpSetSSV             Opcode = 54
	OpTestStateid        Opcode = 55
	OpWantDelegation     Opcode = 56
	OpDestroyClientID    Opcode = 57
	OpReclaimComplete    Opcode = 58
	OpAllocate           Opcode = 59
	OpCopy               Opcode = 60
	OpCopyNotify         Opcode = 61
	OpDeallocate         Opcode = 62
	OpIOAdvise           Opcode = 63
	OpLayoutError        Opcode = 64
	OpLayoutStats        Opcode = 65
	OpOffloadCancel      Opcode = 66
	OpOffloadStatus      Opcode = 67
	OpReadPlus           Opcode = 68
	OpSeek               Opcode = 69
	OpWriteSame          Opcode = 70
	OpClone              Opcode = 71
	OpGetXattr           Opcode = 72
	OpSetXattr           Opcode = 73
	OpListXattrs         Opcode = 74
	OpRemoveXattr        Opcode = 75
	OpIllegal            Opcode = 10044
)

// Callback operations (RFC 8881 §20, RFC 7862 §16).
const (
	CBGetattr            Opcode = 3
	CBRecall             Opcode = 4
	CBLayoutRecall       Opcode = 5
	CBNotify             Opcode = 6
	CBPushDeleg          Opcode = 7
	CBRecallAny          Opcode = 8
	CBRecallableObjAvail Opcode = 9
	CBRecallSlot         Opcode = 10
	CBSequence           Opcode = 11
	CBWantsCancelled     Opcode = 12
	CBNotifyLock         Opcode = 13
	CBNotifyDeviceID     Opcode = 14
	CBOffload            Opcode = 15
	CBIllegal            Opcode = 10044
)

var foreNames = map[Opcode]string{
	OpAccess: "ACCESS", OpClose: "CLOSE", OpCommit: "COMMIT", OpCreate: "CREATE", OpDelegPurge: "DELEGPURGE",
	OpDelegReturn: "DELEGRETURN", OpGetattr: "GETATTR", OpGetFH: "GETFH", OpLink: "LINK", OpLock: "LOCK",
	OpLockT: "LOCKT", OpLockU: "LOCKU", OpLookup: "LOOKUP", OpLookupP: "LOOKUPP", OpNVerify: "NVERIFY",
	OpOpen: "OPEN", OpOpenAttr: "OPENATTR", OpOpenConfirm: "OPEN_CONFIRM", OpOpenDowngrade: "OPEN_DOWNGRADE",
	OpPutFH: "PUTFH", OpPutPubFH: "PUTPUBFH", OpPutRootFH: "PUTROOTFH", OpRead: "READ", OpReadDir: "READDIR",
	OpReadLink: "READLINK", OpRemove: "REMOVE", OpRename: "RENAME", OpRenew: "RENEW", OpRestoreFH: "RESTOREFH",
	OpSaveFH: "SAVEFH", OpSecInfo: "SECINFO", OpSetattr: "SETATTR", OpSetClientID: "SETCLIENTID",
	OpSetClientIDConfirm: "SETCLIENTID_CONFIRM", OpVerify: "VERIFY", OpWrite: "WRITE",
	OpReleaseLockOwner: "RELEASE_LOCKOWNER", OpBackchannelCtl: "BACKCHANNEL_CTL",
	OpBindConnToSession: "BIND_CONN_TO_SESSION", OpExchangeID: "EXCHANGE_ID", OpCreateSession: "CREATE_SESSION",
	OpDestroySession: "DESTROY_SESSION", OpFreeStateid: "FREE_STATEID", OpGetDirDelegation: "GET_DIR_DELEGATION",
	OpGetDeviceInfo: "GETDEVICEINFO", OpGetDeviceList: "GETDEVICELIST", OpLayoutCommit: "LAYOUTCOMMIT",
	OpLayoutGet: "LAYOUTGET", OpLayoutReturn: "LAYOUTRETURN", OpSecInfoNoName: "SECINFO_NO_NAME",
	OpSequence: "SEQUENCE", OpSetSSV: "SET_SSV", OpTestStateid: "TEST_STATEID", OpWantDelegation: "WANT_DELEGATION",
	OpDestroyClientID: "DESTROY_CLIENTID", OpReclaimComplete: "RECLAIM_COMPLETE", OpAllocate: "ALLOCATE",
	OpCopy: "COPY", OpCopyNotify: "COPY_NOTIFY", OpDeallocate: "DEALLOCATE", OpIOAdvise: "IO_ADVISE",
	OpLayoutError: "LAYOUTERROR", OpLayoutStats: "LAYOUTSTATS", OpOffloadCancel: "OFFLOAD_CANCEL",
	OpOffloadStatus: "OFFLOAD_STATUS", OpReadPlus: "READ_PLUS", OpSeek: "SEEK", OpWriteSame: "WRITE_SAME",
	OpClone: "CLONE", OpGetXattr: "GETXATTR", OpSetXattr: "SETXATTR", OpListXattrs: "LISTXATTRS",
	OpRemoveXattr: "REMOVEXATTR", OpIllegal: "ILLEGAL",
}

var cbNames = map[Opcode]string{
	CBGetattr: "CB_GETATTR", CBRecall: "CB_RECALL", CBLayoutRecall: "CB_LAYOUTRECALL", CBNotify: "CB_NOTIFY",
	CBPushDeleg: "CB_PUSH_DELEG", CBRecallAny: "CB_RECALL_ANY", CBRecallableObjAvail: "CB_RECALLABLE_OBJ_AVAIL",
	CBRecallSlot: "CB_RECALL_SLOT", CBSequence: "CB_SEQUENCE", CBWantsCancelled: "CB_WANTS_CANCELLED",
	CBNotifyLock: "CB_NOTIFY_LOCK", CBNotifyDeviceID: "CB_NOTIFY_DEVICEID", CBOffload: "CB_OFFLOAD",
	CBIllegal: "CB_ILLEGAL",
}

// OpName names a fore-channel (callback false) or callback operation.
func OpName(op Opcode, callback bool) string {
	names := foreNames
	if callback {
		names = cbNames
	}
	if n, ok := names[op]; ok {
		return n
	}
	if callback {
		return fmt.Sprintf("CB_OP_%d", uint32(op))
	}
	return fmt.Sprintf("OP_%d", uint32(op))
}

// Status is an nfsstat4 (RFC 8881 §15.1).
type Status uint32

// Statuses the story and the checks look at.
const (
	OK                 Status = 0
	ErrPerm            Status = 1
	ErrNoent           Status = 2
	ErrIO              Status = 5
	ErrAccess          Status = 13
	ErrExist           Status = 17
	ErrStale           Status = 70
	ErrBadHandle       Status = 10001
	ErrBadType         Status = 10007
	ErrDelay           Status = 10008
	ErrSame            Status = 10009
	ErrDenied          Status = 10010
	ErrExpired         Status = 10011
	ErrGrace           Status = 10013
	ErrOpenMode        Status = 10038
	ErrBadStateid      Status = 10025
	ErrBadSeqid        Status = 10026
	ErrNotSame         Status = 10027
	ErrStaleClientID   Status = 10022
	ErrStaleStateid    Status = 10023
	ErrOldStateid      Status = 10024
	ErrClidInUse       Status = 10017
	ErrResource        Status = 10018
	ErrNoGrace         Status = 10033
	ErrReclaimBad      Status = 10034
	ErrBadXDR          Status = 10036
	ErrLocksHeld       Status = 10037
	ErrAdminRevoked    Status = 10047
	ErrCBPathDown      Status = 10048
	ErrBadSession      Status = 10052
	ErrBadSlot         Status = 10053
	ErrConnNotBound    Status = 10055
	ErrDeadSession     Status = 10078
	ErrDelegRevoked    Status = 10087
	ErrSeqMisordered   Status = 10063
	ErrSeqFalseRetry   Status = 10076
	ErrRetryUncached   Status = 10068
	ErrOpNotInSession  Status = 10071
	ErrTooSmall        Status = 10005
	ErrLayoutTryLater  Status = 10058
	ErrOffloadNoReqs   Status = 10094
	ErrDirDelegUnavail Status = 10084
	ErrNotSupp         Status = 10004
)

var statusNames = map[Status]string{
	0: "NFS4_OK", 1: "NFS4ERR_PERM", 2: "NFS4ERR_NOENT", 5: "NFS4ERR_IO", 6: "NFS4ERR_NXIO", 13: "NFS4ERR_ACCESS",
	17: "NFS4ERR_EXIST", 18: "NFS4ERR_XDEV", 20: "NFS4ERR_NOTDIR", 21: "NFS4ERR_ISDIR", 22: "NFS4ERR_INVAL",
	27: "NFS4ERR_FBIG", 28: "NFS4ERR_NOSPC", 30: "NFS4ERR_ROFS", 31: "NFS4ERR_MLINK", 63: "NFS4ERR_NAMETOOLONG",
	66: "NFS4ERR_NOTEMPTY", 69: "NFS4ERR_DQUOT", 70: "NFS4ERR_STALE",
	10001: "NFS4ERR_BADHANDLE", 10003: "NFS4ERR_BAD_COOKIE", 10004: "NFS4ERR_NOTSUPP", 10005: "NFS4ERR_TOOSMALL",
	10006: "NFS4ERR_SERVERFAULT", 10007: "NFS4ERR_BADTYPE", 10008: "NFS4ERR_DELAY", 10009: "NFS4ERR_SAME",
	10010: "NFS4ERR_DENIED", 10011: "NFS4ERR_EXPIRED", 10012: "NFS4ERR_LOCKED", 10013: "NFS4ERR_GRACE",
	10014: "NFS4ERR_FHEXPIRED", 10015: "NFS4ERR_SHARE_DENIED", 10016: "NFS4ERR_WRONGSEC",
	10017: "NFS4ERR_CLID_INUSE", 10018: "NFS4ERR_RESOURCE", 10019: "NFS4ERR_MOVED", 10020: "NFS4ERR_NOFILEHANDLE",
	10021: "NFS4ERR_MINOR_VERS_MISMATCH", 10022: "NFS4ERR_STALE_CLIENTID", 10023: "NFS4ERR_STALE_STATEID",
	10024: "NFS4ERR_OLD_STATEID", 10025: "NFS4ERR_BAD_STATEID", 10026: "NFS4ERR_BAD_SEQID",
	10027: "NFS4ERR_NOT_SAME", 10028: "NFS4ERR_LOCK_RANGE", 10029: "NFS4ERR_SYMLINK", 10030: "NFS4ERR_RESTOREFH",
	10031: "NFS4ERR_LEASE_MOVED", 10032: "NFS4ERR_ATTRNOTSUPP", 10033: "NFS4ERR_NO_GRACE",
	10034: "NFS4ERR_RECLAIM_BAD", 10035: "NFS4ERR_RECLAIM_CONFLICT", 10036: "NFS4ERR_BADXDR",
	10037: "NFS4ERR_LOCKS_HELD", 10038: "NFS4ERR_OPENMODE", 10039: "NFS4ERR_BADOWNER", 10040: "NFS4ERR_BADCHAR",
	10041: "NFS4ERR_BADNAME", 10042: "NFS4ERR_BAD_RANGE", 10043: "NFS4ERR_LOCK_NOTSUPP", 10044: "NFS4ERR_OP_ILLEGAL",
	10045: "NFS4ERR_DEADLOCK", 10046: "NFS4ERR_FILE_OPEN", 10047: "NFS4ERR_ADMIN_REVOKED",
	10048: "NFS4ERR_CB_PATH_DOWN", 10049: "NFS4ERR_BADIOMODE", 10050: "NFS4ERR_BADLAYOUT",
	10051: "NFS4ERR_BAD_SESSION_DIGEST", 10052: "NFS4ERR_BADSESSION", 10053: "NFS4ERR_BADSLOT",
	10054: "NFS4ERR_COMPLETE_ALREADY", 10055: "NFS4ERR_CONN_NOT_BOUND_TO_SESSION", 10056: "NFS4ERR_DELEG_ALREADY_WANTED",
	10057: "NFS4ERR_BACK_CHAN_BUSY", 10058: "NFS4ERR_LAYOUTTRYLATER", 10059: "NFS4ERR_LAYOUTUNAVAILABLE",
	10060: "NFS4ERR_NOMATCHING_LAYOUT", 10061: "NFS4ERR_RECALLCONFLICT", 10062: "NFS4ERR_UNKNOWN_LAYOUTTYPE",
	10063: "NFS4ERR_SEQ_MISORDERED", 10064: "NFS4ERR_SEQUENCE_POS", 10065: "NFS4ERR_REQ_TOO_BIG",
	10066: "NFS4ERR_REP_TOO_BIG", 10067: "NFS4ERR_REP_TOO_BIG_TO_CACHE", 10068: "NFS4ERR_RETRY_UNCACHED_REP",
	10069: "NFS4ERR_UNSAFE_COMPOUND", 10070: "NFS4ERR_TOO_MANY_OPS", 10071: "NFS4ERR_OP_NOT_IN_SESSION",
	10072: "NFS4ERR_HASH_ALG_UNSUPP", 10074: "NFS4ERR_CLIENTID_BUSY", 10075: "NFS4ERR_PNFS_IO_HOLE",
	10076: "NFS4ERR_SEQ_FALSE_RETRY", 10077: "NFS4ERR_BAD_HIGH_SLOT", 10078: "NFS4ERR_DEADSESSION",
	10079: "NFS4ERR_ENCR_ALG_UNSUPP", 10080: "NFS4ERR_PNFS_NO_LAYOUT", 10081: "NFS4ERR_NOT_ONLY_OP",
	10082: "NFS4ERR_WRONG_CRED", 10083: "NFS4ERR_WRONG_TYPE", 10084: "NFS4ERR_DIRDELEG_UNAVAIL",
	10085: "NFS4ERR_REJECT_DELEG", 10086: "NFS4ERR_RETURNCONFLICT", 10087: "NFS4ERR_DELEG_REVOKED",
	10088: "NFS4ERR_PARTNER_NOTSUPP", 10089: "NFS4ERR_PARTNER_NO_AUTH", 10090: "NFS4ERR_UNION_NOTSUPP",
	10091: "NFS4ERR_OFFLOAD_DENIED", 10092: "NFS4ERR_WRONG_LFS", 10093: "NFS4ERR_BADLABEL",
	10094: "NFS4ERR_OFFLOAD_NO_REQS", 10095: "NFS4ERR_NOXATTR", 10096: "NFS4ERR_XATTR2BIG",
}

func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("NFS4ERR_%d", uint32(s))
}

// Stateid is a stateid4 (RFC 8881 §8.2).
type Stateid struct {
	Seqid uint32
	Other [12]byte
}

// IsZero reports the all-zero (anonymous) stateid: also what 7.2's
// open-XOR-delegation OPEN reply carries as its open stateid.
func (s Stateid) IsZero() bool { return s == Stateid{} }

// Key is the stateid's "other" field in hex, as Wireshark shows
// nfs.stateid.other: it names the state across seqid changes.
func (s Stateid) Key() string { return hex.EncodeToString(s.Other[:]) }

func (s Stateid) String() string { return fmt.Sprintf("%d:%s", s.Seqid, s.Key()) }

// Bitmap is a bitmap4.
type Bitmap []uint32

// Has reports whether bit n is set.
func (b Bitmap) Has(n int) bool { return n/32 < len(b) && b[n/32]&(1<<(n%32)) != 0 }

// FHKey names a file handle as Wireshark's nfs.fh.hash does: CRC-32 of
// its bytes.
func FHKey(fh []byte) string { return fmt.Sprintf("0x%08x", crc32.ChecksumIEEE(fh)) }

// Time is an nfstime4.
type Time struct {
	Sec  int64
	Nsec uint32
}

func (t Time) String() string { return fmt.Sprintf("%d.%09d", t.Sec, t.Nsec) }

// ChangeInfo is a change_info4.
type ChangeInfo struct {
	Atomic        bool
	Before, After uint64
}
