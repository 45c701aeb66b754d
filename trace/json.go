package trace

import (
	"encoding/json"
	"io"
	"path/filepath"
	"time"
)

// The JSON contract (docs/trace.md): times in milliseconds from the
// capture's first packet, null where something did not happen. Fields
// are only ever added.

type jsonStory struct {
	File        string          `json:"file"`
	Clients     []jsonClient    `json:"clients"`
	Delegations []jsonDeleg     `json:"delegations"`
	Callbacks   []jsonCallback  `json:"callbacks"`
	Errors      []jsonError     `json:"errors"`
	LocalBreaks []jsonLocal     `json:"local_breaks"`
	Faults      []jsonFault     `json:"faults"`
	Opens       []jsonOpen      `json:"opens"`
	Figures     []jsonFigures   `json:"figures"`
	Warnings    []string        `json:"warnings"`
	Check       *jsonCheck      `json:"check,omitempty"`
	Calibration *jsonCalibrated `json:"calibration,omitempty"`
}

type jsonCheck struct {
	Agreeing []string      `json:"agreeing_profiles"`
	Profiles []jsonProfile `json:"profiles"`
	History  jsonHistory   `json:"history"`
}

type jsonProfile struct {
	Profile     string           `json:"profile"`
	Policy      string           `json:"policy"`
	Divergences int              `json:"divergences"`
	Compared    int              `json:"compared"`
	Injected    int              `json:"local_accesses_injected"`
	List        []jsonDivergence `json:"list"`
	Skipped     []string         `json:"not_replayed"`
}

type jsonDivergence struct {
	Frame  int     `json:"frame"`
	At     float64 `json:"at_ms"`
	Client string  `json:"client"`
	Op     string  `json:"op"`
	Real   string  `json:"real"`
	Model  string  `json:"model"`
	Rule   string  `json:"rule"`
	Limit  string  `json:"limit,omitempty"`
}

type jsonHistory struct {
	Consistency string   `json:"consistency"`
	Verdict     string   `json:"verdict"`
	StaleReads  []string `json:"stale_reads"`
}

type jsonCalibrated struct {
	Params          []jsonParam `json:"params"`
	Sets            []string    `json:"set_flags"`
	RecallLatencies []float64   `json:"recall_latencies_ms"`
	Notes           []string    `json:"notes"`
}

type jsonParam struct {
	Key     string `json:"key"`
	Value   string `json:"value"`
	Samples int    `json:"samples"`
	How     string `json:"how"`
}

type jsonClient struct {
	Name  string `json:"name"`
	Addr  string `json:"addr"`
	Owner string `json:"owner"`
	Minor int    `json:"minor_version"`
}

type jsonDeleg struct {
	Client        string   `json:"client"`
	File          string   `json:"file"`
	Stateid       string   `json:"stateid"`
	Type          string   `json:"type"`
	GrantedAt     float64  `json:"granted_at_ms"`
	GrantFrame    int      `json:"grant_frame"`
	RecallAt      *float64 `json:"recall_at_ms"`
	Recalls       int      `json:"recalls"`
	RecallReplyAt *float64 `json:"recall_reply_at_ms"`
	ReturnSentAt  *float64 `json:"return_sent_at_ms"`
	ReturnedAt    *float64 `json:"returned_at_ms"`
	RevokedAt     *float64 `json:"revoked_at_ms"`
	Cause         string   `json:"cause"`
	RecallLatency *float64 `json:"recall_latency_ms"`
	Reaction      *float64 `json:"client_reaction_ms"`
	ReturnReply   *float64 `json:"delegreturn_reply_ms"`
}

type jsonCallback struct {
	Client     string   `json:"client"`
	Op         string   `json:"op"`
	Frame      int      `json:"frame"`
	At         float64  `json:"at_ms"`
	ReplyAt    *float64 `json:"reply_at_ms"`
	Status     *string  `json:"status"`
	Stateid    string   `json:"stateid,omitempty"`
	File       string   `json:"file,omitempty"`
	Size       *uint64  `json:"size,omitempty"`
	Change     *uint64  `json:"change,omitempty"`
	ReplyFrame int      `json:"reply_frame"`
}

type jsonError struct {
	Client  string   `json:"client"`
	Op      string   `json:"op"`
	Status  string   `json:"status"`
	At      float64  `json:"at_ms"`
	Frame   int      `json:"frame"`
	File    string   `json:"file,omitempty"`
	RetryAt *float64 `json:"retry_at_ms"`
	Backoff *float64 `json:"backoff_ms"`
}

type jsonLocal struct {
	File   string  `json:"file"`
	After  float64 `json:"after_ms"`
	Before float64 `json:"before_ms"`
	Frame  int     `json:"frame"`
}

type jsonFault struct {
	Client string  `json:"client"`
	Kind   string  `json:"kind"`
	At     float64 `json:"at_ms"`
	Frame  int     `json:"frame"`
	Text   string  `json:"text"`
}

type jsonOpen struct {
	Client string   `json:"client"`
	File   string   `json:"file"`
	At     float64  `json:"at_ms"`
	Frame  int      `json:"frame"`
	Access string   `json:"access"`
	Claim  string   `json:"claim"`
	Want   []string `json:"want"`
	Status string   `json:"status"`
	Deleg  string   `json:"delegation"`
	Why    string   `json:"why_no_delegation,omitempty"`
	NoOpen bool     `json:"no_open_stateid"`
}

type jsonFigures struct {
	Client       string   `json:"client"`
	HandshakeRTT *float64 `json:"handshake_rtt_ms"`
	ReplyMin     *float64 `json:"reply_min_ms"`
	ReplyMedian  *float64 `json:"reply_median_ms"`
	Replies      int      `json:"replies"`
}

func msp(d *time.Duration) *float64 {
	if d == nil {
		return nil
	}
	v := round3(ms(*d))
	return &v
}

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

func (st *Story) jsonValue() *jsonStory {
	j := &jsonStory{File: filepath.Base(st.File), Clients: []jsonClient{}, Delegations: []jsonDeleg{}, Callbacks: []jsonCallback{},
		Errors: []jsonError{}, LocalBreaks: []jsonLocal{}, Faults: []jsonFault{}, Opens: []jsonOpen{}, Figures: []jsonFigures{}, Warnings: []string{}}
	for _, c := range st.Clients {
		j.Clients = append(j.Clients, jsonClient{Name: c.Name, Addr: c.Addr, Owner: c.Owner, Minor: c.Minor})
	}
	for _, d := range st.Delegations {
		j.Delegations = append(j.Delegations, jsonDeleg{Client: st.clientName(d.Client), File: st.fileName(d.File), Stateid: d.Stateid, Type: d.Type,
			GrantedAt: round3(ms(d.GrantedAt)), GrantFrame: d.Frame, RecallAt: msp(d.RecallAt), Recalls: d.Recalls, RecallReplyAt: msp(d.RecallReply),
			ReturnSentAt: msp(d.ReturnSent), ReturnedAt: msp(d.ReturnedAt), RevokedAt: msp(d.RevokedAt), Cause: d.Cause,
			RecallLatency: msp(d.RecallLatency), Reaction: msp(d.Reaction), ReturnReply: msp(d.ReturnReply)})
	}
	for _, c := range st.Callbacks {
		jc := jsonCallback{Client: st.clientName(c.Client), Op: c.Op, Frame: c.Frame, ReplyFrame: c.ReplyFrame, At: round3(ms(c.At)), ReplyAt: msp(c.ReplyAt),
			Stateid: c.Stateid, Size: c.Size, Change: c.Change}
		if c.File >= 0 {
			jc.File = st.fileName(c.File)
		}
		if c.Status != "" {
			s := c.Status
			jc.Status = &s
		}
		j.Callbacks = append(j.Callbacks, jc)
	}
	for _, e := range st.Errors {
		je := jsonError{Client: st.clientName(e.Client), Op: e.Op, Status: e.Status, At: round3(ms(e.At)), Frame: e.Frame, RetryAt: msp(e.RetryAt), Backoff: msp(e.Backoff)}
		if e.File >= 0 {
			je.File = st.fileName(e.File)
		}
		j.Errors = append(j.Errors, je)
	}
	for _, l := range st.LocalBreaks {
		j.LocalBreaks = append(j.LocalBreaks, jsonLocal{File: st.fileName(l.File), After: round3(ms(l.After)), Before: round3(ms(l.Before)), Frame: l.Frame})
	}
	for _, f := range st.Faults {
		j.Faults = append(j.Faults, jsonFault{Client: st.clientName(f.Client), Kind: f.Kind, At: round3(ms(f.At)), Frame: f.Frame, Text: f.Text})
	}
	for _, o := range st.Opens {
		w := o.Want
		if w == nil {
			w = []string{}
		}
		j.Opens = append(j.Opens, jsonOpen{Client: st.clientName(o.Client), File: st.fileName(o.File), At: round3(ms(o.At)), Frame: o.Frame,
			Access: o.Access, Claim: o.Claim, Want: w, Status: o.Status, Deleg: o.Deleg, Why: o.Why, NoOpen: o.NoOpenID})
	}
	for _, f := range st.Figures.Clients {
		j.Figures = append(j.Figures, jsonFigures{Client: st.clientName(f.Client), HandshakeRTT: msp(f.HandshakeRTT), ReplyMin: msp(f.ReplyMin),
			ReplyMedian: msp(f.ReplyMedian), Replies: f.Replies})
	}
	for _, w := range st.Warnings {
		j.Warnings = append(j.Warnings, w.String())
	}
	return j
}

// WriteJSON writes the story in the JSON contract of docs/trace.md,
// with the conformance check and the calibration if they are not nil.
func (st *Story) WriteJSON(w io.Writer, conf *Conformance, cal *Calibration) error {
	j := st.jsonValue()
	if conf != nil {
		jc := &jsonCheck{Agreeing: conf.Agreeing(), History: jsonHistory{Consistency: conf.History.Consistency.String(),
			Verdict: conf.History.Verdict.String(), StaleReads: []string{}}}
		if jc.Agreeing == nil {
			jc.Agreeing = []string{}
		}
		for _, sr := range conf.History.StaleReads {
			jc.History.StaleReads = append(jc.History.StaleReads, sr.String())
		}
		for _, r := range conf.Results {
			jp := jsonProfile{Profile: r.Profile, Policy: r.Policy, Divergences: r.Count(), Compared: r.Compared, Injected: r.Injected,
				List: []jsonDivergence{}, Skipped: append([]string{}, r.Skipped...)}
			for _, d := range r.Divergences {
				jp.List = append(jp.List, jsonDivergence{Frame: d.Frame, At: round3(ms(d.At)), Client: d.Client, Op: d.Op, Real: d.Real, Model: d.Model, Rule: d.Rule, Limit: d.Limit})
			}
			jc.Profiles = append(jc.Profiles, jp)
		}
		j.Check = jc
	}
	if cal != nil {
		jc := &jsonCalibrated{Params: []jsonParam{}, Sets: append([]string{}, cal.Sets()...), RecallLatencies: []float64{}, Notes: append([]string{}, cal.Notes...)}
		for _, p := range cal.Params {
			jc.Params = append(jc.Params, jsonParam(p))
		}
		for _, l := range cal.RecallLatencies {
			jc.RecallLatencies = append(jc.RecallLatencies, round3(ms(l)))
		}
		j.Calibration = jc
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(j)
}
