package nfs4

import "fmt"

// Attribute numbers the story reads (RFC 8881 §5.6–5.8, RFC 9754 §5).
const (
	AttrType           = 1
	AttrChange         = 3
	AttrSize           = 4
	AttrFileID         = 20
	AttrTimeAccess     = 47
	AttrTimeAccessSet  = 48
	AttrTimeMetadata   = 52
	AttrTimeModify     = 53
	AttrTimeModifySet  = 54
	AttrTimeDelegAcc   = 84
	AttrTimeDelegMod   = 85
	AttrOpenArguments  = 86
	lastKnownAttribute = AttrOpenArguments
)

// File types (nfs_ftype4).
const (
	TypeReg = 1
	TypeDir = 2
)

// Fattr is a decoded fattr4: the attributes the story needs, with Has
// saying which were present. Attributes are decoded in order up to the
// last one the decoder knows; Partial is set if the value list held an
// attribute it does not know (the rest of the list is then skipped: the
// list is length-prefixed, so the compound is not lost).
type Fattr struct {
	Mask   Bitmap
	Type   uint32
	Change uint64
	Size   uint64
	FileID uint64
	Atime  Time
	Mtime  Time
	Ctime  Time
	// Delegated timestamps (RFC 9754 §5.2) and settime4 values.
	DelegAtime, DelegMtime Time
	AtimeSet, MtimeSet     *Time // SET_TO_CLIENT_TIME4; nil for SET_TO_SERVER_TIME4 or absent
	Partial                int   // first attribute not decoded, 0 if all were
}

// Has reports whether attribute n is in the mask.
func (f *Fattr) Has(n int) bool { return f != nil && f.Mask.Has(n) }

// fattr decodes a fattr4 (bitmap4 attrmask; opaque attr_vals).
func (x *xdr) fattr() *Fattr {
	f := x.a.fattrs.one()
	f.Mask = x.bitmap()
	start := x.off + 4
	vals := x.opaque(1 << 20)
	if x.err != nil {
		return f
	}
	// Attribute values never hold a fattr4: one sub-reader serves.
	v := &x.a.sub
	*v = xdr{b: vals, cut: noCut, a: x.a}
	if x.cut < start+len(vals) {
		// Some of the values were cut off: say where.
		v.cut = max(0, x.cut-start)
	}
	for n := 0; n < 32*len(f.Mask); n++ {
		if !f.Mask.Has(n) {
			continue
		}
		if n > lastKnownAttribute || !v.attr(n, f) {
			f.Partial = n
			break
		}
		if v.err != nil {
			x.fail(fmt.Errorf("attribute %d: %w", n, v.err))
			return f
		}
	}
	x.cutHit = x.cutHit || v.cutHit
	return f
}

// attr decodes the value of attribute n; false if n is unknown.
func (v *xdr) attr(n int, f *Fattr) bool {
	switch n {
	case AttrType:
		f.Type = v.u32()
	case AttrChange:
		f.Change = v.u64()
	case AttrSize:
		f.Size = v.u64()
	case AttrFileID:
		f.FileID = v.u64()
	case AttrTimeAccess:
		f.Atime = v.time()
	case AttrTimeMetadata:
		f.Ctime = v.time()
	case AttrTimeModify:
		f.Mtime = v.time()
	case AttrTimeAccessSet:
		f.AtimeSet = v.settime()
	case AttrTimeModifySet:
		f.MtimeSet = v.settime()
	case AttrTimeDelegAcc:
		f.DelegAtime = v.time()
	case AttrTimeDelegMod:
		f.DelegMtime = v.time()
	default:
		if n >= len(attrSkip) || attrSkip[n] == nil {
			return false
		}
		skip := attrSkip[n]
		skip(v)
	}
	return true
}

func (v *xdr) settime() *Time {
	if v.u32() == 1 { // SET_TO_CLIENT_TIME4
		t := v.a.times.one()
		*t = v.time()
		return t
	}
	return nil
}

func u32s(n int) func(*xdr) { return func(x *xdr) { x.skipN(n) } }

func skipOpq(x *xdr) { x.opaque(1 << 20) }

func skipTime(x *xdr) { x.skipN(3) }

// pathname4: component4<>.
func skipPath(x *xdr) { x.arr(func() { skipOpq(x) }) }

// nfsace4: type, flag, access_mask, who.
func skipACE(x *xdr) { x.skipN(3); skipOpq(x) }

// attrSkip skips the values of the attributes whose value the story does
// not need, by type (RFC 8881 §5.6–5.8, RFC 7862 §12.2, RFC 8275, RFC 8276,
// RFC 9754).
var attrSkip = [lastKnownAttribute + 1]func(*xdr){
	0: (*xdr).skipBitmap,               // supported_attrs
	2: u32s(1),                         // fh_expire_type
	5: u32s(1), 6: u32s(1), 7: u32s(1), // link_support, symlink_support, named_attr
	8: u32s(4), 9: u32s(1), 10: u32s(1), 11: u32s(1), // fsid, unique_handles, lease_time, rdattr_error
	12: func(x *xdr) { x.arr(func() { skipACE(x) }) }, // acl
	13: u32s(1), 14: u32s(1), 15: u32s(1), 16: u32s(1), 17: u32s(1), 18: u32s(1),
	19: skipOpq,                           // filehandle
	21: u32s(2), 22: u32s(2), 23: u32s(2), // files_avail, files_free, files_total
	24: func(x *xdr) { // fs_locations: fs_root, locations<>{server<>, rootpath}
		skipPath(x)
		x.arr(func() { x.arr(func() { skipOpq(x) }); skipPath(x) })
	},
	25: u32s(1), 26: u32s(1), 27: u32s(2), 28: u32s(1), 29: u32s(1), 30: u32s(2), 31: u32s(2),
	32: skipOpq, 33: u32s(1), 34: u32s(1), 35: u32s(1), 36: skipOpq, 37: skipOpq, // mimetype .. owner_group
	38: u32s(2), 39: u32s(2), 40: u32s(2), 41: u32s(2), 42: u32s(2), 43: u32s(2), 44: u32s(2), 45: u32s(2),
	46: u32s(1), 49: skipTime, 50: skipTime, 51: skipTime, 55: u32s(2), 56: skipTime, 57: skipTime,
	58: func(x *xdr) { x.u32(); x.arr(func() { skipACE(x) }) },                       // dacl
	59: func(x *xdr) { x.u32(); x.arr(func() { skipACE(x) }) },                       // sacl
	60: u32s(4),                                                                      // change_policy
	61: func(x *xdr) { x.skipN(2); skipOpq(x); skipOpq(x); x.skipN(1); skipTime(x) }, // fs_status
	62: func(x *xdr) { x.arr(func() { x.u32() }) },                                   // fs_layout_type
	63: func(x *xdr) { x.u32(); skipOpq(x) },                                         // layout_hint
	64: func(x *xdr) { x.arr(func() { x.u32() }) },                                   // layout_type
	65: u32s(1), 66: u32s(1),
	67: func(x *xdr) { // fs_locations_info
		x.skipN(2)
		skipPath(x)
		x.arr(func() {
			x.arr(func() { x.u32(); skipOpq(x); skipOpq(x) })
			skipPath(x)
		})
	},
	68: func(x *xdr) { x.arr(func() { x.u32(); x.skipBitmap(); skipOpq(x) }) }, // mdsthreshold
	69: func(x *xdr) { x.skipN(2); x.arr(func() { skipTime(x) }) },             // retention_get
	70: func(x *xdr) { x.u32(); x.arr(func() { x.skipN(2) }) },                 // retention_set
	71: func(x *xdr) { x.skipN(2); x.arr(func() { skipTime(x) }) },
	72: func(x *xdr) { x.u32(); x.arr(func() { x.skipN(2) }) },
	73: u32s(2), 74: u32s(2), 75: (*xdr).skipBitmap, 76: u32s(1), // retention_hold .. fs_charset_cap
	77: u32s(1), 78: u32s(2), 79: u32s(1), // clone_blksize, space_freed, change_attr_type (RFC 7862)
	80: func(x *xdr) { x.skipN(2); skipOpq(x) }, // sec_label
	81: u32s(2),                                 // mode_umask (RFC 8275)
	82: u32s(1),                                 // xattr_support (RFC 8276)
	83: u32s(1),                                 // offline (RFC 9754)
	86: func(x *xdr) { // open_arguments (RFC 9754 §5.3): five bitmaps
		for range 5 {
			x.skipBitmap()
		}
	},
}
