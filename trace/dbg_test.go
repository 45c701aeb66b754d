package trace

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestHistDebug(t *testing.T) {
	if os.Getenv("DUMPH") == "" {
		t.Skip()
	}
	fs, _ := filepath.Glob("testdata/*.pcap")
	for _, f := range fs {
		r, _ := os.Open(f)
		c, _ := Decode(r, f, Options{})
		st := Build(c)
		res := st.CheckHistory(10 * time.Second)
		fmt.Println(filepath.Base(f), res.String())
		for _, s := range res.StaleReads {
			fmt.Println("   ", s)
		}
	}
}
