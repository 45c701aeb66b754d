package explore

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

func TestTmpSym(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("TMPN"))
	w, _ := strconv.Atoi(os.Getenv("TMPW"))
	sc := os.Getenv("TMPSC")
	if sc == "" {
		sc = "testdata/bz219278-3c3l-sym.yaml"
	}
	m := testModel(t, sc, "kernel")
	st := time.Now()
	o := Options{Symmetry: os.Getenv("TMPSYM") != "", Strategy: map[bool]Strategy{true: BFS, false: DFS}[os.Getenv("TMPBFS") != ""], MaxStates: n, Workers: w}
	if os.Getenv("TMPPROG") != "" {
		o.Progress = func(p Progress) {
			fmt.Fprintf(os.Stderr, "%v %d states %.0f/s queue %d depth %d mem %dMB\n", p.Elapsed.Round(time.Second), p.Distinct, p.Rate, p.Queue, p.Depth, p.Memory>>20)
		}
		o.ProgressInterval = 30 * time.Second
	}
	b := Explore(m, o)
	t.Log(sc, b.Distinct, b.Histories, b.Terminal, b.Symmetries, b.Exhausted, b.Generated, time.Since(st), b.VisitedBytes)
}
