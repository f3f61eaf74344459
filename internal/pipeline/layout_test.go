package pipeline

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestLayoutRemovesCrossings(t *testing.T) {
	t.Parallel()
	// In number order b0 sits under a0 but reads from a1, and b1 the
	// reverse: one crossing the sweeps must remove.
	g := mustGraph(t, "a0 a1 b0 b1 c", "a1>b0 a0>b1 b0>c b1>c")
	l := NewLayout(g, LayoutOptions{})
	if l.Crossings != 0 {
		t.Errorf("crossings = %d, want 0", l.Crossings)
	}
	crossed := 0
	for _, e := range l.Edges {
		for _, f := range l.Edges {
			if l.Nodes[e.From].Layer == l.Nodes[f.From].Layer && e.From != f.From && e.To != f.To &&
				l.Nodes[e.From].Order < l.Nodes[f.From].Order && l.Nodes[e.To].Order > l.Nodes[f.To].Order {
				crossed++
			}
		}
	}
	if crossed != l.Crossings {
		t.Errorf("counted %d crossings from the boxes' orders, layout says %d", crossed, l.Crossings)
	}
}

func TestLayoutLayers(t *testing.T) {
	t.Parallel()
	g := mustGraph(t, "prep feat train eval", "prep>feat feat>train prep>train train>eval prep>eval")
	l := NewLayout(g, LayoutOptions{})
	want := map[string]int{"prep": 0, "feat": 1, "train": 2, "eval": 3}
	for name, layer := range want {
		i, _ := g.Index(name)
		if l.Nodes[i].Layer != layer {
			t.Errorf("%s in layer %d, want %d", name, l.Nodes[i].Layer, layer)
		}
	}
	if empty := NewLayout(mustGraph(t, "", ""), LayoutOptions{}); len(empty.Nodes) != 0 || empty.Width <= 0 {
		t.Errorf("empty layout: %+v", empty)
	}
}

// TestLayoutRandomNoOverlap lays out random 200-step DAGs and checks that
// no two boxes overlap, that boxes lie inside the picture, that edges join
// the boxes they connect, and that no edge passes through a box.
func TestLayoutRandomNoOverlap(t *testing.T) {
	t.Parallel()
	for seed := range uint64(3) {
		rng := rand.New(rand.NewPCG(seed, 42))
		const n = 200
		var e [][2]int
		for i := 1; i < n; i++ {
			for range rng.IntN(3) {
				lo := max(0, i-30)
				e = append(e, [2]int{lo + rng.IntN(i-lo), i})
			}
		}
		g, err := NewIndexed(n, e)
		if err != nil {
			t.Fatal(err)
		}
		l := NewLayout(g, LayoutOptions{})
		for i, a := range l.Nodes {
			if a.X < 0 || a.Y < 0 || a.X+a.W > l.Width+1e-9 || a.Y+a.H > l.Height+1e-9 {
				t.Fatalf("seed %d: box %d %+v outside %gx%g", seed, i, a, l.Width, l.Height)
			}
			for j, b := range l.Nodes[:i] {
				if a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H {
					t.Fatalf("seed %d: boxes %d %+v and %d %+v overlap", seed, i, a, j, b)
				}
			}
		}
		for _, ed := range l.Edges {
			from, to := l.Nodes[ed.From], l.Nodes[ed.To]
			first, last := ed.Points[0], ed.Points[len(ed.Points)-1]
			if first != (Point{from.X + from.W/2, from.Y + from.H}) || last != (Point{to.X + to.W/2, to.Y}) {
				t.Fatalf("seed %d: edge %d→%d runs %v..%v, not box to box", seed, ed.From, ed.To, first, last)
			}
			if to.Layer <= from.Layer {
				t.Fatalf("seed %d: edge %d→%d goes from layer %d to %d", seed, ed.From, ed.To, from.Layer, to.Layer)
			}
			for k := 1; k+1 < len(ed.Points)-1; k += 2 { // pairs through the layers spanned
				p := ed.Points[k]
				for i, b := range l.Nodes {
					if p.Y == b.Y && p.X >= b.X && p.X <= b.X+b.W {
						t.Fatalf("seed %d: edge %d→%d passes through box %d", seed, ed.From, ed.To, i)
					}
				}
			}
		}
	}
}

func goldenGraph(t *testing.T) (*Graph, []State) {
	t.Helper()
	names := []string{"prep", "features", "train", "evaluate", `<report & "notes">`, "a_step_with_a_rather_long_name"}
	g, err := New(names, []Edge{{"prep", "features"}, {"features", "train"}, {"prep", "train"}, {"train", "evaluate"},
		{"prep", "evaluate"}, {"evaluate", names[4]}, {"prep", names[5]}})
	if err != nil {
		t.Fatal(err)
	}
	return g, []State{StateReused, StateCompleted, StateFailed, StateSkipped, StateSkipped, StateRunning}
}

func TestSVGGolden(t *testing.T) {
	t.Parallel()
	g, states := goldenGraph(t)
	got := SVG(NewLayout(g, LayoutOptions{}), states, func(step string) string {
		return "/studio/jobs/p1?step=" + step + "&x=1"
	})
	path := filepath.Join("testdata", "small.golden.svg")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("SVG differs from %s (run go test -update after checking the change):\n%s", path, got)
	}
}

func TestSVG(t *testing.T) {
	t.Parallel()
	g, states := goldenGraph(t)
	l := NewLayout(g, LayoutOptions{})
	out := string(SVG(l, states, func(step string) string {
		if step == "train" {
			return ""
		}
		return "/jobs/" + step + "?a=1&b=2"
	}))
	dec := xml.NewDecoder(strings.NewReader(out))
	links, boxes := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, out)
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "a":
				links++
			case "rect":
				boxes++
			}
		}
	}
	if boxes != g.Len() || links != g.Len()-1 {
		t.Errorf("%d boxes and %d links, want %d and %d", boxes, links, g.Len(), g.Len()-1)
	}
	for _, want := range []string{
		`&lt;report &amp; &#34;notes&#34;&gt;`,
		`href="/jobs/prep?a=1&amp;b=2"`,
		`class="step state-reused"`,
		`stroke-dasharray="5 3"`,
		`↻ reused`,
		`class="step state-failed"`,
		`>a_step_with_a_rath…<`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if strings.Contains(out, `<report`) {
		t.Error("a step name was not escaped")
	}
	// Without states every step is drawn pending; without href, no links.
	plain := string(SVG(l, nil, nil))
	if strings.Contains(plain, "<a ") || strings.Count(plain, "state-pending") != g.Len() {
		t.Errorf("SVG without states or links:\n%s", plain)
	}
}
