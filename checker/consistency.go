package checker

import (
	"errors"
	"fmt"
	"strings"
)

// Consistency names the consistency model a history is checked against.
type Consistency int

// The consistency models. See the package documentation for their meaning.
const (
	Linearizable Consistency = iota
	CloseToOpen
)

var consistencyNames = [...]string{Linearizable: "linearizable", CloseToOpen: "close-to-open"}

// ErrUnknownConsistency is wrapped by the error ParseConsistency returns for
// a name it does not know.
var ErrUnknownConsistency = errors.New("unknown consistency model")

// String returns the model's name as ParseConsistency accepts it.
func (c Consistency) String() string {
	if c >= 0 && int(c) < len(consistencyNames) {
		return consistencyNames[c]
	}
	return fmt.Sprintf("consistency(%d)", int(c))
}

// ConsistencyNames lists the names ParseConsistency accepts.
func ConsistencyNames() []string { return append([]string(nil), consistencyNames[:]...) }

// ParseConsistency returns the consistency model with the given name
// ("linearizable" or "close-to-open").
func ParseConsistency(s string) (Consistency, error) {
	for c, n := range consistencyNames {
		if n == s {
			return Consistency(c), nil
		}
	}
	return 0, fmt.Errorf("%w %q (allowed: %s)", ErrUnknownConsistency, s, strings.Join(consistencyNames[:], ", "))
}
