package server

import (
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/schedules"
)

// newSchedules builds the schedules service: command-job schedules submit
// through the jobs service, as their creators, after the access policy
// says they still may. pipeline schedules through the pipelines service.
func (s *Server) newSchedules() *schedules.Service {
	return schedules.New(schedules.Options{
		Store: s.db, Authorizer: s.access,
		Submitters: map[string]schedules.Submitter{
			lathe.ScheduleCommand:  schedules.Commands{Jobs: s.jobs},
			lathe.SchedulePipeline: schedules.Pipelines{Pipelines: s.pipelines},
		},
		Zones: time.LoadLocation, Now: now, Logger: s.log,
	})
}
