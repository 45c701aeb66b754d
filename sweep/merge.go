package sweep

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/delegsim/delegsim/internal/atomicfile"
)

// WriteDir writes results.csv and sweep.json into dir, creating it if
// needed. Each file is written atomically; results.csv goes first, so a
// sweep.json always describes the results.csv beside it.
func (r *Results) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, &r.Meta, r.Rows); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, ResultsFile), buf.Bytes()); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, MetaFile), r.Meta.MarshalIndent())
}

// PointsDone counts the grid points that have rows.
func (r *Results) PointsDone() int {
	seen := map[int]bool{}
	for _, row := range r.Rows {
		seen[row.Point] = true
	}
	return len(seen)
}

// Merge combines the outputs of the shards of one sweep, read from dirs,
// into the results of the whole sweep, identical to an unsharded run's.
// Every shard must be there exactly once, complete, and from the same
// sweep (same scenario, overrides, grid, policies, trials and seed);
// allowPartial accepts interrupted or missing shards and returns what
// there is, with Meta.Complete false.
func Merge(dirs []string, allowPartial bool) (*Results, error) {
	if len(dirs) == 0 {
		return nil, invalidf("merge needs at least one shard directory")
	}
	var parts []*Results
	for _, d := range dirs {
		r, err := ReadDir(d)
		if err != nil {
			return nil, err
		}
		parts = append(parts, r)
	}
	first := &parts[0].Meta
	byIndex := map[int]string{}
	complete := true
	for i, r := range parts {
		m := &r.Meta
		if m.Version != first.Version {
			return nil, invalidf("%s was computed by delegsim %s, %s by %s: shards must come from one version", dirs[0], first.Version, dirs[i], m.Version)
		}
		if !first.sameSweep(m) {
			return nil, invalidf("%s and %s are not shards of the same sweep (their %s differ beyond the shard)", dirs[0], dirs[i], MetaFile)
		}
		if m.Shard.Count != first.Shard.Count {
			return nil, invalidf("%s is shard %s but %s is shard %s: different shard counts", dirs[0], first.Shard, dirs[i], m.Shard)
		}
		if prev, ok := byIndex[m.Shard.Index]; ok {
			return nil, invalidf("shard %s given twice: %s and %s", m.Shard, prev, dirs[i])
		}
		byIndex[m.Shard.Index] = dirs[i]
		if !m.Complete {
			complete = false
			if !allowPartial {
				return nil, invalidf("%s: shard %s was interrupted (%d of its points done); rerun it, or merge with --allow-partial",
					dirs[i], m.Shard, r.PointsDone())
			}
		}
		for _, row := range r.Rows {
			if !m.Shard.Has(row.Point) {
				return nil, invalidf("%s: point %d does not belong to shard %s", dirs[i], row.Point, m.Shard)
			}
		}
	}
	if len(byIndex) != first.Shard.Count {
		var missing []string
		for i := range first.Shard.Count {
			if _, ok := byIndex[i]; !ok {
				missing = append(missing, fmt.Sprintf("%d/%d", i, first.Shard.Count))
			}
		}
		if !allowPartial {
			return nil, invalidf("missing shards: %s", strings.Join(missing, ", "))
		}
		complete = false
	}
	out := &Results{Meta: *first}
	out.Meta.Shard, out.Meta.Complete = Whole, complete
	for _, r := range parts {
		out.Rows = append(out.Rows, r.Rows...)
	}
	order := map[string]int{}
	for i, p := range first.Policies {
		order[p] = i
	}
	slices.SortStableFunc(out.Rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Point, b.Point), cmp.Compare(order[a.Policy], order[b.Policy]))
	})
	for i := 1; i < len(out.Rows); i++ {
		if a, b := out.Rows[i-1], out.Rows[i]; a.Point == b.Point && a.Policy == b.Policy {
			return nil, invalidf("point %d, policy %s appears twice", a.Point, a.Policy)
		}
	}
	return out, nil
}
