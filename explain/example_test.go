package explain_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/delegsim/delegsim/explain"
	"github.com/delegsim/delegsim/scenarios"
)

// Build tells a run step by step; here, the step in which lsattr's
// non-blocking open starts the recall and fails.
func ExampleBuild() {
	sc, err := scenarios.Load("bz219278", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	st, err := explain.Build(sc, scenarios.Options{Policy: "kernel"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range st.Steps {
		if strings.Contains(s.What, "CB_RECALL queued") {
			fmt.Println(s.Actor + ": " + s.What)
			fmt.Println("why: " + s.Why)
			break
		}
	}
	// Output:
	// server: open(f, O_RDONLY|O_NONBLOCK) from l1 hits c1's write lease: CB_RECALL queued, EAGAIN returned
	// why: __break_lease queues CB_RECALL via nfsd_break_deleg_cb and, for O_NONBLOCK, returns EWOULDBLOCK at once
}

// WriteMermaid draws the same run as a sequence diagram for GitHub
// markdown.
func ExampleStory_WriteMermaid() {
	sc, _ := scenarios.Load("bz219278", nil)
	st, _ := explain.Build(sc, scenarios.Options{})
	var b strings.Builder
	st.WriteMermaid(&b)
	lines := strings.Split(b.String(), "\n")
	fmt.Fprintln(os.Stdout, strings.Join(lines[:8], "\n"))
	// Output:
	// sequenceDiagram
	//     %% bz219278, profile linux-6.12, policy kernel, seed 1
	//     participant A1 as c1 app
	//     participant C1 as c1 NFS client
	//     participant NET as network
	//     participant NFSD as nfsd
	//     participant VFS as VFS lease
	//     participant L1 as l1 local process
}
