package trace

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// Param is one timing parameter of the scenario format estimated from a
// capture.
type Param struct {
	Key     string // scenario path, as --set takes it: "server.rpc", "clients.c1.latency"
	Value   string // a sim.Dist text: "450us" or "lognormal:1.2ms,0.35"
	Samples int
	How     string // what was measured
}

// Calibration is the set of parameters estimated from a capture.
type Calibration struct {
	Params []Param
	// Measured recall latencies (CB_RECALL → DELEGRETURN answered), for
	// comparing a simulation with the capture.
	RecallLatencies []time.Duration
	Notes           []string
}

// Where the capture point is, as the handshake shows it: on a loopback
// capture every packet is seen as it is delivered; on a remote one, the
// capturing host answers at once and waits a round trip for the other
// side.
const (
	sideLoopback = iota
	sideServer   // captured on the server: SYN-ACK right after SYN
	sideClient   // captured on the client: ACK right after SYN-ACK
)

// clientSide classifies a client's capture point and returns its one-way
// delay estimate with the number of handshakes behind it.
func (c *Capture) clientSide(ci int, st *Story) (side int, oneWay time.Duration, n int) {
	side = -1
	var gaps []time.Duration
	for _, cn := range c.Conns {
		if cn.Client != ci || cn.SynAck <= 0 || cn.Ack <= 0 {
			continue
		}
		n++
		s := sideLoopback
		switch {
		case cn.Loopback:
		case cn.SynAck*4 < cn.Ack:
			s = sideServer
		case cn.Ack*4 < cn.SynAck:
			s = sideClient
		}
		if side < 0 {
			side = s
		}
		switch s {
		case sideLoopback:
			// Each gap holds one one-way trip plus processing.
			gaps = append(gaps, min(cn.SynAck, cn.Ack))
		default:
			gaps = append(gaps, (cn.SynAck+cn.Ack)/2)
		}
	}
	if side < 0 {
		side = sideLoopback
	}
	if f := figuresOf(st, ci); f != nil && f.ReplyMin != nil && side == sideLoopback {
		// A call and its reply hold at least one one-way trip too.
		gaps = append(gaps, *f.ReplyMin)
	}
	if len(gaps) == 0 {
		return side, 0, 0
	}
	return side, slices.Min(gaps), n
}

func figuresOf(st *Story, c int) *ClientFigures {
	for i := range st.Figures.Clients {
		if st.Figures.Clients[i].Client == c {
			return &st.Figures.Clients[i]
		}
	}
	return nil
}

// trips returns how many one-way trips a gap between two frames holds
// besides the processing, for a message pair seen at a capture point:
// request then answer from the other side (replyGap), or a message
// received then one sent by the same host (turnGap).
func replyTrips(side int) int {
	switch side {
	case sideLoopback:
		return 1
	case sideClient:
		return 2
	}
	return 0
}

// Calibrate estimates the timing parameters of the scenario format from
// the story: per client its one-way delay (from TCP handshakes, and on
// loopback also the fastest RPC) and its reaction to CB_RECALL (CB_RECALL
// → DELEGRETURN); for the server its reply time (call → reply of RPCs
// that met no conflict), the cost of DELEGRETURN where nfsd spends it
// (see calibrateDelegReturn) and its callback queueing (conflicting
// request → callback on the wire). Each gap is corrected for the trips it
// holds at the capture point. Distributions are log-normal with the
// samples' median and log-spread; a single sample gives a fixed value.
func Calibrate(c *Capture, st *Story) *Calibration {
	cal := &Calibration{}
	lat, sides := cal.latencies(c, st)
	rpc := cal.replyTimes(c, st, lat, sides)
	cal.reactions(c, st, lat, sides)
	cal.calibrateDelegReturn(st, lat, sides, rpc)
	cal.callbackQueue(c, st, lat, sides)
	return cal
}

// latencies estimates each client's one-way delay and capture side.
func (cal *Calibration) latencies(c *Capture, st *Story) ([]time.Duration, []int) {
	lat := make([]time.Duration, len(c.Clients))
	sides := make([]int, len(c.Clients))
	for i := range c.Clients {
		side, ow, n := c.clientSide(i, st)
		lat[i], sides[i] = ow, side
		how := "one-way delay: half the handshake round trip"
		if side == sideLoopback {
			how = "one-way delay: the smallest handshake gap or RPC call→reply (the capture sees packets as delivered), an upper bound"
		}
		if n == 0 && ow == 0 {
			cal.Notes = append(cal.Notes, fmt.Sprintf("%s: no handshake or reply in the capture; latency not estimated", c.Clients[i].Name))
			continue
		}
		cal.Params = append(cal.Params, Param{Key: fmt.Sprintf("clients.%s.latency", c.Clients[i].Name), Value: fixed(ow), Samples: max(n, 1), How: how})
	}
	return lat, sides
}

// replyTimes estimates the server's reply time from the requests that
// met no conflict (DELEGRETURN aside), and returns the samples.
func (cal *Calibration) replyTimes(c *Capture, st *Story, lat []time.Duration, sides []int) []durCount {
	var lists [][]durCount
	for ci := range c.Clients {
		if st.replies == nil {
			break
		}
		rs := st.replies.of(ci)
		if rs.all.n == 0 {
			continue
		}
		own := durations{counts: maps.Clone(rs.all.counts), n: rs.all.n, least: rs.all.least, coarse: rs.all.coarse}
		for _, r := range rs.returns {
			own.remove(r)
		}
		lists = append(lists, lessCounts(own.sorted(), time.Duration(replyTrips(sides[ci]))*lat[ci]))
	}
	rpc := mergeCounts(lists...)
	if n := total(rpc); n > 0 {
		cal.Params = append(cal.Params, Param{Key: "server.rpc", Value: lognormalCounts(rpc), Samples: n, How: "reply time: call → reply of requests that met no conflict, less the trips in the gap"})
	}
	return rpc
}

// reactions estimates each client's reaction to CB_RECALL and collects
// the measured recall latencies.
func (cal *Calibration) reactions(c *Capture, st *Story, lat []time.Duration, sides []int) {
	react := map[int][]time.Duration{}
	for _, d := range st.Delegations {
		if d.RecallAt == nil || d.ReturnSent == nil || d.Client < 0 {
			continue
		}
		// CB_RECALL reaches the client, the client sends DELEGRETURN:
		// loopback sees arrival then arrival (one trip in the gap), the
		// server sees departure then arrival (two), the client neither.
		trips := map[int]int{sideLoopback: 1, sideServer: 2, sideClient: 0}[sides[d.Client]]
		react[d.Client] = append(react[d.Client], nonNeg(*d.Reaction-time.Duration(trips)*lat[d.Client]))
		if d.RecallLatency != nil {
			cal.RecallLatencies = append(cal.RecallLatencies, *d.RecallLatency)
		}
	}
	for ci := range c.Clients {
		if rs := react[ci]; len(rs) > 0 {
			cal.Params = append(cal.Params, Param{Key: fmt.Sprintf("clients.%s.reaction", c.Clients[ci].Name), Value: lognormal(rs), Samples: len(rs),
				How: "reaction: CB_RECALL → DELEGRETURN, less the trips in the gap"})
		}
	}
}

// callbackQueue estimates nfsd's callback queueing: a conflicting request
// (or a GETATTR answered by CB_GETATTR) arrives, the callback goes out.
func (cal *Calibration) callbackQueue(c *Capture, st *Story, lat []time.Duration, sides []int) {
	var q []time.Duration
	known := func(c int) bool { return c >= 0 && c < len(lat) }
	for _, d := range st.Delegations {
		if o := d.cause; d.RecallAt != nil && o != nil && known(o.client) && known(d.Client) {
			q = append(q, nonNeg(*d.RecallAt-o.at-time.Duration(cbTrips(sides[o.client]))*lat[d.Client]))
		}
	}
	for _, cb := range st.Callbacks {
		if o := cb.asker; cb.Op == "CB_GETATTR" && o != nil && known(o.client) && known(cb.Client) {
			q = append(q, nonNeg(cb.At-o.at-time.Duration(cbTrips(sides[o.client]))*lat[cb.Client]))
		}
	}
	if len(q) > 0 {
		cal.Params = append(cal.Params, Param{Key: "server.cb_queue", Value: lognormal(q), Samples: len(q),
			How: "callback queueing: conflicting request → callback on the wire"})
	} else {
		cal.Notes = append(cal.Notes, "server.cb_queue: no recall or CB_GETATTR with its cause on the wire (a local access starts the recall out of sight); the profile's default stays")
	}
}

// cbTrips is the trips in a request-to-callback gap: on the server both
// frames are taken there; elsewhere the callback's frame is one trip
// after it left.
func cbTrips(side int) int {
	if side == sideServer {
		return 0
	}
	return 1
}

func nonNeg(d time.Duration) time.Duration { return max(d, 0) }

// fixed renders a duration as the scenario format takes it, to the
// microsecond.
func fixed(d time.Duration) string {
	return strings.Replace(d.Round(time.Microsecond).String(), "µs", "us", 1)
}

// lognormal fits a log-normal distribution: the samples' median and the
// standard deviation of their logarithms (0.05 to 1.5; a fixed value
// for one sample or samples that do not spread).
func lognormal(ds []time.Duration) string { return lognormalCounts(countsOf(ds)) }

// lognormalCounts is lognormal of samples grouped by value.
func lognormalCounts(cs []durCount) string {
	med := medianOf(cs)
	if total(cs) < 2 || med <= 0 {
		return fixed(med)
	}
	var sum, sum2 float64
	n := 0
	for _, c := range cs {
		if c.v <= 0 {
			continue
		}
		l := math.Log(float64(c.v))
		sum += float64(c.n) * l
		sum2 += float64(c.n) * l * l
		n += c.n
	}
	if n < 2 {
		return fixed(med)
	}
	mean := sum / float64(n)
	sd := math.Sqrt(max(0, sum2/float64(n)-mean*mean))
	if sd < 0.05 {
		return fixed(med)
	}
	return fmt.Sprintf("lognormal:%s,%.2f", fixed(med), min(sd, 1.5))
}

// Sets returns the calibration as --set flags.
func (cal *Calibration) Sets() []string {
	var out []string
	for _, p := range cal.Params {
		out = append(out, p.Key+"="+p.Value)
	}
	return out
}

// WriteYAML writes the calibration as a fragment of a scenario file, each
// value with the number of samples behind it, then the same as --set
// flags.
func (cal *Calibration) WriteYAML(w io.Writer, file string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# timing calibrated from %s (delegsim trace --calibrate)\n", file)
	server := []Param{}
	clients := map[string][]Param{}
	var order []string
	for _, p := range cal.Params {
		if rest, ok := strings.CutPrefix(p.Key, "server."); ok {
			p.Key = rest
			server = append(server, p)
			continue
		}
		rest := strings.TrimPrefix(p.Key, "clients.")
		name, key, _ := strings.Cut(rest, ".")
		if _, ok := clients[name]; !ok {
			order = append(order, name)
		}
		p.Key = key
		clients[name] = append(clients[name], p)
	}
	if len(server) > 0 {
		b.WriteString("server:\n")
		for _, p := range server {
			fmt.Fprintf(&b, "  %s: %q   # %s: %s\n", p.Key, p.Value, samples(p.Samples), p.How)
		}
	}
	if len(order) > 0 {
		b.WriteString("clients:\n")
		for _, name := range order {
			fmt.Fprintf(&b, "  - name: %s\n", name)
			for _, p := range clients[name] {
				fmt.Fprintf(&b, "    %s: %q   # %s: %s\n", p.Key, p.Value, samples(p.Samples), p.How)
			}
		}
	}
	for _, n := range cal.Notes {
		fmt.Fprintf(&b, "# note: %s\n", n)
	}
	if len(cal.RecallLatencies) > 0 {
		var ls []string
		for _, l := range cal.RecallLatencies {
			ls = append(ls, fmt.Sprintf("%.3f ms", ms(l)))
		}
		fmt.Fprintf(&b, "# measured recall latency (CB_RECALL → DELEGRETURN answered): %s\n", strings.Join(ls, ", "))
	}
	b.WriteString("\n# the same as flags for run, check, sweep and compare:\n#")
	for _, s := range cal.Sets() {
		fmt.Fprintf(&b, " --set %s", s)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func samples(n int) string {
	if n == 1 {
		return "1 sample"
	}
	return fmt.Sprintf("%d samples", n)
}
