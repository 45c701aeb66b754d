package plots_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/delegsim/delegsim/plots"
	"github.com/delegsim/delegsim/sweep"
)

// Draw the figures of a small sweep of bz219278.
func ExampleWriteAll() {
	spec := sweep.Default()
	spec.Trials = 20
	plan, err := sweep.NewPlan(spec)
	if err != nil {
		panic(err)
	}
	res := plan.Run(context.Background(), sweep.RunOptions{})
	dir, err := os.MkdirTemp("", "sweep")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	files, err := plots.WriteAll(dir, res)
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		fmt.Println(filepath.Base(f))
	}
	// Output:
	// fail.png
	// fail.svg
	// fail-by-policy.png
	// fail-by-policy.svg
	// latency.png
	// latency.svg
	// latency-by-policy.png
	// latency-by-policy.svg
	// stale.png
	// stale.svg
	// cost.png
	// cost.svg
}
