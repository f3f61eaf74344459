package tracking

import (
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/latheml/lathe"
)

// This file holds MLflow's input rules (mlflow/utils/validation.py as of
// 2.7) with its messages, so clients that branch on error codes or show
// messages see what an MLflow server would answer.

var (
	// runIDRE is MLflow's run ID rule.
	runIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][\w\-]{0,255}$`) })
	// entityNameRE is MLflow's rule for metric, param and tag keys. Python's
	// \w is Unicode-aware, so letters and digits of any script count.
	entityNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[/\p{L}\p{N}_.\- ]*$`) })
)

// invalid is MLflow's INVALID_PARAMETER_VALUE.
func invalid(format string, args ...any) error { return lathe.Errorf(lathe.EINVALID, format, args...) }

// missing is MLflow's message for an absent required field.
func missing(field string) error {
	return invalid("Missing value for required parameter '%s'. See the API docs for more information about request parameters.", field)
}

// validRunID checks a run ID's form, as MLflow does before batch logging.
func validRunID(id string) error {
	if id == "" {
		return missing("run_id")
	}
	if !runIDRE().MatchString(id) {
		return invalid("Invalid run ID: '%s'", id)
	}
	return nil
}

// needRunID checks that a run ID is present; a malformed one simply names
// no run (RESOURCE_DOES_NOT_EXIST), as in MLflow.
func needRunID(id string) error {
	if id == "" {
		return missing("run_id")
	}
	return nil
}

// validateName checks a metric, param or tag key as MLflow does; kind is
// "metric", "parameter" or "tag".
func validateName(kind, name string) error {
	if !entityNameRE().MatchString(name) {
		return invalid("Invalid %s name: '%s'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).", kind, name)
	}
	if norm := normPath(name); norm != name || norm == "." || strings.HasPrefix(norm, "..") || strings.HasPrefix(norm, "/") {
		return invalid("Invalid %s name: '%s'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '%s'", kind, name, norm)
	}
	return nil
}

// normPath is Python's posixpath.normpath.
func normPath(p string) string {
	if p == "" {
		return "."
	}
	lead := 0
	if strings.HasPrefix(p, "/") {
		lead = 1
		if strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "///") {
			lead = 2
		}
	}
	var out []string
	for _, seg := range strings.Split(p, "/") {
		switch {
		case seg == "" || seg == ".":
		case seg != "..", lead == 0 && (len(out) == 0 || out[len(out)-1] == ".."):
			out = append(out, seg)
		case len(out) > 0:
			out = out[:len(out)-1]
		}
	}
	s := strings.Repeat("/", lead) + strings.Join(out, "/")
	if s == "" {
		return "."
	}
	return s
}

// lengthLimit is MLflow's _validate_length_limit: entity is "Param key",
// "Tag value" and the like; lengths count characters.
func lengthLimit(entity string, limit int, value string) error {
	n := utf8.RuneCountInString(value)
	if n <= limit {
		return nil
	}
	shown := value
	if n > 250 {
		shown = string([]rune(value)[:250])
	}
	return invalid("%s '%s' had length %d, which exceeded length limit of %d", entity, shown, n, limit)
}

// validateParam checks one param (key and value).
func validateParam(p lathe.Tag) error {
	if err := validateName("parameter", p.Key); err != nil {
		return err
	}
	if err := lengthLimit("Param key", lathe.MaxEntityKeyLen, p.Key); err != nil {
		return err
	}
	return lengthLimit("Param value", lathe.MaxParamValueLen, p.Value)
}

// validateTag checks one run tag (key and value).
func validateTag(t lathe.Tag) error {
	if err := validateName("tag", t.Key); err != nil {
		return err
	}
	if err := lengthLimit("Tag key", lathe.MaxEntityKeyLen, t.Key); err != nil {
		return err
	}
	return lengthLimit("Tag value", lathe.MaxTagValueLen, t.Value)
}

// validateExperimentTag checks one experiment tag.
func validateExperimentTag(t lathe.Tag) error {
	if err := validateName("tag", t.Key); err != nil {
		return err
	}
	if err := lengthLimit("Tag key", lathe.MaxEntityKeyLen, t.Key); err != nil {
		return err
	}
	return lengthLimit("Tag value", lathe.MaxExpTagValueLen, t.Value)
}

// validateMetric checks one metric: its name, a non-negative timestamp and
// the name's length.
func validateMetric(m lathe.Metric) error {
	if err := validateName("metric", m.Key); err != nil {
		return err
	}
	if m.Timestamp < 0 {
		return invalid("Got invalid timestamp %d for metric '%s' (value=%s). Timestamp must be a nonnegative long (64-bit integer) ", m.Timestamp, m.Key, pyFloat(m.Value))
	}
	return lengthLimit("Metric name", lathe.MaxEntityKeyLen, m.Key)
}

// validateBatch applies MLflow's log-batch rules in MLflow's order: each
// entity, then the batch limits, then unique param keys.
func validateBatch(metrics []lathe.Metric, params, tags []lathe.Tag) error {
	for _, m := range metrics {
		if err := validateMetric(m); err != nil {
			return err
		}
	}
	for _, p := range params {
		if err := validateParam(p); err != nil {
			return err
		}
	}
	for _, t := range tags {
		if err := validateTag(t); err != nil {
			return err
		}
	}
	for _, l := range []struct {
		what       string
		limit, got int
	}{
		{"metrics", lathe.MaxBatchMetrics, len(metrics)},
		{"params", lathe.MaxBatchParamsTags, len(params)},
		{"tags", lathe.MaxBatchParamsTags, len(tags)},
		{"metrics, params, and tags", lathe.MaxBatchEntities, len(metrics) + len(params) + len(tags)},
	} {
		if l.got > l.limit {
			return invalid("A batch logging request can contain at most %d %s. Got %d %s. Please split up %s across multiple requests and try again.", l.limit, l.what, l.got, l.what, l.what)
		}
	}
	seen := map[string]bool{}
	var dupes []string
	for _, p := range params {
		if seen[p.Key] {
			dupes = append(dupes, p.Key)
		}
		seen[p.Key] = true
	}
	if len(dupes) > 0 {
		return invalid("Duplicate parameter keys have been submitted: %s. Please ensure the request contains only one param value per param key.", pyStrings(dupes))
	}
	return nil
}

// pyStrings formats a list of strings as Python prints it.
func pyStrings(ss []string) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = "'" + s + "'"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// pySet formats a set of strings as Python prints it (in sorted order;
// Python's own order varies from run to run).
func pySet(ss []string) string {
	sorted := append([]string(nil), ss...)
	sort.Strings(sorted)
	parts := make([]string, len(sorted))
	for i, s := range sorted {
		parts[i] = "'" + s + "'"
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// pyFloat formats a float as Python's repr does.
func pyFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(v, 'e', -1, 64) // d.ddde±XX, at least two digits as in Python
	_, exp, _ := strings.Cut(e, "e")
	if x, _ := strconv.Atoi(exp); x < -4 || x >= 16 {
		return e
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}
