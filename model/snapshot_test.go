package model

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
	"unsafe"
)

// snapshotFixtures returns one actor of each kind with at least one entry
// in every table, so that every field is reachable.
func snapshotFixtures() map[string]interface {
	Actor
	AppendSnapshot([]byte) []byte
} {
	s := NewServer(ServerConfig{Files: []FileSpec{{Name: "f"}}, Clients: []ClientInfo{{ID: 1, Minor: 2}}, Actors: 3})
	s.delegs = []Deleg{{}}
	s.opens = []openState{{}}
	s.waiters = []waiter{{}}
	s.cbs = []pendingCB{{}}
	s.block = bloom{cur: []FileID{0}, old: []FileID{0}}
	s.revoked = []revokedDeleg{{}}
	s.names = []FileID{0}
	c := NewClient(ClientConfig{ID: 1, Name: "c1", Files: []string{"f"}})
	c.rpcs = []rpc{{}}
	l := NewLocal(LocalConfig{ID: 2, Name: "l1", Files: []string{"f"}})
	return map[string]interface {
		Actor
		AppendSnapshot([]byte) []byte
	}{"server": s, "client": c, "local": l}
}

// constant names the fields that no step changes: the run's
// configuration, which snapshots leave out.
var constant = map[string]bool{
	"Server.prof": true, "Server.par": true, "Server.pol": true, "Server.files[].Name": true,
	"Client.cfg": true, "Local.cfg": true,
}

// TestSnapshotCoversEveryField changes every field of every actor, one at
// a time, and requires the snapshot to change: a field added to an actor
// and not to its AppendSnapshot fails here (the explorer would merge
// actors that differ).
func TestSnapshotCoversEveryField(t *testing.T) {
	for name, a := range snapshotFixtures() {
		t.Run(name, func(t *testing.T) {
			before := a.AppendSnapshot(nil)
			v := reflect.ValueOf(a).Elem()
			leaves := 0
			eachLeaf(t, v, v.Type().Name(), func(path string, change func()) {
				leaves++
				change()
				if bytes.Equal(a.AppendSnapshot(nil), before) {
					t.Errorf("%s: the snapshot does not change with it", path)
				}
			})
			if !bytes.Equal(a.AppendSnapshot(nil), before) {
				t.Fatal("fields not restored")
			}
			if leaves < 10 {
				t.Fatalf("only %d fields visited", leaves)
			}
		})
	}
}

// eachLeaf calls visit for every scalar field under v (addressable) that
// is not constant, with a function that changes it; the field is restored
// after visit returns.
func eachLeaf(t *testing.T, v reflect.Value, path string, visit func(path string, change func())) {
	t.Helper()
	if constant[path] {
		return
	}
	v = reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem() // settable, even unexported
	old := reflect.New(v.Type()).Elem()
	old.Set(v)
	restore := func() { v.Set(old) }
	switch v.Kind() {
	case reflect.Bool:
		visit(path, func() { v.SetBool(!v.Bool()) })
		restore()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		visit(path, func() { v.SetInt(v.Int() + 1) })
		restore()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		visit(path, func() { v.SetUint(v.Uint() + 1) })
		restore()
	case reflect.Struct:
		for i := range v.NumField() {
			eachLeaf(t, v.Field(i), path+"."+v.Type().Field(i).Name, visit)
		}
	case reflect.Array:
		for i := range v.Len() {
			eachLeaf(t, v.Index(i), fmt.Sprintf("%s[%d]", path, i), visit)
		}
	case reflect.Slice:
		if v.Len() == 0 {
			t.Fatalf("%s: empty in the fixture: give it an entry", path)
		}
		eachLeaf(t, v.Index(0), path+"[]", visit)
		visit(path+" (length)", func() { v.Set(reflect.Append(v, v.Index(0))) })
		restore()
	default:
		t.Fatalf("%s: a %s field: teach AppendSnapshot and this test about it", path, v.Kind())
	}
}

// TestCopyFrom: a copy into an actor with tables of its own equals its
// source, and changing the copy's tables leaves the source alone.
func TestCopyFrom(t *testing.T) {
	fx := snapshotFixtures()
	srv, cl, lo := fx["server"].(*Server), fx["client"].(*Client), fx["local"].(*Local)
	s2, c2, l2 := &Server{files: make([]File, 4), delegs: make([]Deleg, 3)}, NewClient(ClientConfig{Files: []string{"a", "b"}}), &Local{}
	tests := []struct {
		name     string
		src, dst interface {
			Actor
			AppendSnapshot([]byte) []byte
		}
		copy     func()
		scribble func() // changes an entry of every table of the copy
	}{
		{"server", srv, s2, func() { s2.CopyFrom(srv) }, func() {
			s2.files[0].Size++
			s2.clients[0].alive = !s2.clients[0].alive
			s2.delegs[0].ID++
			s2.opens[0].stateid++
			s2.waiters[0].id++
			s2.cbs[0].xid++
			s2.block.cur[0]++
			s2.block.old[0]++
		}},
		{"client", cl, c2, func() { c2.CopyFrom(cl) }, func() {
			c2.files[0].size++
			c2.rpcs[0].xid++
		}},
		{"local", lo, l2, func() { l2.CopyFrom(lo) }, func() { l2.statted.Size++ }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.copy()
			if !reflect.DeepEqual(tt.dst, tt.src) {
				t.Fatalf("copy differs:\n%+v\n%+v", tt.dst, tt.src)
			}
			before := tt.src.AppendSnapshot(nil)
			tt.scribble()
			if !bytes.Equal(tt.src.AppendSnapshot(nil), before) {
				t.Error("changing the copy changed the original")
			}
			if bytes.Equal(tt.dst.AppendSnapshot(nil), before) {
				t.Error("the scribbles did not change the copy")
			}
		})
	}
}
