package spec

import (
	"fmt"
	"strings"

	"github.com/latheml/lathe"
)

// Expr is one ${{...}} expression in a template.
type Expr struct {
	// Path is the dotted name split at the dots: ["inputs", "x"].
	Path []string
	// Offset and End are the byte offsets of "${{" and just past "}}".
	Offset int
	End    int
	// Optional is true inside a $[[ ... ]] fragment.
	Optional bool
}

// Key is the dotted name: "inputs.x", "parent.jobs.train.outputs.model".
func (e Expr) Key() string { return strings.Join(e.Path, ".") }

// String writes the expression in canonical form.
func (e Expr) String() string { return "${{" + e.Key() + "}}" }

// part is a piece of a parsed template: text, an expression, or a fragment.
type part struct {
	text string
	expr *Expr
	frag []part
	off  int // offset of a fragment's "$[["
}

// Delimiters of the grammar.
const (
	openExpr  = "${{"
	closeExpr = "}}"
	openFrag  = "$[["
	closeFrag = "]]"
)

// lineCol turns a byte offset in s into a 1-based line and column.
func lineCol(s string, off int) (int, int) {
	line, start := 1, 0
	for i := 0; i < off && i < len(s); i++ {
		if s[i] == '\n' {
			line, start = line+1, i+1
		}
	}
	return line, off - start + 1
}

// templateError is a grammar error at a byte offset of a template.
type templateError struct {
	off int
	msg string
}

func (e *templateError) Error() string { return e.msg }

// parseTemplate splits a template into parts, checking the grammar.
func parseTemplate(s string) ([]part, error) {
	var out []part
	var frag *part
	text := strings.Builder{}
	flush := func() {
		if text.Len() == 0 {
			return
		}
		p := part{text: text.String()}
		if frag != nil {
			frag.frag = append(frag.frag, p)
		} else {
			out = append(out, p)
		}
		text.Reset()
	}
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], openExpr):
			e, err := parseExpr(s, i)
			if err != nil {
				return nil, err
			}
			flush()
			e.Optional = frag != nil
			p := part{expr: e}
			if frag != nil {
				frag.frag = append(frag.frag, p)
			} else {
				out = append(out, p)
			}
			i = e.End
		case strings.HasPrefix(s[i:], openFrag):
			if frag != nil {
				return nil, &templateError{i, fmt.Sprintf("$[[ inside the optional fragment opened at %s: fragments cannot nest", where(s, frag.off))}
			}
			flush()
			frag = &part{off: i, frag: []part{}}
			i += len(openFrag)
		case frag != nil && strings.HasPrefix(s[i:], closeFrag):
			flush()
			n := 0
			for _, p := range frag.frag {
				if p.expr != nil {
					n++
				}
			}
			if n == 0 {
				return nil, &templateError{frag.off, "the optional fragment $[[...]] names no input; it would always be kept, so remove the $[[ ]] or put a ${{inputs.<name>}} in it"}
			}
			out = append(out, *frag)
			frag = nil
			i += len(closeFrag)
		default:
			text.WriteByte(s[i])
			i++
		}
	}
	if frag != nil {
		return nil, &templateError{frag.off, "$[[ is not closed; end the optional fragment with ]]"}
	}
	flush()
	return out, nil
}

// where describes an offset of s as "line L, column C".
func where(s string, off int) string {
	l, c := lineCol(s, off)
	return fmt.Sprintf("line %d, column %d", l, c)
}

// parseExpr reads the expression starting at s[i:] ("${{").
func parseExpr(s string, i int) (*Expr, error) {
	body := s[i+len(openExpr):]
	end := strings.Index(body, closeExpr)
	if nl := strings.IndexByte(body, '\n'); end < 0 || (nl >= 0 && nl < end) {
		return nil, &templateError{i, "${{ is not closed; end the expression with }} on the same line"}
	}
	if o := strings.Index(body[:end], openExpr); o >= 0 {
		return nil, &templateError{i, "${{ is not closed before the next ${{; end each expression with }}"}
	}
	inner := strings.Trim(body[:end], " \t")
	if inner == "" {
		return nil, &templateError{i, "${{}} is empty; write ${{inputs.<name>}} or ${{outputs.<name>}}"}
	}
	path := strings.Split(inner, ".")
	for _, seg := range path {
		if !isIdent(seg) {
			return nil, &templateError{i, fmt.Sprintf("${{%s}}: %q is not a name; names are letters, digits and _, separated by dots", clip(inner, 80), clip(seg, 40))}
		}
	}
	return &Expr{Path: path, Offset: i, End: i + len(openExpr) + end + len(closeExpr)}, nil
}

// References returns the expressions of a template in order, or an error
// (EINVALID) naming the line and column of the first grammar error.
func References(template string) ([]Expr, error) {
	parts, err := parseTemplate(template)
	if err != nil {
		return nil, templateErr(template, err)
	}
	var out []Expr
	var walk func([]part)
	walk = func(ps []part) {
		for _, p := range ps {
			switch {
			case p.expr != nil:
				out = append(out, *p.expr)
			case p.frag != nil:
				walk(p.frag)
			}
		}
	}
	walk(parts)
	return out, nil
}

func templateErr(s string, err error) error {
	te, ok := err.(*templateError)
	if !ok {
		return err
	}
	return lathe.Errorf(lathe.EINVALID, "command %s: %s", where(s, te.off), te.msg)
}

// describeKey names what an expression refers to: `input "x"`.
func describeKey(path []string) string {
	if len(path) == 2 {
		switch path[0] {
		case "inputs":
			return fmt.Sprintf("input %q", path[1])
		case "outputs":
			return fmt.Sprintf("output %q", path[1])
		case "search_space":
			return fmt.Sprintf("search space variable %q", path[1])
		}
	}
	return strings.Join(path, ".")
}

// Bind substitutes values into a template. values maps expression keys
// ("inputs.x", "outputs.y") to their text; optional marks keys that may be
// unset (an optional input given no value). A $[[...]] fragment naming an
// unset optional key is dropped whole; any other expression without a value
// is an error that names it and its line and column in the template. Values
// are inserted as they are, with no shell quoting (as Azure ML does).
func Bind(template string, values map[string]string, optional map[string]bool) (string, error) {
	parts, err := parseTemplate(template)
	if err != nil {
		return "", templateErr(template, err)
	}
	var sb strings.Builder
	var errs []string
	dropped := 0
	missing := func(e *Expr) {
		if len(errs) >= MaxProblems {
			dropped++
			return
		}
		what := describeKey(e.Path)
		if optional[e.Key()] {
			errs = append(errs, fmt.Sprintf("command %s: %s has no value; it is optional, so put the part of the command that uses it in $[[ ... ]]", where(template, e.Offset), what))
		} else {
			errs = append(errs, fmt.Sprintf("command %s: %s refers to an undefined %s", where(template, e.Offset), e, what))
		}
	}
	for _, p := range parts {
		switch {
		case p.expr != nil:
			v, ok := values[p.expr.Key()]
			if !ok {
				missing(p.expr)
			}
			sb.WriteString(v)
		case p.frag != nil:
			drop := false
			for _, q := range p.frag {
				if q.expr == nil {
					continue
				}
				if _, ok := values[q.expr.Key()]; ok {
					continue
				}
				if optional[q.expr.Key()] {
					drop = true
				} else {
					missing(q.expr)
				}
			}
			if drop {
				continue
			}
			for _, q := range p.frag {
				if q.expr != nil {
					sb.WriteString(values[q.expr.Key()])
				} else {
					sb.WriteString(q.text)
				}
			}
		default:
			sb.WriteString(p.text)
		}
	}
	if dropped > 0 {
		errs = append(errs, fmt.Sprintf("... and %d more", dropped))
	}
	if len(errs) > 0 {
		return "", lathe.Errorf(lathe.EINVALID, "%s", strings.Join(errs, "\n"))
	}
	return sb.String(), nil
}
