package profile

import (
	"encoding/json"
	"strconv"
	"testing"
)

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func formatInt(n int64) string     { return strconv.FormatInt(n, 10) }
func formatFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
