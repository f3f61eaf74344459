package lathe

import (
	"strings"
	"time"
)

// Compute types. Only local runs jobs today; the others are the backends
// the Compute interface is shaped for.
const (
	ComputeLocal      = "local"
	ComputeKubernetes = "kubernetes"
	ComputeSlurm      = "slurm"
)

// DefaultCompute is every workspace's built-in compute: slots on the
// server's own machine.
const DefaultCompute = "local"

// Compute is a compute target of a workspace: where its jobs run and how
// much of it they may use at once.
type Compute struct {
	WorkspaceID string            `json:"-"`
	Name        string            `json:"name"`
	Type        string            `json:"type" doc:"local"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	// CPU and Memory cap what the compute's jobs reserve at once (0: the
	// whole machine).
	CPU       float64   `json:"cpu,omitempty" doc:"CPUs its jobs may reserve at once (default: all of the machine's)"`
	Memory    int64     `json:"memory,omitempty" doc:"bytes of memory its jobs may reserve at once (default: all of the machine's)"`
	BuiltIn   bool      `json:"built_in,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
}

// Validate checks a compute before it is stored.
func (c *Compute) Validate() error {
	if err := ValidateName("compute", c.Name); err != nil {
		return err
	}
	if strings.EqualFold(c.Name, DefaultCompute) {
		return Errorf(ECONFLICT, "compute %q is built in; choose another name", c.Name)
	}
	switch c.Type {
	case ComputeLocal:
	case ComputeKubernetes, ComputeSlurm:
		return Errorf(EUNSUPPORTED, "compute %s: type %s is not available in this version of Lathe; use type local", c.Name, c.Type)
	case "amlcompute", "computeinstance", "virtualmachine", "kubernetes_cluster", "synapsespark":
		return Errorf(EUNSUPPORTED, "compute %s: type %s is an Azure-managed compute; Lathe runs jobs on type local (slots on the server's machine)", c.Name, c.Type)
	case "":
		return Errorf(EINVALID, "compute %s has no type; use type: local", c.Name)
	default:
		return Errorf(EINVALID, "compute %s: type %q is not known; use type: local", c.Name, truncate(c.Type, 40))
	}
	if c.CPU < 0 || c.CPU > MaxJobCPU || c.Memory < 0 {
		return Errorf(EINVALID, "compute %s: cpu %g and memory %d must not be negative (cpu at most %d)", c.Name, c.CPU, c.Memory, MaxJobCPU)
	}
	return validateMeta("compute "+c.Name, c.Description, c.Tags)
}

// ComputeUsage is what a compute's jobs hold now.
type ComputeUsage struct {
	Running   int     `json:"running" doc:"jobs holding slots"`
	Queued    int     `json:"queued"`
	CPU       float64 `json:"cpu_total" doc:"CPUs jobs may reserve"`
	Memory    int64   `json:"memory_total" doc:"memory jobs may reserve, bytes"`
	CPUUsed   float64 `json:"cpu_used"`
	MemUsed   int64   `json:"memory_used"`
	Available bool    `json:"available" doc:"the backend can start jobs"`
}
