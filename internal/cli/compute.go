package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
	"github.com/latheml/lathe/internal/spec"
)

func (a *app) computeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "compute",
		Short: "Create, list and show compute targets (where jobs run)",
		Long: `A compute target is where jobs run. Every workspace has the built-in compute
local: slots on the server's own machine. Create more local computes to cap
what a group of jobs may reserve at once (--cpus, --memory); jobs pick one
with compute: azureml:<name>. Lathe does not provision machines, so Azure's
scaling fields (min_instances, max_instances, size) are refused.`,
	}
	cmd.AddCommand(a.computeCreateCmd(), a.computeListCmd(), a.computeShowCmd())
	return cmd
}

// computeRequest builds the create request of a compute document.
func computeRequest(c *spec.Compute) (client.ComputeRequest, error) {
	if c.Namespace != "" || c.Partition != "" || c.Type != spec.ComputeLocal {
		return client.ComputeRequest{}, lathe.Errorf(lathe.EUNSUPPORTED, "%s: compute type %s is not supported by this server yet; use type: local", c.Pos, c.Type)
	}
	return client.ComputeRequest{Name: c.Name, Type: c.Type, Description: c.Description, Tags: c.Tags}, nil
}

// parseBytes reads a size such as 512Mi, 4Gi, 2G or 1048576.
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40}, {"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}}
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = n, u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f <= 0 || f*float64(mult) > 1<<62 {
		return 0, lathe.Errorf(lathe.EINVALID, "size %q: write bytes with a unit, like 512Mi, 16Gi or 8G", s)
	}
	return int64(f * float64(mult)), nil
}

func (a *app) computeCreateCmd() *cobra.Command {
	var file, name, typ, desc, memory string
	var cpus float64
	var tags []string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a compute target from a YAML file or flags",
		Long: `Create a compute target. The spec is Azure ML's compute YAML where it fits
(name, type, description, tags) with type local; flags override the file.
--cpus and --memory cap what the compute's jobs reserve at once (default: the
whole machine).`,
		Example: `  lathe compute create -f compute.yml
  lathe compute create --name small --type local --cpus 2 --memory 4Gi
  lathe compute create --name shared --type local -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var req client.ComputeRequest
			if file != "" {
				src, err := readLimited(file, spec.MaxFileSize, "a compute spec")
				if err != nil {
					return err
				}
				doc, err := spec.ParseKind(spec.KindCompute, file, src)
				if err != nil {
					return err
				}
				if req, err = computeRequest(doc.(*spec.Compute)); err != nil {
					return err
				}
			}
			fs := cmd.Flags()
			if fs.Changed("name") {
				req.Name = name
			}
			if fs.Changed("type") || req.Type == "" {
				req.Type = typ
			}
			if fs.Changed("description") {
				req.Description = desc
			}
			if fs.Changed("cpus") {
				if cpus <= 0 {
					return &usageError{lathe.Errorf(lathe.EINVALID, "--cpus %g must be positive", cpus)}
				}
				req.CPU = cpus
			}
			if fs.Changed("memory") {
				m, err := parseBytes(memory)
				if err != nil {
					return &usageError{fmt.Errorf("--memory: %w", err)}
				}
				req.Memory = m
			}
			t, err := parseTags(tags)
			if err != nil {
				return err
			}
			for k, v := range t {
				if req.Tags == nil {
					req.Tags = map[string]string{}
				}
				req.Tags[k] = v
			}
			if req.Name == "" {
				return &usageError{lathe.Errorf(lathe.EINVALID, "give --name (or -f compute.yml with name)")}
			}
			if req.Type != spec.ComputeLocal {
				return &usageError{lathe.Errorf(lathe.EUNSUPPORTED, "--type %q: this server runs compute of type local only", req.Type)}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			out, err := c.CreateCompute(cmd.Context(), ws, req)
			if err != nil {
				return err
			}
			return a.print(out, func() table { return computeTable(out, nil) })
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "compute YAML (name, type, description, tags)")
	f.StringVarP(&name, "name", "n", "", "compute name")
	f.StringVarP(&typ, "type", "t", spec.ComputeLocal, "compute type: local")
	f.Float64Var(&cpus, "cpus", 0, "CPUs its jobs may reserve at once (default: all of the machine's)")
	f.StringVar(&memory, "memory", "", "memory its jobs may reserve at once, like 16Gi (default: all of the machine's)")
	f.StringVarP(&desc, "description", "d", "", "description")
	f.StringArrayVar(&tags, "tag", nil, "tag key=value (repeatable)")
	return cmd
}

func capacity(cpu float64, mem int64) (string, string) {
	c, m := "machine", "machine"
	if cpu > 0 {
		c = strconv.FormatFloat(cpu, 'f', -1, 64)
	}
	if mem > 0 {
		m = lathe.FormatBytes(mem)
	}
	return c, m
}

func computeTable(c *lathe.Compute, u *lathe.ComputeUsage) table {
	cpu, mem := capacity(c.CPU, c.Memory)
	t := kv("name", c.Name, "type", c.Type, "cpus", cpu, "memory", mem, "built in", strconv.FormatBool(c.BuiltIn))
	add := func(k, v string) { t.rows = append(t.rows, []string{k, v}) }
	if !c.CreatedAt.IsZero() {
		add("created", when(c.CreatedAt)+" by "+c.CreatedBy)
	}
	if c.Description != "" {
		add("description", c.Description)
	}
	for _, k := range sortedNames(c.Tags) {
		add("tags."+k, c.Tags[k])
	}
	if u != nil {
		add("running", strconv.Itoa(u.Running))
		add("queued", strconv.Itoa(u.Queued))
		add("cpu used", fmt.Sprintf("%g of %g", u.CPUUsed, u.CPU))
		add("memory used", lathe.FormatBytes(u.MemUsed)+" of "+lathe.FormatBytes(u.Memory))
		add("available", strconv.FormatBool(u.Available))
	}
	return t
}

func (a *app) computeListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List compute targets with the jobs they run now",
		Example: "  lathe compute list\n  lathe compute list -o json",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			all, err := c.Computes(cmd.Context(), ws)
			if err != nil {
				return err
			}
			if all == nil {
				all = []client.ComputeInfo{}
			}
			return a.print(all, func() table {
				t := table{header: []string{"NAME", "TYPE", "CPUS", "MEMORY", "RUNNING", "QUEUED", "CPU USED", "AVAILABLE"}}
				for _, x := range all {
					cpu, mem := capacity(x.CPU, x.Memory)
					t.rows = append(t.rows, []string{x.Name, x.Type, cpu, mem, strconv.Itoa(x.Usage.Running), strconv.Itoa(x.Usage.Queued),
						fmt.Sprintf("%g/%g", x.Usage.CPUUsed, x.Usage.CPU), strconv.FormatBool(x.Usage.Available)})
				}
				return t
			})
		},
	}
}

func (a *app) computeShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "show NAME",
		Short:   "Show a compute target and what its jobs hold now",
		Example: "  lathe compute show local\n  lathe compute show azureml:small -o json",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			name, err := spec.ParseComputeName(argv[0])
			if err != nil {
				return &usageError{err}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			x, err := c.Compute(cmd.Context(), ws, name)
			if err != nil {
				return err
			}
			return a.print(x, func() table { return computeTable(&x.Compute, &x.Usage) })
		},
	}
}
