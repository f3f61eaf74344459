package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/latheml/lathe"
)

// CreateRun inserts a run with its tags in one transaction.
func (db *DB) CreateRun(ctx context.Context, r *lathe.RunInfo, tags []lathe.Tag) error {
	exp, err := expID(r.ExperimentID)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO runs (run_id, workspace_id, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			r.RunID, r.WorkspaceID, exp, r.Name, r.UserID, r.Status, r.StartTime, nullInt(r.EndTime), r.ArtifactURI, r.LifecycleStage)
		if err = db.conflict(err, "Run with id=%s already exists", r.RunID); err != nil {
			return fmt.Errorf("create run: %w", err)
		}
		return db.setTags(ctx, tx, r.RunID, tags)
	})
}

func nullInt(p *int64) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *p, Valid: true}
}

func intPtr(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	x := v.Int64
	return &x
}

const runCols = `run_id, workspace_id, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage, deleted_time`

func scanRunInfo(row interface{ Scan(...any) error }) (*lathe.RunInfo, error) {
	var r lathe.RunInfo
	var exp int64
	var end, del sql.NullInt64
	if err := row.Scan(&r.RunID, &r.WorkspaceID, &exp, &r.Name, &r.UserID, &r.Status, &r.StartTime, &end, &r.ArtifactURI, &r.LifecycleStage, &del); err != nil {
		return nil, err
	}
	r.ExperimentID, r.EndTime, r.DeletedTime = strconv.FormatInt(exp, 10), intPtr(end), intPtr(del)
	return &r, nil
}

func runNotFound(id string) error {
	return lathe.Errorf(lathe.ENOTFOUND, "Run with id=%s not found", id)
}

// RunInfo returns a run's metadata, or lathe.ENOTFOUND if the workspace has
// no such run.
func (db *DB) RunInfo(ctx context.Context, ws, id string) (*lathe.RunInfo, error) {
	r, err := scanRunInfo(db.r.QueryRowContext(ctx, db.q(`SELECT `+runCols+` FROM runs WHERE run_id = ? AND workspace_id = ?`), id, ws))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, runNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("get run: %w", err)
	}
	return r, nil
}

// Run returns a run with its latest metrics, params, tags and inputs.
func (db *DB) Run(ctx context.Context, ws, id string) (*lathe.Run, error) {
	info, err := db.RunInfo(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	runs := []*lathe.Run{{Info: *info}}
	if err := db.fillRuns(ctx, runs); err != nil {
		return nil, err
	}
	return runs[0], nil
}

// fillRuns loads latest metrics, params, tags and inputs for runs, with one
// query per kind for the whole set.
func (db *DB) fillRuns(ctx context.Context, runs []*lathe.Run) error {
	if len(runs) == 0 {
		return nil
	}
	byID := make(map[string]*lathe.Run, len(runs))
	args := make([]any, 0, len(runs))
	for _, r := range runs {
		byID[r.Info.RunID] = r
		args = append(args, r.Info.RunID)
	}
	in := "(?" + strings.Repeat(", ?", len(runs)-1) + ")"
	err := db.eachRow(ctx, `SELECT run_id, key, value, timestamp, step, is_nan FROM latest_metrics WHERE run_id IN `+in+` ORDER BY run_id, key`, args, func(rows *sql.Rows) error {
		var id string
		var m lathe.Metric
		var isNaN bool
		if err := rows.Scan(&id, &m.Key, &m.Value, &m.Timestamp, &m.Step, &isNaN); err != nil {
			return err
		}
		if isNaN {
			m.Value = math.NaN()
		}
		byID[id].Metrics = append(byID[id].Metrics, m)
		return nil
	})
	if err != nil {
		return fmt.Errorf("load metrics: %w", err)
	}
	for _, kind := range []string{"params", "run_tags"} {
		err := db.eachRow(ctx, `SELECT run_id, key, value FROM `+kind+` WHERE run_id IN `+in+` ORDER BY run_id, key`, args, func(rows *sql.Rows) error {
			var id string
			var t lathe.Tag
			if err := rows.Scan(&id, &t.Key, &t.Value); err != nil {
				return err
			}
			r := byID[id]
			if kind == "params" {
				r.Params = append(r.Params, t)
			} else {
				r.Tags = append(r.Tags, t)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("load %s: %w", kind, err)
		}
	}
	err = db.eachRow(ctx, `SELECT run_id, name, digest, source_type, source, schema, profile, tags FROM run_inputs WHERE run_id IN `+in+` ORDER BY run_id, name, digest`, args, func(rows *sql.Rows) error {
		var id, tags string
		var d lathe.DatasetInput
		if err := rows.Scan(&id, &d.Name, &d.Digest, &d.SourceType, &d.Source, &d.Schema, &d.Profile, &tags); err != nil {
			return err
		}
		if tags != "" {
			if err := json.Unmarshal([]byte(tags), &d.Tags); err != nil {
				return err
			}
		}
		byID[id].Inputs = append(byID[id].Inputs, d)
		return nil
	})
	if err != nil {
		return fmt.Errorf("load inputs: %w", err)
	}
	return nil
}

// eachRow runs a read query and calls fn for every row.
func (db *DB) eachRow(ctx context.Context, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := db.r.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// UpdateRun sets a run's status, end time and (if not empty) name; renaming
// also updates the mlflow.runName tag, as MLflow does.
func (db *DB) UpdateRun(ctx context.Context, ws, id, status string, end *int64, name string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := db.activeRun(ctx, tx, ws, id, true); err != nil {
			return err
		}
		q := `UPDATE runs SET status = ?, end_time = COALESCE(?, end_time)`
		args := []any{status, nullInt(end)}
		if name != "" {
			q += `, name = ?`
			args = append(args, name)
		}
		q += ` WHERE run_id = ?`
		args = append(args, id)
		if _, err := tx.ExecContext(ctx, db.q(q), args...); err != nil {
			return fmt.Errorf("update run: %w", err)
		}
		if name != "" {
			return db.setTags(ctx, tx, id, []lathe.Tag{{Key: "mlflow.runName", Value: name}})
		}
		return nil
	})
}

// SetRunStage marks a run deleted (with the time) or active again.
func (db *DB) SetRunStage(ctx context.Context, ws, id, stage string, at int64) error {
	var del sql.NullInt64
	if stage == lathe.StageDeleted {
		del = sql.NullInt64{Int64: at, Valid: true}
	}
	res, err := db.exec(ctx, `UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE run_id = ? AND workspace_id = ?`, stage, del, id, ws)
	if err != nil {
		return fmt.Errorf("set run stage: %w", err)
	}
	return oneRow(res, "Run with id=%s not found", id)
}

// activeRun checks inside tx that the workspace has the run and, if
// mustBeActive, that it is not deleted, with MLflow's messages.
func (db *DB) activeRun(ctx context.Context, tx *sql.Tx, ws, id string, mustBeActive bool) (string, error) {
	var stage string
	err := tx.QueryRowContext(ctx, db.q(`SELECT lifecycle_stage FROM runs WHERE run_id = ? AND workspace_id = ?`), id, ws).Scan(&stage)
	if errors.Is(err, sql.ErrNoRows) {
		return "", runNotFound(id)
	}
	if err != nil {
		return "", fmt.Errorf("check run: %w", err)
	}
	if mustBeActive && stage != lathe.StageActive {
		return "", lathe.Errorf(lathe.EINVALID, "The run %s must be in the 'active' state. Current state is %s.", id, stage)
	}
	return stage, nil
}

// LogBatch logs metrics, params and tags to an active run in one
// transaction: metrics append to the history and raise the latest value;
// params are write-once (the same value again is fine, another value is
// lathe.EINVALID and nothing of the batch is kept); tags are overwritten.
func (db *DB) LogBatch(ctx context.Context, ws, id string, metrics []lathe.Metric, params, tags []lathe.Tag) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := db.activeRun(ctx, tx, ws, id, true); err != nil {
			return err
		}
		if err := db.logParams(ctx, tx, id, params); err != nil {
			return err
		}
		if err := db.logMetrics(ctx, tx, id, metrics); err != nil {
			return err
		}
		if err := db.logRollups(ctx, tx, id, metrics); err != nil {
			return err
		}
		return db.setTags(ctx, tx, id, tags)
	})
}

func (db *DB) logParams(ctx context.Context, tx *sql.Tx, id string, params []lathe.Tag) error {
	for _, p := range params {
		res, err := tx.ExecContext(ctx, db.q(`INSERT INTO params (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT (run_id, key) DO NOTHING`), id, p.Key, p.Value)
		if err != nil {
			return fmt.Errorf("log param: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			continue
		}
		var old string
		if err := tx.QueryRowContext(ctx, db.q(`SELECT value FROM params WHERE run_id = ? AND key = ?`), id, p.Key).Scan(&old); err != nil {
			return fmt.Errorf("log param: %w", err)
		}
		if old != p.Value {
			return lathe.Errorf(lathe.EINVALID, "Changing param values is not allowed. Param with key='%s' was already logged with value='%s' for run ID='%s'. Attempted logging new value '%s'.", p.Key, old, id, p.Value)
		}
	}
	return nil
}

// metricRow is a metric as stored: NaN is kept as a flag, since SQLite
// turns a NaN into NULL.
func metricRow(m lathe.Metric) (float64, bool) {
	if math.IsNaN(m.Value) {
		return 0, true
	}
	return m.Value, false
}

func (db *DB) logMetrics(ctx context.Context, tx *sql.Tx, id string, metrics []lathe.Metric) error {
	// A value given twice in one batch (same key, step, timestamp and
	// value) is kept once, as in MLflow, whose metric key includes the
	// value. Across batches that needs a unique index; see docs/mlflow.md.
	type point struct {
		key      string
		step, ts int64
		value    float64
		isNaN    bool
	}
	seen := make(map[point]bool, len(metrics))
	rows := make([]any, 0, len(metrics)*6)
	for _, m := range metrics {
		v, isNaN := metricRow(m)
		p := point{m.Key, m.Step, m.Timestamp, v, isNaN}
		if seen[p] {
			continue
		}
		seen[p] = true
		rows = append(rows, id, m.Key, m.Step, m.Timestamp, v, isNaN)
	}
	const chunk = 200 * 6
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		q := `INSERT INTO metrics (run_id, key, step, timestamp, value, is_nan) VALUES (?, ?, ?, ?, ?, ?)` + strings.Repeat(`, (?, ?, ?, ?, ?, ?)`, len(part)/6-1)
		if _, err := tx.ExecContext(ctx, db.q(q), part...); err != nil {
			return fmt.Errorf("log metrics: %w", err)
		}
	}
	// The latest value per key: the largest (step, timestamp, value).
	latest := map[string]lathe.Metric{}
	for _, m := range metrics {
		if cur, ok := latest[m.Key]; !ok || later(m, cur) {
			latest[m.Key] = m
		}
	}
	keys := make([]string, 0, len(latest))
	for k := range latest {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for start := 0; start < len(keys); start += 200 {
		part := keys[start:min(start+200, len(keys))]
		args := make([]any, 0, len(part)*6)
		for _, k := range part {
			m := latest[k]
			v, isNaN := metricRow(m)
			args = append(args, id, k, m.Step, m.Timestamp, v, isNaN)
		}
		q := `INSERT INTO latest_metrics (run_id, key, step, timestamp, value, is_nan) VALUES (?, ?, ?, ?, ?, ?)` + strings.Repeat(`, (?, ?, ?, ?, ?, ?)`, len(part)-1) + `
			ON CONFLICT (run_id, key) DO UPDATE SET step = excluded.step, timestamp = excluded.timestamp, value = excluded.value, is_nan = excluded.is_nan
			WHERE excluded.step > latest_metrics.step
			   OR (excluded.step = latest_metrics.step AND excluded.timestamp > latest_metrics.timestamp)
			   OR (excluded.step = latest_metrics.step AND excluded.timestamp = latest_metrics.timestamp AND excluded.value > latest_metrics.value)`
		if _, err := tx.ExecContext(ctx, db.q(q), args...); err != nil {
			return fmt.Errorf("update latest metrics: %w", err)
		}
	}
	return nil
}

// later reports whether a comes after b in MLflow's order for the latest
// value: by step, then timestamp, then the stored value (0 for NaN).
func later(a, b lathe.Metric) bool {
	if a.Step != b.Step {
		return a.Step > b.Step
	}
	if a.Timestamp != b.Timestamp {
		return a.Timestamp > b.Timestamp
	}
	av, _ := metricRow(a)
	bv, _ := metricRow(b)
	return av > bv
}

func (db *DB) setTags(ctx context.Context, tx *sql.Tx, id string, tags []lathe.Tag) error {
	for _, t := range tags {
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)
			ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value`), id, t.Key, t.Value); err != nil {
			return fmt.Errorf("set tag: %w", err)
		}
		if t.Key == "mlflow.runName" {
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE runs SET name = ? WHERE run_id = ?`), t.Value, id); err != nil {
				return fmt.Errorf("rename run: %w", err)
			}
		}
	}
	return nil
}

// UpdateRunTag sets a tag of an active run to what fn makes of its current
// value (ok false when the run has no such tag), in one transaction, so
// concurrent updates of the same tag do not lose each other's work.
func (db *DB) UpdateRunTag(ctx context.Context, ws, id, key string, fn func(old string, ok bool) (string, error)) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if db.d.Name == "postgres" {
			// Lock the run so concurrent updates queue (SQLite has one writer).
			if _, err := tx.ExecContext(ctx, db.q(`SELECT 1 FROM runs WHERE run_id = ? FOR UPDATE`), id); err != nil {
				return fmt.Errorf("lock run: %w", err)
			}
		}
		if _, err := db.activeRun(ctx, tx, ws, id, true); err != nil {
			return err
		}
		var old string
		err := tx.QueryRowContext(ctx, db.q(`SELECT value FROM run_tags WHERE run_id = ? AND key = ?`), id, key).Scan(&old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read tag %s: %w", key, err)
		}
		value, err := fn(old, err == nil)
		if err != nil {
			return err
		}
		return db.setTags(ctx, tx, id, []lathe.Tag{{Key: key, Value: value}})
	})
}

// DeleteRunTag removes a tag from an active run.
func (db *DB) DeleteRunTag(ctx context.Context, ws, id, key string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := db.activeRun(ctx, tx, ws, id, true); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.q(`DELETE FROM run_tags WHERE run_id = ? AND key = ?`), id, key)
		if err != nil {
			return fmt.Errorf("delete tag: %w", err)
		}
		return oneRow(res, "No tag with name: %s in run with id %s", key, id)
	})
}

// LogInputs records datasets a run used (the same dataset again is kept once).
func (db *DB) LogInputs(ctx context.Context, ws, id string, inputs []lathe.DatasetInput) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := db.activeRun(ctx, tx, ws, id, true); err != nil {
			return err
		}
		for _, d := range inputs {
			tags, err := json.Marshal(d.Tags)
			if err != nil {
				return err
			}
			context := ""
			for _, t := range d.Tags {
				if t.Key == "mlflow.data.context" {
					context = t.Value
				}
			}
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO run_inputs (run_id, name, digest, source_type, source, schema, profile, context, tags)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, name, digest) DO UPDATE SET tags = excluded.tags, context = excluded.context`),
				id, d.Name, d.Digest, d.SourceType, d.Source, d.Schema, d.Profile, context, string(tags)); err != nil {
				return fmt.Errorf("log input: %w", err)
			}
		}
		return nil
	})
}

// HistoryCursor is where a page of metric history ends: the sort key of
// its last value, and how many values with exactly that key the pages so
// far returned (values can repeat).
type HistoryCursor struct {
	Step      int64   `json:"s"`
	Timestamp int64   `json:"t"`
	IsNaN     bool    `json:"n,omitempty"`
	Value     float64 `json:"v"`
	Skip      int     `json:"k"`
}

// MetricHistory returns up to limit values of one metric of a run in
// (step, timestamp, value) order, starting after the cursor (nil: from the
// start), and the cursor of the next page. Paging by the sort key instead
// of an offset keeps every page one index range scan, however deep.
func (db *DB) MetricHistory(ctx context.Context, ws, id, key string, after *HistoryCursor, limit int) ([]lathe.Metric, *HistoryCursor, error) {
	if _, err := db.RunInfo(ctx, ws, id); err != nil {
		return nil, nil, err
	}
	q := `SELECT value, timestamp, step, is_nan FROM metrics WHERE run_id = ? AND key = ?`
	args := []any{id, key}
	skip := 0
	if after != nil {
		q += ` AND (step > ? OR (step = ? AND (timestamp > ? OR (timestamp = ? AND (is_nan > ? OR (is_nan = ? AND value >= ?))))))`
		args = append(args, after.Step, after.Step, after.Timestamp, after.Timestamp, after.IsNaN, after.IsNaN, after.Value)
		skip = after.Skip
	}
	q += ` ORDER BY step, timestamp, is_nan, value LIMIT ? OFFSET ?`
	args = append(args, limit, skip)
	var out []lathe.Metric
	var last HistoryCursor
	err := db.eachRow(ctx, q, args, func(rows *sql.Rows) error {
		var c HistoryCursor
		if err := rows.Scan(&c.Value, &c.Timestamp, &c.Step, &c.IsNaN); err != nil {
			return err
		}
		m := lathe.Metric{Key: key, Value: c.Value, Timestamp: c.Timestamp, Step: c.Step}
		if c.IsNaN {
			m.Value = math.NaN()
		}
		if len(out) > 0 && c.Step == last.Step && c.Timestamp == last.Timestamp && c.IsNaN == last.IsNaN && c.Value == last.Value {
			c.Skip = last.Skip + 1
		} else {
			c.Skip = 1
		}
		last = c
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("metric history: %w", err)
	}
	if len(out) == 0 {
		return nil, nil, nil
	}
	if after != nil && last.Skip == len(out) && after.Step == last.Step && after.Timestamp == last.Timestamp && after.IsNaN == last.IsNaN && after.Value == last.Value {
		last.Skip += after.Skip // the whole page was more of the same value
	}
	return out, &last, nil
}

// MetricBucket summarises the values of a metric over a range of steps.
type MetricBucket struct {
	FirstStep, LastStep int64
	Min, Max, Mean      float64
	Count               int64
	First, Last         lathe.Metric // the values at FirstStep and LastStep
}

// MetricBuckets splits the steps of one metric of a run in [start, end]
// (nil: unbounded) into at most n equal ranges and summarises each, NaN
// values left out, in one pass over the index.
func (db *DB) MetricBuckets(ctx context.Context, ws, id, key string, start, end *int64, n int) ([]MetricBucket, error) {
	if _, err := db.RunInfo(ctx, ws, id); err != nil {
		return nil, err
	}
	cond := `run_id = ? AND key = ? AND NOT is_nan`
	args := []any{id, key}
	if start != nil {
		cond += ` AND step >= ?`
		args = append(args, *start)
	}
	if end != nil {
		cond += ` AND step <= ?`
		args = append(args, *end)
	}
	// The first and last step by two index seeks (MIN/MAX with the NaN
	// filter would scan every value).
	var lo, hi sql.NullInt64
	if err := db.r.QueryRowContext(ctx, db.q(`SELECT step FROM metrics WHERE `+cond+` ORDER BY step LIMIT 1`), args...).Scan(&lo); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("metric range: %w", err)
	}
	if err := db.r.QueryRowContext(ctx, db.q(`SELECT step FROM metrics WHERE `+cond+` ORDER BY step DESC LIMIT 1`), args...).Scan(&hi); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("metric range: %w", err)
	}
	if !lo.Valid || n < 1 {
		return nil, nil
	}
	width := (hi.Int64 - lo.Int64 + int64(n)) / int64(n)
	if width < 1 {
		width = 1
	}
	// Long series: read the rollups when whole rollup buckets fit the
	// requested range (the range is unbounded, or its ends fall on bucket
	// edges) and each output bucket spans at least one rollup bucket.
	for i := len(rollupLevels) - 1; i >= 0; i-- {
		lv := rollupLevels[i]
		bw := int64(1) << lv
		aligned := (start == nil || *start&(bw-1) == 0) && (end == nil || (*end+1)&(bw-1) == 0)
		if width >= bw && aligned {
			w := (width + bw - 1) &^ (bw - 1) // a whole number of rollup buckets
			return db.bucketsFromRollups(ctx, id, key, lv, lo.Int64, hi.Int64, w)
		}
	}
	var out []MetricBucket
	bargs := append([]any{lo.Int64, width}, args...)
	err := db.eachRow(ctx, `SELECT (step - ?) / ? AS b, MIN(step), MAX(step), MIN(value), MAX(value), AVG(value), COUNT(*)
		FROM metrics WHERE `+cond+` GROUP BY b ORDER BY b`, bargs, func(rows *sql.Rows) error {
		var b MetricBucket
		var idx int64
		if err := rows.Scan(&idx, &b.FirstStep, &b.LastStep, &b.Min, &b.Max, &b.Mean, &b.Count); err != nil {
			return err
		}
		out = append(out, b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("metric buckets: %w", err)
	}
	// The values at each bucket's first and last step.
	at := map[int64]lathe.Metric{}
	steps := make([]any, 0, 2*len(out))
	for _, b := range out {
		steps = append(steps, b.FirstStep, b.LastStep)
	}
	for i := 0; i < len(steps); i += 500 {
		part := steps[i:min(i+500, len(steps))]
		err := db.eachRow(ctx, `SELECT step, timestamp, value FROM metrics WHERE run_id = ? AND key = ? AND NOT is_nan AND step IN `+placeholders(len(part))+` ORDER BY step, timestamp`,
			append([]any{id, key}, part...), func(rows *sql.Rows) error {
				m := lathe.Metric{Key: key}
				if err := rows.Scan(&m.Step, &m.Timestamp, &m.Value); err != nil {
					return err
				}
				at[m.Step] = m // the latest timestamp of a step wins
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("metric bucket ends: %w", err)
		}
	}
	for i := range out {
		out[i].First, out[i].Last = at[out[i].FirstStep], at[out[i].LastStep]
	}
	return out, nil
}
