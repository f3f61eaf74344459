package data

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/latheml/lathe"
)

// KeySize is the length of the credentials key: AES-256.
const KeySize = 32

// sealVersion is the first byte of every sealed blob, so the format can
// change without guessing.
const sealVersion = 1

// sealer encrypts datastore credentials with AES-256-GCM. Each sealed blob
// is bound to its workspace and datastore name (the GCM additional data),
// so a blob copied to another row does not open.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) != KeySize {
		return nil, lathe.Errorf(lathe.EINVALID, "the data key is %d bytes; it must be %d (AES-256)", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("data key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("data key: %w", err)
	}
	return &sealer{aead: aead}, nil
}

func sealAD(ws, name string) []byte { return []byte("lathe-datastore\x00" + ws + "\x00" + name) }

// seal encrypts plain for the datastore ws/name.
func (s *sealer) seal(ws, name string, plain []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails on supported platforms
	out := append([]byte{sealVersion}, nonce...)
	return s.aead.Seal(out, nonce, plain, sealAD(ws, name))
}

// open decrypts a blob sealed for ws/name.
func (s *sealer) open(ws, name string, sealed []byte) ([]byte, error) {
	ns := s.aead.NonceSize()
	if len(sealed) < 1+ns+s.aead.Overhead() || sealed[0] != sealVersion {
		return nil, lathe.Errorf(lathe.ECORRUPT, "the stored credentials of datastore %q are damaged; delete the datastore and create it again", name)
	}
	plain, err := s.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], sealAD(ws, name))
	if err != nil {
		return nil, lathe.Errorf(lathe.ECORRUPT, "the stored credentials of datastore %q do not open with this server's data key: "+
			"it was sealed with another key (restore <data-dir>/data.key or LATHE_SECRET_KEY), or the row was tampered with", name)
	}
	return plain, nil
}

// ParseKey reads a data key as given in LATHE_SECRET_KEY: 64 hex digits or
// the standard base64 of 32 bytes.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	return nil, lathe.Errorf(lathe.EINVALID, "the data key must be 32 bytes written as 64 hex digits or in base64 (e.g. `openssl rand -hex 32`)")
}

// LoadKeyFile reads the 32-byte key file at path, creating it with random
// bytes (mode 0600) if it does not exist. write creates a file atomically.
func LoadKeyFile(path string, write func(path string, b []byte, mode os.FileMode) error) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) != KeySize {
			return nil, lathe.Errorf(lathe.EINVALID, "data key file %s is %d bytes, not %d; restore it from a backup (the datastores' credentials cannot be read without it)", path, len(b), KeySize)
		}
		return b, nil
	}
	if !os.IsNotExist(err) {
		return nil, fmt.Errorf("read data key: %w", err)
	}
	b = make([]byte, KeySize)
	_, _ = rand.Read(b)
	if err := write(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("write data key: %w", err)
	}
	return b, nil
}
