package spec

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/latheml/lathe"
)

// schema lists the fields one kind of mapping accepts and the Azure fields
// Lathe refuses on purpose, each with the reason given to the user.
type schema struct {
	name     string            // names the mapping in messages: "commandJob", "limits"
	fields   []string          // accepted keys
	rejected map[string]string // key -> why it is refused
}

func (s *schema) has(key string) bool {
	for _, f := range s.fields {
		if f == key {
			return true
		}
	}
	return false
}

// dec decodes nodes into typed values, collecting problems.
type dec struct {
	p *problems
}

func (d *dec) errf(pos Pos, format string, args ...any) { d.p.addf(pos, format, args...) }

// join makes a dotted field path for messages.
func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// fields checks that n is a mapping whose keys s knows and calls fn for each
// known entry. where names the mapping in messages ("commandJob",
// "inputs.data"). A null n is an empty mapping.
func (d *dec) fields(n *node, s *schema, where string, fn func(e *entry)) bool {
	if n == nil || n.kind == nNull {
		return true
	}
	if n.kind != nMap {
		d.errf(n.pos, "%s must be a mapping of fields, not %s", where, describe(n))
		return false
	}
	for i := range n.entries {
		e := &n.entries[i]
		if s.has(e.key) {
			fn(e)
			continue
		}
		if why, ok := s.rejected[e.key]; ok {
			d.errf(e.keyPos, "field %q in %s is not supported: %s", clip(e.key, 80), where, why)
			continue
		}
		if sug := suggest(e.key, s.fields); sug != "" {
			d.errf(e.keyPos, "unknown field %q in %s (did you mean %q?)", clip(e.key, 80), where, sug)
		} else {
			d.errf(e.keyPos, "unknown field %q in %s; the fields are %s", clip(e.key, 80), where, strings.Join(s.fields, ", "))
		}
	}
	return true
}

// str reads a scalar as a string (numbers and booleans as written). An
// empty value is "".
func (d *dec) str(e *entry, path string) string {
	switch e.val.kind {
	case nNull:
		return ""
	case nScalar:
		if !utf8.ValidString(e.val.text) {
			d.errf(e.val.pos, "%s is not valid UTF-8", path)
			return ""
		}
		return e.val.text
	}
	d.errf(e.keyPos, "%s must be a single value, not %s", path, describe(e.val))
	return ""
}

// text reads a free-text field (display_name, description) up to max bytes.
func (d *dec) text(e *entry, path string, max int) string {
	s := d.str(e, path)
	if len(s) > max {
		d.errf(e.val.pos, "%s is %d bytes long; the limit is %d", path, len(s), max)
		return ""
	}
	return s
}

// reqStr is str for a field that must not be empty.
func (d *dec) reqStr(e *entry, path string) string {
	s := d.str(e, path)
	if s == "" && e.val.kind != nMap && e.val.kind != nSeq {
		d.errf(e.keyPos, "%s is empty; give a value", path)
	}
	return s
}

// name reads a resource name and checks it with lathe.ValidateName.
func (d *dec) name(e *entry, path, kind string) string {
	s := d.reqStr(e, path)
	if s == "" {
		return ""
	}
	if err := lathe.ValidateName(kind, s); err != nil {
		d.errf(e.val.pos, "%s: %s", path, lathe.ErrorMessage(err))
		return ""
	}
	return s
}

// version reads a version label: a string or a number, checked like a name,
// at most lathe.MaxVersionLen characters, and not "latest".
func (d *dec) version(e *entry, path string) string {
	s := d.reqStr(e, path)
	if s == "" {
		return ""
	}
	if err := checkVersion(s); err != nil {
		d.errf(e.val.pos, "%s: %s", path, lathe.ErrorMessage(err))
		return ""
	}
	return s
}

// checkVersion validates a version label.
func checkVersion(v string) error {
	if len(v) > lathe.MaxVersionLen {
		return lathe.Errorf(lathe.EINVALID, "version %q is %d characters long; the limit is %d", clip(v, 80), len(v), lathe.MaxVersionLen)
	}
	if err := lathe.ValidateName("version", v); err != nil {
		return err
	}
	if strings.EqualFold(v, "latest") {
		return lathe.Errorf(lathe.EINVALID, "version %q is reserved: write name@latest for the newest version", v)
	}
	return nil
}

// oneOf reads a string that must be one of allowed; refused maps values
// Azure knows but Lathe refuses to the reason.
func (d *dec) oneOf(e *entry, path string, allowed []string, refused map[string]string) string {
	s := d.str(e, path)
	if e.val.kind != nScalar {
		if e.val.kind == nNull {
			d.errf(e.keyPos, "%s is empty; use one of %s", path, strings.Join(allowed, ", "))
		}
		return ""
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	if why, ok := refused[s]; ok {
		d.errf(e.val.pos, "%s %q is not supported: %s", path, clip(s, 60), why)
		return ""
	}
	if sug := suggest(s, allowed); sug != "" {
		d.errf(e.val.pos, "%s %q is not one of %s (did you mean %q?)", path, clip(s, 60), strings.Join(allowed, ", "), sug)
	} else {
		d.errf(e.val.pos, "%s %q is not one of %s", path, clip(s, 60), strings.Join(allowed, ", "))
	}
	return ""
}

// boolean reads true or false.
func (d *dec) boolean(e *entry, path string) bool {
	if e.val.kind == nScalar && e.val.typ == sBool {
		return strings.EqualFold(e.val.text, "true")
	}
	d.errf(e.val.pos, "%s must be true or false, not %s", path, describe(e.val))
	return false
}

// integer reads a whole number.
func (d *dec) integer(e *entry, path string) (int64, bool) {
	if e.val.kind == nScalar && e.val.typ == sInt {
		if v, err := strconv.ParseInt(e.val.text, 0, 64); err == nil {
			return v, true
		}
	}
	d.errf(e.val.pos, "%s must be an integer, not %s", path, describe(e.val))
	return 0, false
}

// number reads a finite number.
func (d *dec) number(e *entry, path string) (float64, bool) {
	if e.val.kind == nScalar && (e.val.typ == sInt || e.val.typ == sFloat) {
		if v, ok := parseNumber(e.val.text); ok {
			return v, true
		}
	}
	d.errf(e.val.pos, "%s must be a finite number, not %s", path, describe(e.val))
	return 0, false
}

// parseNumber parses a YAML integer or float as written.
func parseNumber(s string) (float64, bool) {
	if i, err := strconv.ParseInt(s, 0, 64); err == nil {
		return float64(i), true
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// strMap reads a mapping of names to single values (tags, properties,
// environment variables). Empty values are "".
func (d *dec) strMap(e *entry, path string, max int) map[string]string {
	if e.val.kind == nNull {
		return nil
	}
	if e.val.kind != nMap {
		d.errf(e.keyPos, "%s must be a mapping of names to values, not %s", path, describe(e.val))
		return nil
	}
	if len(e.val.entries) > max {
		d.errf(e.keyPos, "%s has %d entries; the limit is %d", path, len(e.val.entries), max)
		return nil
	}
	m := make(map[string]string, len(e.val.entries))
	for i := range e.val.entries {
		c := &e.val.entries[i]
		m[c.key] = d.str(c, join(path, c.key))
	}
	return m
}

// tags reads tags or properties with the limits lathe applies to tags.
func (d *dec) tags(e *entry, path string) map[string]string {
	m := d.strMap(e, path, lathe.MaxTags)
	for i := range e.val.entries {
		c := &e.val.entries[i]
		if c.key == "" || len(c.key) > lathe.MaxTagKeyLen || !utf8.ValidString(c.key) {
			d.errf(c.keyPos, "%s: key %q must be 1-%d characters of UTF-8", path, clip(c.key, 80), lathe.MaxTagKeyLen)
		}
		if len(m[c.key]) > lathe.MaxTagValueLen {
			d.errf(c.val.pos, "%s.%s is %d bytes long; the limit is %d", path, clip(c.key, 80), len(m[c.key]), lathe.MaxTagValueLen)
		}
	}
	return m
}

// strList reads a list of single values; a single value is a list of one.
func (d *dec) strList(e *entry, path string) []string {
	switch e.val.kind {
	case nNull:
		return nil
	case nScalar:
		return []string{d.str(e, path)}
	case nSeq:
		out := make([]string, 0, len(e.val.items))
		for i, it := range e.val.items {
			c := entry{key: strconv.Itoa(i), keyPos: it.pos, val: it}
			out = append(out, d.str(&c, path+"["+strconv.Itoa(i)+"]"))
		}
		return out
	}
	d.errf(e.keyPos, "%s must be a list, not %s", path, describe(e.val))
	return nil
}

// intList reads a list of integers; a single integer is a list of one.
func (d *dec) intList(e *entry, path string) []int64 {
	items := []*node{e.val}
	if e.val.kind == nSeq {
		items = e.val.items
	}
	out := make([]int64, 0, len(items))
	for i, it := range items {
		c := entry{key: strconv.Itoa(i), keyPos: it.pos, val: it}
		if v, ok := d.integer(&c, path+"["+strconv.Itoa(i)+"]"); ok {
			out = append(out, v)
		}
	}
	return out
}

// isIdent reports whether s is a Python-style identifier, Azure's rule for
// input, output and step names.
func isIdent(s string) bool {
	if s == "" || len(s) > lathe.MaxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// suggest returns the candidate closest to s when it is close enough to be
// a likely typo, or "".
func suggest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if strings.EqualFold(s, c) {
			return c
		}
		if dist := editDistance(strings.ToLower(s), c); dist < bestD {
			best, bestD = c, dist
		}
	}
	if bestD <= 2 && bestD*3 <= len(s) {
		return best
	}
	return ""
}

// editDistance is the optimal-string-alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours cost 1.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
