package scenarios_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/delegsim/delegsim/scenarios"
)

var update = flag.Bool("update", false, "rewrite "+scenarios.SchemaFile+" from the Go types")

// TestSchemaInSync: the committed scenario.schema.json is what Schema
// generates from the Go types; after a change to Spec, regenerate it with
// `go test ./scenarios -run TestSchemaInSync -update`.
func TestSchemaInSync(t *testing.T) {
	got, err := scenarios.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(scenarios.SchemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(scenarios.SchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date with the Go types; run: go test ./scenarios -run TestSchemaInSync -update", scenarios.SchemaFile)
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := scenarios.Schema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(scenarios.SchemaFile, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(scenarios.SchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// asJSON decodes YAML as the schema validator sees it: as JSON values.
func asJSON(t *testing.T, src []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBuiltinsValidateAgainstSchema: every built-in scenario is valid
// under the schema, and typical mistakes are not.
func TestBuiltinsValidateAgainstSchema(t *testing.T) {
	s := compileSchema(t)
	for _, name := range scenarios.Names() {
		src, err := os.ReadFile(name + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(asJSON(t, src)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	const good = "name: t\nversion: 1\nfiles: [{name: f}]\nclients:\n  - name: c1\n    latency: 5ms\n    script:\n      - {at: 0s, op: open, file: f, flags: [O_RDWR]}\n"
	if err := s.Validate(asJSON(t, []byte(good))); err != nil {
		t.Fatalf("a good scenario: %v", err)
	}
	for _, bad := range []struct{ from, to string }{
		{"version: 1", "version: 1\nprofle: linux-6.12"},
		{"latency: 5ms", "latency: 5 ms"},
		{"latency: 5ms", "latency: gamma:3ms"},
		{"op: open", "op: opne"},
		{"O_RDWR", "O_RDWRX"},
		{"version: 1", "version: 2"},
		{"version: 1", "version: 1\npolicy: kernal"},
	} {
		doc := strings.Replace(good, bad.from, bad.to, 1)
		if err := s.Validate(asJSON(t, []byte(doc))); err == nil {
			t.Errorf("the schema accepts %q", bad.to)
		}
	}
}
