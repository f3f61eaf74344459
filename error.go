package lathe

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to exactly one HTTP status in internal/api and back
// in internal/client, so the CLI sees the same code the server produced.
const (
	EINVALID      = "invalid"      // the caller sent something malformed
	ENOTFOUND     = "not_found"    // the named thing does not exist (or is not visible)
	ECONFLICT     = "conflict"     // the thing exists already or changed underneath
	EUNAUTHORIZED = "unauthorized" // no valid credentials
	EFORBIDDEN    = "forbidden"    // valid credentials, not allowed
	ETOOLARGE     = "too_large"    // a body or field exceeds a limit
	EUNAVAILABLE  = "unavailable"  // a dependency is down; retry later
	EINTERNAL     = "internal"     // a bug or an unexpected fault
	ECORRUPT      = "corrupt"      // stored bytes do not match their digest
	ERANGE        = "range"        // a requested byte range cannot be satisfied
	EUNSUPPORTED  = "unsupported"  // a valid request for something not offered
)

// Error is an error a user can act on: Code classifies it, Message says what
// was wrong and how to fix it. Wrap it with fmt.Errorf("...: %w", err) to add
// context; ErrorCode and ErrorMessage find it again.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the text a client may see: the whole chain for errors
// that carry an *Error (the wrapping adds where it happened), and a generic
// message for any other error, so internal details never reach a client.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return err.Error()
	}
	return "internal error; the server log has details"
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code string) bool { return err != nil && ErrorCode(err) == code }
