package builtin

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml"
	"github.com/latheml/lathe/internal/ml/metric"
	"github.com/latheml/lathe/internal/ml/modeldir"
)

const evaluateSpec = `$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
name: lathe.evaluate
version: "1"
display_name: Evaluate a tabular model
description: Score a lathe_model on labelled data; writes metrics.json and SVG plots (ROC, PR, confusion matrix, calibration, importance) and logs them.
type: command
is_deterministic: true
inputs:
  model: {type: custom_model}
  data: {type: uri_folder}
  slice_by: {type: string, optional: true}
outputs:
  evaluation: {type: uri_folder}
environment: azureml:lathe-builtin@latest
command: >-
  lathe exec builtin evaluate --model ${{inputs.model}} --data ${{inputs.data}}
  $[[--slice-by ${{inputs.slice_by}}]] --output ${{outputs.evaluation}}
`

func evaluateComponent() Component {
	return Component{Name: "evaluate", Summary: "score a model on labelled data: metrics.json and ROC, PR, confusion, calibration and importance plots", Spec: evaluateSpec, run: runEvaluate}
}

func runEvaluate(ctx context.Context, fs *flag.FlagSet, args []string, env Env) error {
	modelDir := fs.String("model", "", "the lathe_model folder")
	data := fs.String("data", "", "labelled data: a CSV file or folder")
	sliceBy := fs.String("slice-by", "", "comma-separated categorical columns to report metrics per value of")
	out := fs.String("output", "", "output folder for metrics.json and the plots")
	prefix := fs.String("metric-prefix", "test_", "prefix of the logged metric names")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(map[string]string{"model": *modelDir, "data": *data, "output": *out}); err != nil {
		return err
	}
	m, err := modeldir.Load(*modelDir)
	if err != nil {
		return err
	}
	f, err := readFrame(*data)
	if err != nil {
		return err
	}
	var slices []string
	if *sliceBy != "" {
		slices = strings.Split(*sliceBy, ",")
	}
	ev, err := m.Evaluate(f, slices)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", *out, err)
	}
	files := map[string]string{}
	b, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		return err
	}
	files["metrics.json"] = string(b)
	var pts []Point
	add := func(k string, v float64) { pts = append(pts, Point{*prefix + k, v, 0}) }
	kind, imp := m.Importance()
	names, vals := make([]string, len(imp)), make([]float64, len(imp))
	for i, x := range imp {
		names[i], vals[i] = x.Feature, x.Value
	}
	files["importance.svg"] = barsSVG("Feature importance ("+kind+")", names, vals)
	switch {
	case ev.Classification != nil:
		c := ev.Classification
		add("accuracy", c.Accuracy)
		add("f1", c.F1)
		add("precision", c.Precision)
		add("recall", c.Recall)
		add("roc_auc", c.ROCAUC)
		add("pr_auc", c.PRAUC)
		add("log_loss", c.LogLoss)
		add("f1_macro", c.Macro.F1)
		add("f1_weighted", c.Weighted.F1)
		files["confusion_matrix.svg"] = matrixSVG("Confusion matrix", m.Classes, c.Confusion)
		if m.Task == ml.Binary {
			pos, score, err := binaryScores(m, f)
			if err != nil {
				return err
			}
			files["roc.svg"] = lineSVG(fmt.Sprintf("ROC curve (AUC %.4f)", c.ROCAUC), "false positive rate", "true positive rate",
				[]curve{{"model", rocPoints(pos, score)}}, 0, 1, 0, 1, true)
			files["pr.svg"] = lineSVG(fmt.Sprintf("Precision-recall (AP %.4f)", c.PRAUC), "recall", "precision",
				[]curve{{"model", prPoints(pos, score)}}, 0, 1, 0, 1, false)
			var cal []xy
			for _, bin := range metric.Calibration(pos, score, metric.CalibrationBins) {
				cal = append(cal, xy{bin.MeanPredicted, bin.FracPositive})
			}
			files["calibration.svg"] = lineSVG("Calibration", "mean predicted probability", "fraction positive",
				[]curve{{"model", cal}}, 0, 1, 0, 1, true)
		}
		fmt.Fprintf(env.Stdout, "accuracy %.4f, ROC AUC %.4f, PR AUC %.4f, log loss %.4f on %d rows\n", c.Accuracy, c.ROCAUC, c.PRAUC, c.LogLoss, c.Count)
	case ev.Regression != nil:
		r := ev.Regression
		add("mae", r.MAE)
		add("rmse", r.RMSE)
		add("r2", r.R2)
		add("mape", r.MAPE)
		fmt.Fprintf(env.Stdout, "MAE %.4f, RMSE %.4f, R² %.4f\n", r.MAE, r.RMSE, r.R2)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(*out, name), []byte(body), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	if env.Tracker != nil {
		if err := env.Tracker.LogMetrics(ctx, pts); err != nil {
			return err
		}
		return env.Tracker.LogDir(ctx, *out, "evaluation")
	}
	return nil
}

// binaryScores returns, for rows with a known label, whether each is the
// positive class and the model's probability of it.
func binaryScores(m *ml.Model, f *mlFrame) ([]bool, []float64, error) {
	col := f.Column(m.Label)
	if col == nil {
		return nil, nil, lathe.Errorf(lathe.EINVALID, "the data has no label column %q", m.Label)
	}
	p, err := m.Predict(f)
	if err != nil {
		return nil, nil, err
	}
	var pos []bool
	var score []float64
	for i := 0; i < f.Rows(); i++ {
		if col.IsMissing(i) {
			continue
		}
		v := col.String(i)
		if v != m.Classes[0] && v != m.Classes[1] {
			continue
		}
		pos = append(pos, v == m.Classes[1])
		score = append(score, p.Proba[2*i+1])
	}
	return pos, score, nil
}
