package web

import (
	"strings"
	"testing"
	"time"

	"github.com/latheml/lathe"
)

func TestPipelineViewOf(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	j := &lathe.Job{Name: "p-1", Type: lathe.JobTypePipeline, Status: lathe.JobRunning}
	tests := []struct {
		name        string
		steps       []lathe.PipelineStep
		done, boxes int
		note        string
		want, avoid []string
	}{
		{name: "no steps", note: "no steps recorded"},
		{name: "a dependency that is not a step", steps: []lathe.PipelineStep{{Step: "a", State: "completed"}, {Step: "b", State: "pending", Deps: []string{"zz"}}},
			done: 1, note: "cannot be drawn"},
		{name: "unknown state drawn pending, bad names not linked", boxes: 2, done: 1,
			steps: []lathe.PipelineStep{{Step: "a", State: "reused", Reused: true, Job: "old-1"}, {Step: "<b>", State: "exploded", Job: "../x", Deps: []string{"a"}}},
			want:  []string{`<a href="/ui/w/default/jobs/old-1"><g class="step state-reused" data-step="a">`, `<g class="step state-pending" data-step="&lt;b&gt;">`, `data-step="a">from old-1</text>`},
			avoid: []string{`../x`, `<b>`}},
	}
	for _, tt := range tests {
		v := pipelineViewOf("default", j, tt.steps, now)
		if v.Done != tt.done || v.Total != len(tt.steps) {
			t.Errorf("%s: %d/%d done, want %d/%d", tt.name, v.Done, v.Total, tt.done, len(tt.steps))
		}
		if (tt.note == "") != (v.Note == "") || !strings.Contains(v.Note, tt.note) {
			t.Errorf("%s: note %q, want one with %q", tt.name, v.Note, tt.note)
		}
		svg := string(v.SVG)
		if n := strings.Count(svg, `<g class="step `); n != tt.boxes {
			t.Errorf("%s: %d boxes, want %d", tt.name, n, tt.boxes)
		}
		for _, s := range tt.want {
			if !strings.Contains(svg, s) {
				t.Errorf("%s: no %q in %s", tt.name, s, svg)
			}
		}
		for _, s := range tt.avoid {
			if strings.Contains(svg, s) {
				t.Errorf("%s: %q in the SVG", tt.name, s)
			}
		}
	}
}
