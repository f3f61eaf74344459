package search

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"

	"github.com/latheml/lathe"
)

// MLflow's max_results limits (mlflow/store/tracking/__init__.py).
const (
	DefaultMaxResults   = 1000  // SEARCH_MAX_RESULTS_DEFAULT: runs/search when the request has none
	MaxResultsThreshold = 50000 // SEARCH_MAX_RESULTS_THRESHOLD, also MAX_EXPERIMENTS_LISTED_PER_PAGE
)

// ValidateRunMaxResults checks max_results of runs/search: at most 50000, as
// in MLflow. Zero is allowed and returns an empty page, as in MLflow;
// negative values (which MLflow passes to SQL unchecked) are rejected.
func ValidateRunMaxResults(n int64) error {
	if n > MaxResultsThreshold {
		return lathe.Errorf(lathe.EINVALID, "Invalid value for request parameter max_results. It must be at most %d, but got value %d", MaxResultsThreshold, n)
	}
	if n < 0 {
		return lathe.Errorf(lathe.EINVALID, "Invalid value for request parameter max_results. It must be at least 0, but got value %d", n)
	}
	return nil
}

// ValidateExperimentMaxResults checks max_results of experiments/search:
// from 1 to 50000, as in MLflow.
func ValidateExperimentMaxResults(n int64) error {
	if n < 1 {
		return lathe.Errorf(lathe.EINVALID, "Invalid value for request parameter max_results. It must be a positive integer, but got %d", n)
	}
	if n > MaxResultsThreshold {
		return lathe.Errorf(lathe.EINVALID, "Invalid value for request parameter max_results. It must be at most %d, but got value %d", MaxResultsThreshold, n)
	}
	return nil
}

// maxPageToken is the longest page token accepted; the ones EncodePageToken
// makes are under 40 bytes.
const maxPageToken = 256

// EncodePageToken returns the page token for the page that starts at
// offset: standard base64 of the JSON {"offset": n}, byte for byte what
// MLflow's server sends (for example "eyJvZmZzZXQiOiAxfQ==" for 1).
func EncodePageToken(offset int) string {
	return base64.StdEncoding.EncodeToString([]byte(`{"offset": ` + strconv.Itoa(offset) + `}`))
}

// DecodePageToken returns the offset in a page token made by
// EncodePageToken or by MLflow; "" is offset 0. Padded or unpadded,
// standard or URL-safe base64 are accepted; the offset may be a JSON number
// or a decimal string, and must not be negative. Errors are EINVALID with
// MLflow's messages.
func DecodePageToken(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	if len(s) > maxPageToken {
		return 0, lathe.Errorf(lathe.EINVALID, "Invalid page token, it is %d characters long; tokens this server issues are shorter", len(s))
	}
	raw, ok := decodeBase64(s)
	if !ok {
		return 0, lathe.Errorf(lathe.EINVALID, "Invalid page token, could not base64-decode")
	}
	var tok map[string]json.RawMessage
	if err := json.Unmarshal(raw, &tok); err != nil {
		return 0, lathe.Errorf(lathe.EINVALID, "Invalid page token, decoded value=%q", raw)
	}
	field, ok := tok["offset"]
	if !ok {
		return 0, lathe.Errorf(lathe.EINVALID, "Invalid page token, parsed value=%s", bytes.TrimSpace(raw))
	}
	text := string(field)
	var str string
	if json.Unmarshal(field, &str) == nil {
		text = str
	}
	n, err := strconv.Atoi(text)
	if err != nil {
		return 0, lathe.Errorf(lathe.EINVALID, "Invalid page token, not stringable %s", clip(string(field)))
	}
	if n < 0 {
		return 0, lathe.Errorf(lathe.EINVALID, "Invalid page token, offset must be non-negative")
	}
	return n, nil
}

func decodeBase64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}
