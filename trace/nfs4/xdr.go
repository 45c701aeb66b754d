package nfs4

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrShort is wrapped by decode errors for data that ends before the XDR
// it should hold.
var ErrShort = errors.New("XDR data ends early")

// ErrCut is wrapped by decode errors for data the capture's snapshot
// length cut off.
var ErrCut = errors.New("cut by the capture's snapshot length")

// ErrBad is wrapped by decode errors for values the XDR does not allow
// (an unknown union discriminant, an absurd length).
var ErrBad = errors.New("malformed XDR")

// maxArray bounds counted arrays: no NFSv4 message holds more elements
// in one array (the largest are READDIR entries, bounded by its byte
// count), and a corrupt count must not make the decoder allocate.
const maxArray = 1 << 16

// noCut is xdr.cut when nothing was cut off.
const noCut = math.MaxInt

// xdr reads XDR (RFC 4506) from a byte slice. Errors are sticky: after
// the first one every read returns zero and Err says what went wrong.
type xdr struct {
	b   []byte
	off int
	cut int // offset of the first byte not captured, or noCut
	err error
	// cutHit is set when a value was read from cut-off (padding) bytes:
	// it decoded, but from zeros.
	cutHit bool
	a      *Arena // where decoded values are kept
}

func (x *xdr) fail(err error) {
	if x.err == nil {
		x.err = err
	}
}

func (x *xdr) need(n int) bool {
	if x.err != nil {
		return false
	}
	if n < 0 || x.off+n > len(x.b) {
		if x.off+n > x.cut {
			x.fail(fmt.Errorf("%w at byte %d", ErrCut, x.off))
		} else {
			x.fail(fmt.Errorf("%w: need %d bytes at %d, have %d", ErrShort, n, x.off, len(x.b)-x.off))
		}
		return false
	}
	if x.off+n > x.cut {
		x.cutHit = true
	}
	return true
}

func (x *xdr) u32() uint32 {
	if !x.need(4) {
		return 0
	}
	v := binary.BigEndian.Uint32(x.b[x.off:])
	x.off += 4
	return v
}

func (x *xdr) u64() uint64 {
	if !x.need(8) {
		return 0
	}
	v := binary.BigEndian.Uint64(x.b[x.off:])
	x.off += 8
	return v
}

func (x *xdr) boolean() bool {
	v := x.u32()
	if v > 1 {
		x.fail(fmt.Errorf("%w: boolean %d", ErrBad, v))
	}
	return v == 1
}

// fixed returns n bytes (padded to 4) without copying.
func (x *xdr) fixed(n int) []byte {
	p := (n + 3) &^ 3
	if !x.need(p) {
		return nil
	}
	v := x.b[x.off : x.off+n]
	x.off += p
	return v
}

// opaque returns a variable-length opaque of at most max bytes.
func (x *xdr) opaque(max int) []byte {
	n := x.u32()
	if x.err != nil {
		return nil
	}
	if int64(n) > int64(max) {
		x.fail(fmt.Errorf("%w: opaque of %d bytes (at most %d)", ErrBad, n, max))
		return nil
	}
	return x.fixed(int(n))
}

// skipOpaque skips a variable-length opaque whose contents do not
// matter (WRITE and READ data): bytes cut off inside it are not an error
// of the value, so they do not set cutHit.
func (x *xdr) skipOpaque(max int) int {
	n := x.u32()
	if x.err != nil {
		return 0
	}
	if int64(n) > int64(max) {
		x.fail(fmt.Errorf("%w: opaque of %d bytes (at most %d)", ErrBad, n, max))
		return 0
	}
	p := (int(n) + 3) &^ 3
	hit := x.cutHit
	if !x.need(p) {
		return 0
	}
	x.cutHit = hit
	x.off += p
	return int(n)
}

func (x *xdr) str(max int) string { return string(x.opaque(max)) }

// count reads an array length.
func (x *xdr) count() int {
	n := x.u32()
	if n > maxArray {
		x.fail(fmt.Errorf("%w: array of %d elements", ErrBad, n))
		return 0
	}
	// Each element takes at least 4 bytes: a longer array cannot fit.
	if x.err == nil && int(n)*4 > len(x.b)-x.off {
		x.need(int(n) * 4)
		return 0
	}
	return int(n)
}

// bitmap4 (RFC 8881 §3.3.7).
func (x *xdr) bitmap() Bitmap {
	n := x.count()
	if n > 8 {
		x.fail(fmt.Errorf("%w: bitmap of %d words", ErrBad, n))
		return nil
	}
	if n == 0 || x.err != nil {
		return nil
	}
	b := x.a.words.take(n)
	for i := range b {
		b[i] = x.u32()
	}
	return b
}

// skipBitmap skips a bitmap4.
func (x *xdr) skipBitmap() {
	for n := x.count(); n > 0 && x.err == nil; n-- {
		x.u32()
	}
}

func (x *xdr) stateid() Stateid {
	var s Stateid
	s.Seqid = x.u32()
	if b := x.fixed(12); b != nil {
		copy(s.Other[:], b)
	}
	return s
}

func (x *xdr) verifier() [8]byte {
	var v [8]byte
	copy(v[:], x.fixed(8))
	return v
}

func (x *xdr) time() Time { return Time{Sec: int64(x.u64()), Nsec: x.u32()} }

// fh reads a file handle. It is copied: decoded compounds outlive the
// buffers they were read from.
func (x *xdr) fh() []byte { return x.opaqueCopy(NFS4FHSize) }

// opaqueCopy is opaque for values kept after decoding.
func (x *xdr) opaqueCopy(max int) []byte {
	v := x.opaque(max)
	if v == nil {
		return nil
	}
	w := x.a.bytes.take(len(v))
	copy(w, v)
	return w
}

// skipN skips n 4-byte words.
func (x *xdr) skipN(n int) {
	if x.need(4 * n) {
		x.off += 4 * n
	}
}

// arr calls f for each element of a counted array.
func (x *xdr) arr(f func()) {
	for n := x.count(); n > 0 && x.err == nil; n-- {
		f()
	}
}

// optional reads an XDR optional-data discriminant (*T).
func (x *xdr) optional(f func()) {
	if x.boolean() {
		f()
	}
}
