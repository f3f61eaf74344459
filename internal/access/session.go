package access

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/latheml/lathe"
)

func randomSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// SignIn turns an API token into a studio session and returns the session's
// secret (for the cookie).
func (s *Service) SignIn(ctx context.Context, token string) (string, *lathe.Session, error) {
	p, err := s.o.Tokens.Authenticate(ctx, token)
	if err != nil {
		return "", nil, err
	}
	return s.newSession(ctx, p.UserID)
}

func (s *Service) newSession(ctx context.Context, userID string) (string, *lathe.Session, error) {
	now := s.o.Now()
	secret := randomSecret()
	sess := &lathe.Session{ID: lathe.NewID(), UserID: userID, CSRF: randomSecret(), CreatedAt: now, ExpiresAt: now.Add(s.o.SessionTTL)}
	if err := s.o.Store.CreateSession(ctx, sess, s.o.Tokens.Hash(secret)); err != nil {
		return "", nil, err
	}
	return secret, sess, nil
}

// Session returns the session behind a cookie secret and its principal; an
// unknown or expired session, or a disabled user, is lathe.EUNAUTHORIZED.
func (s *Service) Session(ctx context.Context, secret string) (*lathe.Session, lathe.Principal, error) {
	if secret == "" || len(secret) > 128 {
		return nil, lathe.Principal{}, lathe.Errorf(lathe.EUNAUTHORIZED, "not signed in")
	}
	sess, u, err := s.o.Store.SessionByHash(ctx, s.o.Tokens.Hash(secret))
	if lathe.IsCode(err, lathe.ENOTFOUND) {
		return nil, lathe.Principal{}, lathe.Errorf(lathe.EUNAUTHORIZED, "your session has ended; sign in again")
	}
	if err != nil {
		return nil, lathe.Principal{}, err
	}
	if !s.o.Now().Before(sess.ExpiresAt) {
		return nil, lathe.Principal{}, lathe.Errorf(lathe.EUNAUTHORIZED, "your session expired; sign in again")
	}
	if u.Disabled {
		return nil, lathe.Principal{}, lathe.Errorf(lathe.EUNAUTHORIZED, "user %q is disabled", u.Name)
	}
	return sess, lathe.Principal{UserID: u.ID, UserName: u.Name, TokenID: "session:" + sess.ID, Admin: u.Admin}, nil
}

// SignOut ends a session.
func (s *Service) SignOut(ctx context.Context, secret string) error {
	return s.o.Store.DeleteSession(ctx, s.o.Tokens.Hash(secret))
}

// CreateSignInLink makes a one-time studio sign-in code for a user (server
// administrators only); it works once, within the link lifetime.
func (s *Service) CreateSignInLink(ctx context.Context, p lathe.Principal, user string) (string, time.Time, error) {
	if _, _, err := s.Authorize(ctx, p, "", lathe.ActSignInLink); err != nil {
		return "", time.Time{}, err
	}
	u, err := s.user(ctx, p, user)
	if err != nil {
		return "", time.Time{}, err
	}
	if u.Disabled {
		return "", time.Time{}, lathe.Errorf(lathe.ECONFLICT, "user %q is disabled", u.Name)
	}
	code := randomSecret()
	now := s.o.Now()
	exp := now.Add(s.o.LinkTTL)
	if err := s.o.Store.CreateSignInLink(ctx, s.o.Tokens.Hash(code), u.ID, now, exp); err != nil {
		return "", time.Time{}, fmt.Errorf("create sign-in link: %w", err)
	}
	return code, exp, nil
}

// RedeemSignInLink exchanges a one-time code for a session.
func (s *Service) RedeemSignInLink(ctx context.Context, code string) (string, *lathe.Session, error) {
	if code == "" || len(code) > 128 {
		return "", nil, lathe.Errorf(lathe.EUNAUTHORIZED, "this sign-in link is not valid; ask for a new one")
	}
	u, err := s.o.Store.UseSignInLink(ctx, s.o.Tokens.Hash(code), s.o.Now())
	if err != nil {
		return "", nil, err
	}
	if u.Disabled {
		return "", nil, lathe.Errorf(lathe.EUNAUTHORIZED, "user %q is disabled", u.Name)
	}
	return s.newSession(ctx, u.ID)
}
