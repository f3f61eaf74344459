package lathe_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/latheml/lathe"
)

func TestParseDigest(t *testing.T) {
	t.Parallel()
	hex := strings.Repeat("ab", 32)
	tests := []struct {
		in, want, mention string
	}{
		{"sha256:" + hex, "sha256:" + hex, ""},
		{hex, "sha256:" + hex, ""},
		{"sha256:" + strings.ToUpper(hex), "", "lower-case hex"},
		{"sha256:" + hex[:10], "", "64 hex digits"},
		{"md5:" + hex, "", "not supported"},
		{"../../etc/passwd", "", "64 hex digits"},
		{"", "", "64 hex digits"},
	}
	for _, tc := range tests {
		got, err := lathe.ParseDigest(tc.in)
		if string(got) != tc.want {
			t.Errorf("ParseDigest(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if tc.mention != "" && (err == nil || !strings.Contains(err.Error(), tc.mention) || !lathe.IsCode(err, lathe.EINVALID)) {
			t.Errorf("ParseDigest(%q) err = %v, want invalid mentioning %q", tc.in, err, tc.mention)
		}
	}
}

func TestValidateName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ok   bool
	}{
		{"default", true}, {"team-a_2.0", true}, {"A", true},
		{"", false}, {"-x", false}, {".hidden", false}, {"..", false}, {"a/b", false},
		{"a b", false}, {"é", false}, {strings.Repeat("a", 256), false}, {strings.Repeat("a", 255), true},
	}
	for _, tc := range tests {
		err := lathe.ValidateName("workspace", tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "workspace") {
			t.Errorf("message %q does not name the kind", err)
		}
	}
}

func TestErrorCodes(t *testing.T) {
	t.Parallel()
	base := lathe.Errorf(lathe.ENOTFOUND, "run %s not found", "r1")
	wrapped := fmt.Errorf("get run: %w", base)
	if lathe.ErrorCode(wrapped) != lathe.ENOTFOUND || !lathe.IsCode(wrapped, lathe.ENOTFOUND) {
		t.Error("code lost through wrapping")
	}
	if lathe.ErrorMessage(wrapped) != "get run: run r1 not found" {
		t.Errorf("ErrorMessage = %q", lathe.ErrorMessage(wrapped))
	}
	plain := errors.New("disk on fire at /secret/path")
	if lathe.ErrorCode(plain) != lathe.EINTERNAL || strings.Contains(lathe.ErrorMessage(plain), "secret") {
		t.Error("internal errors must not leak their text")
	}
	if lathe.ErrorCode(nil) != "" || lathe.ErrorMessage(nil) != "" {
		t.Error("nil error should have no code or message")
	}
}

func TestTokenActive(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	tests := []struct {
		name string
		tok  lathe.Token
		want bool
	}{
		{"plain", lathe.Token{}, true},
		{"expires later", lathe.Token{ExpiresAt: &future}, true},
		{"expired", lathe.Token{ExpiresAt: &past}, false},
		{"expires now", lathe.Token{ExpiresAt: &now}, false},
		{"revoked", lathe.Token{RevokedAt: &past}, false},
	}
	for _, tc := range tests {
		if got := tc.tok.Active(now); got != tc.want {
			t.Errorf("%s: Active = %v, want %v", tc.name, got, tc.want)
		}
	}
	if a, b := lathe.NewID(), lathe.NewID(); len(a) != 32 || a == b {
		t.Errorf("NewID gave %q and %q", a, b)
	}
}
