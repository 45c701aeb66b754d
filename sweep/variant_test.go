package sweep

import (
	"strings"
	"testing"

	"github.com/delegsim/delegsim/model"
)

// sameAsKernel is a policy value that decides as the kernel does, under
// its own name.
type sameAsKernel struct{}

func (sameAsKernel) Name() string                                 { return "kernel-by-value" }
func (sameAsKernel) Grant(g model.GrantInfo) model.DelegType      { return g.Kernel }
func (sameAsKernel) Conflict(c model.ConflictInfo) model.Decision { return c.Kernel }

// TestVariants: a variant is a row like a policy's. One that changes
// nothing gives the kernel's figures; one that makes the first lsattr
// retry (an application fix) no longer fails it where the return beats
// its retry delay, and the columns stay the scenario's.
func TestVariants(t *testing.T) {
	spec := smallSpec(t)
	spec.Policies = []string{"kernel"}
	spec.Variants = []Variant{
		{Name: "kernel-by-value", Value: sameAsKernel{}},
		{Name: "retry", Sets: []string{"locals.l1.script.0.retry={attempts: 3, delay: 200ms}"}},
	}
	res := run(t, spec, RunOptions{})
	if got := strings.Join(res.Meta.Policies, ","); got != "kernel,kernel-by-value,retry" {
		t.Fatalf("rows %s", got)
	}
	if len(res.Meta.Variants) != 2 || res.Meta.Variants[0].Policy != "kernel-by-value" || res.Meta.Variants[1].Policy != "" {
		t.Errorf("variants in sweep.json: %+v", res.Meta.Variants)
	}
	byPoint := map[int]map[string]Row{}
	for _, r := range res.Rows {
		if byPoint[r.Point] == nil {
			byPoint[r.Point] = map[string]Row{}
		}
		byPoint[r.Point][r.Policy] = r
	}
	for p, rows := range byPoint {
		k, v, r := rows["kernel"], rows["kernel-by-value"], rows["retry"]
		k.Policy, v.Policy = "", ""
		if csvRow(k) != csvRow(v) {
			t.Errorf("point %d: a policy value deciding as the kernel gives other figures:\n%s\n%s", p, csvRow(k), csvRow(v))
		}
		if fail(r, 0) != 0 || fail(rows["kernel"], 0) != 1 {
			t.Errorf("point %d: first lsattr fails %.3f with retries, %.3f without", p, fail(r, 0), fail(rows["kernel"], 0))
		}
	}
}

func csvRow(r Row) string { return strings.Join(r.record(), ",") }

func TestVariantsRejected(t *testing.T) {
	for _, tc := range []struct {
		name string
		vs   []Variant
		want string
	}{
		{"duplicate", []Variant{{Name: "kernel"}}, `two rows named "kernel"`},
		{"varied path", []Variant{{Name: "x", Sets: []string{"clients.c1.latency=5ms"}}}, "which the grid varies"},
		{"bad set", []Variant{{Name: "x", Sets: []string{"clients.nope.latency=5ms"}}}, "nope"},
		{"bad policy", []Variant{{Name: "x", Policy: "nope"}}, `unknown policy "nope"`},
		{"new ops", []Variant{{Name: "x", Sets: []string{"locals.l1.script=[{at: 1s, op: lsattr, file: f}]"}}}, "local operations"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := smallSpec(t)
			spec.Policies = []string{"kernel"}
			spec.Variants = tc.vs
			if _, err := NewPlan(spec); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
