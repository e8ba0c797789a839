package driver

import (
	"context"
	"sync/atomic"
)

// ErrorKind is the class of a failed remote call, for the statistics and
// events of package s1crets. It names no store's error codes: a store maps
// its own (see ErrorClassifier).
type ErrorKind uint8

// The kinds of ErrorClassifier. KindOther is the zero value: an error no
// kind fits.
const (
	KindOther     ErrorKind = iota
	KindNotFound            // the secret or path does not exist
	KindDenied              // the caller may not do this (access denied, bad credentials)
	KindThrottled           // the store asked the caller to slow down
	KindNetwork             // the request or its answer was lost (connection refused, reset, a 5xx answer)
	KindTimeout             // an attempt or the whole call ran out of time
)

// An ErrorClassifier is a Store that tells the kind of its errors: it maps
// its own error codes (AWS's AccessDeniedException, ThrottlingException,
// ...) to an ErrorKind. Without it, package s1crets tells only not-found
// (ErrNotFound), timeouts (context.DeadlineExceeded, a net.Error that timed
// out) and network errors (a net.Error); everything else is KindOther.
type ErrorClassifier interface {
	ErrorKind(err error) ErrorKind
}

// Attempts counts the attempts of one remote call: package s1crets puts
// one in the context of each call of a Store (see WithAttempts), and a
// Store that retries calls CountAttempt once per attempt, so that events
// report how many attempts a call took. A Store that does not count leaves
// the count at 0, which means unknown.
type Attempts struct{ n atomic.Int32 }

// N returns the number of attempts counted.
func (a *Attempts) N() int {
	if a == nil {
		return 0
	}
	return int(a.n.Load())
}

type attemptsKey struct{}

// WithAttempts returns a context that carries a.
func WithAttempts(ctx context.Context, a *Attempts) context.Context {
	return context.WithValue(ctx, attemptsKey{}, a)
}

// CountAttempt counts one attempt in the Attempts that ctx carries, if
// any.
func CountAttempt(ctx context.Context) {
	if a, ok := ctx.Value(attemptsKey{}).(*Attempts); ok {
		a.n.Add(1)
	}
}
