package checker

import (
	"testing"

	"github.com/delegsim/delegsim/model"
)

// TestByInode: registers follow files, not names. After a link both names
// reach the source's register; after a rename over a name the target
// reaches the source's register and the source name is a new, empty file;
// an operation that failed changes no name.
func TestByInode(t *testing.T) {
	op := func(id int, kind model.OpKind, file, target string, end model.Time, result string) model.Op {
		return model.Op{ID: id, Kind: kind, File: file, Target: target, End: end, Result: result, Actor: "a", Seq: id + 1}
	}
	tests := []struct {
		name string
		ops  []model.Op
		want []string // each op's file afterwards
	}{
		{"no links: unchanged", []model.Op{op(0, model.OpCat, "f", "", 1, "ok")}, []string{"f"}},
		{"link", []model.Op{op(0, model.OpLocalLink, "f", "g", 1, "ok"), op(1, model.OpCat, "g", "", 2, "ok")}, []string{"f", "f"}},
		{"a read before the link", []model.Op{op(0, model.OpCat, "g", "", 1, "ok"), op(1, model.OpLink, "f", "g", 2, "ok")}, []string{"g", "f"}},
		{"rename over", []model.Op{op(0, model.OpRename, "g", "f", 1, "ok"), op(1, model.OpCat, "f", "", 2, "ok"), op(2, model.OpLocalStat, "g", "", 3, "ok")},
			[]string{"g", "g", "g#1"}},
		{"a failed link", []model.Op{op(0, model.OpLink, "f", "g", 1, "NFS4ERR_EXIST"), op(1, model.OpCat, "g", "", 2, "ok")}, []string{"f", "g"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := byInode(tt.ops)
			for i, w := range tt.want {
				if got[i].File != w {
					t.Errorf("op %d: file %q, want %q", i, got[i].File, w)
				}
			}
			if tt.ops[0].File != got[0].File && &tt.ops[0] == &got[0] {
				t.Error("the history was changed in place")
			}
		})
	}
}
