package spec

import "github.com/latheml/lathe"

// Compute types Lathe runs jobs on.
const (
	ComputeLocal      = "local"      // slots on the server
	ComputeKubernetes = "kubernetes" // Jobs on a cluster
	ComputeSlurm      = "slurm"      // sbatch on an HPC cluster
)

var computeTypes = []string{ComputeLocal, ComputeKubernetes, ComputeSlurm}

// refusedComputeTypes are Azure compute types, with what to use instead.
var refusedComputeTypes = map[string]string{
	"amlcompute":      "it is an Azure cluster of VMs; use type local, kubernetes or slurm",
	"computeinstance": "it is an Azure VM for one user; use type local",
	"virtualmachine":  "attached VMs are not supported; run lathe agent on the machine (later) or use kubernetes or slurm",
	"synapsespark":    "Spark is not supported",
}

// Compute is a compute target (Azure's compute YAML where it fits).
type Compute struct {
	Meta
	Pos         Pos
	Name        string
	Type        string // local, kubernetes or slurm
	Description string
	Tags        map[string]string
	// Namespace is the Kubernetes namespace jobs run in ("" for the
	// default).
	Namespace string
	// Partition is the Slurm partition jobs are submitted to ("" for the
	// cluster's default).
	Partition string
}

// Kind implements Document.
func (*Compute) Kind() Kind { return KindCompute }

const noScaling = "it has no meaning here: Lathe does not provision machines; a local compute runs jobs in slots on the server, and kubernetes and slurm computes hand them to their scheduler"

var computeSchema = schema{
	name:   "compute",
	fields: []string{"$schema", "name", "type", "description", "tags", "namespace", "partition"},
	rejected: withRefused(map[string]string{
		"min_instances":                     noScaling,
		"max_instances":                     noScaling,
		"idle_time_before_scale_down":       noScaling,
		"size":                              "it names an Azure VM size; jobs ask for resources.cpu and resources.memory instead",
		"tier":                              noScaling,
		"location":                          "Lathe runs on your machines; there are no regions",
		"identity":                          "there are no managed identities",
		"ssh_public_access_enabled":         "Lathe does not manage SSH access to compute",
		"ssh_settings":                      "Lathe does not manage SSH access to compute",
		"admin_username":                    "Lathe does not manage SSH access to compute",
		"network_settings":                  "networking is the cluster's business",
		"enable_node_public_ip":             "networking is the cluster's business",
		"schedules":                         "compute is not started and stopped by Lathe",
		"idle_time_before_shutdown":         "compute is not started and stopped by Lathe",
		"idle_time_before_shutdown_minutes": "compute is not started and stopped by Lathe",
		"resource_id":                       "it is an Azure resource id; Lathe reaches Kubernetes through its own configuration",
		"setup_scripts":                     "put setup steps in the environment",
		"create_on_behalf_of":               "computes are shared by the workspace",
		"properties":                        "give namespace (kubernetes) or partition (slurm)",
	}),
}

func decodeCompute(d *dec, root *node, m Meta) *Compute {
	c := &Compute{Meta: m, Pos: root.pos}
	var nsPos, partPos *Pos
	d.fields(root, &computeSchema, "compute", func(e *entry) {
		switch e.key {
		case "name":
			c.Name = d.name(e, e.key, "compute")
		case "type":
			c.Type = d.oneOf(e, "type", computeTypes, refusedComputeTypes)
		case "description":
			c.Description = d.text(e, e.key, lathe.MaxDescriptionLen)
		case "tags":
			c.Tags = d.tags(e, e.key)
		case "namespace":
			nsPos = &e.keyPos
			c.Namespace = d.name(e, e.key, "namespace")
		case "partition":
			partPos = &e.keyPos
			c.Partition = d.name(e, e.key, "partition")
		}
	})
	if root.get("name") == nil {
		d.errf(root.pos, "compute has no name; add name: <name>")
	}
	if root.get("type") == nil {
		d.errf(root.pos, "compute has no type; add type: local, kubernetes or slurm")
	}
	if nsPos != nil && c.Type != ComputeKubernetes && c.Type != "" {
		d.errf(*nsPos, "namespace is for kubernetes computes, not %s", c.Type)
	}
	if partPos != nil && c.Type != ComputeSlurm && c.Type != "" {
		d.errf(*partPos, "partition is for slurm computes, not %s", c.Type)
	}
	return c
}
