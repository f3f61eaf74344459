package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/latheml/lathe"
)

// JobLease is a controller's claim on a started job: who holds it, until
// when, and the compute's handle of the job's process (a pid, a Kubernetes
// job name) so another controller, or this one after a restart, can find
// it again.
type JobLease struct {
	JobID      string
	Holder     string
	Compute    string
	Handle     string
	AcquiredAt time.Time
	ExpiresAt  time.Time
}

func (db *DB) putLease(ctx context.Context, tx *sql.Tx, jobID string, l *JobLease) error {
	if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM job_leases WHERE job_id = ?`), jobID); err != nil {
		return fmt.Errorf("replace lease: %w", err)
	}
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO job_leases (job_id, holder, compute, handle, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`),
		jobID, l.Holder, l.Compute, l.Handle, ms(l.AcquiredAt), ms(l.ExpiresAt))
	if err != nil {
		return fmt.Errorf("write lease: %w", err)
	}
	return nil
}

// SetLeaseHandle records the compute's handle on a lease the holder holds;
// a lease held by another is lathe.ECONFLICT.
func (db *DB) SetLeaseHandle(ctx context.Context, jobID, holder, handle string) error {
	res, err := db.exec(ctx, `UPDATE job_leases SET handle = ? WHERE job_id = ? AND holder = ?`, handle, jobID, holder)
	if err != nil {
		return fmt.Errorf("set lease handle: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return lathe.Errorf(lathe.ECONFLICT, "the lease on job %s is not held by %s", jobID, holder)
	}
	return nil
}

// RenewLeases extends every lease the holder holds to expires and returns
// how many there are.
func (db *DB) RenewLeases(ctx context.Context, holder string, expires time.Time) (int64, error) {
	res, err := db.exec(ctx, `UPDATE job_leases SET expires_at = ? WHERE holder = ?`, ms(expires), holder)
	if err != nil {
		return 0, fmt.Errorf("renew leases: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// TakeLease moves a lease from one holder to another (a controller taking
// over the jobs of one that stopped), if it is still held by from; it
// reports whether it did.
func (db *DB) TakeLease(ctx context.Context, jobID, from, to string, expires time.Time) (bool, error) {
	res, err := db.exec(ctx, `UPDATE job_leases SET holder = ?, expires_at = ? WHERE job_id = ? AND holder = ?`, to, ms(expires), jobID, from)
	if err != nil {
		return false, fmt.Errorf("take lease: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Lease returns a job's lease or lathe.ENOTFOUND.
func (db *DB) Lease(ctx context.Context, jobID string) (*JobLease, error) {
	var l JobLease
	var acq, exp int64
	err := db.r.QueryRowContext(ctx, db.q(`SELECT job_id, holder, compute, handle, acquired_at, expires_at FROM job_leases WHERE job_id = ?`), jobID).
		Scan(&l.JobID, &l.Holder, &l.Compute, &l.Handle, &acq, &exp)
	if err != nil {
		return nil, fmt.Errorf("get lease: %w", notFound(err, "job %s holds no lease", jobID))
	}
	l.AcquiredAt, l.ExpiresAt = fromMS(acq), fromMS(exp)
	return &l, nil
}

func (db *DB) insertLineage(ctx context.Context, tx *sql.Tx, jobID, ws string, l lathe.JobLineage) error {
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO job_lineage (job_id, workspace_id, direction, port, data_name, data_version) VALUES (?, ?, ?, ?, ?, ?)`),
		jobID, ws, l.Direction, l.Port, l.DataName, l.DataVersion)
	if err != nil {
		return db.conflict(fmt.Errorf("record lineage: %w", err), "job %s records its %s %s twice", jobID, l.Direction, l.Port)
	}
	return nil
}

// RecordJobOutput records that the job wrote the data version of one
// output: a lineage row, and the version in the job's spec, in one
// transaction. Recording an output twice is lathe.ECONFLICT.
func (db *DB) RecordJobOutput(ctx context.Context, jobID, port, name, version string, at time.Time) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		cur, err := scanJob(tx.QueryRowContext(ctx, db.q(`SELECT `+jobCols+` FROM jobs WHERE id = ?`), jobID))
		if err != nil {
			return notFound(err, "job %s not found", jobID)
		}
		o, ok := cur.Spec.Outputs[port]
		if !ok {
			return lathe.Errorf(lathe.ENOTFOUND, "job %s has no output %q", cur.Name, port)
		}
		if err := db.insertLineage(ctx, tx, jobID, cur.WorkspaceID, lathe.JobLineage{Direction: "output", Port: port, DataName: name, DataVersion: version}); err != nil {
			return err
		}
		o.Data = name + ":" + version
		cur.Spec.Outputs[port] = o
		spec, err := encodeSpec(&cur.Spec)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, db.q(`UPDATE jobs SET spec = ?, updated_at = ? WHERE id = ?`), spec, ms(at), jobID)
		return err
	})
	if err != nil {
		return fmt.Errorf("record output %s of job %s: %w", port, jobID, err)
	}
	return nil
}

// JobLineage returns what a job read and wrote, inputs first.
func (db *DB) JobLineage(ctx context.Context, jobID string) ([]lathe.JobLineage, error) {
	return db.lineageRows(ctx, `SELECT j.name, l.direction, l.port, l.data_name, l.data_version FROM job_lineage l JOIN jobs j ON j.id = l.job_id
		WHERE l.job_id = ? ORDER BY l.direction, l.port`, jobID)
}

// DataLineage returns the jobs that read or wrote a data version.
func (db *DB) DataLineage(ctx context.Context, ws, name, version string) ([]lathe.JobLineage, error) {
	return db.lineageRows(ctx, `SELECT j.name, l.direction, l.port, l.data_name, l.data_version FROM job_lineage l JOIN jobs j ON j.id = l.job_id
		WHERE l.workspace_id = ? AND l.data_name = ? AND l.data_version = ? ORDER BY j.created_at, l.direction, l.port`, ws, name, version)
}

func (db *DB) lineageRows(ctx context.Context, query string, args ...any) ([]lathe.JobLineage, error) {
	var out []lathe.JobLineage
	err := db.eachRow(ctx, query, args, func(rows *sql.Rows) error {
		var l lathe.JobLineage
		if err := rows.Scan(&l.Job, &l.Direction, &l.Port, &l.DataName, &l.DataVersion); err != nil {
			return err
		}
		out = append(out, l)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lineage: %w", err)
	}
	return out, nil
}

// Leases returns every lease, for a controller reconciling at start.
func (db *DB) Leases(ctx context.Context) ([]*JobLease, error) {
	var out []*JobLease
	err := db.eachRow(ctx, `SELECT job_id, holder, compute, handle, acquired_at, expires_at FROM job_leases ORDER BY acquired_at`, nil, func(rows *sql.Rows) error {
		var l JobLease
		var acq, exp int64
		if err := rows.Scan(&l.JobID, &l.Holder, &l.Compute, &l.Handle, &acq, &exp); err != nil {
			return err
		}
		l.AcquiredAt, l.ExpiresAt = fromMS(acq), fromMS(exp)
		out = append(out, &l)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list leases: %w", err)
	}
	return out, nil
}
