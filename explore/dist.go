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
// (fixed, uniform, empirical), else its q-quantile. sim.Dist keeps its
// parameters private, so the bound is read from the distribution's text
// form, which ParseDist round-trips.
func upper(d sim.Dist, q float64) model.Time {
	kind, args, found := strings.Cut(d.String(), ":")
	if !found {
		return dur(kind)
	}
	p1, p2, _ := strings.Cut(args, ",")
	switch kind {
	case "uniform":
		_, hi, _ := strings.Cut(args, "..")
		return dur(hi)
	case "normal":
		return max(0, dur(p1)+model.Time(normalQuantile(q)*float64(dur(p2))))
	case "lognormal":
		sigma, _ := strconv.ParseFloat(p2, 64)
		return model.Time(float64(dur(p1)) * math.Exp(normalQuantile(q)*sigma))
	case "exponential":
		return model.Time(-math.Log1p(-q) * float64(dur(p1)))
	case "empirical":
		var hi model.Time
		for _, s := range strings.Split(args, ",") {
			hi = max(hi, dur(s))
		}
		return hi
	}
	return dur(args) // fixed:D
}

// lower returns a lower bound on the values of d: its minimum where it
// has one (fixed, uniform, empirical), else its (1-q)-quantile, the
// bound symmetric to upper's.
func lower(d sim.Dist, q float64) model.Time {
	kind, args, found := strings.Cut(d.String(), ":")
	if !found {
		return dur(kind)
	}
	p1, p2, _ := strings.Cut(args, ",")
	switch kind {
	case "uniform":
		lo, _, _ := strings.Cut(args, "..")
		return dur(lo)
	case "normal":
		return max(0, dur(p1)-model.Time(normalQuantile(q)*float64(dur(p2))))
	case "lognormal":
		sigma, _ := strconv.ParseFloat(p2, 64)
		return model.Time(float64(dur(p1)) * math.Exp(-normalQuantile(q)*sigma))
	case "exponential":
		return model.Time(-math.Log(q) * float64(dur(p1)))
	case "empirical":
		lo := model.Time(math.MaxInt64)
		for _, s := range strings.Split(args, ",") {
			lo = min(lo, dur(s))
		}
		return lo
	}
	return dur(args) // fixed:D
}

func dur(s string) model.Time {
	d, _ := time.ParseDuration(strings.TrimSpace(s))
	return d
}

// normalQuantile is the q-quantile of the standard normal distribution.
func normalQuantile(q float64) float64 { return math.Sqrt2 * math.Erfinv(2*q-1) }
