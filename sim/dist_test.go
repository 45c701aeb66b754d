package sim

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseDist(t *testing.T) {
	tests := []struct {
		in, want string // want: canonical String(), or "error: substring"
	}{
		{"20ms", "20ms"},
		{"0", "0s"},
		{"fixed:1.5s", "1.5s"},
		{"uniform:10ms..30ms", "uniform:10ms..30ms"},
		{"normal:20ms,5ms", "normal:20ms,5ms"},
		{"lognormal:3ms,0.4", "lognormal:3ms,0.4"},
		{"exponential:10ms", "exponential:10ms"},
		{"empirical:1ms,2ms,5ms", "empirical:1ms,2ms,5ms"},
		{"-5ms", "error: negative duration"},
		{"20", "error: bad duration"},
		{"NaNms", "error: bad duration"},
		{"uniform:30ms..10ms", "error: below min"},
		{"uniform:10ms", "error: MIN..MAX"},
		{"lognormal:3ms,-1", "error: sigma"},
		{"lognormal:3ms,NaN", "error: sigma"},
		{"normal:20ms", "error: two parameters"},
		{"gamma:1ms", "error: unknown distribution"},
		// Issue 16: draws that overflow model.Time ran the clock backwards.
		{"lognormal:3ms,1e308", "error: can draw delays beyond 24h0m0s (allowed: 0 to 24h0m0s): median × e^(6 × sigma) must be at most 24h0m0s: with median 3ms, sigma at most 2.86"},
		{"lognormal:3ms,2.8", "lognormal:3ms,2.8"},
		{"25h", "error: a delay must be at most 24h0m0s"},
		{"uniform:0..25h", "error: MAX must be at most 24h"},
		{"normal:1h,4h", "error: MEAN + 6 × SD"},
		{"exponential:2h", "error: the mean must be at most 1h9m29s"},
		{"exponential:1h", "exponential:1h0m0s"},
		{"empirical:1ms,9999h", "error: every value must be at most 24h"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := ParseDist(tt.in)
			if want, ok := strings.CutPrefix(tt.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("ParseDist(%q) = %v, %v; want error with %q", tt.in, d, err, want)
				}
				return
			}
			if err != nil || d.String() != tt.want {
				t.Fatalf("ParseDist(%q) = %v, %v; want %s", tt.in, d, err, tt.want)
			}
		})
	}
}

// TestDistSamples checks each family's sample mean and median against
// its definition, and that no sample is negative.
func TestDistSamples(t *testing.T) {
	ms := func(x float64) time.Duration { return time.Duration(x * 1e6) }
	tests := []struct {
		spec         string
		mean, median time.Duration
	}{
		{"uniform:10ms..30ms", ms(20), ms(20)},
		{"exponential:10ms", ms(10), ms(10 * math.Ln2)},
		{"lognormal:10ms,0.5", ms(10 * math.Exp(0.125)), ms(10)}, // mean e^(σ²/2) × median
		{"normal:20ms,2ms", ms(20), ms(20)},
	}
	r := NewStreams(1).Get("test")
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			d := MustDist(tt.spec)
			if d.Median() != tt.median {
				t.Errorf("median %v, want %v", d.Median(), tt.median)
			}
			const n = 20000
			var sum float64
			for i := 0; i < n; i++ {
				x := d.Sample(r)
				if x < 0 {
					t.Fatalf("negative sample %v", x)
				}
				sum += float64(x)
			}
			if got := sum / n; math.Abs(got-float64(tt.mean)) > 0.03*float64(tt.mean) {
				t.Errorf("mean %v, want %v ± 3%%", time.Duration(got), tt.mean)
			}
		})
	}
}

// TestStreamsIndependent: a stream's draws depend only on the seed and
// its name, so adding a client does not shift another's latencies.
func TestStreamsIndependent(t *testing.T) {
	a := NewStreams(42).Get("c1/fore/up")
	_ = NewStreams(42).Get("c2/fore/up").Uint64() // another stream in use
	b := NewStreams(42).Get("c1/fore/up")
	for i := 0; i < 100; i++ {
		if a.Uint64() != b.Uint64() {
			t.Fatal("same seed and name, different draws")
		}
	}
	if NewStreams(42).Get("x").Uint64() == NewStreams(43).Get("x").Uint64() {
		t.Fatal("different seeds, same first draw")
	}
	if NewStreams(42).Get("x").Uint64() == NewStreams(42).Get("y").Uint64() {
		t.Fatal("different names, same first draw")
	}
}

func TestLinkHeldUntil(t *testing.T) {
	l := Link{Partitions: []Window{{From: 10, To: 20}, {From: 20, To: 25}, {From: 100, Forever: true}}}
	tests := []struct {
		at, want Time
		ok       bool
	}{
		{5, 5, true}, {10, 25, true}, {19, 25, true}, {25, 25, true}, {99, 99, true}, {100, 0, false},
	}
	for _, tt := range tests {
		got, ok := l.heldUntil(tt.at)
		if got != tt.want || ok != tt.ok {
			t.Errorf("heldUntil(%d) = %d, %v; want %d, %v", tt.at, got, ok, tt.want, tt.ok)
		}
	}
}

// Time abbreviates model.Time in these tests.
type Time = time.Duration

func TestLinkValidate(t *testing.T) {
	for _, l := range []Link{{Loss: -0.1}, {Loss: 1.5}, {Loss: math.NaN()}, {Partitions: []Window{{From: 5, To: 1}}}} {
		if l.Validate() == nil {
			t.Errorf("%+v accepted", l)
		}
	}
	if (Link{Loss: 1}).Validate() != nil {
		t.Error("loss 1 rejected")
	}
}

func ExampleParseDist() {
	d, err := ParseDist("lognormal:3ms,0.3")
	if err != nil {
		panic(err)
	}
	r := NewStreams(1).Get("example")
	fmt.Println(d, d.Median(), d.Sample(r) > 0)
	// Output: lognormal:3ms,0.3 3ms true
}

// TestSamplesStayInRange: whatever the parameters (even ones ParseDist
// refuses), a draw is a time in [0, MaxDelay], never an overflowed,
// negative one.
func TestSamplesStayInRange(t *testing.T) {
	r := NewStreams(1).Get("range")
	for _, d := range []Dist{
		{kind: distLognormal, a: 3e6, b: 1e308},
		{kind: distLognormal, a: 1e300, b: 1},
		{kind: distNormal, a: 0, b: 1e300},
		{kind: distExponential, a: 1e300},
	} {
		for range 1000 {
			if x := d.Sample(r); x < 0 || x > MaxDelay {
				t.Fatalf("%v drew %v", d, x)
			}
		}
	}
}

// FuzzParseDist: a distribution that parses draws only times in [0,
// MaxDelay], and its text form parses back to the same distribution.
func FuzzParseDist(f *testing.F) {
	for _, s := range []string{"20ms", "0", "uniform:10ms..30ms", "normal:20ms,5ms", "lognormal:3ms,0.4",
		"lognormal:3ms,1e308", "exponential:10ms", "empirical:1ms,2ms,5ms", "fixed:24h", "normal:1h,3h"} {
		f.Add(s)
	}
	r := NewStreams(1).Get("fuzz")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDist(s)
		if err != nil {
			return
		}
		for range 50 {
			if x := d.Sample(r); x < 0 || x > MaxDelay {
				t.Fatalf("%q drew %v", s, x)
			}
		}
		back, err := ParseDist(d.String())
		if err != nil || back.String() != d.String() {
			t.Fatalf("%q: String %q parses to %v, %v", s, d.String(), back, err)
		}
	})
}
