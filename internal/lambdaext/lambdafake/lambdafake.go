// Package lambdafake is an in-process fake of the AWS Lambda Extensions
// API, served by an [httptest.Server], for the tests of package lambdaext
// and of `s1crets serve` in Lambda mode.
//
// It answers what Lambda answers to an external extension, with its status
// codes and its JSON error bodies ({"errorMessage", "errorType"}):
//
//   - POST /2020-01-01/extension/register: needs the Lambda-Extension-Name
//     header (403 Extension.InvalidExtensionName) and a body
//     {"events": [...]} of INVOKE and SHUTDOWN (403 InvalidRequestFormat,
//     403 Extension.InvalidEventType); a name registered already is 403
//     Extension.InvalidExtensionState. It answers 200 with a fresh UUID in
//     the Lambda-Extension-Identifier header and the function's name,
//     version and handler in the body.
//   - GET /2020-01-01/extension/event/next: blocks until the test pushes an
//     event with [Server.Invoke] or [Server.Shutdown], or until the client
//     gives up. Events are delivered to every extension registered when
//     they are pushed, in order. After SHUTDOWN, or after an error report,
//     it answers 403 Extension.InvalidExtensionState.
//   - POST /2020-01-01/extension/init/error and /exit/error: need the
//     Lambda-Extension-Function-Error-Type header (403
//     Extension.MissingHeader); they record the report and answer 202
//     {"status":"OK"}.
//
// Every call but register checks the Lambda-Extension-Identifier header:
// missing (403 Extension.MissingExtensionIdentifier), not a UUID (403
// Extension.InvalidExtensionIdentifier), or not one that register
// answered (403 Extension.UnknownExtensionIdentifier).
//
// The fake records every request ([Server.Requests]), registration
// ([Server.Registrations]) and error report ([Server.Errors]), and
// [Server.Fail] makes an endpoint answer an error status. A Server is safe
// for concurrent use.
package lambdafake

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The Extensions API's paths.
const (
	PathRegister  = "/2020-01-01/extension/register"
	PathNextEvent = "/2020-01-01/extension/event/next"
	PathInitError = "/2020-01-01/extension/init/error"
	PathExitError = "/2020-01-01/extension/exit/error"
)

// What register answers about the fake's function.
const (
	FunctionName    = "s1crets-test"
	FunctionVersion = "$LATEST"
	Handler         = "bootstrap"
	// FunctionARN is the invokedFunctionArn of INVOKE events.
	FunctionARN = "arn:aws:lambda:us-east-1:123456789012:function:" + FunctionName
)

// InvokeTimeout is how far in the future [Server.Invoke] sets an INVOKE
// event's deadline.
const InvokeTimeout = time.Minute

// hangGuard is how long WaitNext waits before it fails the test.
const hangGuard = 60 * time.Second

// Request is one request the fake received, in the order they arrived.
type Request struct {
	Method     string
	Path       string
	Name       string // Lambda-Extension-Name header
	Identifier string // Lambda-Extension-Identifier header
	ErrorType  string // Lambda-Extension-Function-Error-Type header
	// Status is the status the fake answered, 0 while it has not (an
	// event/next waiting for an event) or when the client gave up first.
	Status int
}

// Registration is a successful register.
type Registration struct {
	Name       string   // Lambda-Extension-Name
	Events     []string // the events registered for
	Identifier string   // the Lambda-Extension-Identifier answered
}

// ErrorReport is an accepted init/error or exit/error.
type ErrorReport struct {
	Path         string // PathInitError or PathExitError
	Name         string // the reporting extension's name
	ErrorType    string // Lambda-Extension-Function-Error-Type header
	ErrorMessage string // errorMessage of the body
	BodyType     string // errorType of the body
}

// event is an event as event/next sends it.
type event struct {
	EventType          string   `json:"eventType"`
	DeadlineMs         int64    `json:"deadlineMs"`
	RequestID          string   `json:"requestId,omitempty"`
	InvokedFunctionArn string   `json:"invokedFunctionArn,omitempty"`
	ShutdownReason     string   `json:"shutdownReason,omitempty"`
	Tracing            *tracing `json:"tracing,omitempty"`
}

// tracing is the X-Ray tracing header of an INVOKE event.
type tracing struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// ext is a registered extension.
type ext struct {
	name   string
	queue  []event // events pushed since it registered, not yet delivered
	closed string  // why it may make no more calls; "" while it may
}

// Server is a fake Extensions API. Create it with New.
type Server struct {
	t   testing.TB
	srv *httptest.Server

	mu      sync.Mutex // guards the fields below
	exts    map[string]*ext
	regs    []Registration
	reqs    []Request
	errs    []ErrorReport
	fail    map[string]int // path -> status to answer
	waiting int            // event/next calls waiting for an event
	// pushed is closed and replaced when an extension's queue grows or it
	// may make no more calls: what a waiting event/next waits for.
	pushed chan struct{}
	// changed is closed and replaced on every change of the fields
	// above: what WaitNext waits for.
	changed chan struct{}

	closeOnce sync.Once
	done      chan struct{} // closed by Close, to release waiting calls
}

// New starts a fake Extensions API on a loopback port; it stops when the
// test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		t:       t,
		exts:    make(map[string]*ext),
		fail:    make(map[string]int),
		pushed:  make(chan struct{}),
		changed: make(chan struct{}),
		done:    make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc(PathRegister, s.register)
	mux.HandleFunc(PathNextEvent, s.next)
	mux.HandleFunc(PathInitError, s.reportError)
	mux.HandleFunc(PathExitError, s.reportError)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// Close stops the fake before the test ends (so that its address refuses
// connections); event/next calls still waiting are dropped. New has it
// called when the test ends.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.srv.Close()
	})
}

// Addr returns the fake's host:port, the form of AWS_LAMBDA_RUNTIME_API.
func (s *Server) Addr() string { return strings.TrimPrefix(s.srv.URL, "http://") }

// URL returns the fake's base URL, "http://" + Addr().
func (s *Server) URL() string { return s.srv.URL }

// Invoke pushes an INVOKE event with requestID, the deadline
// InvokeTimeout from now, and FunctionARN, to every registered extension.
// It fails the test when no extension is registered: events are not kept
// for extensions that register later, as on Lambda.
func (s *Server) Invoke(requestID string) {
	s.t.Helper()
	ev := event{
		EventType:          "INVOKE",
		DeadlineMs:         time.Now().Add(InvokeTimeout).UnixMilli(),
		RequestID:          requestID,
		InvokedFunctionArn: FunctionARN,
		Tracing: &tracing{
			Type:  "X-Amzn-Trace-Id",
			Value: "Root=1-5f35ae12-0c0fec141ab77a00bc047aa2;Parent=2be948a625588e32;Sampled=1",
		},
	}
	s.push(ev)
}

// Shutdown pushes a SHUTDOWN event with reason ("spindown", "timeout",
// "failure") and deadline (sent in milliseconds) to every registered
// extension. It fails the test when no extension is registered.
func (s *Server) Shutdown(reason string, deadline time.Time) {
	s.t.Helper()
	s.push(event{EventType: "SHUTDOWN", DeadlineMs: deadline.UnixMilli(), ShutdownReason: reason})
}

func (s *Server) push(ev event) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.exts {
		if e.closed == "" {
			e.queue = append(e.queue, ev)
			n++
		}
	}
	if n == 0 {
		s.t.Errorf("lambdafake: %s event pushed with no extension registered to receive it", ev.EventType)
	}
	s.pushedLocked()
}

// Fail makes every later request to path answer status with a Lambda
// error body (errorType "InternalServerError" for 500,
// "Extension.InjectedFault" otherwise). Status 0 undoes it.
func (s *Server) Fail(path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == 0 {
		delete(s.fail, path)
	} else {
		s.fail[path] = status
	}
}

// Requests returns the requests received so far, in order of arrival.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

// Registrations returns the successful registrations so far.
func (s *Server) Registrations() []Registration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.regs)
	for i := range out {
		out[i].Events = slices.Clone(out[i].Events)
	}
	return out
}

// Errors returns the accepted init/error and exit/error reports so far.
func (s *Server) Errors() []ErrorReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.errs)
}

// WaitNext blocks until an event/next call waits for an event, which the
// extension makes when it is done with its init or with the previous
// event. It fails the test after a generous hang guard.
func (s *Server) WaitNext() {
	s.t.Helper()
	s.await("an event/next call to wait", func() bool { return s.waiting > 0 })
}

// WaitIdle blocks until no event/next call waits for an event: after a
// client gave up on one, until the fake has seen it go, so that an event
// pushed next is kept for a later call. It fails the test after a
// generous hang guard.
func (s *Server) WaitIdle() {
	s.t.Helper()
	s.await("no event/next call to wait", func() bool { return s.waiting == 0 })
}

// await blocks until cond, called with s.mu held, is true.
func (s *Server) await(what string, cond func() bool) {
	s.t.Helper()
	guard := time.NewTimer(hangGuard)
	defer guard.Stop()
	for {
		s.mu.Lock()
		ok, changed := cond(), s.changed
		s.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-guard.C:
			s.t.Fatalf("lambdafake: waited %v for %s", hangGuard, what)
			return
		}
	}
}

// pushedLocked wakes the waiting event/next calls.
func (s *Server) pushedLocked() {
	close(s.pushed)
	s.pushed = make(chan struct{})
	s.notifyLocked()
}

// notifyLocked wakes WaitNext.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// begin records the request and returns its index in s.reqs, and the
// status Fail asked for, if any.
func (s *Server) begin(r *http.Request) (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, Request{
		Method:     r.Method,
		Path:       r.URL.Path,
		Name:       r.Header.Get("Lambda-Extension-Name"),
		Identifier: r.Header.Get("Lambda-Extension-Identifier"),
		ErrorType:  r.Header.Get("Lambda-Extension-Function-Error-Type"),
	})
	s.notifyLocked()
	return len(s.reqs) - 1, s.fail[r.URL.Path]
}

func (s *Server) answered(i, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs[i].Status = status
	s.notifyLocked()
}

// writeJSON answers status with v as JSON and records the status.
func (s *Server) writeJSON(w http.ResponseWriter, i, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
	s.answered(i, status)
}

// writeError answers a Lambda error body.
func (s *Server) writeError(w http.ResponseWriter, i, status int, errorType, format string, args ...any) {
	s.writeJSON(w, i, status, map[string]string{
		"errorType":    errorType,
		"errorMessage": fmt.Sprintf(format, args...),
	})
}

// preamble records the request and answers what every endpoint checks
// first: the method and an injected fault. It reports whether the handler
// should go on.
func (s *Server) preamble(w http.ResponseWriter, r *http.Request, method string) (int, bool) {
	i, status := s.begin(r)
	if r.Method != method {
		w.Header().Set("Allow", method)
		s.writeError(w, i, http.StatusMethodNotAllowed, "MethodNotAllowed", "%s wants %s", r.URL.Path, method)
		return i, false
	}
	if status != 0 {
		typ, msg := "Extension.InjectedFault", "fault injected by lambdafake"
		if status == http.StatusInternalServerError {
			typ, msg = "InternalServerError", "Internal Server Error"
		}
		s.writeError(w, i, status, typ, "%s", msg)
		return i, false
	}
	return i, true
}

// identified is preamble and identify: what every call after register
// checks first.
func (s *Server) identified(w http.ResponseWriter, r *http.Request, method string) (int, string, bool) {
	i, ok := s.preamble(w, r, method)
	if !ok {
		return i, "", false
	}
	id, ok := s.identify(w, r, i)
	return i, id, ok
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// identify checks the Lambda-Extension-Identifier header and returns the
// extension's id, or answers the refusal.
func (s *Server) identify(w http.ResponseWriter, r *http.Request, i int) (string, bool) {
	id := r.Header.Get("Lambda-Extension-Identifier")
	switch {
	case id == "":
		s.writeError(w, i, http.StatusForbidden, "Extension.MissingExtensionIdentifier", "Missing Lambda-Extension-Identifier header")
		return "", false
	case !uuidRE.MatchString(id):
		s.writeError(w, i, http.StatusForbidden, "Extension.InvalidExtensionIdentifier", "Invalid Lambda-Extension-Identifier")
		return "", false
	}
	s.mu.Lock()
	_, ok := s.exts[id]
	s.mu.Unlock()
	if !ok {
		s.writeError(w, i, http.StatusForbidden, "Extension.UnknownExtensionIdentifier", "Unknown extension %s", id)
		return "", false
	}
	return id, true
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	i, ok := s.preamble(w, r, http.MethodPost)
	if !ok {
		return
	}
	name := r.Header.Get("Lambda-Extension-Name")
	if name == "" {
		s.writeError(w, i, http.StatusForbidden, "Extension.InvalidExtensionName", "Empty extension name")
		return
	}
	var body struct {
		Events []string `json:"events"`
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(b, &body)
	}
	if err != nil {
		s.writeError(w, i, http.StatusForbidden, "InvalidRequestFormat", "%v", err)
		return
	}
	for _, e := range body.Events {
		if e != "INVOKE" && e != "SHUTDOWN" {
			s.writeError(w, i, http.StatusForbidden, "Extension.InvalidEventType", "%s: unknown event", e)
			return
		}
	}
	id := newUUID()
	s.mu.Lock()
	for _, e := range s.exts {
		if e.name == name {
			s.mu.Unlock()
			s.writeError(w, i, http.StatusForbidden, "Extension.InvalidExtensionState", "Extension %s is registered already", name)
			return
		}
	}
	s.exts[id] = &ext{name: name}
	s.regs = append(s.regs, Registration{Name: name, Events: body.Events, Identifier: id})
	s.mu.Unlock()
	w.Header().Set("Lambda-Extension-Identifier", id)
	s.writeJSON(w, i, http.StatusOK, map[string]string{
		"functionName":    FunctionName,
		"functionVersion": FunctionVersion,
		"handler":         Handler,
	})
}

func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	i, id, ok := s.identified(w, r, http.MethodGet)
	if !ok {
		return
	}
	for {
		s.mu.Lock()
		e := s.exts[id]
		if e.closed != "" {
			why := e.closed
			s.mu.Unlock()
			s.writeError(w, i, http.StatusForbidden, "Extension.InvalidExtensionState", "Extension %s %s", e.name, why)
			return
		}
		if r.Context().Err() != nil {
			// The client gave up: the event stays for its next call.
			s.mu.Unlock()
			return
		}
		if len(e.queue) > 0 {
			ev := e.queue[0]
			e.queue = e.queue[1:]
			if ev.EventType == "SHUTDOWN" {
				e.closed = "is shut down"
			}
			s.mu.Unlock()
			w.Header().Set("Lambda-Extension-Event-Identifier", newUUID())
			s.writeJSON(w, i, http.StatusOK, ev)
			return
		}
		s.waiting++
		s.notifyLocked()
		pushed := s.pushed
		s.mu.Unlock()

		var gone bool
		select {
		case <-pushed:
		case <-r.Context().Done():
			gone = true
		case <-s.done:
			gone = true
		}
		s.mu.Lock()
		s.waiting--
		s.notifyLocked()
		s.mu.Unlock()
		if gone {
			return
		}
	}
}

func (s *Server) reportError(w http.ResponseWriter, r *http.Request) {
	i, id, ok := s.identified(w, r, http.MethodPost)
	if !ok {
		return
	}
	errorType := r.Header.Get("Lambda-Extension-Function-Error-Type")
	if errorType == "" {
		s.writeError(w, i, http.StatusForbidden, "Extension.MissingHeader", "Lambda-Extension-Function-Error-Type not found")
		return
	}
	var body struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	_ = json.Unmarshal(b, &body) // Lambda accepts any body

	s.mu.Lock()
	e := s.exts[id]
	if e.closed != "" {
		why := e.closed
		s.mu.Unlock()
		s.writeError(w, i, http.StatusForbidden, "Extension.InvalidExtensionState", "Extension %s %s", e.name, why)
		return
	}
	e.closed = "reported an error"
	e.queue = nil
	s.errs = append(s.errs, ErrorReport{
		Path:         r.URL.Path,
		Name:         e.name,
		ErrorType:    errorType,
		ErrorMessage: body.ErrorMessage,
		BodyType:     body.ErrorType,
	})
	s.pushedLocked()
	s.mu.Unlock()
	s.writeJSON(w, i, http.StatusAccepted, map[string]string{"status": "OK"})
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
