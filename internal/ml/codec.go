package ml

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml/codec"
	"github.com/latheml/lathe/internal/ml/feature"
	"github.com/latheml/lathe/internal/ml/frame"
	"github.com/latheml/lathe/internal/ml/gbdt"
	"github.com/latheml/lathe/internal/ml/linear"
)

// PreprocessingFormat identifies the preprocessing JSON layout.
const PreprocessingFormat = "lathe.preprocessing/v1"

// Preprocessing is everything a model needs around its learner to go from raw
// rows to predictions: the task, the label classes, and the feature columns in
// model order with their kinds, category codes and imputation values. It is
// JSON, readable by people and other tools.
type Preprocessing struct {
	Format    string            `json:"format"`
	Task      Task              `json:"task"`
	Algorithm Algorithm         `json:"algorithm"`
	Label     string            `json:"label"`
	Classes   []string          `json:"classes,omitempty"`
	Features  []feature.Feature `json:"features"`
	Training  Info              `json:"training"`
}

// Preprocessing returns the model's preprocessing.
func (m *Model) Preprocessing() Preprocessing {
	info := m.Info
	info.ValidLoss = finite(info.ValidLoss)
	return Preprocessing{Format: PreprocessingFormat, Task: m.Task, Algorithm: m.Algorithm, Label: m.Label,
		Classes: m.Classes, Features: m.Encoder.Features, Training: info}
}

func finite(v []float64) []float64 {
	var out []float64
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out = append(out, x)
		}
	}
	return out
}

// MarshalLearner returns the learner's bytes (trees or weights), without the
// preprocessing.
func (m *Model) MarshalLearner() ([]byte, error) { return m.learner.MarshalBinary() }

// Assemble rebuilds a model from its preprocessing and learner bytes, and
// checks that they belong together.
func Assemble(p Preprocessing, learnerBytes []byte) (*Model, error) {
	if p.Format != PreprocessingFormat {
		return nil, lathe.Errorf(lathe.EUNSUPPORTED, "preprocessing format %q is not supported (this build reads %q)", p.Format, PreprocessingFormat)
	}
	enc := &feature.Encoder{Features: p.Features}
	if err := enc.Validate(); err != nil {
		return nil, err
	}
	m := &Model{Task: p.Task, Algorithm: p.Algorithm, Label: p.Label, Classes: p.Classes, Encoder: enc, Info: p.Training}
	nclass := 0
	switch p.Task {
	case Binary:
		nclass = 2
	case Multiclass:
		nclass = len(p.Classes)
	case Regression:
	default:
		return nil, lathe.Errorf(lathe.ECORRUPT, "model: unknown task %q", p.Task)
	}
	if p.Task != Regression && (len(p.Classes) != nclass || nclass < 2) {
		return nil, lathe.Errorf(lathe.ECORRUPT, "model: task %s with %d classes", p.Task, len(p.Classes))
	}
	if p.Task == Regression && len(p.Classes) != 0 {
		return nil, lathe.Errorf(lathe.ECORRUPT, "model: a regression model has no classes")
	}
	nf := len(enc.Features)
	switch p.Algorithm {
	case GBDT:
		g := &gbdt.Model{}
		if err := g.UnmarshalBinary(learnerBytes); err != nil {
			return nil, err
		}
		if g.Features != nf || g.Classes != nclass {
			return nil, lathe.Errorf(lathe.ECORRUPT, "model: the trees expect %d features and %d classes, the preprocessing has %d and %d",
				g.Features, g.Classes, nf, nclass)
		}
		m.learner = g
	case Linear:
		l := &linear.Model{}
		if err := l.UnmarshalBinary(learnerBytes); err != nil {
			return nil, err
		}
		if l.Features != nf || l.Classes != nclass {
			return nil, lathe.Errorf(lathe.ECORRUPT, "model: the weights expect %d features and %d classes, the preprocessing has %d and %d",
				l.Features, l.Classes, nf, nclass)
		}
		for j, c := range l.Cat {
			if enc.Features[c].Kind != frame.Categorical || l.Levels[j] != len(enc.Features[c].Levels) {
				return nil, lathe.Errorf(lathe.ECORRUPT, "model: feature %q does not match the weights' one-hot layout", enc.Features[c].Name)
			}
		}
		m.learner = l
	case Baseline:
		b, err := unmarshalBaseline(learnerBytes)
		if err != nil {
			return nil, err
		}
		want := 1
		if nclass > 2 {
			want = nclass
		}
		if b.features != nf || len(b.base) != want {
			return nil, lathe.Errorf(lathe.ECORRUPT, "model: the baseline does not fit the preprocessing")
		}
		m.learner = b
	default:
		return nil, lathe.Errorf(lathe.ECORRUPT, "model: unknown algorithm %q", p.Algorithm)
	}
	return m, nil
}

const containerMagic = "LATHEML1"

// MarshalBinary encodes the whole model (preprocessing and learner) in one
// byte slice; UnmarshalModel reads it back.
func (m *Model) MarshalBinary() ([]byte, error) {
	pre, err := json.Marshal(m.Preprocessing())
	if err != nil {
		return nil, fmt.Errorf("encode preprocessing: %w", err)
	}
	lb, err := m.MarshalLearner()
	if err != nil {
		return nil, err
	}
	w := &codec.Writer{B: make([]byte, 0, len(containerMagic)+len(pre)+len(lb)+8)}
	w.B = append(w.B, containerMagic...)
	w.Bytes(pre)
	w.Bytes(lb)
	return w.B, nil
}

// UnmarshalModel decodes a model written by MarshalBinary.
func UnmarshalModel(b []byte) (*Model, error) {
	if !bytes.HasPrefix(b, []byte(containerMagic)) {
		return nil, lathe.Errorf(lathe.ECORRUPT, "model: not a Lathe model (bad magic)")
	}
	r := codec.NewReader(b[len(containerMagic):], "model")
	pre := r.Bytes()
	lb := r.Bytes()
	if err := r.Err(); err != nil {
		return nil, err
	}
	p, err := ParsePreprocessing(pre)
	if err != nil {
		return nil, err
	}
	return Assemble(p, lb)
}

// ParsePreprocessing decodes preprocessing JSON, rejecting unknown fields.
func ParsePreprocessing(b []byte) (Preprocessing, error) {
	var p Preprocessing
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, lathe.Errorf(lathe.ECORRUPT, "model preprocessing: %v", err)
	}
	return p, nil
}

const (
	baselineMagic   = "LTBL"
	baselineVersion = 1
)

// MarshalBinary implements learner.
func (b *baseline) MarshalBinary() ([]byte, error) {
	w := &codec.Writer{}
	w.B = append(w.B, baselineMagic...)
	w.U32(baselineVersion)
	w.U32(uint32(b.features))
	w.F64s(b.base)
	return w.B, nil
}

func unmarshalBaseline(data []byte) (*baseline, error) {
	if !bytes.HasPrefix(data, []byte(baselineMagic)) {
		return nil, lathe.Errorf(lathe.ECORRUPT, "baseline model: bad magic")
	}
	r := codec.NewReader(data[len(baselineMagic):], "baseline model")
	if v := r.U32(); v != baselineVersion && r.Err() == nil {
		return nil, lathe.Errorf(lathe.EUNSUPPORTED, "baseline model: format version %d is not supported", v)
	}
	b := &baseline{features: int(r.U32()), base: r.F64s()}
	if err := r.Err(); err != nil {
		return nil, err
	}
	if r.Remaining() != 0 || len(b.base) == 0 {
		return nil, lathe.Errorf(lathe.ECORRUPT, "baseline model: bad length")
	}
	for _, v := range b.base {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, lathe.Errorf(lathe.ECORRUPT, "baseline model: non-finite score")
		}
	}
	return b, nil
}
