package scenarios_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/delegsim/delegsim/scenarios"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the golden traces in testdata/")

// TestGoldenTraces pins the full trace of key scenarios: the protocol's
// story, step by step, as a reviewer reads it. A change to the model that
// moves any message shows up here as a diff; regenerate with
// `go test ./scenarios -run Golden -rewrite` and review the diff.
func TestGoldenTraces(t *testing.T) {
	for _, name := range []string{"bz219278", "second-client-open", "client-unreachable", "revoked-holder-writes"} {
		t.Run(name, func(t *testing.T) {
			sc, err := scenarios.Load(name, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, _, err := sc.Run(scenarios.Options{Trace: true})
			if err != nil {
				t.Fatal(err)
			}
			got := res.TraceText()
			path := filepath.Join("testdata", name+".trace")
			if *rewrite {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -rewrite to create it)", err)
			}
			if got != string(want) {
				t.Fatalf("trace of %s differs from %s; rerun with -rewrite and review the diff", name, path)
			}
		})
	}
}
