package s1crets

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors. Test for them with errors.Is: every error returned by this
// package and its providers wraps one of them or the underlying AWS error, or
// both.
var (
	// ErrNotFound reports that a secret, a path or a key of a JSON secret
	// does not exist. The provider's own error (for example
	// *types.ParameterNotFound) stays reachable through errors.As.
	ErrNotFound = errors.New("s1crets: not found")

	// ErrUnknownProvider reports a provider name that no package registered.
	ErrUnknownProvider = errors.New("s1crets: unknown provider")

	// ErrInvalid reports bad input: an empty path, a nil option, an option
	// that does not apply, a negative size or duration. The message names
	// what was wrong and what is accepted.
	ErrInvalid = errors.New("s1crets: invalid argument")
)

// Error is the one error type of this package: it records the operation,
// the provider and the path of a failed call and wraps the cause, so that
// errors.Is reaches the sentinels and errors.As reaches the provider's own
// error types. Its message never contains a secret value.
type Error struct {
	Op       string // "get", "get-by-path", "update", "path-exists", "open", ...
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

// NotFound marks cause as a not-found error: the result matches ErrNotFound
// with errors.Is and still unwraps to cause. Provider packages use it for the
// store's own not-found errors; a nil cause gives ErrNotFound itself.
func NotFound(cause error) error {
	if cause == nil {
		return ErrNotFound
	}
	return fmt.Errorf("%w: %w", ErrNotFound, cause)
}

// invalidf returns an ErrInvalid error with a message.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}
