package pipeline

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// byteReader hands out fuzz bytes, then zeros.
type byteReader struct {
	b []byte
	i int
}

func (r *byteReader) next() int {
	if r.i >= len(r.b) {
		return 0
	}
	r.i++
	return int(r.b[r.i-1])
}

// randomDAG builds a DAG of n steps whose edges go from lower to higher
// numbers, chosen by the reader.
func randomDAG(t testing.TB, r *byteReader, n int) *Graph {
	var e [][2]int
	for i := 1; i < n; i++ {
		for range r.next() % 4 {
			e = append(e, [2]int{r.next() % i, i})
		}
	}
	g, err := NewIndexed(n, e)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// FuzzReadySet simulates a pipeline run with outcomes chosen by the fuzzer
// and checks the ready-set invariants: a taken step's dependencies have
// all succeeded; the incremental ready set equals the full recompute; the
// run always ends, with every step finished, skipped or canceled, and a
// skipped step always has a dependency that failed or was skipped.
func FuzzReadySet(f *testing.F) {
	f.Add([]byte{8, 0, 3, 1, 2, 0, 1, 1, 2, 3, 0, 0, 0, 9, 1})
	f.Add([]byte{20, 1, 3, 3, 3, 2, 2, 2, 1, 1, 1, 40, 41, 42, 43, 44})
	f.Add([]byte{33, 0, 2, 0, 1, 0, 0, 3, 7, 7, 7, 200, 201, 202, 10})
	rng := rand.New(rand.NewPCG(7, 11))
	for range 8 {
		seed := make([]byte, 300)
		for i := range seed {
			seed[i] = byte(rng.IntN(256))
		}
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := &byteReader{b: data}
		n := 1 + rd.next()%40
		opt := Options{ContinueOnStepFailure: rd.next()%2 == 1}
		g := randomDAG(t, rd, n)
		r, err := NewRun(g, opt, nil)
		if err != nil {
			t.Fatal(err)
		}
		var active []int
		for step := 0; !r.Done(); step++ {
			if step > 4*n+4 {
				t.Fatalf("run did not end after %d events: %v", step, r.States())
			}
			inc := r.Ready()
			slices.Sort(inc)
			if full := Ready(g, r.States()); !slices.Equal(inc, full) {
				t.Fatalf("incremental ready %v != full %v", inc, full)
			}
			for _, i := range r.Take(rd.next() % 4) {
				for _, d := range g.Deps(i) {
					if !r.State(d).Succeeded() {
						t.Fatalf("step %d taken while its dependency %d is %s", i, d, r.State(d))
					}
				}
				active = append(active, i)
			}
			if len(active) == 0 {
				if len(r.Ready()) == 0 {
					t.Fatalf("nothing active or ready but the run has not ended: %v", r.States())
				}
				continue
			}
			k := rd.next() % len(active)
			i := active[k]
			active = slices.Delete(active, k, k+1)
			end := StateCompleted
			switch rd.next() % 16 {
			case 0:
				end = StateFailed
			case 1:
				end = StateCanceled
			case 2, 3:
				end = StateReused
			case 4:
				if rd.next()%4 == 0 {
					for _, a := range r.Cancel() {
						if !slices.Contains(active, a) && a != i {
							t.Fatalf("Cancel returned %d, which is not active", a)
						}
					}
				}
			}
			if _, err := r.Finish(i, end); err != nil {
				t.Fatal(err)
			}
		}
		failures := 0
		for i, s := range r.States() {
			if !s.Terminal() {
				t.Fatalf("step %d ended %s", i, s)
			}
			if s == StateFailed || s == StateCanceled {
				failures++
			}
			if s == StateSkipped {
				ok := false
				for _, d := range g.Deps(i) {
					ok = ok || r.State(d) == StateFailed || r.State(d) == StateSkipped
				}
				if !ok {
					t.Fatalf("step %d skipped without a failed dependency", i)
				}
			}
		}
		if failures == 0 && r.Status() != "completed" {
			t.Fatalf("no failures but status %s", r.Status())
		}
	})
}
