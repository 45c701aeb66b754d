package report

import "testing"

// BenchmarkReportBz219278 builds the default report on bz219278: the
// decision tables on it and on the safety workload, the sweep (21 delays
// × 11 fixes × 1,000 trials) with its figures, and the counterexamples.
func BenchmarkReportBz219278(b *testing.B) {
	for b.Loop() {
		if _, err := Build(Options{Scenario: "bz219278", Version: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}
