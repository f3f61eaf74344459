package search

import (
	"strconv"
	"strings"
)

// MaxFilterLen is the longest filter string accepted, in bytes. MLflow has no
// limit; this one leaves room for an IN list of several thousand run IDs.
const MaxFilterLen = 256 << 10

// ParseRunFilter parses the filter of runs/search. The empty (or all-blank)
// string is the empty filter. Errors are *SyntaxError with MLflow's messages.
//
// Entity types: metric/metrics, parameter/parameters/param/params, tag/tags,
// attribute/attributes/attr/run, dataset/datasets; no entity type means
// attribute. What each kind accepts:
//
//	metrics.k            = != < <= > >=            a number
//	params.k, tags.k     = != LIKE ILIKE           a quoted string
//	                     IS NULL, IS NOT NULL      (a Lathe extension)
//	attributes: run_id, run_name, status, user_id, artifact_uri
//	                     = != LIKE ILIKE           a quoted string
//	                     IN, NOT IN                a list of quoted strings
//	attributes: start_time, end_time
//	                     = != < <= > >=            a number (Unix milliseconds)
//	datasets: name, digest, context
//	                     = != LIKE ILIKE           a quoted string
//	                     IN, NOT IN                a list of quoted strings
//
// Attribute aliases: created and Created for start_time; "run name",
// "Run name" and "Run Name" (in backticks) for run_name. MLflow allows IN only
// on run_id; Lathe allows it on every string attribute.
func ParseRunFilter(s string) (Filter, error) { return parseFilter(s, runTarget) }

// ParseExperimentFilter parses the filter of experiments/search: attributes
// name (= != LIKE ILIKE, a quoted string), creation_time and last_update_time
// (= != < <= > >=, a number), and tags (= != LIKE ILIKE with a quoted string,
// IS NULL, IS NOT NULL). The entity types are attribute/attributes and
// tag/tags; no entity type means attribute.
func ParseExperimentFilter(s string) (Filter, error) { return parseFilter(s, experimentTarget) }

type parser struct {
	scanner
	t *target
}

func parseFilter(src string, t *target) (Filter, error) {
	if len(src) > MaxFilterLen {
		return Filter{}, semanticErr(src, MaxFilterLen, "The filter string is %d bytes long; the limit is %d bytes", len(src), MaxFilterLen)
	}
	p := &parser{scanner: scanner{src: src, what: "Invalid filter string"}, t: t}
	var f Filter
	p.skipSpace()
	if p.atEnd() {
		return f, nil
	}
	for {
		c, err := p.comparison()
		if err != nil {
			return Filter{}, err
		}
		f.Comparisons = append(f.Comparisons, c)
		p.skipSpace()
		if p.atEnd() {
			return f, nil
		}
		w, end := p.peekWord()
		if !strings.EqualFold(w, "AND") {
			return Filter{}, p.invalidClause()
		}
		p.pos = end
		p.skipSpace()
		if p.atEnd() {
			return Filter{}, syntaxErr(src, p.pos, "Invalid filter string: expected a comparison after AND")
		}
	}
}

// invalidClause reports the token at the current position as MLflow does
// for anything that is not a comparison or AND.
func (p *parser) invalidClause() *SyntaxError {
	return syntaxErr(p.src, p.pos, "Invalid clause(s) in filter string: '%s'", p.tokenAt(p.pos))
}

func (p *parser) comparison() (Comparison, error) {
	start := p.pos
	if !p.startsIdent() {
		return Comparison{}, p.invalidClause()
	}
	if w, end := p.peekWord(); strings.EqualFold(w, "AND") && (end == len(p.src) || p.src[end] != '.') {
		return Comparison{}, p.invalidClause()
	}
	id, serr := p.identifier()
	if serr != nil {
		return Comparison{}, serr
	}
	kind, key, info, serr := p.t.resolve(&p.scanner, id, false)
	if serr != nil {
		return Comparison{}, serr
	}
	p.skipSpace()
	opPos := p.pos
	op, serr := p.comparator(id)
	if serr != nil {
		return Comparison{}, serr
	}
	v := value{pos: p.pos}
	if op != OpIsNull && op != OpIsNotNull {
		p.skipSpace()
		if v, serr = p.value(op); serr != nil {
			return Comparison{}, serr
		}
		if serr := p.t.checkValue(p.src, kind, id, info, v); serr != nil {
			return Comparison{}, serr
		}
	}
	set := p.t.ops(kind, info)
	if !set.has(op) {
		return Comparison{}, set.err(p.src, opPos, op)
	}
	isList := v.kind == vList
	if (op == OpIn || op == OpNotIn) != isList {
		if isList {
			return Comparison{}, syntaxErr(p.src, v.pos, "Invalid comparison clause: a list of values can only follow IN or NOT IN, not %s", op)
		}
		return Comparison{}, syntaxErr(p.src, v.pos, "Invalid comparison clause: %s needs a parenthesised list of quoted strings, such as ('a', 'b')", op)
	}
	c := Comparison{Kind: kind, Key: key, Op: op, Pos: start}
	switch v.kind {
	case vString:
		c.Value = v.str
	case vNumber:
		c.Value = v.num
	case vList:
		c.Value = v.list
	}
	return c, nil
}

// comparator scans an operator. Runs of < > = ! ~ are returned as written
// (upper-cased words aside) and checked against the key's set later.
func (p *parser) comparator(id ident) (Op, *SyntaxError) {
	if p.atEnd() {
		return "", syntaxErr(p.src, p.pos, "Invalid comparison clause: expected a comparator after '%s'", clip(id.raw(p.src)))
	}
	if isOpChar(p.src[p.pos]) {
		end := p.pos
		for end < len(p.src) && isOpChar(p.src[end]) {
			end++
		}
		op := Op(p.src[p.pos:end])
		p.pos = end
		return op, nil
	}
	w, end := p.peekWord()
	switch strings.ToUpper(w) {
	case "LIKE", "ILIKE", "IN":
		p.pos = end
		return Op(strings.ToUpper(w)), nil
	case "NOT":
		p.pos = end
		p.skipSpace()
		if w, end := p.peekWord(); strings.EqualFold(w, "IN") {
			p.pos = end
			return OpNotIn, nil
		}
		return "", syntaxErr(p.src, p.pos, "Invalid comparison clause: expected IN after NOT")
	case "IS":
		p.pos = end
		p.skipSpace()
		op := OpIsNull
		if w, end := p.peekWord(); strings.EqualFold(w, "NOT") {
			p.pos = end
			p.skipSpace()
			op = OpIsNotNull
		}
		if w, end := p.peekWord(); strings.EqualFold(w, "NULL") {
			p.pos = end
			return op, nil
		}
		return "", syntaxErr(p.src, p.pos, "Invalid comparison clause: expected NULL or NOT NULL after IS")
	}
	return "", syntaxErr(p.src, p.pos, "Invalid comparison clause: expected a comparator after '%s' but found '%s'", clip(id.raw(p.src)), p.tokenAt(p.pos))
}

type vkind uint8

const (
	vNone   vkind = iota
	vString       // a quoted string
	vNumber       // a number
	vList         // a parenthesised list of quoted strings
	vBare         // an unquoted word or a backticked name: never a valid value
)

type value struct {
	kind vkind
	str  string
	num  float64
	list []string
	raw  string // the value as written, for messages
	pos  int
}

// value scans the value after op.
func (p *parser) value(op Op) (value, *SyntaxError) {
	v := value{pos: p.pos}
	if p.atEnd() {
		return v, syntaxErr(p.src, p.pos, "Invalid comparison clause: expected a value after %s", op)
	}
	var serr *SyntaxError
	switch c := p.src[p.pos]; {
	case c == '\'' || c == '"':
		v.kind = vString
		v.str, serr = p.quoted(c, true, "string")
	case c == '`':
		v.kind = vBare
		_, serr = p.quoted('`', false, "key")
	case c == '(':
		v.kind = vList
		v.list, serr = p.list()
	case c == '-' || c == '.' || isDigit(c):
		v, serr = p.number()
	case identStart(p.peekRune()):
		v.kind = vBare
		p.pos = p.runEnd(p.pos, bareValueRune)
	default:
		return v, syntaxErr(p.src, p.pos, "Invalid comparison clause: expected a value after %s but found '%s'", op, p.tokenAt(p.pos))
	}
	if serr != nil {
		return v, serr
	}
	v.raw = p.src[v.pos:p.pos]
	return v, nil
}

func bareValueRune(r rune) bool { return identRune(r) || r == '.' }

// number scans a number; digits run into letters ("1abc") make a bare word.
func (p *parser) number() (value, *SyntaxError) {
	v := value{pos: p.pos, kind: vNumber}
	src, i := p.src, p.pos
	if src[i] == '-' {
		i++
	}
	digits := 0
	for i < len(src) && isDigit(src[i]) {
		i++
		digits++
	}
	if i < len(src) && src[i] == '.' {
		i++
		for i < len(src) && isDigit(src[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return v, syntaxErr(src, p.pos, "Invalid comparison clause: expected a value but found '%s'", p.tokenAt(p.pos))
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && isDigit(src[j]) {
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			i = j
		}
	}
	if end := p.runEnd(i, bareValueRune); end > i {
		v.kind = vBare
		p.pos = end
		return v, nil
	}
	f, err := strconv.ParseFloat(src[p.pos:i], 64)
	if err != nil {
		return v, syntaxErr(src, p.pos, "Invalid comparison clause: the number %s is out of range", clip(src[p.pos:i]))
	}
	v.num = f
	p.pos = i
	return v, nil
}

// list scans "(" string { "," string } ")".
func (p *parser) list() ([]string, *SyntaxError) {
	const prefix = "While parsing a list in the query, "
	start := p.pos
	p.pos++
	p.skipSpace()
	if !p.atEnd() && p.src[p.pos] == ')' {
		return nil, syntaxErr(p.src, start, prefix+"expected a non-empty list of string values, but got empty list")
	}
	var out []string
	for {
		p.skipSpace()
		if p.atEnd() {
			return nil, syntaxErr(p.src, p.pos, prefix+"expected a non-empty list of string values, but got ill-formed list: ')' is missing")
		}
		c := p.src[p.pos]
		if c != '\'' && c != '"' {
			return nil, syntaxErr(p.src, p.pos, prefix+"expected a quoted string value but got '%s'", p.tokenAt(p.pos))
		}
		s, serr := p.quoted(c, true, "string")
		if serr != nil {
			return nil, serr
		}
		out = append(out, s)
		p.skipSpace()
		if p.atEnd() {
			return nil, syntaxErr(p.src, p.pos, prefix+"expected a non-empty list of string values, but got ill-formed list: ')' is missing")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case ')':
			p.pos++
			return out, nil
		default:
			return nil, syntaxErr(p.src, p.pos, prefix+"expected ',' or ')' but got '%s'", p.tokenAt(p.pos))
		}
	}
}
