package s1crets

import "strings"

// scrub makes sure that the text of err does not contain secret: a store's
// error about a value (a pattern mismatch, a size limit) may quote it.
// errors.Is and errors.As still reach the original error.
func scrub(err error, secret string) error {
	if err == nil || len(secret) < 4 || !strings.Contains(err.Error(), secret) {
		return err
	}
	return &scrubbed{err: err, secret: secret}
}

type scrubbed struct {
	err    error
	secret string
}

func (e *scrubbed) Error() string {
	return strings.ReplaceAll(e.err.Error(), e.secret, Redacted)
}

func (e *scrubbed) Unwrap() error { return e.err }
