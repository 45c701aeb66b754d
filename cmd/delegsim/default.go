package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

// runDefault is `delegsim` with no arguments: the bug in one table.
func runDefault(stdout, stderr io.Writer) int {
	sc, err := scenarios.Load("bz219278", nil)
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "bz219278 on %s: a v4.2 client creates a file (O_RDWR) and closes it; lsattr then runs twice on the server.\n\n", model.DefaultProfile)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "policy\tdelegation\tfirst lsattr\tsecond lsattr\tCB_RECALL\tCB_GETATTR\texpectations")
	status := exitOK
	for _, name := range model.PolicyNames() {
		res, r, err := sc.Run(scenarios.Options{Policy: name})
		if err != nil {
			return fail(stderr, err)
		}
		deleg := "none"
		if res.EventCount(model.EvGrant) > 0 {
			deleg = "write"
		}
		outcomes := sc.Check(res, r.Profile.Name, name)
		held := 0
		for _, o := range outcomes {
			if o.OK {
				held++
			}
		}
		if held < len(outcomes) {
			status = exitFailed
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d/%d held\n", name, deleg, opResult(res.Op("l1#1")), opResult(res.Op("l1#2")),
			res.Sent[model.MsgCBRecall], res.Sent[model.MsgCBGetattr], held, len(outcomes))
	}
	tw.Flush()
	fmt.Fprintln(stdout, "\nThe first lsattr's open(O_NONBLOCK) itself starts the recall and fails with EAGAIN; the GETATTR exemption")
	fmt.Fprintln(stdout, "of a written analysis of the bug (seed-getattr-exempt) changes nothing. `delegsim run bz219278 --trace FILE`")
	fmt.Fprintln(stdout, "shows every step; `delegsim compare` adds the fixes deployable today and what each breaks.")
	return status
}

func opResult(op model.Op, ok bool) string {
	if !ok {
		return "(not run)"
	}
	return fmt.Sprintf("%s at %.1f ms", op.Result, msOf(op.End))
}
