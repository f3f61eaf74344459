package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/latheml/lathe"
)

// A job's log is stored as chunks: each append is one row holding its
// lines, numbered on from the job's line count. The job's row counts the
// lines and bytes, so a per-job cap is a single comparison.

// logLine is a line as stored in a chunk.
type logLine struct {
	S string `json:"s"` // o (stdout), e (stderr) or s (system)
	T int64  `json:"t"`
	L string `json:"l"`
}

var streamCode = map[string]string{lathe.StreamStdout: "o", lathe.StreamStderr: "e", lathe.StreamSystem: "s"}
var streamName = map[string]string{"o": lathe.StreamStdout, "e": lathe.StreamStderr, "s": lathe.StreamSystem}

// LogAppend says what an append stored.
type LogAppend struct {
	First     int64 // number of the first stored line (0 if none)
	Stored    int   // lines stored
	Truncated bool  // the cap was reached; later lines are dropped
}

// MaxLogChunkLines bounds the lines of one append.
const MaxLogChunkLines = 10_000

// AppendJobLogs stores lines at the end of the job's log. Once the log
// holds maxBytes bytes, one system line says so and later lines are
// dropped (the count of dropped lines is not kept).
func (db *DB) AppendJobLogs(ctx context.Context, id string, lines []lathe.LogLine, maxBytes int64) (LogAppend, error) {
	var res LogAppend
	if len(lines) == 0 {
		return res, nil
	}
	if len(lines) > MaxLogChunkLines {
		return res, lathe.Errorf(lathe.ETOOLARGE, "%d log lines in one append; send at most %d", len(lines), MaxLogChunkLines)
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		// Taking the chunk number first locks the job's row (PostgreSQL)
		// so appends of one job are numbered one after the other.
		var count, size, chunk int64
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE jobs SET log_chunks = log_chunks + 1 WHERE id = ?`), id); err != nil {
			return fmt.Errorf("number log chunk: %w", err)
		}
		err := tx.QueryRowContext(ctx, db.q(`SELECT log_lines, log_bytes, log_chunks FROM jobs WHERE id = ?`), id).Scan(&count, &size, &chunk)
		if err != nil {
			return notFound(err, "job %s not found", id)
		}
		if size >= maxBytes {
			res.Truncated = true
			return nil
		}
		var body []logLine
		var added int64
		for _, l := range lines {
			n := int64(len(l.Text))
			if size+added+n > maxBytes {
				body = append(body, logLine{S: "s", T: l.Time, L: fmt.Sprintf("[lathe] the log reached its limit of %d bytes; later lines are not stored on the server (the compute keeps the whole log in the job's std_log.txt)", maxBytes)})
				added = maxBytes - size // the log is now full
				res.Truncated = true
				break
			}
			code, ok := streamCode[l.Stream]
			if !ok {
				code = "o"
			}
			body = append(body, logLine{S: code, T: l.Time, L: l.Text})
			added += n
		}
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode log chunk: %w", err)
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO job_logs (job_id, chunk, first_line, lines, body) VALUES (?, ?, ?, ?, ?)`),
			id, chunk, count+1, len(body), string(b)); err != nil {
			return fmt.Errorf("store log chunk: %w", err)
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE jobs SET log_lines = log_lines + ?, log_bytes = log_bytes + ? WHERE id = ?`),
			len(body), added, id); err != nil {
			return fmt.Errorf("count log lines: %w", err)
		}
		res.First, res.Stored = count+1, len(body)
		return nil
	})
	if err != nil {
		return LogAppend{}, fmt.Errorf("append job log: %w", err)
	}
	return res, nil
}

// JobLogs returns up to limit lines of a job's log after line number
// after, in order.
func (db *DB) JobLogs(ctx context.Context, id string, after int64, limit int) ([]lathe.LogLine, error) {
	var out []lathe.LogLine
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT first_line, body FROM job_logs WHERE job_id = ? AND first_line + lines > ? ORDER BY chunk`), id, after+1)
	if err != nil {
		return nil, fmt.Errorf("job logs: %w", err)
	}
	defer rows.Close()
	for rows.Next() && len(out) < limit {
		var first int64
		var body string
		if err := rows.Scan(&first, &body); err != nil {
			return nil, fmt.Errorf("job logs: %w", err)
		}
		var ls []logLine
		if err := json.Unmarshal([]byte(body), &ls); err != nil {
			return nil, fmt.Errorf("decode log chunk: %w", err)
		}
		for i, l := range ls {
			n := first + int64(i)
			if n <= after {
				continue
			}
			if len(out) == limit {
				break
			}
			out = append(out, lathe.LogLine{N: n, Stream: streamName[l.S], Time: l.T, Text: l.L})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("job logs: %w", err)
	}
	return out, nil
}
