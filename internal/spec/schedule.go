package spec

import (
	"strconv"
	"strings"
	"time"

	"github.com/latheml/lathe"
)

// Trigger types and recurrence frequencies.
const (
	TriggerCron       = "cron"
	TriggerRecurrence = "recurrence"
)

var (
	frequencies = []string{"minute", "hour", "day", "week", "month"}
	weekDays    = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
)

// Schedule is Azure's schedule (schedule.schema.json): a trigger that
// creates a job.
type Schedule struct {
	Meta
	Pos         Pos
	Name        string
	DisplayName string
	Description string
	Tags        map[string]string
	Properties  map[string]string
	Trigger     Trigger
	CreateJob   *CreateJob
}

// Kind implements Document.
func (*Schedule) Kind() Kind { return KindSchedule }

// Trigger says when a schedule fires.
type Trigger struct {
	Pos  Pos
	Type string // cron or recurrence
	// Expression is a cron trigger's five-field crontab expression.
	Expression string
	// Frequency, Interval and Pattern define a recurrence: every Interval
	// Frequency units, at the Pattern's hours and minutes when given.
	Frequency string
	Interval  int
	Pattern   *Recurrence
	// StartTime and EndTime are as written (ISO 8601, with or without an
	// offset); "" means unset. TimeZone is Azure's time zone name
	// ("Pacific Standard Time"), "" for UTC; the scheduler resolves it.
	StartTime string
	EndTime   string
	TimeZone  string
}

// Recurrence is a recurrence trigger's pattern.
type Recurrence struct {
	Hours     []int
	Minutes   []int
	WeekDays  []string
	MonthDays []int
}

// CreateJob is what a schedule creates: a job file, a copy of an existing
// job, or a job defined in place. A file or job may come with overrides
// (create_job: {job: ./job.yml, inputs: ..., settings: ...}), which Apply
// merges into the loaded job.
type CreateJob struct {
	Pos Pos
	// File is a job YAML relative to the schedule's file.
	File *Ref
	// JobName names an existing job to run again (azureml:<job-name>).
	JobName string
	// Inline is a *CommandJob or *PipelineJob defined in place.
	Inline    Document
	overrides []patch
}

var scheduleSchema = schema{
	name: "schedule",
	fields: []string{"$schema", "name", "display_name", "description", "tags", "properties",
		"trigger", "create_job"},
	rejected: withRefused(map[string]string{
		"create_monitor":     "model monitors are not supported yet",
		"import_data":        "data import is not supported; create data from a datastore path",
		"is_enabled":         "it is set by the server; use lathe schedule enable or disable",
		"provisioning_state": "it is set by the server; remove it",
	}),
}

var triggerSchema = schema{
	name:   "trigger",
	fields: []string{"type", "expression", "frequency", "interval", "schedule", "start_time", "end_time", "time_zone"},
	rejected: map[string]string{
		"pattern": "write the pattern under schedule: {hours: [...], minutes: [...]}",
	},
}

var patternSchema = schema{name: "trigger.schedule", fields: []string{"hours", "minutes", "week_days", "month_days"}}

var overrideSchema = schema{
	name: "create_job",
	fields: []string{"job", "type", "compute", "inputs", "outputs", "settings", "tags", "properties",
		"experiment_name", "display_name", "description", "environment_variables", "limits", "resources", "environment"},
	rejected: map[string]string{
		"identity":     "jobs act with the schedule owner's Lathe permissions",
		"distribution": "distributed training is not supported yet",
	},
}

// mergeable are the create_job override fields merged key by key into the
// job's; other fields replace the job's whole.
var mergeable = []string{"inputs", "outputs", "settings", "tags", "properties", "environment_variables", "limits", "resources"}

func decodeSchedule(d *dec, root *node, m Meta) *Schedule {
	s := &Schedule{Meta: m, Pos: root.pos}
	d.fields(root, &scheduleSchema, "schedule", func(c *entry) {
		switch c.key {
		case "name":
			s.Name = d.name(c, c.key, "schedule")
		case "display_name":
			s.DisplayName = d.text(c, c.key, lathe.MaxNameLen)
		case "description":
			s.Description = d.text(c, c.key, lathe.MaxDescriptionLen)
		case "tags":
			s.Tags = d.tags(c, c.key)
		case "properties":
			s.Properties = d.tags(c, c.key)
		case "trigger":
			s.Trigger = d.trigger(c)
		case "create_job":
			s.CreateJob = d.createJob(c, m)
		}
	})
	for _, f := range []string{"name", "trigger", "create_job"} {
		if root.get(f) == nil {
			d.errf(root.pos, "schedule has no %s; add it", f)
		}
	}
	return s
}

func (d *dec) trigger(e *entry) Trigger {
	t := Trigger{Pos: e.keyPos}
	var patE *entry
	d.fields(e.val, &triggerSchema, "trigger", func(c *entry) {
		p := join("trigger", c.key)
		switch c.key {
		case "type":
			t.Type = d.oneOf(c, p, []string{TriggerCron, TriggerRecurrence}, nil)
		case "expression":
			t.Expression = d.reqStr(c, p)
			if msg := checkCron(t.Expression); t.Expression != "" && msg != "" {
				d.errf(c.val.pos, "%s %q: %s", p, clip(t.Expression, 80), msg)
			}
		case "frequency":
			t.Frequency = d.oneOf(c, p, frequencies, nil)
		case "interval":
			if n, ok := d.integer(c, p); ok {
				if n < 1 || n > 1000 {
					d.errf(c.val.pos, "%s is %d; give 1 to 1000", p, n)
				}
				t.Interval = int(n)
			}
		case "schedule":
			patE = c
			t.Pattern = d.pattern(c)
		case "start_time":
			t.StartTime = d.timeField(c, p)
		case "end_time":
			t.EndTime = d.timeField(c, p)
		case "time_zone":
			t.TimeZone = d.reqStr(c, p)
			if len(t.TimeZone) > 64 || strings.ContainsFunc(t.TimeZone, func(r rune) bool { return r < 0x20 }) {
				d.errf(c.val.pos, "%s %q is not a time zone name such as UTC or Pacific Standard Time", p, clip(t.TimeZone, 80))
			}
		}
	})
	if e.val.kind != nMap {
		return t
	}
	switch t.Type {
	case TriggerCron:
		if e.val.get("expression") == nil {
			d.errf(e.keyPos, "a cron trigger needs expression: \"<minute> <hour> <day> <month> <weekday>\"")
		}
		for _, f := range []string{"frequency", "interval", "schedule"} {
			if c := e.val.get(f); c != nil {
				d.errf(c.keyPos, "trigger.%s is for recurrence triggers, not cron", f)
			}
		}
	case TriggerRecurrence:
		if e.val.get("frequency") == nil || e.val.get("interval") == nil {
			d.errf(e.keyPos, "a recurrence trigger needs frequency (minute, hour, day, week or month) and interval")
		}
		if c := e.val.get("expression"); c != nil {
			d.errf(c.keyPos, "trigger.expression is for cron triggers, not recurrence")
		}
		if t.Pattern != nil && (t.Frequency == "minute" || t.Frequency == "hour") {
			d.errf(patE.keyPos, "trigger.schedule sets hours and minutes of day, week or month recurrences, not of %s ones", t.Frequency)
		}
		if t.Pattern != nil && len(t.Pattern.WeekDays) > 0 && t.Frequency != "week" {
			d.errf(patE.keyPos, "trigger.schedule.week_days needs frequency: week")
		}
		if t.Pattern != nil && len(t.Pattern.MonthDays) > 0 && t.Frequency != "month" {
			d.errf(patE.keyPos, "trigger.schedule.month_days needs frequency: month")
		}
	case "":
		if e.val.get("type") == nil {
			d.errf(e.keyPos, "trigger has no type; add type: cron or type: recurrence")
		}
	}
	if t.StartTime != "" && t.EndTime != "" {
		a, _ := parseTime(t.StartTime)
		b, _ := parseTime(t.EndTime)
		if !b.After(a) {
			d.errf(e.keyPos, "trigger.end_time %s is not after start_time %s", t.EndTime, t.StartTime)
		}
	}
	return t
}

func (d *dec) pattern(e *entry) *Recurrence {
	r := &Recurrence{}
	ranged := func(c *entry, p string, lo, hi int64) []int {
		var out []int
		for _, v := range d.intList(c, p) {
			if v < lo || v > hi {
				d.errf(c.val.pos, "%s has %d; use %d to %d", p, v, lo, hi)
				continue
			}
			out = append(out, int(v))
		}
		return out
	}
	d.fields(e.val, &patternSchema, "trigger.schedule", func(c *entry) {
		p := join("trigger.schedule", c.key)
		switch c.key {
		case "hours":
			r.Hours = ranged(c, p, 0, 23)
		case "minutes":
			r.Minutes = ranged(c, p, 0, 59)
		case "month_days":
			r.MonthDays = ranged(c, p, 1, 31)
		case "week_days":
			for _, w := range d.strList(c, p) {
				if lw := strings.ToLower(w); contains(weekDays, lw) {
					r.WeekDays = append(r.WeekDays, lw)
				} else {
					d.errf(c.val.pos, "%s has %q; use %s", p, clip(w, 40), strings.Join(weekDays, ", "))
				}
			}
		}
	})
	if e.val.kind == nMap && (e.val.get("hours") == nil || e.val.get("minutes") == nil) {
		d.errf(e.keyPos, "trigger.schedule needs hours and minutes")
	}
	return r
}

// timeLayouts are the date-time forms Azure accepts for start and end times.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02"}

func parseTime(s string) (time.Time, bool) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func (d *dec) timeField(c *entry, p string) string {
	s := d.reqStr(c, p)
	if s == "" {
		return ""
	}
	if _, ok := parseTime(s); !ok {
		d.errf(c.val.pos, "%s %q is not an ISO 8601 time like 2024-07-10T10:00:00 or 2024-07-10T10:00:00-07:00", p, clip(s, 60))
		return ""
	}
	return s
}

// checkCron checks a five-field crontab expression and says what is wrong.
func checkCron(expr string) string {
	fields := strings.Fields(expr)
	if len(fields) != 5 {
		return "a cron expression has 5 fields (minute hour day-of-month month day-of-week), not " + strconv.Itoa(len(fields))
	}
	limits := []struct {
		name   string
		lo, hi int
		names  []string
	}{
		{"minute", 0, 59, nil},
		{"hour", 0, 23, nil},
		{"day of month", 1, 31, nil},
		{"month", 1, 12, []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
		{"day of week", 0, 7, []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
	}
	for i, f := range fields {
		l := limits[i]
		value := func(s string) bool {
			for j, n := range l.names {
				if strings.EqualFold(s, n) {
					_ = j
					return true
				}
			}
			v, err := strconv.Atoi(s)
			return err == nil && v >= l.lo && v <= l.hi
		}
		for _, item := range strings.Split(f, ",") {
			rng, step, hasStep := strings.Cut(item, "/")
			if hasStep {
				if n, err := strconv.Atoi(step); err != nil || n < 1 {
					return "the " + l.name + " field has the step " + strconv.Quote(step) + "; a step is a positive integer"
				}
			}
			if rng == "*" {
				continue
			}
			a, b, isRange := strings.Cut(rng, "-")
			if !value(a) || isRange && !value(b) {
				return "the " + l.name + " field " + strconv.Quote(f) + " is out of range; use " + strconv.Itoa(l.lo) + "-" + strconv.Itoa(l.hi) + ", *, lists (a,b), ranges (a-b) and steps (*/n)"
			}
		}
	}
	return ""
}

// createJob reads create_job: a path, azureml:<job>, {job: ..., overrides},
// or an inline job.
func (d *dec) createJob(e *entry, m Meta) *CreateJob {
	cj := &CreateJob{Pos: e.keyPos}
	switch e.val.kind {
	case nScalar:
		d.jobSource(cj, e, "create_job")
		return cj
	case nMap:
	default:
		d.errf(e.keyPos, "create_job must be a job file, azureml:<job-name>, or a mapping, not %s", describe(e.val))
		return nil
	}
	if je := e.val.get("job"); je != nil {
		d.jobSource(cj, je, "create_job.job")
		d.fields(e.val, &overrideSchema, "create_job", func(c *entry) {
			switch {
			case c.key == "job":
			case contains(mergeable, c.key) && c.val.kind == nMap:
				for i := range c.val.entries {
					sub := c.val.entries[i]
					cj.overrides = append(cj.overrides, patch{path: []string{c.key, sub.key}, val: sub.val})
				}
			default:
				cj.overrides = append(cj.overrides, patch{path: []string{c.key}, val: c.val})
			}
		})
		return cj
	}
	typ := ""
	if t := e.val.get("type"); t != nil {
		typ, _ = t.val.scalarString()
	}
	inner := Meta{File: m.File}
	switch {
	case typ == "pipeline" || typ == "" && e.val.get("jobs") != nil:
		cj.Inline = decodePipelineJob(d, e.val, inner)
	case typ == "command" || typ == "" && e.val.get("command") != nil:
		cj.Inline = decodeCommandJob(d, e.val, inner)
	default:
		d.errf(e.keyPos, "create_job defines no job Lathe can run; give job: <file>, or an inline command or pipeline job")
	}
	return cj
}

// jobSource reads a job file or an existing job's name.
func (d *dec) jobSource(cj *CreateJob, e *entry, p string) {
	s := d.reqStr(e, p)
	if s == "" {
		return
	}
	if strings.HasPrefix(s, "azureml:") && !strings.HasPrefix(s, "azureml://") || strings.HasPrefix(s, "lathe:") && !strings.HasPrefix(s, "lathe://") {
		name := s[strings.IndexByte(s, ':')+1:]
		if err := lathe.ValidateName("job", name); err != nil {
			d.errf(e.val.pos, "%s: %s", p, lathe.ErrorMessage(err))
			return
		}
		cj.JobName = name
		return
	}
	r, err := ParseRef(s)
	if err != nil || r.Kind != RefLocal {
		d.errf(e.val.pos, "%s must be a job YAML next to this file or azureml:<job-name>, not %q", p, clip(s, 80))
		return
	}
	cj.File = &r
}

// Apply returns the job the schedule creates from base, the job loaded
// from File (or the job named by JobName, as parsed from its YAML), with
// create_job's overrides merged in: inputs, outputs, settings, tags,
// properties, environment_variables, limits and resources key by key,
// other fields whole. The result is validated like a file; errors point
// at the schedule's lines for overridden values.
func (c *CreateJob) Apply(base Document) (Document, error) {
	if c.Inline != nil {
		return c.Inline, nil
	}
	if len(c.overrides) == 0 {
		return base, nil
	}
	m := base.meta()
	if m.src == nil {
		return nil, lathe.Errorf(lathe.EINVALID, "create_job overrides apply to a job parsed from a file")
	}
	for _, o := range c.overrides {
		if o.path[0] == "type" {
			if t, _ := o.val.scalarString(); t != "" && t+"Job" != string(base.Kind()) {
				return nil, lathe.Errorf(lathe.EINVALID, "%s: create_job.type is %s, but the job is a %s", o.val.pos, t, base.Kind())
			}
		}
	}
	var ps []patch
	for _, o := range c.overrides {
		if o.path[0] != "type" {
			ps = append(ps, o)
		}
	}
	return parseDoc(base.Kind(), m.File, m.src, append(append([]patch(nil), m.patches...), ps...))
}
