package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/latheml/lathe"
)

// AppendAudit appends e to the audit log; see AppendAudits.
func (db *DB) AppendAudit(ctx context.Context, e *lathe.AuditEvent) error {
	return db.AppendAudits(ctx, []*lathe.AuditEvent{e})
}

// AppendAudits appends events, in order, to the audit log: each takes the
// next sequence number, links to the hash of the row before it and gets its
// own hash, all in one transaction, so the chain has no gaps and no forks
// even with several writers (PostgreSQL serialises appenders with an
// advisory lock; SQLite has one writer). Seq, PrevHash and Hash are filled
// in.
func (db *DB) AppendAudits(ctx context.Context, events []*lathe.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if db.d.AuditLock != "" {
			if _, err := tx.ExecContext(ctx, db.d.AuditLock); err != nil {
				return fmt.Errorf("lock audit log: %w", err)
			}
		}
		var seq int64
		var prev string
		err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
		if errors.Is(err, sql.ErrNoRows) {
			seq, prev, err = 0, lathe.GenesisHash, nil
		}
		if err != nil {
			return fmt.Errorf("read audit head: %w", err)
		}
		const cols = 12
		for lo := 0; lo < len(events); lo += 100 {
			part := events[lo:min(lo+100, len(events))]
			args := make([]any, 0, len(part)*cols)
			for _, e := range part {
				seq++
				e.Seq, e.PrevHash = seq, prev
				e.Time = e.Time.Truncate(time.Millisecond)
				e.Hash = e.ComputeHash()
				prev = e.Hash
				args = append(args, e.Seq, ms(e.Time), e.Actor, e.WorkspaceID, e.Workspace, e.Action, e.Target, e.Outcome, e.Status, e.RequestID, e.PrevHash, e.Hash)
			}
			q := `INSERT INTO audit_events (seq, time, actor, workspace_id, workspace, action, target, outcome, status, request_id, prev_hash, hash) VALUES ` +
				strings.TrimSuffix(strings.Repeat(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), `, len(part)), ", ")
			if _, err := tx.ExecContext(ctx, db.q(q), args...); err != nil {
				return fmt.Errorf("append audit events: %w", err)
			}
		}
		return nil
	})
}

const auditCols = `seq, time, actor, workspace_id, workspace, action, target, outcome, status, request_id, prev_hash, hash`

func scanAudit(row interface{ Scan(...any) error }) (*lathe.AuditEvent, error) {
	var e lathe.AuditEvent
	var t int64
	if err := row.Scan(&e.Seq, &t, &e.Actor, &e.WorkspaceID, &e.Workspace, &e.Action, &e.Target, &e.Outcome, &e.Status, &e.RequestID, &e.PrevHash, &e.Hash); err != nil {
		return nil, err
	}
	e.Time = fromMS(t)
	return &e, nil
}

// ListAudit returns audit events matching f, newest first.
func (db *DB) ListAudit(ctx context.Context, f lathe.AuditFilter) ([]*lathe.AuditEvent, error) {
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.WorkspaceID != "" {
		add("workspace_id = ?", f.WorkspaceID)
	}
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	if p, ok := strings.CutSuffix(f.Action, "*"); ok {
		add(`action LIKE ? ESCAPE '\'`, likePrefix(p))
	} else if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.Outcome != "" {
		add("outcome = ?", f.Outcome)
	}
	if !f.Since.IsZero() {
		add("time >= ?", ms(f.Since))
	}
	if !f.Until.IsZero() {
		add("time < ?", ms(f.Until))
	}
	if f.BeforeSeq > 0 {
		add("seq < ?", f.BeforeSeq)
	}
	query := `SELECT ` + auditCols + ` FROM audit_events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	query += ` ORDER BY seq DESC LIMIT ?`
	args = append(args, limit)
	rows, err := db.r.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	defer rows.Close()
	var out []*lathe.AuditEvent
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("list audit events: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// likePrefix escapes LIKE wildcards in p and appends '%'. Both dialects use
// backslash as the default escape in this form.
func likePrefix(p string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(p) + "%"
}

// VerifyAudit walks the whole chain in order and reports the first row where
// it breaks: a gap in the sequence (rows deleted), a row whose previous-hash
// link does not match the row before it (rows deleted or reordered), or a
// row whose contents do not match its hash (row edited).
func (db *DB) VerifyAudit(ctx context.Context) (*lathe.AuditVerdict, error) {
	v := &lathe.AuditVerdict{OK: true, Head: lathe.GenesisHash}
	const batch = 2000
	var after int64
	for {
		rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+auditCols+` FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?`), after, batch)
		if err != nil {
			return nil, fmt.Errorf("verify audit log: %w", err)
		}
		n := 0
		for rows.Next() {
			e, err := scanAudit(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("verify audit log: %w", err)
			}
			n++
			after = e.Seq
			if problem := check(e, v.LastSeq, v.Head); problem != "" {
				rows.Close()
				v.OK, v.BadSeq, v.Problem = false, e.Seq, problem
				return v, nil
			}
			v.Checked++
			v.LastSeq, v.Head = e.Seq, e.Hash
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("verify audit log: %w", err)
		}
		if n < batch {
			return v, nil
		}
	}
}

// check compares one row with the row before it.
func check(e *lathe.AuditEvent, prevSeq int64, prevHash string) string {
	switch {
	case e.Seq != prevSeq+1:
		return fmt.Sprintf("row %d follows row %d: rows %d to %d are missing (deleted)", e.Seq, prevSeq, prevSeq+1, e.Seq-1)
	case e.PrevHash != prevHash:
		return fmt.Sprintf("row %d does not link to row %d: its previous-hash is %.12s…, row %d's hash is %.12s… (rows deleted, reordered or rewritten)", e.Seq, prevSeq, e.PrevHash, prevSeq, prevHash)
	case e.Hash != e.ComputeHash():
		return fmt.Sprintf("row %d was edited: its contents no longer match its hash", e.Seq)
	}
	return ""
}

// CountAudit counts the workspace's audit events since t.
func (db *DB) CountAudit(ctx context.Context, workspaceID string, since time.Time) (int64, error) {
	var n int64
	err := db.r.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM audit_events WHERE workspace_id = ? AND time >= ?`), workspaceID, ms(since)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count audit events: %w", err)
	}
	return n, nil
}
