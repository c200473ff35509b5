// Package apperr is the one error type that business code returns and the edges
// (HTTP, command line) map to a status. Users see Message (Korean) or English;
// never the text of a wrapped internal error.
package apperr

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
)

// Code classifies an error for the edges.
type Code string

const (
	Invalid      Code = "invalid"      // bad input: 400/422, exit 2
	NotFound     Code = "not_found"    // 404
	Conflict     Code = "conflict"     // 409: duplicate, illegal state transition
	Forbidden    Code = "forbidden"    // 403
	Unauthorized Code = "unauthorized" // 401
	TooMany      Code = "too_many"     // 429
	TooLarge     Code = "too_large"    // 413
	BadRequest   Code = "bad_request"  // 400: a malformed header
	MediaType    Code = "media_type"   // 415: a body that is not the expected type
	// MethodNotAllowed is a known path asked with a method it lacks: 405.
	MethodNotAllowed Code = "method_not_allowed"
)

// FieldError names one invalid field (or a file's row and column) and why.
type FieldError struct {
	Location string `json:"location"`
	Message  string `json:"message"`
	English  string `json:"message_en,omitempty"`
}

// Error is a business error with a code and a sentence a clerk understands.
type Error struct {
	Code    Code
	Message string // Korean
	English string
	Fields  []FieldError
	Err     error // optional cause, never shown to users
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	b.WriteString(": ")
	if e.English != "" {
		b.WriteString(e.English)
	} else {
		b.WriteString(e.Message)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Location, cmp.Or(f.English, f.Message))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Localized returns the message in lang ("en" or Korean otherwise).
func (e *Error) Localized(lang string) string {
	if lang == "en" && e.English != "" {
		return e.English
	}
	return e.Message
}

// New makes an error with a Korean and an English message.
func New(code Code, ko, en string) *Error { return &Error{Code: code, Message: ko, English: en} }

// Wrap keeps err as the hidden cause.
func Wrap(code Code, err error, ko, en string) *Error {
	return &Error{Code: code, Message: ko, English: en, Err: err}
}

// Fields is an accumulator of field errors for validation.
type Fields []FieldError

// Add records one invalid field.
func (f *Fields) Add(location, ko, en string) {
	*f = append(*f, FieldError{Location: location, Message: ko, English: en})
}

// Err returns nil when no field was added, else an Invalid error listing them.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: Invalid, Message: "입력값을 확인해 주세요.", English: "Please check the input.", Fields: f}
}

// CodeOf returns the code of the first *Error in err's chain, or "" for internal errors.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// As returns the *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// IsNotFound reports whether err is a NotFound error.
func IsNotFound(err error) bool { return CodeOf(err) == NotFound }

// NotFoundf is the usual "no such thing" error.
func NotFoundf(whatKO, whatEN string) *Error {
	return New(NotFound, whatKO+"을(를) 찾을 수 없습니다.", whatEN+" not found.")
}
