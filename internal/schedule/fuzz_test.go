package schedule

import (
	"testing"
	"time"

	"github.com/latheml/lathe"
)

// FuzzCron checks that any expression either fails to parse with
// lathe.EINVALID or yields strictly increasing fire times whose fields
// match the expression, with no matching minute skipped in between.
func FuzzCron(f *testing.F) {
	for _, s := range []string{"* * * * *", "*/7 1-5 * * MON", "0 0 13 * FRI", "5/15 */3 1,15 jan-mar 0,7", "0 0 31 2 *", "59 23 29 2 *"} {
		f.Add(s, int64(1767225600), "America/New_York")
	}
	f.Fuzz(func(t *testing.T, expr string, unix int64, zone string) {
		c, err := ParseCron(expr)
		if err != nil {
			if !lathe.IsCode(err, lathe.EINVALID) {
				t.Fatalf("ParseCron(%q): %v is not EINVALID", expr, err)
			}
			return
		}
		loc := time.UTC
		if zone == "America/New_York" {
			loc, _ = time.LoadLocation(zone)
		}
		after := time.Unix(unix%(1<<33), 0).UTC()
		for i := 0; i < 3; i++ {
			next, ok := c.next(after, loc)
			if !ok {
				return
			}
			if !next.After(after) {
				t.Fatalf("%q: next(%s) = %s is not after it", expr, after, next)
			}
			if loc == time.UTC {
				if !c.matches(next) {
					t.Fatalf("%q: next(%s) = %s does not match", expr, after, next)
				}
				// No matching minute in between (checked up to a day).
				for m := after.Truncate(time.Minute).Add(time.Minute); m.Before(next) && m.Sub(after) < 24*time.Hour; m = m.Add(time.Minute) {
					if c.matches(m) {
						t.Fatalf("%q: next(%s) = %s skips %s", expr, after, next, m)
					}
				}
			}
			after = next
		}
	})
}

// matches is the direct reading of the expression for a UTC minute.
func (c *Cron) matches(t time.Time) bool {
	return t.Second() == 0 && t.Nanosecond() == 0 && has(c.minute, t.Minute()) && has(c.hour, t.Hour()) &&
		has(c.month, int(t.Month())) && c.dayMatches(t.Day(), int(t.Weekday()))
}
