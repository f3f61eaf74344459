// Package spec parses, validates and binds Azure ML v2 YAML documents: command
// jobs, pipeline jobs, sweep jobs (parsed, not yet run), command components,
// environments, compute, schedules, data assets and managed online endpoints
// and deployments. It is pure: it imports the standard library, the root
// package and a YAML library, does no I/O and reads no clock. Files named in a
// document (code folders, component files, conda files) are classified here
// and loaded by the caller.
//
// # Parsing
//
// Parse detects a document's kind from its $schema URL (the last path element,
// e.g. commandJob.schema.json) or, without one, from its type and fields;
// ParseKind forces a kind. Parsing is strict: an unknown or misspelt field is
// an error that names the file, line and column and suggests the nearest known
// field; a field Azure has but Lathe does not support is refused with the
// reason; wrong types name the field. Several problems are collected and
// reported together (at most MaxProblems). Every error is a *lathe.Error with
// code EINVALID (ETOOLARGE for a file over MaxFileSize, EUNSUPPORTED from
// CheckSupported). YAML anchors, aliases and merge keys work; their expansion
// counts against MaxNodes, so a small file cannot expand without bound.
//
// # References
//
// ParseRef classifies the strings that name things: azureml:<name>:<version>,
// azureml:<name>@<label>, azureml://datastores/<ds>/paths/<p>,
// azureml://jobs/<job>/outputs/<o>[/paths/<p>],
// azureml://registries/<r>/<type>/<name>/versions/<v> (or /labels/<l>),
// http(s) URLs and local paths (relative to the YAML file's directory; the
// caller resolves them). The prefix lathe: (and lathe://) is a synonym of
// azureml: (azureml://).
//
// # Binding
//
// A command is a template:
//
//	template = { text | expr | fragment }
//	fragment = "$[[" { text | expr } "]]"
//	expr     = "${{" [spaces] name { "." name } [spaces] "}}"
//	name     = ( letter | "_" ) { letter | digit | "_" }
//
// An expr names an input (inputs.x), an output (outputs.y), a sweep variable
// (search_space.p) or, in a pipeline step's inputs and outputs only, the
// pipeline (parent.inputs.x, parent.outputs.z, parent.jobs.<step>.outputs.y,
// parent.jobs.<step>.inputs.x). A fragment is kept when every input it names
// has a value and dropped entirely when an optional input it names has none;
// fragments do not nest and must name at least one input. "${{" always opens an
// expr; "]]" outside a fragment and "}}" outside an expr are plain text, so
// shell tests such as [[ -f x ]] are safe. References lists the exprs; Bind
// substitutes values. Values are inserted exactly as given, without shell
// quoting, as Azure ML does: a value with spaces or shell metacharacters is
// seen by the shell as such, so callers pass paths they control.
//
// # Pipelines
//
// Steps builds a pipeline's DAG from the ${{parent.jobs.<step>...}} bindings
// in its steps' inputs, checks that every bound step, input and output exists,
// and reports a cycle by naming the steps on it. Set applies --set key=value
// overrides with the same checks as the file.
//
// A step with type: pipeline runs a pipeline component (PipelineComponent:
// typed inputs and outputs around steps of its own). ResolveNested loads the
// components such steps name (files, or registered ones by reference),
// through the caller's loader, to
// MaxNesting levels; Flatten then inlines them, renaming inner step s of
// step outer to outer_s and rewriting the bindings on both sides, so that
// Steps and everything after see command steps only.
package spec
