package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/delegsim/delegsim/model"
)

// DistKinds lists the distribution families ParseDist accepts.
var DistKinds = []string{"fixed", "uniform", "normal", "lognormal", "exponential", "empirical"}

// Dist is a distribution of durations (latencies, processing and start-up
// times). Its zero value is the constant 0.
//
// Text form (the YAML and --set syntax):
//
//	20ms                      fixed
//	fixed:20ms                fixed
//	uniform:10ms..30ms        uniform on [10ms, 30ms]
//	normal:20ms,5ms           mean, standard deviation; truncated at 0
//	lognormal:3ms,0.4         median, sigma of the underlying normal
//	exponential:10ms          mean
//	empirical:1ms,2ms,5ms     each listed value equally likely
type Dist struct {
	kind    distKind
	a, b    float64 // parameters in nanoseconds (sigma is unitless)
	samples []model.Time
}

// distKind is a distribution family. The zero Dist (distZero) and
// Fixed(0) are the same distribution but stay distinct values, as they
// were when the kind was a string.
type distKind uint8

const (
	distZero distKind = iota
	distFixed
	distUniform
	distNormal
	distLognormal
	distExponential
	distEmpirical
)

// Fixed returns the constant distribution d.
func Fixed(d model.Time) Dist { return Dist{kind: distFixed, a: float64(d)} }

// MaxDelay is the largest duration a distribution may draw. A sampled
// delay is added to the clock, so an unbounded one (lognormal:3ms,1e308)
// would overflow model.Time and run the clock backwards. A day is far
// beyond any latency, processing or start-up time delegsim models, and
// far below the ~292 years model.Time holds, so adding one to any time a
// run reaches (sim's MaxTime) cannot overflow.
const MaxDelay = model.Time(24 * time.Hour)

// tailZ is the standard normal quantile beyond which a draw counts as
// impossible when bounding a distribution: P(Z > 6) ≈ 1e-9. Draws past
// MaxDelay are clamped (Sample), so the bound decides only what is
// rejected as a mistake, not what is safe.
const tailZ = 6.0

// ParseDist parses the text form of a distribution. It refuses
// parameters whose draws could exceed MaxDelay (past the 1e-9 tail of
// an unbounded family).
func ParseDist(s string) (Dist, error) {
	d, err := parseDist(s)
	if err != nil {
		return Dist{}, err
	}
	if err := d.checkRange(); err != nil {
		return Dist{}, err
	}
	return d, nil
}

// checkRange reports parameters whose draws can exceed MaxDelay.
func (d Dist) checkRange() error {
	limit := float64(MaxDelay)
	var hi float64 // the largest draw that counts, see tailZ
	var fix string
	switch d.kind {
	case distZero, distFixed:
		hi, fix = d.a, fmt.Sprintf("a delay must be at most %v", MaxDelay)
	case distUniform:
		hi, fix = d.b, fmt.Sprintf("MAX must be at most %v", MaxDelay)
	case distNormal:
		hi, fix = d.a+tailZ*d.b, fmt.Sprintf("MEAN + 6 × SD must be at most %v", MaxDelay)
	case distLognormal:
		hi = d.a * math.Exp(tailZ*d.b)
		fix = fmt.Sprintf("median × e^(6 × sigma) must be at most %v: with median %v, sigma at most %.3g",
			MaxDelay, model.Time(d.a), math.Log(limit/math.Max(d.a, 1))/tailZ)
	case distExponential:
		hi = d.a * math.Log(1e9)
		fix = fmt.Sprintf("the mean must be at most %v", model.Time(limit/math.Log(1e9)).Round(time.Second))
	case distEmpirical:
		for _, x := range d.samples {
			hi = math.Max(hi, float64(x))
		}
		fix = fmt.Sprintf("every value must be at most %v", MaxDelay)
	}
	if hi > limit || math.IsNaN(hi) {
		return fmt.Errorf("%s can draw delays beyond %v (allowed: 0 to %v): %s", d, MaxDelay, MaxDelay, fix)
	}
	return nil
}

func parseDist(s string) (Dist, error) {
	s = strings.TrimSpace(s)
	kind, args, found := strings.Cut(s, ":")
	if !found {
		d, err := parseDur(s)
		if err != nil {
			return Dist{}, fmt.Errorf("%w; a distribution is a duration or KIND:ARGS (kinds: %s)", err, strings.Join(DistKinds, ", "))
		}
		return Fixed(d), nil
	}
	switch kind {
	case "fixed":
		d, err := parseDur(args)
		if err != nil {
			return Dist{}, err
		}
		return Fixed(d), nil
	case "uniform":
		lo, hi, ok := strings.Cut(args, "..")
		if !ok {
			return Dist{}, fmt.Errorf("uniform needs MIN..MAX, got %q", args)
		}
		a, err := parseDur(lo)
		if err != nil {
			return Dist{}, err
		}
		b, err := parseDur(hi)
		if err != nil {
			return Dist{}, err
		}
		if b < a {
			return Dist{}, fmt.Errorf("uniform: max %v is below min %v", b, a)
		}
		return Dist{kind: distUniform, a: float64(a), b: float64(b)}, nil
	case "normal", "lognormal":
		p1, p2, ok := strings.Cut(args, ",")
		if !ok {
			return Dist{}, fmt.Errorf("%s needs two parameters separated by a comma, got %q", kind, args)
		}
		a, err := parseDur(p1)
		if err != nil {
			return Dist{}, err
		}
		var b float64
		if kind == "normal" {
			sd, err := parseDur(p2)
			if err != nil {
				return Dist{}, err
			}
			b = float64(sd)
		} else {
			b, err = strconv.ParseFloat(strings.TrimSpace(p2), 64)
			if err != nil || math.IsNaN(b) || math.IsInf(b, 0) || b < 0 {
				return Dist{}, fmt.Errorf("lognormal sigma must be a number >= 0, got %q", p2)
			}
		}
		if kind == "normal" {
			return Dist{kind: distNormal, a: float64(a), b: b}, nil
		}
		return Dist{kind: distLognormal, a: float64(a), b: b}, nil
	case "exponential":
		m, err := parseDur(args)
		if err != nil {
			return Dist{}, err
		}
		return Dist{kind: distExponential, a: float64(m)}, nil
	case "empirical":
		var xs []model.Time
		for _, f := range strings.Split(args, ",") {
			d, err := parseDur(f)
			if err != nil {
				return Dist{}, err
			}
			xs = append(xs, d)
		}
		return Dist{kind: distEmpirical, samples: xs}, nil
	}
	return Dist{}, fmt.Errorf("unknown distribution %q (allowed: %s)", kind, strings.Join(DistKinds, ", "))
}

// MustDist is ParseDist for literals known to be valid.
func MustDist(s string) Dist {
	d, err := ParseDist(s)
	if err != nil {
		panic(err)
	}
	return d
}

func parseDur(s string) (model.Time, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q (use units: 500us, 20ms, 1.5s)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("negative duration %q", s)
	}
	return d, nil
}

// Sample draws one value, in [0, MaxDelay].
func (d Dist) Sample(r *rand.Rand) model.Time { return d.sample(r) }

// sample is Sample without copying d, for the engine's every event.
func (d *Dist) sample(r *rand.Rand) model.Time {
	switch d.kind {
	case distZero, distFixed:
		return model.Time(d.a)
	case distUniform:
		return model.Time(d.a + r.Float64()*(d.b-d.a))
	case distNormal:
		return clamp(d.a + r.NormFloat64()*d.b)
	case distLognormal:
		return clamp(d.a * math.Exp(r.NormFloat64()*d.b))
	case distExponential:
		return clamp(r.ExpFloat64() * d.a)
	default: // empirical
		return d.samples[r.IntN(len(d.samples))]
	}
}

// clamp converts a draw of an unbounded family to a time in [0,
// MaxDelay]: converting a float beyond int64's range is undefined in Go.
func clamp(x float64) model.Time {
	return model.Time(math.Max(0, math.Min(x, float64(MaxDelay))))
}

// Median is the distribution's median: the value untimed explorers and
// explanations use.
func (d Dist) Median() model.Time {
	switch d.kind {
	case distUniform:
		return model.Time((d.a + d.b) / 2)
	case distExponential:
		return model.Time(d.a * math.Ln2)
	case distEmpirical:
		xs := slices.Clone(d.samples)
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	return model.Time(d.a) // fixed, normal, lognormal
}

// IsFixed reports whether the distribution is a constant (it draws no
// random numbers).
func (d Dist) IsFixed() bool { return d.kind <= distFixed }

// IsZero reports whether the distribution is the constant 0.
func (d Dist) IsZero() bool { return d.kind <= distFixed && d.a == 0 }

// String returns the text form.
func (d Dist) String() string {
	switch d.kind {
	case distZero, distFixed:
		return model.Time(d.a).String()
	case distUniform:
		return fmt.Sprintf("uniform:%v..%v", model.Time(d.a), model.Time(d.b))
	case distNormal:
		return fmt.Sprintf("normal:%v,%v", model.Time(d.a), model.Time(d.b))
	case distLognormal:
		return fmt.Sprintf("lognormal:%v,%g", model.Time(d.a), d.b)
	case distExponential:
		return fmt.Sprintf("exponential:%v", model.Time(d.a))
	}
	parts := make([]string, len(d.samples))
	for i, x := range d.samples {
		parts[i] = x.String()
	}
	return "empirical:" + strings.Join(parts, ",")
}

// UnmarshalText implements encoding.TextUnmarshaler, so YAML and flags can
// hold distributions.
func (d *Dist) UnmarshalText(b []byte) error {
	v, err := ParseDist(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Dist) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
