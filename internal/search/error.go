package search

import (
	"fmt"

	"github.com/latheml/lathe"
)

// SyntaxError is the error every parser in this package returns. It wraps a
// *lathe.Error with code EINVALID whose message is MLflow's text for the
// problem; for errors of pure syntax (an unterminated string, a missing
// value, a stray token) the message ends with "at position N". Pos is set for
// every error, so a UI can put a caret under Input[Pos:].
type SyntaxError struct {
	Input string       // the filter or order_by clause that was parsed
	Pos   int          // byte offset in Input where the problem starts, 0-based; len(Input) at the end
	Err   *lathe.Error // code EINVALID; Err.Message is the client-visible text
}

// Error returns the client-visible message.
func (e *SyntaxError) Error() string { return e.Err.Message }

// Unwrap returns the *lathe.Error, so lathe.ErrorCode finds EINVALID.
func (e *SyntaxError) Unwrap() error { return e.Err }

// semanticErr is an error whose message is MLflow's text, verbatim.
func semanticErr(input string, pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Input: input, Pos: pos, Err: lathe.Errorf(lathe.EINVALID, format, args...)}
}

// syntaxErr is an error of pure syntax: the message gets " at position N".
func syntaxErr(input string, pos int, format string, args ...any) *SyntaxError {
	msg := fmt.Sprintf(format, args...)
	return &SyntaxError{Input: input, Pos: pos, Err: lathe.Errorf(lathe.EINVALID, "%s at position %d", msg, pos)}
}

// clip shortens s for an error message.
func clip(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
