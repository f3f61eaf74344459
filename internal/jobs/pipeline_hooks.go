package jobs

// Notify wakes the followers of a job. The pipeline controller calls it
// when it changes a pipeline job (which this controller does not run), so
// that `lathe job stream` and the studio see the change at once.
func (s *Service) Notify(jobID string) { s.hub.notify(jobID) }

// NewJobName returns a fresh generated job name, as Submit gives a job
// submitted without one.
func NewJobName() string { return newJobName() }
