package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/search"
)

// RunQuery selects runs for SearchRuns.
type RunQuery struct {
	ExperimentIDs []string // nil: every experiment of the workspace
	Filter        search.Filter
	Order         []search.Order
	Stages        []string // lifecycle stages to include
	Offset, Limit int
}

// ExperimentQuery selects experiments for SearchExperiments.
type ExperimentQuery struct {
	Filter        search.Filter
	Order         []search.Order
	Stages        []string
	Offset, Limit int
}

// sqlBuilder accumulates a WHERE clause and its arguments.
type sqlBuilder struct {
	where []string
	args  []any
}

func (b *sqlBuilder) add(cond string, args ...any) {
	b.where = append(b.where, cond)
	b.args = append(b.args, args...)
}

func placeholders(n int) string { return "(?" + strings.Repeat(", ?", n-1) + ")" }

func strArgs(vs []string) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// compare renders "col OP value" for a comparison whose value is a string,
// a number or a list; col is an SQL expression. LIKE is case-sensitive with
// no escape character on both backends (SQLite runs with
// case_sensitive_like; PostgreSQL gets an empty ESCAPE clause).
func (db *DB) compare(col string, c search.Comparison) (string, []any) {
	esc := ""
	if db.d.Name == "postgres" {
		esc = " ESCAPE ''"
	}
	switch c.Op {
	case search.OpLike:
		return col + " LIKE ?" + esc, []any{c.Value}
	case search.OpILike:
		return "LOWER(" + col + ") LIKE LOWER(?)" + esc, []any{c.Value}
	case search.OpIn, search.OpNotIn:
		vs := c.Value.([]string)
		return col + " " + string(c.Op) + " " + placeholders(len(vs)), strArgs(vs)
	default:
		if _, num := c.Value.(float64); num {
			// A number compares as a double, whatever the column's type.
			return col + " " + string(c.Op) + " CAST(? AS DOUBLE PRECISION)", []any{c.Value}
		}
		return col + " " + string(c.Op) + " ?", []any{c.Value}
	}
}

// collate makes a string expression sort byte-wise, as search.Less does,
// whatever the database's collation.
func (db *DB) collate(expr string) string {
	if db.d.Name == "postgres" {
		return expr + ` COLLATE "C"`
	}
	return expr
}

// runEntity is the table of a run's metrics, params or tags.
func runEntity(k search.Kind) string {
	switch k {
	case search.Metric:
		return "latest_metrics"
	case search.Param:
		return "params"
	default:
		return "run_tags"
	}
}

var runAttrCols = map[string]string{
	search.AttrRunID: "r.run_id", search.AttrRunName: "r.name", search.AttrUserID: "r.user_id",
	search.AttrStatus: "r.status", search.AttrArtifactURI: "r.artifact_uri",
	search.AttrStartTime: "r.start_time", search.AttrEndTime: "r.end_time",
}

var datasetCols = map[string]string{
	search.DatasetName: "d.name", search.DatasetDigest: "d.digest", search.DatasetContext: "d.context",
}

// runCondition translates one comparison of a run filter with the
// semantics of search.Filter.Match: a comparison on a metric, param or tag
// needs the key to be present (even !=); a NaN metric matches only !=; a
// dataset comparison needs one matching input.
func (db *DB) runCondition(c search.Comparison) (string, []any, error) {
	switch c.Kind {
	case search.Metric, search.Param, search.Tag:
		exists := "EXISTS (SELECT 1 FROM " + runEntity(c.Kind) + " e WHERE e.run_id = r.run_id AND e.key = ?"
		switch c.Op {
		case search.OpIsNull:
			return "NOT " + exists + ")", []any{c.Key}, nil
		case search.OpIsNotNull:
			return exists + ")", []any{c.Key}, nil
		}
		cond, args := db.compare("e.value", c)
		if c.Kind == search.Metric {
			if c.Op == search.OpNe {
				cond = "(e.is_nan OR " + cond + ")"
			} else {
				cond = "NOT e.is_nan AND " + cond
			}
		}
		return exists + " AND " + cond + ")", append([]any{c.Key}, args...), nil
	case search.Attribute:
		col, ok := runAttrCols[c.Key]
		if !ok {
			return "", nil, lathe.Errorf(lathe.EINVALID, "Invalid attribute key '%s' specified.", c.Key)
		}
		switch c.Op {
		case search.OpIsNull:
			return col + " IS NULL", nil, nil
		case search.OpIsNotNull:
			return col + " IS NOT NULL", nil, nil
		}
		cond, args := db.compare(col, c)
		return cond, args, nil
	case search.Dataset:
		col, ok := datasetCols[c.Key]
		if !ok {
			return "", nil, lathe.Errorf(lathe.EINVALID, "Invalid dataset key '%s' specified.", c.Key)
		}
		cond, args := db.compare(col, c)
		if c.Key == search.DatasetContext {
			cond = "d.context <> '' AND " + cond // no context tag: the field is absent
		}
		return "EXISTS (SELECT 1 FROM run_inputs d WHERE d.run_id = r.run_id AND " + cond + ")", args, nil
	}
	return "", nil, lathe.Errorf(lathe.EINVALID, "unsupported search key kind %s", c.Kind)
}

// runOrder translates order_by clauses, completed with MLflow's
// tie-breakers, with the semantics of search.Less: in each clause runs with
// the field come first in the clause's direction, then NaN metrics, then
// runs without the field.
func (db *DB) runOrder(orders []search.Order) (string, []any) {
	var parts []string
	var args []any
	for _, o := range search.CompleteRunOrder(orders) {
		dir := " ASC"
		if o.Desc {
			dir = " DESC"
		}
		switch o.Kind {
		case search.Attribute:
			col := runAttrCols[o.Key]
			if col == "" {
				continue
			}
			if o.Key != search.AttrStartTime && o.Key != search.AttrEndTime {
				col = db.collate(col)
			}
			parts = append(parts, "CASE WHEN "+col+" IS NULL THEN 1 ELSE 0 END ASC", col+dir)
		case search.Metric:
			from := " FROM latest_metrics e WHERE e.run_id = r.run_id AND e.key = ?"
			parts = append(parts, "COALESCE((SELECT CASE WHEN e.is_nan THEN 1 ELSE 0 END"+from+"), 2) ASC",
				"(SELECT e.value"+from+" AND NOT e.is_nan)"+dir)
			args = append(args, o.Key, o.Key)
		default:
			expr := "(SELECT e.value FROM " + runEntity(o.Kind) + " e WHERE e.run_id = r.run_id AND e.key = ?)"
			parts = append(parts, "CASE WHEN "+expr+" IS NULL THEN 1 ELSE 0 END ASC", db.collate(expr)+dir)
			args = append(args, o.Key, o.Key)
		}
	}
	return strings.Join(parts, ", "), args
}

// SearchRuns returns the workspace's runs in the given experiments that
// match q, in q's order, with their metrics, params, tags and inputs.
func (db *DB) SearchRuns(ctx context.Context, ws string, q RunQuery) ([]*lathe.Run, error) {
	b := &sqlBuilder{}
	b.add("r.workspace_id = ?", ws)
	if q.ExperimentIDs != nil {
		// IDs that are not numbers name no experiment.
		ids := make([]any, 0, len(q.ExperimentIDs))
		for _, id := range q.ExperimentIDs {
			if n, err := strconv.ParseInt(id, 10, 64); err == nil {
				ids = append(ids, n)
			}
		}
		if len(ids) == 0 {
			return nil, nil
		}
		b.add("r.experiment_id IN "+placeholders(len(ids)), ids...)
	}
	if len(q.Stages) > 0 {
		b.add("r.lifecycle_stage IN "+placeholders(len(q.Stages)), strArgs(q.Stages)...)
	}
	for _, c := range q.Filter.Comparisons {
		cond, args, err := db.runCondition(c)
		if err != nil {
			return nil, err
		}
		b.add(cond, args...)
	}
	order, oargs := db.runOrder(q.Order)
	query := `SELECT ` + prefixed("r.", runCols) + ` FROM runs r WHERE ` + strings.Join(b.where, " AND ") + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
	args := append(append(b.args, oargs...), q.Limit, q.Offset)
	var runs []*lathe.Run
	err := db.eachRow(ctx, query, args, func(rows *sql.Rows) error {
		info, err := scanRunInfo(rows)
		if err != nil {
			return err
		}
		runs = append(runs, &lathe.Run{Info: *info})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("search runs: %w", err)
	}
	if err := db.fillRuns(ctx, runs); err != nil {
		return nil, err
	}
	return runs, nil
}

// prefixed qualifies each column of a column list.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

var expAttrCols = map[string]string{
	search.AttrName: "e.name", search.AttrCreationTime: "e.creation_time",
	search.AttrLastUpdateTime: "e.last_update_time", search.AttrExperimentID: "e.id",
}

// SearchExperiments returns the workspace's experiments matching q, with
// their tags, newest first unless q orders otherwise.
func (db *DB) SearchExperiments(ctx context.Context, ws string, q ExperimentQuery) ([]*lathe.Experiment, error) {
	b := &sqlBuilder{}
	b.add("e.workspace_id = ?", ws)
	if len(q.Stages) > 0 {
		b.add("e.lifecycle_stage IN "+placeholders(len(q.Stages)), strArgs(q.Stages)...)
	}
	for _, c := range q.Filter.Comparisons {
		switch c.Kind {
		case search.Attribute:
			col, ok := expAttrCols[c.Key]
			if !ok {
				return nil, lathe.Errorf(lathe.EINVALID, "Invalid attribute key '%s' specified.", c.Key)
			}
			cond, args := db.compare(col, c)
			b.add(cond, args...)
		case search.Tag:
			exists := "EXISTS (SELECT 1 FROM experiment_tags t WHERE t.workspace_id = e.workspace_id AND t.experiment_id = e.id AND t.key = ?"
			switch c.Op {
			case search.OpIsNull:
				b.add("NOT "+exists+")", c.Key)
			case search.OpIsNotNull:
				b.add(exists+")", c.Key)
			default:
				cond, args := db.compare("t.value", c)
				b.add(exists+" AND "+cond+")", append([]any{c.Key}, args...)...)
			}
		default:
			return nil, lathe.Errorf(lathe.EINVALID, "Invalid entity type '%s' for an experiment search.", c.Kind)
		}
	}
	// MLflow's order: the clauses, then experiment_id (descending), or
	// newest first when there are none.
	var order []string
	for _, o := range search.CompleteExperimentOrder(q.Order) {
		dir := " ASC"
		if o.Desc {
			dir = " DESC"
		}
		if col, ok := expAttrCols[o.Key]; ok && o.Kind == search.Attribute {
			if o.Key == search.AttrName {
				col = db.collate(col)
			}
			order = append(order, col+dir)
		}
	}
	query := `SELECT ` + prefixed("e.", experimentCols) + ` FROM experiments e WHERE ` + strings.Join(b.where, " AND ") +
		` ORDER BY ` + strings.Join(order, ", ") + ` LIMIT ? OFFSET ?`
	args := append(b.args, q.Limit, q.Offset)
	var out []*lathe.Experiment
	err := db.eachRow(ctx, query, args, func(rows *sql.Rows) error {
		e, err := scanExperiment(rows)
		if err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("search experiments: %w", err)
	}
	for _, e := range out {
		if err := db.experimentTags(ctx, e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DatasetSummary is a dataset some run of an experiment used.
type DatasetSummary struct {
	ExperimentID string
	Name         string
	Digest       string
	Context      string
}

// SearchDatasets lists the distinct datasets runs of the experiments used
// (at most 1000).
func (db *DB) SearchDatasets(ctx context.Context, ws string, experimentIDs []string) ([]DatasetSummary, error) {
	if len(experimentIDs) == 0 {
		return nil, nil
	}
	args := []any{ws}
	for _, id := range experimentIDs {
		n, err := expID(id)
		if err != nil {
			return nil, err
		}
		args = append(args, n)
	}
	var out []DatasetSummary
	err := db.eachRow(ctx, `SELECT DISTINCT r.experiment_id, d.name, d.digest, d.context FROM run_inputs d JOIN runs r ON r.run_id = d.run_id
		WHERE r.workspace_id = ? AND r.experiment_id IN `+placeholders(len(experimentIDs))+` ORDER BY r.experiment_id, d.name, d.digest LIMIT 1000`,
		args, func(rows *sql.Rows) error {
			var s DatasetSummary
			var exp int64
			if err := rows.Scan(&exp, &s.Name, &s.Digest, &s.Context); err != nil {
				return err
			}
			s.ExperimentID = strconv.FormatInt(exp, 10)
			out = append(out, s)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("search datasets: %w", err)
	}
	return out, nil
}
