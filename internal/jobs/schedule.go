package jobs

import "sort"

// This file is the scheduling decision, pure: which queued jobs start now,
// given what each pool has free. Fairness is across workspaces: the
// workspace with the fewest jobs holding slots goes first (ties: the one
// served least recently, then the one whose next job waited longest), and
// within a workspace jobs start in
// submission order. A workspace whose next job does not fit waits for that
// job (no overtaking inside a workspace, so a large job is not starved by
// small ones behind it); other workspaces go on.

// Amount is CPU in millicores and memory in bytes.
type Amount struct {
	CPU    int64
	Memory int64
}

// Pending is a queued job as the scheduler sees it.
type Pending struct {
	ID        string
	Workspace string
	// Pool names the slots the job draws on (its compute target); every
	// pool also draws on the machine-wide pool of its backend, Machine.
	Pool    string
	Machine string
	Need    Amount
	Seq     int64 // submission order
}

// Pools is free capacity by pool name; a pool that is absent has no room.
type Pools map[string]Amount

// fits reports whether need fits in free; memory counts only for pools
// that limit it.
func fits(need, free Amount, memLimited bool) bool {
	if need.CPU > free.CPU {
		return false
	}
	return !memLimited || need.Memory <= free.Memory
}

// Limits says which pools limit memory (their capacity has a memory
// figure).
type Limits map[string]bool

// Pick returns the indices into pending of the jobs to start now, in the
// order to start them. free is changed to what is left; running counts the
// jobs each workspace holds slots for now and is updated too. served holds,
// per workspace, a counter value from its last start (larger is more
// recent; absent is never); Pick stamps the workspaces it starts jobs for
// with values above every one in it, so with a single slot workspaces take
// turns instead of the oldest backlog running to its end first. served may
// be nil.
func Pick(pending []Pending, free Pools, memLimited Limits, running map[string]int, served map[string]int64) []int {
	if served == nil {
		served = map[string]int64{}
	}
	var stamp int64
	for _, v := range served {
		stamp = max(stamp, v)
	}
	// Queue per workspace, in submission order.
	byWS := map[string][]int{}
	for i, p := range pending {
		byWS[p.Workspace] = append(byWS[p.Workspace], i)
	}
	for _, q := range byWS {
		sort.SliceStable(q, func(a, b int) bool { return pending[q[a]].Seq < pending[q[b]].Seq })
	}
	blocked := map[string]bool{}
	var out []int
	for {
		ws := ""
		for w, q := range byWS {
			if blocked[w] || len(q) == 0 {
				continue
			}
			if ws == "" || running[w] < running[ws] ||
				running[w] == running[ws] && (served[w] < served[ws] ||
					served[w] == served[ws] && (pending[q[0]].Seq < pending[byWS[ws][0]].Seq ||
						pending[q[0]].Seq == pending[byWS[ws][0]].Seq && w < ws)) {
				ws = w
			}
		}
		if ws == "" {
			return out
		}
		i := byWS[ws][0]
		p := pending[i]
		pf, okp := free[p.Pool]
		mf, okm := free[p.Machine]
		if !okp || !okm || !fits(p.Need, pf, memLimited[p.Pool]) || !fits(p.Need, mf, memLimited[p.Machine]) {
			blocked[ws] = true
			continue
		}
		pf.CPU, pf.Memory = pf.CPU-p.Need.CPU, pf.Memory-p.Need.Memory
		free[p.Pool] = pf
		if p.Machine != p.Pool {
			mf = free[p.Machine]
			mf.CPU, mf.Memory = mf.CPU-p.Need.CPU, mf.Memory-p.Need.Memory
			free[p.Machine] = mf
		}
		running[ws]++
		stamp++
		served[ws] = stamp
		byWS[ws] = byWS[ws][1:]
		out = append(out, i)
	}
}
