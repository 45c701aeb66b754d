package sweep

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseVary(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		unit   string
		values []float64
		sets   []string // the --set of each value, if checked
		column string
	}{
		{name: "callback delay from 0 to 200 ms in 50 ms steps, both ends included",
			in: "clients.c1.latency=0ms:200ms:50ms", unit: "ms", values: []float64{0, 50, 100, 150, 200},
			sets:   []string{"clients.c1.latency=0s", "clients.c1.latency=50ms", "clients.c1.latency=100ms", "clients.c1.latency=150ms", "clients.c1.latency=200ms"},
			column: "clients.c1.latency_ms"},
		{name: "a bare 0 among durations is a duration, as in scenario files",
			in: "clients.c1.reaction=0:2ms:500us", unit: "ms", values: []float64{0, 0.5, 1, 1.5, 2}},
		{name: "sub-millisecond steps keep their precision",
			in: "server.rpc=100us:300us:100us", unit: "ms", values: []float64{0.1, 0.2, 0.3},
			sets: []string{"server.rpc=100µs", "server.rpc=200µs", "server.rpc=300µs"}},
		{name: "plain numbers are rounded to the decimals written, so 0.3 is 0.3",
			in: "clients.c1.callback.loss=0:0.5:0.1", values: []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5},
			sets:   []string{"clients.c1.callback.loss=0", "clients.c1.callback.loss=0.1", "clients.c1.callback.loss=0.2", "clients.c1.callback.loss=0.3", "clients.c1.callback.loss=0.4", "clients.c1.callback.loss=0.5"},
			column: "clients.c1.callback.loss"},
		{name: "TO is left out when the steps do not land on it",
			in: "locals.l1.script.0.retry.attempts=1:10:4", values: []float64{1, 5, 9}},
		{name: "a single value", in: "policy_options.nonblock_wait=30ms:30ms:1ms", unit: "ms", values: []float64{30}},
		{name: "a template varies part of a distribution",
			in: "clients.c1.latency=lognormal:{10ms:30ms:10ms},0.3", unit: "ms", values: []float64{10, 20, 30},
			sets: []string{"clients.c1.latency=lognormal:10ms,0.3", "clients.c1.latency=lognormal:20ms,0.3", "clients.c1.latency=lognormal:30ms,0.3"}},
		{name: "a template varies a distribution's sigma",
			in: "clients.c1.latency=lognormal:20ms,{0:0.4:0.2}", values: []float64{0, 0.2, 0.4},
			sets: []string{"clients.c1.latency=lognormal:20ms,0", "clients.c1.latency=lognormal:20ms,0.2", "clients.c1.latency=lognormal:20ms,0.4"}},
		{name: "exponent notation", in: "x=0:2e-3:1e-3", values: []float64{0, 0.001, 0.002}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ParseVary(tt.in)
			if err != nil {
				t.Fatalf("ParseVary(%q): %v", tt.in, err)
			}
			if v.Unit != tt.unit || !slices.Equal(v.Values, tt.values) {
				t.Errorf("ParseVary(%q) = unit %q values %v, want unit %q values %v", tt.in, v.Unit, v.Values, tt.unit, tt.values)
			}
			if tt.sets != nil {
				var sets []string
				for i := range v.Values {
					sets = append(sets, v.Set(i))
				}
				if !slices.Equal(sets, tt.sets) {
					t.Errorf("sets = %q, want %q", sets, tt.sets)
				}
			}
			if tt.column != "" && v.Column() != tt.column {
				t.Errorf("Column() = %q, want %q", v.Column(), tt.column)
			}
			if v.String() != tt.in {
				t.Errorf("String() = %q, want the input back", v.String())
			}
		})
	}
}

func TestParseVaryRejects(t *testing.T) {
	tests := []struct{ in, why string }{
		{"clients.c1.latency=200ms:0ms:10ms", "is below FROM"},
		{"clients.c1.latency=0ms:200ms:0ms", "must be > 0"},
		{"clients.c1.latency=0ms:200ms:-10ms", "negative duration"},
		{"x=0:1:0", "must be > 0"},
		{"x=0:1:-0.1", "must be > 0"},
		{"clients.c1.latency=0ms:200:10ms", "not a duration"},
		{"clients.c1.latency=0ms:200ms", "want FROM:TO:STEP"},
		{"clients.c1.latency=20ms", "want FROM:TO:STEP"},
		{"clients.c1.latency=lognormal:20ms,0.2", "want FROM:TO:STEP"},
		{"x=a:b:c", "neither a finite number nor a duration"},
		{"x=NaN:1:1", "neither a finite number nor a duration"},
		{"x=0:Inf:1", "neither a finite number nor a duration"},
		{"clients.c1.latency", "want NAME=FROM:TO:STEP"},
		{"=0:1:1", "want NAME=FROM:TO:STEP"},
		{"x=", "want NAME=FROM:TO:STEP"},
		{"x=lognormal:{10ms:20ms:10ms", "exactly one range in braces"},
		{"x={0:1:1}{0:1:1}", "exactly one range in braces"},
		{"x=0:1:1}", "unbalanced"},
		{"x=0:1e9:1", "at most 10000"},
		{"x y=0:1:1", "not a --set path"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseVary(tt.in)
			if err == nil {
				t.Fatalf("ParseVary(%q) succeeded", tt.in)
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.why) || !strings.Contains(err.Error(), tt.in) {
				t.Errorf("ParseVary(%q) = %v, want an ErrInvalid naming the input and saying %q", tt.in, err, tt.why)
			}
		})
	}
}

func TestParseShard(t *testing.T) {
	tests := []struct {
		in   string
		want Shard
		err  string
	}{
		{in: "0/1", want: Shard{0, 1}},
		{in: "2/3", want: Shard{2, 3}},
		{in: "0/3", want: Shard{0, 3}},
		{in: "3/3", err: "I must be in [0, 3)"},
		{in: "-1/3", err: "I must be in [0, 3)"},
		{in: "0/0", err: "N must be >= 1"},
		{in: "1", err: "want I/N"},
		{in: "a/b", err: "want I/N"},
		{in: "1/2/3", err: "want I/N"},
		{in: "", err: "want I/N"},
	}
	for _, tt := range tests {
		got, err := ParseShard(tt.in)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("ParseShard(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		case tt.err != "" && (err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseShard(%q) = %v, %v; want an error saying %q", tt.in, got, err, tt.err)
		}
	}
}

// Every point of a grid belongs to exactly one shard, whatever the split,
// and Points and Has agree.
func TestShardsCoverEveryPointOnce(t *testing.T) {
	for _, points := range []int{1, 2, 7, 21, 100} {
		for n := 1; n <= 8; n++ {
			seen := make([]int, points)
			for i := range n {
				sh := Shard{Index: i, Count: n}
				for _, p := range sh.Points(points) {
					seen[p]++
					if !sh.Has(p) {
						t.Errorf("shard %s lists point %d but Has says no", sh, p)
					}
				}
			}
			for p, c := range seen {
				if c != 1 {
					t.Errorf("%d points in %d shards: point %d is in %d shards, want 1", points, n, p, c)
				}
			}
		}
	}
}
