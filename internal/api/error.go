package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/latheml/lathe"
)

// ErrorBody is the one error shape of the native API.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong.
type ErrorDetail struct {
	Code      string `json:"code" doc:"machine-readable class: invalid, not_found, conflict, unauthorized, forbidden, too_large, range, unavailable, corrupt, internal"`
	Message   string `json:"message" doc:"what was wrong and how to fix it"`
	RequestID string `json:"request_id"`
}

// statusError overrides the status a lathe.Error would map to.
type statusError struct {
	status int
	err    error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// Status maps an error code to its HTTP status. This is the only place the
// mapping lives; internal/client maps the other way.
func Status(code string) int {
	switch code {
	case "":
		return http.StatusOK
	case lathe.EINVALID:
		return http.StatusBadRequest
	case lathe.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case lathe.EFORBIDDEN:
		return http.StatusForbidden
	case lathe.ENOTFOUND:
		return http.StatusNotFound
	case lathe.ECONFLICT:
		return http.StatusConflict
	case lathe.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case lathe.ERANGE:
		return http.StatusRequestedRangeNotSatisfiable
	case lathe.EUNSUPPORTED:
		return http.StatusUnprocessableEntity
	case lathe.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// writeError writes err in the one error shape. Internal errors are logged
// with the request id and reach the client only as a generic message.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, rt *Route, err error) {
	code := lathe.ErrorCode(err)
	if rt.Compat {
		a.writeMLflowError(w, r, err)
		return
	}
	status := Status(code)
	var se *statusError
	if errors.As(err, &se) {
		status = se.status
	}
	rid := RequestIDFrom(r.Context())
	msg := lathe.ErrorMessage(err)
	if code == lathe.EINTERNAL {
		a.log.ErrorContext(r.Context(), "internal error", "request_id", rid, "error", err.Error())
		msg = "internal error (request id " + rid + "); the server log has details"
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="lathe"`)
	}
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg, RequestID: rid}})
}

// writeJSON writes v as the JSON response body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decodeJSON reads one JSON object from the body into v, refusing unknown
// fields, trailing data and bodies over max bytes, with messages that say
// where the problem is.
func decodeJSON(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return lathe.Errorf(lathe.EINVALID, "Content-Type %q: send the body as application/json", ct)
		}
	}
	body := http.MaxBytesReader(w, r.Body, max)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, max)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return jsonError(err, max)
		}
		return lathe.Errorf(lathe.EINVALID, "request body has data after the JSON object; send exactly one object")
	}
	return nil
}

func jsonError(err error, max int64) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return lathe.Errorf(lathe.EINVALID, "request body is empty; send a JSON object")
	case errors.As(err, &tooBig):
		return lathe.Errorf(lathe.ETOOLARGE, "request body is over the limit of %d bytes; send less per request", max)
	case errors.As(err, &syn):
		return lathe.Errorf(lathe.EINVALID, "request body is not valid JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		return lathe.Errorf(lathe.EINVALID, "request body field %q must be %s, got a JSON %s (at byte %d)", typ.Field, typ.Type, typ.Value, typ.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return lathe.Errorf(lathe.EINVALID, "request body ends in the middle of the JSON object")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for this case.
		return lathe.Errorf(lathe.EINVALID, "request body has %s; remove it (GET /api/v1/openapi.json documents the fields)", strings.TrimPrefix(err.Error(), "json: "))
	default:
		return lathe.Errorf(lathe.EINVALID, "request body: %s", fmt.Sprint(err))
	}
}

// MLflowError is the error shape of the MLflow REST API.
type MLflowError struct {
	ErrorCode string `json:"error_code"`
	Message   string `json:"message"`
}

// MLflowStatus maps an error code to MLflow's error_code and HTTP status.
func MLflowStatus(code string) (string, int) {
	switch code {
	case lathe.EINVALID, lathe.ETOOLARGE, lathe.ERANGE, lathe.EUNSUPPORTED:
		return "INVALID_PARAMETER_VALUE", http.StatusBadRequest
	case lathe.ECONFLICT:
		return "RESOURCE_ALREADY_EXISTS", http.StatusBadRequest
	case lathe.ENOTFOUND:
		return "RESOURCE_DOES_NOT_EXIST", http.StatusNotFound
	case lathe.EUNAUTHORIZED:
		return "UNAUTHENTICATED", http.StatusUnauthorized
	case lathe.EFORBIDDEN:
		return "PERMISSION_DENIED", http.StatusForbidden
	case lathe.EUNAVAILABLE:
		return "TEMPORARILY_UNAVAILABLE", http.StatusServiceUnavailable
	default:
		return "INTERNAL_ERROR", http.StatusInternalServerError
	}
}

func (a *API) writeMLflowError(w http.ResponseWriter, r *http.Request, err error) {
	code := lathe.ErrorCode(err)
	mcode, status := MLflowStatus(code)
	var e *lathe.Error
	msg := err.Error()
	if errors.As(err, &e) {
		msg = e.Message // MLflow clients show the message alone
	}
	if code == lathe.EINTERNAL {
		rid := RequestIDFrom(r.Context())
		a.log.ErrorContext(r.Context(), "internal error", "request_id", rid, "error", err.Error())
		msg = "internal error (request id " + rid + "); the server log has details"
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="lathe", charset="UTF-8"`)
	}
	writeJSON(w, status, MLflowError{ErrorCode: mcode, Message: msg})
}
