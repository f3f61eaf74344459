package spec

import (
	"strings"

	"github.com/latheml/lathe"
)

// Kind is the kind of a document, named after its Azure schema.
type Kind string

// Document kinds.
const (
	KindCommandJob        Kind = "commandJob"
	KindPipelineJob       Kind = "pipelineJob"
	KindSweepJob          Kind = "sweepJob"
	KindCommandComponent  Kind = "commandComponent"
	KindPipelineComponent Kind = "pipelineComponent"
	KindEnvironment       Kind = "environment"
	KindCompute           Kind = "compute"
	KindSchedule          Kind = "schedule"
	KindData              Kind = "data"
	KindOnlineEndpoint    Kind = "managedOnlineEndpoint"
	KindOnlineDeployment  Kind = "managedOnlineDeployment"
)

// Document is a parsed YAML document: *CommandJob, *PipelineJob, *SweepJob,
// *CommandComponent, *PipelineComponent, *Environment, *Compute, *Schedule, *Data,
// *OnlineEndpoint or *OnlineDeployment.
type Document interface {
	Kind() Kind
	meta() *Meta
}

// Meta records where a document came from.
type Meta struct {
	// File is the name given to Parse; positions in errors use it.
	File string
	// Schema is the $schema URL as written, or "".
	Schema  string
	src     []byte
	patches []patch
}

func (m *Meta) meta() *Meta { return m }

// schemaKinds maps the name in a $schema URL (…/<name>.schema.json) to a
// kind. Several Azure compute schemas map to compute, whose type decides.
var schemaKinds = map[string]Kind{
	"commandJob":                 KindCommandJob,
	"pipelineJob":                KindPipelineJob,
	"sweepJob":                   KindSweepJob,
	"commandComponent":           KindCommandComponent,
	"pipelineComponent":          KindPipelineComponent,
	"environment":                KindEnvironment,
	"compute":                    KindCompute,
	"amlCompute":                 KindCompute,
	"computeInstance":            KindCompute,
	"kubernetesCompute":          KindCompute,
	"vmCompute":                  KindCompute,
	"schedule":                   KindSchedule,
	"data":                       KindData,
	"managedOnlineEndpoint":      KindOnlineEndpoint,
	"kubernetesOnlineEndpoint":   KindOnlineEndpoint,
	"managedOnlineDeployment":    KindOnlineDeployment,
	"kubernetesOnlineDeployment": KindOnlineDeployment,
}

// unsupportedSchemas are Azure schemas Lathe knows and does not handle.
var unsupportedSchemas = map[string]string{
	"parallelComponent":     "parallel components are not supported; use a command component",
	"sparkComponent":        "Spark is not supported",
	"sparkJob":              "Spark is not supported",
	"autoMLJob":             "AutoML is not supported",
	"parallelJob":           "parallel jobs are not supported; use a pipeline of command steps",
	"model":                 "models are registered with lathe model create, not parsed here yet",
	"batchEndpoint":         "batch endpoints are not supported yet",
	"modelBatchDeployment":  "batch deployments are not supported yet",
	"azureBlob":             "Azure storage datastores need Azure; create a local or s3 datastore",
	"azureFile":             "Azure storage datastores need Azure; create a local or s3 datastore",
	"azureDataLakeGen1":     "Azure storage datastores need Azure; create a local or s3 datastore",
	"azureDataLakeGen2":     "Azure storage datastores need Azure; create a local or s3 datastore",
	"workspace":             "workspaces are created with lathe workspace create",
	"registry":              "registries are not supported; share assets inside a workspace",
	"featureStore":          "feature stores are not supported",
	"featureSet":            "feature stores are not supported",
	"featureStoreEntity":    "feature stores are not supported",
	"dataImport":            "data import is not supported; create data from a datastore path",
	"connection":            "connections are not supported",
	"serverlessEndpoint":    "serverless endpoints are not supported",
	"monitorSchedule":       "monitors are not parsed here yet",
	"kubernetesOnlineModel": "not supported",
}

// schemaName extracts <name> from a $schema URL ending in <name>.schema.json.
func schemaName(url string) (string, bool) {
	url = strings.TrimSpace(url)
	i := strings.LastIndexByte(url, '/')
	return strings.CutSuffix(url[i+1:], ".schema.json")
}

// Parse parses one YAML document, detecting its kind from $schema or, when
// there is none, from its type and fields. filename names the document in
// errors. The error is a *lathe.Error listing every problem found (up to
// MaxProblems), each with its file:line:col.
func Parse(filename string, src []byte) (Document, error) {
	return parseDoc("", filename, src, nil)
}

// ParseKind parses a document that must be of the given kind, as the CLI
// does for "lathe component create -f" (where a command component and a
// command job look alike). A $schema naming another kind is an error.
func ParseKind(kind Kind, filename string, src []byte) (Document, error) {
	return parseDoc(kind, filename, src, nil)
}

func parseDoc(want Kind, filename string, src []byte, patches []patch) (Document, error) {
	if len(src) > MaxFileSize {
		return nil, lathe.Errorf(lathe.ETOOLARGE, "%s is %d bytes; a spec file is at most %d bytes (put data in data assets, not in the YAML)", filename, len(src), MaxFileSize)
	}
	p := &problems{}
	root := load(filename, src, p)
	if root == nil {
		return nil, p.err()
	}
	if root.kind != nMap {
		p.addf(root.pos, "the document must be a mapping of fields, not %s", describe(root))
		return nil, p.err()
	}
	root = applyPatches(root, patches, p)
	if root == nil {
		return nil, p.err()
	}
	m := Meta{File: filename, src: src, patches: patches}
	d := &dec{p: p}
	if e := root.get("$schema"); e != nil {
		m.Schema = d.str(e, "$schema")
	}
	kind := detect(root, m.Schema, want, filename, p)
	if kind == "" {
		return nil, p.err()
	}
	var doc Document
	switch kind {
	case KindCommandJob:
		doc = decodeCommandJob(d, root, m)
	case KindPipelineJob:
		doc = decodePipelineJob(d, root, m)
	case KindSweepJob:
		doc = decodeSweepJob(d, root, m)
	case KindCommandComponent:
		doc = decodeComponent(d, root, m, "commandComponent")
	case KindPipelineComponent:
		doc = decodePipelineComponent(d, root, m, "pipelineComponent")
	case KindEnvironment:
		env := decodeEnvironment(d, root, m, "")
		if env != nil && env.Name == "" {
			d.errf(root.pos, "environment has no name; add name: <name>")
		}
		doc = env
	case KindCompute:
		doc = decodeCompute(d, root, m)
	case KindSchedule:
		doc = decodeSchedule(d, root, m)
	case KindData:
		doc = decodeData(d, root, m)
	case KindOnlineEndpoint:
		doc = decodeEndpoint(d, root, m)
	case KindOnlineDeployment:
		doc = decodeDeployment(d, root, m)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return doc, nil
}

// detect decides a document's kind.
func detect(root *node, schemaURL string, want Kind, file string, p *problems) Kind {
	if schemaURL != "" {
		pos := root.get("$schema").val.pos
		name, ok := schemaName(schemaURL)
		if !ok {
			p.addf(pos, "$schema %q does not end in <kind>.schema.json", clip(schemaURL, 120))
			return ""
		}
		if why, ok := unsupportedSchemas[name]; ok {
			p.addf(pos, "$schema names %s: %s", name, why)
			return ""
		}
		k, ok := schemaKinds[name]
		if !ok {
			p.addf(pos, "$schema names %q, which Lathe does not know; use commandJob, pipelineJob, sweepJob, commandComponent, pipelineComponent, environment, compute, schedule, data, managedOnlineEndpoint or managedOnlineDeployment", clip(name, 60))
			return ""
		}
		if want != "" && k != want {
			p.addf(pos, "$schema says this is a %s, but a %s is expected here", k, want)
			return ""
		}
		return k
	}
	if want != "" {
		return want
	}
	typ := ""
	if e := root.get("type"); e != nil {
		typ, _ = e.val.scalarString()
	}
	has := func(keys ...string) bool {
		for _, k := range keys {
			if root.get(k) != nil {
				return true
			}
		}
		return false
	}
	switch {
	case typ == "pipeline" || typ == "" && has("jobs"):
		return KindPipelineJob
	case typ == "sweep":
		return KindSweepJob
	case typ == "command" || typ == "" && has("command"):
		if has("version", "is_deterministic") {
			return KindCommandComponent
		}
		return KindCommandJob
	case has("trigger", "create_job"):
		return KindSchedule
	case has("endpoint_name"):
		return KindOnlineDeployment
	case has("auth_mode", "traffic", "mirror_traffic"):
		return KindOnlineEndpoint
	case typ == TypeURIFile || typ == TypeURIFolder || typ == TypeMLTable:
		return KindData
	case contains(computeTypes, typ) || refusedComputeTypes[typ] != "":
		return KindCompute
	case has("image", "conda_file", "requirements_file", "build", "host"):
		return KindEnvironment
	}
	p.addf(root.pos, "cannot tell what kind of document %s is; add $schema: https://azuremlschemas.azureedge.net/latest/<kind>.schema.json (commandJob, pipelineJob, commandComponent, environment, ...)", file)
	return ""
}

// CheckSupported returns an EUNSUPPORTED error for a document Lathe parses
// but cannot run yet (sweep jobs), and nil otherwise. Submitting code calls
// it after Parse.
func CheckSupported(doc Document) error {
	if s, ok := doc.(*SweepJob); ok {
		return lathe.Errorf(lathe.EUNSUPPORTED, "%s: sweep jobs are not supported yet; run the trial as a command job (one per setting) or as steps of a pipeline", s.Pos)
	}
	return nil
}
