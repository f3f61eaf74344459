package cli

import (
	"path/filepath"
	"testing"

	"github.com/latheml/lathe/internal/spec"
)

func TestSplitEnvRef(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, name, version string
		bad               bool
	}{
		{"sk", "sk", "latest", false},
		{"sk:3", "sk", "3", false},
		{"sk@latest", "sk", "latest", false},
		{"azureml:sk:2", "sk", "2", false},
		{"azureml:sk@latest", "sk", "latest", false},
		{"sk@prod", "", "", true},
		{"sk:", "", "", true},
		{"-bad", "", "", true},
	} {
		n, v, err := splitEnvRef(tc.in)
		if (err != nil) != tc.bad || n != tc.name || v != tc.version {
			t.Errorf("splitEnvRef(%q) = %q, %q, %v; want %q, %q, error %v", tc.in, n, v, err, tc.name, tc.version, tc.bad)
		}
	}
}

func TestEnvRequest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"conda.yml": "dependencies:\n  - pip:\n    - requests\n", "req.txt": "pandas==2.2\n"})
	for _, tc := range []struct {
		name, yml        string
		conda, reqs, img string
	}{
		{"conda file", "name: e\nversion: 2\nconda_file: conda.yml\n", "dependencies:\n  - pip:\n    - requests\n", "", ""},
		{"requirements", "name: e\nrequirements_file: req.txt\nimage: python:3.12\n", "", "pandas==2.2\n", "python:3.12"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, err := spec.ParseKind(spec.KindEnvironment, filepath.Join(dir, "env.yml"), []byte(tc.yml))
			if err != nil {
				t.Fatal(err)
			}
			req, err := envRequest(doc.(*spec.Environment), dir, readSpecFile)
			if err != nil {
				t.Fatal(err)
			}
			if req.CondaFile != tc.conda || req.Requirements != tc.reqs || req.Image != tc.img {
				t.Errorf("request = %+v", req)
			}
		})
	}
	doc, err := spec.ParseKind(spec.KindEnvironment, "env.yml", []byte("name: e\nconda_file: missing.yml\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := envRequest(doc.(*spec.Environment), dir, readSpecFile); err == nil {
		t.Error("a missing conda file is not an error")
	}
}
