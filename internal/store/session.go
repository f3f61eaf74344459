package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/latheml/lathe"
)

// CreateSession stores a studio session under the hash of its secret.
func (db *DB) CreateSession(ctx context.Context, s *lathe.Session, hash string) error {
	_, err := db.exec(ctx, `INSERT INTO sessions (id, hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		s.ID, hash, s.UserID, s.CSRF, ms(s.CreatedAt), ms(s.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionByHash returns a session and its user, or lathe.ENOTFOUND. Expired
// sessions are returned too; the caller decides.
func (db *DB) SessionByHash(ctx context.Context, hash string) (*lathe.Session, *lathe.User, error) {
	var s lathe.Session
	var created, expires int64
	u, err := scanUser(db.r.QueryRowContext(ctx, db.q(`SELECT `+userCols+`, s.id, s.user_id, s.csrf, s.created_at, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = ?`), hash),
		&s.ID, &s.UserID, &s.CSRF, &created, &expires)
	if err != nil {
		return nil, nil, fmt.Errorf("look up session: %w", notFound(err, "session not found"))
	}
	s.CreatedAt, s.ExpiresAt = fromMS(created), fromMS(expires)
	return &s, u, nil
}

// DeleteSession removes a session; a missing one is not an error.
func (db *DB) DeleteSession(ctx context.Context, hash string) error {
	if _, err := db.exec(ctx, `DELETE FROM sessions WHERE hash = ?`, hash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions and sign-in links that expired
// before t, and returns how many rows went.
func (db *DB) DeleteExpiredSessions(ctx context.Context, t time.Time) (int64, error) {
	var total int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM sessions WHERE expires_at < ?`, `DELETE FROM signin_links WHERE expires_at < ?`} {
			res, err := tx.ExecContext(ctx, db.q(q), ms(t))
			if err != nil {
				return fmt.Errorf("delete expired sessions: %w", err)
			}
			n, _ := res.RowsAffected()
			total += n
		}
		return nil
	})
	return total, err
}

// CreateSignInLink stores a one-time sign-in link under the hash of its code.
func (db *DB) CreateSignInLink(ctx context.Context, hash, userID string, created, expires time.Time) error {
	_, err := db.exec(ctx, `INSERT INTO signin_links (hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		hash, userID, ms(created), ms(expires))
	if err != nil {
		return fmt.Errorf("create sign-in link: %w", err)
	}
	return nil
}

// UseSignInLink marks the link used at time at and returns its user, in one
// transaction, so a link works once. An unknown, used or expired link is
// lathe.EUNAUTHORIZED.
func (db *DB) UseSignInLink(ctx context.Context, hash string, at time.Time) (*lathe.User, error) {
	var u *lathe.User
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE signin_links SET used_at = ? WHERE hash = ? AND used_at IS NULL AND expires_at > ?`), ms(at), hash, ms(at))
		if err != nil {
			return fmt.Errorf("use sign-in link: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return lathe.Errorf(lathe.EUNAUTHORIZED, "this sign-in link is unknown, used already or expired; ask for a new one")
		}
		u, err = scanUser(tx.QueryRowContext(ctx, db.q(`SELECT `+userCols+` FROM signin_links l JOIN users u ON u.id = l.user_id WHERE l.hash = ?`), hash))
		if err != nil {
			return fmt.Errorf("use sign-in link: %w", err)
		}
		return nil
	})
	return u, err
}
