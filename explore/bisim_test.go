package explore

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
)

// bisimLimit bounds each walk: a few thousand states reach deep enough
// into every scenario below for its actors to hold delegations, recall
// them, lose messages and crash, and keep the test well under a second.
const bisimLimit = 4000

// TestBisimulation audits the explorer's deduplication. The visited set
// keeps one state per fingerprint, and a fingerprint is built from each
// actor's AppendState encoding, its timers, its history and the clock;
// this is sound only if two states with one fingerprint behave alike. The
// test walks the reachable space breadth-first, keeps the first state
// seen under each fingerprint and, whenever another path reaches that
// fingerprint, requires the two states to be bisimilar bisimDepth steps deep
// (followed in lockstep): the same steps enabled (by their schedule text), the same fingerprint
// after each, the same finished/unfinished verdict and the same recorded
// history (what outcomes, verdicts and counterexamples are made of). An
// encoding that omits a field the actor's Step reads (as Client once
// omitted when its RPCs left) merges states whose successors differ, and
// the walk reports the first such step with both states' encodings.
//
// The check can fail: the subtest "detects a fingerprint blind to the
// clock" leaves the clock out of the key and expects a difference.
// Reverting the fix this test audits (dropping cur.sent and rpcs[].sent
// from Client.AppendState) makes the stale-local-read case fail with "deliver
// server->c1 fore leads to fingerprints ... and ...", three steps after
// the merge; reverting it in the canonical twin (model/canon.go) alone
// fails the same case with symmetry. Each case walks with the plain
// fingerprint and with the canonical one (Options.Symmetry; in these
// scenarios it renames stateids and xids, which no step text shows, so
// the states it merges must agree on step texts too). Keys blind to a
// whole actor's AppendState pass in these bounded walks: there each actor's state is fixed by its history, its
// timers and the messages in flight, all of which the key keeps.
func TestBisimulation(t *testing.T) {
	tests := []struct {
		scenario, policy string
	}{
		{"bz219278", "kernel"},                       // 1 client + 1 local
		{"testdata/lost-local-write.yaml", "kernel"}, // a local write the client may miss
		{"testdata/lossy-crash.yaml", "kernel"},      // lost callbacks and a client crash
		{"testdata/stale-local-read.yaml", "kernel"}, // cached reads against local writes
	}
	for _, tt := range tests {
		t.Run(tt.scenario+"/"+tt.policy, func(t *testing.T) {
			m := testModel(t, tt.scenario, tt.policy)
			for _, sym := range []bool{false, true} {
				var e *engine
				if sym {
					e = newEngine(m, m.symmetries()...)
				} else {
					e = newEngine(m)
				}
				if msg, n := bisimWalk(e, e.key, bisimLimit); msg != "" {
					t.Fatalf("symmetry %v: %s", sym, msg)
				} else if n < 2 {
					t.Fatalf("symmetry %v: only %d states merged: the walk checked nothing", sym, n)
				}
			}
		})
	}
	t.Run("detects a fingerprint blind to the clock", func(t *testing.T) {
		m := testModel(t, "bz219278", "kernel")
		e := newEngine(m)
		blind := func(f *frame) uint64 { return f.hash - e.nowTerm(f.now) }
		msg, _ := bisimWalk(e, blind, bisimLimit)
		if msg == "" {
			t.Fatal("a fingerprint blind to the clock passed the bisimulation check")
		}
		t.Logf("detected as expected: %.200s", msg)
	})
}

// bisimWalk walks e's model breadth-first from its start, up to limit
// distinct keys, and returns a description of the first pair of states
// with one key that are not bisimilar bisimDepth steps deep (empty if
// none), and how many times a state reached a key already seen.
func bisimWalk(e *engine, key func(*frame) uint64, limit int) (string, int) {
	root := e.initial()
	first := map[uint64]*frame{key(root): root}
	queue := []*frame{root}
	merged := 0
	for len(queue) > 0 && len(first) < limit {
		f := queue[0]
		queue = queue[1:]
		if e.finished(f, nil) {
			continue
		}
		for _, st := range e.enabled(f, nil) {
			g := successor(e, f, st)
			k := key(g)
			h, ok := first[k]
			if !ok {
				first[k] = g
				queue = append(queue, g)
				continue
			}
			merged++
			if msg := bisimilar(e, key, h, g, bisimDepth); msg != "" {
				return fmt.Sprintf("after %s: %s", e.m.stepText(st), msg), merged
			}
		}
	}
	return "", merged
}

// successor returns the state st leads to from f, as a fresh frame.
func successor(e *engine, f *frame, st Step) *frame {
	var d delta
	e.apply(f, st, &d)
	g := e.newFrame()
	e.advance(g, f, &d)
	return g
}

// bisimDepth is how many steps deep bisimilar follows two merged states
// in lockstep: a field an encoding omits may first show in the messages
// or operations of a later step, and the successors are fingerprinted
// with the same (possibly blind) key.
const bisimDepth = 8

// bisimilar compares two states with one key, a (seen first) and b, and
// their successors in lockstep up to depth steps deep, and describes the
// first difference it finds.
func bisimilar(e *engine, key func(*frame) uint64, a, b *frame, depth int) string {
	if same(a, b) {
		return "" // one state, reached along two paths
	}
	if fa, fb := e.finished(a, nil), e.finished(b, nil); fa != fb {
		return fmt.Sprintf("finished %v and %v\n%s", fa, fb, encodings(e, a, b))
	}
	if ua, ub := e.unfinished(a, nil), e.unfinished(b, nil); !slices.Equal(ua, ub) {
		return fmt.Sprintf("unfinished %q and %q\n%s", ua, ub, encodings(e, a, b))
	}
	if ha, hb := e.history(a, nil), e.history(b, nil); !reflect.DeepEqual(ha, hb) {
		return fmt.Sprintf("histories differ:\n%v\n%v\n%s", ha, hb, encodings(e, a, b))
	}
	var sa, sb []Step
	if !e.finished(a, nil) {
		sa, sb = e.enabled(a, nil), e.enabled(b, nil)
	}
	ta, tb := stepTexts(e, sa), stepTexts(e, sb)
	if !slices.Equal(ta, tb) {
		return fmt.Sprintf("enabled steps differ:\n%q\n%q\n%s", ta, tb, encodings(e, a, b))
	}
	for i := range sa {
		ga, gb := successor(e, a, sa[i]), successor(e, b, sb[i])
		if ka, kb := key(ga), key(gb); ka != kb {
			return fmt.Sprintf("%s leads to fingerprints %#x and %#x\n%s", ta[i], ka, kb, encodings(e, a, b))
		}
		if depth > 1 {
			if msg := bisimilar(e, key, ga, gb, depth-1); msg != "" {
				return fmt.Sprintf("then %s: %s", ta[i], msg)
			}
		}
	}
	return ""
}

// same reports whether a and b are one state: the parts and queues are
// interned by their lossless encodings, so equal pointers mean equal
// values.
func same(a, b *frame) bool {
	return a.now == b.now && slices.Equal(a.parts, b.parts) && slices.Equal(a.chans, b.chans)
}

func stepTexts(e *engine, sts []Step) []string {
	out := make([]string, len(sts))
	for i, st := range sts {
		out[i] = e.m.stepText(st)
	}
	return out
}

// encodings prints each actor's AppendState and AppendSnapshot encodings
// in a and b, marking the actors that differ.
func encodings(e *engine, a, b *frame) string {
	s := fmt.Sprintf("now %v and %v\n", a.now, b.now)
	for i := range a.parts {
		pa, pb := a.parts[i].actor, b.parts[i].actor
		sa, sb := pa.AppendState(nil), pb.AppendState(nil)
		na, nb := appendSnapshot(nil, pa), appendSnapshot(nil, pb)
		mark := " "
		if string(na) != string(nb) {
			mark = "*"
		}
		s += fmt.Sprintf("%s actor %d state %x | %x\n  snapshot %x\n         | %x\n  timers %v | %v\n",
			mark, i, sa, sb, na, nb, a.parts[i].timers, b.parts[i].timers)
	}
	return s
}
