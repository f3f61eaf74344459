package spec

import (
	"strconv"
	"strings"

	"github.com/latheml/lathe"
)

// Param declares one input of a component: data (uri_file, uri_folder,
// mltable, mlflow_model, custom_model) or a literal (string, integer,
// number, boolean).
type Param struct {
	Name        string
	Pos         Pos
	Type        string
	Description string
	// Optional inputs may be left unset; a command names those without a
	// default only inside $[[ ... ]].
	Optional bool
	// Default is used when the input is not given.
	Default *Literal
	// Min and Max bound integer and number inputs; Enum lists the allowed
	// values of a string input.
	Min  *float64
	Max  *float64
	Enum []string
	// Mode is a data input's default mode.
	Mode string
}

// CommandComponent is Azure's commandComponent: a reusable, versioned
// command with typed inputs and outputs.
type CommandComponent struct {
	Meta
	Pos         Pos
	Name        string // "" for an anonymous (inline or file-referenced) component
	Version     string
	DisplayName string
	Description string
	Tags        map[string]string
	Properties  map[string]string
	// IsDeterministic allows reusing an earlier run's outputs (default true).
	IsDeterministic bool
	Inputs          map[string]*Param
	Outputs         map[string]*Output
	Code            *Ref
	Environment     *EnvRef
	Command         Command
	Resources       *Resources
}

// Kind implements Document.
func (*CommandComponent) Kind() Kind { return KindCommandComponent }

// OptionalKeys returns the Bind keys ("inputs.x") of the optional inputs
// that have no default: the ones whose $[[...]] fragments may be dropped.
func (c *CommandComponent) OptionalKeys() map[string]bool {
	out := map[string]bool{}
	for k, p := range c.Inputs {
		if p.Optional && p.Default == nil {
			out["inputs."+k] = true
		}
	}
	return out
}

var componentSchema = schema{
	name: "commandComponent",
	fields: []string{"$schema", "type", "name", "version", "display_name", "description", "tags", "properties",
		"is_deterministic", "inputs", "outputs", "code", "environment", "command", "resources"},
	rejected: withRefused(map[string]string{
		"distribution":          "distributed training (mpi, pytorch, tensorflow, ray) is not supported yet",
		"additional_includes":   "put every file the command needs under code",
		"limits":                "limits are set where the component runs: on the job or pipeline step",
		"compute":               "compute is chosen where the component runs: on the pipeline step or the pipeline's settings",
		"environment_variables": "set environment variables on the pipeline step that runs the component",
		"experiment_name":       "components are not runs; set experiment_name on the pipeline",
		"latest_version":        "it is set by the server; remove it",
	}),
}

var paramSchema = schema{fields: []string{"type", "description", "optional", "default", "min", "max", "enum", "mode"}}

var portSchema = schema{fields: []string{"type", "description", "mode"},
	rejected: map[string]string{
		"path":       "a component declares outputs; where they go is set on the job or step that runs it",
		"is_control": "control outputs are not supported",
	}}

// isComponentName is Azure's rule for component names: a lowercase letter,
// then lowercase letters, digits and _. Lathe's built-in components live in
// the reserved lathe. namespace (lathe.train_tabular).
func isComponentName(s string) bool {
	s = strings.TrimPrefix(s, "lathe.")
	if s == "" || len(s) > lathe.MaxNameLen || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// componentMeta reads the fields every component kind shares: name (Azure's
// rule), version, display_name, description and tags.
func (d *dec) componentMeta(e *entry, p string, name, version, displayName, description *string, tags *map[string]string) {
	switch e.key {
	case "name":
		if s := d.reqStr(e, p); s != "" && !isComponentName(s) {
			d.errf(e.val.pos, "%s %q: a component name is a lowercase letter, then lowercase letters, digits and _ (Azure's rule)", p, clip(s, 80))
		} else {
			*name = s
		}
	case "version":
		*version = d.version(e, p)
	case "display_name":
		*displayName = d.text(e, p, lathe.MaxNameLen)
	case "description":
		*description = d.text(e, p, lathe.MaxDescriptionLen)
	case "tags":
		*tags = d.tags(e, p)
	}
}

// decodeComponent reads a command component; where names it in messages.
func decodeComponent(d *dec, root *node, m Meta, where string) *CommandComponent {
	c := &CommandComponent{Meta: m, Pos: root.pos, IsDeterministic: true}
	prefix := ""
	if where != "commandComponent" {
		prefix = where
	}
	d.fields(root, &componentSchema, where, func(e *entry) {
		p := join(prefix, e.key)
		switch e.key {
		case "type":
			d.typeField(e, "command")
		case "name", "version", "display_name", "description", "tags":
			d.componentMeta(e, p, &c.Name, &c.Version, &c.DisplayName, &c.Description, &c.Tags)
		case "properties":
			c.Properties = d.tags(e, p)
		case "is_deterministic":
			c.IsDeterministic = d.boolean(e, p)
		case "inputs":
			c.Inputs = d.params(e, p)
		case "outputs":
			c.Outputs = d.ports(e, p)
		case "code":
			c.Code = d.code(e, p)
		case "environment":
			c.Environment = d.envRef(e, p)
		case "command":
			c.Command = d.command(e, p)
		case "resources":
			c.Resources = d.resources(e, p)
		}
	})
	if root.kind == nMap && root.get("command") == nil {
		d.errf(root.pos, "%s has no command; add command: <the command line to run>", where)
	}
	d.checkCommand(c.Command, scopeOf(nil, c.Inputs, c.Outputs), join(prefix, "command"))
	return c
}

// params reads a component's input declarations.
func (d *dec) params(e *entry, path string) map[string]*Param {
	if e.val.kind == nNull {
		return nil
	}
	if e.val.kind != nMap {
		d.errf(e.keyPos, "%s must be a mapping of input names to declarations, not %s", path, describe(e.val))
		return nil
	}
	if len(e.val.entries) > MaxIO {
		d.errf(e.keyPos, "%s has %d inputs; the limit is %d", path, len(e.val.entries), MaxIO)
		return nil
	}
	out := map[string]*Param{}
	for i := range e.val.entries {
		c := &e.val.entries[i]
		if !isIdent(c.key) {
			d.errf(c.keyPos, "input name %q: use letters, digits and _, starting with a letter or _", clip(c.key, 80))
			continue
		}
		prm := d.param(c, join(path, c.key))
		if prm == nil {
			prm = &Param{Name: c.key, Pos: c.keyPos} // reported; see inputs
		}
		out[c.key] = prm
	}
	return out
}

// param reads one input declaration.
func (d *dec) param(e *entry, path string) *Param {
	prm := &Param{Name: e.key, Pos: e.keyPos}
	if e.val.kind != nMap {
		d.errf(e.keyPos, "%s must declare the input's type (type: uri_folder, string, integer, ...), not be %s", path, describe(e.val))
		return nil
	}
	all := append(append([]string{}, dataTypes...), literalTypes...)
	var def, minE, maxE, enumE *entry
	d.fields(e.val, &paramSchema, path, func(c *entry) {
		p := join(path, c.key)
		switch c.key {
		case "type":
			prm.Type = d.oneOf(c, p, all, refusedTypes)
		case "description":
			prm.Description = d.text(c, p, lathe.MaxDescriptionLen)
		case "optional":
			prm.Optional = d.boolean(c, p)
		case "default":
			def = c
		case "min":
			minE = c
		case "max":
			maxE = c
		case "enum":
			enumE = c
		case "mode":
			prm.Mode = d.oneOf(c, p, inputModes, refusedInputModes)
		}
	})
	if e.val.get("type") == nil {
		d.errf(e.keyPos, "%s has no type; add type: uri_folder, uri_file, mltable, mlflow_model, custom_model, string, integer, number or boolean", path)
		return nil
	}
	if prm.Type == "" {
		return nil
	}
	literal := isLiteralType(prm.Type)
	if prm.Mode != "" && literal {
		d.errf(e.keyPos, "%s: mode is for data inputs, not %s", path, prm.Type)
	}
	for _, b := range []struct {
		e   *entry
		dst **float64
	}{{minE, &prm.Min}, {maxE, &prm.Max}} {
		if b.e == nil {
			continue
		}
		p := join(path, b.e.key)
		if prm.Type != TypeInteger && prm.Type != TypeNumber {
			d.errf(b.e.keyPos, "%s: %s bounds integer and number inputs, not %s", path, b.e.key, prm.Type)
			continue
		}
		if v, ok := d.bound(b.e, p, prm.Type); ok {
			*b.dst = &v
		}
	}
	if prm.Min != nil && prm.Max != nil && *prm.Min > *prm.Max {
		d.errf(maxE.val.pos, "%s: max %v is less than min %v", path, *prm.Max, *prm.Min)
	}
	if enumE != nil {
		if prm.Type != TypeString {
			d.errf(enumE.keyPos, "%s: enum lists the values of string inputs, not %s", path, prm.Type)
		} else if prm.Enum = d.strList(enumE, join(path, "enum")); len(prm.Enum) == 0 {
			d.errf(enumE.keyPos, "%s: enum is empty; list the allowed values", path)
		}
	}
	if def != nil {
		prm.Default = d.paramValue(prm, def.val, join(path, "default"))
	}
	return prm
}

// bound reads min or max: a number (an integer for integer inputs); Azure
// also accepts numbers written as strings.
func (d *dec) bound(c *entry, p, typ string) (float64, bool) {
	n := c.val
	if n.kind == nScalar && n.typ == sStr {
		if v, ok := parseNumber(n.text); ok {
			n = &node{kind: nScalar, typ: sFloat, text: n.text, pos: n.pos}
			if _, err := strconv.ParseInt(n.text, 0, 64); err == nil {
				n.typ = sInt
			}
			_ = v
		}
	}
	x := entry{key: c.key, keyPos: c.keyPos, val: n}
	if typ == TypeInteger {
		v, ok := d.integer(&x, p)
		return float64(v), ok
	}
	return d.number(&x, p)
}

// paramValue checks a value (a default, or a --set) against a declaration
// and returns it as a literal.
func (d *dec) paramValue(prm *Param, n *node, p string) *Literal {
	if n.kind != nScalar {
		d.errf(n.pos, "%s must be a single value, not %s", p, describe(n))
		return nil
	}
	lit := literalOf(n)
	if msg := prm.check(lit); msg != "" {
		d.errf(n.pos, "%s %s", p, msg)
		return nil
	}
	return lit
}

// check says what is wrong with a value for this input, or "".
func (prm *Param) check(lit *Literal) string {
	switch prm.Type {
	case TypeInteger:
		if _, ok := lit.Int(); !ok {
			return "must be an integer, not " + strconv.Quote(clip(lit.Text, 40))
		}
	case TypeNumber:
		if _, ok := lit.Float(); !ok {
			return "must be a number, not " + strconv.Quote(clip(lit.Text, 40))
		}
	case TypeBoolean:
		if _, ok := lit.Bool(); !ok {
			return "must be true or false, not " + strconv.Quote(clip(lit.Text, 40))
		}
	case TypeString:
		lit.Type = TypeString
		if len(prm.Enum) > 0 && !contains(prm.Enum, lit.Text) {
			return strconv.Quote(clip(lit.Text, 40)) + " is not one of the allowed values " + joinQuoted(prm.Enum)
		}
		return ""
	default:
		r, err := ParseRef(lit.Text)
		if err != nil {
			return ": " + lathe.ErrorMessage(err)
		}
		if msg := checkInputRef(prm.Type, r); msg != "" {
			return ": " + msg
		}
		return ""
	}
	v, _ := lit.Float()
	if prm.Min != nil && v < *prm.Min {
		return strconv.Quote(lit.Text) + " is below the minimum " + strconv.FormatFloat(*prm.Min, 'g', -1, 64)
	}
	if prm.Max != nil && v > *prm.Max {
		return strconv.Quote(lit.Text) + " is above the maximum " + strconv.FormatFloat(*prm.Max, 'g', -1, 64)
	}
	return ""
}

func joinQuoted(list []string) string {
	s := ""
	for i, x := range list {
		if i > 0 {
			s += ", "
		}
		s += strconv.Quote(x)
	}
	return s
}

// ports reads a component's output declarations.
func (d *dec) ports(e *entry, path string) map[string]*Output {
	if e.val.kind == nNull {
		return nil
	}
	if e.val.kind != nMap {
		d.errf(e.keyPos, "%s must be a mapping of output names to declarations, not %s", path, describe(e.val))
		return nil
	}
	out := map[string]*Output{}
	for i := range e.val.entries {
		c := &e.val.entries[i]
		p := join(path, c.key)
		if !isIdent(c.key) {
			d.errf(c.keyPos, "output name %q: use letters, digits and _, starting with a letter or _", clip(c.key, 80))
			continue
		}
		o := &Output{Name: c.key, Pos: c.keyPos, Type: TypeURIFolder}
		d.fields(c.val, &portSchema, p, func(f *entry) {
			switch f.key {
			case "type":
				o.Type = d.oneOf(f, join(p, f.key), dataTypes, refusedTypes)
			case "description":
				o.Description = d.text(f, join(p, f.key), lathe.MaxDescriptionLen)
			case "mode":
				o.Mode = d.oneOf(f, join(p, f.key), outputModes, refusedOutputModes)
			}
		})
		out[c.key] = o
	}
	return out
}
