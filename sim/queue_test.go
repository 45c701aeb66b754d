package sim

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/delegsim/delegsim/model"
)

// TestEventQueueOrder: whatever form the queue takes (a sorted slice, a
// heap from the start, or a slice that turns into a heap as it grows),
// events leave in (time, sequence) order, also after stale events are
// filtered out.
func TestEventQueueOrder(t *testing.T) {
	tests := []struct {
		name      string
		sortedMax int
		maxLen    int // the queue grows to about this length
	}{
		{"sorted slice", 1 << 20, 100},
		{"heap from the first event", 0, 100},
		{"slice turning into a heap", 16, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func(old int) { sortedMax = old }(sortedMax)
			sortedMax = tt.sortedMax
			r := rand.New(rand.NewPCG(1, 2))
			var q eventQueue
			var want []qitem // what is queued, in any order
			seq := uint64(0)
			for step := 0; step < 5000; step++ {
				switch {
				case q.len() < tt.maxLen && r.IntN(3) > 0:
					// Few distinct times, so that ties are common.
					it := qitem{at: model.Time(r.Int64N(50)), key: seq<<32 | uint64(r.Uint32())}
					seq++
					q.push(it)
					want = append(want, it)
				case q.len() > 0 && r.IntN(50) == 0:
					q.filter(func(it qitem) bool { return it.key>>32%3 != 0 })
					want = slices.DeleteFunc(want, func(it qitem) bool { return it.key>>32%3 == 0 })
				case q.len() > 0:
					i := slices.IndexFunc(want, func(a qitem) bool {
						return !slices.ContainsFunc(want, func(b qitem) bool { return b.before(a) })
					})
					next := q.next()
					if got := q.pop(); got != want[i] || next != got {
						t.Fatalf("step %d: popped %+v (next said %+v), want %+v", step, got, next, want[i])
					}
					want = slices.Delete(want, i, i+1)
				}
				if q.len() != len(want) {
					t.Fatalf("step %d: %d queued, want %d", step, q.len(), len(want))
				}
			}
		})
	}
}
