package jobs

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/compute"
)

// poolInfo is what the scheduler knows of a compute target.
type poolInfo struct {
	backend string // compute type
	cap     Amount
	memCap  bool // memory is limited
}

// machinePool names a backend's machine-wide pool.
func machinePool(typ string) string { return "backend:" + typ }

// poolKey names a compute target's pool.
func poolKey(wsID, compute string) string { return wsID + "/" + compute }

func milli(cpu float64) int64 { return int64(math.Round(cpu * 1000)) }

// ComputeInfo is a compute target with what its jobs hold now.
type ComputeInfo struct {
	lathe.Compute
	Usage lathe.ComputeUsage `json:"usage"`
}

// builtin is a workspace's local compute.
func (s *Service) builtin(ws string) *lathe.Compute {
	c := &lathe.Compute{WorkspaceID: ws, Name: lathe.DefaultCompute, Type: lathe.ComputeLocal, BuiltIn: true,
		Description: "slots on the server's own machine"}
	if b := s.o.Backends[lathe.ComputeLocal]; b != nil {
		c.CPU, c.Memory = float64(b.Capacity().CPUMilli)/1000, b.Capacity().Memory
	}
	return c
}

// CreateCompute creates a compute target (type local: a cap on how much of
// the machine its jobs reserve at once).
func (s *Service) CreateCompute(ctx context.Context, ws, actor string, c lathe.Compute) (*lathe.Compute, error) {
	c.WorkspaceID, c.CreatedBy, c.CreatedAt, c.BuiltIn = ws, actor, s.now(), false
	if err := c.Validate(); err != nil {
		return nil, err
	}
	b := s.o.Backends[c.Type]
	if b == nil {
		return nil, lathe.Errorf(lathe.EUNSUPPORTED, "compute %s: this server runs no %s backend", c.Name, c.Type)
	}
	capa := b.Capacity()
	if milli(c.CPU) > capa.CPUMilli {
		return nil, lathe.Errorf(lathe.EINVALID, "compute %s: cpu %g is more than the machine's %g CPUs", c.Name, c.CPU, float64(capa.CPUMilli)/1000)
	}
	if capa.Memory > 0 && c.Memory > capa.Memory {
		return nil, lathe.Errorf(lathe.EINVALID, "compute %s: memory %d is more than the machine's %d bytes", c.Name, c.Memory, capa.Memory)
	}
	if err := s.o.Store.CreateCompute(ctx, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// compute returns a compute target by name (local is built in).
func (s *Service) compute(ctx context.Context, ws, name string) (*lathe.Compute, error) {
	if name == "" || name == lathe.DefaultCompute {
		return s.builtin(ws), nil
	}
	return s.o.Store.Compute(ctx, ws, name)
}

// pool returns (and caches) the scheduling pool of a compute target.
func (s *Service) pool(ctx context.Context, ws, name string) (poolInfo, error) {
	key := poolKey(ws, name)
	s.mu.Lock()
	p, ok := s.pools[key]
	s.mu.Unlock()
	if ok {
		return p, nil
	}
	c, err := s.compute(ctx, ws, name)
	if err != nil {
		return poolInfo{}, err
	}
	b := s.o.Backends[c.Type]
	if b == nil {
		return poolInfo{}, lathe.Errorf(lathe.EUNSUPPORTED, "compute %s is of type %s, which this server does not run", c.Name, c.Type)
	}
	capa := b.Capacity()
	p = poolInfo{backend: c.Type, cap: Amount{CPU: capa.CPUMilli, Memory: capa.Memory}, memCap: capa.Memory > 0}
	if c.CPU > 0 {
		p.cap.CPU = min(p.cap.CPU, milli(c.CPU))
	}
	if c.Memory > 0 {
		p.cap.Memory, p.memCap = c.Memory, true
		if capa.Memory > 0 {
			p.cap.Memory = min(p.cap.Memory, capa.Memory)
		}
	}
	s.mu.Lock()
	s.pools[key] = p
	s.mu.Unlock()
	return p, nil
}

// Compute returns a compute target with its usage.
func (s *Service) Compute(ctx context.Context, ws, name string) (*ComputeInfo, error) {
	c, err := s.compute(ctx, ws, name)
	if err != nil {
		return nil, err
	}
	return s.withUsage(c), nil
}

// Computes lists the workspace's compute targets, local first.
func (s *Service) Computes(ctx context.Context, ws string) ([]*ComputeInfo, error) {
	list, err := s.o.Store.ListComputes(ctx, ws)
	if err != nil {
		return nil, err
	}
	out := []*ComputeInfo{s.withUsage(s.builtin(ws))}
	for _, c := range list {
		out = append(out, s.withUsage(c))
	}
	return out, nil
}

// withUsage adds what the compute's jobs hold now in this controller.
func (s *Service) withUsage(c *lathe.Compute) *ComputeInfo {
	info := &ComputeInfo{Compute: *c}
	b := s.o.Backends[c.Type]
	info.Usage.Available = b != nil
	if b != nil {
		capa := b.Capacity()
		info.Usage.CPU, info.Usage.Memory = float64(capa.CPUMilli)/1000, capa.Memory
		if c.CPU > 0 {
			info.Usage.CPU = math.Min(info.Usage.CPU, c.CPU)
		}
		if c.Memory > 0 {
			info.Usage.Memory = c.Memory
		}
	}
	key := poolKey(c.WorkspaceID, c.Name)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sl := range s.running {
		if sl.pool == key {
			info.Usage.Running++
			info.Usage.CPUUsed += float64(sl.need.CPU) / 1000
			info.Usage.MemUsed += sl.need.Memory
		}
	}
	for _, p := range s.pending {
		if p.Pool == key {
			info.Usage.Queued++
		}
	}
	return info
}

// need is what a job reserves: its resources, or one CPU.
func need(r lathe.JobResources) Amount {
	cpu := milli(r.CPU)
	if cpu <= 0 {
		cpu = 1000
	}
	return Amount{CPU: cpu, Memory: r.Memory}
}

// checkFits refuses a job that could never start on its compute.
func checkFits(name string, p poolInfo, n Amount) error {
	if n.CPU > p.cap.CPU {
		return lathe.Errorf(lathe.EINVALID, "resources: the job asks for %g CPUs, but compute %s has %g; ask for fewer", float64(n.CPU)/1000, name, float64(p.cap.CPU)/1000)
	}
	if p.memCap && n.Memory > p.cap.Memory {
		return lathe.Errorf(lathe.EINVALID, "resources: the job asks for %d bytes of memory, but compute %s has %d; ask for less", n.Memory, name, p.cap.Memory)
	}
	return nil
}

// free is what each pool has left: capacities less the running jobs.
func (s *Service) freeLocked() (Pools, Limits) {
	free, lim := Pools{}, Limits{}
	for typ, b := range s.o.Backends {
		c := b.Capacity()
		free[machinePool(typ)] = Amount{CPU: c.CPUMilli, Memory: c.Memory}
		lim[machinePool(typ)] = c.Memory > 0
	}
	for key, p := range s.pools {
		free[key] = p.cap
		lim[key] = p.memCap
	}
	for _, sl := range s.running {
		for _, k := range []string{sl.pool, machinePool(sl.backend)} {
			a := free[k]
			a.CPU, a.Memory = a.CPU-sl.need.CPU, a.Memory-sl.need.Memory
			free[k] = a
		}
	}
	return free, lim
}

// sortedTypes lists the backends' types, for messages.
func (s *Service) sortedTypes() []string {
	var out []string
	for t := range s.o.Backends {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

var _ = compute.Resources{}

func describeAmount(a Amount) string {
	if a.Memory > 0 {
		return fmt.Sprintf("%g CPU, %d bytes", float64(a.CPU)/1000, a.Memory)
	}
	return fmt.Sprintf("%g CPU", float64(a.CPU)/1000)
}
