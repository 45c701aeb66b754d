package explore

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/sim"
)

// upper returns a bound on the values of d: its maximum where it has one
// (fixed, uniform, empirical), else its q-quantile.
func upper(d sim.Dist, q float64) model.Time { _, hi := bounds(d, q); return hi }

// lower returns a lower bound on the values of d: its minimum where it
// has one (fixed, uniform, empirical), else its (1-q)-quantile, the
// bound symmetric to upper's.
func lower(d sim.Dist, q float64) model.Time { lo, _ := bounds(d, q); return lo }

// bounds returns lower's and upper's bounds of d. sim.Dist keeps its
// parameters private, so they are read from the distribution's text
// form, which ParseDist round-trips.
func bounds(d sim.Dist, q float64) (lo, hi model.Time) {
	kind, args, found := strings.Cut(d.String(), ":")
	if !found {
		return dur(kind), dur(kind)
	}
	p1, p2, _ := strings.Cut(args, ",")
	z := normalQuantile(q)
	switch kind {
	case "uniform":
		a, b, _ := strings.Cut(args, "..")
		return dur(a), dur(b)
	case "normal":
		mu, sd := dur(p1), float64(dur(p2))
		return max(0, mu-model.Time(z*sd)), max(0, mu+model.Time(z*sd))
	case "lognormal":
		sigma, _ := strconv.ParseFloat(p2, 64)
		median := float64(dur(p1))
		return model.Time(median * math.Exp(-z*sigma)), model.Time(median * math.Exp(z*sigma))
	case "exponential":
		mean := float64(dur(p1))
		return model.Time(-math.Log(q) * mean), model.Time(-math.Log1p(-q) * mean)
	case "empirical":
		lo = model.Time(math.MaxInt64)
		for _, s := range strings.Split(args, ",") {
			v := dur(s)
			lo, hi = min(lo, v), max(hi, v)
		}
		return lo, hi
	}
	return dur(args), dur(args) // fixed:D
}

func dur(s string) model.Time {
	d, _ := time.ParseDuration(strings.TrimSpace(s))
	return d
}

// normalQuantile is the q-quantile of the standard normal distribution.
func normalQuantile(q float64) float64 { return math.Sqrt2 * math.Erfinv(2*q-1) }
