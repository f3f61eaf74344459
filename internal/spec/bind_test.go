package spec

import (
	"reflect"
	"strings"
	"testing"

	"github.com/latheml/lathe"
)

func TestBind(t *testing.T) {
	t.Parallel()
	values := map[string]string{
		"inputs.data":   "/in/data",
		"inputs.lr":     "0.1",
		"outputs.model": "/out/model",
		"inputs.space":  "a b",
	}
	optional := map[string]bool{"inputs.epochs": true, "inputs.seed": true}
	for _, tc := range []struct {
		name, tmpl, want, err string
	}{
		{"plain text", "echo hello", "echo hello", ""},
		{"input and output", "python t.py --data ${{inputs.data}} --out ${{outputs.model}}", "python t.py --data /in/data --out /out/model", ""},
		{"spaces inside braces", "x ${{ inputs.lr }}", "x 0.1", ""},
		{"value inserted verbatim, no quoting", "echo ${{inputs.space}}", "echo a b", ""},
		{"set optional fragment kept", "t $[[--lr ${{inputs.lr}}]] end", "t --lr 0.1 end", ""},
		{"unset optional fragment dropped", "t $[[--epochs ${{inputs.epochs}}]] end", "t  end", ""},
		{"fragment dropped when any optional is unset", "t $[[--lr ${{inputs.lr}} --seed ${{inputs.seed}}]]", "t ", ""},
		{"two fragments", "$[[a=${{inputs.epochs}}]]$[[b=${{inputs.lr}}]]", "b=0.1", ""},
		{"shell brackets are text", "if [[ -f x ]]; then echo ${{inputs.lr}}; fi", "if [[ -f x ]]; then echo 0.1; fi", ""},
		{"shell variables are text", "echo ${HOME} $PATH }}", "echo ${HOME} $PATH }}", ""},
		{"multi-line", "a\n  ${{inputs.lr}}\n", "a\n  0.1\n", ""},
		{"undefined input", "echo ${{inputs.nope}}", "", `command line 1, column 6: ${{inputs.nope}} refers to an undefined input "nope"`},
		{"undefined output on line 2", "a\nb ${{outputs.x}}", "", `command line 2, column 3: ${{outputs.x}} refers to an undefined output "x"`},
		{"unset optional outside fragment", "t ${{inputs.epochs}}", "", `command line 1, column 3: input "epochs" has no value; it is optional, so put the part of the command that uses it in $[[ ... ]]`},
		{"undefined inside fragment", "t $[[--x ${{inputs.nope}}]]", "", `undefined input "nope"`},
		{"unclosed expression", "echo ${{inputs.lr", "", `command line 1, column 6: ${{ is not closed; end the expression with }} on the same line`},
		{"expression across lines", "echo ${{inputs.\nlr}}", "", `${{ is not closed`},
		{"empty expression", "echo ${{ }}", "", `${{}} is empty`},
		{"bad name", "echo ${{inputs.a-b}}", "", `"a-b" is not a name`},
		{"double dot", "echo ${{inputs..x}}", "", `"" is not a name`},
		{"nested fragment", "$[[ a $[[ b ${{inputs.lr}} ]] ]]", "", `command line 1, column 7: $[[ inside the optional fragment opened at line 1, column 1: fragments cannot nest`},
		{"unclosed fragment", "x $[[--lr ${{inputs.lr}}", "", `command line 1, column 3: $[[ is not closed`},
		{"fragment naming nothing", "x $[[--verbose]]", "", `names no input`},
		{"expression opened twice", "${{inputs.lr ${{inputs.lr}}", "", `${{ is not closed before the next ${{`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Bind(tc.tmpl, values, optional)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Bind(%q) error = %v, want %q", tc.tmpl, err, tc.err)
				}
				if !lathe.IsCode(err, lathe.EINVALID) {
					t.Errorf("code = %s", lathe.ErrorCode(err))
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Bind(%q) = %q, %v; want %q", tc.tmpl, got, err, tc.want)
			}
		})
	}
}

func TestReferences(t *testing.T) {
	t.Parallel()
	tmpl := "a ${{inputs.x}} $[[--y ${{inputs.y}}]] ${{outputs.z}} ${{parent.jobs.s.outputs.o}}"
	refs, err := References(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range refs {
		keys = append(keys, r.Key())
		if tmpl[r.Offset:r.End] != r.String() {
			t.Errorf("%s spans %q", r, tmpl[r.Offset:r.End])
		}
	}
	if !reflect.DeepEqual(keys, []string{"inputs.x", "inputs.y", "outputs.z", "parent.jobs.s.outputs.o"}) {
		t.Errorf("keys = %v", keys)
	}
	if refs[0].Optional || !refs[1].Optional || refs[2].Optional {
		t.Errorf("optional flags = %v %v %v", refs[0].Optional, refs[1].Optional, refs[2].Optional)
	}
	if _, err := References("${{x"); err == nil {
		t.Error("References accepted an unclosed expression")
	}
}
