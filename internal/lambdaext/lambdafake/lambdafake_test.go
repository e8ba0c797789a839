package lambdafake_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/s1crets/s1crets/internal/lambdaext/lambdafake"
)

// TestMain fails the run if a handler or a connection outlives its test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// call makes one raw request and returns the status, the identifier
// header and the decoded JSON body. These tests speak HTTP themselves, so
// that the fake is not checked only by the client it is the fake for.
func call(t *testing.T, ctx context.Context, s *lambdafake.Server, method, path string, hdr map[string]string, body string) (int, string, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+s.Addr()+path, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var m map[string]any
	if len(b) > 0 {
		require.NoError(t, json.Unmarshal(b, &m), "body %q", b)
	}
	return resp.StatusCode, resp.Header.Get("Lambda-Extension-Identifier"), m
}

func register(t *testing.T, s *lambdafake.Server, name string) string {
	t.Helper()
	status, id, body := call(t, t.Context(), s, http.MethodPost, lambdafake.PathRegister,
		map[string]string{"Lambda-Extension-Name": name}, `{"events":["INVOKE","SHUTDOWN"]}`)
	require.Equal(t, http.StatusOK, status, "%v", body)
	require.NotEmpty(t, id)
	assert.Equal(t, lambdafake.FunctionName, body["functionName"])
	assert.Equal(t, lambdafake.FunctionVersion, body["functionVersion"])
	return id
}

func TestAddrIsHostPort(t *testing.T) {
	s := lambdafake.New(t)
	assert.NotContains(t, s.Addr(), "/", "AWS_LAMBDA_RUNTIME_API has no scheme")
	assert.Equal(t, "http://"+s.Addr(), s.URL())
}

func TestRegisterRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, extName, body, wantType string
	}{
		{"no name", "", `{"events":["INVOKE"]}`, "Extension.InvalidExtensionName"},
		{"bad body", "ext", `{"events":`, "InvalidRequestFormat"},
		{"unknown event", "ext", `{"events":["INVOKE","BOOT"]}`, "Extension.InvalidEventType"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := lambdafake.New(t)
			hdr := map[string]string{}
			if tc.extName != "" {
				hdr["Lambda-Extension-Name"] = tc.extName
			}
			status, id, body := call(t, t.Context(), s, http.MethodPost, lambdafake.PathRegister, hdr, tc.body)
			assert.Equal(t, http.StatusForbidden, status)
			assert.Empty(t, id)
			assert.Equal(t, tc.wantType, body["errorType"])
			assert.NotEmpty(t, body["errorMessage"])
			assert.Empty(t, s.Registrations())
		})
	}
}

func TestRegisterTwiceRefused(t *testing.T) {
	s := lambdafake.New(t)
	register(t, s, "ext")
	status, _, body := call(t, t.Context(), s, http.MethodPost, lambdafake.PathRegister,
		map[string]string{"Lambda-Extension-Name": "ext"}, `{"events":["INVOKE"]}`)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, "Extension.InvalidExtensionState", body["errorType"])
	assert.Len(t, s.Registrations(), 1)
}

// TestIdentifierChecked: every call after register must carry an
// identifier that register answered; the fake refuses the others as
// Lambda does, and a refused call consumes no event.
func TestIdentifierChecked(t *testing.T) {
	s := lambdafake.New(t)
	id := register(t, s, "ext")
	s.Invoke("req-1")
	for _, tc := range []struct {
		name, id, wantType string
	}{
		{"missing", "", "Extension.MissingExtensionIdentifier"},
		{"not a uuid", "not-an-identifier", "Extension.InvalidExtensionIdentifier"},
		{"unknown", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "Extension.UnknownExtensionIdentifier"},
	} {
		for _, path := range []string{lambdafake.PathNextEvent, lambdafake.PathInitError, lambdafake.PathExitError} {
			method := http.MethodPost
			if path == lambdafake.PathNextEvent {
				method = http.MethodGet
			}
			hdr := map[string]string{"Lambda-Extension-Function-Error-Type": "Extension.Test"}
			if tc.id != "" {
				hdr["Lambda-Extension-Identifier"] = tc.id
			}
			status, _, body := call(t, t.Context(), s, method, path, hdr, `{}`)
			assert.Equal(t, http.StatusForbidden, status, "%s %s", tc.name, path)
			assert.Equal(t, tc.wantType, body["errorType"], "%s %s", tc.name, path)
		}
	}
	assert.Empty(t, s.Errors())

	// The right identifier still gets the event the refused calls did not.
	status, _, body := call(t, t.Context(), s, http.MethodGet, lambdafake.PathNextEvent,
		map[string]string{"Lambda-Extension-Identifier": id}, "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "INVOKE", body["eventType"])
	assert.Equal(t, "req-1", body["requestId"])
}

// TestEventsInOrder: next answers the pushed events in order, each with
// the fields of Lambda's events, and after SHUTDOWN refuses.
func TestEventsInOrder(t *testing.T) {
	s := lambdafake.New(t)
	id := register(t, s, "ext")
	hdr := map[string]string{"Lambda-Extension-Identifier": id}
	deadline := time.UnixMilli(1_700_000_000_123)
	s.Invoke("a")
	s.Invoke("b")
	s.Shutdown("spindown", deadline)

	for _, want := range []string{"a", "b"} {
		status, _, body := call(t, t.Context(), s, http.MethodGet, lambdafake.PathNextEvent, hdr, "")
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, "INVOKE", body["eventType"])
		assert.Equal(t, want, body["requestId"])
		assert.Equal(t, lambdafake.FunctionARN, body["invokedFunctionArn"])
		assert.Positive(t, body["deadlineMs"])
		assert.NotNil(t, body["tracing"])
	}
	status, _, body := call(t, t.Context(), s, http.MethodGet, lambdafake.PathNextEvent, hdr, "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "SHUTDOWN", body["eventType"])
	assert.Equal(t, "spindown", body["shutdownReason"])
	assert.EqualValues(t, deadline.UnixMilli(), body["deadlineMs"])

	status, _, body = call(t, t.Context(), s, http.MethodGet, lambdafake.PathNextEvent, hdr, "")
	assert.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, "Extension.InvalidExtensionState", body["errorType"])

	reqs := s.Requests()
	require.Len(t, reqs, 5)
	assert.Equal(t, lambdafake.Request{Method: http.MethodPost, Path: lambdafake.PathRegister, Name: "ext", Status: 200}, reqs[0])
	for _, r := range reqs[1:4] {
		assert.Equal(t, lambdafake.Request{Method: http.MethodGet, Path: lambdafake.PathNextEvent, Identifier: id, Status: 200}, r)
	}
	assert.Equal(t, http.StatusForbidden, reqs[4].Status)
}

// TestNextWaitsForAnEvent: next blocks until an event is pushed, and a
// client that gives up leaves the event for the next call.
func TestNextWaitsForAnEvent(t *testing.T) {
	s := lambdafake.New(t)
	id := register(t, s, "ext")

	// A client that gives up while waiting.
	ctx, cancel := context.WithCancel(t.Context())
	gaveUp := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+lambdafake.PathNextEvent, nil)
		req.Header.Set("Lambda-Extension-Identifier", id)
		resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
		if err == nil {
			resp.Body.Close()
		}
		gaveUp <- err
	}()
	s.WaitNext()
	cancel()
	require.ErrorIs(t, <-gaveUp, context.Canceled)
	s.WaitIdle()

	// A client that waits gets the event pushed while it waits.
	type answer struct {
		body map[string]any
		err  error
	}
	got := make(chan answer, 1)
	go func() { // no require here: not the test's goroutine
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+lambdafake.PathNextEvent, nil)
		req.Header.Set("Lambda-Extension-Identifier", id)
		resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
		if err != nil {
			got <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		var a answer
		a.err = json.NewDecoder(resp.Body).Decode(&a.body)
		got <- a
	}()
	s.WaitNext()
	s.Invoke("late")
	a := <-got
	require.NoError(t, a.err)
	assert.Equal(t, "late", a.body["requestId"])
}

// TestErrorReports: init/error and exit/error need the error type header,
// are recorded, and end the extension's calls.
func TestErrorReports(t *testing.T) {
	for _, path := range []string{lambdafake.PathInitError, lambdafake.PathExitError} {
		t.Run(path, func(t *testing.T) {
			s := lambdafake.New(t)
			id := register(t, s, "ext")
			hdr := map[string]string{"Lambda-Extension-Identifier": id}
			status, _, body := call(t, t.Context(), s, http.MethodPost, path, hdr, `{"errorMessage":"m","errorType":"T"}`)
			assert.Equal(t, http.StatusForbidden, status)
			assert.Equal(t, "Extension.MissingHeader", body["errorType"])

			hdr["Lambda-Extension-Function-Error-Type"] = "Extension.Test"
			status, _, body = call(t, t.Context(), s, http.MethodPost, path, hdr, `{"errorMessage":"went wrong","errorType":"Extension.Test"}`)
			assert.Equal(t, http.StatusAccepted, status)
			assert.Equal(t, "OK", body["status"])
			assert.Equal(t, []lambdafake.ErrorReport{{
				Path: path, Name: "ext", ErrorType: "Extension.Test", ErrorMessage: "went wrong", BodyType: "Extension.Test",
			}}, s.Errors())

			status, _, body = call(t, t.Context(), s, http.MethodGet, lambdafake.PathNextEvent, hdr, "")
			assert.Equal(t, http.StatusForbidden, status)
			assert.Equal(t, "Extension.InvalidExtensionState", body["errorType"])
		})
	}
}

func TestFail(t *testing.T) {
	s := lambdafake.New(t)
	s.Fail(lambdafake.PathRegister, http.StatusInternalServerError)
	status, id, body := call(t, t.Context(), s, http.MethodPost, lambdafake.PathRegister,
		map[string]string{"Lambda-Extension-Name": "ext"}, `{"events":["INVOKE"]}`)
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Empty(t, id)
	assert.Equal(t, "InternalServerError", body["errorType"])
	assert.Empty(t, s.Registrations())

	s.Fail(lambdafake.PathRegister, 0)
	register(t, s, "ext")
}

func TestWrongMethod(t *testing.T) {
	s := lambdafake.New(t)
	status, _, _ := call(t, t.Context(), s, http.MethodGet, lambdafake.PathRegister, nil, "")
	assert.Equal(t, http.StatusMethodNotAllowed, status)
}

// TestCloseReleasesWaitingCalls: a next call still waiting when the test
// ends does not hold up the fake's shutdown (goleak checks the rest).
func TestCloseReleasesWaitingCalls(t *testing.T) {
	done := make(chan struct{})
	t.Run("inner", func(t *testing.T) {
		s := lambdafake.New(t)
		id := register(t, s, "ext")
		go func() {
			defer close(done)
			req, _ := http.NewRequest(http.MethodGet, s.URL()+lambdafake.PathNextEvent, nil)
			req.Header.Set("Lambda-Extension-Identifier", id)
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			if resp, err := (&http.Client{Transport: tr}).Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
		s.WaitNext()
	})
	<-done
}
