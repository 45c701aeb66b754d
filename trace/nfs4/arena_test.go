package nfs4

import (
	"reflect"
	"testing"
)

// Compounds decoded from an arena are the compounds DecodeCall and
// DecodeReply return, also after a Reset hands the arena's memory to the
// next ones: nothing of an earlier compound shows through.
func TestArenaDecodesAsFresh(t *testing.T) {
	getattr := enc{}.u32(0).opaque(nil).u32(1).
		u32(uint32(OpGetattr)).u32(0).u32(1).u32(1<<AttrType | 1<<AttrChange | 1<<AttrSize).
		opaque(enc{}.u32(TypeReg).u64(42).u64(26))
	recall := enc{}.opaque(nil).u32(1).u32(0).u32(2).
		u32(uint32(CBSequence)).append16().u32(1).u32(0).u32(0).u32(0).u32(0).
		u32(uint32(CBRecall)).stateid(1, 2).u32(1).opaque([]byte{7, 7})
	bad := enc{}.opaque(nil).u32(2).u32(3).u32(uint32(OpPutFH)).opaque([]byte{1, 2, 3, 4}).u32(9999)
	type msg struct {
		body     enc
		reply    bool
		callback bool
	}
	msgs := []msg{{openReply(DelegWrite), true, false}, {getattr, true, false}, {recall, false, true},
		{bad, false, false}, {openReply(DelegNone), true, false}}
	fresh := func(m msg) *Compound {
		if m.reply {
			return DecodeReply(m.body, -1, m.callback)
		}
		return DecodeCall(m.body, -1, m.callback)
	}
	var a Arena
	for round := range 3 {
		for i, m := range msgs {
			var got *Compound
			if m.reply {
				got = a.DecodeReply(m.body, -1, m.callback)
			} else {
				got = a.DecodeCall(m.body, -1, m.callback)
			}
			if want := fresh(m); !reflect.DeepEqual(got, want) {
				t.Errorf("round %d, message %d: arena gives %+v, want %+v", round, i, got, want)
			}
			if round > 0 {
				a.Reset() // each message after the first round reuses the memory of the one before
			}
		}
	}
}

// A compound may claim more operations than its bytes hold; the arena
// takes memory for the operations as they decode, not for the claim.
func TestArenaDoesNotTrustTheOpCount(t *testing.T) {
	e := enc{}.opaque(nil).u32(2).u32(maxArray)
	for range 20 {
		e = e.u32(uint32(OpPutRootFH))
	}
	var a Arena
	c := a.DecodeCall(e, -1, false)
	if len(c.Ops) != 0 || c.Err == nil {
		t.Fatalf("a count of %d in %d bytes: ops %d, err %v", maxArray, len(e), len(c.Ops), c.Err)
	}
	e = enc{}.opaque(nil).u32(2).u32(40)
	for range 40 {
		e = e.u32(uint32(OpPutRootFH))
	}
	if c := a.DecodeCall(e, -1, false); c.Err != nil || len(c.Ops) != 40 {
		t.Errorf("40 operations (more than one chunk): %d decoded, err %v", len(c.Ops), c.Err)
	}
}
