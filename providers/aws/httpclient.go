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
)

// attemptClient is the HTTP client of a provider whose attempts are bounded
// by s1crets.Timeout (see withTimeouts). It says so in the error of an
// attempt that ran out of time, whether it waited for the headers or for
// the rest of the body: Go's own message ("context deadline exceeded")
// does not tell an attempt's timeout from the caller's deadline.
type attemptClient struct {
	c       awssdk.HTTPClient
	timeout time.Duration
}

// Do implements awssdk.HTTPClient.
func (a attemptClient) Do(r *http.Request) (*http.Response, error) {
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
	if err == nil || err == io.EOF || r.Context().Err() != nil {
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
