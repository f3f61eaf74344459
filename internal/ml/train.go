package ml

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml/feature"
	"github.com/latheml/lathe/internal/ml/frame"
	"github.com/latheml/lathe/internal/ml/gbdt"
	"github.com/latheml/lathe/internal/ml/linear"
)

// Info records how a model was trained.
type Info struct {
	Rows       int       `json:"rows"`
	ValidRows  int       `json:"validation_rows,omitempty"`
	Rounds     int       `json:"rounds,omitempty"`
	ValidLoss  []float64 `json:"validation_loss,omitempty"`
	Iterations int       `json:"iterations,omitempty"`
	Converged  bool      `json:"converged,omitempty"`
	Warnings   []string  `json:"warnings,omitempty"`
}

// Train learns a model of cfg.Label from train. valid, if not nil, is the
// validation set of GBDT: its loss is recorded after every round
// (Info.ValidLoss) and, with early_stopping_rounds > 0, stops training.
// Without it, early stopping holds out validation_fraction of train.
// Problems with the data that do not prevent training (all-missing or
// constant columns, rows without a label, ±Inf values) are reported in
// Model.Info.Warnings.
func Train(ctx context.Context, train, valid *frame.Frame, cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := train.Validate(); err != nil {
		return nil, fmt.Errorf("training data: %w", err)
	}
	lc := train.Column(cfg.Label)
	if lc == nil {
		return nil, lathe.Errorf(lathe.EINVALID, "the label column %q is not in the training data (columns: %v)", cfg.Label, train.Names())
	}
	features, err := cfg.featureNames(train)
	if err != nil {
		return nil, err
	}
	task, classes, y, keep, err := inferLabel(lc, &cfg)
	if err != nil {
		return nil, err
	}
	var warns []string
	if d := train.Rows() - len(keep); d > 0 {
		warns = append(warns, strconv.Itoa(d)+" training rows have no label and were left out")
		train = train.Take(keep)
	}
	m := &Model{Task: task, Algorithm: cfg.Algorithm, Label: cfg.Label, Classes: classes}
	// Validation data: given, held out, or none.
	var vy []float64
	isGBDT := cfg.Algorithm == GBDT
	switch {
	case valid != nil && isGBDT:
		if err := valid.Validate(); err != nil {
			return nil, fmt.Errorf("validation data: %w", err)
		}
		vc := valid.Column(cfg.Label)
		if vc == nil {
			return nil, lathe.Errorf(lathe.EINVALID, "the label column %q is not in the validation data", cfg.Label)
		}
		var vkeep []int
		var missing, unknown int
		vy, vkeep, missing, unknown, err = m.targets(vc)
		if err != nil {
			return nil, fmt.Errorf("validation data: %w", err)
		}
		if missing+unknown > 0 {
			warns = append(warns, fmt.Sprintf("%d validation rows have no label or a class unseen in training and were left out", missing+unknown))
			valid = valid.Take(vkeep)
		}
		if len(vy) == 0 {
			return nil, lathe.Errorf(lathe.EINVALID, "the validation data has no usable labelled rows")
		}
	case isGBDT && cfg.GBDT.EarlyStoppingRounds > 0 && cfg.ValidationFraction > 0:
		train, valid, y, vy = holdOut(train, y, cfg.ValidationFraction, cfg.Seed)
		if valid.Rows() == 0 || train.Rows() == 0 {
			return nil, lathe.Errorf(lathe.EINVALID, "validation_fraction %v leaves no rows for training or validation", cfg.ValidationFraction)
		}
	default:
		valid = nil
	}
	enc, fw, err := feature.Fit(train, features, feature.Options{MaxLevels: cfg.MaxCategories, Impute: cfg.Algorithm == Linear})
	if err != nil {
		return nil, err
	}
	warns = append(warns, fw...)
	m.Encoder = enc
	X, err := enc.Encode(train)
	if err != nil {
		return nil, err
	}
	nclass := 0
	if task != Regression {
		nclass = len(classes)
	}
	m.Info = Info{Rows: X.Rows}
	switch cfg.Algorithm {
	case GBDT:
		p := cfg.GBDT
		p.Seed, p.Threads = cfg.Seed, cfg.Threads
		var v *gbdt.Valid
		if valid != nil {
			Xv, err := enc.Encode(valid)
			if err != nil {
				return nil, fmt.Errorf("validation data: %w", err)
			}
			v = &gbdt.Valid{X: Xv, Y: vy}
			m.Info.ValidRows = Xv.Rows
		}
		g, err := gbdt.Train(ctx, X, y, nclass, v, p)
		if err != nil {
			return nil, err
		}
		m.learner = g
		m.Info.Rounds, m.Info.ValidLoss = g.Rounds, g.ValidLoss
	case Linear:
		p := cfg.Linear
		p.Threads = cfg.Threads
		l, err := linear.Train(ctx, X, y, nclass, p)
		if err != nil {
			return nil, err
		}
		m.learner = l
		m.Info.Iterations, m.Info.Converged = l.Iterations, l.Converged
		if !l.Converged {
			warns = append(warns, fmt.Sprintf("the optimiser stopped after max_iter=%d iterations before converging; raise max_iter or the penalty", p.MaxIter))
		}
	case Baseline:
		m.learner = newBaseline(len(features), nclass, y)
	}
	m.Info.Warnings = warns
	return m, nil
}

// featureNames returns the feature columns: cfg.Features, or every column but
// the label and the excluded ones.
func (c *Config) featureNames(f *frame.Frame) ([]string, error) {
	if len(c.Features) > 0 {
		for _, n := range c.Features {
			if f.Column(n) == nil {
				return nil, lathe.Errorf(lathe.EINVALID, "feature column %q is not in the training data (columns: %v)", n, f.Names())
			}
		}
		return c.Features, nil
	}
	var out []string
	for _, n := range f.Names() {
		if n != c.Label && !slices.Contains(c.Exclude, n) {
			out = append(out, n)
		}
	}
	for _, n := range c.Exclude {
		if f.Column(n) == nil {
			return nil, lathe.Errorf(lathe.EINVALID, "excluded column %q is not in the training data", n)
		}
	}
	if len(out) == 0 {
		return nil, lathe.Errorf(lathe.EINVALID, "no feature columns are left besides the label %q", c.Label)
	}
	return out, nil
}

// holdOut moves a random share of the rows to a validation frame.
func holdOut(f *frame.Frame, y []float64, frac float64, seed uint64) (*frame.Frame, *frame.Frame, []float64, []float64) {
	n := f.Rows()
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	perm := rng.Perm(n)
	nv := int(frac * float64(n))
	vrows, trows := perm[:nv], perm[nv:]
	slices.Sort(vrows)
	slices.Sort(trows)
	pick := func(rows []int) []float64 {
		out := make([]float64, len(rows))
		for i, r := range rows {
			out[i] = y[r]
		}
		return out
	}
	return f.Take(trows), f.Take(vrows), pick(trows), pick(vrows)
}
