package scenarios

import (
	"encoding/json"
	"reflect"
	"slices"

	"github.com/invopop/jsonschema"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/sim"
)

// SchemaFile is where the repository keeps the JSON Schema of the scenario
// format, for editors (yaml-language-server: "# yaml-language-server:
// $schema=PATH") and CI; a test keeps it equal to Schema's output.
const SchemaFile = "scenario.schema.json"

// durationPattern is a Go duration as time.ParseDuration reads it ("20ms",
// "1.5s", "1m30s"), or a bare 0.
const durationPattern = `^(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$`

// distPattern is sim.Dist's text form: a duration, or KIND:ARGS.
const distPattern = `^((0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+)|(fixed|uniform|normal|lognormal|exponential|empirical):.+)$`

// Schema returns the JSON Schema of a scenario file, generated from Spec
// (github.com/invopop/jsonschema): every field with its type, durations
// and distributions as patterns, and the names the loader accepts
// (operations, flags, policies, profiles, results) as enums, so that an
// editor completes and checks them. The loader stays the authority: it
// also checks what a schema cannot say (a file declared twice, an
// expectation naming an actor that does not exist).
func Schema() ([]byte, error) {
	r := &jsonschema.Reflector{FieldNameTag: "yaml", RequiredFromJSONSchemaTags: true, Anonymous: true,
		Mapper: func(t reflect.Type) *jsonschema.Schema {
			switch t {
			case reflect.TypeFor[Dur]():
				return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
					{Type: "string", Pattern: durationPattern}, {Type: "integer", Const: 0}},
					Description: "a duration: 500us, 20ms, 1.5s (or 0)"}
			case reflect.TypeFor[sim.Dist]():
				return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
					{Type: "string", Pattern: distPattern}, {Type: "integer", Const: 0}},
					Description: "a distribution of durations: 20ms, uniform:10ms..30ms, normal:20ms,5ms, lognormal:3ms,0.4, exponential:10ms, empirical:1ms,2ms,5ms"}
			}
			return nil
		}}
	s := r.Reflect(&Spec{})
	s.Title = "delegsim scenario"
	s.Description = "A delegsim scenario file (docs/scenarios.md)."
	enum := func(def, prop string, values []string) {
		p := property(s, def, prop)
		if p == nil {
			return
		}
		if p.Type == "array" && p.Items != nil {
			p = p.Items
		}
		p.Enum = nil
		for _, v := range values {
			p.Enum = append(p.Enum, v)
		}
	}
	policies := model.PolicyNames()
	profiles := model.ProfileNames()
	enum("Spec", "policy", policies)
	enum("Spec", "profile", profiles)
	enum("Spec", "profiles", profiles)
	enum("ExpectSpec", "profiles", profiles)
	enum("ExpectSpec", "policies", policies)
	enum("ClientSpec", "close_flush", []string{"full", "start"})
	enum("ClientStep", "op", kindNames(clientOps))
	enum("ClientStep", "flags", openFlags)
	enum("LocalStep", "op", kindNames(localOps()))
	enum("ExpectSpec", "result", resultNames())
	enum("ClientStep", "deny", sortedKeys(denyModes))
	enum("ClientStep", "want", model.WantNames())
	enum("ClientStep", "set", sortedKeys(setAttrs))
	enum("ClientSpec", "recall_answers", sortedKeys(recallAnswers))
	enum("ExpectSpec", "deleg", delegNames())
	enum("ExpectSpec", "why", whyNames())
	if v := property(s, "ClientSpec", "version"); v != nil {
		versionNames := []string{"4.0", "4.1", "4.2"}
		*v = jsonschema.Schema{Description: "NFS minor version",
			AnyOf: []*jsonschema.Schema{{Type: "string", Enum: anys(versionNames)}, {Type: "number", Enum: []any{4.0, 4.1, 4.2}}}}
	}
	if v := property(s, "Spec", "version"); v != nil {
		v.Const, v.Description = 1, "the scenario format version: 1"
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// property returns the schema of a property of a definition.
func property(s *jsonschema.Schema, def, prop string) *jsonschema.Schema {
	d, ok := s.Definitions[def]
	if !ok || d.Properties == nil {
		return nil
	}
	p, _ := d.Properties.Get(prop)
	return p
}

func kindNames(ks []model.OpKind) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.String())
	}
	slices.Sort(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
