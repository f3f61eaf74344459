package server

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/compute"
	"github.com/latheml/lathe/internal/compute/local"
	"github.com/latheml/lathe/internal/content"
	"github.com/latheml/lathe/internal/data"
	"github.com/latheml/lathe/internal/jobs"
	"github.com/latheml/lathe/internal/tracking"
)

// jobTracker keeps each job's MLflow run through the tracking service.
type jobTracker struct{ t *tracking.Service }

var _ jobs.Tracker = jobTracker{}

// StartRun finds (or creates) the job's experiment by name and creates its
// run with the job's literal inputs as params, in status SCHEDULED.
func (jt jobTracker) StartRun(ctx context.Context, ws string, r jobs.RunStart) (string, string, error) {
	expID := tracking.DefaultExperimentID
	if r.Experiment != "" && r.Experiment != "Default" {
		e, err := jt.t.ExperimentByName(ctx, ws, r.Experiment)
		switch {
		case err == nil:
			expID = e.ID
		case lathe.IsCode(err, lathe.ENOTFOUND):
			if expID, err = jt.t.CreateExperiment(ctx, ws, r.Experiment, "", nil); err != nil {
				// Another job may have created it meanwhile.
				e, err2 := jt.t.ExperimentByName(ctx, ws, r.Experiment)
				if err2 != nil {
					return "", "", err
				}
				expID = e.ID
			}
		default:
			return "", "", err
		}
	}
	run, err := jt.t.CreateRun(ctx, ws, tracking.CreateRunRequest{
		ExperimentID: expID, UserID: r.User, Name: r.Name, StartTime: r.Start.UnixMilli(), Tags: r.Tags, Status: lathe.RunScheduled,
	})
	if err != nil {
		return "", "", err
	}
	id := run.Info.RunID
	if len(r.Params) > 0 {
		if err := jt.t.LogBatch(ctx, ws, id, nil, r.Params, nil); err != nil {
			return "", "", err
		}
	}
	return expID, id, nil
}

// SetRunStatus implements jobs.Tracker.
func (jt jobTracker) SetRunStatus(ctx context.Context, ws, runID, status string, end *time.Time) error {
	var ms *int64
	if end != nil {
		v := end.UnixMilli()
		ms = &v
	}
	_, err := jt.t.UpdateRun(ctx, ws, runID, status, ms, "")
	return err
}

// jobsBlobs checks code snapshots through the content service.
type jobsBlobs struct{ c *content.Service }

func (b jobsBlobs) Stat(ctx context.Context, ws string, d lathe.Digest) (*lathe.Blob, error) {
	return b.c.Stat(ctx, ws, d)
}

// parseEnvironmentMap reads the environment_map setting: comma-separated
// name=reference pairs.
func parseEnvironmentMap(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
			return nil, lathe.Errorf(lathe.EINVALID, "environment_map entry %q: write name=environment, e.g. azureml://registries/azureml/environments/sklearn-1.5/labels/latest=azureml:sklearn@latest", kv)
		}
		m[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return m, nil
}

// newJobs builds the jobs service with the local compute backend.
func (s *Server) newJobs(dataSvc *data.Service, cont *content.Service) (*jobs.Service, error) {
	envMap, err := parseEnvironmentMap(s.cfg.EnvironmentMap)
	if err != nil {
		return nil, err
	}
	lb, err := local.New(local.Options{Dir: filepath.Join(s.cfg.DataDir, "jobs"), Cache: filepath.Join(s.cfg.DataDir, "cache"), Logger: s.log})
	if err != nil {
		return nil, err
	}
	holder := s.holder
	if holder == "" {
		return nil, fmt.Errorf("jobs: no controller name")
	}
	return jobs.New(jobs.Options{
		Store: s.db, Data: dataSvc, Tracker: jobTracker{s.tracking}, Tokens: s.auth, Blobs: jobsBlobs{cont},
		Backends:         map[string]compute.Backend{lb.Type(): lb},
		ServerURL:        s.URL(),
		Holder:           holder,
		EnvironmentMap:   envMap,
		ContainerRuntime: s.cfg.ContainerRuntime,
		Now:              now,
		Logger:           s.log,
	}), nil
}
