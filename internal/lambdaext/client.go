package lambdaext

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The Extensions API's paths, below http://${AWS_LAMBDA_RUNTIME_API}.
const (
	PathRegister  = "/2020-01-01/extension/register"
	PathNextEvent = "/2020-01-01/extension/event/next"
	PathInitError = "/2020-01-01/extension/init/error"
	PathExitError = "/2020-01-01/extension/exit/error"
)

// The Extensions API's headers.
const (
	// HeaderName carries the extension's name on register. For an external
	// extension it must be the file name of its executable in
	// /opt/extensions.
	HeaderName = "Lambda-Extension-Name"
	// HeaderIdentifier carries the identifier that register answers; every
	// later call sends it back.
	HeaderIdentifier = "Lambda-Extension-Identifier"
	// HeaderErrorType carries the error type of init/error and exit/error.
	HeaderErrorType = "Lambda-Extension-Function-Error-Type"
)

// EventType is the type of a lifecycle event.
type EventType string

// The lifecycle events an external extension can register for.
const (
	// Invoke: the function is being invoked.
	Invoke EventType = "INVOKE"
	// Shutdown: the execution environment is going away; the extension
	// must finish before the event's deadline and exit.
	Shutdown EventType = "SHUTDOWN"
)

// ShutdownReason says why Lambda shuts an execution environment down.
type ShutdownReason string

// The shutdown reasons Lambda sends.
const (
	ShutdownSpindown ShutdownReason = "spindown" // idle, or scaled in
	ShutdownTimeout  ShutdownReason = "timeout"  // an invocation ran out of time
	ShutdownFailure  ShutdownReason = "failure"  // any other failure, such as out of memory
)

// Event is an event that event/next answered.
type Event struct {
	// Type is Invoke or Shutdown (or a type a later Lambda may add).
	Type EventType
	// Deadline is, for Invoke, when the invocation times out and, for
	// Shutdown, when Lambda kills the extension's process.
	Deadline time.Time
	// RequestID is the invocation's AWS request ID (Invoke only).
	RequestID string
	// InvokedFunctionARN is the ARN the function was invoked with (Invoke
	// only).
	InvokedFunctionARN string
	// ShutdownReason says why the environment shuts down (Shutdown only).
	ShutdownReason ShutdownReason
}

// wireEvent is an event as event/next sends it.
type wireEvent struct {
	EventType          EventType      `json:"eventType"`
	DeadlineMs         int64          `json:"deadlineMs"`
	RequestID          string         `json:"requestId"`
	InvokedFunctionArn string         `json:"invokedFunctionArn"`
	ShutdownReason     ShutdownReason `json:"shutdownReason"`
}

// Registration is the body of register's answer.
type Registration struct {
	FunctionName    string `json:"functionName"`
	FunctionVersion string `json:"functionVersion"`
	Handler         string `json:"handler"`
}

// APIError is an answer of the Extensions API with an unexpected HTTP
// status. Lambda answers 4xx (403 mostly) for a call it refuses and 500
// for a failure of its own; after a 500 the extension should exit.
type APIError struct {
	Method     string // HTTP method of the call
	Path       string // path of the call, such as PathRegister
	StatusCode int    // HTTP status of the answer
	Type       string // errorType of the answer's body, if any
	Message    string // errorMessage of the answer's body, if any
}

// Error names the endpoint, the status and Lambda's error type and message.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "lambdaext: %s %s: HTTP %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Type != "" {
		b.WriteString(": ")
		b.WriteString(e.Type)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Limits of what the client reads from the Extensions API.
const (
	maxEventBytes = 1 << 20  // an event is a few hundred bytes
	maxErrorBytes = 64 << 10 // an error body is a line of JSON
)

// Client is a client of the Lambda Extensions API for one extension.
// Register must return before any other method is called; after that the
// methods are safe for concurrent use. Close releases its connections.
type Client struct {
	base string // "http://" + RuntimeAPI
	name string

	// quick answers register, init/error and exit/error, bounded by
	// Config.RequestTimeout. wait answers event/next, which blocks for as
	// long as the function is idle: it has no timeout, and only its ctx
	// ends it. Both share one transport.
	quick *http.Client
	wait  *http.Client
	tr    *http.Transport

	id string // Lambda-Extension-Identifier, set once by Register
}

// NewClient returns a Client for the Extensions API at cfg.RuntimeAPI. It
// makes no call.
func NewClient(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		// The runtime API is on the execution environment's own network;
		// an HTTP_PROXY set for the function must not capture it.
		Proxy: nil,
		DialContext: (&net.Dialer{
			Timeout:   cfg.RequestTimeout,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:        4,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		// No ResponseHeaderTimeout: event/next waits for its headers
		// until the next event.
	}
	return &Client{
		base:  "http://" + cfg.RuntimeAPI,
		name:  cfg.Name,
		quick: &http.Client{Transport: tr, Timeout: cfg.RequestTimeout},
		wait:  &http.Client{Transport: tr},
		tr:    tr,
	}, nil
}

// Name returns the extension name the Client registers with.
func (c *Client) Name() string { return c.name }

// ID returns the Lambda-Extension-Identifier that Register received, or ""
// before it.
func (c *Client) ID() string { return c.id }

// Close releases the Client's idle connections. A call in flight is ended
// by its context, not by Close.
func (c *Client) Close() { c.tr.CloseIdleConnections() }

// Register registers the extension for the given events (Invoke and
// Shutdown when none are given) and keeps the identifier Lambda answers.
// Lambda starts the function's init only when every extension has
// registered and called event/next, so an extension registers first and
// prepares its work after.
func (c *Client) Register(ctx context.Context, events ...EventType) (Registration, error) {
	if c.id != "" {
		return Registration{}, errors.New("lambdaext: register: the extension is registered already")
	}
	if len(events) == 0 {
		events = []EventType{Invoke, Shutdown}
	}
	body, err := json.Marshal(struct {
		Events []EventType `json:"events"`
	}{events})
	if err != nil {
		return Registration{}, fmt.Errorf("lambdaext: register: %w", err)
	}
	req, err := c.newRequest(ctx, http.MethodPost, PathRegister, body)
	if err != nil {
		return Registration{}, err
	}
	req.Header.Set(HeaderName, c.name)
	resp, err := c.do(c.quick, req, http.StatusOK)
	if err != nil {
		return Registration{}, err
	}
	defer resp.Body.Close()
	id := resp.Header.Get(HeaderIdentifier)
	if id == "" {
		return Registration{}, fmt.Errorf("lambdaext: POST %s: the answer has no %s header", PathRegister, HeaderIdentifier)
	}
	var reg Registration
	// The body is informational; an empty or odd one does not undo the
	// registration that the identifier proves.
	if b, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes)); err == nil {
		_ = json.Unmarshal(b, &reg)
	}
	c.id = id
	return reg, nil
}

// NextEvent asks for the next event and waits for it: for as long as the
// function is idle, or until ctx ends, with no timeout of its own. Each
// call also tells Lambda that the extension is done with the previous
// event (for the first call: done with its init).
func (c *Client) NextEvent(ctx context.Context) (Event, error) {
	if err := c.registered(http.MethodGet, PathNextEvent); err != nil {
		return Event{}, err
	}
	req, err := c.newRequest(ctx, http.MethodGet, PathNextEvent, nil)
	if err != nil {
		return Event{}, err
	}
	resp, err := c.do(c.wait, req, http.StatusOK)
	if err != nil {
		return Event{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxEventBytes+1))
	if err != nil {
		return Event{}, fmt.Errorf("lambdaext: GET %s: reading the event: %w", PathNextEvent, err)
	}
	if len(b) > maxEventBytes {
		return Event{}, fmt.Errorf("lambdaext: GET %s: the event is larger than %d bytes", PathNextEvent, maxEventBytes)
	}
	ev, err := decodeEvent(b)
	if err != nil {
		return Event{}, fmt.Errorf("lambdaext: GET %s: %w", PathNextEvent, err)
	}
	return ev, nil
}

// decodeEvent decodes the body of event/next.
func decodeEvent(b []byte) (Event, error) {
	var w wireEvent
	if err := json.Unmarshal(b, &w); err != nil {
		return Event{}, fmt.Errorf("decoding the event: %w", err)
	}
	if w.EventType == "" {
		return Event{}, errors.New("decoding the event: no eventType")
	}
	ev := Event{
		Type:               w.EventType,
		RequestID:          w.RequestID,
		InvokedFunctionARN: w.InvokedFunctionArn,
		ShutdownReason:     w.ShutdownReason,
	}
	if w.DeadlineMs > 0 {
		ev.Deadline = time.UnixMilli(w.DeadlineMs)
	}
	return ev, nil
}

// InitError tells Lambda that the extension registered but failed to
// initialize; errorType is a "Category.Reason" such as
// "Extension.ConfigInvalid", and cause's message becomes the report's
// errorMessage (so it must not hold a secret). Lambda then fails the
// function's init; no further call succeeds, and the extension should
// exit.
func (c *Client) InitError(ctx context.Context, errorType string, cause error) error {
	return c.reportError(ctx, PathInitError, errorType, cause)
}

// ExitError tells Lambda that the extension fails and is about to exit,
// as InitError does for a failure after init.
func (c *Client) ExitError(ctx context.Context, errorType string, cause error) error {
	return c.reportError(ctx, PathExitError, errorType, cause)
}

func (c *Client) reportError(ctx context.Context, path, errorType string, cause error) error {
	if err := c.registered(http.MethodPost, path); err != nil {
		return err
	}
	if errorType == "" {
		return fmt.Errorf("lambdaext: POST %s: the error type is empty", path)
	}
	msg := "unknown error"
	if cause != nil {
		msg = cause.Error()
	}
	body, err := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{msg, errorType})
	if err != nil {
		return fmt.Errorf("lambdaext: POST %s: %w", path, err)
	}
	req, err := c.newRequest(ctx, http.MethodPost, path, body)
	if err != nil {
		return err
	}
	req.Header.Set(HeaderErrorType, errorType)
	resp, err := c.do(c.quick, req, http.StatusAccepted)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBytes))
	return resp.Body.Close()
}

func (c *Client) registered(method, path string) error {
	if c.id == "" {
		return fmt.Errorf("lambdaext: %s %s: the extension is not registered", method, path)
	}
	return nil
}

func (c *Client) newRequest(ctx context.Context, method, path string, body []byte) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return nil, fmt.Errorf("lambdaext: %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.id != "" {
		req.Header.Set(HeaderIdentifier, c.id)
	}
	return req, nil
}

// do sends req and returns the answer when its status is want; otherwise
// an error naming the endpoint: the transport's, or an *APIError.
func (c *Client) do(hc *http.Client, req *http.Request, want int) (*http.Response, error) {
	path := req.URL.Path
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("lambdaext: %s %s: %w", req.Method, path, unwrapURLError(err))
	}
	if resp.StatusCode == want {
		return resp, nil
	}
	defer resp.Body.Close()
	apiErr := &APIError{Method: req.Method, Path: path, StatusCode: resp.StatusCode}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
	var body struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(b, &body) == nil {
		apiErr.Type, apiErr.Message = body.ErrorType, body.ErrorMessage
	}
	return nil, apiErr
}

// unwrapURLError drops the *url.Error around a transport error: the
// caller's message names the method and path already, and the URL adds
// only the runtime API's address.
func unwrapURLError(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok && ue.Err != nil {
		return ue.Err
	}
	return err
}

// defaultName is the base name of the running executable as it was
// started, which for an external extension is its file name in
// /opt/extensions (or that of the program a wrapper script there execs).
func defaultName() string {
	if len(os.Args) > 0 && os.Args[0] != "" {
		return filepath.Base(os.Args[0])
	}
	if exe, err := os.Executable(); err == nil {
		return filepath.Base(exe)
	}
	return ""
}
