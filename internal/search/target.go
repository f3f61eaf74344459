package search

import (
	"slices"
	"strings"
)

// This file holds what differs between runs/search and experiments/search:
// entity types, attribute keys, comparators per kind, and MLflow's messages
// for each. The sets are shown in the order MLflow 2.7.2 printed them in the
// recorded exchanges (Python set order); where no recording exists the order
// is MLflow's source order.

// attrInfo describes one attribute key (or alias).
type attrInfo struct {
	canon   string // the canonical name
	numeric bool   // compared as a number (Unix milliseconds)
	list    bool   // IN and NOT IN allowed
}

// opSet is the comparators one kind of key accepts, with MLflow's message.
type opSet struct {
	ops   []Op
	shown string // the Python set in the message
	close bool   // MLflow closes the quote after the set for some kinds only
}

func (s opSet) has(op Op) bool { return slices.Contains(s.ops, op) }

func (s opSet) err(src string, pos int, op Op) *SyntaxError {
	q := ""
	if s.close {
		q = "'"
	}
	return semanticErr(src, pos, "Invalid comparator '%s' not one of '%s%s", clip(string(op)), s.shown, q)
}

var (
	numericOps = opSet{
		ops:   []Op{OpEq, OpGe, OpGt, OpNe, OpLt, OpLe},
		shown: "{'=', '>=', '>', '!=', '<', '<='}",
	}
	paramOps = opSet{
		ops:   []Op{OpNe, OpEq, OpLike, OpILike, OpIsNull, OpIsNotNull},
		shown: "{'!=', '=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'}",
		close: true,
	}
	tagOps = opSet{
		ops:   paramOps.ops,
		shown: paramOps.shown,
	}
	runStringAttrOps = opSet{
		ops:   []Op{OpNe, OpEq, OpLike, OpILike, OpIn, OpNotIn},
		shown: "{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}",
		close: true,
	}
	experimentStringAttrOps = opSet{
		ops:   []Op{OpNe, OpEq, OpLike, OpILike},
		shown: "{'!=', '=', 'LIKE', 'ILIKE'}",
		close: true,
	}
	datasetOps = opSet{
		ops:   runStringAttrOps.ops,
		shown: runStringAttrOps.shown,
	}
)

// target is the grammar of one search API.
type target struct {
	entity      func(string) (Kind, bool)
	entityErr   string // format of the invalid entity type message, %s the type
	attrs       map[string]attrInfo
	attrsShown  string
	orderAttrs  map[string]attrInfo
	orderShown  string
	stringAttrs opSet
}

var (
	runString  = attrInfo{list: true}
	runNumeric = attrInfo{numeric: true}
)

func with(a attrInfo, canon string) attrInfo { a.canon = canon; return a }

var runTarget = &target{
	entity: func(e string) (Kind, bool) {
		switch e {
		case "metric", "metrics":
			return Metric, true
		case "parameter", "parameters", "param", "params":
			return Param, true
		case "tag", "tags":
			return Tag, true
		case "attribute", "attributes", "attr", "run":
			return Attribute, true
		case "dataset", "datasets":
			return Dataset, true
		}
		return 0, false
	},
	entityErr: "Invalid entity type '%s'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']",
	attrs: map[string]attrInfo{
		"run_id":       with(runString, AttrRunID),
		"run_name":     with(runString, AttrRunName),
		"run name":     with(runString, AttrRunName),
		"Run name":     with(runString, AttrRunName),
		"Run Name":     with(runString, AttrRunName),
		"status":       with(runString, AttrStatus),
		"user_id":      with(runString, AttrUserID),
		"artifact_uri": with(runString, AttrArtifactURI),
		"start_time":   with(runNumeric, AttrStartTime),
		"created":      with(runNumeric, AttrStartTime),
		"Created":      with(runNumeric, AttrStartTime),
		"end_time":     with(runNumeric, AttrEndTime),
	},
	attrsShown: "{'status', 'Created', 'Run Name', 'run_name', 'created', 'start_time', 'Run name', 'end_time', 'run_id', 'run name', 'user_id', 'artifact_uri'}",
	orderAttrs: map[string]attrInfo{
		"run_id":       with(runString, AttrRunID),
		"run_name":     with(runString, AttrRunName),
		"status":       with(runString, AttrStatus),
		"user_id":      with(runString, AttrUserID),
		"artifact_uri": with(runString, AttrArtifactURI),
		"start_time":   with(runNumeric, AttrStartTime),
		"created":      with(runNumeric, AttrStartTime),
		"Created":      with(runNumeric, AttrStartTime),
		"end_time":     with(runNumeric, AttrEndTime),
	},
	orderShown:  "{'status', 'Created', 'run_name', 'created', 'start_time', 'end_time', 'run_id', 'user_id', 'artifact_uri'}",
	stringAttrs: runStringAttrOps,
}

var experimentTarget = &target{
	entity: func(e string) (Kind, bool) {
		switch e {
		case "attribute", "attributes":
			return Attribute, true
		case "tag", "tags":
			return Tag, true
		}
		return 0, false
	},
	entityErr: "Invalid entity type '%s'. Valid entity types are ('attribute', 'attributes', 'tag', 'tags')",
	attrs: map[string]attrInfo{
		"name":             {canon: AttrName},
		"creation_time":    {canon: AttrCreationTime, numeric: true},
		"last_update_time": {canon: AttrLastUpdateTime, numeric: true},
	},
	attrsShown: "{'name', 'creation_time', 'last_update_time'}",
	orderAttrs: map[string]attrInfo{
		"name":             {canon: AttrName},
		"experiment_id":    {canon: AttrExperimentID, numeric: true},
		"creation_time":    {canon: AttrCreationTime, numeric: true},
		"last_update_time": {canon: AttrLastUpdateTime, numeric: true},
	},
	orderShown:  "{'name', 'experiment_id', 'creation_time', 'last_update_time'}",
	stringAttrs: experimentStringAttrOps,
}

// writtenKey is the key part of id as the user wrote it (aliases included).
func writtenKey(id ident) string {
	if len(id.segs) == 1 {
		return id.segs[0]
	}
	return strings.Join(id.segs[1:], ".")
}

// resolve maps an identifier to its kind and canonical key, checking the
// entity type and, for attributes and datasets, the key.
func (t *target) resolve(s *scanner, id ident, order bool) (Kind, string, attrInfo, *SyntaxError) {
	kind := Attribute
	if len(id.segs) > 1 {
		k, ok := t.entity(id.segs[0])
		if !ok {
			return 0, "", attrInfo{}, semanticErr(s.src, id.start, t.entityErr, clip(id.segs[0]))
		}
		kind = k
	}
	key := writtenKey(id)
	switch kind {
	case Attribute:
		attrs, shown := t.attrs, t.attrsShown
		if order {
			attrs, shown = t.orderAttrs, t.orderShown
		}
		info, ok := attrs[key]
		if !ok {
			return 0, "", attrInfo{}, semanticErr(s.src, id.keyPos, "Invalid attribute key '%s' specified. Valid keys are '%s'", clip(key), shown)
		}
		return kind, info.canon, info, nil
	case Dataset:
		switch key {
		case DatasetName, DatasetDigest, DatasetContext:
			return kind, key, attrInfo{canon: key, list: true}, nil
		}
		return 0, "", attrInfo{}, semanticErr(s.src, id.keyPos, "Invalid dataset key '%s' specified. Valid keys are '{'name', 'digest', 'context'}'", clip(key))
	}
	if key == "" {
		return 0, "", attrInfo{}, syntaxErr(s.src, id.keyPos, "%s: the %s name is empty", s.what, kind)
	}
	return kind, key, attrInfo{canon: key}, nil
}

// ops returns the comparators a key accepts.
func (t *target) ops(kind Kind, info attrInfo) opSet {
	switch kind {
	case Metric:
		return numericOps
	case Param:
		return paramOps
	case Tag:
		return tagOps
	case Dataset:
		return datasetOps
	}
	if info.numeric {
		return numericOps
	}
	return t.stringAttrs
}

// checkValue checks that v has the type the key needs, with MLflow's
// messages.
func (t *target) checkValue(src string, kind Kind, id ident, info attrInfo, v value) *SyntaxError {
	raw := clip(v.raw)
	unquoted := func() *SyntaxError {
		return semanticErr(src, v.pos, "Parameter value is either not quoted or unidentified quote types used for string value %s. Use either single or double quotes.", raw)
	}
	switch {
	case kind == Metric:
		if v.kind != vNumber {
			return semanticErr(src, v.pos, "Expected numeric value type for metric. Found %s", raw)
		}
	case kind == Param || kind == Tag:
		switch v.kind {
		case vString:
		case vBare:
			return unquoted()
		default:
			return semanticErr(src, v.pos, "Expected a quoted string value for %s (e.g. 'my-value'). Got value %s", kind, raw)
		}
	case kind == Attribute && info.numeric:
		if v.kind != vNumber {
			return semanticErr(src, v.pos, "Expected numeric value type for numeric attribute: %s. Found %s", clip(writtenKey(id)), raw)
		}
	case kind == Attribute:
		switch v.kind {
		case vString:
		case vList:
			if !info.list {
				return semanticErr(src, v.pos, "Only the 'run_id' attribute supports comparison with a list of quoted string values.")
			}
		case vBare:
			return unquoted()
		default:
			return semanticErr(src, v.pos, "Expected a quoted string value for attributes. Got value %s", raw)
		}
	case kind == Dataset:
		switch v.kind {
		case vString, vList:
		case vBare:
			return unquoted()
		default:
			return semanticErr(src, v.pos, "Expected a quoted string value for dataset attributes. Got value %s", raw)
		}
	}
	return nil
}
