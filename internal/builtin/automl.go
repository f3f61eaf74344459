package builtin

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml"
)

const automlSpec = `$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
name: lathe.automl_tabular
version: "1"
display_name: AutoML for tabular data
description: Try algorithms and hyperparameters within a trial and time budget with k-fold cross-validation, log each trial as a child run, keep the best by the primary metric and output it.
type: command
is_deterministic: true
inputs:
  train: {type: uri_folder}
  validation: {type: uri_folder, optional: true}
  label: {type: string}
  primary_metric: {type: string, default: roc_auc, enum: [roc_auc, pr_auc, accuracy, f1, log_loss, r2, rmse, mae]}
  max_trials: {type: integer, default: 12, min: 1, max: 200}
  timeout_minutes: {type: integer, default: 30, min: 1, max: 1440}
  folds: {type: integer, default: 3, min: 2, max: 10}
  exclude: {type: string, optional: true}
  seed: {type: integer, default: 7}
outputs:
  model: {type: custom_model}
environment: azureml:lathe-builtin@latest
command: >-
  lathe exec builtin automl_tabular --train ${{inputs.train}} $[[--validation ${{inputs.validation}}]]
  --label ${{inputs.label}} --primary-metric ${{inputs.primary_metric}} --max-trials ${{inputs.max_trials}}
  --timeout ${{inputs.timeout_minutes}}m --folds ${{inputs.folds}} $[[--exclude ${{inputs.exclude}}]]
  --seed ${{inputs.seed}} --model ${{outputs.model}}
`

func automlComponent() Component {
	return Component{Name: "automl_tabular", Summary: "search algorithms and hyperparameters with k-fold cross-validation and keep the best model", Spec: automlSpec, run: runAutoML}
}

// metrics where a smaller value is better.
var lowerIsBetter = map[string]bool{"log_loss": true, "rmse": true, "mae": true}

// candidates returns the trial configurations, baseline and a quick linear
// model first, then GBDT settings drawn from a grid in a seeded order.
func candidates(base ml.Config, seed uint64) []ml.Config {
	var out []ml.Config
	b := base
	b.Algorithm = ml.Baseline
	out = append(out, b)
	for _, l2 := range []float64{1, 0.01} {
		c := base
		c.Algorithm = ml.Linear
		c.Linear.L2 = l2
		out = append(out, c)
	}
	var grid []ml.Config
	for _, lr := range []float64{0.05, 0.1, 0.2} {
		for _, leaves := range []int{15, 31, 63} {
			for _, trees := range []int{100, 300} {
				c := base
				c.Algorithm = ml.GBDT
				c.GBDT.LearningRate, c.GBDT.MaxLeaves, c.GBDT.Trees = lr, leaves, trees
				grid = append(grid, c)
			}
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0xa07))
	rng.Shuffle(len(grid), func(i, j int) { grid[i], grid[j] = grid[j], grid[i] })
	// The default GBDT goes first among the trees.
	def := base
	def.Algorithm = ml.GBDT
	return append(append(out, def), grid...)
}

// score reads the primary metric from an evaluation.
func score(ev *ml.Evaluation, name string) (float64, error) {
	if c := ev.Classification; c != nil {
		switch name {
		case "roc_auc":
			return c.ROCAUC, nil
		case "pr_auc":
			return c.PRAUC, nil
		case "accuracy":
			return c.Accuracy, nil
		case "f1":
			return c.F1, nil
		case "log_loss":
			return c.LogLoss, nil
		}
	}
	if r := ev.Regression; r != nil {
		switch name {
		case "r2":
			return r.R2, nil
		case "rmse":
			return r.RMSE, nil
		case "mae":
			return r.MAE, nil
		}
	}
	return 0, lathe.Errorf(lathe.EINVALID, "primary metric %q does not apply to this task", name)
}

// folds splits rows into k folds of a seeded permutation.
func folds(n, k int, seed uint64) [][]int {
	perm := rand.New(rand.NewPCG(seed, 0xf01d)).Perm(n)
	out := make([][]int, k)
	for i, r := range perm {
		out[i%k] = append(out[i%k], r)
	}
	for _, f := range out {
		sort.Ints(f)
	}
	return out
}

// crossValidate trains cfg on k-1 folds and scores the held-out one, k
// times, and returns the mean score.
func crossValidate(ctx context.Context, train *mlFrame, cfg ml.Config, parts [][]int, metric string) (float64, error) {
	var sum float64
	for i := range parts {
		var fit []int
		for j, p := range parts {
			if j != i {
				fit = append(fit, p...)
			}
		}
		sort.Ints(fit)
		m, err := ml.Train(ctx, train.Take(fit), nil, cfg)
		if err != nil {
			return 0, err
		}
		ev, err := m.Evaluate(train.Take(parts[i]), nil)
		if err != nil {
			return 0, err
		}
		s, err := score(ev, metric)
		if err != nil {
			return 0, err
		}
		sum += s
	}
	return sum / float64(len(parts)), nil
}

func runAutoML(ctx context.Context, fs *flag.FlagSet, args []string, env Env) error {
	f := addTrainFlags(fs)
	primary := fs.String("primary-metric", "roc_auc", "metric to maximise (log_loss, rmse and mae are minimised)")
	maxTrials := fs.Int("max-trials", 12, "most configurations to try")
	timeout := fs.Duration("timeout", 30*time.Minute, "time budget for the search")
	k := fs.Int("folds", 3, "cross-validation folds")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(map[string]string{"train": *f.train, "label": *f.label, "model": *f.model}); err != nil {
		return err
	}
	switch {
	case *maxTrials < 1 || *maxTrials > 200:
		return lathe.Errorf(lathe.EINVALID, "--max-trials %d: use 1 to 200", *maxTrials)
	case *k < 2 || *k > 10:
		return lathe.Errorf(lathe.EINVALID, "--folds %d: use 2 to 10", *k)
	case *timeout <= 0:
		return lathe.Errorf(lathe.EINVALID, "--timeout must be positive")
	}
	base, err := f.cfg()
	if err != nil {
		return err
	}
	train, err := readFrame(*f.train)
	if err != nil {
		return err
	}
	if train.Rows() < 2**k {
		return lathe.Errorf(lathe.EINVALID, "%d rows are too few for %d folds", train.Rows(), *k)
	}
	valid, err := optionalFrame(*f.valid)
	if err != nil {
		return err
	}
	deadline := env.Now().Add(*timeout)
	parts := folds(train.Rows(), *k, *f.seed)
	type trial struct {
		cfg   ml.Config
		score float64
	}
	var best *trial
	better := func(a, b float64) bool {
		if lowerIsBetter[*primary] {
			return a < b
		}
		return a > b
	}
	tried := 0
	for i, cfg := range candidates(base, *f.seed) {
		if tried == *maxTrials || env.Now().After(deadline) {
			break
		}
		tried++
		start := env.Now()
		s, err := crossValidate(ctx, train, cfg, parts, *primary)
		if err != nil {
			return fmt.Errorf("trial %d (%s): %w", i+1, cfg.Algorithm, err)
		}
		desc := describe(cfg)
		fmt.Fprintf(env.Stdout, "trial %2d  %-40s cv %s %.4f  (%s)\n", tried, desc, *primary, s, env.Now().Sub(start).Round(time.Millisecond))
		if env.Tracker != nil {
			child, err := env.Tracker.Child(ctx, fmt.Sprintf("trial-%02d-%s", tried, cfg.Algorithm))
			if err != nil {
				return err
			}
			if err := child.LogParams(ctx, params(cfg)); err != nil {
				return err
			}
			if err := child.LogMetrics(ctx, []Point{{"cv_" + *primary, s, 0}, {"trial_seconds", env.Now().Sub(start).Seconds(), 0}}); err != nil {
				return err
			}
			if err := child.End(ctx, true); err != nil {
				return err
			}
			if err := env.Tracker.LogMetrics(ctx, []Point{{"trial_cv_" + *primary, s, int64(tried)}}); err != nil {
				return err
			}
		}
		if best == nil || (!math.IsNaN(s) && better(s, best.score)) {
			best = &trial{cfg, s}
		}
	}
	if best == nil {
		return lathe.Errorf(lathe.EINVALID, "no trial ran within the budget")
	}
	fmt.Fprintf(env.Stdout, "best of %d trials: %s, cv %s %.4f; retraining on all %d rows\n", tried, describe(best.cfg), *primary, best.score, train.Rows())
	m, err := ml.Train(ctx, train, valid, best.cfg)
	if err != nil {
		return err
	}
	if err := saveModel(*f.model, m, train); err != nil {
		return err
	}
	if env.Tracker != nil {
		ps := params(best.cfg)
		ps["automl.primary_metric"], ps["automl.trials"], ps["automl.folds"] = *primary, fmt.Sprint(tried), fmt.Sprint(*k)
		if err := env.Tracker.LogParams(ctx, ps); err != nil {
			return err
		}
		if err := env.Tracker.LogMetrics(ctx, []Point{{"best_cv_" + *primary, best.score, 0}}); err != nil {
			return err
		}
		return env.Tracker.LogDir(ctx, *f.model, "model")
	}
	return nil
}

// describe is a one-line summary of a configuration.
func describe(c ml.Config) string {
	switch c.Algorithm {
	case ml.GBDT:
		return fmt.Sprintf("gbdt lr=%g leaves=%d trees=%d", c.GBDT.LearningRate, c.GBDT.MaxLeaves, c.GBDT.Trees)
	case ml.Linear:
		b, _ := json.Marshal(c.Linear)
		return "linear " + strings.Trim(string(b), "{}")
	}
	return string(c.Algorithm)
}
