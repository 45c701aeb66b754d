package model_test

import (
	"fmt"

	"github.com/delegsim/delegsim/model"
)

// Drive the server by hand, as a test or an explorer does: a v4.2 client
// opens a file read-write and gets a write delegation; a local lsattr's
// O_NONBLOCK open then breaks the lease, which queues CB_RECALL and fails
// with EAGAIN at once.
func ExampleServer_Step() {
	prof, _ := model.LookupProfile("linux-6.12")
	pol, _ := model.LookupPolicy("kernel", model.PolicyOptions{})
	const client, local = model.ActorID(1), model.ActorID(2)
	srv := model.NewServer(model.ServerConfig{Profile: prof, Policy: pol, Actors: 3,
		Files:   []model.FileSpec{{Name: "f"}},
		Clients: []model.ClientInfo{{ID: client, Minor: 2, CBUp: true}}})

	var out model.Output
	srv.Step(0, &model.Input{Kind: model.InDeliver, Msg: model.Message{
		Kind: model.MsgOpen, From: client, XID: 1, Access: model.AccessBoth, Create: true}}, &out)
	fmt.Println(out.Msgs[0])

	out.Reset()
	srv.Step(100e6, &model.Input{Kind: model.InDeliver, Msg: model.Message{
		Kind: model.MsgSysOpen, From: local, XID: 1, Access: model.AccessRead, NonBlk: true}}, &out)
	for _, m := range out.Msgs {
		fmt.Println(m)
	}
	// Output:
	// OPEN reply ok xid=1 file=0 stateid=1 deleg=write delegid=2
	// CB_RECALL xid=1 file=0 stateid=2
	// open reply EAGAIN xid=1 file=0
}
