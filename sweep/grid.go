package sweep

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrInvalid marks every error caused by a bad sweep request (grid, shard,
// trials, policies, output files); the CLI maps it to exit status 2.
// Errors in the scenario itself wrap scenarios.ErrInvalid instead.
var ErrInvalid = errors.New("invalid sweep")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// maxValues bounds the values of one --vary, and maxPoints the grid: a
// typo such as 0ms:200s:1ms should be an error, not a week of work.
const (
	maxValues = 10000
	maxPoints = 100000
)

// Vary is one varied parameter: a --set path and the values it takes.
//
// Its text form is PATH=RANGE or PATH=TEMPLATE. RANGE is FROM:TO:STEP,
// all durations ("0ms:200ms:10ms") or all plain numbers ("0:1:0.1"); TO
// is included when the steps land on it. A TEMPLATE holds one range in
// braces, for values that are more than a number:
// "clients.c1.latency=lognormal:{10ms:50ms:10ms},0.3".
type Vary struct {
	Path     string    // --set path, e.g. clients.c1.latency
	Template string    // the value with "{}" for the varied part; "{}" for a plain range
	Unit     string    // "ms" for durations, "" for plain numbers
	Values   []float64 // the varied part, in Unit (durations in milliseconds)
	texts    []string  // each value as written into the scenario
	text     string    // as parsed
}

// String returns the text form ParseVary parsed.
func (v Vary) String() string { return v.text }

// Set returns the --set override of value i ("clients.c1.latency=10ms").
func (v Vary) Set(i int) string {
	return v.Path + "=" + strings.Replace(v.Template, "{}", v.texts[i], 1)
}

// Column is the CSV column of the parameter: its path, with "_ms" for
// durations.
func (v Vary) Column() string {
	if v.Unit == "" {
		return v.Path
	}
	return v.Path + "_" + v.Unit
}

// Label describes the parameter for an axis: "clients.c1.latency (ms)",
// or "clients.c1.latency = lognormal:X,0.3, X (ms)" for a template.
func (v Vary) Label() string {
	unit := ""
	if v.Unit != "" {
		unit = " (" + v.Unit + ")"
	}
	if v.Template == "{}" {
		return v.Path + unit
	}
	return v.Path + " = " + strings.Replace(v.Template, "{}", "X", 1) + ", X" + unit
}

// ParseVary parses PATH=RANGE or PATH=TEMPLATE (see Vary).
func ParseVary(s string) (Vary, error) {
	bad := func(format string, args ...any) error {
		return invalidf("--vary %q: %s", s, fmt.Sprintf(format, args...))
	}
	path, spec, ok := strings.Cut(s, "=")
	path = strings.TrimSpace(path)
	if !ok || path == "" || spec == "" {
		return Vary{}, bad("want NAME=FROM:TO:STEP, e.g. clients.c1.latency=0ms:200ms:10ms")
	}
	if strings.ContainsAny(path, " {}") {
		return Vary{}, bad("%q is not a --set path (dot-separated field names)", path)
	}
	v := Vary{Path: path, Template: "{}", text: s}
	rng := spec
	if i := strings.IndexByte(spec, '{'); i >= 0 {
		j := strings.IndexByte(spec[i:], '}')
		if j < 0 || strings.ContainsAny(spec[i+j+1:], "{}") || strings.Contains(spec[:i], "}") {
			return Vary{}, bad("a template holds exactly one range in braces, e.g. lognormal:{10ms:50ms:10ms},0.3")
		}
		rng = spec[i+1 : i+j]
		v.Template = spec[:i] + "{}" + spec[i+j+1:]
	} else if strings.Contains(spec, "}") {
		return Vary{}, bad("unbalanced '}'")
	}
	parts := strings.Split(rng, ":")
	if len(parts) != 3 {
		return Vary{}, bad("want FROM:TO:STEP (e.g. 0ms:200ms:10ms or 0:1:0.1), or a template with the range in braces (lognormal:{10ms:50ms:10ms},0.3)")
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	var err error
	if isDurationRange(parts) {
		err = v.durations(parts)
	} else {
		err = v.numbers(parts)
	}
	if err != nil {
		return Vary{}, bad("%v", err)
	}
	return v, nil
}

// isDurationRange reports whether any bound carries a unit: then all of
// them must be durations ("0" alone is allowed, as in scenario files).
func isDurationRange(parts []string) bool {
	for _, p := range parts {
		if _, err := strconv.ParseFloat(p, 64); err != nil {
			if _, err := time.ParseDuration(p); err == nil {
				return true
			}
		}
	}
	return false
}

func (v *Vary) durations(parts []string) error {
	var d [3]time.Duration
	for i, p := range parts {
		x, err := time.ParseDuration(p)
		if err != nil {
			return fmt.Errorf("%q is not a duration (mix no plain numbers with durations; use units: 500us, 20ms, 1.5s)", p)
		}
		if x < 0 {
			return fmt.Errorf("negative duration %q", p)
		}
		d[i] = x
	}
	from, to, step := d[0], d[1], d[2]
	if err := checkRange(float64(from), float64(to), float64(step), parts); err != nil {
		return err
	}
	v.Unit = "ms"
	for x := from; x <= to; x += step {
		v.Values = append(v.Values, float64(x)/float64(time.Millisecond))
		v.texts = append(v.texts, x.String())
	}
	return nil
}

func (v *Vary) numbers(parts []string) error {
	var f [3]float64
	for i, p := range parts {
		x, err := strconv.ParseFloat(p, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%q is neither a finite number nor a duration", p)
		}
		f[i] = x
	}
	from, to, step := f[0], f[1], f[2]
	if err := checkRange(from, to, step, parts); err != nil {
		return err
	}
	// Values are rounded to the decimals written in FROM and STEP, so
	// 0:1:0.1 gives 0.3 and not 0.30000000000000004.
	dec := min(max(decimals(parts[0]), decimals(parts[2])), 12)
	scale := math.Pow(10, float64(dec))
	n := int(math.Floor((to-from)/step+1e-9)) + 1
	for i := range n {
		x := math.Round((from+float64(i)*step)*scale) / scale
		v.Values = append(v.Values, x)
		v.texts = append(v.texts, strconv.FormatFloat(x, 'f', -1, 64))
	}
	return nil
}

func checkRange(from, to, step float64, parts []string) error {
	switch {
	case step <= 0:
		return fmt.Errorf("STEP %q must be > 0", parts[2])
	case to < from:
		return fmt.Errorf("TO %q is below FROM %q", parts[1], parts[0])
	case (to-from)/step+1 > maxValues:
		return fmt.Errorf("%.0f values; at most %d per parameter", math.Floor((to-from)/step)+1, maxValues)
	}
	return nil
}

// decimals counts the digits after the decimal point of a plain number.
func decimals(s string) int {
	s = strings.ToLower(s)
	exp := 0
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		exp, _ = strconv.Atoi(s[i+1:])
		s = s[:i]
	}
	d := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		d = len(s) - i - 1
	}
	return max(d-exp, 0)
}

// Shard is one slice of a sweep: the grid points whose index modulo Count
// is Index. Points are dealt round-robin, so every shard gets a share of
// the cheap and of the expensive end of a range.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Whole is the shard that is the whole sweep.
var Whole = Shard{Index: 0, Count: 1}

// ParseShard parses "I/N", 0 <= I < N: the form Kubernetes Indexed Jobs
// ($JOB_COMPLETION_INDEX) and Slurm arrays (--array=0-N-1) number tasks.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, invalidf("--shard %q: want I/N, e.g. 0/3 for the first of three shards", s)
	}
	sh := Shard{Index: i, Count: n}
	if err := sh.validate(); err != nil {
		return Shard{}, invalidf("--shard %q: %v", s, err)
	}
	return sh, nil
}

func (s Shard) validate() error {
	switch {
	case s.Count < 1:
		return fmt.Errorf("the shard count N must be >= 1, got %d", s.Count)
	case s.Index < 0 || s.Index >= s.Count:
		return fmt.Errorf("the shard index I must be in [0, %d), got %d (shards count from 0)", s.Count, s.Index)
	}
	return nil
}

// String returns "I/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Has reports whether grid point i belongs to the shard.
func (s Shard) Has(i int) bool { return i%s.Count == s.Index }

// Points returns the indices of the shard's points among n.
func (s Shard) Points(n int) []int {
	var out []int
	for i := s.Index; i < n; i += s.Count {
		out = append(out, i)
	}
	return out
}
