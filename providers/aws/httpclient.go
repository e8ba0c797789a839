package aws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s1crets/s1crets/driver"
)

// attemptClient is the HTTP client of a provider. It does two things to the
// client it wraps:
//
//   - When the provider bounds attempts with s1crets.Timeout (timeout > 0,
//     see withTimeouts), it says so in the error of an attempt that ran out
//     of time, whether it waited for the headers or for the rest of the
//     body: Go's own message ("context deadline exceeded") does not tell an
//     attempt's timeout from the caller's deadline.
//   - It hides the WriteTo method of the request body. smithy-go closes the
//     body as soon as the answer's headers arrive, and its closed body's
//     WriteTo returns io.EOF; net/http, which may still be draining the body
//     after sending it, then takes that for a write error and closes the
//     connection under the answer being read: the attempt fails with "use of
//     closed network connection" and is made again. Read returns io.EOF
//     after the close too, which io.Copy takes for the end of the body.
type attemptClient struct {
	c       awssdk.HTTPClient
	timeout time.Duration // 0: the wrapped client is the caller's own
}

// Do implements awssdk.HTTPClient. Each request is an attempt, counted for
// the events of package s1crets (driver.CountAttempt): retries, pages and
// the credential requests a call makes.
func (a attemptClient) Do(r *http.Request) (*http.Response, error) {
	driver.CountAttempt(r.Context())
	if r.Body != nil && r.Body != http.NoBody {
		r = r.WithContext(r.Context()) // a shallow copy: the caller's request is not changed
		r.Body = readOnlyBody{r.Body}
	}
	resp, err := a.c.Do(r)
	if err != nil {
		return resp, a.explain(r, err)
	}
	resp.Body = &attemptBody{ReadCloser: resp.Body, a: a, r: r}
	return resp, nil
}

// explain marks err as the attempt's timeout when it is a timeout and the
// request's own context (the caller's) is not over.
func (a attemptClient) explain(r *http.Request, err error) error {
	if err == nil || err == io.EOF || a.timeout == 0 || r.Context().Err() != nil {
		return err
	}
	var ne net.Error
	if !errors.Is(err, context.DeadlineExceeded) && !(errors.As(err, &ne) && ne.Timeout()) {
		return err
	}
	return &attemptTimeout{timeout: a.timeout, err: err}
}

// attemptBody is the body of an answer, whose read errors explain says.
type attemptBody struct {
	io.ReadCloser
	a attemptClient
	r *http.Request
}

func (b *attemptBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	return n, b.a.explain(b.r, err)
}

// attemptTimeout is the error of an attempt that got no complete answer
// within the timeout. It is a net.Error whose Timeout is true, as the error
// it wraps, so that the SDK retries it as before.
type attemptTimeout struct {
	timeout time.Duration
	err     error
}

func (e *attemptTimeout) Error() string {
	return fmt.Sprintf("no complete answer within the timeout of an attempt (%v, s1crets.Timeout): %v", e.timeout, e.err)
}

func (e *attemptTimeout) Unwrap() error   { return e.err }
func (e *attemptTimeout) Timeout() bool   { return true }
func (e *attemptTimeout) Temporary() bool { return true }

// readOnlyBody is a request body without the WriteTo method of the body it
// wraps (see attemptClient).
type readOnlyBody struct{ rc io.ReadCloser }

func (b readOnlyBody) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b readOnlyBody) Close() error               { return b.rc.Close() }
