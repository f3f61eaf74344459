// Package schedule computes when a cron or recurrence trigger fires. It is
// pure: it does no I/O and reads no clock; times and time zones are passed
// in.
//
// # Cron
//
// A cron trigger has five fields, minute hour day-of-month month
// day-of-week, each *, a value, a range a-b or a list of them, with an
// optional step /n. Months and week days also take names (JAN, MON). When
// both day fields are restricted (neither starts with *), a day matching
// either fires, as in Vixie cron and Azure ML ("0 0 1 * MON" is the 1st of
// each month and every Monday).
//
// # Recurrence
//
// A recurrence fires every Interval units of Frequency counted from the
// trigger's start time (or the schedule's creation): minute and hour
// recurrences every Interval×60 s or ×3600 s exactly; day, week and month
// recurrences on every Interval-th day, week (weeks start on Monday) or
// month, at each of Hours×Minutes (default: the start's time of day), on
// WeekDays (week; default the start's weekday) or MonthDays (month; default
// the start's day; a day the month lacks, such as 31 in April, is skipped).
//
// # Time zones and daylight saving
//
// Wall-clock fields are read in the trigger's time zone. Each wall-clock
// time fires at most once:
//
//   - a time skipped when clocks go forward (02:30 on the night 02:00 jumps
//     to 03:00) fires at the instant it maps to, shifted by the jump (03:30),
//     unless a fire at that instant has already happened;
//   - a time that occurs twice when clocks go back fires at its first
//     occurrence only, so an hourly cron runs 23 times on that day's
//     repeated hour rather than twice.
//
// Minute and hour recurrences count elapsed time, not wall-clock time, so
// daylight saving does not move them.
package schedule

import (
	"time"

	"github.com/latheml/lathe"
)

// Plan is a compiled trigger: it answers when the trigger fires next.
type Plan struct {
	loc        *time.Location
	start, end time.Time // zero: unbounded
	cron       *Cron
	rec        *recurrence
}

// Loader loads a time zone by IANA name (time.LoadLocation).
type Loader func(name string) (*time.Location, error)

// Compile checks a cron or recurrence trigger and returns its plan. anchor
// is when the schedule was created: a recurrence without a start time
// counts its intervals from it. load resolves the IANA zone name that
// ZoneName gives.
func Compile(t lathe.ScheduleTrigger, anchor time.Time, load Loader) (*Plan, error) {
	zone, err := ZoneName(t.TimeZone)
	if err != nil {
		return nil, err
	}
	loc := time.UTC
	if zone != "UTC" {
		if loc, err = load(zone); err != nil {
			return nil, lathe.Errorf(lathe.EINVALID, "time zone %q (%s) is not known to this server: %v; give an IANA name such as Europe/Paris", clip(t.TimeZone), zone, err)
		}
	}
	p := &Plan{loc: loc}
	if t.StartTime != "" {
		if p.start, err = ParseTime(t.StartTime, loc); err != nil {
			return nil, err
		}
	}
	if t.EndTime != "" {
		if p.end, err = ParseTime(t.EndTime, loc); err != nil {
			return nil, err
		}
		if !p.start.IsZero() && !p.end.After(p.start) {
			return nil, lathe.Errorf(lathe.EINVALID, "trigger end_time %s is not after start_time %s; move end_time later or remove it", t.EndTime, t.StartTime)
		}
	}
	switch t.Type {
	case lathe.TriggerCron:
		if p.cron, err = ParseCron(t.Expression); err != nil {
			return nil, err
		}
	case lathe.TriggerRecurrence:
		a := anchor.Truncate(time.Minute)
		if !p.start.IsZero() {
			a = p.start
		}
		if p.rec, err = newRecurrence(t, a.In(loc)); err != nil {
			return nil, err
		}
	default:
		return nil, lathe.Errorf(lathe.EINVALID, "trigger type %q has no fire times; use cron or recurrence", clip(t.Type))
	}
	return p, nil
}

// Location is the time zone the plan reads wall-clock fields in.
func (p *Plan) Location() *time.Location { return p.loc }

// Next returns the first fire time strictly after after, and false when
// there is none (past the end time, or a cron expression whose days never
// occur, such as 30 February, within eight years).
func (p *Plan) Next(after time.Time) (time.Time, bool) {
	if !p.start.IsZero() && after.Before(p.start) {
		after = p.start.Add(-time.Nanosecond)
	}
	var t time.Time
	var ok bool
	if p.cron != nil {
		t, ok = p.cron.next(after, p.loc)
	} else {
		t, ok = p.rec.next(after)
	}
	if !ok || !p.end.IsZero() && t.After(p.end) {
		return time.Time{}, false
	}
	return t, true
}

// NextN returns up to n fire times after after, in order.
func (p *Plan) NextN(after time.Time, n int) []time.Time {
	var out []time.Time
	for len(out) < n {
		t, ok := p.Next(after)
		if !ok {
			break
		}
		out = append(out, t)
		after = t
	}
	return out
}

// horizon bounds the search for a cron match: the leap day comes back
// within eight years.
const horizon = 8 * 366

func (c *Cron) next(after time.Time, loc *time.Location) (time.Time, bool) {
	w := after.In(loc)
	y, m, d := w.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC) // a calendar day, zone-free
	for i := 0; i < horizon; i, day = i+1, day.AddDate(0, 0, 1) {
		if !has(c.month, int(day.Month())) || !c.dayMatches(day.Day(), int(day.Weekday())) {
			continue
		}
		var best time.Time
		for h := 0; h < 24; h++ {
			if !has(c.hour, h) {
				continue
			}
			for mi := 0; mi < 60; mi++ {
				if !has(c.minute, mi) {
					continue
				}
				t, exists := wallInstant(day, h, mi, loc)
				if !t.After(after) {
					continue
				}
				if best.IsZero() || t.Before(best) {
					best = t
				}
				if exists {
					// Later wall times, shifted or not, come later.
					return best, true
				}
			}
		}
		if !best.IsZero() {
			return best, true
		}
	}
	return time.Time{}, false
}

// wallInstant returns when the wall-clock time h:mi of day happens in loc:
// its first occurrence when clocks go back, and, when clocks go forward
// over it, the instant it is shifted to by the jump (exists is false).
func wallInstant(day time.Time, h, mi int, loc *time.Location) (t time.Time, exists bool) {
	y, m, d := day.Date()
	t = time.Date(y, m, d, h, mi, 0, 0, loc)
	if w := t.In(loc); w.Hour() == h && w.Minute() == mi && w.Day() == d {
		for _, back := range []time.Duration{time.Hour, 30 * time.Minute} {
			if e := t.Add(-back).In(loc); e.Hour() == h && e.Minute() == mi && e.Day() == d {
				return e, true
			}
		}
		return t, true
	}
	// Skipped: read the wall time with the offset in force before the jump.
	// Go reads it with one of the two offsets; the later reading is the
	// wall time shifted forward by the jump.
	_, off := t.Zone()
	if o := time.Date(y, m, d, h, mi, 0, 0, time.UTC).Add(-time.Duration(off) * time.Second); o.After(t) {
		t = o
	}
	return t, false
}

// ParseTime reads an ISO 8601 time; one without an offset is in loc.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z07:00"} {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	for _, l := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, lathe.Errorf(lathe.EINVALID, "trigger time %q is not ISO 8601; write 2024-07-10T10:00:00 (in time_zone) or 2024-07-10T10:00:00-07:00", clip(s))
}
