package sweep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// FormatVersion is the version of sweep.json and results.csv.
const FormatVersion = 1

// File names in a sweep's output directory.
const (
	MetaFile    = "sweep.json"
	ResultsFile = "results.csv"
)

// Meta describes a sweep: what was run, so that merge can check that
// shards belong together and figures can say what they show. It is
// written as sweep.json next to results.csv.
type Meta struct {
	// Version is the delegsim that computed the results; shards of
	// different versions are not merged.
	Version     string   `json:"delegsim_version,omitempty"`
	Format      int      `json:"format"`
	Scenario    string   `json:"scenario"`      // as given: a built-in name or a path
	Name        string   `json:"scenario_name"` // the scenario's own name
	Profile     string   `json:"profile"`       // resolved kernel profile
	Policies    []string `json:"policies"`      // in row order
	Baseline    string   `json:"baseline"`      // the policy extra_rpcs is counted against
	Sets        []string `json:"sets"`          // --set overrides at every point
	Vary        []string `json:"vary"`          // --vary flags, in grid order
	Trials      int      `json:"trials"`        // per point and policy
	Seed        uint64   `json:"seed"`          // base seed
	Consistency string   `json:"consistency"`   // stale-read check, or "none"
	Ops         []OpMeta `json:"ops"`           // server-local operations reported
	Points      int      `json:"points"`        // grid points in the whole sweep
	Shard       Shard    `json:"shard"`         // the slice this directory holds
	// Complete is false when the run was interrupted: results.csv then
	// holds only the points that finished.
	Complete bool `json:"complete"`
	// Variants describes the rows (after Policies' own) that run with
	// their own overrides or a policy value; see Spec.Variants.
	Variants []VariantMeta `json:"variants,omitempty"`

	vary []Vary
}

// OpMeta is a server-local operation of the scenario.
type OpMeta struct {
	Name string `json:"name"` // "l1#2"
	Kind string `json:"kind"` // "lsattr"
}

// VaryParams returns the parsed --vary parameters.
func (m *Meta) VaryParams() []Vary { return m.vary }

// Title names the scenario and profile, for figure titles.
func (m *Meta) Title() string { return m.Name + " on " + m.Profile }

// MarshalIndent returns sweep.json's contents.
func (m *Meta) MarshalIndent() []byte {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	return append(b, '\n')
}

// ReadMeta reads DIR/sweep.json.
func ReadMeta(dir string) (*Meta, error) {
	path := filepath.Join(dir, MetaFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, invalidf("%v (is %s a sweep output directory?)", err, dir)
	}
	var m Meta
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, invalidf("%s: %v", path, err)
	}
	if m.Format != FormatVersion {
		return nil, invalidf("%s: format %d, this delegsim reads format %d", path, m.Format, FormatVersion)
	}
	for _, s := range m.Vary {
		v, err := ParseVary(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		m.vary = append(m.vary, v)
	}
	if err := m.Shard.validate(); err != nil {
		return nil, invalidf("%s: shard: %v", path, err)
	}
	n := 1
	for _, v := range m.vary {
		n *= len(v.Values)
	}
	if n != m.Points || m.Trials < 1 || len(m.Policies) == 0 {
		return nil, invalidf("%s: inconsistent: %d points for grid %s, %d trials, %d policies",
			path, m.Points, strings.Join(m.Vary, " "), m.Trials, len(m.Policies))
	}
	return &m, nil
}

// sameSweep reports whether two shards' metadata describe the same sweep.
func (m *Meta) sameSweep(o *Meta) bool {
	a, b := *m, *o
	a.Shard, b.Shard = Whole, Whole
	a.Complete, b.Complete = true, true
	return bytes.Equal(a.MarshalIndent(), b.MarshalIndent())
}
