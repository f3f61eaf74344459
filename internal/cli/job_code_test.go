package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestGlobMatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"*.pyc", "a.pyc", true},
		{"*.pyc", "a.py", false},
		{"?.txt", "a.txt", true},
		{"?.txt", "ab.txt", false},
		{"[ab].txt", "b.txt", true},
		{"data/*.csv", "data/x.csv", true},
		{"data/*.csv", "data/sub/x.csv", false},
		{"**/x.csv", "x.csv", true},
		{"**/x.csv", "a/b/x.csv", true},
		{"a/**", "a/b/c", true},
		{"a/**", "b/c", false},
		{"a/**/z", "a/z", true},
		{"a/**/z", "a/b/c/z", true},
		{"a/**/z", "a/b/c/y", false},
		{"*", "a/b", false}, // '*' does not cross '/'
	} {
		if got := globMatch(tc.pattern, tc.name); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}

func TestIgnoreRules(t *testing.T) {
	t.Parallel()
	const root = `# build outputs
*.pyc
/build
data/
!keep.pyc
logs/*.log
\#hash
docs/**/*.tmp
`
	g := &ignorer{rules: append(parseIgnore("", root), parseIgnore("sub", "local.txt\n/anchored.txt\n!data/\n")...)}
	for _, tc := range []struct {
		path  string
		dir   bool
		want  bool
		about string
	}{
		{"x.pyc", false, true, "glob at the root"},
		{"a/b/x.pyc", false, true, "a pattern without '/' matches at any depth"},
		{"keep.pyc", false, false, "'!' re-includes"},
		{"build", true, true, "leading '/' anchors"},
		{"src/build", true, false, "anchored pattern does not match deeper"},
		{"data", true, true, "trailing '/' matches a folder"},
		{"data", false, false, "trailing '/' does not match a file"},
		{"src/data", true, true, "folder pattern at any depth"},
		{"logs/a.log", false, true, "inner '/' anchors"},
		{"x/logs/a.log", false, false, "inner '/' anchors to the root"},
		{"#hash", false, true, "escaped '#'"},
		{"# build outputs", false, false, "comments are not patterns"},
		{"docs/a/b/c.tmp", false, true, "'**' in the middle"},
		{"docs/c.tmp", false, true, "'**' matches no folder"},
		{"sub/local.txt", false, true, "nested ignore file"},
		{"local.txt", false, false, "nested rules stay in their folder"},
		{"sub/deep/local.txt", false, true, "nested rule at any depth below it"},
		{"sub/anchored.txt", false, true, "anchored to the nested folder"},
		{"sub/deep/anchored.txt", false, false, "anchored, not deeper"},
		{"sub/data", true, false, "a later, deeper '!' wins"},
		{"main.py", false, false, "unmatched files stay"},
	} {
		if got := g.ignored(tc.path, tc.dir); got != tc.want {
			t.Errorf("%s: ignored(%q, dir=%v) = %v, want %v", tc.about, tc.path, tc.dir, got, tc.want)
		}
	}
}

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, body := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestScanCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name:  "no ignore files",
			files: map[string]string{"main.py": "print(1)", "lib/util.py": "x", ".git/HEAD": "ref"},
			want:  []string{"lib/util.py", "main.py"},
		},
		{
			name: "gitignore and amlignore",
			files: map[string]string{
				".gitignore": "*.pyc\n__pycache__/\n", ".amlignore": "data/\n!data/keep.csv\nsecret.txt\n",
				"main.py": "x", "a.pyc": "x", "__pycache__/m.pyc": "x", "data/big.csv": "x", "data/keep.csv": "x", "secret.txt": "s",
			},
			// data/ is excluded as a folder, so data/keep.csv cannot come back (as in git).
			want: []string{".amlignore", ".gitignore", "main.py"},
		},
		{
			name: "nested ignore file and negation",
			files: map[string]string{
				".amlignore": "*.log\n", "run.log": "x", "src/.amlignore": "!important.log\n/tmp.txt\n",
				"src/important.log": "x", "src/other.log": "x", "src/tmp.txt": "x", "src/deep/tmp.txt": "x",
			},
			want: []string{".amlignore", "src/.amlignore", "src/deep/tmp.txt", "src/important.log"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeTree(t, dir, tc.files)
			files, err := scanCode(dir)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range files {
				got = append(got, f.Path)
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("files = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestScanCodeErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"f.txt": "x"})
	for _, p := range []string{filepath.Join(dir, "missing"), filepath.Join(dir, "f.txt")} {
		if _, err := scanCode(p); err == nil {
			t.Errorf("scanCode(%s): no error", p)
		}
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://user:tok@github.com/a/b.git": "https://github.com/a/b.git",
		"https://github.com/a/b.git":          "https://github.com/a/b.git",
		"git@github.com:a/b.git":              "git@github.com:a/b.git",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGitInfo(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	if st := gitInfo(context.Background(), dir); st != (gitState{}) {
		t.Errorf("a folder outside a repository has git state %+v", st)
	}
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "trunk")
	writeTree(t, dir, map[string]string{"src/main.py": "x"})
	git("add", ".")
	git("commit", "-q", "-m", "first")
	git("remote", "add", "origin", "https://me:secret@example.com/repo.git")
	head := git("rev-parse", "HEAD")
	st := gitInfo(context.Background(), filepath.Join(dir, "src"))
	want := gitState{commit: head, branch: "trunk", remote: "https://example.com/repo.git"}
	if st != want {
		t.Errorf("clean: %+v, want %+v", st, want)
	}
	writeTree(t, dir, map[string]string{"src/main.py": "changed"})
	if st := gitInfo(context.Background(), filepath.Join(dir, "src")); !st.dirty || st.commit != head {
		t.Errorf("after a change: %+v, want dirty", st)
	}
}
