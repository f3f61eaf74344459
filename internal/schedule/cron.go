package schedule

import (
	"strconv"
	"strings"

	"github.com/latheml/lathe"
)

// Cron is a parsed five-field crontab expression. Each field is a set of
// allowed values held as bits.
type Cron struct {
	minute, hour, dom, month, dow uint64
	// domAny and dowAny record a day field starting with * (such as * or
	// */2). When both day fields are restricted, a day matching either
	// one matches; otherwise a day must match both (Vixie cron's rule).
	domAny, dowAny bool
}

type field struct {
	name   string
	lo, hi int
	names  []string // names[i] is value lo+i
}

var cronFields = [5]field{
	{"minute", 0, 59, nil},
	{"hour", 0, 23, nil},
	{"day of month", 1, 31, nil},
	{"month", 1, 12, []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	// 7 is Sunday too.
	{"day of week", 0, 7, []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

// ParseCron parses "minute hour day-of-month month day-of-week". Each field
// is *, a value, a range a-b, a list of those separated by commas, and any
// of them with a step /n. Months and week days take three-letter English
// names (JAN, MON) in any case; 0 and 7 are both Sunday.
func ParseCron(expr string) (*Cron, error) {
	fs := strings.Fields(expr)
	if len(fs) != 5 {
		return nil, lathe.Errorf(lathe.EINVALID, "cron expression %q has %d fields; write 5: minute hour day-of-month month day-of-week, e.g. \"0 6 * * MON-FRI\"", clip(expr), len(fs))
	}
	var c Cron
	sets := [5]*uint64{&c.minute, &c.hour, &c.dom, &c.month, &c.dow}
	for i, f := range fs {
		bits, all, err := parseField(f, cronFields[i])
		if err != nil {
			return nil, lathe.Errorf(lathe.EINVALID, "cron expression %q: %s", clip(expr), err.Error())
		}
		*sets[i] = bits
		switch i {
		case 2:
			c.domAny = all
		case 4:
			c.dowAny = all
		}
	}
	if c.dow&(1<<7) != 0 {
		c.dow |= 1
		c.dow &^= 1 << 7
	}
	return &c, nil
}

type fieldError string

func (e fieldError) Error() string { return string(e) }

func parseField(s string, f field) (bits uint64, all bool, err error) {
	usage := "; use " + strconv.Itoa(f.lo) + "-" + strconv.Itoa(f.hi)
	if f.names != nil {
		usage += " or names like " + strings.ToUpper(f.names[1])
	}
	usage += ", *, lists (a,b), ranges (a-b) and steps (*/n)"
	for _, item := range strings.Split(s, ",") {
		rng, stepS, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepS)
			if err != nil || n < 1 || n > f.hi+1 {
				return 0, false, fieldError("the " + f.name + " field has the step " + strconv.Quote(stepS) + "; a step is a whole number from 1 to " + strconv.Itoa(f.hi+1))
			}
			step = n
		}
		var a, b int
		switch {
		case rng == "*":
			a, b = f.lo, f.hi
			if f.name == "day of week" {
				b = 6
			}
		default:
			as, bs, isRange := strings.Cut(rng, "-")
			var ok bool
			if a, ok = value(as, f); !ok {
				return 0, false, fieldError("the " + f.name + " field " + strconv.Quote(s) + " has " + strconv.Quote(as) + usage)
			}
			b = a
			if isRange {
				if b, ok = value(bs, f); !ok {
					return 0, false, fieldError("the " + f.name + " field " + strconv.Quote(s) + " has " + strconv.Quote(bs) + usage)
				}
				if b < a {
					return 0, false, fieldError("the " + f.name + " field " + strconv.Quote(s) + " has the range " + rng + " running backwards; write the smaller value first")
				}
			} else if hasStep {
				// "5/15" means from 5 to the end, every 15.
				b = f.hi
			}
		}
		for v := a; v <= b; v += step {
			bits |= 1 << uint(v)
		}
	}
	return bits, strings.HasPrefix(s, "*"), nil
}

func value(s string, f field) (int, bool) {
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.lo + i, true
		}
	}
	if s == "" || len(s) > 2 {
		return 0, false
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < f.lo || v > f.hi {
		return 0, false
	}
	return v, true
}

func has(bits uint64, v int) bool { return bits&(1<<uint(v)) != 0 }

// dayMatches applies the day-of-month and day-of-week fields to a date.
func (c *Cron) dayMatches(day, weekday int) bool {
	dom, dow := has(c.dom, day), has(c.dow, weekday)
	if c.domAny || c.dowAny {
		return dom && dow
	}
	return dom || dow
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
