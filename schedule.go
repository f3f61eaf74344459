package lathe

import "time"

// Schedule trigger types: a cron expression, an Azure recurrence, or a
// data trigger that fires when a new version of a data asset appears.
const (
	TriggerCron       = "cron"
	TriggerRecurrence = "recurrence"
	TriggerData       = "data"
)

// Schedule kinds: what a schedule submits when it fires.
const (
	// ScheduleCommand submits a command job; Spec is a JobSpec.
	ScheduleCommand = "command"
	// SchedulePipeline submits a pipeline job; Spec is a PipelineSpec.
	SchedulePipeline = "pipeline"
)

// ScheduleTrigger says when a schedule fires. Cron and recurrence triggers
// are Azure's (schedule.schema.json); a data trigger is Lathe's.
type ScheduleTrigger struct {
	Type string `json:"type" doc:"cron, recurrence or data"`
	// Expression is a cron trigger's five fields: minute hour
	// day-of-month month day-of-week.
	Expression string `json:"expression,omitempty"`
	// Frequency and Interval define a recurrence: every Interval minutes,
	// hours, days, weeks or months, at Hours and Minutes of the day (day,
	// week and month recurrences), on WeekDays (week) or MonthDays (month).
	Frequency string   `json:"frequency,omitempty" doc:"minute, hour, day, week or month"`
	Interval  int      `json:"interval,omitempty"`
	Hours     []int    `json:"hours,omitempty"`
	Minutes   []int    `json:"minutes,omitempty"`
	WeekDays  []string `json:"week_days,omitempty"`
	MonthDays []int    `json:"month_days,omitempty"`
	// StartTime and EndTime bound the fire times, as written (ISO 8601; a
	// time without an offset is in TimeZone). A recurrence counts its
	// intervals from StartTime, or from the schedule's creation.
	StartTime string `json:"start_time,omitempty"`
	EndTime   string `json:"end_time,omitempty"`
	// TimeZone is an IANA name (Europe/Paris) or a Windows name as Azure
	// writes it (Pacific Standard Time); "" is UTC.
	TimeZone string `json:"time_zone,omitempty"`
	// Data and Input are a data trigger's asset and the job input that
	// receives each new version (as azureml:<data>:<version>).
	Data  string `json:"data,omitempty" doc:"data trigger: the data asset whose new versions fire the schedule"`
	Input string `json:"input,omitempty" doc:"data trigger: the job input the new version is passed as"`
}

// Schedule runs a job on a trigger.
type Schedule struct {
	WorkspaceID string            `json:"-"`
	Workspace   string            `json:"workspace"`
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	DisplayName string            `json:"display_name,omitempty"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	// Kind says what Spec holds: command (a JobSpec) or pipeline (a
	// PipelineSpec).
	Kind string `json:"kind" doc:"command or pipeline"`
	// Spec is the JSON of the job request each firing submits.
	Spec    any             `json:"spec" doc:"the job submitted on each firing (a JobSpec for kind command, a PipelineSpec for kind pipeline)"`
	Trigger ScheduleTrigger `json:"trigger"`
	Enabled bool            `json:"enabled"`
	// NextFireAt is when a cron or recurrence schedule fires next; nil
	// when it is disabled, past its end time, or a data trigger.
	NextFireAt  *time.Time `json:"next_fire_at,omitempty"`
	LastFiredAt *time.Time `json:"last_fired_at,omitempty"`
	// LastJob is the job the last firing submitted; LastError says why the
	// last firing failed to submit one ("" when it did).
	LastJob   string `json:"last_job,omitempty"`
	LastError string `json:"last_error,omitempty"`
	// LastDataVersion is the data version a data trigger saw last: only a
	// newer one fires it.
	LastDataVersion string `json:"last_data_version,omitempty"`
	// Upcoming lists the next fire times (computed when read, not stored).
	Upcoming    []time.Time `json:"upcoming,omitempty" doc:"the next fire times (cron and recurrence schedules that are enabled)"`
	CreatedAt   time.Time   `json:"created_at"`
	CreatedBy   string      `json:"created_by"`
	CreatedByID string      `json:"-"`
	UpdatedAt   time.Time   `json:"updated_at"`
}
