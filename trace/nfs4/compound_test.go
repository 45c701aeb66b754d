package nfs4

import (
	"encoding/binary"
	"errors"
	"testing"
)

// enc builds XDR by hand, for tests.
type enc []byte

func (e enc) u32(v uint32) enc { return binary.BigEndian.AppendUint32(e, v) }
func (e enc) u64(v uint64) enc { return binary.BigEndian.AppendUint64(e, v) }
func (e enc) opaque(b []byte) enc {
	e = e.u32(uint32(len(b)))
	e = append(e, b...)
	for len(e)%4 != 0 {
		e = append(e, 0)
	}
	return e
}
func (e enc) stateid(seq uint32, id byte) enc {
	return append(e.u32(seq), 1, 2, 3, 4, 5, 6, 7, 8, id, 0, 0, 0)
}

// A compound reply with OPEN granting a write delegation, as nfsd sends
// it (RFC 8881 §18.16.2): open stateid, change_info, rflags, attrset, then
// the open_delegation4 union.
func openReply(delegType uint32) enc {
	e := enc{}.u32(0).opaque([]byte("tag")).u32(2)
	e = e.u32(uint32(OpPutFH)).u32(0)
	e = e.u32(uint32(OpOpen)).u32(0).stateid(1, 1).u32(1).u64(7).u64(8).u32(ResultNoOpenStateid).u32(0)
	e = e.u32(delegType).stateid(1, 2).u32(0) // stateid, recall
	e = e.u32(1).u64(0)                       // nfs_space_limit4: NFS_LIMIT_SIZE 0
	e = e.u32(0).u32(0).u32(0).opaque(nil)    // nfsace4
	return e
}

func TestOpenReplyDelegation(t *testing.T) {
	for _, typ := range []uint32{DelegWrite, DelegWriteAttrs} {
		c := DecodeReply(openReply(typ), -1, false)
		if c.Err != nil {
			t.Fatal(c.Err)
		}
		op := c.Find(OpOpen)
		if op == nil || !op.Deleg.Granted() || op.Deleg.Type != typ || op.Deleg.Stateid.Other[8] != 2 || op.OpenFlags != ResultNoOpenStateid {
			t.Errorf("type %d: %+v", typ, op)
		}
	}
}

// NONE_EXT with WND4_CONTENTION carries a boolean (RFC 8881 §18.16.2);
// tshark 4.0 forgets it and loses the ops after OPEN. They must decode.
func TestNoneExtConsumesItsBoolean(t *testing.T) {
	e := enc{}.u32(0).opaque(nil).u32(2)
	e = e.u32(uint32(OpOpen)).u32(0).stateid(1, 1).u32(1).u64(7).u64(8).u32(0).u32(0)
	e = e.u32(DelegNoneExt).u32(1).u32(0) // WND4_CONTENTION, will_push false
	e = e.u32(uint32(OpGetFH)).u32(0).opaque([]byte{9, 9, 9, 9})
	c := DecodeReply(e, -1, false)
	if c.Err != nil || len(c.Ops) != 2 || c.Ops[0].Deleg.WhyName() != "WND4_CONTENTION" || len(c.Ops[1].FH) != 4 {
		t.Fatalf("ops %+v err %v", c.Ops, c.Err)
	}
}

// An operation the decoder cannot parse loses only the rest of its
// compound, and the error names it.
func TestUndecodableOpNamesItself(t *testing.T) {
	e := enc{}.opaque(nil).u32(2).u32(3)
	e = e.u32(uint32(OpPutFH)).opaque([]byte{1, 2, 3, 4})
	e = e.u32(9999) // no such operation
	e = e.u32(uint32(OpGetattr)).u32(1).u32(0x18)
	c := DecodeCall(e, -1, false)
	if len(c.Ops) != 1 || c.Ops[0].Code != OpPutFH {
		t.Errorf("ops kept %+v, want PUTFH", c.Ops)
	}
	if c.Err == nil || c.Err.Index != 1 || !errors.Is(c.Err, ErrBad) {
		t.Errorf("error %v, want op #2 malformed", c.Err)
	}
}

// Bytes the snapshot length cut off are told apart from a short message.
func TestCutIsNotShort(t *testing.T) {
	full := openReply(DelegWrite)
	c := DecodeReply(full[:40], 40, false)
	if !c.Err.Cut() {
		t.Errorf("cut capture: %v", c.Err)
	}
	c = DecodeReply(full[:40], -1, false)
	if c.Err == nil || c.Err.Cut() || !errors.Is(c.Err, ErrShort) {
		t.Errorf("short message: %v", c.Err)
	}
	// Zero padding from the cut on is read but not believed.
	padded := append(append(enc{}, full[:60]...), make([]byte, len(full)-60)...)
	c = DecodeReply(padded, 60, false)
	if !c.Err.Cut() || len(c.Ops) != 1 {
		t.Errorf("padded capture: ops %d, err %v", len(c.Ops), c.Err)
	}
}

// A GETATTR reply's fattr4 is decoded in attribute order; an unknown
// attribute stops the value list, not the compound.
func TestFattr(t *testing.T) {
	vals := enc{}.u32(TypeReg).u64(42).u64(26)
	e := enc{}.u32(0).opaque(nil).u32(2)
	e = e.u32(uint32(OpGetattr)).u32(0).u32(1).u32(1<<AttrType | 1<<AttrChange | 1<<AttrSize).opaque(vals)
	e = e.u32(uint32(OpGetFH)).u32(0).opaque([]byte{1})
	c := DecodeReply(e, -1, false)
	if c.Err != nil || len(c.Ops) != 2 {
		t.Fatal(c.Err)
	}
	a := c.Ops[0].Attrs
	if a.Type != TypeReg || a.Change != 42 || a.Size != 26 || a.Partial != 0 {
		t.Errorf("attrs %+v", a)
	}
	// Attribute 100 (unknown), then GETFH still decodes.
	e = enc{}.u32(0).opaque(nil).u32(2)
	e = e.u32(uint32(OpGetattr)).u32(0).u32(4).u32(1 << AttrSize).u32(0).u32(0).u32(1 << 4).opaque(enc{}.u64(5).u32(1))
	e = e.u32(uint32(OpGetFH)).u32(0).opaque([]byte{1})
	c = DecodeReply(e, -1, false)
	if c.Err != nil || len(c.Ops) != 2 || c.Ops[0].Attrs.Size != 5 || c.Ops[0].Attrs.Partial != 100 {
		t.Errorf("unknown attribute: %+v %v", c.Ops, c.Err)
	}
}

// CB_RECALL arguments (RFC 8881 §20.2) and the callback opcodes, which
// overlap the fore channel's (4 is CLOSE there).
func TestCBRecall(t *testing.T) {
	e := enc{}.opaque(nil).u32(1).u32(0).u32(2)
	e = e.u32(uint32(CBSequence)).append16().u32(1).u32(0).u32(0).u32(0).u32(0)
	e = e.u32(uint32(CBRecall)).stateid(1, 2).u32(1).opaque([]byte{7, 7})
	c := DecodeCall(e, -1, true)
	if c.Err != nil || len(c.Ops) != 2 {
		t.Fatal(c.Err)
	}
	if op := c.Ops[1]; op.OpName() != "CB_RECALL" || !op.Truncate || op.Stateid.Other[8] != 2 || len(op.FH) != 2 {
		t.Errorf("CB_RECALL %+v", op)
	}
}

func (e enc) append16() enc { return append(e, make([]byte, 16)...) }
