package sweep

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Row is the result of one policy at one grid point: a line of
// results.csv. Probabilities are fractions of trials; latencies are in
// milliseconds; costs are means per trial.
type Row struct {
	Point  int       // grid point index, from 0
	X      []float64 // the point's value of each --vary, in its unit
	Policy string
	Trials int
	Ops    []OpStats // per Meta.Ops
	// Any: at least one local operation failed in the trial; All: every
	// one did (for bz219278, the first and the second lsattr).
	Any, All Rate
	// Stale: the checker found a stale read or another violation.
	Stale      Rate
	Unknown    int     // trials whose check ran out of time
	RPCs       float64 // fore-channel requests the clients sent
	ExtraRPCs  float64 // RPCs minus the baseline policy's RPCs at this point
	Recalls    float64 // CB_RECALLs sent
	CBGetattrs float64 // CB_GETATTRs sent
	Grants     float64 // delegations granted
	Unfinished int     // trials in which some script did not finish
}

// OpStats is one local operation's failure rate and latency (End - Start,
// over the trials in which it ran; NaN if it never did).
type OpStats struct {
	Fail          Rate
	P50, P90, P99 float64
}

// Columns returns the header of results.csv for a sweep (see
// docs/sweep.md).
func Columns(m *Meta) []string {
	cols := []string{"point"}
	for _, v := range m.vary {
		cols = append(cols, v.Column())
	}
	cols = append(cols, "policy", "trials")
	for _, op := range m.Ops {
		n := op.Name
		cols = append(cols, "fail_"+n, "fail_"+n+"_lo", "fail_"+n+"_hi", "p50_"+n+"_ms", "p90_"+n+"_ms", "p99_"+n+"_ms")
	}
	return append(cols, "fail_any", "fail_any_lo", "fail_any_hi", "fail_all", "fail_all_lo", "fail_all_hi",
		"stale", "stale_lo", "stale_hi", "check_unknown",
		"rpcs", "extra_rpcs", "recalls", "cb_getattrs", "grants", "unfinished")
}

// Number formats: fixed decimals, so that a value read back and written
// again is byte-identical (merge relies on it). NaN is an empty field.
func fmtF(x float64, dec int) string {
	if math.IsNaN(x) {
		return ""
	}
	s := strconv.FormatFloat(x, 'f', dec, 64)
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-") // no "-0.000"
	}
	return s
}

func fmtX(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

const (
	probDec = 6 // probabilities
	msDec   = 3 // latencies: microseconds
	meanDec = 4 // per-trial means
)

func (r *Row) record() []string {
	rec := []string{strconv.Itoa(r.Point)}
	for _, x := range r.X {
		rec = append(rec, fmtX(x))
	}
	rec = append(rec, r.Policy, strconv.Itoa(r.Trials))
	rate := func(q Rate) []string { return []string{fmtF(q.P, probDec), fmtF(q.Lo, probDec), fmtF(q.Hi, probDec)} }
	for _, o := range r.Ops {
		rec = append(rec, rate(o.Fail)...)
		rec = append(rec, fmtF(o.P50, msDec), fmtF(o.P90, msDec), fmtF(o.P99, msDec))
	}
	rec = append(rec, rate(r.Any)...)
	rec = append(rec, rate(r.All)...)
	rec = append(rec, rate(r.Stale)...)
	rec = append(rec, strconv.Itoa(r.Unknown))
	for _, x := range []float64{r.RPCs, r.ExtraRPCs, r.Recalls, r.CBGetattrs, r.Grants} {
		rec = append(rec, fmtF(x, meanDec))
	}
	return append(rec, strconv.Itoa(r.Unfinished))
}

// WriteCSV writes rows as results.csv: a comment line naming the
// delegsim that computed them ("# delegsim v1.2.0"; CSV readers skip it
// with comment='#'), the header, then the rows.
func WriteCSV(w io.Writer, m *Meta, rows []Row) error {
	if m.Version != "" {
		if _, err := fmt.Fprintf(w, "# delegsim %s\n", strings.ReplaceAll(m.Version, "\n", " ")); err != nil {
			return err
		}
	}
	cw := csv.NewWriter(w)
	cw.Write(Columns(m))
	for i := range rows {
		cw.Write(rows[i].record())
	}
	cw.Flush()
	return cw.Error()
}

// ReadCSV reads results.csv written for the sweep m, checking its header.
func ReadCSV(r io.Reader, name string, m *Meta) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	want := Columns(m)
	cr.FieldsPerRecord = len(want)
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, invalidf("%s: %v", name, err)
	}
	if len(recs) == 0 || !slices.Equal(recs[0], want) {
		return nil, invalidf("%s: header does not match %s (want %s)", name, MetaFile, strings.Join(want, ","))
	}
	var rows []Row
	for i, rec := range recs[1:] {
		row, err := parseRow(rec, m)
		if err != nil {
			return nil, invalidf("%s:%d: %v", name, i+2, err)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func parseRow(rec []string, m *Meta) (Row, error) {
	var err error
	next := func() string { s := rec[0]; rec = rec[1:]; return s }
	num := func() float64 {
		s := next()
		if s == "" || err != nil {
			return math.NaN()
		}
		x, e := strconv.ParseFloat(s, 64)
		if e != nil {
			err = fmt.Errorf("%q is not a number", s)
		}
		return x
	}
	integer := func() int {
		s := next()
		n, e := strconv.Atoi(s)
		if e != nil && err == nil {
			err = fmt.Errorf("%q is not an integer", s)
		}
		return n
	}
	rate := func() Rate { return Rate{P: num(), Lo: num(), Hi: num()} }
	var r Row
	r.Point = integer()
	for range m.vary {
		r.X = append(r.X, num())
	}
	r.Policy = next()
	r.Trials = integer()
	for range m.Ops {
		o := OpStats{Fail: rate()}
		o.P50, o.P90, o.P99 = num(), num(), num()
		r.Ops = append(r.Ops, o)
	}
	r.Any, r.All, r.Stale = rate(), rate(), rate()
	r.Unknown = integer()
	r.RPCs, r.ExtraRPCs, r.Recalls, r.CBGetattrs, r.Grants = num(), num(), num(), num(), num()
	r.Unfinished = integer()
	if err != nil {
		return Row{}, err
	}
	if r.Point < 0 || r.Point >= m.Points || !slices.Contains(m.Policies, r.Policy) {
		return Row{}, fmt.Errorf("point %d, policy %q: not in this sweep (%d points; policies %s)",
			r.Point, r.Policy, m.Points, strings.Join(m.Policies, ", "))
	}
	return r, nil
}

// Results is a sweep's output: what it ran and one row per completed
// point and policy, ordered by point, then by policy as listed.
type Results struct {
	Meta Meta
	Rows []Row
}

// ReadDir reads a sweep output directory (sweep.json and results.csv).
func ReadDir(dir string) (*Results, error) {
	m, err := ReadMeta(dir)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, ResultsFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, invalidf("%v", err)
	}
	defer f.Close()
	rows, err := ReadCSV(f, path, m)
	if err != nil {
		return nil, err
	}
	return &Results{Meta: *m, Rows: rows}, nil
}
