package sweep

import (
	"math"
	"slices"
)

// z95 is the standard normal quantile for a two-sided 95% interval.
const z95 = 1.959963984540054

// Rate is an estimated probability with its Wilson 95% score interval.
type Rate struct {
	P, Lo, Hi float64
}

// Wilson returns the estimate k/n with its Wilson score interval at 95%
// (Wilson 1927; Newcombe 1998, method 3). Unlike the normal
// approximation it stays inside [0, 1] and is not empty at k = 0 or k = n,
// which is where a policy that "never fails" sits. n = 0 gives NaNs.
func Wilson(k, n int) Rate {
	if n <= 0 {
		return Rate{math.NaN(), math.NaN(), math.NaN()}
	}
	p := float64(k) / float64(n)
	nf := float64(n)
	z2 := z95 * z95
	den := 1 + z2/nf
	center := (p + z2/(2*nf)) / den
	half := z95 * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf)) / den
	return Rate{P: p, Lo: max(0, center-half), Hi: min(1, center+half)}
}

// Percentile returns the nearest-rank q-quantile (0 < q <= 1) of xs: the
// smallest value with at least a fraction q of xs at or below it. It
// sorts xs in place; an empty xs gives NaN.
func Percentile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	if !slices.IsSorted(xs) {
		slices.Sort(xs)
	}
	// The epsilon keeps 0.9*10 (9.000000000000002 in floating point) at 9.
	i := int(math.Ceil(q*float64(len(xs))-1e-9)) - 1
	return xs[min(max(i, 0), len(xs)-1)]
}
