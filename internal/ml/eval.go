package ml

import (
	"fmt"
	"slices"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml/frame"
	"github.com/latheml/lathe/internal/ml/metric"
)

// Evaluation holds a model's metrics on a labelled frame, overall and per
// slice.
type Evaluation struct {
	Task           Task                   `json:"task"`
	Classes        []string               `json:"classes,omitempty"`
	Classification *metric.Classification `json:"classification,omitempty"`
	Regression     *metric.Regression     `json:"regression,omitempty"`
	Slices         []Slice                `json:"slices,omitempty"`
	Warnings       []string               `json:"warnings,omitempty"`
}

// Slice holds the metrics of the rows where Column equals Value.
type Slice struct {
	Column         string                 `json:"column"`
	Value          string                 `json:"value"`
	Classification *metric.Classification `json:"classification,omitempty"`
	Regression     *metric.Regression     `json:"regression,omitempty"`
}

// MaxSlices is the most values of one column Evaluate reports separately;
// rarer values are pooled under OtherSlice.
const MaxSlices = 50

// Names of pooled slices.
const (
	MissingSlice = "(missing)"
	OtherSlice   = "(other)"
)

// Evaluate scores f, which must hold the label column, and computes the
// task's metrics overall and for every value of each column in sliceBy.
// Rows without a label, or with a class unseen in training, are left out and
// counted in Warnings.
func (m *Model) Evaluate(f *frame.Frame, sliceBy []string) (*Evaluation, error) {
	lc := f.Column(m.Label)
	if lc == nil {
		return nil, lathe.Errorf(lathe.EINVALID, "the evaluation data has no label column %q", m.Label)
	}
	y, keep, missing, unknown, err := m.targets(lc)
	if err != nil {
		return nil, err
	}
	ev := &Evaluation{Task: m.Task, Classes: m.Classes}
	if missing > 0 {
		ev.Warnings = append(ev.Warnings, fmt.Sprintf("%d rows have no label and were left out", missing))
	}
	if unknown > 0 {
		ev.Warnings = append(ev.Warnings, fmt.Sprintf("%d rows have a class the model never saw in training and were left out", unknown))
	}
	if len(keep) == 0 {
		return nil, lathe.Errorf(lathe.EINVALID, "the evaluation data has no labelled rows")
	}
	if len(keep) < f.Rows() {
		f = f.Take(keep)
	}
	pred, err := m.Predict(f)
	if err != nil {
		return nil, err
	}
	all := make([]int, len(y))
	for i := range all {
		all[i] = i
	}
	ev.Classification, ev.Regression = m.score(y, pred, all)
	for _, name := range sliceBy {
		c := f.Column(name)
		if c == nil {
			return nil, lathe.Errorf(lathe.EINVALID, "slice column %q is not in the evaluation data", name)
		}
		values, groups := Groups(c, MaxSlices)
		for i, v := range values {
			s := Slice{Column: name, Value: v}
			s.Classification, s.Regression = m.score(y, pred, groups[i])
			ev.Slices = append(ev.Slices, s)
		}
	}
	return ev, nil
}

// score computes the metrics of the given rows.
func (m *Model) score(y []float64, p *Prediction, rows []int) (*metric.Classification, *metric.Regression) {
	if m.Task == Regression {
		yt, yp := make([]float64, len(rows)), make([]float64, len(rows))
		for i, r := range rows {
			yt[i], yp[i] = y[r], p.Value[r]
		}
		r := metric.Regress(yt, yp)
		return nil, &r
	}
	k := len(m.Classes)
	yt, pr := make([]int, len(rows)), make([]float64, len(rows)*k)
	for i, r := range rows {
		yt[i] = int(y[r])
		copy(pr[i*k:(i+1)*k], p.Proba[r*k:(r+1)*k])
	}
	c := metric.Classify(yt, pr, k)
	return &c, nil
}

// Groups splits the rows of c by value: the max-1 most frequent values get
// their own group (ties by value), missing values are MissingSlice, and the
// rest are pooled as OtherSlice. Numeric values are grouped by their text.
func Groups(c *frame.Column, max int) (values []string, groups [][]int) {
	index := map[string]int{}
	for i := 0; i < c.Len(); i++ {
		s := c.String(i)
		if s == "" {
			s = MissingSlice
		}
		g, ok := index[s]
		if !ok {
			g = len(values)
			index[s] = g
			values = append(values, s)
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	order := make([]int, len(values))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if d := len(groups[b]) - len(groups[a]); d != 0 {
			return d
		}
		switch {
		case values[a] < values[b]:
			return -1
		case values[a] > values[b]:
			return 1
		}
		return 0
	})
	var vs []string
	var gs [][]int
	var other []int
	for i, g := range order {
		if len(order) > max && i >= max-1 {
			other = append(other, groups[g]...)
			continue
		}
		vs = append(vs, values[g])
		gs = append(gs, groups[g])
	}
	if other != nil {
		slices.Sort(other)
		vs = append(vs, OtherSlice)
		gs = append(gs, other)
	}
	return vs, gs
}
