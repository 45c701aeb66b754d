package scenarios

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Limits on the size of a scenario. A scenario describes a handful of
// hosts and a few dozen system calls; these bounds are far above every
// built-in scenario (the largest have 2 files, 2 clients, 3 local
// processes, 6 steps a script and 9 expectations) and far below what takes minutes to load or gigabytes
// to run (a 50 MB file with 2.5 million files took 68 s and 3.9 GB before
// they existed). They are delegsim's choices, not the kernel's.
const (
	MaxFileSize = 1 << 20 // bytes of a scenario file
	MaxFiles    = 1000    // entries under files
	MaxClients  = 64      // entries under clients
	MaxLocals   = 64      // entries under locals
	MaxSteps    = 1000    // steps in one script
	MaxExpect   = 1000    // entries under expect
)

// checkLimits refuses a scenario with more entities than the limits allow,
// before anything is decoded.
func (s *Source) checkLimits() error {
	root := s.root
	if root.Kind != yaml.MappingNode {
		return nil // check reports the shape
	}
	for _, l := range []struct {
		key string
		max int
	}{{"files", MaxFiles}, {"clients", MaxClients}, {"locals", MaxLocals}, {"expect", MaxExpect}} {
		seq := mapValue(root, l.key)
		if seq == nil || seq.Kind != yaml.SequenceNode {
			continue
		}
		if err := s.limit(seq, l.key, l.max); err != nil {
			return err
		}
		if l.key != "clients" && l.key != "locals" {
			continue
		}
		for i, actor := range seq.Content {
			if script := mapValue(actor, "script"); script != nil && script.Kind == yaml.SequenceNode {
				if err := s.limit(script, fmt.Sprintf("%s[%d].script", l.key, i), MaxSteps); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (s *Source) limit(seq *yaml.Node, field string, max int) error {
	if len(seq.Content) <= max {
		return nil
	}
	return &Error{File: s.File, Line: seq.Line, Field: field, Override: seq.Line == 0,
		Msg: fmt.Sprintf("%d entries; a scenario may have at most %d", len(seq.Content), max)}
}

// mapValue returns the value of key in mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	if j := mapIndex(n, key); j >= 0 {
		return n.Content[j+1]
	}
	return nil
}
