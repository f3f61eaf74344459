package spec

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// nodeKind is the shape of a YAML value after anchors, aliases, merge keys
// and tags are resolved.
type nodeKind uint8

const (
	nNull nodeKind = iota
	nScalar
	nMap
	nSeq
)

// scalarType is the YAML core-schema type of a scalar as written.
type scalarType uint8

const (
	sStr scalarType = iota
	sInt
	sFloat
	sBool
)

// node is a YAML value with its position. The decoders in this package read
// nodes, never the YAML library's AST, so that --set values and schedule
// overrides can be grafted into a document before it is decoded.
type node struct {
	kind    nodeKind
	typ     scalarType
	text    string // a scalar's value: the string, or a number or boolean as written
	style   byte   // '|' or '>' for block scalars, '"' or '\'' when quoted, 0 when plain
	indent  int    // a '|' block's content indentation, in columns
	pos     Pos
	entries []entry // nMap, in file order
	items   []*node // nSeq
	size    int     // values in this subtree, for the alias budget
}

// entry is one key of a mapping.
type entry struct {
	key    string
	keyPos Pos
	val    *node
}

// get returns the entry for key, or nil.
func (n *node) get(key string) *entry {
	if n == nil || n.kind != nMap {
		return nil
	}
	for i := range n.entries {
		if n.entries[i].key == key {
			return &n.entries[i]
		}
	}
	return nil
}

// scalarString returns a scalar's text and whether n is a scalar.
func (n *node) scalarString() (string, bool) {
	if n == nil || n.kind != nScalar {
		return "", false
	}
	return n.text, true
}

// describe names a value's shape for error messages.
func describe(n *node) string {
	if n == nil {
		return "nothing"
	}
	switch n.kind {
	case nNull:
		return "an empty value"
	case nMap:
		return "a mapping"
	case nSeq:
		return "a list"
	}
	switch n.typ {
	case sInt:
		return "the integer " + clip(n.text, 40)
	case sFloat:
		return "the number " + clip(n.text, 40)
	case sBool:
		return "the boolean " + n.text
	}
	return strconv.Quote(clip(n.text, 60))
}

// loader turns the YAML library's AST into nodes.
type loader struct {
	file    string
	src     []byte
	lines   []int // offsets of line starts, computed on first use
	anchors map[string]*node
	budget  int
	deep    bool // depth limit already reported
	p       *problems
}

// load parses src (one YAML document) into a node tree. It returns nil after
// recording the problems when the YAML is malformed.
func load(file string, src []byte, p *problems) (root *node) {
	f, err := parseYAML(src)
	if err != nil {
		pos := Pos{File: file, Line: 1, Col: 1}
		msg := err.Error()
		var ye yaml.Error
		if errors.As(err, &ye) {
			msg = ye.GetMessage()
			if tk := ye.GetToken(); tk != nil && tk.Position != nil {
				pos.Line, pos.Col = tk.Position.Line, tk.Position.Column
			}
		}
		p.addf(pos, "YAML syntax: %s", msg)
		return nil
	}
	var body ast.Node
	for i, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		if body != nil {
			pos := Pos{File: file, Line: 1, Col: 1}
			if d.Start != nil && d.Start.Position != nil {
				pos.Line, pos.Col = d.Start.Position.Line, d.Start.Position.Column
			}
			p.addf(pos, "the file holds more than one YAML document (document %d); put one document in each file", i+1)
			return nil
		}
		body = d.Body
	}
	if body == nil {
		p.addf(Pos{File: file, Line: 1, Col: 1}, "the file holds no YAML document")
		return nil
	}
	l := &loader{file: file, src: src, anchors: map[string]*node{}, budget: MaxNodes, p: p}
	root = l.conv(body, 0)
	if l.budget < 0 || root == nil {
		return nil
	}
	return root
}

// parseYAML runs the YAML parser, turning a panic inside it into an error so
// that no input can take the caller down.
func parseYAML(src []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("the YAML parser failed on this input (%v)", r)
		}
	}()
	return parser.ParseBytes(src, 0)
}

// indentAfter returns the indentation of the first non-blank line after
// line (1-based), which is where a literal block's content starts.
func (l *loader) indentAfter(line int) int {
	if l.lines == nil {
		l.lines = []int{0}
		for i, c := range l.src {
			if c == '\n' {
				l.lines = append(l.lines, i+1)
			}
		}
	}
	for n := line; n < len(l.lines) && n < line+1000; n++ {
		end := len(l.src)
		if n+1 < len(l.lines) {
			end = l.lines[n+1] - 1
		}
		ln := l.src[l.lines[n]:end]
		if t := bytes.TrimLeft(ln, " "); len(bytes.TrimSpace(t)) > 0 {
			return len(ln) - len(t)
		}
	}
	return 0
}

func (l *loader) pos(tk *token.Token) Pos {
	if tk == nil || tk.Position == nil {
		return Pos{File: l.file}
	}
	return Pos{File: l.file, Line: tk.Position.Line, Col: tk.Position.Column}
}

// spend takes n values from the budget and reports its exhaustion once.
func (l *loader) spend(n int, tk *token.Token) bool {
	if l.budget < 0 {
		return false
	}
	l.budget -= n
	if l.budget < 0 {
		l.p.addf(l.pos(tk), "the document has more than %d values (counting alias expansions); split it or remove repetition", MaxNodes)
		return false
	}
	return true
}

func (l *loader) conv(n ast.Node, depth int) *node {
	if n == nil {
		return &node{kind: nNull, size: 1}
	}
	tk := n.GetToken()
	if depth > MaxDepth {
		if !l.deep {
			l.deep = true
			l.p.addf(l.pos(tk), "values are nested more than %d levels deep", MaxDepth)
		}
		return nil
	}
	if !l.spend(1, tk) {
		return nil
	}
	pos := l.pos(tk)
	switch x := n.(type) {
	case *ast.NullNode:
		return &node{kind: nNull, pos: pos, size: 1}
	case *ast.StringNode:
		s := &node{kind: nScalar, typ: sStr, text: x.Value, pos: pos, size: 1}
		if tk != nil && tk.Type == token.DoubleQuoteType {
			s.style = '"'
		} else if tk != nil && tk.Type == token.SingleQuoteType {
			s.style = '\''
		}
		return s
	case *ast.LiteralNode:
		s := &node{kind: nScalar, typ: sStr, pos: pos, size: 1, style: '|'}
		if x.Value != nil {
			s.text = x.Value.Value
		}
		if x.Start != nil && strings.HasPrefix(x.Start.Value, ">") {
			s.style = '>'
		} else {
			s.indent = l.indentAfter(pos.Line)
		}
		return s
	case *ast.IntegerNode:
		return &node{kind: nScalar, typ: sInt, text: tk.Value, pos: pos, size: 1}
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return &node{kind: nScalar, typ: sFloat, text: tk.Value, pos: pos, size: 1}
	case *ast.BoolNode:
		return &node{kind: nScalar, typ: sBool, text: tk.Value, pos: pos, size: 1}
	case *ast.MappingNode:
		return l.mapping(x.Values, pos, depth)
	case *ast.MappingValueNode:
		return l.mapping([]*ast.MappingValueNode{x}, pos, depth)
	case *ast.SequenceNode:
		s := &node{kind: nSeq, pos: pos, size: 1}
		for _, v := range x.Values {
			c := l.conv(v, depth+1)
			if c == nil {
				return nil
			}
			s.items = append(s.items, c)
			s.size += c.size
		}
		return s
	case *ast.AnchorNode:
		v := l.conv(x.Value, depth+1)
		if v == nil {
			return nil
		}
		if x.Name != nil {
			l.anchors[x.Name.GetToken().Value] = v
		}
		return v
	case *ast.AliasNode:
		name := ""
		if x.Value != nil {
			name = x.Value.GetToken().Value
		}
		v, ok := l.anchors[name]
		if !ok {
			l.p.addf(pos, "alias *%s refers to no anchor defined before it", clip(name, 60))
			return nil
		}
		if !l.spend(v.size, tk) {
			return nil
		}
		return v
	case *ast.TagNode:
		return l.tag(x, pos, depth)
	case *ast.MappingKeyNode:
		return l.conv(x.Value, depth+1)
	}
	l.p.addf(pos, "unsupported YAML construct %s", n.Type())
	return nil
}

// mapping converts the entries of a mapping, applying merge keys (<<): the
// mapping's own keys win over merged ones, and earlier merges over later.
func (l *loader) mapping(values []*ast.MappingValueNode, pos Pos, depth int) *node {
	m := &node{kind: nMap, pos: pos, size: 1}
	var merges []*node
	seen := map[string]bool{}
	for i, mv := range values {
		if mv == nil {
			continue
		}
		if _, ok := mv.Key.(*ast.MergeKeyNode); ok {
			v := l.conv(mv.Value, depth+1)
			if v == nil {
				return nil
			}
			merges = append(merges, v)
			continue
		}
		k := l.conv(mv.Key, depth+1)
		if k == nil {
			return nil
		}
		if k.kind != nScalar {
			l.p.addf(k.pos, "a mapping key must be a plain name, not %s", describe(k))
			return nil
		}
		if i == 0 {
			m.pos = k.pos
		}
		if seen[k.text] {
			l.p.addf(k.pos, "key %q appears twice in this mapping", clip(k.text, 80))
			return nil
		}
		seen[k.text] = true
		v := l.conv(mv.Value, depth+1)
		if v == nil {
			return nil
		}
		if v.kind == nNull {
			v = &node{kind: nNull, pos: k.pos, size: 1}
		}
		m.entries = append(m.entries, entry{key: k.text, keyPos: k.pos, val: v})
		m.size += v.size
	}
	for _, src := range merges {
		var maps []*node
		switch src.kind {
		case nMap:
			maps = []*node{src}
		case nSeq:
			maps = src.items
		}
		for _, sm := range maps {
			if sm.kind != nMap {
				l.p.addf(sm.pos, "a merge key (<<) takes a mapping or a list of mappings, not %s", describe(sm))
				return nil
			}
			for _, e := range sm.entries {
				if !seen[e.key] {
					seen[e.key] = true
					m.entries = append(m.entries, e)
					m.size += e.val.size
				}
			}
		}
		if len(maps) == 0 {
			l.p.addf(src.pos, "a merge key (<<) takes a mapping or a list of mappings, not %s", describe(src))
			return nil
		}
	}
	return m
}

// tag applies a core-schema tag (!!str, !!int, ...) and refuses others.
func (l *loader) tag(x *ast.TagNode, pos Pos, depth int) *node {
	name := ""
	if x.Start != nil {
		name = x.Start.Value
	}
	v := l.conv(x.Value, depth+1)
	if v == nil {
		return nil
	}
	c := *v // the value may be shared through an anchor; retag a copy
	ok := true
	switch name {
	case "!!str":
		switch c.kind {
		case nScalar:
			c.typ = sStr
		case nNull:
			c = node{kind: nScalar, typ: sStr, pos: c.pos, size: 1}
		default:
			ok = false
		}
	case "!!int":
		_, err := strconv.ParseInt(c.text, 0, 64)
		ok = c.kind == nScalar && err == nil
		c.typ = sInt
	case "!!float":
		_, err := strconv.ParseFloat(c.text, 64)
		ok = c.kind == nScalar && (c.typ == sInt || c.typ == sFloat || err == nil)
		c.typ = sFloat
	case "!!bool":
		ok = c.kind == nScalar && c.typ == sBool
	case "!!null":
		ok = c.kind == nNull
	case "!!map":
		ok = c.kind == nMap
	case "!!seq":
		ok = c.kind == nSeq
	default:
		l.p.addf(pos, "YAML tag %s is not supported; only the core tags (!!str, !!int, !!float, !!bool, !!null, !!map, !!seq) are", clip(name, 40))
		return nil
	}
	if !ok {
		l.p.addf(pos, "YAML tag %s does not fit %s", name, describe(v))
		return nil
	}
	return &c
}
