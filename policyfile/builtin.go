package policyfile

import (
	"embed"
	"fmt"
	"sort"
	"strings"

	"github.com/delegsim/delegsim/scenarios"
)

// The built-in policies of package model, written as policy files: the
// starting point for a policy of one's own.
//
//go:embed policies/*.yaml
var builtin embed.FS

// BuiltinNames lists the built-in policies shipped as files.
func BuiltinNames() []string {
	ents, _ := builtin.ReadDir("policies")
	var names []string
	for _, e := range ents {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// BuiltinSource returns the file of a built-in policy.
func BuiltinSource(name string) ([]byte, error) {
	data, err := builtin.ReadFile("policies/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("%w: no built-in policy file %q (built-ins: %s)", scenarios.ErrInvalid, name, strings.Join(BuiltinNames(), ", "))
	}
	return data, nil
}

// Builtin parses the file of a built-in policy.
func Builtin(name string) (*Policy, error) {
	data, err := BuiltinSource(name)
	if err != nil {
		return nil, err
	}
	return Parse("policyfile/policies/"+name+".yaml", data)
}
