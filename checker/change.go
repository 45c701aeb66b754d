package checker

import (
	"cmp"
	"slices"

	"github.com/delegsim/delegsim/model"
)

// changeBackwards finds the attribute reads of one file whose change
// attribute is lower than one the same reader had already seen.
//
// The change attribute is assigned by the server (i_version), not by the
// writers, so it is not part of the register: what a reader may rely on
// is that it never goes backwards (RFC 8881 §5.8.1.4 and §10.3: a client
// detects modification by comparing it with what it saw before, which
// only works if it does not return to an older value). The check is per
// reader, not across readers: a delegation holder answers stat(2) from its
// cache, whose change attribute may lag behind what others saw after
// nfsd bumped it for a CB_GETATTR (nfsd4_deleg_getattr_conflict), and that
// is allowed. An actor's operations are sequential, so each of its reads
// is compared with every earlier one. ops are the successful attribute
// reads of one file.
func changeBackwards(ops []*model.Op) []StaleRead {
	byActor := make(map[string][]*model.Op)
	for _, o := range ops {
		byActor[o.Actor] = append(byActor[o.Actor], o)
	}
	var out []StaleRead
	for _, reads := range byActor {
		slices.SortStableFunc(reads, func(a, b *model.Op) int {
			return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.Seq, b.Seq))
		})
		var high *model.Op // the read that saw the highest change so far
		for _, r := range reads {
			if high != nil && r.Change < high.Change {
				e := *high
				out = append(out, StaleRead{Read: *r, Earlier: &e})
			}
			if high == nil || r.Change > high.Change {
				high = r
			}
		}
	}
	return out
}
