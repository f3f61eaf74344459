package web

import (
	"testing"

	"github.com/latheml/lathe"
)

func TestTriggerText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tr   lathe.ScheduleTrigger
		want string
	}{
		{"cron", lathe.ScheduleTrigger{Type: lathe.TriggerCron, Expression: "*/15 * * * 1-5"}, "*/15 * * * 1-5"},
		{"every hour", lathe.ScheduleTrigger{Type: lathe.TriggerRecurrence, Frequency: "hour", Interval: 1}, "every hour"},
		{"minutes of the hour", lathe.ScheduleTrigger{Type: lathe.TriggerRecurrence, Frequency: "hour", Interval: 3, Minutes: []int{5, 35}}, "every 3 hours at minute :05, :35"},
		{"days at times", lathe.ScheduleTrigger{Type: lathe.TriggerRecurrence, Frequency: "day", Interval: 1, Hours: []int{6, 18}}, "every day at 06:00, 18:00"},
		{"month days", lathe.ScheduleTrigger{Type: lathe.TriggerRecurrence, Frequency: "month", Interval: 1, MonthDays: []int{1, 15}, Hours: []int{2}, Minutes: []int{30}}, "every month on day 1, 15 at 02:30"},
		{"data", lathe.ScheduleTrigger{Type: lathe.TriggerData, Data: "customers"}, "each new version of customers"},
	}
	for _, tt := range tests {
		if got := triggerText(tt.tr); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
