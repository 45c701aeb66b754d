package sysmem

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		err  string
	}{
		{"512M", 512 << 20, ""},
		{"4G", 4 << 30, ""},
		{"4GiB", 4 << 30, ""},
		{"1.5g", 3 << 29, ""},
		{"2048", 2048, ""},
		{"100KB", 100 << 10, ""},
		{"0", 0, "not a size"},
		{"-1G", 0, "not a size"},
		{"lots", 0, "not a size"},
		{"150%", 0, "(0, 100]"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Parse(%q) = %d, %v; want an error with %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	if Available() > 0 {
		if half, err := Parse("50%"); err != nil || half == 0 || half > Available() {
			t.Errorf("Parse(50%%) = %d, %v with %d available", half, err, Available())
		}
	}
}

func TestFormat(t *testing.T) {
	for n, want := range map[uint64]string{100: "100 B", 2048: "2 KiB", 300 << 20: "300 MiB", 3 << 29: "1.5 GiB"} {
		if got := Format(n); got != want {
			t.Errorf("Format(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestWatch: a limit below what the runtime holds cancels at once, with
// ErrLimit as the cause.
func TestWatch(t *testing.T) {
	if InUse() == 0 {
		t.Fatal("InUse() is 0")
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	go Watch(ctx, 1, time.Millisecond, cancel)
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not cancel")
	}
	if !errors.Is(context.Cause(ctx), ErrLimit) {
		t.Errorf("cause %v", context.Cause(ctx))
	}
}
