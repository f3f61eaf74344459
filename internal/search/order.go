package search

import (
	"cmp"
	"fmt"
	"strings"
)

// MaxOrderBy is the most order_by clauses accepted, and MaxOrderByLen the
// longest clause in bytes. MLflow has no limits; each clause costs the store
// a join, and a key is at most 250 characters.
const (
	MaxOrderBy    = 100
	MaxOrderByLen = 1024
)

// ParseOrderBy parses the order_by clauses of runs/search (forRuns) or
// experiments/search. A clause is an identifier, as in a filter, optionally
// followed by ASC or DESC (any case; ASC is the default):
//
//	metrics.rmse DESC
//	attributes.start_time ASC
//	params.x
//	metrics.`my metric` desc
//	name ASC                      (experiments)
//
// Runs order by metrics, params, tags and the attributes run_id, run_name,
// status, user_id, artifact_uri, start_time (alias created, Created) and
// end_time; a field may appear once (MLflow: "`order_by` contains duplicate
// fields"). Experiments order by the attributes name, experiment_id,
// creation_time and last_update_time. Errors are *SyntaxError with MLflow's
// messages; Input is the offending clause.
//
// The result does not include MLflow's tie-breaks; see CompleteRunOrder and
// CompleteExperimentOrder.
func ParseOrderBy(clauses []string, forRuns bool) ([]Order, error) {
	if len(clauses) > MaxOrderBy {
		return nil, semanticErr("", 0, "order_by has %d clauses; the limit is %d", len(clauses), MaxOrderBy)
	}
	t := experimentTarget
	if forRuns {
		t = runTarget
	}
	var out []Order
	for _, clause := range clauses {
		o, err := parseOrder(clause, t, forRuns)
		if err != nil {
			return nil, err
		}
		if forRuns {
			for _, prev := range out {
				if prev.Kind == o.Kind && prev.Key == o.Key {
					return nil, semanticErr(clause, 0, "`order_by` contains duplicate fields: %s", pyList(clauses))
				}
			}
		}
		out = append(out, o)
	}
	return out, nil
}

func parseOrder(clause string, t *target, forRuns bool) (Order, *SyntaxError) {
	if len(clause) > MaxOrderByLen {
		return Order{}, semanticErr(clause, MaxOrderByLen, "The order_by clause is %d bytes long; the limit is %d bytes", len(clause), MaxOrderByLen)
	}
	unparsable := fmt.Sprintf("Invalid order_by clause '%s'. Could not be parsed", clip(clause))
	s := &scanner{src: clause, what: unparsable}
	s.skipSpace()
	if s.atEnd() {
		return Order{}, semanticErr(clause, s.pos, "%s.", unparsable)
	}
	if !s.startsIdent() {
		return Order{}, syntaxErr(clause, s.pos, "%s: unexpected '%s'", unparsable, s.tokenAt(s.pos))
	}
	id, serr := s.identifier()
	if serr != nil {
		return Order{}, serr
	}
	kind, key, _, serr := t.resolve(s, id, true)
	if serr != nil {
		return Order{}, serr
	}
	if forRuns && kind == Dataset {
		return Order{}, semanticErr(clause, id.start, "Invalid order_by entity type '%s'", kind)
	}
	if !forRuns && kind != Attribute {
		return Order{}, semanticErr(clause, id.start, "Invalid order_by entity: %s", kind)
	}
	o := Order{Kind: kind, Key: key}
	s.skipSpace()
	if !s.atEnd() {
		w, end := s.peekWord()
		switch strings.ToUpper(w) {
		case "ASC":
		case "DESC":
			o.Desc = true
		case "":
			return Order{}, syntaxErr(clause, s.pos, "%s: unexpected '%s'", unparsable, s.tokenAt(s.pos))
		default:
			return Order{}, semanticErr(clause, s.pos, "Invalid ordering key in order_by clause '%s'.", clip(clause))
		}
		s.pos = end
		s.skipSpace()
		if !s.atEnd() {
			return Order{}, syntaxErr(clause, s.pos, "%s: unexpected '%s'", unparsable, s.tokenAt(s.pos))
		}
	}
	return o, nil
}

// pyList formats clauses as Python prints a list of strings.
func pyList(clauses []string) string {
	parts := make([]string, len(clauses))
	for i, c := range clauses {
		parts[i] = "'" + clip(c) + "'"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// DefaultRunOrder returns MLflow's order of runs when order_by is empty:
// start_time descending, then run_id ascending.
func DefaultRunOrder() []Order { return CompleteRunOrder(nil) }

// CompleteRunOrder returns orders followed by MLflow's tie-breaks for runs:
// start_time descending unless orders already sort by start_time, then
// run_id ascending, so that every ordering is total. orders is not modified.
func CompleteRunOrder(orders []Order) []Order {
	out := append([]Order(nil), orders...)
	if !hasOrder(orders, Attribute, AttrStartTime) {
		out = append(out, Order{Kind: Attribute, Key: AttrStartTime, Desc: true})
	}
	if !hasOrder(orders, Attribute, AttrRunID) {
		out = append(out, Order{Kind: Attribute, Key: AttrRunID})
	}
	return out
}

// CompleteExperimentOrder returns MLflow's full ordering of experiments:
// with no orders, creation_time descending then experiment_id ascending;
// otherwise orders followed by experiment_id descending unless they already
// sort by experiment_id. orders is not modified.
func CompleteExperimentOrder(orders []Order) []Order {
	if len(orders) == 0 {
		return []Order{
			{Kind: Attribute, Key: AttrCreationTime, Desc: true},
			{Kind: Attribute, Key: AttrExperimentID},
		}
	}
	out := append([]Order(nil), orders...)
	if !hasOrder(orders, Attribute, AttrExperimentID) {
		out = append(out, Order{Kind: Attribute, Key: AttrExperimentID, Desc: true})
	}
	return out
}

func hasOrder(orders []Order, kind Kind, key string) bool {
	for _, o := range orders {
		if o.Kind == kind && o.Key == key {
			return true
		}
	}
	return false
}

// Less reports whether run a sorts before run b under orders, applied in
// turn. Pass CompleteRunOrder(orders) for MLflow's full ordering.
//
// For each clause, runs that have the field sort first, in the clause's
// direction; then runs whose metric is NaN; then runs without the field
// (missing metric, param or tag, or a NULL end_time), whatever the
// direction, as MLflow's SQL store does. Metrics and start/end times compare
// as numbers, everything else as strings (byte-wise).
func Less(orders []Order, a, b RunView) bool {
	for _, o := range orders {
		if c := compareField(a.field(o.Kind, o.Key), b.field(o.Kind, o.Key), o.Desc); c != 0 {
			return c < 0
		}
	}
	return false
}

// LessExperiment reports whether experiment a sorts before b under orders;
// pass CompleteExperimentOrder(orders) for MLflow's full ordering.
// experiment_id compares as a number when both IDs are decimal.
func LessExperiment(orders []Order, a, b ExperimentView) bool {
	for _, o := range orders {
		if c := compareField(a.field(o.Kind, o.Key), b.field(o.Kind, o.Key), o.Desc); c != 0 {
			return c < 0
		}
	}
	return false
}

// compareField orders two values of one field: present values by their
// order, then NaN, then missing, whatever the direction.
func compareField(a, b field, desc bool) int {
	if c := cmp.Compare(a.rank(), b.rank()); c != 0 || a.rank() != 0 {
		return c
	}
	var c int
	switch {
	case a.isInt && b.isInt:
		c = cmp.Compare(a.i, b.i)
	case a.isNum && b.isNum:
		c = cmp.Compare(a.num, b.num)
	default:
		c = strings.Compare(a.str, b.str)
	}
	if desc {
		c = -c
	}
	return c
}
