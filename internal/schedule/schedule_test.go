package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/latheml/lathe"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func compile(t *testing.T, tr lathe.ScheduleTrigger, anchor time.Time) *Plan {
	t.Helper()
	p, err := Compile(tr, anchor, time.LoadLocation)
	if err != nil {
		t.Fatalf("Compile(%+v): %v", tr, err)
	}
	return p
}

func fmtTimes(ts []time.Time) string {
	var s []string
	for _, t := range ts {
		s = append(s, t.UTC().Format(time.RFC3339))
	}
	return strings.Join(s, " ")
}

func TestCronNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		expr  string
		zone  string
		after string
		want  string // fire times in UTC, space-separated
	}{
		{"every minute", "* * * * *", "", "2026-01-01T10:00:30Z", "2026-01-01T10:01:00Z 2026-01-01T10:02:00Z 2026-01-01T10:03:00Z"},
		{"strictly after", "0 * * * *", "", "2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z 2026-01-01T12:00:00Z"},
		{"step and list", "*/20 9,17 * * *", "", "2026-01-01T09:30:00Z", "2026-01-01T09:40:00Z 2026-01-01T17:00:00Z 2026-01-01T17:20:00Z 2026-01-01T17:40:00Z 2026-01-02T09:00:00Z"},
		{"range with step", "0 8-16/4 * * *", "", "2026-01-01T00:00:00Z", "2026-01-01T08:00:00Z 2026-01-01T12:00:00Z 2026-01-01T16:00:00Z 2026-01-02T08:00:00Z"},
		{"value with step runs to the end", "50/5 0 * * *", "", "2026-01-01T00:00:00Z", "2026-01-01T00:50:00Z 2026-01-01T00:55:00Z 2026-01-02T00:50:00Z"},
		// 2026-01-01 is a Thursday.
		{"weekday names", "0 6 * * MON-FRI", "", "2026-01-02T07:00:00Z", "2026-01-05T06:00:00Z 2026-01-06T06:00:00Z"},
		{"sunday as 7", "0 0 * * 7", "", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z 2026-01-11T00:00:00Z"},
		{"month names", "0 0 1 jan,Jul *", "", "2026-01-01T00:00:00Z", "2026-07-01T00:00:00Z 2027-01-01T00:00:00Z"},
		{"dom or dow when both restricted", "0 0 13 * FRI", "", "2026-02-01T00:00:00Z", "2026-02-06T00:00:00Z 2026-02-13T00:00:00Z 2026-02-20T00:00:00Z 2026-02-27T00:00:00Z 2026-03-06T00:00:00Z"},
		{"starred dom means and", "0 0 */10 * MON", "", "2026-01-01T00:00:00Z", "2026-05-11T00:00:00Z 2026-06-01T00:00:00Z"},
		{"leap day", "0 12 29 2 *", "", "2026-01-01T00:00:00Z", "2028-02-29T12:00:00Z 2032-02-29T12:00:00Z"},
		{"windows zone", "0 9 * * *", "Pacific Standard Time", "2026-01-01T00:00:00Z", "2026-01-01T17:00:00Z 2026-01-02T17:00:00Z"},
		{"iana zone in summer", "0 9 * * *", "Europe/Paris", "2026-07-01T00:00:00Z", "2026-07-01T07:00:00Z 2026-07-02T07:00:00Z"},
		// America/New_York: 2026-03-08 02:00 EST jumps to 03:00 EDT.
		{"gap shifts forward", "30 2 * * *", "Eastern Standard Time", "2026-03-07T12:00:00Z", "2026-03-08T07:30:00Z 2026-03-09T06:30:00Z"},
		{"gap fires once at a shared instant", "30 2,3 * * *", "America/New_York", "2026-03-08T05:00:00Z", "2026-03-08T07:30:00Z 2026-03-09T06:30:00Z 2026-03-09T07:30:00Z"},
		{"gap keeps order", "0,59 2,3 * * *", "America/New_York", "2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z 2026-03-08T07:59:00Z 2026-03-09T06:00:00Z"},
		// 2026-11-01 02:00 EDT goes back to 01:00 EST: 01:30 happens twice.
		{"overlap fires at the first", "30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", "2026-11-01T05:30:00Z 2026-11-02T06:30:00Z"},
		{"hourly across the overlap", "0 * * * *", "America/New_York", "2026-11-01T03:30:00Z", "2026-11-01T04:00:00Z 2026-11-01T05:00:00Z 2026-11-01T07:00:00Z 2026-11-01T08:00:00Z"},
		{"after inside the repeated hour", "30 1 * * *", "America/New_York", "2026-11-01T06:10:00Z", "2026-11-02T06:30:00Z"},
		{"never", "0 0 30 2 *", "", "2026-01-01T00:00:00Z", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := compile(t, lathe.ScheduleTrigger{Type: lathe.TriggerCron, Expression: tc.expr, TimeZone: tc.zone}, time.Time{})
			n := len(strings.Fields(tc.want))
			if got := fmtTimes(p.NextN(at(tc.after), max(n, 1))); got != tc.want {
				t.Errorf("%q after %s:\n got %s\nwant %s", tc.expr, tc.after, got, tc.want)
			}
		})
	}
}

func TestCronErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ expr, mention string }{
		{"* * * *", "has 4 fields"},
		{"60 * * * *", `"60"`},
		{"* 24 * * *", "hour field"},
		{"* * 0 * *", "day of month"},
		{"* * * 13 *", "month field"},
		{"* * * FOO *", `"FOO"`},
		{"* * * * 8", "day of week"},
		{"*/0 * * * *", "step"},
		{"5-1 * * * *", "backwards"},
		{"1-x * * * *", `"x"`},
		{"-1 * * * *", "minute"},
		{", * * * *", "minute"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			t.Parallel()
			_, err := ParseCron(tc.expr)
			if err == nil || !lathe.IsCode(err, lathe.EINVALID) || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("ParseCron(%q) = %v; want EINVALID mentioning %s", tc.expr, err, tc.mention)
			}
		})
	}
}

func TestRecurrenceNext(t *testing.T) {
	t.Parallel()
	created := at("2026-01-01T10:15:40Z") // a Thursday
	tests := []struct {
		name  string
		tr    lathe.ScheduleTrigger
		after string
		want  string
	}{
		{"every 5 minutes from creation", lathe.ScheduleTrigger{Frequency: "minute", Interval: 5}, "2026-01-01T10:15:40Z",
			"2026-01-01T10:20:00Z 2026-01-01T10:25:00Z 2026-01-01T10:30:00Z"},
		{"every 2 hours from start", lathe.ScheduleTrigger{Frequency: "hour", Interval: 2, StartTime: "2026-01-01T11:00:00"}, "2026-01-01T10:15:40Z",
			"2026-01-01T11:00:00Z 2026-01-01T13:00:00Z 2026-01-01T15:00:00Z"},
		{"hours count elapsed time across DST", lathe.ScheduleTrigger{Frequency: "hour", Interval: 1, StartTime: "2026-03-08T00:00:00", TimeZone: "America/New_York"}, "2026-03-08T06:30:00Z",
			"2026-03-08T07:00:00Z 2026-03-08T08:00:00Z"},
		{"daily at the start's time", lathe.ScheduleTrigger{Frequency: "day", Interval: 1, StartTime: "2026-01-03T06:30:00"}, "2026-01-01T00:00:00Z",
			"2026-01-03T06:30:00Z 2026-01-04T06:30:00Z"},
		{"every 3 days at two times", lathe.ScheduleTrigger{Frequency: "day", Interval: 3, Hours: []int{18, 6}, Minutes: []int{0}, StartTime: "2026-01-01T00:00:00"}, "2026-01-01T07:00:00Z",
			"2026-01-01T18:00:00Z 2026-01-04T06:00:00Z 2026-01-04T18:00:00Z 2026-01-07T06:00:00Z"},
		{"daily keeps wall time across DST", lathe.ScheduleTrigger{Frequency: "day", Interval: 1, Hours: []int{9}, Minutes: []int{0}, TimeZone: "Eastern Standard Time", StartTime: "2026-03-06T00:00:00"}, "2026-03-06T00:00:00Z",
			"2026-03-06T14:00:00Z 2026-03-07T14:00:00Z 2026-03-08T13:00:00Z"},
		{"weekly on named days", lathe.ScheduleTrigger{Frequency: "week", Interval: 1, WeekDays: []string{"Monday", "friday"}, Hours: []int{8}, Minutes: []int{0, 30}}, "2026-01-01T00:00:00Z",
			"2026-01-02T08:00:00Z 2026-01-02T08:30:00Z 2026-01-05T08:00:00Z 2026-01-05T08:30:00Z 2026-01-09T08:00:00Z"},
		{"every other week from the start's week", lathe.ScheduleTrigger{Frequency: "week", Interval: 2, WeekDays: []string{"monday"}, Hours: []int{0}, Minutes: []int{0}, StartTime: "2026-01-07T00:00:00"}, "2026-01-01T00:00:00Z",
			"2026-01-19T00:00:00Z 2026-02-02T00:00:00Z"},
		{"weekly defaults to the creation weekday", lathe.ScheduleTrigger{Frequency: "week", Interval: 1}, "2026-01-01T10:15:40Z",
			"2026-01-08T10:15:00Z 2026-01-15T10:15:00Z"},
		{"monthly skips short months", lathe.ScheduleTrigger{Frequency: "month", Interval: 1, MonthDays: []int{31}, Hours: []int{0}, Minutes: []int{0}}, "2026-01-01T00:00:00Z",
			"2026-01-31T00:00:00Z 2026-03-31T00:00:00Z 2026-05-31T00:00:00Z"},
		{"quarterly on two days", lathe.ScheduleTrigger{Frequency: "month", Interval: 3, MonthDays: []int{15, 1}, Hours: []int{12}, Minutes: []int{0}, StartTime: "2026-02-01T00:00:00"}, "2026-02-10T00:00:00Z",
			"2026-02-15T12:00:00Z 2026-05-01T12:00:00Z 2026-05-15T12:00:00Z"},
		{"end time stops it", lathe.ScheduleTrigger{Frequency: "day", Interval: 1, StartTime: "2026-01-01T06:00:00", EndTime: "2026-01-03T06:00:00"}, "2026-01-01T00:00:00Z",
			"2026-01-01T06:00:00Z 2026-01-02T06:00:00Z 2026-01-03T06:00:00Z"},
		{"start time with offset", lathe.ScheduleTrigger{Frequency: "hour", Interval: 6, StartTime: "2026-01-01T00:00:00+02:00", TimeZone: "Tokyo Standard Time"}, "2026-01-01T00:00:00Z",
			"2026-01-01T04:00:00Z 2026-01-01T10:00:00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.tr.Type = lathe.TriggerRecurrence
			p := compile(t, tc.tr, created)
			n := len(strings.Fields(tc.want))
			if tc.tr.EndTime != "" {
				n++ // and nothing more
			}
			if got := fmtTimes(p.NextN(at(tc.after), n)); got != tc.want {
				t.Errorf("after %s:\n got %s\nwant %s", tc.after, got, tc.want)
			}
		})
	}
}

func TestCronStartEnd(t *testing.T) {
	t.Parallel()
	p := compile(t, lathe.ScheduleTrigger{Type: lathe.TriggerCron, Expression: "0 12 * * *", TimeZone: "India Standard Time",
		StartTime: "2026-02-01T12:00:00", EndTime: "2026-02-03T11:59:00"}, time.Time{})
	want := "2026-02-01T06:30:00Z 2026-02-02T06:30:00Z"
	if got := fmtTimes(p.NextN(at("2026-01-01T00:00:00Z"), 5)); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		tr      lathe.ScheduleTrigger
		mention string
	}{
		{"unknown zone", lathe.ScheduleTrigger{Type: "cron", Expression: "* * * * *", TimeZone: "Mars Standard Time"}, "Mars Standard Time"},
		{"iana zone the server lacks", lathe.ScheduleTrigger{Type: "cron", Expression: "* * * * *", TimeZone: "Nowhere/Atlantis"}, "not known to this server"},
		{"bad start", lathe.ScheduleTrigger{Type: "cron", Expression: "* * * * *", StartTime: "tomorrow"}, "ISO 8601"},
		{"end before start", lathe.ScheduleTrigger{Type: "cron", Expression: "* * * * *", StartTime: "2026-01-02", EndTime: "2026-01-01"}, "not after"},
		{"bad frequency", lathe.ScheduleTrigger{Type: "recurrence", Frequency: "year", Interval: 1}, "year"},
		{"zero interval", lathe.ScheduleTrigger{Type: "recurrence", Frequency: "day"}, "interval 0"},
		{"pattern on hours", lathe.ScheduleTrigger{Type: "recurrence", Frequency: "hour", Interval: 1, Minutes: []int{5}}, "day, week and month"},
		{"week days on days", lathe.ScheduleTrigger{Type: "recurrence", Frequency: "day", Interval: 1, WeekDays: []string{"monday"}}, "frequency: week"},
		{"bad week day", lathe.ScheduleTrigger{Type: "recurrence", Frequency: "week", Interval: 1, WeekDays: []string{"funday"}}, "funday"},
		{"hour out of range", lathe.ScheduleTrigger{Type: "recurrence", Frequency: "day", Interval: 1, Hours: []int{24}}, "24"},
		{"data trigger", lathe.ScheduleTrigger{Type: "data"}, "cron or recurrence"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(tc.tr, at("2026-01-01T00:00:00Z"), time.LoadLocation)
			if err == nil || !lathe.IsCode(err, lathe.EINVALID) || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("Compile = %v; want EINVALID mentioning %q", err, tc.mention)
			}
		})
	}
}

func TestZoneName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"": "UTC", "UTC": "UTC", "pacific standard time": "America/Los_Angeles", "W. Europe Standard Time": "Europe/Berlin",
		"Asia/Tokyo": "Asia/Tokyo", "America/Argentina/Buenos_Aires": "America/Argentina/Buenos_Aires",
	} {
		if got, err := ZoneName(in); err != nil || got != want {
			t.Errorf("ZoneName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"PST", "/etc/passwd", "../x/y"} {
		if _, err := ZoneName(bad); err == nil {
			t.Errorf("ZoneName(%q) accepted", bad)
		}
	}
	// Every mapped zone must load.
	for win, iana := range windowsZones {
		if _, err := time.LoadLocation(iana); err != nil {
			t.Errorf("%s maps to %s: %v", win, iana, err)
		}
	}
}
