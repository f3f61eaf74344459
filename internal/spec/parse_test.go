package spec

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latheml/lathe"
)

// wants reads the "# want: L:C message" lines at the top of a bad file.
func wants(t *testing.T, src []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "# want: ") {
			continue
		}
		w := strings.TrimPrefix(line, "# want: ")
		pos, msg, ok := strings.Cut(w, " ")
		if !ok {
			t.Fatalf("bad want line %q", line)
		}
		out = append(out, pos+": "+msg)
	}
	if len(out) == 0 {
		t.Fatal("no # want: lines")
	}
	return out
}

// TestBadFiles parses every file in testdata/bad and checks that the error
// lists exactly the problems its "# want:" lines name, at their lines and
// columns.
func TestBadFiles(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/bad/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := wants(t, src)
			_, err = Parse(f, src)
			if err == nil {
				t.Fatalf("Parse succeeded; want errors:\n%s", strings.Join(want, "\n"))
			}
			if code := lathe.ErrorCode(err); code != lathe.EINVALID {
				t.Errorf("code = %s, want %s", code, lathe.EINVALID)
			}
			got := strings.Split(err.Error(), "\n")
			missing := false
			for _, w := range want {
				found := false
				for _, g := range got {
					if strings.HasPrefix(g, f+":") && strings.Contains(g, w) {
						found = true
					}
				}
				if !found {
					missing = true
					t.Errorf("missing %s:%s", f, w)
				}
			}
			if missing {
				t.Logf("got:\n%s", err)
			} else if len(got) != len(want) {
				t.Errorf("got %d problems, want %d:\n%s", len(got), len(want), err)
			}
		})
	}
}
