package schedule

import (
	"sort"
	"strings"
	"time"

	"github.com/latheml/lathe"
)

// recurrence is a compiled Azure recurrence trigger.
type recurrence struct {
	freq     string
	interval int
	anchor   time.Time // in loc
	loc      *time.Location
	hours    []int
	minutes  []int
	weekDays [7]bool // by time.Weekday
	monthDay [32]bool
}

var weekDayNames = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

// maxPeriods bounds the periods searched for a fire time (a month
// recurrence on the 31st every 2 months from February finds none).
const maxPeriods = 2000

func newRecurrence(t lathe.ScheduleTrigger, anchor time.Time) (*recurrence, error) {
	r := &recurrence{freq: t.Frequency, interval: t.Interval, anchor: anchor, loc: anchor.Location()}
	switch t.Frequency {
	case "minute", "hour", "day", "week", "month":
	default:
		return nil, lathe.Errorf(lathe.EINVALID, "recurrence frequency %q is not one of minute, hour, day, week, month", clip(t.Frequency))
	}
	if t.Interval < 1 || t.Interval > 1000 {
		return nil, lathe.Errorf(lathe.EINVALID, "recurrence interval %d is out of range; give 1 to 1000", t.Interval)
	}
	patterned := len(t.Hours) > 0 || len(t.Minutes) > 0 || len(t.WeekDays) > 0 || len(t.MonthDays) > 0
	if patterned && (t.Frequency == "minute" || t.Frequency == "hour") {
		return nil, lathe.Errorf(lathe.EINVALID, "a %s recurrence fires every %d %ss from its start; schedule hours, minutes and days are for day, week and month recurrences", t.Frequency, t.Interval, t.Frequency)
	}
	if len(t.WeekDays) > 0 && t.Frequency != "week" {
		return nil, lathe.Errorf(lathe.EINVALID, "schedule week_days needs frequency: week, not %s", t.Frequency)
	}
	if len(t.MonthDays) > 0 && t.Frequency != "month" {
		return nil, lathe.Errorf(lathe.EINVALID, "schedule month_days needs frequency: month, not %s", t.Frequency)
	}
	var err error
	if r.hours, err = ints(t.Hours, 0, 23, "hours", anchor.Hour()); err != nil {
		return nil, err
	}
	if r.minutes, err = ints(t.Minutes, 0, 59, "minutes", anchor.Minute()); err != nil {
		return nil, err
	}
	days, err := ints(t.MonthDays, 1, 31, "month_days", anchor.Day())
	if err != nil {
		return nil, err
	}
	for _, d := range days {
		r.monthDay[d] = true
	}
	if len(t.WeekDays) == 0 {
		r.weekDays[anchor.Weekday()] = true
	}
	for _, w := range t.WeekDays {
		d, ok := weekDayNames[strings.ToLower(w)]
		if !ok {
			return nil, lathe.Errorf(lathe.EINVALID, "schedule week_days has %q; use monday, tuesday, wednesday, thursday, friday, saturday or sunday", clip(w))
		}
		r.weekDays[d] = true
	}
	return r, nil
}

func ints(vs []int, lo, hi int, what string, def int) ([]int, error) {
	if len(vs) == 0 {
		return []int{def}, nil
	}
	out := append([]int(nil), vs...)
	sort.Ints(out)
	for _, v := range out {
		if v < lo || v > hi {
			return nil, lathe.Errorf(lathe.EINVALID, "schedule %s has %d; use %d to %d", what, v, lo, hi)
		}
	}
	return out, nil
}

func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (r *recurrence) next(after time.Time) (time.Time, bool) {
	if r.freq == "minute" || r.freq == "hour" {
		step := time.Duration(r.interval) * time.Minute
		if r.freq == "hour" {
			step = time.Duration(r.interval) * time.Hour
		}
		if after.Before(r.anchor) {
			return r.anchor, true
		}
		k := after.Sub(r.anchor)/step + 1
		return r.anchor.Add(k * step), true
	}
	a, w := civil(r.anchor), civil(after.In(r.loc))
	var p int // the period holding after, in units of freq from the anchor's
	switch r.freq {
	case "day":
		p = int(w.Sub(a) / (24 * time.Hour))
	case "week":
		a = a.AddDate(0, 0, -((int(a.Weekday()) + 6) % 7)) // its Monday
		p = floorDiv(int(w.Sub(a)/(24*time.Hour)), 7)
	case "month":
		a = time.Date(a.Year(), a.Month(), 1, 0, 0, 0, 0, time.UTC)
		p = (w.Year()*12 + int(w.Month())) - (a.Year()*12 + int(a.Month()))
	}
	p = max(0, floorDiv(p, r.interval)*r.interval)
	for i := 0; i < maxPeriods; i, p = i+1, p+r.interval {
		if t, ok := r.inPeriod(a, p, after); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

// inPeriod returns the first fire time after after (and not before the
// anchor) in the p-th day, week or month from a.
func (r *recurrence) inPeriod(a time.Time, p int, after time.Time) (time.Time, bool) {
	var days []time.Time
	switch r.freq {
	case "day":
		days = []time.Time{a.AddDate(0, 0, p)}
	case "week":
		start := a.AddDate(0, 0, 7*p)
		for i := 0; i < 7; i++ {
			if d := start.AddDate(0, 0, i); r.weekDays[d.Weekday()] {
				days = append(days, d)
			}
		}
	case "month":
		first := a.AddDate(0, p, 0)
		for d := 1; d <= 31; d++ {
			day := first.AddDate(0, 0, d-1)
			if day.Month() != first.Month() {
				break
			}
			if r.monthDay[d] {
				days = append(days, day)
			}
		}
	}
	var best time.Time
	for _, day := range days {
		for _, h := range r.hours {
			for _, mi := range r.minutes {
				t, _ := wallInstant(day, h, mi, r.loc)
				if !t.After(after) || t.Before(r.anchor) {
					continue
				}
				if best.IsZero() || t.Before(best) {
					best = t
				}
			}
		}
	}
	return best, !best.IsZero()
}
