package compare_test

import (
	"fmt"
	"strings"

	"github.com/delegsim/delegsim/compare"
	"github.com/delegsim/delegsim/scenarios"
)

// Compare runs each fix on a scenario — the kernel policies, then what
// can be deployed today — and judges it against the kernel's behaviour.
func ExampleCompare() {
	sc, err := scenarios.Load("bz219278", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	t, err := compare.Compare(sc, compare.Options{Trials: 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range t.Rows {
		// The verdict's first clause is the outcome; the rest, the price.
		outcome, _, _ := strings.Cut(r.Verdict, ";")
		fmt.Printf("%-20s %-19s %3.0f%%  %s\n", r.Name, r.Kind, 100*r.Fail, outcome)
	}
	// Output:
	// kernel               baseline            100%  baseline: lsattr fails in 100% of runs
	// seed-getattr-exempt  kernel patch        100%  no change: lsattr still fails (100%)
	// local-read-exempt    kernel patch          0%  fixes lsattr
	// nonblock-wait        kernel patch          0%  fixes lsattr
	// cb-getattr-gate      kernel patch          0%  fixes lsattr
	// no-write-deleg       kernel patch          0%  fixes lsattr
	// app-retry            application change    0%  fixes lsattr
	// blocking-open        application change    0%  fixes lsattr
	// mount-v4.0           configuration         0%  fixes lsattr
	// leases-disabled      configuration         0%  fixes lsattr
	// wronly-writer        application change    0%  fixes lsattr
}

// A fix is a transformation of the scenario: the overrides and the policy
// its runs use, which `delegsim run` reproduces.
func ExampleFix_Apply() {
	sc, err := scenarios.Load("certbot-nginx", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"blocking-open", "mount-v4.0", "leases-disabled"} {
		f, _ := compare.LookupFix(name)
		v, err := f.Apply(sc)
		if err != nil {
			fmt.Println(err)
			continue
		}
		cmd := name + ": --policy " + v.Policy
		for _, s := range v.Sets {
			cmd += " --set " + s
		}
		fmt.Println(cmd)
	}
	// Output:
	// blocking-open: --policy kernel --set locals.nginx.script.0.blocking=true --set locals.nginx.script.1.blocking=true
	// mount-v4.0: --policy kernel --set clients.certbot.version=4.0
	// leases-disabled: --policy no-deleg
}
