package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
	"github.com/latheml/lathe/internal/spec"
)

// isPipelineFile reports whether a job YAML is a pipeline job.
func isPipelineFile(file string) bool {
	src, err := readLimited(file, lathe.MaxPipelineYAML, "a pipeline spec")
	if err != nil {
		return false
	}
	doc, err := spec.Parse(file, src)
	if err != nil {
		_, err2 := spec.ParseKind(spec.KindPipelineJob, file, src)
		return err2 == nil || strings.Contains(string(src), "type: pipeline")
	}
	_, ok := doc.(*spec.PipelineJob)
	return ok
}

// PipelineSubmit is a submitted pipeline job with what its submit
// registered and uploaded.
type PipelineSubmit struct {
	lathe.Job
	URL        string            `json:"url"`
	Components map[string]string `json:"components,omitempty" doc:"component files and the anonymous components they were registered as"`
	Uploads    map[string]string `json:"uploaded_inputs,omitempty"`
}

// createPipeline registers a pipeline file's component files, uploads
// code folders and local inputs, and submits it.
func (a *app) createPipeline(ctx context.Context, file, name string, sets []string, force bool, stream bool, parallel int) error {
	src, err := readLimited(file, lathe.MaxPipelineYAML, "a pipeline spec")
	if err != nil {
		return err
	}
	doc, err := spec.Parse(file, src)
	if err != nil {
		return err
	}
	if err := spec.CheckSupported(doc); err != nil {
		return err
	}
	if len(sets) > 0 {
		if doc, err = spec.Set(doc, sets...); err != nil {
			return err
		}
	}
	p, ok := doc.(*spec.PipelineJob)
	if !ok {
		return lathe.Errorf(lathe.EINVALID, "%s is not a pipeline job", file)
	}
	c, ws, err := a.conn()
	if err != nil {
		return err
	}
	ps, err := a.pipelineSpec(ctx, c, ws, file, src, p, sets, force, parallel)
	if err != nil {
		return err
	}
	j, err := c.CreatePipelineJob(ctx, ws, client.PipelineRequest{Name: name, Spec: *ps})
	if err != nil {
		return err
	}
	return a.reportPipeline(ctx, c, ws, j, ps, stream)
}

// pipelineSpec prepares a parsed pipeline file for the server: it
// registers its component files (anonymously, by digest), uploads inline
// steps' code folders and local data inputs, and returns the request with
// the YAML text (the server parses it again, so its errors keep their
// file:line).
func (a *app) pipelineSpec(ctx context.Context, c *client.Client, ws, file string, src []byte, p *spec.PipelineJob, sets []string, force bool, parallel int) (*lathe.PipelineSpec, error) {
	dir := filepath.Dir(file)
	ps := &lathe.PipelineSpec{File: file, YAML: string(src), Set: sets, ForceRerun: force,
		Components: map[string]string{}, Code: map[string]lathe.CodeSnapshot{}, Uploads: map[string]string{}}
	p, err := nestedPipelines(dir, ps, p, func(r *spec.Ref) (*lathe.Component, error) {
		return c.Component(ctx, ws, r.Name, firstNonEmpty(r.Version, r.Label, "latest"))
	})
	if err != nil {
		return nil, err
	}
	registered := map[string]string{} // component file → name:version
	for _, stepName := range p.StepNames() {
		st := p.Jobs[stepName]
		if ref := st.ComponentRef; ref != nil && ref.Kind == spec.RefLocal {
			cf := localPath(dir, stepPath(st.Dir, ref.Path))
			reg, ok := registered[cf]
			if !ok {
				if reg, err = a.registerComponentFile(ctx, c, ws, cf, true, parallel); err != nil {
					return nil, fmt.Errorf("%s: component %s: %w", st.Pos, ref.Raw, err)
				}
				registered[cf] = reg
			}
			ps.Components[spec.LocalKey(st.Dir, ref)] = reg
		}
		if st.IsInline() && st.Code != nil && st.Code.Kind == spec.RefLocal {
			cr, err := a.snapshotCode(ctx, c, ws, localPath(dir, stepPath(st.Dir, st.Code.Path)), parallel)
			if err != nil {
				return nil, fmt.Errorf("%s: code of step %s: %w", st.Pos, stepName, err)
			}
			ps.Code[stepName] = cr.Snapshot
		}
		for k, in := range st.Inputs {
			if in.Path != nil && in.Path.Kind == spec.RefLocal {
				ref, err := a.uploadInput(ctx, c, ws, localInput{Input: k, Path: localPath(dir, in.Path.Path), Type: localDataType(in.Type)}, parallel)
				if err != nil {
					return nil, fmt.Errorf("%s: jobs.%s.inputs.%s: %w", in.Pos, stepName, k, err)
				}
				ps.Uploads["jobs."+stepName+".inputs."+k] = ref
			}
		}
	}
	for k, in := range p.Inputs {
		if in.Path != nil && in.Path.Kind == spec.RefLocal {
			ref, err := a.uploadInput(ctx, c, ws, localInput{Input: k, Path: localPath(dir, in.Path.Path), Type: localDataType(in.Type)}, parallel)
			if err != nil {
				return nil, fmt.Errorf("%s: inputs.%s: %w", in.Pos, k, err)
			}
			ps.Uploads["inputs."+k] = ref
		}
	}
	return ps, nil
}

// reportPipeline prints a submitted pipeline, or streams its steps.
func (a *app) reportPipeline(ctx context.Context, c *client.Client, ws string, j *lathe.Job, ps *lathe.PipelineSpec, stream bool) error {
	res := PipelineSubmit{Job: *j, URL: jobURL(c, ws, j.Name), Uploads: ps.Uploads}
	res.Components = map[string]string{}
	for k, v := range ps.Components {
		res.Components[k] = v
	}
	if !stream {
		return a.print(res, func() table {
			t := kv("name", res.Name, "type", res.Type, "status", res.Status, "url", res.URL)
			for _, k := range sortedNames(res.Components) {
				t.rows = append(t.rows, []string{"component " + k, "registered as " + res.Components[k]})
			}
			for _, k := range sortedNames(res.Uploads) {
				t.rows = append(t.rows, []string{k, "uploaded as " + res.Uploads[k]})
			}
			return t
		})
	}
	fmt.Fprintf(a.io.Err, "pipeline %s submitted: %s\n", j.Name, res.URL)
	return a.streamPipeline(ctx, c, ws, j.Name)
}

// registerComponentFile reads a component YAML, uploads its code folder
// and registers it (anonymously: by content digest).
func (a *app) registerComponentFile(ctx context.Context, c *client.Client, ws, file string, anonymous bool, parallel int) (string, error) {
	cc, cs, err := a.componentSpec(ctx, c, ws, file, parallel)
	if err != nil {
		return "", err
	}
	_ = cc
	comp, err := c.CreateComponent(ctx, ws, client.ComponentRequest{Spec: *cs, Anonymous: anonymous})
	if err != nil {
		return "", err
	}
	return comp.Name + ":" + comp.Version, nil
}

// componentSpec reads a component file and snapshots its code folder.
func (a *app) componentSpec(ctx context.Context, c *client.Client, ws, file string, parallel int) (*spec.CommandComponent, *lathe.ComponentSpec, error) {
	src, err := readLimited(file, lathe.MaxComponentYAML, "a component spec")
	if err != nil {
		return nil, nil, err
	}
	cs := &lathe.ComponentSpec{File: file, YAML: string(src)}
	if spec.ComponentKind(file, src) == spec.KindPipelineComponent {
		// The server checks it: its steps name registered components
		// only, so there is nothing to upload.
		if _, err := spec.ParseKind(spec.KindPipelineComponent, file, src); err != nil {
			return nil, nil, err
		}
		return nil, cs, nil
	}
	doc, err := spec.ParseKind(spec.KindCommandComponent, file, src)
	if err != nil {
		return nil, nil, err
	}
	cc := doc.(*spec.CommandComponent)
	if cc.Code != nil && cc.Code.Kind == spec.RefLocal {
		cr, err := a.snapshotCode(ctx, c, ws, localPath(filepath.Dir(file), cc.Code.Path), parallel)
		if err != nil {
			return nil, nil, fmt.Errorf("code: %w", err)
		}
		cs.Code = &cr.Snapshot
	}
	return cc, cs, nil
}

// stepLine is one step as the live table shows it.
func stepLine(s lathe.PipelineStep, now time.Time) []string {
	took := ""
	if s.StartedAt != nil {
		end := now
		if s.EndedAt != nil {
			end = *s.EndedAt
		}
		took = end.Sub(*s.StartedAt).Round(100 * time.Millisecond).String()
	}
	note := s.Reason
	if s.Reused {
		note = "reused from " + s.Job
	}
	return []string{s.Step, s.State, took, s.Job, note}
}

func stepsTable(steps []lathe.PipelineStep, now time.Time) table {
	t := table{header: []string{"STEP", "STATE", "DURATION", "JOB", "NOTE"}}
	for _, s := range steps {
		t.rows = append(t.rows, stepLine(s, now))
	}
	return t
}

// streamPipeline shows a pipeline's steps until it ends: a table redrawn
// in place on a terminal, a line per step change otherwise. A pipeline
// that did not complete is an error.
func (a *app) streamPipeline(ctx context.Context, c *client.Client, ws, name string) error {
	live := isTerminal(a.io.Err) && a.output != "json" && a.output != "yaml"
	w := a.io.Err
	if a.output == "" || a.output == "table" {
		if !isTerminal(a.io.Err) {
			w = a.io.Out
		}
	}
	seen := map[string]string{}
	drawn := 0
	for {
		ps, err := c.PipelineSteps(ctx, ws, name)
		if err != nil {
			return err
		}
		now := time.Now()
		if live {
			if drawn > 0 {
				fmt.Fprintf(w, "\x1b[%dA\x1b[J", drawn)
			}
			var sb strings.Builder
			_ = printTo(&sb, "table", nil, func() table { return stepsTable(ps.Items, now) })
			fmt.Fprint(w, sb.String())
			drawn = strings.Count(sb.String(), "\n")
		} else {
			for _, s := range ps.Items {
				key := s.State + "|" + s.Job
				if seen[s.Step] == key {
					continue
				}
				seen[s.Step] = key
				l := stepLine(s, now)
				line := fmt.Sprintf("step %s: %s", s.Step, s.State)
				if s.Job != "" {
					line += " (job " + s.Job + ")"
				}
				if l[4] != "" {
					line += " — " + l[4]
				}
				fmt.Fprintln(w, line)
			}
		}
		if lathe.JobTerminal(ps.Job.Status) {
			if a.output == "json" || a.output == "yaml" {
				if err := a.print(ps, nil); err != nil {
					return err
				}
			}
			return a.ended(&ps.Job)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func (a *app) jobCacheCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "Manage the pipeline step reuse cache",
	}
	var key string
	inv := &cobra.Command{
		Use:   "invalidate [JOB]",
		Short: "Forget cached step outputs, so the next run of those steps runs them again",
		Long: `A deterministic pipeline step whose cache key (component, command, code,
environment, input data and values) matches an earlier completed step reuses
that step's outputs. invalidate forgets cache entries: those pointing at a
step job, at every step of a pipeline job, or one entry by --key.`,
		Example: `  lathe job cache invalidate my-pipeline-train      # a step's job
  lathe job cache invalidate my-pipeline            # every step of a pipeline
  lathe job cache invalidate --key sha256:3f2a...`,
		Args: args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			req := client.InvalidateRequest{Key: lathe.Digest(key)}
			if len(argv) == 1 {
				req.Job = argv[0]
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			res, err := c.InvalidateStepCache(cmd.Context(), ws, req)
			if err != nil {
				return err
			}
			return a.print(res, func() table { return kv("deleted", fmt.Sprint(res.Deleted)) })
		},
	}
	inv.Flags().StringVar(&key, "key", "", "a step cache key (sha256:...), as lathe job show lists")
	cmd.AddCommand(inv)
	return cmd
}

// stepRows adds a pipeline's steps to a job's table.
func stepRows(t *table, steps []lathe.PipelineStep) {
	now := time.Now()
	for _, s := range steps {
		l := stepLine(s, now)
		v := s.State
		if l[2] != "" {
			v += " in " + l[2]
		}
		if s.Job != "" && !s.Reused {
			v += ", job " + s.Job
		}
		if l[4] != "" {
			v += " — " + l[4]
		}
		t.rows = append(t.rows, []string{"step " + s.Step, v})
	}
}
