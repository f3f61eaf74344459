package lathe

import (
	"encoding/hex"
	"strings"
)

// Digest is a content address: "sha256:" followed by 64 lower-case hex digits.
type Digest string

// DigestPrefix is the algorithm prefix every Digest carries.
const DigestPrefix = "sha256:"

// NewDigest returns the Digest of a raw 32-byte sha256 sum.
func NewDigest(sum []byte) Digest { return Digest(DigestPrefix + hex.EncodeToString(sum)) }

// ParseDigest accepts "sha256:<hex>" or a bare 64-digit hex string and returns
// the canonical Digest.
func ParseDigest(s string) (Digest, error) {
	d := Digest(s)
	if !strings.HasPrefix(s, DigestPrefix) {
		if alg, _, ok := strings.Cut(s, ":"); ok {
			return "", Errorf(EINVALID, "digest algorithm %q is not supported; use sha256:<64 hex digits>", truncate(alg, 20))
		}
		d = Digest(DigestPrefix + s)
	}
	if err := d.Validate(); err != nil {
		return "", err
	}
	return d, nil
}

// Validate checks the form of d.
func (d Digest) Validate() error {
	s := string(d)
	if !strings.HasPrefix(s, DigestPrefix) {
		return Errorf(EINVALID, "digest %q must start with %q", truncate(s, 80), DigestPrefix)
	}
	h := s[len(DigestPrefix):]
	if len(h) != 64 {
		return Errorf(EINVALID, "digest %q must have 64 hex digits after %q, has %d", truncate(s, 80), DigestPrefix, len(h))
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return Errorf(EINVALID, "digest %q has a character that is not lower-case hex at position %d", truncate(s, 80), len(DigestPrefix)+i)
		}
	}
	return nil
}

// Hex returns the 64 hex digits without the algorithm prefix.
func (d Digest) Hex() string { return strings.TrimPrefix(string(d), DigestPrefix) }

// String implements fmt.Stringer.
func (d Digest) String() string { return string(d) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
