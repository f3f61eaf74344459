package lathe

import (
	"crypto/rand"
	"encoding/hex"
)

// NewID returns a fresh random identifier: 32 lower-case hex digits (128 bits),
// the same shape MLflow uses for run IDs. Services call it; stores never
// invent IDs.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}
