package scenarios

import (
	"fmt"
	"time"

	"github.com/delegsim/delegsim/model"
)

// Dur is a non-negative duration written as a Go duration ("20ms"); a bare
// 0 is accepted.
type Dur model.Time

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Dur) UnmarshalText(b []byte) error {
	s := string(b)
	if s == "0" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("bad duration %q (use units: 500us, 20ms, 1.5s)", s)
	}
	if v < 0 {
		return fmt.Errorf("negative duration %q", s)
	}
	*d = Dur(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Dur) MarshalText() ([]byte, error) { return []byte(model.Time(d).String()), nil }

// T returns the duration as model time.
func (d Dur) T() model.Time { return model.Time(d) }
