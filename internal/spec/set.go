package spec

import (
	"strings"

	"github.com/latheml/lathe"
)

// patch replaces the value at a field path before a document is decoded:
// a --set assignment or a schedule's create_job override.
type patch struct {
	path  []string
	val   *node
	label string // "--set key=value", or "" for an override from a file
}

// Set returns doc with key=value assignments applied, as the CLI's --set
// does: key is a dotted field path (inputs.lr, jobs.train.compute,
// tags.team, limits.timeout) and value is read as YAML (0.1 is a number,
// true a boolean, {a: b} a mapping). Missing mappings along the path are
// created. A value replacing an integer, number or boolean must have the
// same type (an integer may replace a number). The result is parsed and
// validated again, so every rule of the file applies and errors name the
// assignment. Set re-reads the document: call it before filling in
// PipelineStep.Component.
func Set(doc Document, assignments ...string) (Document, error) {
	m := doc.meta()
	if m.src == nil {
		return nil, lathe.Errorf(lathe.EINVALID, "--set applies to a document parsed from a file; this %s was defined inside another", doc.Kind())
	}
	patches := append([]patch(nil), m.patches...)
	for _, a := range assignments {
		key, value, ok := strings.Cut(a, "=")
		label := "--set " + clip(a, 120)
		if !ok || key == "" {
			return nil, lathe.Errorf(lathe.EINVALID, "%s: write key=value, e.g. --set inputs.learning_rate=0.01", label)
		}
		path := strings.Split(key, ".")
		for _, seg := range path {
			if seg == "" {
				return nil, lathe.Errorf(lathe.EINVALID, "%s: %q has an empty field name; write dotted names like inputs.lr", label, clip(key, 80))
			}
		}
		patches = append(patches, patch{path: path, val: setValue(value, label), label: label})
	}
	return parseDoc(doc.Kind(), m.File, m.src, patches)
}

// setValue reads a --set value as YAML, or as a string when it is not
// valid YAML, and marks every node as coming from the assignment.
func setValue(value, label string) *node {
	at := Pos{File: label}
	if strings.TrimSpace(value) == "" {
		return &node{kind: nScalar, typ: sStr, text: value, pos: at, size: 1}
	}
	n := load(label, []byte(value), &problems{})
	if n == nil {
		return &node{kind: nScalar, typ: sStr, text: value, pos: at, size: 1}
	}
	var mark func(*node) *node
	mark = func(n *node) *node {
		c := *n
		c.pos = at
		c.entries = nil
		for _, e := range n.entries {
			c.entries = append(c.entries, entry{key: e.key, keyPos: at, val: mark(e.val)})
		}
		c.items = nil
		for _, it := range n.items {
			c.items = append(c.items, mark(it))
		}
		return &c
	}
	return mark(n)
}

// applyPatches applies patches to a document's root, copying the mappings
// it changes (values may be shared through anchors).
func applyPatches(root *node, patches []patch, p *problems) *node {
	for _, pt := range patches {
		var ok bool
		root, ok = setPath(root, pt.path, pt, p, "")
		if !ok {
			return nil
		}
	}
	return root
}

func setPath(n *node, path []string, pt patch, p *problems, done string) (*node, bool) {
	at := Pos{File: pt.label}
	if pt.label == "" {
		at = pt.val.pos
	}
	switch n.kind {
	case nNull:
		n = &node{kind: nMap, pos: at, size: 1}
	case nMap:
		c := *n
		c.entries = append([]entry(nil), n.entries...)
		n = &c
	default:
		p.addf(at, "%s is %s, not a mapping of fields; set %s itself", done, describe(n), done)
		return nil, false
	}
	key := path[0]
	e := n.get(key)
	if e == nil {
		n.entries = append(n.entries, entry{key: key, keyPos: at, val: &node{kind: nNull, pos: at, size: 1}})
		e = &n.entries[len(n.entries)-1]
	}
	here := join(done, key)
	if len(path) == 1 {
		if msg := setTypeClash(e.val, pt.val); msg != "" {
			p.addf(at, "%s is %s at %s; the new value must be %s too, not %s", here, msg, e.val.pos, msg, describe(pt.val))
			return nil, false
		}
		e.val = pt.val
		return n, true
	}
	child, ok := setPath(e.val, path[1:], pt, p, here)
	if !ok {
		return nil, false
	}
	e.val = child
	return n, true
}

// setTypeClash says how a new value fails to match the type of the value it
// replaces, or "".
func setTypeClash(old, val *node) string {
	if old.kind != nScalar || old.pos.Line == 0 {
		return ""
	}
	switch old.typ {
	case sInt:
		if val.kind != nScalar || val.typ != sInt {
			return "an integer"
		}
	case sFloat:
		if val.kind != nScalar || val.typ != sInt && val.typ != sFloat {
			return "a number"
		}
	case sBool:
		if val.kind != nScalar || val.typ != sBool {
			return "true or false"
		}
	}
	return ""
}
