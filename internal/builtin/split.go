package builtin

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"sort"

	"github.com/latheml/lathe"
)

const splitSpec = `$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
name: lathe.split_data
version: "1"
display_name: Split data
description: Split a CSV table into train, validation and test sets (stratified by the label when given).
type: command
is_deterministic: true
inputs:
  data: {type: uri_file}
  label: {type: string, optional: true}
  test_fraction: {type: number, default: 0.2, min: 0, max: 0.9}
  validation_fraction: {type: number, default: 0.0, min: 0, max: 0.9}
  seed: {type: integer, default: 7}
outputs:
  train: {type: uri_folder}
  validation: {type: uri_folder}
  test: {type: uri_folder}
environment: azureml:lathe-builtin@latest
command: >-
  lathe exec builtin split_data --data ${{inputs.data}} $[[--label ${{inputs.label}}]]
  --test-fraction ${{inputs.test_fraction}} --validation-fraction ${{inputs.validation_fraction}}
  --seed ${{inputs.seed}} --train ${{outputs.train}} --validation ${{outputs.validation}} --test ${{outputs.test}}
`

func splitComponent() Component {
	return Component{Name: "split_data", Summary: "split a CSV table into train, validation and test sets", Spec: splitSpec, run: runSplit}
}

// assignSplits gives each row a set: 0 train, 1 validation, 2 test. With
// groups (rows by label) every group is split in the same proportions.
func assignSplits(groups [][]int, rows int, testFrac, validFrac float64, seed uint64) []int {
	out := make([]int, rows)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	for _, g := range groups {
		idx := append([]int(nil), g...)
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		nt := int(float64(len(idx))*testFrac + 0.5)
		nv := int(float64(len(idx))*validFrac + 0.5)
		for i, r := range idx {
			switch {
			case i < nt:
				out[r] = 2
			case i < nt+nv:
				out[r] = 1
			}
		}
	}
	return out
}

func runSplit(ctx context.Context, fs *flag.FlagSet, args []string, env Env) error {
	data := fs.String("data", "", "input CSV file or folder")
	label := fs.String("label", "", "label column to stratify by (optional)")
	testFrac := fs.Float64("test-fraction", 0.2, "share of rows for the test set")
	validFrac := fs.Float64("validation-fraction", 0, "share of rows for the validation set")
	seed := fs.Uint64("seed", 7, "random seed")
	train := fs.String("train", "", "output folder for train.csv")
	valid := fs.String("validation", "", "output folder for validation.csv")
	test := fs.String("test", "", "output folder for test.csv")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(map[string]string{"data": *data, "train": *train, "test": *test}); err != nil {
		return err
	}
	if *testFrac < 0 || *validFrac < 0 || *testFrac+*validFrac >= 1 {
		return lathe.Errorf(lathe.EINVALID, "--test-fraction %g and --validation-fraction %g must be ≥ 0 and sum to less than 1", *testFrac, *validFrac)
	}
	if *validFrac > 0 && *valid == "" {
		return lathe.Errorf(lathe.EINVALID, "--validation-fraction is set but --validation (the output folder) is not")
	}
	header, rows, err := readTable(*data)
	if err != nil {
		return err
	}
	groups := [][]int{make([]int, len(rows))}
	for i := range rows {
		groups[0][i] = i
	}
	if *label != "" {
		col := -1
		for i, h := range header {
			if h == *label {
				col = i
			}
		}
		if col < 0 {
			return lathe.Errorf(lathe.EINVALID, "label column %q is not in the data (columns: %v)", *label, header)
		}
		by := map[string][]int{}
		for i, r := range rows {
			by[r[col]] = append(by[r[col]], i)
		}
		keys := make([]string, 0, len(by))
		for k := range by {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		groups = groups[:0]
		for _, k := range keys {
			groups = append(groups, by[k])
		}
	}
	set := assignSplits(groups, len(rows), *testFrac, *validFrac, *seed)
	parts := make([][][]string, 3)
	for i, r := range rows {
		parts[set[i]] = append(parts[set[i]], r)
	}
	outs := []struct{ dir, name string }{{*train, "train.csv"}, {*valid, "validation.csv"}, {*test, "test.csv"}}
	for i, o := range outs {
		if o.dir == "" {
			continue
		}
		if err := writeTable(o.dir, o.name, header, parts[i]); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.Stdout, "split %d rows: train %d, validation %d, test %d\n", len(rows), len(parts[0]), len(parts[1]), len(parts[2]))
	if env.Tracker != nil {
		if err := env.Tracker.LogParams(ctx, map[string]string{"split.test_fraction": fmt.Sprint(*testFrac), "split.validation_fraction": fmt.Sprint(*validFrac), "split.seed": fmt.Sprint(*seed), "split.stratify": *label}); err != nil {
			return err
		}
		return env.Tracker.LogMetrics(ctx, []Point{{"rows_train", float64(len(parts[0])), 0}, {"rows_validation", float64(len(parts[1])), 0}, {"rows_test", float64(len(parts[2])), 0}})
	}
	return nil
}
