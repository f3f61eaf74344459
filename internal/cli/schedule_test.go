package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/latheml/lathe"
)

func TestScheduleFileConversion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yml  string
		want lathe.ScheduleTrigger
		text string
	}{
		{"cron", `name: a
trigger:
  type: cron
  expression: "15 2 * * 1-5"
  time_zone: India Standard Time
  start_time: "2026-01-01T00:00:00"
create_job: ./job.yml
`, lathe.ScheduleTrigger{Type: "cron", Expression: "15 2 * * 1-5", TimeZone: "India Standard Time", StartTime: "2026-01-01T00:00:00"},
			"cron 15 2 * * 1-5 (India Standard Time)"},
		{"recurrence", `name: b
trigger:
  type: recurrence
  frequency: month
  interval: 3
  schedule:
    month_days: [1, 15]
    hours: [6]
    minutes: [0, 30]
create_job: azureml:old_job
`, lathe.ScheduleTrigger{Type: "recurrence", Frequency: "month", Interval: 3, MonthDays: []int{1, 15}, Hours: []int{6}, Minutes: []int{0, 30}},
			"every 3 month on days 1,15 at hours 6 minutes 0,30"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := filepath.Join(t.TempDir(), "s.yml")
			if err := os.WriteFile(f, []byte(tc.yml), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := readScheduleFile(f)
			if err != nil {
				t.Fatal(err)
			}
			req := scheduleRequest(s)
			if !reflect.DeepEqual(req.Trigger, tc.want) {
				t.Fatalf("trigger = %+v\nwant %+v", req.Trigger, tc.want)
			}
			if got := triggerText(req.Trigger); got != tc.text {
				t.Fatalf("triggerText = %q, want %q", got, tc.text)
			}
		})
	}
	if got := triggerText(lathe.ScheduleTrigger{Type: lathe.TriggerData, Data: "bank", Input: "rows"}); got != "new version of bank -> inputs.rows" {
		t.Fatalf("data trigger text %q", got)
	}
	f := filepath.Join(t.TempDir(), "job.yml")
	if err := os.WriteFile(f, []byte("command: echo hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readScheduleFile(f); !lathe.IsCode(err, lathe.EINVALID) {
		t.Fatalf("a job file read as a schedule: %v", err)
	}
}
