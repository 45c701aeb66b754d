package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// asBinary makes the test binary run as delegsim itself when set, so that
// tests can start real processes (signals, shell completion) without
// building another binary.
const asBinary = "DELEGSIM_TEST_AS_BINARY"

func TestMain(m *testing.M) {
	if os.Getenv(asBinary) == "1" {
		main()
	}
	os.Exit(m.Run())
}

// process is delegsim running as a child process.
type process struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	lines          chan string // stderr, line by line
}

// start runs delegsim ARGS in dir with extra environment variables.
func start(t *testing.T, dir string, env []string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(os.Args[0], args...), lines: make(chan string, 1000)}
	p.cmd.Dir = dir
	p.cmd.Env = append(append(os.Environ(), asBinary+"=1"), env...)
	p.cmd.Stdout = &p.stdout
	pipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(io.TeeReader(pipe, &p.stderr))
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	return p
}

// signal sends sig to the process.
func (p *process) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// wait waits for the process to end and returns its exit status.
func (p *process) wait(t *testing.T) int {
	t.Helper()
	for range p.lines {
	}
	err := p.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		if !ee.Exited() {
			t.Fatalf("delegsim was killed: %v\nstderr:\n%s", err, p.stderr.String())
		}
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

// waitForCount waits for a stderr line that re matches with its first
// group a number at least n: a progress line showing enough work done.
func (p *process) waitForCount(t *testing.T, re *regexp.Regexp, n int) {
	t.Helper()
	deadline := time.After(120 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("delegsim ended before %v reached %d; stderr:\n%s", re, n, p.stderr.String())
			}
			if m := re.FindStringSubmatch(l); m != nil {
				if k, _ := strconv.Atoi(m[1]); k >= n {
					return
				}
			}
		case <-deadline:
			t.Fatalf("%v did not reach %d in 120s", re, n)
		}
	}
}
