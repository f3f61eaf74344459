package spec

import (
	"fmt"
	"sort"
	"strings"

	"github.com/latheml/lathe"
)

// Limits on what Parse accepts. A document over one of them is refused with a
// message naming the limit.
const (
	MaxFileSize   = 1 << 20 // bytes of YAML in one document
	MaxDepth      = 32      // nesting of mappings and lists
	MaxNodes      = 50_000  // values in one document, counting alias expansions
	MaxProblems   = 20      // problems listed in one error; the rest are counted
	MaxIO         = 500     // inputs or outputs of one job, step or component
	MaxSteps      = 1000    // steps in one pipeline
	MaxEnvVars    = 500     // environment variables of one job
	MaxCommandLen = 100_000 // bytes in one command
)

// Pos is a place in a YAML file: 1-based line and column. A value given with
// --set has Line 0 and its File names the assignment.
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats the position as file:line:col, or just the file (or --set
// label) when the line is unknown.
func (p Pos) String() string {
	if p.Line <= 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// problem is one thing wrong with a document, at a position.
type problem struct {
	pos Pos
	msg string
}

// problems collects what is wrong with a document so that one error can list
// them all, up to MaxProblems.
type problems struct {
	list    []problem
	dropped int
}

func (p *problems) addf(pos Pos, format string, args ...any) {
	if len(p.list) >= MaxProblems {
		p.dropped++
		return
	}
	p.list = append(p.list, problem{pos, fmt.Sprintf(format, args...)})
}

func (p *problems) empty() bool { return len(p.list) == 0 }

// err returns nil or one *lathe.Error (EINVALID) listing the problems in file
// order, one per line, each prefixed with its position.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	list := append([]problem(nil), p.list...)
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i].pos, list[j].pos
		if (a.Line == 0) != (b.Line == 0) {
			return b.Line == 0
		}
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	var sb strings.Builder
	for i, q := range list {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(q.pos.String())
		sb.WriteString(": ")
		sb.WriteString(q.msg)
	}
	if p.dropped > 0 {
		fmt.Fprintf(&sb, "\n... and %d more problems", p.dropped)
	}
	return &lathe.Error{Code: lathe.EINVALID, Message: sb.String()}
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "..."
}
