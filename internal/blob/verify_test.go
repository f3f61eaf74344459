package blob_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/blob"
)

func TestVerifyingReader(t *testing.T) {
	t.Parallel()
	data := randomBytes(100 << 10)
	bad := bytes.Clone(data)
	bad[len(bad)-1] ^= 1
	tests := []struct {
		name string
		data []byte
		want lathe.Digest
		code string
	}{
		{"good", data, digest(data), ""},
		{"empty", nil, digest(nil), ""},
		{"flipped byte", bad, digest(data), lathe.ECORRUPT},
		{"truncated", data[:len(data)-1], digest(data), lathe.ECORRUPT},
		{"empty but expected bytes", nil, digest(data), lathe.ECORRUPT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := blob.NewVerifyingReader(io.NopCloser(iotest.HalfReader(bytes.NewReader(tc.data))), tc.want)
			got, err := io.ReadAll(v)
			if code := lathe.ErrorCode(err); code != tc.code {
				t.Fatalf("ReadAll error = %v (code %q); want code %q", err, code, tc.code)
			}
			if !bytes.Equal(got, tc.data) {
				t.Fatalf("ReadAll returned %d bytes; want all %d", len(got), len(tc.data))
			}
			if tc.code != "" {
				if _, again := v.Read(make([]byte, 1)); !errors.Is(again, err) {
					t.Fatalf("second Read error = %v; want the same sticky error", again)
				}
			}
			if err := v.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
		})
	}
}
