// Package scenarios loads delegsim's scenario files: YAML documents naming
// the actors, their scripts, the network, the kernel profile and policy,
// and the expected outcomes.
//
// Files are decoded strictly — an unknown key, a bad duration or
// distribution, a probability outside [0, 1] is an error that names the
// file, line, field and what is allowed (Error, matching ErrInvalid). Any
// field can be overridden before validation with Source.Set
// ("clients.c1.latency=20ms"), which is what `--set` and sweeps use. The
// built-in scenarios are embedded in the binary; Names lists them. A
// Scenario builds simulator configurations (Config, Run) and checks a
// run's expectations (Check).
package scenarios
