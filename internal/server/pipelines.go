package server

import (
	"github.com/latheml/lathe/internal/data"
	"github.com/latheml/lathe/internal/pipelines"
)

// newPipelines builds the pipelines service over the jobs service: its
// steps are command jobs, and each pipeline is an MLflow run of its own.
func (s *Server) newPipelines(dataSvc *data.Service) *pipelines.Service {
	return pipelines.New(pipelines.Options{
		Store: s.db, Jobs: s.jobs, Environments: s.jobs, Data: dataSvc, Tracker: jobTracker{s.tracking}, Now: now, Logger: s.log,
	})
}
