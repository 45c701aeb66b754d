package trace

import "time"

// calibrateDelegReturn splits the cost of DELEGRETURN where nfsd spends
// it, as the scenario format does (sim.ServerTiming): the compound's work
// up to the lease removal (server.delegreturn: SEQUENCE, PUTFH, GETATTR,
// then nfsd4_delegreturn up to generic_delete_lease), the SETATTR of
// delegated times a 7.x client puts before it (server.setattr:
// nfsd_setattr with the metadata commit), and what follows the removal
// (server.delegreturn_reply). The capture sees only a DELEGRETURN's call
// and reply, so the split follows the compound, not the clock:
//
//   - after the removal nfsd only encodes and sends the reply (the
//     compound's GETATTR comes before DELEGRETURN), which no reply of the
//     capture does faster: delegreturn_reply is the fastest reply time
//     (rpc), less its trips;
//   - a DELEGRETURN compound without SETATTR (the 6.x client's, or any
//     client's return of an unused or directory delegation) costs
//     delegreturn + delegreturn_reply;
//   - one with SETATTR costs setattr more: setattr is the difference of
//     the medians. With no compound of the first kind in the capture, its
//     cost is taken to be an ordinary compound's (the median reply time).
//
// rpc are the reply-time samples, already less their trips.
func (cal *Calibration) calibrateDelegReturn(st *Story, lat []time.Duration, sides []int, rpc []durCount) {
	var plain, withTimes []time.Duration
	for _, r := range st.returns {
		if r.client >= len(lat) {
			continue
		}
		gap := nonNeg(r.gap - time.Duration(replyTrips(sides[r.client]))*lat[r.client])
		if r.times {
			withTimes = append(withTimes, gap)
		} else {
			plain = append(plain, gap)
		}
	}
	if len(plain)+len(withTimes) == 0 || len(rpc) == 0 {
		cal.Notes = append(cal.Notes, "server.delegreturn: no DELEGRETURN answered in the capture, or no reply to compare it with; the profile's defaults stay")
		return
	}
	tail := rpc[0].v
	work := countsOf(less(plain, tail))
	how := "DELEGRETURN's compound up to the lease removal: its call → reply less the reply's part and the trips"
	if len(work) == 0 {
		work = lessCounts(rpc, tail)
		how = "DELEGRETURN's compound up to the lease removal: every DELEGRETURN carried a SETATTR, so taken as an ordinary compound (reply time less the reply's part)"
	}
	cal.Params = append(cal.Params, Param{Key: "server.delegreturn", Value: lognormalCounts(work), Samples: total(work), How: how})
	if len(withTimes) > 0 {
		setattr := less(withTimes, tail+medianOf(work))
		cal.Params = append(cal.Params, Param{Key: "server.setattr", Value: lognormal(setattr), Samples: len(withTimes),
			How: "SETATTR of delegated times in DELEGRETURN's compound: its call → reply beyond a DELEGRETURN without one"})
	} else {
		cal.Notes = append(cal.Notes, "server.setattr: no DELEGRETURN carried a SETATTR of delegated times (only 7.x clients with *_ATTRS_DELEG send one); the profile's default stays")
	}
	cal.Params = append(cal.Params, Param{Key: "server.delegreturn_reply", Value: fixed(tail), Samples: total(rpc),
		How: "after the lease removal DELEGRETURN's reply is only encoded and sent: the fastest reply of the capture, less its trips"})
}

// less returns each sample less d, not below zero.
func less(ds []time.Duration, d time.Duration) []time.Duration {
	out := make([]time.Duration, 0, len(ds))
	for _, x := range ds {
		out = append(out, nonNeg(x-d))
	}
	return out
}
