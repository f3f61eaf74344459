package cli

import (
	"strings"
	"testing"

	"github.com/latheml/lathe/internal/spec"
)

func TestParseBytes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{"1024", 1024, false},
		{"4Gi", 4 << 30, false},
		{"512Mi", 512 << 20, false},
		{"2G", 2e9, false},
		{"1.5Ki", 1536, false},
		{"0", 0, true},
		{"-1Gi", 0, true},
		{"lots", 0, true},
	} {
		got, err := parseBytes(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

func TestComputeRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, yml, want string
	}{
		{"local", "name: small\ntype: local\ndescription: d\n", ""},
		{"scaling refused", "name: small\ntype: local\nmax_instances: 4\n", "compute.yml:3"},
		{"kubernetes not served", "name: k\ntype: kubernetes\n", "not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, err := spec.ParseKind(spec.KindCompute, "compute.yml", []byte(tc.yml))
			if err == nil {
				req, cerr := computeRequest(doc.(*spec.Compute))
				if err = cerr; err == nil && tc.want == "" {
					if req.Name != "small" || req.Type != "local" || req.Description != "d" {
						t.Errorf("request = %+v", req)
					}
					return
				}
			}
			if tc.want == "" || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
