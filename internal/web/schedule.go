package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/latheml/lathe"
)

// upcomingShown is how many next fire times the schedules page lists.
const upcomingShown = 3

// scheduleRow is one row of the schedules table.
type scheduleRow struct {
	Name, Display, Description string
	Kind                       string
	TriggerType, Trigger       string
	Zone                       string
	Enabled                    bool
	Upcoming                   []time.Time
	NoNext                     string // why there is no next fire time
	LastJob, LastHref          string
	LastFired                  time.Time
	LastError                  string
}

// schedulesBody is the schedules page's content.
type schedulesBody struct {
	Rows  []scheduleRow
	Empty Empty
	Jobs  string
}

// scheduleCommands create a schedule in a workspace and list them.
func scheduleCommands(ws string) []string {
	return []string{
		"lathe schedule create -f schedule.yml -w " + ws,
		"lathe schedule list -w " + ws,
	}
}

// triggerText says in words when a schedule fires.
func triggerText(t lathe.ScheduleTrigger) string {
	switch t.Type {
	case lathe.TriggerCron:
		return t.Expression
	case lathe.TriggerRecurrence:
		unit := t.Frequency
		if t.Interval > 1 {
			unit = fmt.Sprintf("%d %ss", t.Interval, t.Frequency)
		}
		var b strings.Builder
		b.WriteString("every " + unit)
		if len(t.WeekDays) > 0 {
			b.WriteString(" on " + strings.Join(t.WeekDays, ", "))
		}
		if len(t.MonthDays) > 0 {
			days := make([]string, len(t.MonthDays))
			for i, d := range t.MonthDays {
				days[i] = fmt.Sprint(d)
			}
			b.WriteString(" on day " + strings.Join(days, ", "))
		}
		if len(t.Hours) > 0 {
			var at []string
			mins := t.Minutes
			if len(mins) == 0 {
				mins = []int{0}
			}
			for _, h := range t.Hours {
				for _, m := range mins {
					at = append(at, fmt.Sprintf("%02d:%02d", h, m))
				}
			}
			b.WriteString(" at " + strings.Join(at, ", "))
		} else if len(t.Minutes) > 0 {
			mins := make([]string, len(t.Minutes))
			for i, m := range t.Minutes {
				mins[i] = fmt.Sprintf(":%02d", m)
			}
			b.WriteString(" at minute " + strings.Join(mins, ", "))
		}
		return b.String()
	case lathe.TriggerData:
		s := "each new version of " + t.Data
		if t.Input != "" {
			s += ", as input " + t.Input
		}
		return s
	}
	return t.Type
}

// scheduleList lists a workspace's schedules with their next fire times
// and the job each submitted last.
func (s *Studio) scheduleList(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	b := schedulesBody{Jobs: wsURL(rc.ws.Name, "jobs"),
		Empty: Empty{Title: "No schedules in this workspace yet",
			Text: "A schedule submits a job on a cron expression, an Azure recurrence, or when a new version of a data asset appears. " +
				"Write one in Azure ML's schedule YAML and create it; it will be listed here with its next fire times and the last job it submitted.",
			Commands: scheduleCommands(rc.ws.Name)}}
	if s.opts.Schedules != nil {
		list, err := s.opts.Schedules.List(r.Context(), rc.ws.ID)
		if err != nil {
			return err
		}
		for _, sc := range list {
			row := scheduleRow{Name: sc.Name, Display: sc.DisplayName, Description: clip(sc.Description, 300), Kind: sc.Kind,
				TriggerType: sc.Trigger.Type, Trigger: triggerText(sc.Trigger), Zone: sc.Trigger.TimeZone, Enabled: sc.Enabled,
				LastJob: sc.LastJob, LastError: clip(sc.LastError, 500)}
			if sc.LastFiredAt != nil {
				row.LastFired = *sc.LastFiredAt
			}
			row.Upcoming = sc.Upcoming[:min(len(sc.Upcoming), upcomingShown)]
			if len(row.Upcoming) == 0 && sc.NextFireAt != nil {
				row.Upcoming = []time.Time{*sc.NextFireAt}
			}
			switch {
			case len(row.Upcoming) > 0:
			case !sc.Enabled:
				row.NoNext = "disabled"
			case sc.Trigger.Type == lathe.TriggerData:
				row.NoNext = "on new data"
			default:
				row.NoNext = "no more fire times"
			}
			if sc.LastJob != "" && lathe.ValidateName("job", sc.LastJob) == nil && s.opts.Jobs != nil {
				row.LastHref = jobURL(rc.ws.Name, sc.LastJob)
			}
			b.Rows = append(b.Rows, row)
		}
	}
	return s.render(w, r, rc, http.StatusOK, "schedules", &page{Title: "Schedules", Section: "schedules", Body: b})
}
