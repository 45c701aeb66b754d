package model_test

import (
	"bytes"
	"fmt"

	"github.com/delegsim/delegsim/model"
)

// Step a scratch copy, as the explorer does, and compare snapshots: the
// copy takes the OPEN that grants a delegation, the original is left as
// it was, and copying the original back makes them equal again.
func ExampleServer_CopyFrom() {
	prof, _ := model.LookupProfile("linux-6.12")
	pol, _ := model.LookupPolicy("kernel", model.PolicyOptions{})
	srv := model.NewServer(model.ServerConfig{Profile: prof, Policy: pol, Actors: 2,
		Files:   []model.FileSpec{{Name: "f"}},
		Clients: []model.ClientInfo{{ID: 1, Minor: 2, CBUp: true}}})
	scratch := srv.Clone().(*model.Server)

	var out model.Output
	scratch.Step(0, &model.Input{Kind: model.InDeliver, Msg: model.Message{
		Kind: model.MsgOpen, From: 1, XID: 1, Access: model.AccessBoth, Create: true}}, &out)
	fmt.Println(scratch, "/", srv)
	fmt.Println(bytes.Equal(scratch.AppendSnapshot(nil), srv.AppendSnapshot(nil)))

	scratch.CopyFrom(srv)
	fmt.Println(bytes.Equal(scratch.AppendSnapshot(nil), srv.AppendSnapshot(nil)))
	// Output:
	// write deleg 2 on f to actor 1 / no delegations
	// false
	// true
}
