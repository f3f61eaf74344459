package profile

import (
	"encoding/binary"
	"math/bits"
)

// hash64 is a fixed, unseeded 64-bit hash of b for the HyperLogLog sketch: it
// must be the same in every process, which rules out hash/maphash. It reads
// 8 bytes at a time, mixes each word with a multiply-rotate-multiply round
// and ends with the SplitMix64 finalizer, so every input bit reaches every
// output bit.
func hash64(b []byte) uint64 {
	const (
		k1 = 0x9E3779B97F4A7C15
		k2 = 0xC2B2AE3D27D4EB4F
		k3 = 0x165667B19E3779F9
	)
	h := uint64(len(b))*k1 ^ k3
	for len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b)
		h ^= bits.RotateLeft64(w*k2, 31) * k1
		h = bits.RotateLeft64(h, 27)*k1 + k3
		b = b[8:]
	}
	if len(b) > 0 {
		var w uint64
		for i := len(b) - 1; i >= 0; i-- {
			w = w<<8 | uint64(b[i])
		}
		h ^= bits.RotateLeft64(w*k2, 31) * k1
		h = bits.RotateLeft64(h, 27)*k1 + k3
	}
	return mix64(h)
}

// mix64 is the SplitMix64 finalizer.
func mix64(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 27
	h *= 0x94D049BB133111EB
	h ^= h >> 31
	return h
}
