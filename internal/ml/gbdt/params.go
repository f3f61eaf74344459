// Package gbdt trains and evaluates histogram-based gradient-boosted decision
// trees in the manner of LightGBM: features are binned by quantiles, each
// node's split is found from gradient/hessian histograms (the larger child's
// histogram is the parent's minus the smaller child's), trees grow leaf-wise
// up to MaxLeaves, missing values go to the side learned per split, and
// categorical features split natively on sets of categories ordered by their
// gradient statistics. Objectives: binary log loss, multiclass softmax (one
// tree per class per round) and squared error. TreeSHAP gives exact per-row
// contributions.
//
// Training is deterministic for a given seed, whatever the number of threads:
// parallel work is cut into pieces that do not depend on the thread count and
// is summed in a fixed order.
package gbdt

import (
	"runtime"

	"github.com/latheml/lathe"
)

// Params are the hyperparameters. Start from DefaultParams; Validate names any
// parameter out of range with its allowed range. JSON names follow scikit-learn
// and LightGBM usage.
type Params struct {
	// Trees is the number of boosting rounds (one tree per round, or one per
	// class and round for multiclass).
	Trees int `json:"n_estimators"`
	// LearningRate shrinks every tree's leaf values.
	LearningRate float64 `json:"learning_rate"`
	// MaxLeaves bounds the leaves per tree; growth is best-first (leaf-wise).
	MaxLeaves int `json:"max_leaves"`
	// MaxDepth bounds the depth of a tree; 0 means no limit besides MaxLeaves.
	MaxDepth int `json:"max_depth"`
	// MinSamplesLeaf is the least number of training rows in a leaf.
	MinSamplesLeaf int `json:"min_samples_leaf"`
	// MinHessianLeaf is the least sum of hessians in a leaf.
	MinHessianLeaf float64 `json:"min_child_weight"`
	// L2 is the L2 regularisation on leaf values.
	L2 float64 `json:"l2_regularization"`
	// MinGain is the least loss reduction a split must bring.
	MinGain float64 `json:"min_split_gain"`
	// MaxBins is the number of bins for non-missing values per feature (one
	// more bin holds missing values).
	MaxBins int `json:"max_bins"`
	// RowSample is the fraction of rows drawn (without replacement) for each
	// round; 1 uses every row.
	RowSample float64 `json:"subsample"`
	// ColSample is the fraction of features drawn for each tree.
	ColSample float64 `json:"colsample_bytree"`
	// EarlyStoppingRounds stops training when the validation loss has not
	// improved by more than Tolerance for this many rounds, and keeps the
	// best round. 0 disables early stopping. It needs a validation set.
	EarlyStoppingRounds int `json:"early_stopping_rounds"`
	// Tolerance is the least improvement that counts for early stopping.
	Tolerance float64 `json:"tol"`
	// CatSmooth is added to the hessian sum when ordering categories.
	CatSmooth float64 `json:"cat_smooth"`
	// CatL2 is extra L2 regularisation for categorical splits.
	CatL2 float64 `json:"cat_l2"`
	// MaxCatThreshold bounds the categories on the smaller side of a split.
	MaxCatThreshold int `json:"max_cat_threshold"`
	// MaxCatOneHot: features with at most this many categories in a node are
	// split one category against the rest.
	MaxCatOneHot int `json:"max_cat_to_onehot"`
	// MinCatCount: categories with fewer rows in a node are not ordered and
	// stay on the right side.
	MinCatCount int `json:"min_data_per_group"`
	// Threads is the number of goroutines; 0 means GOMAXPROCS. The result does
	// not depend on it.
	Threads int `json:"n_jobs"`
	// Seed drives row and column sampling and bin sampling.
	Seed uint64 `json:"seed"`
}

// DefaultParams returns scikit-learn HistGradientBoosting-like defaults.
func DefaultParams() Params {
	return Params{
		Trees:           100,
		LearningRate:    0.1,
		MaxLeaves:       31,
		MinSamplesLeaf:  20,
		MinHessianLeaf:  1e-3,
		MaxBins:         255,
		RowSample:       1,
		ColSample:       1,
		Tolerance:       1e-7,
		CatSmooth:       10,
		CatL2:           10,
		MaxCatThreshold: 32,
		MaxCatOneHot:    4,
		MinCatCount:     10,
	}
}

// Limits on hyperparameters.
const (
	MaxTrees  = 100_000
	MaxLeaves = 1 << 16
	MaxDepth  = 64
)

func errRange(name, rng string, got any) error {
	return lathe.Errorf(lathe.EINVALID, "gbdt: %s must be %s, got %v", name, rng, got)
}

// Validate checks every parameter against its allowed range.
func (p *Params) Validate() error {
	switch {
	case p.Trees < 1 || p.Trees > MaxTrees:
		return errRange("n_estimators", "an integer in [1, 100000]", p.Trees)
	case !(p.LearningRate > 0 && p.LearningRate <= 1):
		return errRange("learning_rate", "in (0, 1]", p.LearningRate)
	case p.MaxLeaves < 2 || p.MaxLeaves > MaxLeaves:
		return errRange("max_leaves", "an integer in [2, 65536]", p.MaxLeaves)
	case p.MaxDepth < 0 || p.MaxDepth > MaxDepth:
		return errRange("max_depth", "an integer in [0, 64] (0 = no limit)", p.MaxDepth)
	case p.MinSamplesLeaf < 1:
		return errRange("min_samples_leaf", "an integer >= 1", p.MinSamplesLeaf)
	case !(p.MinHessianLeaf >= 0) || p.MinHessianLeaf > 1e300:
		return errRange("min_child_weight", ">= 0", p.MinHessianLeaf)
	case !(p.L2 >= 0) || p.L2 > 1e300:
		return errRange("l2_regularization", ">= 0", p.L2)
	case !(p.MinGain >= 0) || p.MinGain > 1e300:
		return errRange("min_split_gain", ">= 0", p.MinGain)
	case p.MaxBins < 2 || p.MaxBins > 255:
		return errRange("max_bins", "an integer in [2, 255]", p.MaxBins)
	case !(p.RowSample > 0 && p.RowSample <= 1):
		return errRange("subsample", "in (0, 1]", p.RowSample)
	case !(p.ColSample > 0 && p.ColSample <= 1):
		return errRange("colsample_bytree", "in (0, 1]", p.ColSample)
	case p.EarlyStoppingRounds < 0 || p.EarlyStoppingRounds > MaxTrees:
		return errRange("early_stopping_rounds", "an integer in [0, 100000] (0 = off)", p.EarlyStoppingRounds)
	case !(p.Tolerance >= 0) || p.Tolerance > 1e300:
		return errRange("tol", ">= 0", p.Tolerance)
	case !(p.CatSmooth >= 0) || p.CatSmooth > 1e300:
		return errRange("cat_smooth", ">= 0", p.CatSmooth)
	case !(p.CatL2 >= 0) || p.CatL2 > 1e300:
		return errRange("cat_l2", ">= 0", p.CatL2)
	case p.MaxCatThreshold < 1:
		return errRange("max_cat_threshold", "an integer >= 1", p.MaxCatThreshold)
	case p.MaxCatOneHot < 0:
		return errRange("max_cat_to_onehot", "an integer >= 0", p.MaxCatOneHot)
	case p.MinCatCount < 0:
		return errRange("min_data_per_group", "an integer >= 0", p.MinCatCount)
	case p.Threads < 0 || p.Threads > 1024:
		return errRange("n_jobs", "an integer in [0, 1024] (0 = all cores)", p.Threads)
	}
	return nil
}

func (p *Params) threads() int {
	if p.Threads > 0 {
		return p.Threads
	}
	return runtime.GOMAXPROCS(0)
}
