package search

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/latheml/lathe"
)

func TestPageToken(t *testing.T) {
	t.Parallel()
	// The tokens MLflow 2.7 sent in the recording (seqs 55, 77-80).
	recorded := map[int]string{
		1: "eyJvZmZzZXQiOiAxfQ==",
		2: "eyJvZmZzZXQiOiAyfQ==",
		3: "eyJvZmZzZXQiOiAzfQ==",
		4: "eyJvZmZzZXQiOiA0fQ==",
	}
	for offset, tok := range recorded {
		if got := EncodePageToken(offset); got != tok {
			t.Errorf("EncodePageToken(%d) = %q, want %q", offset, got, tok)
		}
		if got, err := DecodePageToken(tok); err != nil || got != offset {
			t.Errorf("DecodePageToken(%q) = %d, %v, want %d", tok, got, err, offset)
		}
	}
	for _, n := range []int{0, 7, 1000, 49999, 1 << 40} {
		if got, err := DecodePageToken(EncodePageToken(n)); err != nil || got != n {
			t.Errorf("round trip %d: %d, %v", n, got, err)
		}
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	valid := map[string]int{
		"":                            0,
		"eyJvZmZzZXQiOiAxfQ":          1, // unpadded
		b64(`{"offset":"12"}`):        12,
		b64(` {"offset": 5, "x": 1}`): 5,
		base64.URLEncoding.EncodeToString([]byte(`{"offset": 62}`)): 62,
	}
	for tok, want := range valid {
		if got, err := DecodePageToken(tok); err != nil || got != want {
			t.Errorf("DecodePageToken(%q) = %d, %v, want %d", tok, got, err, want)
		}
	}
	invalid := map[string]string{
		"not base64!":                           "Invalid page token, could not base64-decode",
		b64("garbage"):                          `Invalid page token, decoded value="garbage"`,
		b64(`[1]`):                              `Invalid page token, decoded value="[1]"`,
		b64(`{"offsett": 1}`):                   `Invalid page token, parsed value={"offsett": 1}`,
		b64(`{"offset": "x"}`):                  `Invalid page token, not stringable "x"`,
		b64(`{"offset": 1.5}`):                  `Invalid page token, not stringable 1.5`,
		b64(`{"offset": null}`):                 `Invalid page token, not stringable null`,
		b64(`{"offset": -1}`):                   "Invalid page token, offset must be non-negative",
		b64(`{"offset": 1e99}`):                 "Invalid page token, not stringable 1e99",
		strings.Repeat("A", 300):                "Invalid page token, it is 300 characters long; tokens this server issues are shorter",
		b64(`{"offset": 99999999999999999999}`): "Invalid page token, not stringable 99999999999999999999",
	}
	for tok, msg := range invalid {
		_, err := DecodePageToken(tok)
		if !lathe.IsCode(err, lathe.EINVALID) || lathe.ErrorMessage(err) != msg {
			t.Errorf("DecodePageToken(%q) = %v, want EINVALID %q", tok, err, msg)
		}
	}
}

func TestMaxResults(t *testing.T) {
	t.Parallel()
	runs := []struct {
		n   int64
		msg string
	}{
		{0, ""},
		{1, ""},
		{DefaultMaxResults, ""},
		{50000, ""},
		{50001, "Invalid value for request parameter max_results. It must be at most 50000, but got value 50001"},
		{10000000000, "Invalid value for request parameter max_results. It must be at most 50000, but got value 10000000000"},
		{-1, "Invalid value for request parameter max_results. It must be at least 0, but got value -1"},
	}
	for _, tc := range runs {
		checkMessage(t, "ValidateRunMaxResults", tc.n, ValidateRunMaxResults(tc.n), tc.msg)
	}
	exps := []struct {
		n   int64
		msg string
	}{
		{1, ""},
		{1000, ""},
		{50000, ""},
		{0, "Invalid value for request parameter max_results. It must be a positive integer, but got 0"},
		{-5, "Invalid value for request parameter max_results. It must be a positive integer, but got -5"},
		{50001, "Invalid value for request parameter max_results. It must be at most 50000, but got value 50001"},
	}
	for _, tc := range exps {
		checkMessage(t, "ValidateExperimentMaxResults", tc.n, ValidateExperimentMaxResults(tc.n), tc.msg)
	}
}

func checkMessage(t *testing.T, fn string, n int64, err error, msg string) {
	t.Helper()
	if msg == "" {
		if err != nil {
			t.Errorf("%s(%d) = %v", fn, n, err)
		}
		return
	}
	if !lathe.IsCode(err, lathe.EINVALID) || err.Error() != msg {
		t.Errorf("%s(%d) = %v, want EINVALID %q", fn, n, err, msg)
	}
}
