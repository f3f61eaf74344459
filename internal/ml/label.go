package ml

import (
	"math"
	"slices"
	"strconv"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml/frame"
)

// labelValues returns the label of every row as text ("" when missing) and
// whether the column is numeric.
func labelValues(c *frame.Column) ([]string, bool) {
	if c.Kind == frame.Categorical {
		return c.Str, false
	}
	out := make([]string, len(c.Num))
	for i := range c.Num {
		if !math.IsInf(c.Num[i], 0) {
			out[i] = c.String(i)
		}
	}
	return out, true
}

// inferLabel decides the task and the classes from the training label, and
// returns y for the rows that have a label (keep).
func inferLabel(c *frame.Column, cfg *Config) (task Task, classes []string, y []float64, keep []int, err error) {
	vals, numeric := labelValues(c)
	distinct := map[string]bool{}
	for i, s := range vals {
		if s != "" {
			keep = append(keep, i)
			if len(distinct) <= cfg.MaxClasses {
				distinct[s] = true
			}
		}
	}
	if len(keep) == 0 {
		return "", nil, nil, nil, lathe.Errorf(lathe.EINVALID, "the label column %q has no values", c.Name)
	}
	if len(distinct) < 2 {
		var only string
		for s := range distinct {
			only = s
		}
		return "", nil, nil, nil, lathe.Errorf(lathe.EINVALID,
			"the label column %q is constant (every row is %q); a model needs at least two different labels", c.Name, only)
	}
	task = cfg.Task
	if task == "" {
		switch {
		case !numeric && len(distinct) == 2:
			task = Binary
		case !numeric:
			task = Multiclass
		case len(distinct) == 2 && integers(c.Num):
			task = Binary
		default:
			task = Regression
		}
	}
	if task == Regression {
		if !numeric {
			return "", nil, nil, nil, lathe.Errorf(lathe.EINVALID,
				"task regression needs a numeric label, but column %q holds text; use task binary or multiclass", c.Name)
		}
		y = make([]float64, len(keep))
		for i, r := range keep {
			y[i] = c.Num[r]
		}
		return task, nil, y, keep, nil
	}
	if len(distinct) > cfg.MaxClasses {
		return "", nil, nil, nil, lathe.Errorf(lathe.EINVALID,
			"the label column %q has more than max_classes=%d distinct values; raise max_classes (up to %d) or set task: regression",
			c.Name, cfg.MaxClasses, maxClassesLimit)
	}
	for s := range distinct {
		classes = append(classes, s)
	}
	if numeric {
		slices.SortFunc(classes, func(a, b string) int {
			x, _ := strconv.ParseFloat(a, 64)
			z, _ := strconv.ParseFloat(b, 64)
			switch {
			case x < z:
				return -1
			case x > z:
				return 1
			}
			return 0
		})
	} else {
		slices.Sort(classes)
	}
	switch {
	case task == Binary && len(classes) != 2:
		return "", nil, nil, nil, lathe.Errorf(lathe.EINVALID,
			"task binary needs exactly two label values, but column %q has %d; use task multiclass", c.Name, len(classes))
	case task == Multiclass && len(classes) < 3:
		task = Binary
	}
	if cfg.PositiveClass != "" {
		if task != Binary {
			return "", nil, nil, nil, lathe.Errorf(lathe.EINVALID, "positive_class applies to binary tasks only")
		}
		switch cfg.PositiveClass {
		case classes[1]:
		case classes[0]:
			classes[0], classes[1] = classes[1], classes[0]
		default:
			return "", nil, nil, nil, lathe.Errorf(lathe.EINVALID,
				"positive_class %q is not a value of the label column %q (values: %q)", cfg.PositiveClass, c.Name, classes)
		}
	}
	y, _, _ = encodeClasses(vals, classes, keep)
	return task, classes, y, keep, nil
}

// encodeClasses maps the label text of rows (all rows when nil) to class
// indices, skipping missing labels and labels not in classes; it returns the
// kept rows and the number of unknown labels.
func encodeClasses(vals, classes []string, rows []int) (y []float64, keep []int, unknown int) {
	index := make(map[string]int, len(classes))
	for i, s := range classes {
		index[s] = i
	}
	add := func(r int) {
		s := vals[r]
		if s == "" {
			return
		}
		k, ok := index[s]
		if !ok {
			unknown++
			return
		}
		y = append(y, float64(k))
		keep = append(keep, r)
	}
	if rows == nil {
		for r := range vals {
			add(r)
		}
	} else {
		for _, r := range rows {
			add(r)
		}
	}
	return y, keep, unknown
}

// targets returns y for the labelled rows of c under the model's task, and
// how many rows were dropped as missing or unknown.
func (m *Model) targets(c *frame.Column) (y []float64, keep []int, missing, unknown int, err error) {
	vals, numeric := labelValues(c)
	if m.Task == Regression {
		if !numeric {
			return nil, nil, 0, 0, lathe.Errorf(lathe.EINVALID, "the label column %q must be numeric for a regression model", c.Name)
		}
		for i, v := range c.Num {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				missing++
				continue
			}
			y = append(y, v)
			keep = append(keep, i)
		}
		return y, keep, missing, 0, nil
	}
	y, keep, unknown = encodeClasses(vals, m.Classes, nil)
	missing = len(vals) - len(keep) - unknown
	return y, keep, missing, unknown, nil
}

func integers(v []float64) bool {
	for _, x := range v {
		if !math.IsNaN(x) && x != math.Trunc(x) {
			return false
		}
	}
	return true
}
