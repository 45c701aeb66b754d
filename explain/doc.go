// Package explain tells the story of one delegsim run: a narrated
// timeline in which every step says what happened and which kernel
// function or RFC section makes it happen, a Mermaid sequence diagram, and
// a self-contained HTML page with an SVG sequence diagram, the timeline
// beside it and the delegation table at each step.
//
// Build runs a scenario with tracing on and reads the run's structured
// records (sim.Result.StepRecords and Messages, the events and the
// operations) together with a snapshot of the server's delegation table
// taken after every step; it never parses the text trace. The Story it
// returns is rendered by WriteText, WriteMermaid and WriteHTML.
package explain
