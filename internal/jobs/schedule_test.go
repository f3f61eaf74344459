package jobs

import (
	"fmt"
	"testing"
)

func TestPick(t *testing.T) {
	t.Parallel()
	const m = "machine"
	cpu := func(n int64) Amount { return Amount{CPU: n * 1000} }
	job := func(id, ws string, seq int64, need Amount) Pending {
		return Pending{ID: id, Workspace: ws, Pool: ws + "/local", Machine: m, Need: need, Seq: seq}
	}
	tests := []struct {
		name    string
		pending []Pending
		free    Pools
		limits  Limits
		running map[string]int
		want    string // IDs in start order
	}{
		{
			name:    "nothing queued",
			free:    Pools{m: cpu(2)},
			want:    "[]",
			running: map[string]int{},
		},
		{
			name:    "fills the machine in order",
			pending: []Pending{job("a1", "a", 1, cpu(1)), job("a2", "a", 2, cpu(1)), job("a3", "a", 3, cpu(1))},
			free:    Pools{m: cpu(2), "a/local": cpu(2)},
			running: map[string]int{},
			want:    "[a1 a2]",
		},
		{
			name: "fair across workspaces: alternates",
			pending: []Pending{job("a1", "a", 1, cpu(1)), job("a2", "a", 2, cpu(1)), job("a3", "a", 3, cpu(1)),
				job("b1", "b", 4, cpu(1)), job("b2", "b", 5, cpu(1))},
			free:    Pools{m: cpu(4), "a/local": cpu(4), "b/local": cpu(4)},
			running: map[string]int{},
			want:    "[a1 b1 a2 b2]",
		},
		{
			name:    "the workspace holding fewer slots goes first",
			pending: []Pending{job("a1", "a", 1, cpu(1)), job("b1", "b", 2, cpu(1))},
			free:    Pools{m: cpu(1), "a/local": cpu(4), "b/local": cpu(4)},
			running: map[string]int{"a": 3},
			want:    "[b1]",
		},
		{
			name:    "a job too large waits and holds back its workspace, not others",
			pending: []Pending{job("a1", "a", 1, cpu(3)), job("a2", "a", 2, cpu(1)), job("b1", "b", 3, cpu(1))},
			free:    Pools{m: cpu(2), "a/local": cpu(8), "b/local": cpu(8)},
			running: map[string]int{},
			want:    "[b1]",
		},
		{
			name:    "the compute's own cap",
			pending: []Pending{job("a1", "a", 1, cpu(1)), job("a2", "a", 2, cpu(1))},
			free:    Pools{m: cpu(8), "a/local": cpu(1)},
			running: map[string]int{},
			want:    "[a1]",
		},
		{
			name:    "fractional CPUs",
			pending: []Pending{job("a1", "a", 1, Amount{CPU: 500}), job("a2", "a", 2, Amount{CPU: 500}), job("a3", "a", 3, Amount{CPU: 500})},
			free:    Pools{m: cpu(1), "a/local": cpu(1)},
			running: map[string]int{},
			want:    "[a1 a2]",
		},
		{
			name:    "memory when limited",
			pending: []Pending{job("a1", "a", 1, Amount{CPU: 100, Memory: 600}), job("b1", "b", 2, Amount{CPU: 100, Memory: 600})},
			free:    Pools{m: Amount{CPU: 8000, Memory: 1000}, "a/local": cpu(8), "b/local": cpu(8)},
			limits:  Limits{m: true},
			running: map[string]int{},
			want:    "[a1]",
		},
		{
			name:    "memory not limited when the capacity has no figure",
			pending: []Pending{job("a1", "a", 1, Amount{CPU: 100, Memory: 600}), job("b1", "b", 2, Amount{CPU: 100, Memory: 600})},
			free:    Pools{m: Amount{CPU: 8000}, "a/local": cpu(8), "b/local": cpu(8)},
			running: map[string]int{},
			want:    "[a1 b1]",
		},
		{
			name:    "a pool that is gone starts nothing",
			pending: []Pending{job("a1", "a", 1, cpu(1))},
			free:    Pools{m: cpu(8)},
			running: map[string]int{},
			want:    "[]",
		},
		{
			name:    "submission order within a workspace, whatever the slice order",
			pending: []Pending{job("a2", "a", 2, cpu(1)), job("a1", "a", 1, cpu(1))},
			free:    Pools{m: cpu(1), "a/local": cpu(1)},
			running: map[string]int{},
			want:    "[a1]",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			idx := Pick(tc.pending, tc.free, tc.limits, tc.running, nil)
			ids := []string{}
			for _, i := range idx {
				ids = append(ids, tc.pending[i].ID)
			}
			if got := fmt.Sprint(ids); got != tc.want {
				t.Fatalf("Pick = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestPickLeavesTheRest(t *testing.T) {
	t.Parallel()
	free := Pools{"m": {CPU: 3000}, "w/local": {CPU: 3000}}
	running := map[string]int{}
	p := []Pending{{ID: "x", Workspace: "w", Pool: "w/local", Machine: "m", Need: Amount{CPU: 2000}, Seq: 1}}
	Pick(p, free, nil, running, nil)
	if free["m"].CPU != 1000 || free["w/local"].CPU != 1000 || running["w"] != 1 {
		t.Fatalf("after Pick: free %v, running %v", free, running)
	}
}

// TestPickTakesTurns runs one slot at a time, as a one-core machine would:
// two workspaces with backlogs (a's submitted first) alternate instead of
// a's whole backlog running before b's first job.
func TestPickTakesTurns(t *testing.T) {
	t.Parallel()
	var pending []Pending
	for i := 0; i < 3; i++ {
		pending = append(pending, Pending{ID: fmt.Sprintf("a%d", i), Workspace: "a", Pool: "a/local", Machine: "m", Need: Amount{CPU: 1000}, Seq: int64(i)})
	}
	for i := 0; i < 3; i++ {
		pending = append(pending, Pending{ID: fmt.Sprintf("b%d", i), Workspace: "b", Pool: "b/local", Machine: "m", Need: Amount{CPU: 1000}, Seq: int64(10 + i)})
	}
	served := map[string]int64{}
	var order []string
	for len(pending) > 0 {
		free := Pools{"m": {CPU: 1000}, "a/local": {CPU: 1000}, "b/local": {CPU: 1000}}
		idx := Pick(pending, free, nil, map[string]int{}, served)
		if len(idx) != 1 {
			t.Fatalf("one free slot started %d jobs", len(idx))
		}
		order = append(order, pending[idx[0]].ID)
		pending = append(pending[:idx[0]], pending[idx[0]+1:]...)
	}
	if got := fmt.Sprint(order); got != "[a0 b0 a1 b1 a2 b2]" {
		t.Fatalf("one slot at a time started %s, want the workspaces taking turns", got)
	}
}
