package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/bench/internal/lathed"
	"github.com/latheml/lathe/internal/client"
)

// drainRound is what one round of the drain measured.
type drainRound struct {
	base, baseCPU      time.Duration // the shell loop: wall and CPU
	wall, srvWall      time.Duration // the drain: client and server clocks
	submitted          time.Duration // until every submit returned
	busy               time.Duration // sum over jobs of preparing → ended
	queue, prep, cmd   []time.Duration
	serverCPU, wrapCPU time.Duration
	clientCPU          time.Duration // this process (submits, polling)
}

// drain runs o.rounds rounds of the drain and reports their medians.
func drain(ctx context.Context, o opts, c *client.Client, srv *lathed.Server, r *report) error {
	var rounds []*drainRound
	for i := range max(o.rounds, 1) {
		d, err := drainOnce(ctx, o, c, srv)
		if err != nil {
			return err
		}
		logf("drain round %d: wall %s, shell loop %s, overhead %.1f ms/job", i+1,
			d.wall.Round(time.Millisecond), d.base.Round(time.Millisecond), ms(d.wall-d.base)/float64(o.drain))
		rounds = append(rounds, d)
	}
	n := float64(o.drain)
	med := func(f func(d *drainRound) float64) float64 {
		v := make([]float64, len(rounds))
		for i, d := range rounds {
			v[i] = f(d)
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	spread := func(f func(d *drainRound) float64) string {
		lo, hi := f(rounds[0]), f(rounds[0])
		for _, d := range rounds[1:] {
			lo, hi = min(lo, f(d)), max(hi, f(d))
		}
		return fmt.Sprintf("%.1f–%.1f", lo, hi)
	}
	over := func(d *drainRound) float64 { return ms(d.wall-d.base) / n }
	overLabel := "controller overhead per job: (wall − loop) / jobs"
	if len(rounds) > 1 {
		overLabel += fmt.Sprintf(", median of %d (rounds: %s ms)", len(rounds), spread(over))
	}
	r.add("drain_wall", fmt.Sprintf("drain of %d jobs: wall (client)", o.drain), med(func(d *drainRound) float64 { return ms(d.wall) }), "ms", "", "")
	r.add("drain_srv", "· first created → last ended (server clock)", med(func(d *drainRound) float64 { return ms(d.srvWall) }), "ms", "", "")
	r.add("drain_submit", fmt.Sprintf("· all %d submits returned after", o.drain), med(func(d *drainRound) float64 { return ms(d.submitted) }), "ms", "", "")
	r.add("drain_base", fmt.Sprintf("baseline: shell loop of %d `sh -c true`", o.drain), med(func(d *drainRound) float64 { return ms(d.base) }), "ms", "", "")
	ov := med(over)
	r.add("drain_over", overLabel, ov, "ms", "≤ 10", metMax(ov, 10))
	r.add("drain_per", "· drain wall per job", med(func(d *drainRound) float64 { return ms(d.wall) / n }), "ms", "", "")
	r.add("drain_conc", "· jobs running at once, on average (busy time / wall)", med(func(d *drainRound) float64 { return float64(d.busy) / float64(d.srvWall) }), "", "", "")
	r.add("drain_queue", "· queued → preparing, median (waiting for a slot)", med(func(d *drainRound) float64 { return ms(lathed.Median(d.queue)) }), "ms", "", "")
	r.add("drain_prep", "· preparing → running, median", med(func(d *drainRound) float64 { return ms(lathed.Median(d.prep)) }), "ms", "", "")
	r.add("drain_cmd", "· running → completed, median", med(func(d *drainRound) float64 { return ms(lathed.Median(d.cmd)) }), "ms", "", "")
	r.add("cpu_server", "server CPU per job (API, controller, store)", med(func(d *drainRound) float64 { return ms(d.serverCPU) / n }), "ms", "", "")
	r.add("cpu_wrap", "wrapper + command CPU per job (reaped children)", med(func(d *drainRound) float64 { return ms(d.wrapCPU) / n }), "ms", "", "")
	r.add("cpu_client", "this benchmark's CPU per job (submits, polling)", med(func(d *drainRound) float64 { return ms(d.clientCPU) / n }), "ms", "", "")
	r.add("cpu_floor", fmt.Sprintf("· CPU floor per job: (server + wrapper + benchmark CPU) / %d cores", runtime.NumCPU()),
		med(func(d *drainRound) float64 {
			return ms(d.serverCPU+d.wrapCPU+d.clientCPU) / n / float64(runtime.NumCPU())
		}), "ms", "", "")
	r.add("cpu_loop", "baseline: shell loop CPU per command", med(func(d *drainRound) float64 { return ms(d.baseCPU) / n }), "ms", "", "")
	return nil
}

// drainOnce times the shell loop, then submits o.drain jobs at once from
// o.submitters goroutines and waits until none is queued, preparing or
// running.
func drainOnce(ctx context.Context, o opts, c *client.Client, srv *lathed.Server) (*drainRound, error) {
	d := &drainRound{}
	loop := exec.CommandContext(ctx, "sh", "-c", fmt.Sprintf("for i in $(seq %d); do sh -c true; done", o.drain))
	t0 := time.Now()
	if err := loop.Run(); err != nil {
		return nil, fmt.Errorf("shell loop: %w", err)
	}
	d.base = time.Since(t0)
	d.baseCPU = loop.ProcessState.UserTime() + loop.ProcessState.SystemTime()

	before, err := srv.CPU()
	if err != nil {
		return nil, err
	}
	selfBefore := selfCPU()
	jobs := make([]*jobTimes, o.drain)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs error
	next := 0
	t0 = time.Now()
	for range max(o.submitters, 1) {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= o.drain {
					return
				}
				t := &jobTimes{submit: time.Now()}
				j, err := c.CreateJob(ctx, o.workspace, client.SubmitRequest{Spec: lathe.JobSpec{Command: "true", Resources: lathe.JobResources{CPU: o.drainCPU}}})
				if err != nil {
					mu.Lock()
					errs = errors.Join(errs, err)
					mu.Unlock()
					return
				}
				t.submitted, t.name = time.Now(), j.Name
				jobs[i] = t
			}
		})
	}
	wg.Wait()
	d.submitted = time.Since(t0)
	if errs != nil {
		return nil, fmt.Errorf("submit: %w", errs)
	}
	active := []string{lathe.JobQueued, lathe.JobPreparing, lathe.JobRunning}
	for {
		items, _, err := c.Jobs(ctx, o.workspace, active, "", 1)
		if err != nil {
			return nil, fmt.Errorf("list active jobs: %w", err)
		}
		if len(items) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
	d.wall = time.Since(t0)
	d.clientCPU = selfCPU() - selfBefore
	time.Sleep(300 * time.Millisecond) // let the server reap the last wrappers
	after, err := srv.CPU()
	if err != nil {
		return nil, err
	}
	used := after.Sub(before)
	d.serverCPU, d.wrapCPU = used.Self, used.Children

	var first, last time.Time
	failed := 0
	for _, t := range jobs {
		if err := timeline(ctx, c, o.workspace, t); err != nil {
			return nil, err
		}
		if t.status != lathe.JobCompleted {
			failed++
		}
		d.queue = append(d.queue, t.preparing.Sub(t.created))
		d.prep = append(d.prep, t.running.Sub(t.preparing))
		d.cmd = append(d.cmd, t.ended.Sub(t.running))
		d.busy += t.ended.Sub(t.preparing)
		if first.IsZero() || t.created.Before(first) {
			first = t.created
		}
		if t.ended.After(last) {
			last = t.ended
		}
	}
	if failed > 0 {
		return nil, fmt.Errorf("%d of %d drain jobs did not complete; see the server's log (-keep)", failed, o.drain)
	}
	d.srvWall = last.Sub(first)
	return d, nil
}

// selfCPU is this process's CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
