package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/delegsim/delegsim/internal/atomicfile"
	"github.com/delegsim/delegsim/internal/version"
)

// stdoutPath is the output path that means standard output.
const stdoutPath = "-"

// checkOutputs refuses, before any work is done, an output path (--out,
// --trace, --html, ...) that could not be written, naming its flag.
// Empty paths and "-" (standard output) need no check.
func checkOutputs(flags ...string) error {
	for i := 0; i+1 < len(flags); i += 2 {
		flag, path := flags[i], flags[i+1]
		if path == "" || path == stdoutPath {
			continue
		}
		if err := atomicfile.Check(path); err != nil {
			return fmt.Errorf("--%s: %w", flag, err)
		}
	}
	return nil
}

// writeOutput writes data to path, or to stdout if path is "-" or empty
// (no --out given).
func writeOutput(path string, stdout io.Writer, data []byte) error {
	if path == "" || path == stdoutPath {
		_, err := stdout.Write(data)
		return err
	}
	return atomicfile.WriteFile(path, data)
}

// versionKey is the key of the version in every JSON object delegsim
// writes: the first key, so that it is seen first.
const versionKey = "delegsim_version"

// writeJSON writes v as indented JSON with the version as the first key of
// the top-level object (or of each object of a top-level array).
func writeJSON(w io.Writer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeVersionedJSON(w, data)
}

// writeVersionedJSON writes the JSON value data, indented, with the version
// added as writeJSON does.
func writeVersionedJSON(w io.Writer, data []byte) error {
	out, err := withVersion(bytes.TrimSpace(data))
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := json.Indent(&b, out, "", "  "); err != nil {
		return err
	}
	b.WriteByte('\n')
	_, err = w.Write(b.Bytes())
	return err
}

// withVersion inserts the version key into a JSON object, or into each
// object of a JSON array.
func withVersion(data []byte) ([]byte, error) {
	switch {
	case len(data) > 0 && data[0] == '{':
		v, _ := json.Marshal(version.String())
		rest := bytes.TrimSpace(data[1:])
		sep := ","
		if len(rest) > 0 && rest[0] == '}' {
			sep = ""
		}
		return append(append([]byte(`{"`+versionKey+`":`), v...), append([]byte(sep), rest...)...), nil
	case len(data) > 0 && data[0] == '[':
		var elems []json.RawMessage
		if err := json.Unmarshal(data, &elems); err != nil {
			return nil, err
		}
		for i, e := range elems {
			ve, err := withVersion(bytes.TrimSpace(e))
			if err != nil {
				return nil, err
			}
			elems[i] = ve
		}
		return json.Marshal(elems)
	}
	return data, nil
}

// htmlWithVersion adds a generator meta tag naming delegsim's version to
// an HTML page written by another package (porcupine's visualisation).
func htmlWithVersion(page []byte) []byte {
	tag := fmt.Sprintf("<meta name=\"generator\" content=\"delegsim %s\">", htmlEscape(version.String()))
	if i := bytes.Index(page, []byte("<head>")); i >= 0 {
		i += len("<head>")
		return append(append(append([]byte{}, page[:i]...), tag...), page[i:]...)
	}
	return append([]byte("<!-- "+tag+" -->\n"), page...)
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
