package plots

import (
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/delegsim/delegsim/sweep"
)

func sweepOf(t *testing.T, edit func(*sweep.Spec), varies ...string) *sweep.Results {
	t.Helper()
	s := sweep.Default()
	s.Trials = 20
	s.Vary = nil
	for _, v := range varies {
		pv, err := sweep.ParseVary(v)
		if err != nil {
			t.Fatal(err)
		}
		s.Vary = append(s.Vary, pv)
	}
	if edit != nil {
		edit(&s)
	}
	p, err := sweep.NewPlan(s)
	if err != nil {
		t.Fatal(err)
	}
	return p.Run(context.Background(), sweep.RunOptions{})
}

func baseNames(paths []string) []string {
	var out []string
	for _, p := range paths {
		out = append(out, filepath.Base(p))
	}
	return out
}

// Every figure is written as a PNG a viewer can decode and an SVG whose
// title names the scenario and the profile and whose axes carry units.
func TestWriteAllDrawsEveryFigure(t *testing.T) {
	res := sweepOf(t, nil, "clients.c1.latency=0ms:100ms:50ms")
	dir := t.TempDir()
	paths, err := WriteAll(dir, res)
	if err != nil {
		t.Fatal(err)
	}
	// kernel and seed-getattr-exempt coincide: the by-policy figures too.
	want := []string{"fail.png", "fail.svg", "fail-by-policy.png", "fail-by-policy.svg", "latency.png", "latency.svg",
		"latency-by-policy.png", "latency-by-policy.svg", "stale.png", "stale.svg", "cost.png", "cost.svg"}
	if got := baseNames(paths); !slices.Equal(got, want) {
		t.Fatalf("wrote %v, want %v", got, want)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, ".png") {
			img, err := png.Decode(strings.NewReader(string(data)))
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 400 || uniform(img) {
				t.Errorf("%s: %v image, uniform %v: want a drawn figure", p, b, uniform(img))
			}
			continue
		}
		svg := string(data)
		for _, s := range []string{"bz219278 on linux-6.12", "kernel", "no-write-deleg"} {
			if !strings.Contains(svg, s) {
				t.Errorf("%s does not say %q", p, s)
			}
		}
		if strings.Contains(p, "by-policy") {
			for _, pol := range res.Meta.Policies {
				if !strings.Contains(svg, ">"+pol+"<") {
					t.Errorf("%s has no panel titled %s", p, pol)
				}
			}
		}
		if !strings.Contains(p, "cost") && !strings.Contains(svg, "clients.c1.latency (ms)") {
			t.Errorf("%s: x axis does not name the parameter and its unit", p)
		}
	}
}

func uniform(img image.Image) bool {
	b := img.Bounds()
	first := img.At(b.Min.X, b.Min.Y)
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			if img.At(x, y) != first {
				return false
			}
		}
	}
	return true
}

// A grid of two parameters gets one set of line figures per value of the
// second; without a consistency check there is no stale figure.
func TestWriteAllPerCombination(t *testing.T) {
	res := sweepOf(t, func(s *sweep.Spec) {
		s.Policies = []string{"kernel", "nonblock-wait"}
		s.Consistency = sweep.ConsistencyNone
	}, "clients.c1.latency=0ms:100ms:50ms", "policy_options.nonblock_wait=30ms:60ms:30ms")
	paths, err := WriteAll(t.TempDir(), res)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"fail-1.png", "fail-1.svg", "latency-1.png", "latency-1.svg",
		"fail-2.png", "fail-2.svg", "latency-2.png", "latency-2.svg", "cost.png", "cost.svg"}
	if got := baseNames(paths); !slices.Equal(got, want) {
		t.Fatalf("wrote %v, want %v", got, want)
	}
	svg, _ := os.ReadFile(filepath.Join(filepath.Dir(paths[0]), "fail-2.svg"))
	if !strings.Contains(string(svg), "policy_options.nonblock_wait=60ms") {
		t.Errorf("fail-2 does not say which nonblock_wait it shows")
	}
}

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		labels []string
	}{
		{0, 200, []string{"0", "50", "100", "150", "200"}},
		{0, 1, []string{"0", "0.2", "0.4", "0.6", "0.8", "1.0"}},
		{0, 0.05, []string{"0", "0.01", "0.02", "0.03", "0.04", "0.05"}},
		{60, 95, []string{"60", "65", "70", "75", "80", "85", "90", "95"}},
		{-1, 1, []string{"-1.0", "-0.5", "0", "0.5", "1.0"}},
	}
	for _, tt := range tests {
		var labels []string
		for _, tk := range (niceTicks{}).Ticks(tt.lo, tt.hi) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if !slices.Equal(labels, tt.labels) {
			t.Errorf("ticks on [%v, %v] = %v, want %v", tt.lo, tt.hi, labels, tt.labels)
		}
		if n := len(labels); n < 3 || n > 11 {
			t.Errorf("ticks on [%v, %v]: %d labels %v, want 3 to 11", tt.lo, tt.hi, n, labels)
		}
	}
}

func TestDescribe(t *testing.T) {
	tests := map[string]string{
		"clients.c1.latency":           "one-way delay on every packet of c1",
		"clients.c2.callback.latency":  "callback one-way delay of c2",
		"clients.c1.reaction":          "c1's reaction time to a callback",
		"policy_options.nonblock_wait": "nonblock-wait bound",
		"locals.l1.script.0.at":        "start of the local access",
		"server.lease":                 "",
	}
	for path, want := range tests {
		if got := describe(path); got != want {
			t.Errorf("describe(%q) = %q, want %q", path, got, want)
		}
	}
}

// TestOverlap: curves that coincide are found; curves that differ
// anywhere are not.
func TestOverlap(t *testing.T) {
	a := &curve{x: []float64{0, 1, 2}, y: []float64{0, 0.5, 1}}
	tests := []struct {
		b        *curve
		tol      float64
		relative bool
		want     bool
	}{
		{&curve{x: []float64{0, 1, 2}, y: []float64{0, 0.5, 1}}, 0.005, false, true},
		{&curve{x: []float64{0, 1, 2}, y: []float64{0.004, 0.5, 1}}, 0.005, false, true},
		{&curve{x: []float64{0, 1, 2}, y: []float64{0, 0.6, 1}}, 0.005, false, false},
		{&curve{x: []float64{0, 1}, y: []float64{0, 0.5}}, 0.005, false, false},
		{&curve{x: []float64{0, 1, 2}, y: []float64{0, 0.504, 1.009}}, 0.01, true, true},
	}
	for i, tt := range tests {
		if got := coincide(a, tt.b, tt.tol, tt.relative); got != tt.want {
			t.Errorf("case %d: coincide = %v, want %v", i, got, tt.want)
		}
	}
}

// TestLogLatency: the log-scale option draws latency on a log axis, says
// so, and where it draws 0.
func TestLogLatency(t *testing.T) {
	res := sweepOf(t, func(s *sweep.Spec) { s.Policies = []string{"kernel", "nonblock-wait"} }, "clients.c1.latency=0ms:100ms:50ms")
	dir := t.TempDir()
	if _, err := WriteAllOptions(dir, res, Options{LogLatency: true}); err != nil {
		t.Fatal(err)
	}
	svg, _ := os.ReadFile(filepath.Join(dir, "latency.svg"))
	if !strings.Contains(string(svg), "log scale, 0 ms drawn at 0.001 ms") {
		t.Error("the latency figure does not say it is log-scale")
	}
	lin := t.TempDir()
	WriteAll(lin, res)
	if b, _ := os.ReadFile(filepath.Join(lin, "latency.svg")); strings.Contains(string(b), "log scale") {
		t.Error("the default latency figure claims a log scale")
	}
}

// TestEmptyChartsSayWhy: a sweep interrupted before any point finished
// still draws its figures (merge --allow-partial can produce one), each
// panel saying why it is empty.
func TestEmptyChartsSayWhy(t *testing.T) {
	res := sweepOf(t, nil, "clients.c1.latency=0ms:100ms:50ms")
	res.Rows, res.Meta.Complete = nil, false
	dir := t.TempDir()
	if _, err := WriteAll(dir, res); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"fail.svg", "latency.svg", "stale.svg"} {
		svg, _ := os.ReadFile(filepath.Join(dir, name))
		if !strings.Contains(string(svg), "no data: no grid point finished") {
			t.Errorf("%s does not say why it is empty", name)
		}
	}
}
