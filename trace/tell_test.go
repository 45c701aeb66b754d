package trace

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// outputs renders everything a story tells: text, JSON (with the check
// and the calibration), the check's report, Mermaid.
func outputs(t *testing.T, name string, st *Story, conf *Conformance, cal *Calibration) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	var b bytes.Buffer
	if st.Events != nil {
		if err := st.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		out["text"] = bytes.Clone(b.Bytes())
		b.Reset()
		if err := st.WriteMermaid(&b); err != nil {
			t.Fatal(err)
		}
		out["mermaid"] = bytes.Clone(b.Bytes())
		b.Reset()
	}
	if err := st.WriteJSON(&b, conf, cal); err != nil {
		t.Fatal(err)
	}
	out["json"] = bytes.Clone(b.Bytes())
	b.Reset()
	if conf != nil {
		if err := conf.WriteText(&b, name); err != nil {
			t.Fatal(err)
		}
		out["check"] = bytes.Clone(b.Bytes())
		b.Reset()
	}
	if err := cal.WriteYAML(&b, name); err != nil {
		t.Fatal(err)
	}
	out["calibrate"] = bytes.Clone(b.Bytes())
	return out
}

// Telling the story as the capture streams (Tell, CheckCapture: what
// `delegsim trace` does) says what building it from the whole decoded
// capture says (Build, CheckStory), byte for byte, on every test capture
// and on one that lost segments; and what Tell leaves out when not asked
// for (the timeline, the observations) changes nothing else.
func TestTellTellsWhatBuildTells(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.pcap")
	type capture struct {
		name string
		data []byte
	}
	var caps []capture
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		caps = append(caps, capture{filepath.Base(p), data})
	}
	caps = append(caps, capture{"lossy", withoutFrames(t, "k612-v42-dirty300k-d0.pcap", 22, 36, 47, 55, 62, 83, 88, 89)})
	opts := CheckOptions{Profile: "auto"}
	for _, cp := range caps {
		t.Run(cp.name, func(t *testing.T) {
			c, err := Decode(bytes.NewReader(cp.data), cp.name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			st := Build(c)
			conf, err := CheckStory(c, st, opts)
			if err != nil {
				t.Fatal(err)
			}
			want := outputs(t, cp.name, st, conf, Calibrate(c, st))

			sc, sst, err := Tell(bytes.NewReader(cp.data), cp.name, TellOptions{Timeline: true, Observations: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(sc.Exchanges) != 0 || sc.Decoded != len(c.Exchanges) {
				t.Errorf("Tell kept %d exchanges and decoded %d; want none kept, %d decoded", len(sc.Exchanges), sc.Decoded, len(c.Exchanges))
			}
			sconf, err := CheckCapture(bytes.NewReader(cp.data), sc, sst, opts)
			if err != nil {
				t.Fatal(err)
			}
			got := outputs(t, cp.name, sst, sconf, Calibrate(sc, sst))
			for k, w := range want {
				if !bytes.Equal(got[k], w) {
					t.Errorf("%s: streamed %s differs from the one built from the whole capture:\n%s\nwant:\n%s", cp.name, k, got[k], w)
				}
			}

			// Without the timeline and the observations.
			_, lean, err := Tell(bytes.NewReader(cp.data), cp.name, TellOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(lean.Events) != 0 || len(lean.Observations) != 0 {
				t.Errorf("%d events, %d observations kept unasked", len(lean.Events), len(lean.Observations))
			}
			got = outputs(t, cp.name, lean, nil, Calibrate(sc, lean))
			w := outputs(t, cp.name, st, nil, Calibrate(c, st))
			for _, k := range []string{"json", "calibrate"} {
				if !bytes.Equal(got[k], w[k]) {
					t.Errorf("%s: %s without the timeline differs", cp.name, k)
				}
			}
		})
	}
}

// ExampleTell tells the story of a capture as it streams: what
// `delegsim trace --format json` does with a capture of any length.
func ExampleTell() {
	f, err := os.Open("testdata/k612-v42-rdwr-lsattr2-d0.pcap")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	c, st, err := Tell(f, "k612-v42-rdwr-lsattr2-d0.pcap", TellOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d exchanges told, none kept (%d)\n", c.Decoded, len(c.Exchanges))
	for _, d := range st.Delegations {
		fmt.Printf("%s %s: recalled after %.1f ms of holding; %s\n", st.Clients[d.Client].Name, d.Type, ms(*d.RecallAt-d.GrantedAt), d.Cause)
	}
	// Output:
	// 31 exchanges told, none kept (0)
	// c1 WRITE: recalled after 130.1 ms of holding; a server-local access (or a client not in the capture)
}
