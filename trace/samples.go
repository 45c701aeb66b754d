package trace

import (
	"cmp"
	"math/bits"
	"slices"
	"time"
)

// durations is a multiset of time gaps (call → reply of every RPC, the
// samples behind the reply-time figures and server.rpc) whose memory does
// not grow with the number of samples: a count per value, exact while it
// holds at most maxExact distinct values. Past that, values are kept to
// significantBits significant bits (0.1 %), which bounds the distinct
// values by the octaves the gaps span: a capture's gaps are timestamps'
// differences, mostly a few hundred distinct microseconds, so in
// practice every figure is exact.
type durations struct {
	counts map[time.Duration]int
	n      int
	least  time.Duration // exact, whatever the rounding
	coarse bool
}

const (
	maxExact        = 4096
	significantBits = 10
)

// durCount is a value of a multiset and how many times it is in it.
type durCount struct {
	v time.Duration
	n int
}

func (d *durations) add(v time.Duration, k int) {
	if k <= 0 {
		return
	}
	if d.counts == nil {
		d.counts = map[time.Duration]int{}
	}
	if d.n == 0 || v < d.least {
		d.least = v
	}
	d.n += k
	if d.coarse {
		v = coarsen(v)
	}
	d.counts[v] += k
	if !d.coarse && len(d.counts) > maxExact {
		d.coarse = true
		exact := d.counts
		d.counts = make(map[time.Duration]int, len(exact)/4)
		for v, k := range exact {
			d.counts[coarsen(v)] += k
		}
	}
}

// remove takes one v out again (a value added before).
func (d *durations) remove(v time.Duration) {
	if d.coarse {
		v = coarsen(v)
	}
	if d.counts[v] == 0 {
		return
	}
	d.n--
	if d.counts[v]--; d.counts[v] == 0 {
		delete(d.counts, v)
	}
}

// coarsen keeps the significant bits of v, rounding to the middle of the
// range it stands for.
func coarsen(v time.Duration) time.Duration {
	if v < 1<<significantBits && v > -(1<<significantBits) {
		return v
	}
	neg := v < 0
	if neg {
		v = -v
	}
	shift := bits.Len64(uint64(v)) - significantBits
	r := (v>>shift)<<shift + 1<<(shift-1)
	if neg {
		return -r
	}
	return r
}

// sorted returns the values in increasing order with their counts.
func (d *durations) sorted() []durCount {
	out := make([]durCount, 0, len(d.counts))
	for v, k := range d.counts {
		out = append(out, durCount{v, k})
	}
	slices.SortFunc(out, func(a, b durCount) int { return cmp.Compare(a.v, b.v) })
	return out
}

// countsOf groups a list of samples by value, in increasing order.
func countsOf(ds []time.Duration) []durCount {
	s := slices.Clone(ds)
	slices.Sort(s)
	var out []durCount
	for _, v := range s {
		if n := len(out); n > 0 && out[n-1].v == v {
			out[n-1].n++
			continue
		}
		out = append(out, durCount{v, 1})
	}
	return out
}

// mergeCounts merges lists of counts, each in increasing order, into one.
func mergeCounts(lists ...[]durCount) []durCount {
	var all []durCount
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.SortStableFunc(all, func(a, b durCount) int { return cmp.Compare(a.v, b.v) })
	var out []durCount
	for _, c := range all {
		if n := len(out); n > 0 && out[n-1].v == c.v {
			out[n-1].n += c.n
			continue
		}
		out = append(out, c)
	}
	return out
}

// total is the number of samples.
func total(cs []durCount) int {
	n := 0
	for _, c := range cs {
		n += c.n
	}
	return n
}

// nth returns the i-th smallest sample, from 0.
func nth(cs []durCount, i int) time.Duration {
	for _, c := range cs {
		if i < c.n {
			return c.v
		}
		i -= c.n
	}
	return 0
}

// medianOf is the median: the middle sample, or the mean of the middle
// two.
func medianOf(cs []durCount) time.Duration {
	n := total(cs)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return nth(cs, n/2)
	}
	return (nth(cs, n/2-1) + nth(cs, n/2)) / 2
}

// lessCounts returns each sample less d, not below zero (in increasing
// order still).
func lessCounts(cs []durCount, d time.Duration) []durCount {
	out := make([]durCount, 0, len(cs))
	for _, c := range cs {
		v := nonNeg(c.v - d)
		if n := len(out); n > 0 && out[n-1].v == v {
			out[n-1].n += c.n
			continue
		}
		out = append(out, durCount{v, c.n})
	}
	return out
}
