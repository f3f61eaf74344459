package spec

import (
	"strconv"
	"strings"

	"github.com/latheml/lathe"
)

// Input and output types.
const (
	TypeURIFile     = "uri_file"
	TypeURIFolder   = "uri_folder"
	TypeMLTable     = "mltable"
	TypeMLflowModel = "mlflow_model"
	TypeCustomModel = "custom_model"
	TypeString      = "string"
	TypeInteger     = "integer"
	TypeNumber      = "number"
	TypeBoolean     = "boolean"
)

// Input and output modes. Inputs default to ro_mount and outputs to
// rw_mount, as in Azure ML.
const (
	ModeROMount  = "ro_mount"
	ModeDownload = "download"
	ModeRWMount  = "rw_mount"
	ModeUpload   = "upload"
)

var (
	dataTypes    = []string{TypeURIFile, TypeURIFolder, TypeMLTable, TypeMLflowModel, TypeCustomModel}
	literalTypes = []string{TypeString, TypeInteger, TypeNumber, TypeBoolean}
	inputModes   = []string{ModeROMount, ModeDownload}
	outputModes  = []string{ModeRWMount, ModeUpload}
	// refusedTypes are types Azure (or older Azure) accepts and Lathe does not.
	refusedTypes = map[string]string{
		"triton_model": "Lathe does not serve Triton model repositories; use custom_model",
		"path":         "path is the legacy name of uri_folder; write uri_folder",
		"int":          "write integer",
		"float":        "write number",
		"bool":         "write boolean",
		"str":          "write string",
	}
	refusedInputModes = map[string]string{
		"direct":        "Lathe stages every input; use ro_mount or download",
		"eval_mount":    "MLTable evaluation while mounting is not supported; use ro_mount or download",
		"eval_download": "MLTable evaluation while downloading is not supported; use ro_mount or download",
		"rw_mount":      "inputs are read-only; rw_mount is for outputs",
		"upload":        "upload is for outputs; inputs are ro_mount or download",
		"mount":         "write ro_mount",
		"link":          "use ro_mount or download",
	}
	refusedOutputModes = map[string]string{
		"direct":   "Lathe uploads every output; use rw_mount or upload",
		"mount":    "write rw_mount",
		"ro_mount": "ro_mount is for inputs; outputs are rw_mount or upload",
		"download": "download is for inputs; outputs are rw_mount or upload",
	}
	// macros are the server-side expressions allowed in literal values and
	// output paths.
	macros = []string{"name", "output_name", "default_datastore", "creation_context.trigger_time"}
)

func isDataType(t string) bool    { return contains(dataTypes, t) }
func isLiteralType(t string) bool { return contains(literalTypes, t) }
func isModelType(t string) bool   { return t == TypeMLflowModel || t == TypeCustomModel }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Literal is a literal input value: its type as YAML typed it and its text
// as written, which is what Bind inserts.
type Literal struct {
	Type string // string, integer, number or boolean
	Text string
	Pos  Pos
}

// Int returns an integer literal's value.
func (l Literal) Int() (int64, bool) {
	v, err := strconv.ParseInt(l.Text, 0, 64)
	return v, err == nil && l.Type == TypeInteger
}

// Float returns an integer or number literal's value.
func (l Literal) Float() (float64, bool) {
	if l.Type != TypeInteger && l.Type != TypeNumber {
		return 0, false
	}
	return parseNumber(l.Text)
}

// Bool returns a boolean literal's value.
func (l Literal) Bool() (bool, bool) {
	return strings.EqualFold(l.Text, "true"), l.Type == TypeBoolean
}

// literalOf reads a scalar node as a literal.
func literalOf(n *node) *Literal {
	l := &Literal{Type: TypeString, Text: n.text, Pos: n.pos}
	switch n.typ {
	case sInt:
		l.Type = TypeInteger
	case sFloat:
		l.Type = TypeNumber
	case sBool:
		l.Type = TypeBoolean
	}
	return l
}

// Input is one input given to a job or a pipeline step: a literal, data or
// a model at a path, or (in a pipeline step) a binding to the pipeline.
type Input struct {
	Name string
	Pos  Pos
	// Type is a data type (uri_file, uri_folder, mltable, mlflow_model,
	// custom_model) or, for a literal, the literal's type. It is "" for a
	// bare binding, whose type comes from what it binds to.
	Type string
	// Value is set for a literal. Its text may hold server macros such as
	// ${{name}}, which the caller binds when the job is created.
	Value *Literal
	// Path is set for data and models.
	Path *Ref
	// Binding is set for ${{parent.inputs.x}}, ${{parent.jobs.s.outputs.y}}
	// and ${{parent.jobs.s.inputs.x}} in pipeline steps.
	Binding *Expr
	// Mode is "" (meaning ro_mount), ro_mount or download.
	Mode string
	// Datastore is where a local Path is uploaded at submit ("" means the
	// workspace blob store).
	Datastore string
}

// IsData reports whether the input is data or a model rather than a literal.
func (in *Input) IsData() bool { return isDataType(in.Type) }

// EffectiveMode is Mode with the default applied.
func (in *Input) EffectiveMode() string {
	if in.Mode == "" {
		return ModeROMount
	}
	return in.Mode
}

// Output is one output of a job or pipeline step.
type Output struct {
	Name string
	Pos  Pos
	// Type defaults to uri_folder.
	Type string
	// Mode is "" (meaning rw_mount), rw_mount or upload.
	Mode string
	// Path, when set, is where the output goes: a datastore path or a local
	// path inside the job directory. An output without one lands under
	// azureml://jobs/<job>/outputs/<name>.
	Path *Ref
	// PathTemplate is a path holding macros (${{name}}, ${{output_name}},
	// ${{default_datastore}}); Path is nil then, and the caller parses the
	// path after binding the macros.
	PathTemplate string
	// AssetName and AssetVersion register the output as a data or model
	// asset when the job succeeds.
	AssetName    string
	AssetVersion string
	Description  string
	// Binding is set for ${{parent.outputs.z}} in pipeline steps.
	Binding *Expr
}

// EffectiveMode is Mode with the default applied.
func (o *Output) EffectiveMode() string {
	if o.Mode == "" {
		return ModeRWMount
	}
	return o.Mode
}

// ioScope says which bindings an input or output may hold.
type ioScope uint8

const (
	scopeJob  ioScope = iota // a job's or pipeline's own inputs: literals and data
	scopeStep                // a pipeline step: also ${{parent...}} bindings
)

var inputSchema = schema{
	fields: []string{"type", "path", "mode", "datastore"},
	rejected: map[string]string{
		"optional": "only components declare optional inputs; a job gives values",
		"default":  "only components declare defaults; a job gives values",
		"value":    "give a literal input directly, as name: value",
	},
}

var outputSchema = schema{
	fields:   []string{"type", "mode", "path", "name", "version", "description"},
	rejected: map[string]string{"datastore": "give the whole place as path: azureml://datastores/<ds>/paths/<p>"},
}

// inputs reads an inputs mapping.
func (d *dec) inputs(e *entry, path string, scope ioScope) map[string]*Input {
	if e.val.kind == nNull {
		return nil
	}
	if e.val.kind != nMap {
		d.errf(e.keyPos, "%s must be a mapping of input names to values, not %s", path, describe(e.val))
		return nil
	}
	if len(e.val.entries) > MaxIO {
		d.errf(e.keyPos, "%s has %d inputs; the limit is %d", path, len(e.val.entries), MaxIO)
		return nil
	}
	out := make(map[string]*Input, len(e.val.entries))
	for i := range e.val.entries {
		c := &e.val.entries[i]
		if !isIdent(c.key) {
			d.errf(c.keyPos, "input name %q: use letters, digits and _, starting with a letter or _", clip(c.key, 80))
			continue
		}
		in := d.input(c, join(path, c.key), scope)
		if in == nil {
			// reported; keep the name declared so that commands naming it
			// do not add errors (a document with problems is not returned)
			in = &Input{Name: c.key, Pos: c.keyPos}
		}
		out[c.key] = in
	}
	return out
}

// input reads one input value.
func (d *dec) input(e *entry, path string, scope ioScope) *Input {
	in := &Input{Name: e.key, Pos: e.keyPos}
	v := e.val
	switch v.kind {
	case nNull:
		d.errf(e.keyPos, "%s has no value; give a literal, or type and path for data", path)
		return nil
	case nSeq:
		d.errf(e.keyPos, "%s is a list; an input is one literal, or a mapping with type and path", path)
		return nil
	case nScalar:
		if b, ok := d.binding(v, path, scope, false); ok {
			if b == nil {
				return nil
			}
			in.Binding = b
			return in
		}
		in.Value = literalOf(v)
		in.Type = in.Value.Type
		return in
	}
	d.fields(v, &inputSchema, path, func(c *entry) {
		p := join(path, c.key)
		switch c.key {
		case "type":
			if c.val.kind == nScalar && isLiteralType(c.val.text) {
				d.errf(c.val.pos, "%s %q: give a literal input directly, as %s: <value>", p, c.val.text, e.key)
			} else {
				in.Type = d.oneOf(c, p, dataTypes, refusedTypes)
			}
		case "mode":
			in.Mode = d.oneOf(c, p, inputModes, refusedInputModes)
		case "datastore":
			in.Datastore = d.datastoreName(c, p)
		}
	})
	if in.Type == "" {
		if t := v.get("type"); t != nil {
			return nil // already reported
		}
		in.Type = TypeURIFolder
	}
	pe := v.get("path")
	if pe == nil {
		d.errf(e.keyPos, "%s has no path; give path: azureml:<name>:<version>, azureml://datastores/<ds>/paths/<p>, a URL or a local path", path)
		return nil
	}
	pp := join(path, "path")
	if b, ok := d.binding(pe.val, pp, scope, false); ok {
		if b == nil {
			return nil
		}
		in.Binding = b
		return in
	}
	s := d.reqStr(pe, pp)
	if s == "" {
		return nil
	}
	r, err := ParseRef(s)
	if err != nil {
		d.errf(pe.val.pos, "%s: %s", pp, lathe.ErrorMessage(err))
		return nil
	}
	if msg := checkInputRef(in.Type, r); msg != "" {
		d.errf(pe.val.pos, "%s: %s", pp, msg)
		return nil
	}
	in.Path = &r
	if in.Datastore != "" && r.Kind != RefLocal {
		d.errf(e.keyPos, "%s: datastore only says where a local path is uploaded; this path is %s", path, r.Kind)
	}
	return in
}

// checkInputRef says what is wrong with r as the path of an input of type t.
func checkInputRef(t string, r Ref) string {
	model := isModelType(t)
	switch r.Kind {
	case RefAsset:
		if r.Version == "" && r.Label == "" {
			return "write " + r.Raw + ":<version> or " + r.Raw + "@latest"
		}
		if !model && r.Label != "" && r.Label != "latest" {
			return "data versions have no labels but @latest; write azureml:" + r.Name + ":<version>"
		}
	case RefRegistry:
		want := "data"
		if model {
			want = "models"
		}
		if r.AssetType != want {
			return "a " + t + " input takes registry " + want + ", not " + r.AssetType
		}
	case RefURL:
		if t != TypeURIFile {
			return "an http(s) URL is one file; use it with type uri_file, or register the data as an asset"
		}
	}
	return ""
}

// datastoreName reads a datastore name, with or without the azureml: prefix.
func (d *dec) datastoreName(e *entry, path string) string {
	s := d.reqStr(e, path)
	for _, p := range []string{"azureml:", "lathe:"} {
		s = strings.TrimPrefix(s, p)
	}
	if s == "" {
		return ""
	}
	if err := lathe.ValidateName("datastore", s); err != nil {
		d.errf(e.val.pos, "%s: %s", path, lathe.ErrorMessage(err))
		return ""
	}
	return s
}

// binding reads a scalar that may hold ${{...}}. ok is false when there is
// no expression (a plain literal). A value that is exactly one pipeline
// binding returns it; a literal holding only macros returns ok false (a
// literal); anything else is reported and returns (nil, true).
func (d *dec) binding(v *node, path string, scope ioScope, output bool) (*Expr, bool) {
	if v.kind != nScalar || v.typ != sStr || !strings.Contains(v.text, openExpr) {
		return nil, false
	}
	exprs, err := References(v.text)
	if err != nil {
		d.errf(v.pos, "%s: %s", path, strings.TrimPrefix(lathe.ErrorMessage(err), "command "))
		return nil, true
	}
	allMacros := true
	for _, x := range exprs {
		allMacros = allMacros && contains(macros, x.Key())
	}
	if allMacros && !strings.Contains(v.text, openFrag) {
		return nil, false
	}
	trimmed := strings.TrimSpace(v.text)
	if len(exprs) != 1 || exprs[0].Offset != strings.Index(v.text, trimmed) || exprs[0].End-exprs[0].Offset != len(trimmed) {
		d.errf(v.pos, "%s: a binding must be the whole value, like ${{parent.inputs.x}}; %q mixes it with text", path, clip(v.text, 80))
		return nil, true
	}
	x := exprs[0]
	if msg := checkBindingShape(x.Path, scope, output); msg != "" {
		d.errf(v.pos, "%s: %s %s", path, x, msg)
		return nil, true
	}
	return &x, true
}

// checkBindingShape says what is wrong with a binding's form, or "".
func checkBindingShape(p []string, scope ioScope, output bool) string {
	if scope != scopeStep {
		return "is not allowed here; ${{parent...}} bindings belong in a pipeline step's inputs and outputs"
	}
	if p[0] != "parent" {
		if output {
			return "is not a binding; a step output binds to ${{parent.outputs.<name>}}"
		}
		return "is not a binding; a step input binds to ${{parent.inputs.<name>}} or ${{parent.jobs.<step>.outputs.<name>}}"
	}
	switch {
	case output && len(p) == 3 && p[1] == "outputs":
		return ""
	case output:
		return "cannot bind an output; a step output binds to ${{parent.outputs.<name>}}"
	case len(p) == 3 && p[1] == "inputs":
		return ""
	case len(p) == 5 && p[1] == "jobs" && (p[3] == "outputs" || p[3] == "inputs"):
		return ""
	}
	return "is not a binding Lathe knows; use ${{parent.inputs.<name>}}, ${{parent.jobs.<step>.outputs.<name>}} or ${{parent.jobs.<step>.inputs.<name>}}"
}

// outputs reads an outputs mapping.
func (d *dec) outputs(e *entry, path string, scope ioScope) map[string]*Output {
	if e.val.kind == nNull {
		return nil
	}
	if e.val.kind != nMap {
		d.errf(e.keyPos, "%s must be a mapping of output names to settings, not %s", path, describe(e.val))
		return nil
	}
	if len(e.val.entries) > MaxIO {
		d.errf(e.keyPos, "%s has %d outputs; the limit is %d", path, len(e.val.entries), MaxIO)
		return nil
	}
	out := make(map[string]*Output, len(e.val.entries))
	for i := range e.val.entries {
		c := &e.val.entries[i]
		if !isIdent(c.key) {
			d.errf(c.keyPos, "output name %q: use letters, digits and _, starting with a letter or _", clip(c.key, 80))
			continue
		}
		o := d.output(c, join(path, c.key), scope)
		if o == nil {
			o = &Output{Name: c.key, Pos: c.keyPos} // reported; see inputs
		}
		out[c.key] = o
	}
	return out
}

// output reads one output.
func (d *dec) output(e *entry, path string, scope ioScope) *Output {
	o := &Output{Name: e.key, Pos: e.keyPos}
	v := e.val
	switch v.kind {
	case nNull:
		o.Type = TypeURIFolder
		return o
	case nSeq:
		d.errf(e.keyPos, "%s is a list; an output is a mapping of type, mode and path", path)
		return nil
	case nScalar:
		if b, ok := d.binding(v, path, scope, true); ok {
			if b == nil {
				return nil
			}
			o.Binding = b
			return o
		}
		d.errf(v.pos, "%s must be a mapping of type, mode and path, not %s", path, describe(v))
		return nil
	}
	d.fields(v, &outputSchema, path, func(c *entry) {
		p := join(path, c.key)
		switch c.key {
		case "type":
			o.Type = d.oneOf(c, p, dataTypes, refusedTypes)
		case "mode":
			o.Mode = d.oneOf(c, p, outputModes, refusedOutputModes)
		case "name":
			o.AssetName = d.name(c, p, "asset")
		case "version":
			o.AssetVersion = d.version(c, p)
		case "description":
			o.Description = d.text(c, p, lathe.MaxDescriptionLen)
		case "path":
			if b, ok := d.binding(c.val, p, scope, true); ok {
				o.Binding = b
				return
			}
			d.outputPath(o, c, p)
		}
	})
	if o.Type == "" {
		o.Type = TypeURIFolder
	}
	if o.AssetVersion != "" && o.AssetName == "" {
		d.errf(e.keyPos, "%s has a version but no name; give name to register the output as an asset", path)
	}
	return o
}

// outputPath reads an output's path: a datastore path (which may hold
// macros) or a local path inside the job directory.
func (d *dec) outputPath(o *Output, c *entry, p string) {
	s := d.reqStr(c, p)
	if s == "" {
		return
	}
	probe := s
	if strings.Contains(s, openExpr) {
		exprs, err := References(s)
		if err != nil {
			d.errf(c.val.pos, "%s: %s", p, strings.TrimPrefix(lathe.ErrorMessage(err), "command "))
			return
		}
		values := map[string]string{}
		for _, x := range exprs {
			if !contains(macros, x.Key()) {
				d.errf(c.val.pos, "%s: %s is not allowed in a path; use ${{name}}, ${{output_name}} or ${{default_datastore}}", p, x)
				return
			}
			values[x.Key()] = "x"
		}
		probe, _ = Bind(s, values, nil)
		o.PathTemplate = s
	}
	r, err := ParseRef(probe)
	if err != nil {
		d.errf(c.val.pos, "%s: %s", p, lathe.ErrorMessage(err))
		return
	}
	switch r.Kind {
	case RefDatastore:
	case RefLocal:
		if err := CheckOutputPath(r.Path); err != nil {
			d.errf(c.val.pos, "%s: %s", p, lathe.ErrorMessage(err))
			return
		}
	default:
		d.errf(c.val.pos, "%s: an output goes to azureml://datastores/<ds>/paths/<p> or a path inside the job directory, not a %s reference", p, r.Kind)
		return
	}
	if o.PathTemplate == "" {
		o.Path = &r
	}
}
