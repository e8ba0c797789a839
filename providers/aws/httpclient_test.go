package aws

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

type captureClient struct {
	got *http.Request
	err error
}

func (c *captureClient) Do(r *http.Request) (*http.Response, error) {
	c.got = r
	if c.err != nil {
		return nil, c.err
	}
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("{}"))}, nil
}

// The body handed to net/http has no WriteTo (see attemptClient), reads
// the same bytes, and the caller's request is left as it was.
func TestAttemptClientHidesWriteTo(t *testing.T) {
	body := io.NopCloser(bytes.NewReader([]byte("payload")))
	if _, ok := body.(io.WriterTo); !ok {
		t.Fatal("the test needs a body with WriteTo")
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://127.0.0.1/", nil)
	req.Body = body
	cc := &captureClient{}
	resp, err := attemptClient{cc, time.Second}.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if _, ok := cc.got.Body.(io.WriterTo); ok {
		t.Error("the body sent has WriteTo")
	}
	if b, _ := io.ReadAll(cc.got.Body); string(b) != "payload" {
		t.Errorf("the body sent reads %q", b)
	}
	if req.Body != body {
		t.Error("the caller's request was changed")
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// A timeout is named as the attempt's timeout only when the provider set
// it and the caller's context is not over.
func TestAttemptClientNamesItsTimeout(t *testing.T) {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://127.0.0.1/", nil)
	_, err := attemptClient{&captureClient{err: timeoutErr{}}, 200 * time.Millisecond}.Do(req)
	var at *attemptTimeout
	if !errors.As(err, &at) || !strings.Contains(err.Error(), "s1crets.Timeout") || !errors.Is(err, timeoutErr{}) {
		t.Errorf("got %v", err)
	}
	_, err = attemptClient{&captureClient{err: timeoutErr{}}, 0}.Do(req)
	if errors.As(err, &at) {
		t.Errorf("a client of the caller's own: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = attemptClient{&captureClient{err: context.Canceled}, time.Second}.Do(req.WithContext(ctx))
	if errors.As(err, &at) {
		t.Errorf("the caller's context: %v", err)
	}
	_, err = attemptClient{&captureClient{err: errors.New("refused")}, time.Second}.Do(req)
	if errors.As(err, &at) {
		t.Errorf("not a timeout: %v", err)
	}
}
