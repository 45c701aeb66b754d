package trace

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds mutated captures to the whole pipeline: pcap reading,
// TCP reassembly, RPC record marking, XDR decoding and the story. Input
// is either refused as unreadable (ErrInput) or decoded, never a panic.
// The shared captures are the seed corpus; `go test -fuzz FuzzDecode
// -fuzzminimizetime 10s ./trace` explores from them (minimizing a new
// input of tens of kilobytes takes the default minute otherwise).
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.pcap")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) < 64<<10 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Decode(bytes.NewReader(data), "fuzz", Options{})
		if err != nil {
			if !errors.Is(err, ErrInput) {
				t.Fatalf("error not wrapping ErrInput: %v", err)
			}
			return
		}
		st := Build(c)
		var b bytes.Buffer
		if err := st.WriteText(&b); err != nil {
			t.Fatal(err)
		}
	})
}
