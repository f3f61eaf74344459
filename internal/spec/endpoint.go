package spec

import (
	"strconv"

	"github.com/latheml/lathe"
)

// OnlineEndpoint is Azure's managedOnlineEndpoint: a stable URL with keys
// and deployments behind it.
type OnlineEndpoint struct {
	Meta
	Pos         Pos
	Name        string
	Description string
	Tags        map[string]string
	Properties  map[string]string
	// AuthMode is key (the default) or aml_token (Lathe tokens).
	AuthMode string
	// Compute is the compute serving it ("" for the server).
	Compute string
	// Traffic and MirrorTraffic map deployment names to percentages.
	Traffic       map[string]int
	MirrorTraffic map[string]int
}

// Kind implements Document.
func (*OnlineEndpoint) Kind() Kind { return KindOnlineEndpoint }

var endpointSchema = schema{
	name:   "managedOnlineEndpoint",
	fields: []string{"$schema", "name", "description", "tags", "properties", "auth_mode", "compute", "traffic", "mirror_traffic"},
	rejected: withRefused(map[string]string{
		"identity":              "there are no managed identities",
		"public_network_access": "the server's bind address decides who can reach it",
		"kind":                  "it is set by the server; remove it",
		"provisioning_state":    "it is set by the server; remove it",
		"scoring_uri":           "it is set by the server; remove it",
		"openapi_uri":           "it is set by the server; remove it",
		"location":              "Lathe runs on your machines; there are no regions",
	}),
}

func decodeEndpoint(d *dec, root *node, m Meta) *OnlineEndpoint {
	ep := &OnlineEndpoint{Meta: m, Pos: root.pos, AuthMode: "key"}
	d.fields(root, &endpointSchema, "managedOnlineEndpoint", func(c *entry) {
		switch c.key {
		case "name":
			ep.Name = d.name(c, c.key, "endpoint")
		case "description":
			ep.Description = d.text(c, c.key, lathe.MaxDescriptionLen)
		case "tags":
			ep.Tags = d.tags(c, c.key)
		case "properties":
			ep.Properties = d.tags(c, c.key)
		case "auth_mode":
			ep.AuthMode = d.oneOf(c, c.key, []string{"key", "aml_token"}, map[string]string{
				"aad_token": "Microsoft Entra tokens need Azure; use key or aml_token (Lathe tokens)",
			})
		case "compute":
			ep.Compute = d.compute(c, c.key)
		case "traffic":
			ep.Traffic = d.percentages(c, c.key)
			sum := 0
			for _, v := range ep.Traffic {
				sum += v
			}
			if sum != 0 && sum != 100 {
				d.errf(c.keyPos, "traffic adds up to %d%%; it must add up to 100 (or 0 to send none)", sum)
			}
		case "mirror_traffic":
			ep.MirrorTraffic = d.percentages(c, c.key)
			if len(ep.MirrorTraffic) > 1 {
				d.errf(c.keyPos, "mirror_traffic names %d deployments; mirror to one", len(ep.MirrorTraffic))
			}
			for k, v := range ep.MirrorTraffic {
				if v > 50 {
					d.errf(c.keyPos, "mirror_traffic.%s is %d%%; mirror at most 50%%", k, v)
				}
			}
		}
	})
	if root.get("name") == nil {
		d.errf(root.pos, "managedOnlineEndpoint has no name; add name: <name>")
	}
	return ep
}

// percentages reads deployment name -> percentage.
func (d *dec) percentages(c *entry, p string) map[string]int {
	if c.val.kind != nMap {
		if c.val.kind != nNull {
			d.errf(c.keyPos, "%s must map deployment names to percentages, not %s", p, describe(c.val))
		}
		return nil
	}
	out := map[string]int{}
	for i := range c.val.entries {
		x := &c.val.entries[i]
		xp := join(p, x.key)
		if err := lathe.ValidateName("deployment", x.key); err != nil {
			d.errf(x.keyPos, "%s: %s", xp, lathe.ErrorMessage(err))
			continue
		}
		if v, ok := d.integer(x, xp); ok {
			if v < 0 || v > 100 {
				d.errf(x.val.pos, "%s is %d; a percentage is 0 to 100", xp, v)
				continue
			}
			out[x.key] = int(v)
		}
	}
	return out
}

// OnlineDeployment is Azure's managedOnlineDeployment: a model served
// behind an endpoint.
type OnlineDeployment struct {
	Meta
	Pos          Pos
	Name         string
	EndpointName string
	Type         string // managed or kubernetes
	Description  string
	Tags         map[string]string
	Properties   map[string]string
	// Model is a registered model (azureml:<name>:<version>) or, with
	// ModelInline, a path to upload as an anonymous model.
	Model       *Ref
	ModelInline *InlineModel
	// Code and ScoringScript are the code_configuration of a custom
	// scoring script.
	Code                 *Ref
	ScoringScript        string
	Environment          *EnvRef
	EnvironmentVariables map[string]string
	// InstanceType is Azure's VM size, kept as written; Lathe sizes a
	// deployment with Resources.
	InstanceType    string
	InstanceCount   int64
	Resources       *Resources
	RequestSettings map[string]int64
	Liveness        map[string]int64
	Readiness       map[string]int64
	Scale           map[string]string
	ModelMountPath  string
}

// InlineModel is a model defined in a deployment.
type InlineModel struct {
	Path    *Ref
	Name    string
	Version string
	Type    string
}

// Kind implements Document.
func (*OnlineDeployment) Kind() Kind { return KindOnlineDeployment }

var deploymentSchema = schema{
	name: "managedOnlineDeployment",
	fields: []string{"$schema", "name", "endpoint_name", "type", "description", "tags", "properties", "model",
		"code_configuration", "environment", "environment_variables", "instance_type", "instance_count",
		"resources", "request_settings", "liveness_probe", "readiness_probe", "scale_settings", "model_mount_path"},
	rejected: withRefused(map[string]string{
		"app_insights_enabled":         "Lathe exports serving metrics to Prometheus at /metrics",
		"data_collector":               "data collection is not configured here yet",
		"egress_public_network_access": "network policy is the host's business",
		"provisioning_state":           "it is set by the server; remove it",
	}),
}

var (
	requestSettings = []string{"request_timeout_ms", "max_concurrent_requests_per_instance", "max_queue_wait_ms"}
	probeSettings   = []string{"initial_delay", "period", "timeout", "success_threshold", "failure_threshold"}
)

func decodeDeployment(d *dec, root *node, m Meta) *OnlineDeployment {
	dp := &OnlineDeployment{Meta: m, Pos: root.pos, Type: "managed", InstanceCount: 1}
	d.fields(root, &deploymentSchema, "managedOnlineDeployment", func(c *entry) {
		p := c.key
		switch c.key {
		case "name":
			dp.Name = d.name(c, p, "deployment")
		case "endpoint_name":
			dp.EndpointName = d.name(c, p, "endpoint")
		case "type":
			dp.Type = d.oneOf(c, p, []string{"managed", "kubernetes"}, nil)
		case "description":
			dp.Description = d.text(c, p, lathe.MaxDescriptionLen)
		case "tags":
			dp.Tags = d.tags(c, p)
		case "properties":
			dp.Properties = d.tags(c, p)
		case "model":
			d.model(dp, c)
		case "code_configuration":
			d.fields(c.val, &schema{fields: []string{"code", "scoring_script"}}, p, func(x *entry) {
				if x.key == "code" {
					dp.Code = d.code(x, join(p, x.key))
				} else {
					dp.ScoringScript = d.reqStr(x, join(p, x.key))
				}
			})
		case "environment":
			dp.Environment = d.envRef(c, p)
		case "environment_variables":
			dp.EnvironmentVariables = d.envVars(c, p)
		case "instance_type":
			dp.InstanceType = d.str(c, p)
		case "instance_count":
			if n, ok := d.integer(c, p); ok && (n < 1 || n > 100) {
				d.errf(c.val.pos, "%s is %d; give 1 to 100", p, n)
			} else {
				dp.InstanceCount = n
			}
		case "resources":
			dp.Resources = d.deploymentResources(c)
		case "request_settings":
			dp.RequestSettings = d.intFields(c, p, requestSettings)
		case "liveness_probe":
			dp.Liveness = d.intFields(c, p, probeSettings)
		case "readiness_probe":
			dp.Readiness = d.intFields(c, p, probeSettings)
		case "scale_settings":
			dp.Scale = map[string]string{}
			d.fields(c.val, &schema{fields: []string{"type", "min_instances", "max_instances", "polling_interval", "target_utilization_percentage"}}, p, func(x *entry) {
				if x.key == "type" {
					dp.Scale[x.key] = d.oneOf(x, join(p, x.key), []string{"default", "target_utilization"}, nil)
				} else if n, ok := d.integer(x, join(p, x.key)); ok {
					dp.Scale[x.key] = strconv.FormatInt(n, 10)
				}
			})
		case "model_mount_path":
			dp.ModelMountPath = d.reqStr(c, p)
		}
	})
	for _, f := range []string{"name", "endpoint_name", "model"} {
		if root.get(f) == nil {
			d.errf(root.pos, "managedOnlineDeployment has no %s; add it", f)
		}
	}
	return dp
}

// model reads a deployment's model: a reference or {path, name, version, type}.
func (d *dec) model(dp *OnlineDeployment, c *entry) {
	if c.val.kind != nMap {
		s := d.reqStr(c, "model")
		if s == "" {
			return
		}
		r, err := ParseRef(s)
		switch {
		case err != nil:
			d.errf(c.val.pos, "model: %s", lathe.ErrorMessage(err))
		case r.Kind == RefAsset && r.Version == "" && r.Label == "":
			d.errf(c.val.pos, "model: write %s:<version> or %s@<alias>", s, s)
		case r.Kind == RefRegistry && r.AssetType != "models":
			d.errf(c.val.pos, "model names registry %s, not models", r.AssetType)
		case r.Kind == RefAsset || r.Kind == RefRegistry:
			dp.Model = &r
		default:
			d.errf(c.val.pos, "model: give azureml:<name>:<version>, or path: under model: for an unregistered model")
		}
		return
	}
	im := &InlineModel{Type: TypeCustomModel}
	d.fields(c.val, &schema{fields: []string{"path", "name", "version", "type", "description"}}, "model", func(x *entry) {
		p := join("model", x.key)
		switch x.key {
		case "path":
			if s := d.reqStr(x, p); s != "" {
				r, err := ParseRef(s)
				switch {
				case err != nil:
					d.errf(x.val.pos, "%s: %s", p, lathe.ErrorMessage(err))
				case r.Kind == RefLocal || r.Kind == RefDatastore || r.Kind == RefJobOutput:
					im.Path = &r
				default:
					d.errf(x.val.pos, "%s must be a local path, a datastore path or a job output, not a %s reference", p, r.Kind)
				}
			}
		case "name":
			im.Name = d.name(x, p, "model")
		case "version":
			im.Version = d.version(x, p)
		case "type":
			im.Type = d.oneOf(x, p, []string{TypeCustomModel, TypeMLflowModel}, refusedTypes)
		case "description":
			d.text(x, p, lathe.MaxDescriptionLen)
		}
	})
	if c.val.get("path") == nil {
		d.errf(c.keyPos, "model has no path; give path: <folder or file>")
	}
	dp.ModelInline = im
}

// deploymentResources reads {requests: {cpu, memory}, limits: {cpu, memory}}
// into one Resources (requests, raised to limits where given).
func (d *dec) deploymentResources(c *entry) *Resources {
	r := &Resources{Pos: c.keyPos}
	d.fields(c.val, &schema{fields: []string{"requests", "limits"}}, "resources", func(x *entry) {
		p := join("resources", x.key)
		got := d.resources(x, p)
		r.CPUMilli = max(r.CPUMilli, got.CPUMilli)
		r.Memory = max(r.Memory, got.Memory)
	})
	return r
}

// intFields reads a mapping of known integer settings.
func (d *dec) intFields(c *entry, p string, fields []string) map[string]int64 {
	out := map[string]int64{}
	d.fields(c.val, &schema{fields: fields}, p, func(x *entry) {
		if n, ok := d.integer(x, join(p, x.key)); ok {
			if n < 0 {
				d.errf(x.val.pos, "%s is negative", join(p, x.key))
				return
			}
			out[x.key] = n
		}
	})
	return out
}
