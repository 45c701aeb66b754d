package trace

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if the change is intended, run go test ./trace -update and review the diff", path)
	}
}

// The narrated timeline and the JSON contract of two captures, read as
// the protocol's story: the bz219278 reproducer (a local lsattr breaks
// the write delegation) and a second client's OPEN answered
// NFS4ERR_DELAY while the holder returns its delegation.
func TestGoldenStories(t *testing.T) {
	for _, name := range []string{"k612-v42-rdwr-lsattr2-d0", "k612-v42-twoclients-bread"} {
		t.Run(name, func(t *testing.T) {
			_, st := decodeFile(t, name+".pcap")
			var text, js bytes.Buffer
			if err := st.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if err := st.WriteJSON(&js, nil, nil); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".txt", text.Bytes())
			golden(t, name+".json", js.Bytes())
			c, st := decodeFile(t, name+".pcap")
			conf, err := CheckStory(c, st, CheckOptions{Profile: "auto"})
			if err != nil {
				t.Fatal(err)
			}
			var chk, cal bytes.Buffer
			if err := conf.WriteText(&chk, name+".pcap"); err != nil {
				t.Fatal(err)
			}
			if err := Calibrate(c, st).WriteYAML(&cal, name+".pcap"); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".check.txt", chk.Bytes())
			golden(t, name+".calibrate.yaml", cal.Bytes())
		})
	}
}

// The JSON contract of docs/trace.md: these keys, times in ms, null where
// something did not happen.
func TestJSONContract(t *testing.T) {
	_, st := decodeFile(t, "k612-v42-twoclients-bstat.pcap")
	var b bytes.Buffer
	if err := st.WriteJSON(&b, nil, nil); err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"file", "clients", "delegations", "callbacks", "errors", "warnings"} {
		if _, ok := v[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
	d := v["delegations"].([]any)[0].(map[string]any)
	for _, k := range []string{"client", "file", "stateid", "type", "granted_at_ms", "recall_at_ms", "returned_at_ms", "revoked_at_ms"} {
		if _, ok := d[k]; !ok {
			t.Errorf("delegation key %q missing", k)
		}
	}
	if d["revoked_at_ms"] != nil {
		t.Errorf("revoked_at_ms = %v, want null", d["revoked_at_ms"])
	}
	if d["type"] != "WRITE" || d["client"] != "c1" {
		t.Errorf("delegation %v", d)
	}
	cb := v["callbacks"].([]any)
	var ops []string
	for _, c := range cb {
		m := c.(map[string]any)
		ops = append(ops, m["op"].(string))
		for _, k := range []string{"client", "op", "at_ms", "reply_at_ms", "status"} {
			if _, ok := m[k]; !ok {
				t.Errorf("callback key %q missing", k)
			}
		}
	}
	if got := strings.Join(ops, ","); got != "CB_GETATTR,CB_RECALL" {
		t.Errorf("callbacks %s, want CB_GETATTR,CB_RECALL", got)
	}
}

// Mermaid and HTML are explain's renderers fed with the real trace.
func TestMermaidAndHTMLFromARealTrace(t *testing.T) {
	_, st := decodeFile(t, "k612-v42-rdwr-lsattr2-d0.pcap")
	var m, h bytes.Buffer
	if err := st.WriteMermaid(&m); err != nil {
		t.Fatal(err)
	}
	if err := st.WriteHTML(&h); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sequenceDiagram", "participant C1 as c1 NFS client", "participant L1 as server-local process (inferred)", "CB_RECALL", "DELEGRETURN"} {
		if !strings.Contains(m.String(), want) {
			t.Errorf("mermaid lacks %q", want)
		}
	}
	for _, want := range []string{"<svg", "delegsim trace k612-v42-rdwr-lsattr2-d0.pcap", "CB_RECALL"} {
		if !strings.Contains(h.String(), want) {
			t.Errorf("html lacks %q", want)
		}
	}
}
