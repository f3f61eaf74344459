package pipeline

import (
	"sort"
	"strconv"
	"strings"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/spec"
)

// Graph is a pipeline's steps and the data edges between them. Steps are
// numbered 0..Len()-1 in the order given; the graph is acyclic and
// immutable once built.
type Graph struct {
	names []string
	index map[string]int
	deps  [][]int // deps[i]: steps i reads from, ascending
	users [][]int // users[i]: steps that read from i, ascending
	order []int   // a topological order
}

// Edge says that step To reads an output (or input) of step From, so From
// must succeed before To runs.
type Edge struct {
	From, To string
}

// New builds a graph from step names and edges. Names must be unique and
// non-empty; every edge must join two named, different steps; duplicate
// edges are merged. A cycle is an error naming the steps on it.
func New(names []string, edges []Edge) (*Graph, error) {
	index := make(map[string]int, len(names))
	for i, n := range names {
		if n == "" {
			return nil, lathe.Errorf(lathe.EINVALID, "pipeline step %d has no name; name every step", i)
		}
		if _, dup := index[n]; dup {
			return nil, lathe.Errorf(lathe.EINVALID, "pipeline step %q is listed twice; step names must be unique", n)
		}
		index[n] = i
	}
	pairs := make([][2]int, 0, len(edges))
	for _, e := range edges {
		from, ok := index[e.From]
		if !ok {
			return nil, lathe.Errorf(lathe.EINVALID, "step %q reads from %q, which is not a step of the pipeline", e.To, e.From)
		}
		to, ok := index[e.To]
		if !ok {
			return nil, lathe.Errorf(lathe.EINVALID, "an edge from step %q goes to %q, which is not a step of the pipeline", e.From, e.To)
		}
		pairs = append(pairs, [2]int{from, to})
	}
	return build(names, index, pairs)
}

// NewIndexed builds a graph of n steps named "0".."n-1" from edges given as
// [from, to] step numbers; it is New without the name lookups.
func NewIndexed(n int, edges [][2]int) (*Graph, error) {
	names := make([]string, n)
	index := make(map[string]int, n)
	for i := range names {
		names[i] = strconv.Itoa(i)
		index[names[i]] = i
	}
	for _, e := range edges {
		if e[0] < 0 || e[0] >= n || e[1] < 0 || e[1] >= n {
			return nil, lathe.Errorf(lathe.EINVALID, "edge %d→%d names a step outside 0..%d", e[0], e[1], n-1)
		}
	}
	return build(names, index, edges)
}

// FromSteps builds the graph of a pipeline checked by spec.Steps: one step
// per spec.Step, in the same order, with an edge from each of its Deps.
func FromSteps(steps []spec.Step) (*Graph, error) {
	names := make([]string, len(steps))
	var edges []Edge
	for i, s := range steps {
		names[i] = s.Name
		for _, d := range s.Deps {
			edges = append(edges, Edge{From: d, To: s.Name})
		}
	}
	return New(names, edges)
}

func build(names []string, index map[string]int, edges [][2]int) (*Graph, error) {
	n := len(names)
	g := &Graph{names: names, index: index, deps: make([][]int, n), users: make([][]int, n)}
	for _, e := range edges {
		if e[0] == e[1] {
			return nil, lathe.Errorf(lathe.EINVALID, "step %q reads from itself; a step can only read from other steps", names[e[0]])
		}
		g.deps[e[1]] = append(g.deps[e[1]], e[0])
	}
	for i := range g.deps {
		g.deps[i] = sortUnique(g.deps[i])
		for _, d := range g.deps[i] {
			g.users[d] = append(g.users[d], i)
		}
	}
	// users[d] is ascending: i runs ascending.
	order, ok := g.topo()
	if !ok {
		return nil, g.cycleError()
	}
	g.order = order
	return g, nil
}

func sortUnique(s []int) []int {
	if len(s) < 2 {
		return s
	}
	sort.Ints(s)
	out := s[:1]
	for _, x := range s[1:] {
		if x != out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}

// topo returns a topological order (Kahn's algorithm, lowest number first
// among the ready) and false if there is a cycle.
func (g *Graph) topo() ([]int, bool) {
	n := len(g.names)
	missing := make([]int, n)
	queue := make([]int, 0, n)
	for i := range n {
		missing[i] = len(g.deps[i])
		if missing[i] == 0 {
			queue = append(queue, i)
		}
	}
	for head := 0; head < len(queue); head++ {
		for _, u := range g.users[queue[head]] {
			if missing[u]--; missing[u] == 0 {
				queue = append(queue, u)
			}
		}
	}
	return queue, len(queue) == n
}

// cycleError names the steps on one cycle.
func (g *Graph) cycleError() error {
	// Peel off every step not on or behind a cycle, then walk dependencies
	// among what is left until a step repeats.
	n := len(g.names)
	missing := make([]int, n)
	done := make([]bool, n)
	var queue []int
	for i := range n {
		if missing[i] = len(g.deps[i]); missing[i] == 0 {
			queue = append(queue, i)
		}
	}
	for head := 0; head < len(queue); head++ {
		done[queue[head]] = true
		for _, u := range g.users[queue[head]] {
			if missing[u]--; missing[u] == 0 {
				queue = append(queue, u)
			}
		}
	}
	start := 0
	for start < n && done[start] {
		start++
	}
	seen := map[int]int{}
	var path []int
	for cur := start; ; {
		if at, ok := seen[cur]; ok {
			path = path[at:]
			break
		}
		seen[cur] = len(path)
		path = append(path, cur)
		for _, d := range g.deps[cur] {
			if !done[d] {
				cur = d
				break
			}
		}
	}
	parts := make([]string, len(path))
	for i, s := range path {
		parts[i] = g.names[s] + " needs " + g.names[path[(i+1)%len(path)]]
	}
	return lathe.Errorf(lathe.EINVALID, "pipeline steps form a cycle: %s; a step can only read from steps that do not read from it", strings.Join(parts, ", "))
}

// Len returns the number of steps.
func (g *Graph) Len() int { return len(g.names) }

// Name returns step i's name.
func (g *Graph) Name(i int) string { return g.names[i] }

// Index returns the number of the step with this name.
func (g *Graph) Index(name string) (int, bool) {
	i, ok := g.index[name]
	return i, ok
}

// Deps returns the steps step i reads from, ascending. The slice is the
// graph's own; do not modify it.
func (g *Graph) Deps(i int) []int { return g.deps[i] }

// Dependants returns the steps that read from step i, ascending. The slice
// is the graph's own; do not modify it.
func (g *Graph) Dependants(i int) []int { return g.users[i] }

// Order returns the steps in an order where each comes after its
// dependencies. The slice is the graph's own; do not modify it.
func (g *Graph) Order() []int { return g.order }

// Edges returns the number of edges.
func (g *Graph) Edges() int {
	n := 0
	for _, d := range g.deps {
		n += len(d)
	}
	return n
}
