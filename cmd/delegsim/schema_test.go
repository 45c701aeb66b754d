package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/delegsim/delegsim/scenarios"
)

// compileSchema loads a JSON Schema from docs/.
func compileSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join(repoRoot, "docs", name)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(name, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(name)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return sch
}

// validate checks a command's JSON output against a schema.
func validate(t *testing.T, sch *jsonschema.Schema, out string) map[string]any {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("output does not follow the schema: %v", err)
	}
	m, _ := doc.(map[string]any)
	return m
}

// TestRunReportSchema: `run --format json` of every built-in scenario
// follows docs/run-report.schema.json, the contract scripts rely on.
func TestRunReportSchema(t *testing.T) {
	sch := compileSchema(t, "run-report.schema.json")
	for _, name := range scenarios.Names() {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := delegsim("run", name, "--format", "json")
			if code != exitOK && code != exitFailed {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			rep := validate(t, sch, out)
			if evs, _ := rep["events"].([]any); len(evs) == 0 {
				t.Error("no events reported")
			}
		})
	}
}

// TestRunReportSchemaCatchesDrift: the schema is strict enough to notice
// a report that lost a field or grew an unknown one.
func TestRunReportSchemaCatchesDrift(t *testing.T) {
	sch := compileSchema(t, "run-report.schema.json")
	_, out, _ := delegsim("run", "bz219278", "--format", "json")
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		alter func(map[string]any)
	}{
		{"no events", func(r map[string]any) { delete(r, "events") }},
		{"an unknown field", func(r map[string]any) { r["extra"] = 1 }},
		{"an event of an unknown kind", func(r map[string]any) {
			r["events"].([]any)[0].(map[string]any)["kind"] = "granted"
		}},
		{"an open with an unknown delegation type", func(r map[string]any) {
			r["ops"].([]any)[0].(map[string]any)["deleg"] = "rw"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r map[string]any
			json.Unmarshal([]byte(out), &r)
			tt.alter(r)
			b, _ := json.Marshal(r)
			doc, _ := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
			if sch.Validate(doc) == nil {
				t.Error("the schema accepts it")
			}
		})
	}
}

// TestRunScheduleReplayJSON: a schedule replayed with `run --schedule
// --format json` reports in the same contract, events included.
func TestRunScheduleReplayJSON(t *testing.T) {
	sch := compileSchema(t, "run-report.schema.json")
	dir := t.TempDir()
	sched := filepath.Join(dir, "cx.sched")
	if code, _, errOut := delegsim("explore", "open-dirty-local-read", "--policy", "local-read-exempt", "--out", sched); code != 1 {
		t.Fatalf("explore exit %d: %s", code, errOut)
	}
	code, out, errOut := delegsim("run", "open-dirty-local-read", "--schedule", sched, "--format", "json")
	if code != exitOK { // the schedule's times are ones a timed run can have
		t.Fatalf("replay exit %d: %s", code, errOut)
	}
	rep := validate(t, sch, out)
	if rep["policy"] != "local-read-exempt" {
		t.Errorf("policy %v", rep["policy"])
	}
	found := false
	for _, o := range rep["ops"].([]any) {
		op := o.(map[string]any)
		found = found || (op["name"] == "l2#1" && op["result"] == "ok" && op["size"] == json.Number("0"))
	}
	if !found {
		t.Errorf("the replay's stale lsattr l2#1 (size 0) is not in the report:\n%s", out)
	}
}

// TestListJSONSchema: `list --format json` follows docs/list.schema.json
// and names every built-in scenario.
func TestListJSONSchema(t *testing.T) {
	sch := compileSchema(t, "list.schema.json")
	code, out, _ := delegsim("list", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	rep := validate(t, sch, out)
	if n := len(rep["scenarios"].([]any)); n != len(scenarios.Names()) {
		t.Errorf("%d scenarios listed, %d built in", n, len(scenarios.Names()))
	}
}

// TestRunReportFields: the report carries what scripts need of the
// delegation story: the OPEN's granted delegation, the mtime an attribute
// read saw, and each event with its stateid and type.
func TestRunReportFields(t *testing.T) {
	_, out, _ := delegsim("run", "bz219278", "--format", "json")
	var rep struct {
		Ops []struct {
			Name  string   `json:"name"`
			Deleg string   `json:"deleg"`
			Mtime *float64 `json:"mtime"`
		} `json:"ops"`
		Events []struct {
			Kind    string  `json:"kind"`
			AtMs    float64 `json:"at_ms"`
			Client  string  `json:"client"`
			File    string  `json:"file"`
			Stateid uint32  `json:"stateid"`
			Type    string  `json:"type"`
			Why     string  `json:"why"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	ops := map[string]int{}
	for i, o := range rep.Ops {
		ops[o.Name] = i
	}
	if o := rep.Ops[ops["c1#1"]]; o.Deleg != "write" {
		t.Errorf("the OPEN's delegation %q, want write", o.Deleg)
	}
	if o := rep.Ops[ops["l1#2"]]; o.Mtime == nil {
		t.Error("the second lsattr reports no mtime")
	}
	if len(rep.Events) < 3 {
		t.Fatalf("events %+v", rep.Events)
	}
	g, r := rep.Events[0], rep.Events[1]
	if g.Kind != "grant" || g.Client != "c1" || g.File != "f" || g.Type != "write" || g.Stateid == 0 || g.Why == "" {
		t.Errorf("grant event %+v", g)
	}
	if r.Kind != "recall" || r.Stateid != g.Stateid || r.AtMs <= g.AtMs {
		t.Errorf("recall event %+v: want the same stateid, later", r)
	}
}
