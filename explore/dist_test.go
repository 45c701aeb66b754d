package explore

import (
	"testing"
	"time"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/sim"
)

// TestUpper: a delay is bounded by its distribution's maximum, or by its
// 99.9th percentile when it has none.
func TestUpper(t *testing.T) {
	ms := func(f float64) model.Time { return model.Time(f * float64(time.Millisecond)) }
	tests := []struct {
		dist string
		want model.Time
	}{
		{"0", 0},
		{"200us", ms(0.2)},
		{"fixed:20ms", ms(20)},
		{"uniform:10ms..30ms", ms(30)},
		{"empirical:1ms,5ms,2ms", ms(5)},
		{"normal:20ms,5ms", ms(20 + 3.090232*5)},
		{"normal:1ms,5ms", ms(1 + 3.090232*5)},
		{"lognormal:10ms,0.4", ms(34.421)},
		{"exponential:10ms", ms(69.078)},
	}
	for _, tt := range tests {
		got := upper(sim.MustDist(tt.dist), DefaultQuantile)
		if d := got - tt.want; d < -ms(0.01) || d > ms(0.01) {
			t.Errorf("upper(%s) = %v, want %v", tt.dist, got, tt.want)
		}
	}
}

// TestDue: a message arrives by its send time plus the bounds of what
// sim adds on its way: processing at the sender, the link, and for
// DELEGRETURN the client's reaction and the server's processing. A
// partition holds it until the window ends; one that never ends loses
// it.
func TestDue(t *testing.T) {
	ms := func(f float64) model.Time { return model.Time(f * float64(time.Millisecond)) }
	cn := sim.ClientNet{Reaction: sim.MustDist("1ms"),
		Fore:     sim.Link{Latency: sim.MustDist("5ms"), Partitions: []sim.Window{{From: ms(100), To: ms(150)}}},
		Callback: sim.Link{Latency: sim.MustDist("uniform:2ms..3ms"), Partitions: []sim.Window{{From: ms(200), Forever: true}}}}
	cfg := sim.Config{Names: []string{"server", "c1", "l1"}, Clients: []sim.ClientNet{cn},
		Server: sim.ServerTiming{RPC: sim.MustDist("10ms"), CBQueue: sim.MustDist("4ms"), DelegReturn: sim.MustDist("2ms"), Syscall: sim.MustDist("50us")},
		Actors: []model.Actor{model.NewServer(model.ServerConfig{Actors: 3}), model.NewClient(model.ClientConfig{ID: 1}), model.NewLocal(model.LocalConfig{ID: 2})}}
	m, err := New(cfg, ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		at   model.Time
		msg  model.Message
		due  model.Time
		ok   bool
	}{
		{"OPEN", 0, model.Message{Kind: model.MsgOpen, From: 1}, ms(5), true},
		{"OPEN reply", 0, model.Message{Kind: model.MsgOpen, Reply: true, To: 1}, ms(15), true},
		{"DELEGRETURN", 0, model.Message{Kind: model.MsgDelegReturn, From: 1}, ms(1 + 5 + 2), true},
		{"CB_RECALL", 0, model.Message{Kind: model.MsgCBRecall, To: 1}, ms(4 + 3), true},
		{"CB_RECALL reply", 0, model.Message{Kind: model.MsgCBRecall, Reply: true, From: 1}, ms(1 + 3), true},
		{"open(2)", 0, model.Message{Kind: model.MsgSysOpen, From: 2}, 0, true},
		{"open(2) answer", 0, model.Message{Kind: model.MsgSysOpen, Reply: true, To: 2}, ms(0.05), true},
		{"held by a partition", ms(120), model.Message{Kind: model.MsgWrite, From: 1}, ms(155), true},
		{"after the partition", ms(150), model.Message{Kind: model.MsgWrite, From: 1}, ms(155), true},
		{"lost to a partition", ms(250), model.Message{Kind: model.MsgCBRecall, To: 1}, 0, false},
	}
	for _, tt := range tests {
		ci := m.channelIndex(&tt.msg)
		due, ok := m.due(&m.Channels[ci], tt.at, &tt.msg)
		if due != tt.due || ok != tt.ok {
			t.Errorf("%s (on %s) sent at %v: due %v %v, want %v %v", tt.name, m.ChannelName(ci), tt.at, due, ok, tt.due, tt.ok)
		}
	}
}

// TestLower: a message cannot arrive before the lower bounds of its
// delays: the minimum, or the 0.1th percentile of an unbounded family.
func TestLower(t *testing.T) {
	ms := func(f float64) model.Time { return model.Time(f * float64(time.Millisecond)) }
	tests := []struct {
		dist string
		want model.Time
	}{
		{"0", 0},
		{"fixed:20ms", ms(20)},
		{"uniform:10ms..30ms", ms(10)},
		{"empirical:5ms,1ms,2ms", ms(1)},
		{"normal:20ms,5ms", ms(20 - 3.090232*5)},
		{"normal:1ms,5ms", 0},
		{"lognormal:10ms,0.4", ms(2.905)},
		{"exponential:10ms", ms(0.010005)},
	}
	for _, tt := range tests {
		got := lower(sim.MustDist(tt.dist), DefaultQuantile)
		if d := got - tt.want; d < -ms(0.01) || d > ms(0.01) {
			t.Errorf("lower(%s) = %v, want %v", tt.dist, got, tt.want)
		}
		if up := upper(sim.MustDist(tt.dist), DefaultQuantile); got > up {
			t.Errorf("lower(%s) = %v is above upper %v", tt.dist, got, up)
		}
	}
}

// TestReady is TestDue's table for the earliest arrival: with fixed
// delays a message is ready exactly when it is due, so a 5 ms link never
// delivers in 0 ms; a partition holds the earliest arrival too.
func TestReady(t *testing.T) {
	ms := func(f float64) model.Time { return model.Time(f * float64(time.Millisecond)) }
	cn := sim.ClientNet{Reaction: sim.MustDist("1ms"),
		Fore:     sim.Link{Latency: sim.MustDist("5ms"), Partitions: []sim.Window{{From: ms(100), To: ms(150)}}},
		Callback: sim.Link{Latency: sim.MustDist("uniform:2ms..3ms")}}
	cfg := sim.Config{Names: []string{"server", "c1", "l1"}, Clients: []sim.ClientNet{cn},
		Server: sim.ServerTiming{RPC: sim.MustDist("10ms"), CBQueue: sim.MustDist("4ms"), DelegReturn: sim.MustDist("2ms"), Syscall: sim.MustDist("50us")},
		Actors: []model.Actor{model.NewServer(model.ServerConfig{Actors: 3}), model.NewClient(model.ClientConfig{ID: 1}), model.NewLocal(model.LocalConfig{ID: 2})}}
	for _, tt := range []struct {
		name  string
		o     ModelOptions
		at    model.Time
		msg   model.Message
		ready model.Time
	}{
		{"OPEN", ModelOptions{MinDelay: true}, 0, model.Message{Kind: model.MsgOpen, From: 1}, ms(5)},
		{"DELEGRETURN", ModelOptions{MinDelay: true}, 0, model.Message{Kind: model.MsgDelegReturn, From: 1}, ms(1 + 5 + 2)},
		{"CB_RECALL", ModelOptions{MinDelay: true}, 0, model.Message{Kind: model.MsgCBRecall, To: 1}, ms(4 + 2)},
		{"held by a partition", ModelOptions{MinDelay: true}, ms(120), model.Message{Kind: model.MsgWrite, From: 1}, ms(155)},
		{"--max-delay: at once", ModelOptions{MaxDelay: ms(30), MinDelay: true}, ms(10), model.Message{Kind: model.MsgOpen, From: 1}, ms(10)},
		{"the coarser model: at once", ModelOptions{}, ms(10), model.Message{Kind: model.MsgOpen, From: 1}, ms(10)},
	} {
		m, err := New(cfg, tt.o)
		if err != nil {
			t.Fatal(err)
		}
		ci := m.channelIndex(&tt.msg)
		if got := m.ready(&m.Channels[ci], tt.at, &tt.msg); got != tt.ready {
			t.Errorf("%s sent at %v: ready %v, want %v", tt.name, tt.at, got, tt.ready)
		}
	}
}
