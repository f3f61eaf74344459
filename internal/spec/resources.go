package spec

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Resources are what one job (or step) asks of its compute. Azure sizes
// jobs by VM (instance_type); Lathe, which runs on its own machines, asks
// for CPU and memory instead.
type Resources struct {
	Pos Pos
	// CPUMilli is the CPU request in thousandths of a core (cpu: 2 is 2000,
	// cpu: 500m is 500); 0 means the compute's default.
	CPUMilli int64
	// Memory is the memory request in bytes (memory: 4Gi); 0 means the
	// compute's default.
	Memory int64
	// ShmSize is the size of /dev/shm for container environments, in bytes
	// (shm_size: 2g, Docker's units); 0 means the runtime's default.
	ShmSize int64
}

var resourcesSchema = schema{
	name:   "resources",
	fields: []string{"cpu", "memory", "shm_size", "instance_count"},
	rejected: map[string]string{
		"instance_type":      "it names an Azure VM size; ask for cpu and memory instead, e.g. cpu: 4 and memory: 16Gi",
		"properties":         "Azure-specific resource properties have no meaning here",
		"docker_args":        "extra Docker arguments are not supported",
		"locations":          "Lathe runs on its own compute; there are no regions",
		"max_instance_count": "Lathe does not run elastic multi-node jobs",
		"requests":           "write resources.cpu and resources.memory directly",
		"limits":             "Lathe enforces the requests as limits; write resources.cpu and resources.memory",
	},
}

// resources reads a resources mapping.
func (d *dec) resources(e *entry, path string) *Resources {
	r := &Resources{Pos: e.keyPos}
	d.fields(e.val, &resourcesSchema, path, func(c *entry) {
		p := join(path, c.key)
		switch c.key {
		case "cpu":
			v, ok := parseCPU(c.val)
			if !ok {
				d.errf(c.val.pos, "%s must be a number of cores (2, 0.5) or millicores (500m), not %s", p, describe(c.val))
			}
			r.CPUMilli = v
		case "memory":
			v, ok := parseQuantity(c.val, kubeUnits)
			if !ok {
				d.errf(c.val.pos, "%s must be bytes with a Kubernetes unit, like 512Mi or 4Gi (or 4G), not %s", p, describe(c.val))
			}
			r.Memory = v
		case "shm_size":
			v, ok := parseQuantity(c.val, dockerUnits)
			if !ok {
				d.errf(c.val.pos, "%s must be a size with a Docker unit, like 2g or 512m, not %s", p, describe(c.val))
			}
			r.ShmSize = v
		case "instance_count":
			if n, ok := d.integer(c, p); ok && n != 1 {
				d.errf(c.val.pos, "%s is %d; Lathe runs each job on one instance (distributed training is not supported yet)", p, n)
			}
		}
	})
	return r
}

// parseCPU reads cores (2, 0.5, "1.5") or millicores ("500m").
func parseCPU(n *node) (int64, bool) {
	if n.kind != nScalar || n.typ == sBool {
		return 0, false
	}
	s := strings.TrimSpace(n.text)
	if m, ok := strings.CutSuffix(s, "m"); ok && n.typ == sStr {
		v, err := strconv.ParseInt(m, 10, 64)
		return v, err == nil && v > 0 && v <= 1_000_000_000
	}
	f, ok := parseNumber(s)
	if !ok || f <= 0 || f > 1_000_000 {
		return 0, false
	}
	milli := math.Round(f * 1000)
	return int64(milli), milli >= 1
}

// Units of memory quantities.
var (
	kubeUnits = map[string]int64{
		"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15,
		"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50,
	}
	dockerUnits = map[string]int64{
		"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30,
		"K": 1 << 10, "M": 1 << 20, "G": 1 << 30,
	}
)

// parseQuantity reads a positive number of bytes with a unit from units.
func parseQuantity(n *node, units map[string]int64) (int64, bool) {
	if n.kind != nScalar || n.typ == sBool {
		return 0, false
	}
	s := strings.TrimSpace(n.text)
	i := len(s)
	for i > 0 && (s[i-1] < '0' || s[i-1] > '9') && s[i-1] != '.' {
		i--
	}
	mult, ok := units[s[i:]]
	if !ok || i == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(s[:i], 64)
	if err != nil || f <= 0 {
		return 0, false
	}
	v := f * float64(mult)
	if v < 1 || v > 1<<62 {
		return 0, false
	}
	return int64(v), true
}

// Limits bound a job's run.
type Limits struct {
	Pos Pos
	// Timeout cancels the job when it runs longer; 0 means no limit.
	Timeout time.Duration
}

var limitsSchema = schema{name: "limits", fields: []string{"timeout"}}

// MaxTimeout bounds limits.timeout (30 days).
const MaxTimeout = 30 * 24 * time.Hour

// limits reads a command job's limits. timeout is whole seconds, as in
// Azure ML; a duration string is refused with the equivalent in seconds.
func (d *dec) limits(e *entry, path string) Limits {
	l := Limits{Pos: e.keyPos}
	d.fields(e.val, &limitsSchema, path, func(c *entry) {
		p := join(path, c.key)
		l.Timeout = d.seconds(c, p)
	})
	return l
}

// seconds reads a positive whole number of seconds.
func (d *dec) seconds(c *entry, p string) time.Duration {
	if c.val.kind == nScalar && c.val.typ == sStr {
		if dur, err := time.ParseDuration(c.val.text); err == nil && dur > 0 && dur%time.Second == 0 {
			d.errf(c.val.pos, "%s must be whole seconds as an integer, as in Azure ML: write %d for %s", p, int64(dur/time.Second), c.val.text)
			return 0
		}
	}
	n, ok := d.integer(c, p)
	if !ok {
		return 0
	}
	if n <= 0 || time.Duration(n) > MaxTimeout/time.Second {
		d.errf(c.val.pos, "%s is %d seconds; give between 1 and %d", p, n, int64(MaxTimeout/time.Second))
		return 0
	}
	return time.Duration(n) * time.Second
}
