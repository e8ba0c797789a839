package s1crets

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/s1crets/s1crets/driver"
)

// Sentinel errors. Test for them with errors.Is: every error returned by this
// package and its providers wraps one of them or the underlying store's
// error, or both.
var (
	// ErrNotFound reports that a secret, a path or a key of a JSON secret
	// does not exist. The store's own error (for example
	// *types.ParameterNotFound) stays reachable through errors.As.
	ErrNotFound = driver.ErrNotFound

	// ErrUnknownProvider reports a provider name that no package registered.
	ErrUnknownProvider = errors.New("s1crets: unknown provider")

	// ErrInvalid reports bad input: an empty path, a nil option, an option
	// that does not apply, a negative size or duration. The message names
	// what was wrong and what is accepted.
	ErrInvalid = errors.New("s1crets: invalid argument")

	// ErrClosed reports a call on a provider after its Close.
	ErrClosed = errors.New("s1crets: provider closed")
)

// Error is the one error type of this package: it records the operation,
// the provider and the path of a failed call and wraps the cause, so that
// errors.Is reaches the sentinels and errors.As reaches the store's own
// error types. Its message never contains a secret value.
type Error struct {
	Op       string // "get", "get-by-path", "get-many", "update", "path-exists", "open", "lookup", ...
	Provider string // registered provider name, e.g. "aws.ps"
	Path     string // the path or name asked for; empty when there is none
	Err      error  // the cause
}

// Error returns "s1crets: OP PROVIDER "PATH": cause".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("s1crets: ")
	b.WriteString(e.Op)
	if e.Provider != "" {
		b.WriteByte(' ')
		b.WriteString(e.Provider)
	}
	if e.Path != "" {
		b.WriteByte(' ')
		b.WriteString(strconv.Quote(e.Path))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "s1crets: "))
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// invalidf returns an ErrInvalid error with a message.
func invalidf(format string, args ...any) error {
	return &reason{ErrInvalid, fmt.Sprintf(format, args...)}
}

// reason is a sentinel with a message of its own: "s1crets: invalid
// argument: MESSAGE" on one line.
type reason struct {
	sentinel error
	msg      string
}

func (r *reason) Error() string { return r.sentinel.Error() + ": " + r.msg }
func (r *reason) Unwrap() error { return r.sentinel }

// invalidBecause returns an ErrInvalid error about what, caused by cause,
// which stays reachable with errors.Is and errors.As: "s1crets: invalid
// argument: WHAT: CAUSE" on one line, without cause's own "s1crets: ".
func invalidBecause(what string, cause error) error {
	return &invalidCause{what: what, cause: cause}
}

type invalidCause struct {
	what  string
	cause error
}

func (e *invalidCause) Error() string {
	return ErrInvalid.Error() + ": " + e.what + ": " + strings.TrimPrefix(e.cause.Error(), "s1crets: ")
}

func (e *invalidCause) Unwrap() []error { return []error{ErrInvalid, e.cause} }
