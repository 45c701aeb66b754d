package trace

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

// simRecallLatency runs a scenario with the calibrated settings over
// seeds and returns the median recall latency, measured as the capture
// measures it: CB_RECALL reaching the client → the DELEGRETURN reply
// reaching it (a loopback capture sees each message as it is delivered).
func simRecallLatency(t *testing.T, scenario, profile string, sets []string) time.Duration {
	t.Helper()
	sc, err := scenarios.Load(scenario, sets)
	if err != nil {
		t.Fatal(err)
	}
	var lats []time.Duration
	for seed := uint64(1); seed <= 41; seed++ {
		res, _, err := sc.Run(scenarios.Options{Profile: profile, Seed: seed, HasSeed: true, Trace: true})
		if err != nil {
			t.Fatal(err)
		}
		var cb, ret time.Duration = -1, -1
		for _, m := range res.Messages {
			switch {
			case m.Msg.Kind == model.MsgCBRecall && !m.Msg.Reply && cb < 0 && !m.Dropped:
				cb = m.Arrives
			case m.Msg.Kind == model.MsgDelegReturn && m.Msg.Reply && ret < 0 && cb >= 0:
				ret = m.Arrives
			}
		}
		if cb >= 0 && ret >= 0 {
			lats = append(lats, ret-cb)
		}
	}
	if len(lats) == 0 {
		t.Fatalf("%s: no recall in any run", scenario)
	}
	slices.Sort(lats)
	return lats[len(lats)/2]
}

// Calibrating from a capture and running the matching scenario with the
// estimates reproduces the capture's recall latency. The error is
// reported; it must stay within 25%.
func TestCalibrationReproducesRecallLatency(t *testing.T) {
	cases := []struct {
		capture, scenario, profile string
		extra                      []string
	}{
		{"k612-v42-rdwr-lsattr2-d0.pcap", "bz219278", "linux-6.12", nil},
		{"k612-v41-rdwr-lsattr2-d0.pcap", "bz219278", "linux-6.12", []string{"clients.c1.version=4.1"}},
		{"k72-v42-rdwr-lsattr2-d0.pcap", "bz219278", "linux-7.2", nil},
		{"k612-v42-rdwr-cat-d0.pcap", "blocking-read-open", "linux-6.12", nil},
		{"k612-v42-twoclients-bread.pcap", "second-client-open", "linux-6.12", nil},
	}
	for _, tc := range cases {
		t.Run(tc.capture, func(t *testing.T) {
			c, st := decodeFile(t, tc.capture)
			cal := Calibrate(c, st)
			if len(cal.RecallLatencies) != 1 {
				t.Fatalf("measured recall latencies %v, want one", cal.RecallLatencies)
			}
			for _, p := range cal.Params {
				if p.Samples < 1 {
					t.Errorf("%s has no sample behind it", p.Key)
				}
			}
			measured := cal.RecallLatencies[0]
			got := simRecallLatency(t, tc.scenario, tc.profile, append(cal.Sets(), tc.extra...))
			errPct := 100 * (float64(got) - float64(measured)) / float64(measured)
			t.Logf("%s: measured recall latency %.3f ms, simulated %.3f ms with %s: error %+.1f%%", tc.capture, ms(measured), ms(got), strings.Join(cal.Sets(), " "), errPct)
			if errPct > 25 || errPct < -25 {
				t.Errorf("simulated recall latency %.3f ms is %+.1f%% off the measured %.3f ms", ms(got), errPct, ms(measured))
			}
		})
	}
}

// The YAML fragment names every parameter with its samples and ends with
// the same settings as --set flags.
func TestCalibrationYAML(t *testing.T) {
	c, st := decodeFile(t, "k612-v42-twoclients-bread.pcap")
	cal := Calibrate(c, st)
	var b strings.Builder
	if err := cal.WriteYAML(&b, "x.pcap"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"server:\n", "  rpc: ", "  cb_queue: ", "clients:\n  - name: c1\n", "    latency: ", "    reaction: ", "samples", "--set server.rpc="} {
		if !strings.Contains(out, want) {
			t.Errorf("YAML lacks %q:\n%s", want, out)
		}
	}
	// The values are what the scenario loader accepts.
	if _, err := scenarios.Load("second-client-open", cal.Sets()); err != nil {
		t.Errorf("the --set flags do not load: %v", err)
	}
}

// DELEGRETURN's cost is split as the scenario format places it: the
// compound's work up to the lease removal (delegreturn), the SETATTR of
// delegated times a 7.x client adds (setattr), the reply after the
// removal (delegreturn_reply). The parts add up to what the capture shows
// of the recalled delegation's DELEGRETURN; a 6.12 capture has no SETATTR
// and says so.
func TestCalibrationSplitsDelegReturn(t *testing.T) {
	cases := []struct {
		capture string
		setattr bool
	}{
		{"k612-v42-rdwr-lsattr2-d0.pcap", false},
		{"k612-v42-twoclients-bread.pcap", false},
		{"k72-v42-rdwr-lsattr2-d0.pcap", true},
		{"k72-v42-twoclients-bstat.pcap", true},
	}
	for _, tc := range cases {
		t.Run(tc.capture, func(t *testing.T) {
			c, st := decodeFile(t, tc.capture)
			cal := Calibrate(c, st)
			got := map[string]time.Duration{}
			for _, p := range cal.Params {
				if strings.HasPrefix(p.Key, "server.delegreturn") || p.Key == "server.setattr" || strings.HasSuffix(p.Key, ".latency") {
					// A fixed value, or a log-normal's median.
					v, _, _ := strings.Cut(strings.TrimPrefix(p.Value, "lognormal:"), ",")
					d, err := time.ParseDuration(strings.Replace(v, "us", "µs", 1))
					if err != nil {
						t.Fatalf("%s = %q: %v", p.Key, p.Value, err)
					}
					got[p.Key] = d
				}
			}
			if _, ok := got["server.setattr"]; ok != tc.setattr {
				t.Errorf("server.setattr estimated %v, want %v (params %v)", ok, tc.setattr, cal.Params)
			}
			if !tc.setattr && !slices.ContainsFunc(cal.Notes, func(n string) bool { return strings.HasPrefix(n, "server.setattr:") }) {
				t.Errorf("no note says why server.setattr is not estimated: %v", cal.Notes)
			}
			d := fileDelegs(st)[0]
			// A loopback capture sees the reply one trip after it left.
			wire := *d.ReturnReply - got["clients.c1.latency"]
			sum := got["server.delegreturn"] + got["server.setattr"] + got["server.delegreturn_reply"]
			if diff := sum - wire; diff < -time.Microsecond || diff > time.Microsecond {
				t.Errorf("delegreturn+setattr+delegreturn_reply = %v, the capture's DELEGRETURN took %v less the trip", sum, wire)
			}
		})
	}
}
