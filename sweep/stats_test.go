package sweep

import (
	"math"
	"testing"
)

// Wilson score intervals (no continuity correction) from Newcombe,
// "Two-sided confidence intervals for the single proportion: comparison
// of seven methods", Statistics in Medicine 17 (1998), Table II, method 3.
func TestWilsonMatchesNewcombe(t *testing.T) {
	tests := []struct {
		k, n   int
		lo, hi float64
	}{
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 20, 0, 0.1611},
		{1, 29, 0.0061, 0.1718},
		{29, 29, 0.8830, 1},
		{0, 10, 0, 0.2775},
		{5, 10, 0.2366, 0.7634},
	}
	for _, tt := range tests {
		r := Wilson(tt.k, tt.n)
		if math.Abs(r.Lo-tt.lo) > 5e-5 || math.Abs(r.Hi-tt.hi) > 5e-5 || r.P != float64(tt.k)/float64(tt.n) {
			t.Errorf("Wilson(%d, %d) = %.4f [%.4f, %.4f], want [%.4f, %.4f]", tt.k, tt.n, r.P, r.Lo, r.Hi, tt.lo, tt.hi)
		}
	}
	if r := Wilson(0, 0); !math.IsNaN(r.P) || !math.IsNaN(r.Lo) || !math.IsNaN(r.Hi) {
		t.Errorf("Wilson(0, 0) = %v, want NaNs: no trials, no estimate", r)
	}
}

func TestPercentileIsNearestRank(t *testing.T) {
	ten := func() []float64 { return []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1} }
	tests := []struct {
		xs   []float64
		q    float64
		want float64
	}{
		{ten(), 0.5, 5},
		{ten(), 0.9, 9}, // 0.9*10 is 9.000000000000002 in floating point: still the 9th value
		{ten(), 0.99, 10},
		{ten(), 1, 10},
		{ten(), 0.01, 1},
		{[]float64{42}, 0.5, 42},
		{[]float64{1, 2}, 0.5, 1},
	}
	for _, tt := range tests {
		if got := Percentile(tt.xs, tt.q); got != tt.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", tt.xs, tt.q, got, tt.want)
		}
	}
	if got := Percentile(nil, 0.5); !math.IsNaN(got) {
		t.Errorf("Percentile(nil) = %v, want NaN", got)
	}
}
