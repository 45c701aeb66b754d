package trace

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/delegsim/delegsim/checker"
)

// decodeFile decodes a capture of testdata.
func decodeFile(t testing.TB, name string) (*Capture, *Story) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := Decode(f, name, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c, Build(c)
}

// groundTruth is what testdata/README.traces.md says of each capture:
// nfsd's delegation on the test file after the write, how many CB_RECALLs
// went out, whether another client got NFS4ERR_DELAY or was answered
// through CB_GETATTR, and when the lease broke if a server-local process
// broke it (pcap time, ±1 ms).
type groundTruth struct {
	file      string
	deleg     string // type on the written file, "" for none
	recalls   int
	delay     bool
	cbGetattr bool
	localAt   time.Duration // 0: no local break
	clients   int
}

var truths = []groundTruth{
	{file: "k612-v40-rdwr-lsattr2-d0.pcap", clients: 1},
	{file: "k612-v40-readdeleg-append-d0.pcap", deleg: "READ", recalls: 1, localAt: 490 * time.Millisecond, clients: 1},
	{file: "k612-v41-rdwr-lsattr2-d0.pcap", deleg: "WRITE", recalls: 1, localAt: 833 * time.Millisecond, clients: 1},
	{file: "k612-v42-dirty300k-d0.pcap", deleg: "WRITE", recalls: 1, localAt: 841 * time.Millisecond, clients: 1},
	{file: "k612-v42-dirty300k-holder-d0.pcap", deleg: "WRITE", recalls: 1, localAt: 1186 * time.Millisecond, clients: 1},
	{file: "k612-v42-rdwr-cat-d0.pcap", deleg: "WRITE", recalls: 1, localAt: 1066 * time.Millisecond, clients: 1},
	// The first CB_RECALL and nfsd's retry both get through only after
	// the loss ends: two in the capture.
	{file: "k612-v42-rdwr-loss12s.pcap", deleg: "WRITE", recalls: 2, localAt: 877 * time.Millisecond, clients: 1},
	{file: "k612-v42-rdwr-lsattr2-d0.pcap", deleg: "WRITE", recalls: 1, localAt: 1140 * time.Millisecond, clients: 1},
	{file: "k612-v42-shell-lsattr2-d0.pcap", clients: 1},
	{file: "k612-v42-twoclients-bread.pcap", deleg: "WRITE", recalls: 1, delay: true, clients: 2},
	{file: "k612-v42-twoclients-bstat.pcap", deleg: "WRITE", recalls: 1, cbGetattr: true, localAt: 1690 * time.Millisecond, clients: 2},
	{file: "k72-v42-rdwr-lsattr2-d0.pcap", deleg: "WRITE_ATTRS_DELEG", recalls: 1, localAt: 922 * time.Millisecond, clients: 1},
	{file: "k72-v42-twoclients-bstat.pcap", deleg: "WRITE_ATTRS_DELEG", recalls: 1, cbGetattr: true, localAt: 2101 * time.Millisecond, clients: 2},
}

// fileDelegs returns the story's delegations on regular files.
func fileDelegs(st *Story) []Delegation {
	var out []Delegation
	for _, d := range st.Delegations {
		if d.Type != "DIRECTORY" {
			out = append(out, d)
		}
	}
	return out
}

func TestSharedCapturesMatchTheirGroundTruth(t *testing.T) {
	for _, gt := range truths {
		t.Run(gt.file, func(t *testing.T) {
			c, st := decodeFile(t, gt.file)
			if len(c.Warnings) > 0 {
				t.Errorf("warnings on a clean capture: %v", c.Warnings)
			}
			if len(c.Clients) != gt.clients {
				t.Errorf("%d clients, want %d", len(c.Clients), gt.clients)
			}
			ds := fileDelegs(st)
			switch {
			case gt.deleg == "" && len(ds) > 0:
				t.Errorf("delegations %+v, want none", ds)
			case gt.deleg != "" && (len(ds) != 1 || ds[0].Type != gt.deleg):
				t.Fatalf("delegations %+v, want one %s", ds, gt.deleg)
			}
			recalls := 0
			for _, d := range ds {
				recalls += d.Recalls
			}
			if recalls != gt.recalls {
				t.Errorf("%d CB_RECALLs, want %d", recalls, gt.recalls)
			}
			delay := slices.ContainsFunc(st.Errors, func(e Error) bool { return e.Status == "NFS4ERR_DELAY" })
			if delay != gt.delay {
				t.Errorf("NFS4ERR_DELAY seen %v, want %v", delay, gt.delay)
			}
			if gt.delay {
				e := st.Errors[slices.IndexFunc(st.Errors, func(e Error) bool { return e.Status == "NFS4ERR_DELAY" })]
				if e.RetryAt == nil || *e.Backoff < 100*time.Millisecond {
					t.Errorf("DELAY %+v: want the client's retry after its 100 ms back-off", e)
				}
			}
			cbg := slices.ContainsFunc(st.Callbacks, func(cb Callback) bool { return cb.Op == "CB_GETATTR" })
			if cbg != gt.cbGetattr {
				t.Errorf("CB_GETATTR seen %v, want %v", cbg, gt.cbGetattr)
			}
			switch {
			case gt.localAt == 0 && len(st.LocalBreaks) > 0:
				t.Errorf("local breaks %+v inferred, want none", st.LocalBreaks)
			case gt.localAt > 0 && len(st.LocalBreaks) != 1:
				t.Errorf("local breaks %+v, want one at %v", st.LocalBreaks, gt.localAt)
			case gt.localAt > 0:
				lb := st.LocalBreaks[0]
				if gt.localAt < lb.After-time.Millisecond || gt.localAt > lb.Before+time.Millisecond {
					t.Errorf("local break inferred in [%v, %v]; the README puts it at %v", lb.After, lb.Before, gt.localAt)
				}
			}
			if gt.recalls > 0 && ds[0].ReturnedAt == nil {
				t.Errorf("recalled delegation %+v never returned", ds[0])
			}
		})
	}
}

// On 6.12 the model agrees with every capture: each remaining difference
// is one a capture cannot show, and is not counted.
func TestCheckAgreesWithLinux612Captures(t *testing.T) {
	for _, gt := range truths {
		if gt.file[:4] != "k612" {
			continue
		}
		t.Run(gt.file, func(t *testing.T) {
			c, st := decodeFile(t, gt.file)
			conf, err := CheckStory(c, st, CheckOptions{Profile: "linux-6.12"})
			if err != nil {
				t.Fatal(err)
			}
			r := conf.Results[0]
			if r.Count() != 0 {
				t.Errorf("divergences: %v", r.Divergences)
			}
			if r.Compared == 0 {
				t.Error("no request compared")
			}
			if conf.History.Verdict != checker.Ok {
				t.Errorf("history: %s", conf.History)
			}
		})
	}
}

// The model tells kernels apart: 6.12 grants no write delegation on an
// O_WRONLY open, 6.17 does.
func TestCheckTellsProfilesApart(t *testing.T) {
	c, st := decodeFile(t, "k612-v42-shell-lsattr2-d0.pcap")
	conf, err := CheckStory(c, st, CheckOptions{Profile: "auto"})
	if err != nil {
		t.Fatal(err)
	}
	agree := conf.Agreeing()
	if !slices.Contains(agree, "linux-6.12") || slices.Contains(agree, "linux-6.17") {
		t.Errorf("agreeing profiles %v: want linux-6.12 and not linux-6.17", agree)
	}
	for _, r := range conf.Results {
		if r.Profile == "linux-6.17" && (len(r.Divergences) != 1 || r.Divergences[0].Op != "OPEN" || r.Divergences[0].Frame != 58) {
			t.Errorf("linux-6.17 divergences %v: want the O_WRONLY OPEN of frame 58", r.Divergences)
		}
	}
}

func TestUnknownProfileOrPolicyIsAnError(t *testing.T) {
	c, st := decodeFile(t, "k612-v42-rdwr-lsattr2-d0.pcap")
	for _, o := range []CheckOptions{{Profile: "linux-5.0"}, {Policy: "nope"}} {
		if _, err := CheckStory(c, st, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}
