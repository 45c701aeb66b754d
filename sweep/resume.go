package sweep

import (
	"cmp"
	"slices"
)

// Resume prepares the rerun of an interrupted sweep whose output
// directory holds old: it checks that old comes from the same sweep and
// shard as p (the same delegsim version too, since another one may
// compute other numbers), and returns the points old already has, which
// RunOptions.Skip then skips.
func (p *Plan) Resume(old *Results, shard Shard) (done map[int]bool, err error) {
	m := &old.Meta
	if m.Version != p.Meta.Version {
		return nil, invalidf("the results there were computed by delegsim %s, this is %s: rerun the sweep with --force", m.Version, p.Meta.Version)
	}
	if !p.Meta.sameSweep(m) || m.Shard != shard {
		return nil, invalidf("the results there are of another sweep (its %s differs from this command's); rerun with --force or choose another directory", MetaFile)
	}
	done = map[int]bool{}
	for _, r := range old.Rows {
		done[r.Point] = true
	}
	return done, nil
}

// Combine adds the rows of a resumed run to those of the run it resumes,
// in row order (by point, then policy as listed); the result is complete
// if every point of the shard has rows.
func Combine(old, resumed *Results) *Results {
	out := &Results{Meta: resumed.Meta}
	out.Rows = append(slices.Clone(old.Rows), resumed.Rows...)
	order := map[string]int{}
	for i, pol := range out.Meta.Policies {
		order[pol] = i
	}
	slices.SortStableFunc(out.Rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Point, b.Point), cmp.Compare(order[a.Policy], order[b.Policy]))
	})
	have := map[int]bool{}
	for _, r := range out.Rows {
		have[r.Point] = true
	}
	out.Meta.Complete = true
	for _, i := range out.Meta.Shard.Points(out.Meta.Points) {
		if !have[i] {
			out.Meta.Complete = false
		}
	}
	return out
}
