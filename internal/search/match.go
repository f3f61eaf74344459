package search

import (
	"math"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// RunView is what a run filter and a run ordering look at.
type RunView struct {
	RunID       string
	RunName     string
	UserID      string
	Status      string
	ArtifactURI string
	StartTime   int64              // Unix milliseconds
	EndTime     *int64             // Unix milliseconds; nil (NULL) while the run has not ended
	Metrics     map[string]float64 // the latest value of each metric
	Params      map[string]string
	Tags        map[string]string
	Datasets    []DatasetView
}

// DatasetView is one dataset input of a run.
type DatasetView struct {
	Name    string
	Digest  string
	Context string // the input's "mlflow.data.context" tag; "" when it has none
}

// ExperimentView is what an experiment filter and ordering look at.
type ExperimentView struct {
	ExperimentID   string
	Name           string
	CreationTime   int64 // Unix milliseconds
	LastUpdateTime int64 // Unix milliseconds
	Tags           map[string]string
}

// field is one value of a run or experiment, as a comparison or an ordering
// sees it.
type field struct {
	present bool
	isNum   bool
	num     float64
	isInt   bool // experiment_id, compared exactly
	i       int64
	str     string
}

// rank orders fields for sorting: 0 a value, 1 NaN, 2 missing.
func (f field) rank() int {
	switch {
	case !f.present:
		return 2
	case f.isNum && math.IsNaN(f.num):
		return 1
	}
	return 0
}

func strField(s string, ok bool) field { return field{present: ok, str: s} }

func numField(v float64, ok bool) field { return field{present: ok, isNum: true, num: v} }

func (r RunView) field(kind Kind, key string) field {
	switch kind {
	case Metric:
		v, ok := r.Metrics[key]
		return numField(v, ok)
	case Param:
		v, ok := r.Params[key]
		return strField(v, ok)
	case Tag:
		v, ok := r.Tags[key]
		return strField(v, ok)
	case Attribute:
		switch key {
		case AttrRunID:
			return strField(r.RunID, true)
		case AttrRunName:
			return strField(r.RunName, true)
		case AttrUserID:
			return strField(r.UserID, true)
		case AttrStatus:
			return strField(r.Status, true)
		case AttrArtifactURI:
			return strField(r.ArtifactURI, true)
		case AttrStartTime:
			return numField(float64(r.StartTime), true)
		case AttrEndTime:
			if r.EndTime == nil {
				return field{}
			}
			return numField(float64(*r.EndTime), true)
		}
	}
	return field{}
}

func (e ExperimentView) field(kind Kind, key string) field {
	switch kind {
	case Tag:
		v, ok := e.Tags[key]
		return strField(v, ok)
	case Attribute:
		switch key {
		case AttrName:
			return strField(e.Name, true)
		case AttrCreationTime:
			return numField(float64(e.CreationTime), true)
		case AttrLastUpdateTime:
			return numField(float64(e.LastUpdateTime), true)
		case AttrExperimentID:
			f := strField(e.ExperimentID, true)
			if n, err := strconv.ParseInt(e.ExperimentID, 10, 64); err == nil {
				f.isInt, f.i = true, n
			}
			return f
		}
	}
	return field{}
}

// Match reports whether run r satisfies every comparison of f, with the
// semantics documented on Comparison. It is the reference the store's SQL
// translation is tested against.
func (f Filter) Match(r RunView) bool {
	for _, c := range f.Comparisons {
		if c.Kind == Dataset {
			if !slices.ContainsFunc(r.Datasets, func(d DatasetView) bool { return c.matchDataset(d) }) {
				return false
			}
			continue
		}
		if !c.match(r.field(c.Kind, c.Key)) {
			return false
		}
	}
	return true
}

// MatchExperiment reports whether experiment e satisfies every comparison
// of f (a filter from ParseExperimentFilter).
func (f Filter) MatchExperiment(e ExperimentView) bool {
	for _, c := range f.Comparisons {
		if !c.match(e.field(c.Kind, c.Key)) {
			return false
		}
	}
	return true
}

func (c Comparison) matchDataset(d DatasetView) bool {
	switch c.Key {
	case DatasetName:
		return c.match(strField(d.Name, true))
	case DatasetDigest:
		return c.match(strField(d.Digest, true))
	case DatasetContext:
		return c.match(strField(d.Context, d.Context != ""))
	}
	return false
}

// match applies the comparison to one field.
func (c Comparison) match(f field) bool {
	switch c.Op {
	case OpIsNull:
		return !f.present
	case OpIsNotNull:
		return f.present
	}
	if !f.present {
		return false
	}
	switch v := c.Value.(type) {
	case float64:
		if !f.isNum {
			return false
		}
		switch c.Op {
		case OpEq:
			return f.num == v
		case OpNe:
			return f.num != v
		case OpLt:
			return f.num < v
		case OpLe:
			return f.num <= v
		case OpGt:
			return f.num > v
		case OpGe:
			return f.num >= v
		}
	case string:
		switch c.Op {
		case OpEq:
			return f.str == v
		case OpNe:
			return f.str != v
		case OpLike:
			return like(f.str, v, false)
		case OpILike:
			return like(f.str, v, true)
		}
	case []string:
		switch c.Op {
		case OpIn:
			return slices.Contains(v, f.str)
		case OpNotIn:
			return !slices.Contains(v, f.str)
		}
	}
	return false
}

// like reports whether s matches the SQL LIKE pattern: % matches any run of
// characters, _ exactly one character, everything else itself (there is no
// escape character). With fold, letters match regardless of case.
func like(s, pattern string, fold bool) bool {
	si, pi := 0, 0
	starP, starS := -1, 0 // after the last %, and where s resumed from
	for si < len(s) {
		if pi < len(pattern) && pattern[pi] == '%' {
			pi++
			starP, starS = pi, si
			continue
		}
		if pi < len(pattern) {
			pr, pn := utf8.DecodeRuneInString(pattern[pi:])
			sr, sn := utf8.DecodeRuneInString(s[si:])
			if pattern[pi] == '_' || sameRune(pattern[pi:pi+pn], s[si:si+sn], pr, sr, fold) {
				pi += pn
				si += sn
				continue
			}
		}
		if starP < 0 {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starS:])
		starS += n
		si, pi = starS, starP
	}
	for pi < len(pattern) && pattern[pi] == '%' {
		pi++
	}
	return pi == len(pattern)
}

// sameRune compares two encoded characters; invalid UTF-8 compares by bytes.
func sameRune(pb, sb string, pr, sr rune, fold bool) bool {
	if pb == sb {
		return true
	}
	if !fold || pr == utf8.RuneError || sr == utf8.RuneError {
		return false
	}
	return unicode.ToLower(pr) == unicode.ToLower(sr) || unicode.ToUpper(pr) == unicode.ToUpper(sr)
}
