package main

import (
	"io"
	"strings"

	"github.com/delegsim/delegsim/policyfile"
)

func init() {
	register(command{name: "policy", summary: "print a built-in policy as a policy file, to start one of your own from", run: policyCmd})
}

func policyCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("policy", "NAME\n\nPrints the built-in policy NAME ("+strings.Join(policyfile.BuiltinNames(), ", ")+
		") as the YAML file --policy-file reads; see docs/policies.md.", stderr)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return fail(stderr, usageErr("policy takes one built-in policy name (%s)", strings.Join(policyfile.BuiltinNames(), ", ")))
	}
	data, err := policyfile.BuiltinSource(pos[0])
	if err != nil {
		return fail(stderr, err)
	}
	if _, err := stdout.Write(data); err != nil {
		return fail(stderr, err)
	}
	return exitOK
}
