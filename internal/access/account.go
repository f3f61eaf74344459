package access

import (
	"context"
	"net/mail"
	"time"

	"github.com/latheml/lathe"
)

// Me is the user name that stands for the caller in API paths.
const Me = "me"

// ListUsers returns every user (any signed-in user may list them, to pick
// whom to give a role).
func (s *Service) ListUsers(ctx context.Context, p lathe.Principal) ([]*lathe.User, error) {
	if _, _, err := s.Authorize(ctx, p, "", lathe.ActUserList); err != nil {
		return nil, err
	}
	return s.o.Store.ListUsers(ctx)
}

// CreateUser creates a user (server administrators only).
func (s *Service) CreateUser(ctx context.Context, p lathe.Principal, name, email string) (*lathe.User, error) {
	if _, _, err := s.Authorize(ctx, p, "", lathe.ActUserWrite); err != nil {
		return nil, err
	}
	if err := lathe.ValidateName("user", name); err != nil {
		return nil, err
	}
	if name == Me {
		return nil, lathe.Errorf(lathe.EINVALID, "user name %q is reserved (it stands for the caller); choose another", Me)
	}
	if email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 320 {
			return nil, lathe.Errorf(lathe.EINVALID, "email %q is not an address like ann@example.org", email)
		}
	}
	u := &lathe.User{ID: lathe.NewID(), Name: name, Email: email, CreatedAt: s.o.Now()}
	if err := s.o.Store.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

// SetUserDisabled disables or re-enables a user (server administrators
// only). A disabled user's tokens and sessions stop working at once. Nobody
// can disable themselves, so the last administrator cannot lock everyone out.
func (s *Service) SetUserDisabled(ctx context.Context, p lathe.Principal, name string, disabled bool) error {
	if _, _, err := s.Authorize(ctx, p, "", lathe.ActUserWrite); err != nil {
		return err
	}
	u, err := s.user(ctx, p, name)
	if err != nil {
		return err
	}
	if u.ID == p.UserID && disabled {
		return lathe.Errorf(lathe.ECONFLICT, "you cannot disable yourself; ask another administrator")
	}
	defer s.o.Tokens.Invalidate()
	return s.o.Store.SetUserDisabled(ctx, u.ID, disabled)
}

// user resolves a user name ("me" for the caller).
func (s *Service) user(ctx context.Context, p lathe.Principal, name string) (*lathe.User, error) {
	if name == Me || name == "" {
		return s.o.Store.UserByID(ctx, p.UserID)
	}
	if err := lathe.ValidateName("user", name); err != nil {
		return nil, err
	}
	u, err := s.o.Store.UserByName(ctx, name)
	if lathe.IsCode(err, lathe.ENOTFOUND) {
		return nil, lathe.Errorf(lathe.ENOTFOUND, "user %q not found; `lathe user list` shows them", name)
	}
	return u, err
}

// selfOrAdmin resolves the named user and checks p may manage its tokens:
// its own, or anyone's for an administrator.
func (s *Service) selfOrAdmin(ctx context.Context, p lathe.Principal, name string) (*lathe.User, error) {
	if _, _, err := s.Authorize(ctx, p, "", lathe.ActTokenSelf); err != nil {
		return nil, err
	}
	u, err := s.user(ctx, p, name)
	if err != nil {
		return nil, err
	}
	if u.ID != p.UserID && !p.Admin {
		return nil, lathe.Errorf(lathe.EFORBIDDEN, "only %s or a server administrator can manage %s's tokens", u.Name, u.Name)
	}
	return u, nil
}

// ListTokens returns a user's tokens (without secrets).
func (s *Service) ListTokens(ctx context.Context, p lathe.Principal, user string) ([]*lathe.Token, error) {
	u, err := s.selfOrAdmin(ctx, p, user)
	if err != nil {
		return nil, err
	}
	return s.o.Store.ListTokens(ctx, u.ID)
}

// MaxTokenLife bounds how far in the future a token may expire.
const MaxTokenLife = 5 * 365 * 24 * time.Hour

// CreateToken issues a token for a user and returns its secret, which is
// shown only this once.
func (s *Service) CreateToken(ctx context.Context, p lathe.Principal, user, name string, expires *time.Time) (string, *lathe.Token, error) {
	u, err := s.selfOrAdmin(ctx, p, user)
	if err != nil {
		return "", nil, err
	}
	if len(name) > lathe.MaxNameLen {
		return "", nil, lathe.Errorf(lathe.EINVALID, "token name is %d characters; the limit is %d", len(name), lathe.MaxNameLen)
	}
	if expires != nil {
		now := s.o.Now()
		if !expires.After(now) {
			return "", nil, lathe.Errorf(lathe.EINVALID, "expiry %s is not in the future", expires.Format(time.RFC3339))
		}
		if expires.Sub(now) > MaxTokenLife {
			return "", nil, lathe.Errorf(lathe.EINVALID, "expiry %s is more than 5 years away; leave it out for a token that does not expire", expires.Format(time.RFC3339))
		}
	}
	return s.o.Tokens.Issue(ctx, u.ID, name, expires)
}

// RevokeToken revokes a token: the caller's own, or any for administrators.
func (s *Service) RevokeToken(ctx context.Context, p lathe.Principal, id string) error {
	if _, _, err := s.Authorize(ctx, p, "", lathe.ActTokenSelf); err != nil {
		return err
	}
	t, err := s.o.Store.Token(ctx, id)
	if err != nil {
		return err
	}
	if t.UserID != p.UserID && !p.Admin {
		// Not the caller's: do not confirm it exists.
		return lathe.Errorf(lathe.ENOTFOUND, "token %s not found", id)
	}
	defer s.o.Tokens.Invalidate()
	return s.o.Store.RevokeToken(ctx, id, s.o.Now())
}
