package cli

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
	"github.com/spf13/cobra"
)

func (a *app) experimentCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "experiment",
		Aliases: []string{"exp"},
		Short:   "List, show, delete and restore experiments",
		Long: `Experiments group runs. They are created by the MLflow client
(mlflow.set_experiment) or by jobs; this command reads and manages them.`,
	}
	cmd.AddCommand(a.expListCmd(), a.expShowCmd(), a.expStageCmd(true), a.expStageCmd(false))
	return cmd
}

func viewType(v string) (string, error) {
	switch strings.ToLower(v) {
	case "", "active":
		return "ACTIVE_ONLY", nil
	case "deleted":
		return "DELETED_ONLY", nil
	case "all":
		return "ALL", nil
	}
	return "", &usageError{lathe.Errorf(lathe.EINVALID, "--view %q: use active, deleted or all", v)}
}

func (a *app) expListCmd() *cobra.Command {
	var filter, view string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List experiments",
		Example: `  lathe experiment list
  lathe experiment list --filter "name LIKE 'churn%'" --view all -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			vt, err := viewType(view)
			if err != nil {
				return err
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			var all []client.Experiment
			token := ""
			for {
				page, next, err := c.SearchExperiments(cmd.Context(), ws, filter, vt, 1000, token)
				if err != nil {
					return err
				}
				all = append(all, page...)
				if token = next; token == "" {
					break
				}
			}
			if all == nil {
				all = []client.Experiment{}
			}
			return a.print(all, func() table {
				t := table{header: []string{"ID", "NAME", "STAGE", "CREATED", "TAGS"}}
				for _, e := range all {
					t.rows = append(t.rows, []string{e.ID, e.Name, e.LifecycleStage, whenMS(e.CreationTime), tagList(e.Tags)})
				}
				return t
			})
		},
	}
	cmd.Flags().StringVar(&filter, "filter", "", "MLflow filter, e.g. \"name LIKE 'churn%'\" or \"tags.team = 'a'\"")
	cmd.Flags().StringVar(&view, "view", "active", "active, deleted or all")
	return cmd
}

func whenMS(ms int64) string {
	if ms == 0 {
		return "-"
	}
	return when(time.UnixMilli(ms))
}

func tagList(tags []lathe.Tag) string {
	var parts []string
	for _, t := range tags {
		if !strings.HasPrefix(t.Key, "mlflow.") {
			parts = append(parts, t.Key+"="+t.Value)
		}
	}
	return strings.Join(parts, ", ")
}

func (a *app) expShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "show ID|NAME",
		Short:   "Show an experiment",
		Example: "  lathe experiment show churn\n  lathe experiment show 3 -o json",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			e, err := c.Experiment(cmd.Context(), ws, argv[0])
			if err != nil {
				return err
			}
			return a.print(e, func() table {
				return kv("id", e.ID, "name", e.Name, "stage", e.LifecycleStage, "artifacts", e.ArtifactLocation,
					"created", whenMS(e.CreationTime), "updated", whenMS(e.LastUpdateTime), "tags", tagList(e.Tags))
			})
		},
	}
}

func (a *app) expStageCmd(del bool) *cobra.Command {
	verb, short := "restore", "Restore a deleted experiment and the runs deleted with it"
	if del {
		verb, short = "delete", "Delete an experiment (and its runs); restore undoes it"
	}
	return &cobra.Command{
		Use:     verb + " ID|NAME",
		Short:   short,
		Example: "  lathe experiment " + verb + " churn",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			e, err := c.Experiment(cmd.Context(), ws, argv[0])
			if err != nil {
				return err
			}
			if err := c.SetExperimentDeleted(cmd.Context(), ws, e.ID, del); err != nil {
				return err
			}
			out := map[string]string{"experiment_id": e.ID, "name": e.Name, "action": verb}
			return a.print(out, func() table { return table{rows: [][]string{{verb + "d experiment " + e.Name + " (" + e.ID + ")"}}} })
		},
	}
}

func (a *app) runCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run",
		Short: "List, show, compare and download tracked runs",
	}
	cmd.AddCommand(a.runListCmd(), a.runShowCmd(), a.runCompareCmd(), a.runDownloadCmd())
	return cmd
}

func (a *app) runListCmd() *cobra.Command {
	var exps []string
	var filter, view string
	var orderBy, columns []string
	var max int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List runs, with MLflow's filter and order_by grammar",
		Example: `  lathe run list -e churn --filter "metrics.auc > 0.9 AND params.model = 'gbdt'" --order-by "metrics.auc DESC"
  lathe run list -e churn --columns metrics.auc,params.lr -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			vt, err := viewType(view)
			if err != nil {
				return err
			}
			if max < 1 || max > lathe.MaxSearchResults {
				return &usageError{lathe.Errorf(lathe.EINVALID, "--max %d: use 1 to %d", max, lathe.MaxSearchResults)}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			ids, err := a.experimentIDs(cmd, c, ws, exps)
			if err != nil {
				return err
			}
			runs, next, err := c.SearchRuns(cmd.Context(), ws, ids, filter, orderBy, vt, max, "")
			if err != nil {
				return err
			}
			if runs == nil {
				runs = []client.Run{}
			}
			return a.print(runs, func() table {
				t := table{header: append([]string{"RUN ID", "NAME", "STATUS", "STARTED"}, upper(columns)...)}
				for _, r := range runs {
					row := []string{r.Info.RunID, r.Info.RunName, r.Info.Status, whenMS(r.Info.StartTime)}
					for _, col := range columns {
						row = append(row, runValue(&r, col))
					}
					t.rows = append(t.rows, row)
				}
				if next != "" {
					t.rows = append(t.rows, []string{fmt.Sprintf("(more than %d: raise --max or narrow --filter)", max)})
				}
				return t
			})
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&exps, "experiment", "e", nil, "experiment IDs or names (default: all active experiments)")
	f.StringVar(&filter, "filter", "", "MLflow filter, e.g. \"metrics.rmse < 0.5 AND tags.team = 'a'\"")
	f.StringSliceVar(&orderBy, "order-by", nil, "order_by clauses, e.g. \"metrics.rmse ASC\"")
	f.StringSliceVar(&columns, "columns", nil, "extra columns: metrics.<k>, params.<k>, tags.<k>")
	f.StringVar(&view, "view", "active", "active, deleted or all")
	f.IntVar(&max, "max", 100, "at most this many runs")
	return cmd
}

func upper(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToUpper(s)
	}
	return out
}

// experimentIDs resolves names to IDs; none means every active experiment.
func (a *app) experimentIDs(cmd *cobra.Command, c *client.Client, ws string, refs []string) ([]string, error) {
	if len(refs) == 0 {
		exps, _, err := c.SearchExperiments(cmd.Context(), ws, "", "ACTIVE_ONLY", 1000, "")
		if err != nil {
			return nil, err
		}
		ids := make([]string, len(exps))
		for i, e := range exps {
			ids[i] = e.ID
		}
		return ids, nil
	}
	var ids []string
	for _, r := range refs {
		e, err := c.Experiment(cmd.Context(), ws, r)
		if err != nil {
			return nil, err
		}
		ids = append(ids, e.ID)
	}
	return ids, nil
}

// runValue reads metrics.<k>, params.<k> or tags.<k> of a run.
func runValue(r *client.Run, col string) string {
	kind, key, _ := strings.Cut(col, ".")
	switch kind {
	case "metrics", "metric":
		for _, m := range r.Data.Metrics {
			if m.Key == key {
				return fmtFloat(float64(m.Value))
			}
		}
	case "params", "param":
		for _, p := range r.Data.Params {
			if p.Key == key {
				return p.Value
			}
		}
	case "tags", "tag":
		for _, t := range r.Data.Tags {
			if t.Key == key {
				return t.Value
			}
		}
	}
	return "-"
}

func fmtFloat(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

func (a *app) runShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "show RUN_ID",
		Short:   "Show a run: info, params, latest metrics and tags",
		Example: "  lathe run show 3f2a9c0d... -o yaml",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			r, err := c.Run(cmd.Context(), ws, argv[0])
			if err != nil {
				return err
			}
			return a.print(r, func() table {
				t := kv("run id", r.Info.RunID, "name", r.Info.RunName, "experiment", r.Info.ExperimentID, "status", r.Info.Status,
					"user", r.Info.UserID, "started", whenMS(r.Info.StartTime), "artifacts", r.Info.ArtifactURI)
				if r.Info.EndTime != nil {
					t.rows = append(t.rows, []string{"ended", whenMS(*r.Info.EndTime)})
				}
				for _, p := range r.Data.Params {
					t.rows = append(t.rows, []string{"params." + p.Key, p.Value})
				}
				for _, m := range r.Data.Metrics {
					t.rows = append(t.rows, []string{"metrics." + m.Key, fmtFloat(float64(m.Value)) + " (step " + strconv.FormatInt(m.Step, 10) + ")"})
				}
				for _, tg := range r.Data.Tags {
					if !strings.HasPrefix(tg.Key, "mlflow.") {
						t.rows = append(t.rows, []string{"tags." + tg.Key, tg.Value})
					}
				}
				return t
			})
		},
	}
}

// Comparison is the side-by-side view of several runs.
type Comparison struct {
	Runs   []string                     `json:"runs"`
	Params map[string]map[string]string `json:"params" doc:"param → run → value"`
	Metric map[string]map[string]string `json:"metrics" doc:"metric → run → latest value"`
}

func (a *app) runCompareCmd() *cobra.Command {
	var diffOnly bool
	cmd := &cobra.Command{
		Use:     "compare RUN_ID RUN_ID...",
		Short:   "Compare up to 10 runs: params side by side, latest metrics",
		Example: "  lathe run compare 3f2a... 9b1c... --diff",
		Args:    args(cobra.RangeArgs(2, 10)),
		RunE: func(cmd *cobra.Command, ids []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			cmp := Comparison{Runs: ids, Params: map[string]map[string]string{}, Metric: map[string]map[string]string{}}
			for _, id := range ids {
				r, err := c.Run(cmd.Context(), ws, id)
				if err != nil {
					return err
				}
				for _, p := range r.Data.Params {
					if cmp.Params[p.Key] == nil {
						cmp.Params[p.Key] = map[string]string{}
					}
					cmp.Params[p.Key][id] = p.Value
				}
				for _, m := range r.Data.Metrics {
					if cmp.Metric[m.Key] == nil {
						cmp.Metric[m.Key] = map[string]string{}
					}
					cmp.Metric[m.Key][id] = fmtFloat(float64(m.Value))
				}
			}
			if diffOnly {
				for k, vals := range cmp.Params {
					if same(vals, ids) {
						delete(cmp.Params, k)
					}
				}
			}
			return a.print(cmp, func() table {
				t := table{header: append([]string{"KEY"}, shortIDs(ids)...)}
				for _, group := range []struct {
					prefix string
					m      map[string]map[string]string
				}{{"params.", cmp.Params}, {"metrics.", cmp.Metric}} {
					keys := make([]string, 0, len(group.m))
					for k := range group.m {
						keys = append(keys, k)
					}
					sort.Strings(keys)
					for _, k := range keys {
						row := []string{group.prefix + k}
						for _, id := range ids {
							row = append(row, first(group.m[k][id], "-"))
						}
						if group.prefix == "params." && !same(group.m[k], ids) {
							row[0] += " *"
						}
						t.rows = append(t.rows, row)
					}
				}
				return t
			})
		},
	}
	cmd.Flags().BoolVar(&diffOnly, "diff", false, "only params that differ")
	return cmd
}

func same(vals map[string]string, ids []string) bool {
	for _, id := range ids {
		if vals[id] != vals[ids[0]] {
			return false
		}
	}
	return true
}

func shortIDs(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id[:min(len(id), 8)]
	}
	return out
}

func (a *app) runDownloadCmd() *cobra.Command {
	var sub, dest string
	cmd := &cobra.Command{
		Use:   "download RUN_ID",
		Short: "Download a run's artifacts (all, or one file or directory with --path)",
		Example: `  lathe run download 3f2a... --dest ./out
  lathe run download 3f2a... --path model/MLmodel`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			r, err := c.Run(cmd.Context(), ws, argv[0])
			if err != nil {
				return err
			}
			root := strings.TrimPrefix(strings.TrimPrefix(r.Info.ArtifactURI, "mlflow-artifacts:"), "/")
			start := root
			if sub != "" {
				start = root + "/" + strings.Trim(sub, "/")
			}
			var files []string
			if err := walkArtifacts(cmd, c, ws, start, &files); err != nil {
				return err
			}
			if len(files) == 0 {
				// Maybe --path names a file.
				files = []string{start}
			}
			var total int64
			for _, f := range files {
				rel := strings.TrimPrefix(strings.TrimPrefix(f, root), "/")
				n, err := a.downloadArtifact(cmd, c, ws, f, filepath.Join(dest, filepath.FromSlash(rel)))
				if err != nil {
					return fmt.Errorf("%s: %w", rel, err)
				}
				total += n
			}
			out := map[string]any{"run_id": r.Info.RunID, "files": len(files), "bytes": total, "dest": dest}
			return a.print(out, func() table {
				return kv("files", strconv.Itoa(len(files)), "bytes", lathe.FormatBytes(total), "into", dest)
			})
		},
	}
	cmd.Flags().StringVar(&sub, "path", "", "a file or directory under the run's artifacts")
	cmd.Flags().StringVar(&dest, "dest", ".", "directory to write into")
	return cmd
}

// walkArtifacts collects every file under dir.
func walkArtifacts(cmd *cobra.Command, c *client.Client, ws, dir string, out *[]string) error {
	entries, err := c.ListArtifacts(cmd.Context(), ws, dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := dir + "/" + e.Path
		if e.IsDir {
			if err := walkArtifacts(cmd, c, ws, p, out); err != nil {
				return err
			}
			continue
		}
		*out = append(*out, p)
	}
	return nil
}

// downloadArtifact writes one file through a temp file renamed into place.
func (a *app) downloadArtifact(cmd *cobra.Command, c *client.Client, ws, path, to string) (int64, error) {
	rc, size, err := c.OpenArtifact(cmd.Context(), ws, path)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(to), "."+filepath.Base(to)+".part-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	p := newProgress(a.io.Err, filepath.Base(to), size)
	n, err := io.Copy(p.Writer(tmp), rc)
	p.Finish()
	if err == nil && size >= 0 && n != size {
		err = lathe.Errorf(lathe.EUNAVAILABLE, "download broke off after %d of %d bytes", n, size)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	return n, os.Rename(tmp.Name(), to)
}
