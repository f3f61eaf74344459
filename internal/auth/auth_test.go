package auth_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/auth"
)

// memStore is an in-memory auth.Store.
type memStore struct {
	mu      sync.Mutex
	tokens  map[string]*lathe.Token // by hash
	users   map[string]*lathe.User  // by id
	touches int
}

func (m *memStore) TokenByHash(_ context.Context, hash string) (*lathe.Token, *lathe.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[hash]
	if !ok {
		return nil, nil, lathe.Errorf(lathe.ENOTFOUND, "token not found")
	}
	tc, uc := *t, *m.users[t.UserID]
	return &tc, &uc, nil
}

func (m *memStore) TouchToken(_ context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.touches++
	for _, t := range m.tokens {
		if t.ID == id {
			t.LastUsedAt = &at
		}
	}
	return nil
}

func (m *memStore) CreateToken(_ context.Context, t *lathe.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.tokens[t.Hash]; ok {
		return lathe.Errorf(lathe.ECONFLICT, "exists")
	}
	m.tokens[t.Hash] = t
	return nil
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := &memStore{tokens: map[string]*lathe.Token{}, users: map[string]*lathe.User{
		"u1": {ID: "u1", Name: "ada"},
		"u2": {ID: "u2", Name: "bob", Disabled: true},
	}}
	svc, err := auth.New(auth.Options{Store: st, Secret: []byte(strings.Repeat("k", 32)), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	good, tok, err := svc.Issue(ctx, "u1", "laptop", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(good, auth.TokenPrefix) || len(good) < 40 || tok.Hash == good || strings.Contains(tok.Hash, good) {
		t.Fatalf("secret %q / hash %q", good, tok.Hash)
	}
	past := now.Add(-time.Minute)
	expired, _, _ := svc.Issue(ctx, "u1", "old", &past)
	revoked, rt, _ := svc.Issue(ctx, "u1", "gone", nil)
	st.tokens[rt.Hash].RevokedAt = &past
	disabled, _, _ := svc.Issue(ctx, "u2", "bob's", nil)

	tests := []struct {
		name, secret, mention string
		ok                    bool
	}{
		{"good", good, "", true},
		{"missing", "", "Authorization: Bearer", false},
		{"not a lathe token", "ghp_abc", "not a Lathe token", false},
		{"unknown", auth.NewSecret(), "unknown token", false},
		{"expired", expired, "expired", false},
		{"revoked", revoked, "revoked", false},
		{"disabled user", disabled, "disabled", false},
		{"oversized", auth.TokenPrefix + strings.Repeat("x", 300), "not a Lathe token", false},
	}
	for _, tc := range tests {
		p, err := svc.Authenticate(ctx, tc.secret)
		if tc.ok {
			if err != nil || p.UserName != "ada" || p.TokenID != tok.ID {
				t.Errorf("%s: %+v, %v", tc.name, p, err)
			}
			continue
		}
		if !lathe.IsCode(err, lathe.EUNAUTHORIZED) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%s: err = %v, want unauthorized mentioning %q", tc.name, err, tc.mention)
		}
	}
}

func TestTouchIsThrottled(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	st := &memStore{tokens: map[string]*lathe.Token{}, users: map[string]*lathe.User{"u1": {ID: "u1", Name: "ada"}}}
	svc, _ := auth.New(auth.Options{Store: st, Secret: make([]byte, 32), Now: func() time.Time { return now }, TouchEvery: time.Minute})
	secret, _, _ := svc.Issue(t.Context(), "u1", "", nil)
	for i := 0; i < 50; i++ {
		if _, err := svc.Authenticate(t.Context(), secret); err != nil {
			t.Fatal(err)
		}
	}
	if st.touches != 1 {
		t.Fatalf("50 uses within a minute wrote last_used %d times, want 1", st.touches)
	}
	now = now.Add(2 * time.Minute)
	_, _ = svc.Authenticate(t.Context(), secret)
	if st.touches != 2 {
		t.Fatalf("after a minute: %d touches, want 2", st.touches)
	}
}

func TestShortSecretRefused(t *testing.T) {
	t.Parallel()
	if _, err := auth.New(auth.Options{Secret: []byte("short")}); err == nil {
		t.Fatal("a 5-byte secret was accepted")
	}
}
