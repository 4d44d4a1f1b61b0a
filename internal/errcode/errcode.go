// Package errcode is Lagboard's small error vocabulary. Services return these codes; the
// HTTP layer maps each code to one status and one page, so users never see internal text.
package errcode

import (
	"errors"
	"fmt"
)

// Codes a service may return.
const (
	Invalid      = "invalid"      // the input is wrong; the message says how to fix it
	TooLarge     = "too_large"    // the request body is larger than the server reads
	NotFound     = "not_found"    // no such thing
	NotAllowed   = "not_allowed"  // the address exists but does not answer this method
	Conflict     = "conflict"     // the state moved on; reload and try again
	Unauthorized = "unauthorized" // sign-in needed
	Forbidden    = "forbidden"    // signed in, not allowed
	Unavailable  = "unavailable"  // a dependency (Postgres, a broker) is down; try later
	Internal     = "internal"     // a bug or an unexpected failure
)

// Error is an error with a code and a message safe to show the user.
type Error struct {
	Code    string
	Message string
	Err     error // the cause, for logs; never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted user-facing message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error carrying cause for the logs and message for the user.
func Wrap(code string, cause error, message string) *Error {
	return &Error{Code: code, Message: message, Err: cause}
}

// Code returns the code of err, Internal for errors that carry none, "" for nil.
func Code(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Message returns the user-facing message of err; errors without one get a generic text.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != Internal {
		return e.Message
	}
	return "Something went wrong on our side. It has been logged; try again in a moment."
}
