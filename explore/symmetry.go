package explore

import (
	"bytes"
	"reflect"

	"github.com/delegsim/delegsim/model"
)

// Symmetry reduction. A symmetry is a permutation of the actors and the
// files that maps the run onto itself: clients whose configurations agree
// once their scripts' files are renamed (version, script, lease, renewd
// phase, back-off, network, crash time), local processes likewise
// (script and drawn start-up times), files with the same initial
// contents, and a start state that the permutation leaves unchanged. The
// explorer then fingerprints a state by a canonical representative of
// its class (see canon.go), as Stateright's Representative does, and
// expands the state it reached, so every path stays a real, replayable
// one.

// MaxSymmetries bounds the symmetry group used: the explorer compares a
// state's images under every symmetry, so beyond this many it keeps the
// first ones found (still sound, merging fewer states).
const MaxSymmetries = 720

// perm is one symmetry: the image of every actor, file and channel.
type perm struct {
	actor []model.ActorID
	file  []model.FileID
	chans []int
}

// symmetries returns the symmetries of m, the identity first.
func (m *Model) symmetries() []perm {
	nf := len(m.Files)
	id := perm{actor: make([]model.ActorID, len(m.actors)), file: make([]model.FileID, nf), chans: make([]int, len(m.Channels))}
	for i := range id.actor {
		id.actor[i] = model.ActorID(i)
	}
	for i := range id.file {
		id.file[i] = model.FileID(i)
	}
	for i := range id.chans {
		id.chans[i] = i
	}
	out := []perm{id}
	if len(m.actors) > 64 {
		return out
	}
	clients := make([]int, m.clients)
	for i := range clients {
		clients[i] = 1 + i
	}
	var locals []int
	for i := 1 + m.clients; i < len(m.actors); i++ {
		locals = append(locals, i)
	}
	start := m.startEncoding(id)
	filePerms(m, func(file []model.FileID) bool {
		for _, pc := range bijections(clients, func(a, b int) bool { return m.clientsAlike(a, b, file) }) {
			for _, pl := range bijections(locals, func(a, b int) bool { return m.localsAlike(a, b, file) }) {
				p := perm{actor: slicesClone(id.actor), file: slicesClone(file)}
				for k, a := range clients {
					p.actor[a] = model.ActorID(pc[k])
				}
				for k, a := range locals {
					p.actor[a] = model.ActorID(pl[k])
				}
				if reflect.DeepEqual(p.actor, id.actor) && reflect.DeepEqual(p.file, id.file) {
					continue
				}
				p.chans = m.chanImages(p.actor)
				if p.chans == nil || !bytes.Equal(m.startEncoding(p), start) {
					continue
				}
				out = append(out, p)
				if len(out) == MaxSymmetries {
					return false
				}
			}
		}
		return true
	})
	return out
}

func slicesClone[T any](s []T) []T { return append([]T(nil), s...) }

// filePerms calls f with every permutation of the files that maps each to
// one with the same initial contents, until f returns false. With more
// than eight files only the identity is tried.
func filePerms(m *Model, f func([]model.FileID) bool) {
	n := len(m.Files)
	cur := make([]model.FileID, n)
	for i := range cur {
		cur[i] = model.FileID(i)
	}
	if n > 8 {
		f(cur)
		return
	}
	used := make([]bool, n)
	var rec func(i int) bool
	rec = func(i int) bool {
		if i == n {
			return f(slicesClone(cur))
		}
		for j := range n {
			if used[j] || m.Init[m.Files[i]] != m.Init[m.Files[j]] {
				continue
			}
			used[j], cur[i] = true, model.FileID(j)
			ok := rec(i + 1)
			used[j] = false
			if !ok {
				return false
			}
		}
		return true
	}
	rec(0)
}

// bijections returns every map of xs onto themselves that sends each x to
// a y with alike(x, y), as the images of xs in order.
func bijections(xs []int, alike func(a, b int) bool) [][]int {
	var out [][]int
	img := make([]int, len(xs))
	used := make([]bool, len(xs))
	var rec func(k int)
	rec = func(k int) {
		if k == len(xs) {
			out = append(out, slicesClone(img))
			return
		}
		for j, y := range xs {
			if !used[j] && alike(xs[k], y) {
				used[j], img[k] = true, y
				rec(k + 1)
				used[j] = false
			}
		}
	}
	rec(0)
	return out
}

// clientsAlike reports whether client b runs client a's configuration
// with files renamed by file, on the same network and crash time.
func (m *Model) clientsAlike(a, b int, file []model.FileID) bool {
	ca, ok1 := m.actors[a].(*model.Client)
	cb, ok2 := m.actors[b].(*model.Client)
	if !ok1 || !ok2 || !ca.Interchangeable(cb, file) || m.crashes[a-1] != m.crashes[b-1] {
		return false
	}
	for k := range 4 {
		if !channelsAlike(&m.Channels[4*(a-1)+k], &m.Channels[4*(b-1)+k]) {
			return false
		}
	}
	return true
}

// localsAlike reports whether local process b runs a's script with files
// renamed by file.
func (m *Model) localsAlike(a, b int, file []model.FileID) bool {
	la, ok1 := m.actors[a].(*model.Local)
	lb, ok2 := m.actors[b].(*model.Local)
	if !ok1 || !ok2 || !la.Interchangeable(lb, file) {
		return false
	}
	ia, ib := m.channelOf(model.ActorID(a), model.ServerID), m.channelOf(model.ActorID(b), model.ServerID)
	return channelsAlike(&m.Channels[ia], &m.Channels[ib]) && channelsAlike(&m.Channels[ia+1], &m.Channels[ib+1])
}

// channelsAlike compares two channels' delivery rules.
func channelsAlike(a, b *Channel) bool {
	return a.Kind == b.Kind && a.Lossy == b.Lossy && a.proc == b.proc && a.lat == b.lat &&
		a.drReact == b.drReact && a.drServer == b.drServer && reflect.DeepEqual(a.partitions, b.partitions)
}

// channelOf returns the first channel from one actor to another (for a
// client, its fore channel up), or -1.
func (m *Model) channelOf(from, to model.ActorID) int {
	for i, c := range m.Channels {
		if c.From == from && c.To == to {
			return i
		}
	}
	return -1
}

// chanImages returns the image of every channel under an actor
// permutation, or nil if some channel has none.
func (m *Model) chanImages(actor []model.ActorID) []int {
	out := make([]int, len(m.Channels))
	for i, c := range m.Channels {
		out[i] = -1
		for j, d := range m.Channels {
			if d.From == actor[c.From] && d.To == actor[c.To] && d.Kind == c.Kind {
				out[i] = j
				break
			}
		}
		if out[i] < 0 {
			return nil
		}
	}
	return out
}

// startEncoding is the canonical encoding of the start state under p
// (see canonBytes).
func (m *Model) startEncoding(p perm) []byte {
	e := newEngine(m)
	return e.canonBytes(e.initial(), p)
}
