// Package auth turns API tokens into principals. Tokens are 32 random bytes
// shown once at creation; only an HMAC-SHA256 of the token, keyed with the
// server secret, is stored, so a copy of the database alone cannot be used to
// sign in, and lookups stay a single indexed read.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/cache"
)

// TokenPrefix starts every Lathe API token, so secret scanners and people can
// recognise one.
const TokenPrefix = "lathe_"

// Store is what the service needs from the metadata store.
type Store interface {
	TokenByHash(ctx context.Context, hash string) (*lathe.Token, *lathe.User, error)
	TouchToken(ctx context.Context, id string, at time.Time) error
	CreateToken(ctx context.Context, t *lathe.Token) error
}

// Options configure a Service.
type Options struct {
	Store Store
	// Secret keys the token hash; at least 32 bytes.
	Secret []byte
	// Now is the clock.
	Now func() time.Time
	// TouchEvery bounds how often a token's last-used time is written.
	TouchEvery time.Duration
}

// Service authenticates tokens and issues new ones.
type Service struct {
	opts    Options
	mu      sync.Mutex
	touched map[string]time.Time // token id → last write of last_used_at
	// recent keeps token lookups for a moment, so a busy client does not
	// cost a database read per request. Revoking or disabling through this
	// server clears it (Invalidate); another server sharing the database
	// sees such a change within CacheTTL.
	recent *cache.Map[string, tokenUser]
}

// CacheTTL is how long a token lookup is reused.
const CacheTTL = 2 * time.Second

type tokenUser struct {
	t *lathe.Token
	u *lathe.User
}

// New returns a Service.
func New(opts Options) (*Service, error) {
	if len(opts.Secret) < 32 {
		return nil, fmt.Errorf("auth: secret must be at least 32 bytes, got %d", len(opts.Secret))
	}
	if opts.TouchEvery == 0 {
		opts.TouchEvery = time.Minute
	}
	return &Service{opts: opts, touched: map[string]time.Time{},
		recent: &cache.Map[string, tokenUser]{TTL: CacheTTL, Max: 10000, Now: opts.Now}}, nil
}

// Invalidate forgets cached token lookups (after a revocation, say).
func (s *Service) Invalidate() { s.recent.Clear() }

// Hash returns the stored form of a token secret.
func (s *Service) Hash(secret string) string {
	m := hmac.New(sha256.New, s.opts.Secret)
	m.Write([]byte(secret))
	return hex.EncodeToString(m.Sum(nil))
}

// NewSecret returns a fresh token secret.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// Issue creates a token for the user and returns its secret, shown once.
func (s *Service) Issue(ctx context.Context, userID, name string, expires *time.Time) (string, *lathe.Token, error) {
	secret := NewSecret()
	t, err := s.Register(ctx, userID, name, secret, expires)
	return secret, t, err
}

// Register stores the hash of a given secret as a token of the user.
func (s *Service) Register(ctx context.Context, userID, name, secret string, expires *time.Time) (*lathe.Token, error) {
	t := &lathe.Token{
		ID:        lathe.NewID(),
		UserID:    userID,
		Name:      name,
		Prefix:    secret[:min(len(secret), len(TokenPrefix)+4)],
		Hash:      s.Hash(secret),
		CreatedAt: s.opts.Now(),
		ExpiresAt: expires,
	}
	if err := s.opts.Store.CreateToken(ctx, t); err != nil {
		return nil, fmt.Errorf("issue token: %w", err)
	}
	return t, nil
}

// Known reports whether a token with this secret is recorded, active or not.
func (s *Service) Known(ctx context.Context, secret string) (bool, error) {
	_, _, err := s.opts.Store.TokenByHash(ctx, s.Hash(secret))
	if lathe.IsCode(err, lathe.ENOTFOUND) {
		return false, nil
	}
	return err == nil, err
}

// Authenticate returns the principal a bearer token acts as, or a
// lathe.EUNAUTHORIZED error that says why not.
func (s *Service) Authenticate(ctx context.Context, secret string) (lathe.Principal, error) {
	if secret == "" {
		return lathe.Principal{}, lathe.Errorf(lathe.EUNAUTHORIZED, "missing token; send the header `Authorization: Bearer <token>` (`lathe up` wrote the admin token to <data-dir>/admin.token)")
	}
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 256 {
		return lathe.Principal{}, lathe.Errorf(lathe.EUNAUTHORIZED, "that is not a Lathe token (they start with %q); check the value you sent", TokenPrefix)
	}
	hash := s.Hash(secret)
	var t *lathe.Token
	var u *lathe.User
	var err error
	if hit, ok := s.recent.Get(hash); ok {
		t, u = hit.t, hit.u
	} else if t, u, err = s.opts.Store.TokenByHash(ctx, hash); err == nil {
		s.recent.Put(hash, tokenUser{t, u})
	}
	if lathe.IsCode(err, lathe.ENOTFOUND) {
		return lathe.Principal{}, lathe.Errorf(lathe.EUNAUTHORIZED, "unknown token %s…; it may belong to another server, or its server secret changed", secret[:min(len(secret), len(TokenPrefix)+4)])
	}
	if err != nil {
		return lathe.Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	now := s.opts.Now()
	switch {
	case t.RevokedAt != nil:
		return lathe.Principal{}, lathe.Errorf(lathe.EUNAUTHORIZED, "token %s… was revoked at %s; create a new one", t.Prefix, t.RevokedAt.Format(time.RFC3339))
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return lathe.Principal{}, lathe.Errorf(lathe.EUNAUTHORIZED, "token %s… expired at %s; create a new one", t.Prefix, t.ExpiresAt.Format(time.RFC3339))
	case u.Disabled:
		return lathe.Principal{}, lathe.Errorf(lathe.EUNAUTHORIZED, "user %q is disabled", u.Name)
	}
	s.touch(ctx, t, now)
	return lathe.Principal{UserID: u.ID, UserName: u.Name, TokenID: t.ID, Admin: u.Admin}, nil
}

// touch records the last use at most once per TouchEvery per token, so a busy
// client does not turn every read into a write.
func (s *Service) touch(ctx context.Context, t *lathe.Token, now time.Time) {
	s.mu.Lock()
	last, ok := s.touched[t.ID]
	if !ok && t.LastUsedAt != nil {
		last, ok = *t.LastUsedAt, true
	}
	due := !ok || now.Sub(last) >= s.opts.TouchEvery
	if due {
		s.touched[t.ID] = now
	}
	s.mu.Unlock()
	if due {
		// Best effort: a failed bookkeeping write must not fail the request.
		_ = s.opts.Store.TouchToken(ctx, t.ID, now)
	}
}
