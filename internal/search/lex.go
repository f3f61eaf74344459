package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// scanner reads tokens from src. It is shared by the filter and order_by
// parsers; what starts its syntax error messages ("Invalid filter string").
type scanner struct {
	src  string
	pos  int
	what string
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isOpChar(c byte) bool {
	return c == '<' || c == '>' || c == '=' || c == '!' || c == '~'
}

// identRune reports whether r may appear in a bare identifier segment.
func identRune(r rune) bool {
	return r == '_' || r == '-' || r == '/' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// identStart reports whether r may start a bare identifier.
func identStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }

func (s *scanner) atEnd() bool { return s.pos >= len(s.src) }

func (s *scanner) skipSpace() {
	for s.pos < len(s.src) && isSpace(s.src[s.pos]) {
		s.pos++
	}
}

// peekRune returns the rune at the current position (RuneError at the end).
func (s *scanner) peekRune() rune {
	r, _ := utf8.DecodeRuneInString(s.src[s.pos:])
	return r
}

// runEnd returns the end of the run of runes from i that satisfy ok.
func (s *scanner) runEnd(i int, ok func(rune) bool) int {
	for i < len(s.src) {
		r, n := utf8.DecodeRuneInString(s.src[i:])
		if r == utf8.RuneError && n <= 1 || !ok(r) {
			break
		}
		i += n
	}
	return i
}

// peekWord returns the bare word at the current position and where it ends;
// "" if there is none.
func (s *scanner) peekWord() (string, int) {
	end := s.runEnd(s.pos, identRune)
	return s.src[s.pos:end], end
}

// startsIdent reports whether an identifier starts at the current position.
func (s *scanner) startsIdent() bool {
	if s.atEnd() {
		return false
	}
	c := s.src[s.pos]
	return c == '`' || c == '"' || identStart(s.peekRune())
}

// ident is a scanned identifier: its segments with quotes removed.
type ident struct {
	segs   []string
	start  int
	keyPos int // where the second segment starts (start when there is one)
	end    int
}

func (id ident) raw(src string) string { return src[id.start:id.end] }

// identifier scans segment { "." segment }; the caller has checked
// startsIdent.
func (s *scanner) identifier() (ident, *SyntaxError) {
	id := ident{start: s.pos, keyPos: s.pos}
	for {
		if len(id.segs) == 1 {
			id.keyPos = s.pos
		}
		seg, err := s.segment()
		if err != nil {
			return id, err
		}
		id.segs = append(id.segs, seg)
		if s.atEnd() || s.src[s.pos] != '.' {
			break
		}
		s.pos++
		if s.atEnd() || !(s.src[s.pos] == '`' || s.src[s.pos] == '"' || identRune(s.peekRune())) {
			return id, syntaxErr(s.src, s.pos, "%s: expected a key after '%s'", s.what, clip(s.src[id.start:s.pos]))
		}
	}
	id.end = s.pos
	return id, nil
}

// segment scans one bare, backticked or double-quoted identifier segment.
func (s *scanner) segment() (string, *SyntaxError) {
	switch s.src[s.pos] {
	case '`':
		return s.quoted('`', false, "key")
	case '"':
		return s.quoted('"', true, "key")
	}
	end := s.runEnd(s.pos, identRune)
	seg := s.src[s.pos:end]
	s.pos = end
	return seg, nil
}

// quoted scans a string that starts with the quote character q at the
// current position. A doubled quote stands for one quote; with backslash, \q
// and \\ stand for q and \, and any other backslash is literal.
func (s *scanner) quoted(q byte, backslash bool, noun string) (string, *SyntaxError) {
	start := s.pos
	i := s.pos + 1
	var b strings.Builder
	for i < len(s.src) {
		c := s.src[i]
		switch {
		case c == q && i+1 < len(s.src) && s.src[i+1] == q:
			b.WriteByte(q)
			i += 2
		case c == q:
			s.pos = i + 1
			return b.String(), nil
		case c == '\\' && backslash && i+1 < len(s.src) && (s.src[i+1] == q || s.src[i+1] == '\\'):
			b.WriteByte(s.src[i+1])
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", syntaxErr(s.src, start, "%s: unterminated quoted %s", s.what, noun)
}

// tokenAt returns the token that starts at i, for error messages.
func (s *scanner) tokenAt(i int) string {
	if i >= len(s.src) {
		return ""
	}
	c := s.src[i]
	end := i + 1
	switch {
	case c == '\'' || c == '"' || c == '`':
		end = strings.IndexByte(s.src[i+1:], c)
		if end < 0 {
			end = len(s.src)
		} else {
			end += i + 2
		}
	case isOpChar(c):
		for end < len(s.src) && isOpChar(s.src[end]) {
			end++
		}
	default:
		r, n := utf8.DecodeRuneInString(s.src[i:])
		if identRune(r) || c == '.' {
			end = s.runEnd(i, func(r rune) bool { return identRune(r) || r == '.' })
		} else {
			end = i + n
		}
	}
	return clip(s.src[i:end])
}
