package model_test

import (
	"testing"
	"time"

	"github.com/delegsim/delegsim/model"
)

// TestDelegatedMtimeVetting: the mtime a *_ATTRS_DELEG holder sets in its
// DELEGRETURN compound is vetted by nfsd4_vet_deleg_time: a time not
// after the one at the grant is ignored; a time in the server's future
// (the client's clock runs ahead) is clamped to the server's present and
// set. Either set time moves the change attribute.
func TestDelegatedMtimeVetting(t *testing.T) {
	const grantAt, returnAt = 10 * time.Millisecond, 50 * time.Millisecond
	tests := []struct {
		name   string
		mtime  model.Time
		want   model.Time
		change bool
	}{
		{"between grant and return", 30 * time.Millisecond, 30 * time.Millisecond, true},
		{"in the server's future", time.Second, returnAt, true},
		{"not after the grant", grantAt, grantAt, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prof, _ := model.LookupProfile("linux-7.2")
			pol, _ := model.LookupPolicy("kernel", model.PolicyOptions{})
			const client = model.ActorID(1)
			srv := model.NewServer(model.ServerConfig{Profile: prof, Policy: pol, Actors: 2,
				Files: []model.FileSpec{{Name: "f"}}, Clients: []model.ClientInfo{{ID: client, Minor: 2, CBUp: true}}})
			var out model.Output
			srv.Step(grantAt, &model.Input{Kind: model.InDeliver, Msg: model.Message{Kind: model.MsgOpen, From: client, XID: 1,
				Access: model.AccessBoth, Create: true, Flags: model.FlagWantTimes | model.FlagWantXor}}, &out)
			open := out.Msgs[0]
			if open.Deleg != model.DelegWriteAttrs {
				t.Fatalf("%v: want write-attrs", open)
			}
			before := srv.Files()[0].Change
			out.Reset()
			srv.Step(returnAt, &model.Input{Kind: model.InDeliver, Msg: model.Message{Kind: model.MsgDelegReturn, From: client, XID: 2,
				Stateid: open.DelegID, Flags: model.FlagSetattrTimes, Mtime: tt.mtime}}, &out)
			f := srv.Files()[0]
			if f.Mtime != tt.want || (f.Change != before) != tt.change {
				t.Errorf("mtime %v change %d→%d: want mtime %v, change moved %v", f.Mtime, before, f.Change, tt.want, tt.change)
			}
		})
	}
}
