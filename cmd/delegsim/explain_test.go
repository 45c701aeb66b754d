package main

import (
	"path/filepath"
	"testing"
)

func TestExplainCommand(t *testing.T) {
	dir := t.TempDir()
	runCLICases(t, dir, []cliCase{
		{"narrated timeline", []string{"explain", "bz219278"}, 0, []string{"hits c1's write lease: CB_RECALL queued, EAGAIN returned — __break_lease queues CB_RECALL via nfsd_break_deleg_cb"}, ""},
		{"mermaid", []string{"explain", "bz219278", "--format", "mermaid"}, 0, []string{"participant VFS as VFS lease"}, ""},
		{"policy flag after the scenario", []string{"explain", "bz219278", "--policy", "nonblock-wait"}, 0, []string{"the call waits at most 30ms"}, ""},
		{"html to a file", []string{"explain", "certbot-nginx", "--format", "html", "--out", filepath.Join(dir, "c.html")}, 0, nil, "c.html"},
		{"unknown format", []string{"explain", "bz219278", "--format", "svg", "--out", filepath.Join(dir, "bad.svg")}, 2, []string{"unknown --format"}, "bad.svg"},
		{"unknown policy", []string{"explain", "bz219278", "--policy", "nope", "--out", filepath.Join(dir, "bad.txt")}, 2, []string{"unknown policy"}, "bad.txt"},
		{"no scenario", []string{"explain"}, 2, []string{"explain takes one scenario"}, ""},
		{"unknown scenario", []string{"explain", "no-such-scenario"}, 2, []string{"no-such-scenario"}, ""},
	})
}
