package model

import (
	"bytes"
	"reflect"
	"slices"
	"testing"
)

// canonOmitted names the counters canonical encodings leave out: any
// fresh value behaves the same.
var canonOmitted = map[string]bool{
	"Server.nextStateid": true, "Server.nextXID": true, "Server.nextWaiter": true,
	"Client.nextXID": true, "Local.nextXID": true,
}

// canonIDs names the fields that hold identifiers, which canonical
// encodings rename (every other uint32 field is a plain value).
var canonIDs = map[string]bool{
	"Server.revoked[].id": true, "Server.delegs[].ID": true, "Server.opens[].stateid": true,
	"Server.waiters[].id": true, "Server.waiters[].req.XID": true, "Server.waiters[].cbXID": true,
	"Server.cbs[].xid": true, "Server.cbs[].deleg": true,
	"Client.files[].own[0].stateid": true, "Client.files[].own[1].stateid": true, "Client.files[].own[2].stateid": true,
	"Client.files[].own[3].stateid": true, "Client.files[].delegID": true, "Client.cur.xid": true, "Client.cur.sid": true,
	"Client.rpcs[].xid": true, "Client.rpcs[].sid": true,
	"Local.xid": true,
}

type canonEncoder interface {
	AppendCanon([]byte, *Canon) []byte
	AppendState([]byte) []byte
}

func identityCanon(actors, files int) *Canon {
	a, f, w := make([]ActorID, actors), make([]FileID, files), make([]int, actors)
	for i := range a {
		a[i], w[i] = ActorID(i), i
	}
	for i := range f {
		f[i] = FileID(i)
	}
	return NewCanon(a, f, w)
}

func canonOf(a canonEncoder) ([]byte, []IDRef) {
	c := identityCanon(3, 1)
	return a.AppendCanon(nil, c), c.IDs
}

// TestCanonCoversEveryField changes every field of every actor, one at a
// time, and wherever that changes the actor's AppendState (what the
// explorer's fingerprints see) requires the canonical encoding or its
// identifiers to change too (but for the counters canonOmitted lists);
// an identifier field must change the identifiers only, any other field
// the encoding. A field added to an actor's AppendState and not to its
// AppendCanon fails here: symmetry reduction would merge states that
// differ.
func TestCanonCoversEveryField(t *testing.T) {
	seen := map[string]bool{}
	for name, a := range snapshotFixtures() {
		t.Run(name, func(t *testing.T) {
			enc := a.(canonEncoder)
			b0, ids0 := canonOf(enc)
			v := reflect.ValueOf(a).Elem()
			eachLeaf(t, v, v.Type().Name(), func(path string, change func()) {
				seen[path] = true
				if canonOmitted[path] {
					return
				}
				st0 := enc.AppendState(nil)
				change()
				if bytes.Equal(enc.AppendState(nil), st0) {
					return // the fingerprints do not see it: nor need the canonical encoding
				}
				b1, ids1 := canonOf(enc)
				if bytes.Equal(b1, b0) && slices.Equal(ids1, ids0) {
					t.Errorf("%s: the canonical encoding does not change with it", path)
				}
				change()
				b2, ids2 := canonOf(enc)
				switch {
				case canonIDs[path] && (!bytes.Equal(b1, b2) || slices.Equal(ids1, ids2)):
					t.Errorf("%s: an identifier, but it changes the encoding or not the identifiers", path)
				case !canonIDs[path] && bytes.Equal(b1, b2):
					t.Errorf("%s: not listed in canonIDs, but encoded as an identifier", path)
				}
			})
			if b, ids := canonOf(enc); !bytes.Equal(b, b0) || !slices.Equal(ids, ids0) {
				t.Fatal("fields not restored")
			}
		})
	}
	for _, m := range []map[string]bool{canonIDs, canonOmitted} {
		for path := range m {
			if !seen[path] {
				t.Errorf("%s: listed, but no such field", path)
			}
		}
	}
}

// TestTimerArgs: every timer kind says what its argument is.
func TestTimerArgs(t *testing.T) {
	for k := range timerKindCount {
		if timerArgs[k] == argUnknown {
			t.Errorf("timer kind %v: no entry in timerArgs", k)
		}
	}
}
