package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/latheml/lathe"
)

// CreateUser inserts a user; a taken name is lathe.ECONFLICT.
func (db *DB) CreateUser(ctx context.Context, u *lathe.User) error {
	_, err := db.exec(ctx, `INSERT INTO users (id, name, email, admin, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		u.ID, u.Name, u.Email, u.Admin, u.Disabled, ms(u.CreatedAt))
	if err = db.conflict(err, "user %q exists already; choose another name", u.Name); err != nil {
		return fmt.Errorf("create user %s: %w", u.Name, err)
	}
	return nil
}

const userCols = `u.id, u.name, u.email, u.admin, u.disabled, u.created_at`

func scanUser(row interface{ Scan(...any) error }, extra ...any) (*lathe.User, error) {
	var u lathe.User
	var created int64
	dest := append([]any{&u.ID, &u.Name, &u.Email, &u.Admin, &u.Disabled, &created}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	u.CreatedAt = fromMS(created)
	return &u, nil
}

// UserByName returns the named user or lathe.ENOTFOUND.
func (db *DB) UserByName(ctx context.Context, name string) (*lathe.User, error) {
	u, err := scanUser(db.r.QueryRowContext(ctx, db.q(`SELECT `+userCols+` FROM users u WHERE u.name = ?`), name))
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", name, notFound(err, "user %q not found", name))
	}
	return u, nil
}

// CreateToken inserts a token record (its hash, never the secret).
func (db *DB) CreateToken(ctx context.Context, t *lathe.Token) error {
	_, err := db.exec(ctx, `INSERT INTO tokens (id, user_id, name, prefix, hash, created_at, expires_at, last_used_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.UserID, t.Name, t.Prefix, t.Hash, ms(t.CreatedAt), msPtr(t.ExpiresAt), msPtr(t.LastUsedAt), msPtr(t.RevokedAt))
	if err = db.conflict(err, "token exists already"); err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	return nil
}

// TokenByHash returns the token with the given hash and its user, or
// lathe.ENOTFOUND. Revoked and expired tokens are returned too: the caller
// decides, so it can tell the user why.
func (db *DB) TokenByHash(ctx context.Context, hash string) (*lathe.Token, *lathe.User, error) {
	var t lathe.Token
	var created int64
	var expires, used, revoked sql.NullInt64
	u, err := scanUser(db.r.QueryRowContext(ctx, db.q(`SELECT `+userCols+`,
		t.id, t.user_id, t.name, t.prefix, t.hash, t.created_at, t.expires_at, t.last_used_at, t.revoked_at
		FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?`), hash),
		&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.Hash, &created, &expires, &used, &revoked)
	if err != nil {
		return nil, nil, fmt.Errorf("look up token: %w", notFound(err, "token not found"))
	}
	t.CreatedAt = fromMS(created)
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = timePtr(expires), timePtr(used), timePtr(revoked)
	return &t, u, nil
}

// TouchToken records that a token was used at time at.
func (db *DB) TouchToken(ctx context.Context, id string, at time.Time) error {
	if _, err := db.exec(ctx, `UPDATE tokens SET last_used_at = ? WHERE id = ?`, ms(at), id); err != nil {
		return fmt.Errorf("touch token %s: %w", id, err)
	}
	return nil
}

// EnsureUser creates the user unless one with its name exists, and returns
// the stored one either way.
func (db *DB) EnsureUser(ctx context.Context, u *lathe.User) (*lathe.User, error) {
	existing, err := db.UserByName(ctx, u.Name)
	if err == nil {
		return existing, nil
	}
	if !lathe.IsCode(err, lathe.ENOTFOUND) {
		return nil, err
	}
	if err := db.CreateUser(ctx, u); err != nil && !lathe.IsCode(err, lathe.ECONFLICT) {
		return nil, err
	}
	return db.UserByName(ctx, u.Name)
}

// ListUsers returns every user ordered by name.
func (db *DB) ListUsers(ctx context.Context) ([]*lathe.User, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+userCols+` FROM users u ORDER BY u.name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []*lathe.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetUserDisabled disables or re-enables a user; lathe.ENOTFOUND if missing.
func (db *DB) SetUserDisabled(ctx context.Context, userID string, disabled bool) error {
	res, err := db.exec(ctx, `UPDATE users SET disabled = ? WHERE id = ?`, disabled, userID)
	if err != nil {
		return fmt.Errorf("disable user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return lathe.Errorf(lathe.ENOTFOUND, "user not found")
	}
	return nil
}

const tokenCols = `t.id, t.user_id, t.name, t.prefix, t.hash, t.created_at, t.expires_at, t.last_used_at, t.revoked_at`

func scanToken(row interface{ Scan(...any) error }) (*lathe.Token, error) {
	var t lathe.Token
	var created int64
	var expires, used, revoked sql.NullInt64
	if err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.Hash, &created, &expires, &used, &revoked); err != nil {
		return nil, err
	}
	t.CreatedAt = fromMS(created)
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = timePtr(expires), timePtr(used), timePtr(revoked)
	return &t, nil
}

// Token returns a token record by ID, or lathe.ENOTFOUND.
func (db *DB) Token(ctx context.Context, id string) (*lathe.Token, error) {
	t, err := scanToken(db.r.QueryRowContext(ctx, db.q(`SELECT `+tokenCols+` FROM tokens t WHERE t.id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("get token %s: %w", id, notFound(err, "token %s not found", id))
	}
	return t, nil
}

// ListTokens returns the user's tokens, newest first.
func (db *DB) ListTokens(ctx context.Context, userID string) ([]*lathe.Token, error) {
	rows, err := db.r.QueryContext(ctx, db.q(`SELECT `+tokenCols+` FROM tokens t WHERE t.user_id = ? ORDER BY t.created_at DESC, t.id`), userID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []*lathe.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken marks a token revoked at time at; revoking a revoked token
// keeps the first time. lathe.ENOTFOUND if missing.
func (db *DB) RevokeToken(ctx context.Context, id string, at time.Time) error {
	res, err := db.exec(ctx, `UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, ms(at), id)
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return lathe.Errorf(lathe.ENOTFOUND, "token %s not found", id)
	}
	return nil
}

// UserByID returns a user by ID, or lathe.ENOTFOUND.
func (db *DB) UserByID(ctx context.Context, id string) (*lathe.User, error) {
	u, err := scanUser(db.r.QueryRowContext(ctx, db.q(`SELECT `+userCols+` FROM users u WHERE u.id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("get user: %w", notFound(err, "user not found"))
	}
	return u, nil
}
