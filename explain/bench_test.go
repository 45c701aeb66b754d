package explain

import (
	"io"
	"testing"

	"github.com/delegsim/delegsim/scenarios"
)

// BenchmarkExplainHTML measures telling client-unreachable (about 60 arrows
// over 96 s of virtual time) and rendering its page.
func BenchmarkExplainHTML(b *testing.B) {
	sc, err := scenarios.Load("client-unreachable", nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		st, err := Build(sc, scenarios.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := st.WriteHTML(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteSVG measures laying out and drawing client-unreachable's
// static diagram (delegsim serve draws one per request).
func BenchmarkWriteSVG(b *testing.B) {
	sc, err := scenarios.Load("client-unreachable", nil)
	if err != nil {
		b.Fatal(err)
	}
	st, err := Build(sc, scenarios.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := st.WriteSVG(io.Discard, "d"); err != nil {
			b.Fatal(err)
		}
	}
}
