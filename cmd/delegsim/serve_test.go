package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestServeBadInput: what serve refuses before it listens, with exit
// status 2.
func TestServeBadInput(t *testing.T) {
	dir := t.TempDir()
	sched := filepath.Join(dir, "other.sched")
	os.WriteFile(sched, []byte("scenario stat-no-recall\npolicy kernel\nprofile linux-6.12\nseed 1\nwait\n"), 0o644)
	runCLICases(t, dir, []cliCase{
		{name: "unknown scenario", args: []string{"serve", "nope"}, code: exitBadUsage, want: []string{"nope"}},
		{name: "two scenarios", args: []string{"serve", "bz219278", "stat-no-recall"}, code: exitBadUsage, want: []string{"at most one scenario"}},
		{name: "bad address", args: []string{"serve", "--addr", "127.0.0.1:99999"}, code: exitBadUsage, want: []string{"--addr"}},
		{name: "missing schedule", args: []string{"serve", "--schedule", filepath.Join(dir, "none.sched")}, code: exitBadUsage, want: []string{"none.sched"}},
		{name: "schedule of another scenario", args: []string{"serve", "bz219278", "--schedule", sched}, code: exitBadUsage,
			want: []string{"recorded for scenario stat-no-recall, not bz219278"}},
		{name: "bad set", args: []string{"serve", "--set", "clients.c9.latency=1ms"}, code: exitBadUsage, want: []string{"c9"}},
	})
}

// syncBuffer is a bytes.Buffer safe to read while serve writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeListensOnLoopback: by default serve listens on 127.0.0.1,
// prints the page's URL, serves the page there, and stops cleanly when
// told to.
func TestServeListensOnLoopback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- serveUntil(ctx, []string{"bz219278"}, &out, &errb) }()
	urlRe := regexp.MustCompile(`open (http://127\.0\.0\.1:\d+/) `)
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := urlRe.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		cancel()
		t.Fatalf("no loopback URL printed: %q %q", out.String(), errb.String())
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "<title>delegsim serve</title>") {
		t.Errorf("GET %s: %d %.100s", url, resp.StatusCode, page)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d after stop: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestServeStopsOnSignal: SIGINT or SIGTERM stops a running serve
// cleanly (http.Server.Shutdown): it says so and exits with status 0,
// its normal end.
func TestServeStopsOnSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			// A free port, picked here: the process's stdout (its URL) is
			// not readable while it runs.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			p := start(t, t.TempDir(), nil, "serve", "bz219278", "--addr", addr)
			url := "http://" + addr + "/api/catalog"
			var resp *http.Response
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if resp, err = http.Get(url); err == nil {
					break
				}
			}
			if err != nil {
				t.Fatalf("serve does not answer on %s: %v\nstderr:\n%s", addr, err, p.stderr.String())
			}
			resp.Body.Close()
			p.signal(t, sig)
			if code := p.wait(t); code != exitOK {
				t.Fatalf("exit %d after %v, want 0\nstderr:\n%s", code, sig, p.stderr.String())
			}
			if !strings.Contains(p.stderr.String(), ": stopped") {
				t.Errorf("stderr does not say serve stopped:\n%s", p.stderr.String())
			}
			if _, err := http.Get(url); err == nil {
				t.Error("serve still answers after stopping")
			}
		})
	}
}
