package builtin

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/latheml/lathe/internal/ml"
	"github.com/latheml/lathe/internal/ml/frame"
	"github.com/latheml/lathe/internal/ml/modeldir"
)

const trainSpec = `$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
name: lathe.train_tabular
version: "1"
display_name: Train a tabular model
description: Train gradient-boosted trees, a linear model or the baseline on a CSV table, in pure Go; logs params, the validation loss of every boosting round and the model.
type: command
is_deterministic: true
inputs:
  train: {type: uri_folder}
  validation: {type: uri_folder, optional: true}
  label: {type: string}
  algorithm: {type: string, default: gbdt, enum: [gbdt, linear, baseline]}
  n_estimators: {type: integer, default: 200, min: 1, max: 10000}
  learning_rate: {type: number, default: 0.1, min: 0.0001, max: 1}
  max_leaves: {type: integer, default: 31, min: 2, max: 4096}
  exclude: {type: string, optional: true}
  seed: {type: integer, default: 7}
outputs:
  model: {type: custom_model}
environment: azureml:lathe-builtin@latest
command: >-
  lathe exec builtin train_tabular --train ${{inputs.train}} $[[--validation ${{inputs.validation}}]]
  --label ${{inputs.label}} --algorithm ${{inputs.algorithm}} --n-estimators ${{inputs.n_estimators}}
  --learning-rate ${{inputs.learning_rate}} --max-leaves ${{inputs.max_leaves}} $[[--exclude ${{inputs.exclude}}]]
  --seed ${{inputs.seed}} --model ${{outputs.model}}
`

func trainComponent() Component {
	return Component{Name: "train_tabular", Summary: "train a tabular model (GBDT, linear, baseline) and save it as a lathe_model", Spec: trainSpec, run: runTrain}
}

// trainFlags are the hyperparameter flags train_tabular and automl share.
type trainFlags struct {
	train, valid, label, algorithm, exclude, config, model *string
	trees, leaves                                          *int
	lr                                                     *float64
	seed                                                   *uint64
}

func addTrainFlags(fs *flag.FlagSet) *trainFlags {
	return &trainFlags{
		train:     fs.String("train", "", "training data: a CSV file or a folder of them"),
		valid:     fs.String("validation", "", "validation data for early stopping and the per-round loss (optional)"),
		label:     fs.String("label", "", "the column to predict"),
		algorithm: fs.String("algorithm", "gbdt", "gbdt, linear or baseline"),
		exclude:   fs.String("exclude", "", "comma-separated columns never used as features"),
		config:    fs.String("config", "", "full training configuration as JSON (overrides the other hyperparameter flags)"),
		model:     fs.String("model", "", "output folder for the lathe_model"),
		trees:     fs.Int("n-estimators", 200, "boosting rounds"),
		leaves:    fs.Int("max-leaves", 31, "leaves per tree"),
		lr:        fs.Float64("learning-rate", 0.1, "learning rate"),
		seed:      fs.Uint64("seed", 7, "random seed"),
	}
}

// config builds the training configuration from the flags.
func (f *trainFlags) cfg() (ml.Config, error) {
	cfg := ml.DefaultConfig()
	if *f.config != "" {
		var err error
		if cfg, err = ml.ParseConfig([]byte(*f.config)); err != nil {
			return cfg, err
		}
	} else {
		cfg.Algorithm = ml.Algorithm(*f.algorithm)
		cfg.GBDT.Trees, cfg.GBDT.MaxLeaves, cfg.GBDT.LearningRate = *f.trees, *f.leaves, *f.lr
	}
	cfg.Label, cfg.Seed = *f.label, *f.seed
	if *f.exclude != "" {
		cfg.Exclude = strings.Split(*f.exclude, ",")
	}
	return cfg, cfg.Validate()
}

// params flattens a configuration into MLflow params ("gbdt.learning_rate").
func params(cfg ml.Config) map[string]string {
	b, _ := json.Marshal(cfg)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				key := k
				if prefix != "" {
					key = prefix + "." + k
				}
				walk(key, e)
			}
		case []any:
			parts := make([]string, len(x))
			for i, e := range x {
				parts[i] = fmt.Sprint(e)
			}
			out[prefix] = strings.Join(parts, ",")
		default:
			out[prefix] = fmt.Sprint(x)
		}
	}
	walk("", m)
	// Only the learner in use, to keep the run readable.
	for k := range out {
		if (cfg.Algorithm != ml.GBDT && strings.HasPrefix(k, "gbdt.")) || (cfg.Algorithm != ml.Linear && strings.HasPrefix(k, "linear.")) {
			delete(out, k)
		}
	}
	return out
}

func runTrain(ctx context.Context, fs *flag.FlagSet, args []string, env Env) error {
	f := addTrainFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(map[string]string{"train": *f.train, "label": *f.label, "model": *f.model}); err != nil {
		return err
	}
	cfg, err := f.cfg()
	if err != nil {
		return err
	}
	train, err := readFrame(*f.train)
	if err != nil {
		return err
	}
	vf, err := optionalFrame(*f.valid)
	if err != nil {
		return err
	}
	if env.Tracker != nil {
		if err := env.Tracker.LogParams(ctx, params(cfg)); err != nil {
			return err
		}
	}
	start := env.Now()
	m, err := ml.Train(ctx, train, vf, cfg)
	if err != nil {
		return err
	}
	took := env.Now().Sub(start)
	fmt.Fprintf(env.Stdout, "trained %s on %d rows in %s\n", cfg.Algorithm, train.Rows(), took.Round(time.Millisecond))
	for _, w := range m.Info.Warnings {
		fmt.Fprintf(env.Stdout, "warning: %s\n", w)
	}
	if err := saveModel(*f.model, m, train); err != nil {
		return err
	}
	if env.Tracker != nil {
		pts := []Point{{"train_rows", float64(train.Rows()), 0}, {"train_seconds", took.Seconds(), 0}}
		for i, l := range m.Info.ValidLoss {
			pts = append(pts, Point{"valid_loss", l, int64(i + 1)})
		}
		if err := env.Tracker.LogMetrics(ctx, pts); err != nil {
			return err
		}
		if err := env.Tracker.LogDir(ctx, *f.model, "model"); err != nil {
			return err
		}
	}
	return nil
}

// optionalFrame reads a path, or returns nil for "".
func optionalFrame(path string) (*mlFrame, error) {
	if path == "" {
		return nil, nil
	}
	return readFrame(path)
}

// saveModel writes the model directory with a few input example rows.
func saveModel(dir string, m *ml.Model, train *mlFrame) error {
	rows := make([]int, 0, 3)
	for i := 0; i < min(3, train.Rows()); i++ {
		rows = append(rows, i)
	}
	return modeldir.Save(dir, m, modeldir.SaveOptions{Example: train.Take(rows), Created: time.Now().UTC()})
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// mlFrame is the learners' table type.
type mlFrame = frame.Frame
