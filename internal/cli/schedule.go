package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/client"
	"github.com/latheml/lathe/internal/schedule"
	"github.com/latheml/lathe/internal/spec"
)

func (a *app) scheduleCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Run jobs on a cron, a recurrence, or each new version of a data asset",
		Long: `A schedule submits a job when its trigger fires, as the user who created it.
Triggers are Azure ML's schedule YAML (schedule.schema.json): cron (five
fields, with time_zone, start_time and end_time) and recurrence (frequency,
interval and schedule hours/minutes/week_days/month_days). A data trigger
(--on-data) submits the job whenever a new version of a data asset appears,
passing the version as one of the job's inputs.

Runs missed while the server was down are not back-filled: a schedule that
should have fired fires once when the server is back, then keeps its times.
See docs/schedules.md.`,
	}
	cmd.AddCommand(a.scheduleCreateCmd(), a.scheduleListCmd(), a.scheduleShowCmd(),
		a.scheduleEnableCmd(true), a.scheduleEnableCmd(false), a.scheduleDeleteCmd())
	return cmd
}

func (a *app) scheduleCreateCmd() *cobra.Command {
	var file, name, onData, input, job string
	var disabled bool
	var parallel int
	cmd := &cobra.Command{
		Use:   "create -f schedule.yml | --name NAME --on-data ASSET --input INPUT --job job.yml",
		Short: "Create a schedule from its YAML, or a data trigger from flags",
		Long: `Create a schedule. With -f, the file is Azure ML's schedule YAML; its
create_job is a command job file (relative to the schedule's file, with
optional overrides: create_job: {job: ./job.yml, inputs: ..., compute: ...}),
a job written in place, or azureml:<job-name> to run an existing job's spec
again. The job's code folder and local inputs are uploaded now, as
lathe job create does, so every firing runs the same snapshot.

With --on-data, the schedule fires when a new version of the data asset is
created and passes it to the job's input --input as azureml:<asset>:<version>.
--job is a command job file or azureml:<job-name>.`,
		Example: `  lathe schedule create -f nightly.yml
  lathe schedule create -f nightly.yml --disabled -o json
  lathe schedule create --name retrain-on-bank --on-data bank --input training_data --job train.yml
  lathe schedule create --name rerun --on-data bank --input training_data --job azureml:brave_fox_1234`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var req client.CreateScheduleRequest
			var src jobSource
			switch {
			case file != "" && onData == "":
				if name != "" || input != "" || job != "" {
					return &usageError{lathe.Errorf(lathe.EINVALID, "--name, --input and --job are for --on-data; a schedule file names its schedule, trigger and job")}
				}
				s, err := readScheduleFile(file)
				if err != nil {
					return err
				}
				req = scheduleRequest(s)
				src = jobSource{create: s.CreateJob, dir: filepath.Dir(file)}
			case onData != "" && file == "":
				if name == "" || input == "" || job == "" {
					return &usageError{lathe.Errorf(lathe.EINVALID, "a data trigger needs --name, --input (the job input that receives the new version) and --job (a job file or azureml:<job-name>)")}
				}
				req = client.CreateScheduleRequest{Name: name, Trigger: lathe.ScheduleTrigger{Type: lathe.TriggerData, Data: onData, Input: input}}
				if n, ok := strings.CutPrefix(job, "azureml:"); ok {
					src = jobSource{jobName: n}
				} else {
					src = jobSource{file: job}
				}
			default:
				return &usageError{lathe.Errorf(lathe.EINVALID, "give a schedule YAML with -f schedule.yml, or a data trigger with --on-data ASSET (not both; see lathe schedule create --help)")}
			}
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			kind, sp, err := a.resolveScheduleJob(cmd.Context(), c, ws, src, parallel)
			if err != nil {
				return err
			}
			req.Kind, req.Spec, req.Disabled = kind, sp, disabled
			sc, err := c.CreateSchedule(cmd.Context(), ws, req)
			if err != nil {
				return err
			}
			return a.print(sc, func() table { return scheduleTable(sc) })
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "Azure ML schedule YAML (schedule.schema.json)")
	f.StringVarP(&name, "name", "n", "", "the schedule's name (with --on-data)")
	f.StringVar(&onData, "on-data", "", "fire on each new version of this data asset")
	f.StringVar(&input, "input", "", "the job input that receives the new data version (with --on-data)")
	f.StringVar(&job, "job", "", "a command job YAML or azureml:<job-name> (with --on-data)")
	f.BoolVar(&disabled, "disabled", false, "create the schedule disabled")
	f.IntVar(&parallel, "parallel", 4, "uploads in flight")
	return cmd
}

// readScheduleFile reads and parses a schedule YAML.
func readScheduleFile(file string) (*spec.Schedule, error) {
	src, err := readLimited(file, lathe.MaxJobSpecSize, "a schedule")
	if err != nil {
		return nil, err
	}
	doc, err := spec.Parse(file, src)
	if err != nil {
		return nil, err
	}
	s, ok := doc.(*spec.Schedule)
	if !ok {
		return nil, lathe.Errorf(lathe.EINVALID, "%s is a %s document, not a schedule; a schedule has name, trigger and create_job (schedule.schema.json)", file, doc.Kind())
	}
	return s, nil
}

// scheduleRequest converts a parsed schedule, without its job.
func scheduleRequest(s *spec.Schedule) client.CreateScheduleRequest {
	t := s.Trigger
	tr := lathe.ScheduleTrigger{Type: t.Type, Expression: t.Expression, Frequency: t.Frequency, Interval: t.Interval,
		StartTime: t.StartTime, EndTime: t.EndTime, TimeZone: t.TimeZone}
	if p := t.Pattern; p != nil {
		tr.Hours, tr.Minutes, tr.WeekDays, tr.MonthDays = p.Hours, p.Minutes, p.WeekDays, p.MonthDays
	}
	return client.CreateScheduleRequest{Name: s.Name, DisplayName: s.DisplayName, Description: s.Description, Tags: s.Tags, Trigger: tr}
}

// jobSource is where a schedule's job comes from: a schedule's create_job
// (dir is the schedule file's folder), a job file, or an existing job.
type jobSource struct {
	create  *spec.CreateJob
	dir     string
	file    string
	jobName string
}

// resolveScheduleJob turns a schedule's job into what each firing
// submits: a pipeline file becomes a PipelineSpec (components registered
// and local data uploaded now, as lathe job create does), anything else a
// command JobSpec.
func (a *app) resolveScheduleJob(ctx context.Context, c *client.Client, ws string, src jobSource, parallel int) (string, any, error) {
	path := src.file
	if cj := src.create; cj != nil {
		switch {
		case cj.Inline != nil:
			if _, ok := cj.Inline.(*spec.PipelineJob); ok {
				return "", nil, lathe.Errorf(lathe.EUNSUPPORTED, "%s: create_job holds a pipeline written in place; put it in its own file and give create_job: ./pipeline.yml", cj.Pos)
			}
			path = ""
		case cj.File != nil:
			path = localPath(src.dir, cj.File.Path)
		default:
			path = ""
		}
	}
	if path == "" || !isPipelineFile(path) {
		sp, err := a.resolveJob(ctx, c, ws, src, parallel)
		return lathe.ScheduleCommand, sp, err
	}
	raw, err := readLimited(path, lathe.MaxPipelineYAML, "a pipeline spec")
	if err != nil {
		return "", nil, err
	}
	doc, err := spec.ParseKind(spec.KindPipelineJob, path, raw)
	if err != nil {
		return "", nil, err
	}
	if src.create != nil {
		patched, err := src.create.Apply(doc)
		if err != nil {
			return "", nil, err
		}
		if patched != doc {
			return "", nil, lathe.Errorf(lathe.EUNSUPPORTED, "%s: create_job overrides on a pipeline are not supported; write the values in %s", src.create.Pos, path)
		}
	}
	ps, err := a.pipelineSpec(ctx, c, ws, path, raw, doc.(*spec.PipelineJob), nil, false, parallel)
	if err != nil {
		return "", nil, err
	}
	return lathe.SchedulePipeline, ps, nil
}

// resolveJob turns a schedule's job into the JobSpec each firing submits:
// a job file or inline job is converted as lathe job create does (code and
// local inputs uploaded now); an existing job's spec is copied.
func (a *app) resolveJob(ctx context.Context, c *client.Client, ws string, src jobSource, parallel int) (*lathe.JobSpec, error) {
	var doc spec.Document
	dir := src.dir
	switch cj := src.create; {
	case cj != nil && cj.Inline != nil:
		doc = cj.Inline
	case cj != nil && cj.File != nil:
		path := localPath(src.dir, cj.File.Path)
		base, err := readJobFile(path, nil)
		if err != nil {
			return nil, err
		}
		if doc, err = cj.Apply(base); err != nil {
			return nil, err
		}
		dir = filepath.Dir(path)
	case cj != nil && cj.JobName != "":
		src.jobName = cj.JobName
	case src.file != "":
		j, err := readJobFile(src.file, nil)
		if err != nil {
			return nil, err
		}
		doc, dir = j, filepath.Dir(src.file)
	}
	if src.jobName != "" {
		j, err := c.Job(ctx, ws, src.jobName)
		if err != nil {
			return nil, fmt.Errorf("create_job azureml:%s: %w", src.jobName, err)
		}
		sp := j.Spec
		for k, in := range sp.Inputs {
			in.Data = "" // resolved again at each firing
			sp.Inputs[k] = in
		}
		for k, o := range sp.Outputs {
			o.Data = ""
			sp.Outputs[k] = o
		}
		return &sp, nil
	}
	cmdJob, ok := doc.(*spec.CommandJob)
	if !ok {
		if doc == nil {
			return nil, lathe.Errorf(lathe.EINVALID, "the schedule has no job; give create_job")
		}
		return nil, lathe.Errorf(lathe.EUNSUPPORTED, "create_job is a %s; schedules run command jobs for now", doc.Kind())
	}
	plan, err := jobSpecOf(cmdJob, dir, readSpecFile)
	if err != nil {
		return nil, err
	}
	if plan.CodeDir != "" {
		cr, err := a.snapshotCode(ctx, c, ws, plan.CodeDir, parallel)
		if err != nil {
			return nil, err
		}
		plan.Spec.Code = &cr.Snapshot
	}
	for _, l := range plan.Locals {
		ref, err := a.uploadInput(ctx, c, ws, l, parallel)
		if err != nil {
			return nil, fmt.Errorf("inputs.%s (%s): %w", l.Input, l.Path, err)
		}
		in := plan.Spec.Inputs[l.Input]
		in.Path = ref
		plan.Spec.Inputs[l.Input] = in
	}
	return &plan.Spec, nil
}

func (a *app) scheduleListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List schedules with their next fire time and last job",
		Example: `  lathe schedule list
  lathe schedule list -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			list, err := c.Schedules(cmd.Context(), ws)
			if err != nil {
				return err
			}
			return a.print(list, func() table {
				t := table{header: []string{"NAME", "ENABLED", "TRIGGER", "NEXT", "LAST FIRED", "LAST JOB"}}
				for i := range list {
					s := &list[i]
					next := "-"
					if s.NextFireAt != nil {
						next = fireTime(s, *s.NextFireAt)
					}
					last := "-"
					if s.LastFiredAt != nil {
						last = when(*s.LastFiredAt)
					}
					job := s.LastJob
					if s.LastError != "" {
						job = "failed: " + clipText(s.LastError, 60)
					}
					t.rows = append(t.rows, []string{s.Name, strconv.FormatBool(s.Enabled), triggerText(s.Trigger), next, last, job})
				}
				return t
			})
		},
	}
}

func (a *app) scheduleShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show a schedule, its next 5 fire times and its last firing",
		Example: `  lathe schedule show nightly
  lathe schedule show nightly -o json`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			sc, err := c.Schedule(cmd.Context(), ws, argv[0])
			if err != nil {
				return err
			}
			return a.print(sc, func() table { return scheduleTable(sc) })
		},
	}
}

func (a *app) scheduleEnableCmd(on bool) *cobra.Command {
	use, short := "disable NAME", "Disable a schedule (jobs it submitted carry on)"
	if on {
		use, short = "enable NAME", "Enable a schedule from now (missed times and data versions do not fire)"
	}
	verb, _, _ := strings.Cut(use, " ")
	return &cobra.Command{
		Use:     use,
		Short:   short,
		Example: "  lathe schedule " + verb + " nightly",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			sc, err := c.SetScheduleEnabled(cmd.Context(), ws, argv[0], on)
			if err != nil {
				return err
			}
			return a.print(sc, func() table { return scheduleTable(sc) })
		},
	}
}

func (a *app) scheduleDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a schedule (the jobs it submitted stay)",
		Example: "  lathe schedule delete nightly",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, ws, err := a.conn()
			if err != nil {
				return err
			}
			if err := c.DeleteSchedule(cmd.Context(), ws, argv[0]); err != nil {
				return err
			}
			return a.print(map[string]any{"deleted": argv[0]}, func() table { return kv("deleted", argv[0]) })
		},
	}
}

func scheduleTable(s *lathe.Schedule) table {
	t := kv("name", s.Name, "enabled", strconv.FormatBool(s.Enabled), "trigger", triggerText(s.Trigger), "created", when(s.CreatedAt)+" by "+s.CreatedBy)
	if s.DisplayName != "" {
		t.rows = append(t.rows, []string{"display name", s.DisplayName})
	}
	if m, ok := s.Spec.(map[string]any); ok {
		if cmd, ok := m["command"].(string); ok {
			t.rows = append(t.rows, []string{"command", clipText(strings.TrimSpace(cmd), 100)})
		}
	}
	for i, u := range s.Upcoming {
		label := ""
		if i == 0 {
			label = "next"
		}
		t.rows = append(t.rows, []string{label, fireTime(s, u)})
	}
	if s.Trigger.Type == lathe.TriggerData {
		seen := s.LastDataVersion
		if seen == "" {
			seen = "none yet"
		}
		t.rows = append(t.rows, []string{"data version seen", seen})
	}
	if s.LastFiredAt != nil {
		t.rows = append(t.rows, []string{"last fired", when(*s.LastFiredAt)})
	}
	if s.LastJob != "" {
		t.rows = append(t.rows, []string{"last job", s.LastJob})
	}
	if s.LastError != "" {
		t.rows = append(t.rows, []string{"last error", s.LastError})
	}
	return t
}

// triggerText says when a schedule fires, in one line.
func triggerText(t lathe.ScheduleTrigger) string {
	var b strings.Builder
	switch t.Type {
	case lathe.TriggerCron:
		b.WriteString("cron " + t.Expression)
	case lathe.TriggerRecurrence:
		fmt.Fprintf(&b, "every %d %s", t.Interval, t.Frequency)
		if len(t.WeekDays) > 0 {
			b.WriteString(" on " + strings.Join(t.WeekDays, ","))
		}
		if len(t.MonthDays) > 0 {
			b.WriteString(" on days " + joinInts(t.MonthDays))
		}
		if len(t.Hours) > 0 {
			b.WriteString(" at hours " + joinInts(t.Hours) + " minutes " + joinInts(t.Minutes))
		}
	case lathe.TriggerData:
		return "new version of " + t.Data + " -> inputs." + t.Input
	}
	if t.TimeZone != "" {
		b.WriteString(" (" + t.TimeZone + ")")
	}
	return b.String()
}

func joinInts(vs []int) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ",")
}

// fireTime shows a fire time in the trigger's time zone (where this
// machine knows it) and in UTC.
func fireTime(s *lathe.Schedule, t time.Time) string {
	utc := t.UTC().Format("2006-01-02 15:04 MST")
	if s.Trigger.TimeZone == "" {
		return utc
	}
	z, err := schedule.ZoneName(s.Trigger.TimeZone)
	if err != nil {
		return utc
	}
	loc, err := time.LoadLocation(z)
	if err != nil || z == "UTC" {
		return utc
	}
	return t.In(loc).Format("2006-01-02 15:04 MST") + " (" + utc + ")"
}

func clipText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
