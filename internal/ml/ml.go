// Package ml is Lathe's built-in tabular learning: it trains gradient-boosted
// trees, linear/logistic regression or a baseline on a frame, and gives back a
// Model that takes raw rows (a frame with the training columns, in any order)
// to predictions, explanations and evaluation metrics. Preprocessing —
// column order, category codes, imputation, label classes — is part of the
// Model, and the same Predict is what serving calls.
//
// The package is pure: no file or network I/O, no clock, no global random
// state. Randomness comes from Config.Seed; results do not depend on the
// number of threads. Package modeldir reads and writes models as lathe_model
// directories.
package ml

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml/feature"
	"github.com/latheml/lathe/internal/ml/gbdt"
	"github.com/latheml/lathe/internal/ml/linear"
)

// Task is what a model predicts.
type Task string

// Tasks.
const (
	Binary     Task = "binary"     // two classes; probabilities of both
	Multiclass Task = "multiclass" // three or more classes
	Regression Task = "regression" // a number
)

// Algorithm is the learner.
type Algorithm string

// Algorithms.
const (
	GBDT     Algorithm = "gbdt"     // histogram gradient-boosted trees
	Linear   Algorithm = "linear"   // linear regression / logistic regression
	Baseline Algorithm = "baseline" // class priors or the mean: the floor every model must beat
)

// Config says what to learn and how. Start from DefaultConfig; JSON names are
// those a training component takes.
type Config struct {
	// Label is the column to predict.
	Label string `json:"label"`
	// Features are the input columns; empty means every column but the label
	// and those in Exclude.
	Features []string `json:"features,omitempty"`
	// Exclude lists columns never used as features (ids, leaks).
	Exclude []string `json:"exclude,omitempty"`
	// Task is inferred when empty: a text label or a numeric one with two
	// integer values is classification (binary or multiclass by the number of
	// values), any other numeric label is regression.
	Task Task `json:"task,omitempty"`
	// Algorithm defaults to GBDT.
	Algorithm Algorithm `json:"algorithm"`
	// PositiveClass names the positive class of a binary task; by default the
	// second in sorted order ("yes" of no/yes, "1" of 0/1).
	PositiveClass string `json:"positive_class,omitempty"`
	// MaxClasses caps the classes of a classification task.
	MaxClasses int `json:"max_classes"`
	// MaxCategories caps the categories kept per feature column.
	MaxCategories int `json:"max_categories"`
	// ValidationFraction, when no validation frame is given and early
	// stopping is on, holds out this share of the training rows.
	ValidationFraction float64 `json:"validation_fraction"`
	// Seed drives every random choice; Threads bounds parallelism (0 = all
	// cores). Both override the learner parameters' own.
	Seed    uint64 `json:"seed"`
	Threads int    `json:"n_jobs"`
	// GBDT and Linear are the learners' hyperparameters.
	GBDT   gbdt.Params   `json:"gbdt"`
	Linear linear.Params `json:"linear"`
}

// DefaultConfig returns GBDT with scikit-learn-like defaults.
func DefaultConfig() Config {
	return Config{
		Algorithm:     GBDT,
		MaxClasses:    100,
		MaxCategories: feature.DefaultMaxLevels,
		GBDT:          gbdt.DefaultParams(),
		Linear:        linear.DefaultParams(),
	}
}

// Limits on Config.
const (
	maxClassesLimit    = 10_000
	maxCategoriesLimit = 1_000_000
)

// Validate checks the configuration, naming any parameter out of range.
func (c *Config) Validate() error {
	if c.Label == "" {
		return lathe.Errorf(lathe.EINVALID, "label is required: name the column to predict")
	}
	switch c.Task {
	case "", Binary, Multiclass, Regression:
	default:
		return lathe.Errorf(lathe.EINVALID, "task must be binary, multiclass or regression (or empty to infer it), got %q", c.Task)
	}
	switch c.Algorithm {
	case GBDT:
		g := c.GBDT
		g.Seed, g.Threads = c.Seed, c.Threads
		if err := g.Validate(); err != nil {
			return err
		}
	case Linear:
		l := c.Linear
		l.Threads = c.Threads
		if err := l.Validate(); err != nil {
			return err
		}
	case Baseline:
	default:
		return lathe.Errorf(lathe.EINVALID, "algorithm must be gbdt, linear or baseline, got %q", c.Algorithm)
	}
	switch {
	case c.MaxClasses < 2 || c.MaxClasses > maxClassesLimit:
		return lathe.Errorf(lathe.EINVALID, "max_classes must be an integer in [2, %d], got %d", maxClassesLimit, c.MaxClasses)
	case c.MaxCategories < 1 || c.MaxCategories > maxCategoriesLimit:
		return lathe.Errorf(lathe.EINVALID, "max_categories must be an integer in [1, %d], got %d", maxCategoriesLimit, c.MaxCategories)
	case !(c.ValidationFraction >= 0 && c.ValidationFraction < 1):
		return lathe.Errorf(lathe.EINVALID, "validation_fraction must be in [0, 1), got %v", c.ValidationFraction)
	case c.Threads < 0 || c.Threads > 1024:
		return lathe.Errorf(lathe.EINVALID, "n_jobs must be an integer in [0, 1024] (0 = all cores), got %d", c.Threads)
	}
	for _, f := range c.Features {
		if f == c.Label {
			return lathe.Errorf(lathe.EINVALID, "the label column %q cannot also be a feature", f)
		}
	}
	return nil
}

// MaxConfigBytes bounds the JSON ParseConfig reads.
const MaxConfigBytes = 1 << 20

// ParseConfig reads a JSON configuration onto DefaultConfig: fields left out
// keep their defaults, unknown fields are errors that name the field, and the
// result is validated.
func ParseConfig(b []byte) (Config, error) {
	c := DefaultConfig()
	if len(b) > MaxConfigBytes {
		return c, lathe.Errorf(lathe.ETOOLARGE, "the training configuration is %d bytes; the limit is %d", len(b), MaxConfigBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, lathe.Errorf(lathe.EINVALID, "training configuration: %v", err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return c, lathe.Errorf(lathe.EINVALID, "training configuration: trailing data after the JSON object")
	}
	return c, c.Validate()
}
