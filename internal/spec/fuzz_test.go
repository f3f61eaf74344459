package spec

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/latheml/lathe"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, and every
// refusal must be a *lathe.Error, so the CLI and API can show it as one.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"testdata/azure", "testdata/good", "testdata/bad"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yml"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("command: echo ${{inputs.x}}\ninputs:\n  x: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		doc, err := Parse("fuzz.yml", src)
		if err != nil {
			var le *lathe.Error
			if !errors.As(err, &le) {
				t.Fatalf("Parse error is %T, not *lathe.Error: %v", err, err)
			}
			return
		}
		if doc == nil {
			t.Fatal("Parse returned neither a document nor an error")
		}
		_ = CheckSupported(doc)
	})
}

// FuzzBind checks the command template language on arbitrary text: Bind
// never panics, and a template References accepts binds when every name it
// references has a value.
func FuzzBind(f *testing.F) {
	for _, s := range []string{
		"python train.py --lr ${{inputs.lr}} $[[--opt ${{inputs.opt}}]]",
		"echo ${{outputs.model}} ]] }} [[ -f x ]]",
		"$[[ ${{inputs.a}} $[[ nested ]] ]]",
		"${{ inputs.x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tmpl string) {
		refs, err := References(tmpl)
		if err != nil {
			_, berr := Bind(tmpl, nil, nil)
			if berr == nil {
				t.Fatalf("References refused %q (%v) but Bind accepted it", tmpl, err)
			}
			return
		}
		values := map[string]string{}
		for _, r := range refs {
			values[r.Key()] = "v"
		}
		if _, err := Bind(tmpl, values, nil); err != nil {
			t.Fatalf("Bind(%q) with every reference set: %v", tmpl, err)
		}
	})
}
