package main

import (
	"fmt"
	"io"

	"github.com/delegsim/delegsim/scenarios"
)

func init() {
	register(command{name: "validate", summary: "check scenario files without running them (for editors and CI)", run: validateCmd})
	register(command{name: "schema", summary: "print the JSON Schema of the scenario format (for editor completion)", run: schemaCmd})
}

const validateArgs = `FILE... [flags]

Loads each scenario (a path, a built-in name, or - for standard input)
with the --set overrides, as run would, and prints "FILE: ok" or the
error, FILE:LINE: FIELD: what is wrong and what is allowed. Exit status 0
if every file is valid, 2 otherwise.`

func validateCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("validate", validateArgs, stderr)
	var sets multiFlag
	fs.Var(&sets, "set", "override a scenario field, `KEY=VALUE` (repeatable), as run would")
	quiet := fs.Bool("quiet", false, "print nothing for valid files")
	files, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(files) == 0 {
		return fail(stderr, usageErr("validate needs at least one scenario file"))
	}
	status := exitOK
	for _, f := range files {
		sc, err := loadScenario(f, sets)
		if err == nil {
			_, err = sc.Resolve(scenarios.Options{})
		}
		if err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
			status = exitBadUsage
			continue
		}
		if !*quiet {
			fmt.Fprintf(stdout, "%s: ok (%s)\n", f, sc.Name())
		}
	}
	return status
}

const schemaArgs = `[flags]

Prints the JSON Schema of scenario files, generated from delegsim's own
types: editors that speak yaml-language-server complete and check
scenarios with it (put "# yaml-language-server: $schema=PATH" at the top
of a scenario). The repository keeps a copy in scenarios/` + scenarios.SchemaFile + `.`

func schemaCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("schema", schemaArgs, stderr)
	out := fs.String("out", "", "write the schema to `FILE` instead of standard output")
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return fail(stderr, usageErr("schema takes no arguments"))
	}
	if err := checkOutputs("out", *out); err != nil {
		return fail(stderr, err)
	}
	data, err := scenarios.Schema()
	if err != nil {
		return fail(stderr, err)
	}
	err = writeOutput(*out, stdout, data)
	if err != nil {
		return fail(stderr, err)
	}
	return exitOK
}
