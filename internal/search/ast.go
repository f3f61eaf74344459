// Package search parses MLflow's search grammar: the filter strings, order_by
// clauses, max_results bounds and page tokens of runs/search and
// experiments/search, with MLflow's validation rules and error messages.
//
// The package is pure: no I/O, no clock. The parsers return an AST (Filter,
// Order) that the store translates to SQL; Filter.Match and Less are an
// in-memory reference implementation of the same semantics, for tests of that
// translation.
//
// # Filter grammar
//
// Whitespace (space, tab, CR, LF, FF, VT) separates tokens and is otherwise
// ignored. Keywords (AND, LIKE, ILIKE, IN, NOT, IS, NULL, ASC, DESC) are
// case-insensitive; entity types and keys are case-sensitive.
//
//	filter     = [ comparison { "AND" comparison } ]
//	comparison = identifier comparator value
//	           | identifier "IN" list | identifier "NOT" "IN" list
//	           | identifier "IS" [ "NOT" ] "NULL"
//	identifier = segment { "." segment }
//	segment    = bare | "`" { char | "``" } "`" | '"' { char | '""' | `\"` | `\\` } '"'
//	bare       = one or more of: Unicode letters and digits, "_", "-", "/"
//	             (the first segment must start with a letter or "_")
//	comparator = one or more of the characters < > = ! ~ (validated afterwards,
//	             so "<<<" is reported as an invalid comparator, as MLflow does)
//	           | "LIKE" | "ILIKE"
//	value      = string | number
//	string     = "'" { char | "''" | `\'` | `\\` } "'" | '"' { char | '""' | `\"` | `\\` } '"'
//	number     = [ "-" ] ( digits [ "." { digit } ] | "." digits ) [ ( "e" | "E" ) [ "+" | "-" ] digits ]
//	list       = "(" string { "," string } ")"
//
// An identifier with one segment is an attribute ("status", "name"). With
// more, the first segment is the entity type and the rest, joined with ".",
// is the key: tags.mlflow.parentRunId has key "mlflow.parentRunId", and
// metrics.`f1 score` has key "f1 score". A backslash in a string escapes only
// a quote or another backslash; any other backslash is literal.
//
// Which entity types, keys, comparators and value types go together is
// checked after parsing, with MLflow's messages; see ParseRunFilter and
// ParseExperimentFilter.
//
// # Notes for the SQL translation
//
// Match and Less define the semantics; a translation must agree with them on
// every backend. Traps: SQLite's LIKE ignores ASCII case unless
// case_sensitive_like is on, and PostgreSQL's LIKE treats backslash as an
// escape unless an ESCAPE clause with an empty string is given, while OpLike
// here is case-sensitive with no escape character. Missing fields sort last in both directions, which
// needs an explicit "IS NULL" sort key (or NULLS LAST). A comparison on a
// metric, param or tag is an inner join on the key, so != does not match
// runs that lack the key. NaN metrics match only != and sort after numbers.
package search

import (
	"math"
	"strconv"
	"strings"
)

// Kind is what a comparison or an ordering looks at.
type Kind uint8

// The kinds of keys.
const (
	Metric    Kind = iota + 1 // the latest value of a run's metric (float64)
	Param                     // a run's parameter (string)
	Tag                       // a run's or an experiment's tag (string)
	Attribute                 // a field of the run or experiment itself
	Dataset                   // a field of one of the run's dataset inputs
)

// String returns MLflow's identifier for the kind: "metric", "parameter",
// "tag", "attribute" or "dataset".
func (k Kind) String() string {
	switch k {
	case Metric:
		return "metric"
	case Param:
		return "parameter"
	case Tag:
		return "tag"
	case Attribute:
		return "attribute"
	case Dataset:
		return "dataset"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// prefix is the entity type written in canonical filters and orderings.
func (k Kind) prefix() string {
	switch k {
	case Metric:
		return "metrics"
	case Param:
		return "params"
	case Tag:
		return "tags"
	case Attribute:
		return "attributes"
	case Dataset:
		return "datasets"
	}
	return k.String()
}

// Op is a comparator, spelled as in SQL (upper case).
type Op string

// The comparators. Which ones a key accepts depends on its kind; see
// ParseRunFilter.
const (
	OpEq        Op = "="
	OpNe        Op = "!="
	OpLt        Op = "<"
	OpLe        Op = "<="
	OpGt        Op = ">"
	OpGe        Op = ">="
	OpLike      Op = "LIKE"        // case-sensitive; % is any run of characters, _ is one character; no escape character
	OpILike     Op = "ILIKE"       // as LIKE, ignoring case
	OpIn        Op = "IN"          // Value is a non-empty []string
	OpNotIn     Op = "NOT IN"      // Value is a non-empty []string
	OpIsNull    Op = "IS NULL"     // the key is absent; Value is nil
	OpIsNotNull Op = "IS NOT NULL" // the key is present; Value is nil
)

// Run attribute names, as they appear in Comparison.Key and Order.Key for
// kind Attribute. The aliases "created"/"Created" become AttrStartTime and
// "run name"/"Run name"/"Run Name" become AttrRunName.
const (
	AttrRunID       = "run_id"
	AttrRunName     = "run_name"
	AttrUserID      = "user_id"
	AttrStatus      = "status"
	AttrArtifactURI = "artifact_uri"
	AttrStartTime   = "start_time" // Unix milliseconds
	AttrEndTime     = "end_time"   // Unix milliseconds; NULL while the run has not ended
)

// Experiment attribute names, for kind Attribute in experiment filters and
// orderings.
const (
	AttrName           = "name"
	AttrCreationTime   = "creation_time"    // Unix milliseconds
	AttrLastUpdateTime = "last_update_time" // Unix milliseconds
	AttrExperimentID   = "experiment_id"    // order_by only; compared as a number
)

// Dataset fields, for kind Dataset. DatasetContext is the value of the
// dataset input's "mlflow.data.context" tag.
const (
	DatasetName    = "name"
	DatasetDigest  = "digest"
	DatasetContext = "context"
)

// Comparison is one "key op value" term of a filter.
//
// Value is float64 for metrics and numeric attributes (start_time, end_time,
// creation_time, last_update_time), string for the other keys with =, !=,
// LIKE and ILIKE, a non-empty []string for IN and NOT IN, and nil for IS NULL
// and IS NOT NULL.
//
// Semantics (Filter.Match implements them): metric comparisons are numeric;
// param, tag, string-attribute and dataset comparisons compare strings
// byte-wise. A run that lacks the metric, param or tag, or a run whose
// end_time is NULL, matches no comparison on it except IS NULL (even != does
// not match, as in MLflow's SQL store, which joins on the key). A dataset
// comparison matches when any one of the run's dataset inputs matches. A NaN
// metric matches only !=.
type Comparison struct {
	Kind  Kind
	Key   string // canonical: attribute aliases are resolved
	Op    Op
	Value any
	Pos   int // byte offset of the comparison in the filter it was parsed from
}

// Filter is a conjunction of comparisons. The zero Filter has none and
// matches everything.
type Filter struct {
	Comparisons []Comparison
}

// Empty reports whether the filter has no comparisons.
func (f Filter) Empty() bool { return len(f.Comparisons) == 0 }

// String returns the filter in canonical form: entity types spelled metrics,
// params, tags, attributes and datasets; keys quoted with backticks unless
// they are plain words joined by dots; comparators in upper case; strings in
// single quotes. Parsing the result with the parser that produced f gives an
// equal filter (Pos aside). The empty filter is "".
func (f Filter) String() string {
	var b strings.Builder
	for i, c := range f.Comparisons {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(c.String())
	}
	return b.String()
}

// String returns the comparison in canonical form; see Filter.String.
func (c Comparison) String() string {
	var b strings.Builder
	b.WriteString(c.Kind.prefix())
	b.WriteByte('.')
	b.WriteString(quoteKey(c.Key))
	b.WriteByte(' ')
	b.WriteString(string(c.Op))
	switch v := c.Value.(type) {
	case float64:
		b.WriteByte(' ')
		b.WriteString(formatNumber(v))
	case string:
		b.WriteByte(' ')
		b.WriteString(quoteString(v))
	case []string:
		b.WriteString(" (")
		for i, s := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteString(s))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// Order is one order_by clause.
type Order struct {
	Kind Kind
	Key  string // canonical, as in Comparison.Key
	Desc bool   // false: ascending, MLflow's default
}

// String returns the clause in canonical form, e.g. "metrics.rmse ASC".
func (o Order) String() string {
	dir := " ASC"
	if o.Desc {
		dir = " DESC"
	}
	return o.Kind.prefix() + "." + quoteKey(o.Key) + dir
}

// quoteKey returns key as written in a canonical identifier: bare when it is
// ASCII words joined by dots, otherwise in backticks with ` doubled.
func quoteKey(key string) string {
	if plainKey(key) {
		return key
	}
	return "`" + strings.ReplaceAll(key, "`", "``") + "`"
}

func plainKey(key string) bool {
	if key == "" {
		return false
	}
	for seg := range strings.SplitSeq(key, ".") {
		if seg == "" {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return false
			}
		}
	}
	return true
}

// quoteString returns s in single quotes, with ' doubled and \ escaped.
func quoteString(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// formatNumber writes v so that it parses back to the same float64: whole
// numbers in plain digits (timestamps stay readable), others in the shortest
// form.
func formatNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e21 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
