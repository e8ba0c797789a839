package lambdaext_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets/internal/lambdaext"
	"github.com/s1crets/s1crets/internal/lambdaext/lambdafake"
)

func newClient(t *testing.T, cfg lambdaext.Config) *lambdaext.Client {
	t.Helper()
	c, err := lambdaext.NewClient(cfg)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func registered(t *testing.T, fake *lambdafake.Server) *lambdaext.Client {
	t.Helper()
	c := newClient(t, lambdaext.Config{RuntimeAPI: fake.Addr(), Name: extName})
	reg, err := c.Register(t.Context())
	require.NoError(t, err)
	assert.Equal(t, lambdaext.Registration{
		FunctionName: lambdafake.FunctionName, FunctionVersion: lambdafake.FunctionVersion, Handler: lambdafake.Handler,
	}, reg)
	require.Equal(t, fake.Registrations()[0].Identifier, c.ID())
	return c
}

// TestNextEventHasNoClientTimeout: event/next waits for as long as the
// function is idle, so no client timeout may end it, while register and
// the error reports are bounded by RequestTimeout. With that timeout set
// to 1 ns, event/next still waits for its event, and init/error fails at
// once.
func TestNextEventHasNoClientTimeout(t *testing.T) {
	fake := lambdafake.New(t)
	c := registered(t, fake)
	c.SetQuickTimeout(time.Nanosecond)

	type result struct {
		ev  lambdaext.Event
		err error
	}
	got := make(chan result, 1)
	go func() {
		ev, err := c.NextEvent(t.Context())
		got <- result{ev, err}
	}()
	fake.WaitNext() // it waits: a 1 ns timeout would have ended it before
	fake.Invoke("req-1")
	r := recv(t, got)
	require.NoError(t, r.err)
	assert.Equal(t, "req-1", r.ev.RequestID)

	err := c.InitError(t.Context(), "Extension.Test", errors.New("x"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lambdaext: POST /2020-01-01/extension/init/error: ")
	assert.Contains(t, err.Error(), "Client.Timeout exceeded")
	assert.Empty(t, fake.Errors())
}

// TestNextEventHonoursContext: a canceled context ends a waiting
// event/next, and the error says so.
func TestNextEventHonoursContext(t *testing.T) {
	fake := lambdafake.New(t)
	c := registered(t, fake)
	ctx, cancel := context.WithCancel(t.Context())
	got := make(chan error, 1)
	go func() {
		_, err := c.NextEvent(ctx)
		got <- err
	}()
	fake.WaitNext()
	cancel()
	err := recv(t, got)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, "lambdaext: GET /2020-01-01/extension/event/next: context canceled", err.Error())
}

// TestClientWrongIdentifier: a call with an identifier Lambda does not
// know is refused with 403, and the error names the endpoint, the status
// and Lambda's error type.
func TestClientWrongIdentifier(t *testing.T) {
	fake := lambdafake.New(t)
	c := registered(t, fake)
	c.SetID("3f2504e0-4f89-41d3-9a0c-0305e82c3301")
	_, err := c.NextEvent(t.Context())
	require.Error(t, err)
	apiErr, ok := errors.AsType[*lambdaext.APIError](err)
	require.True(t, ok)
	assert.Equal(t, lambdaext.APIError{
		Method: http.MethodGet, Path: lambdaext.PathNextEvent, StatusCode: http.StatusForbidden,
		Type: "Extension.UnknownExtensionIdentifier", Message: "Unknown extension 3f2504e0-4f89-41d3-9a0c-0305e82c3301",
	}, *apiErr)
	assert.Equal(t, "lambdaext: GET /2020-01-01/extension/event/next: HTTP 403 Forbidden: Extension.UnknownExtensionIdentifier: Unknown extension 3f2504e0-4f89-41d3-9a0c-0305e82c3301", err.Error())

	err = c.ExitError(t.Context(), "Extension.Test", errors.New("x"))
	apiErr, ok = errors.AsType[*lambdaext.APIError](err)
	require.True(t, ok)
	assert.Equal(t, http.StatusForbidden, apiErr.StatusCode)
	assert.Empty(t, fake.Errors())
}

// TestClientNotRegistered: calls before Register, and a second Register,
// are errors without a request.
func TestClientNotRegistered(t *testing.T) {
	fake := lambdafake.New(t)
	c := newClient(t, lambdaext.Config{RuntimeAPI: fake.Addr(), Name: extName})
	_, err := c.NextEvent(t.Context())
	assert.EqualError(t, err, "lambdaext: GET /2020-01-01/extension/event/next: the extension is not registered")
	assert.EqualError(t, c.InitError(t.Context(), "Extension.Test", nil), "lambdaext: POST /2020-01-01/extension/init/error: the extension is not registered")
	assert.Empty(t, fake.Requests())

	_, err = c.Register(t.Context())
	require.NoError(t, err)
	_, err = c.Register(t.Context())
	assert.EqualError(t, err, "lambdaext: register: the extension is registered already")
	assert.Len(t, fake.Requests(), 1)
	assert.EqualError(t, c.ExitError(t.Context(), "", nil), "lambdaext: POST /2020-01-01/extension/exit/error: the error type is empty")
}

// TestClientReportsError: InitError sends the error type header and the
// JSON body Lambda documents.
func TestClientReportsError(t *testing.T) {
	fake := lambdafake.New(t)
	c := registered(t, fake)
	require.NoError(t, c.InitError(t.Context(), "Extension.ConfigInvalid", errors.New("bad flag --ttl")))
	assert.Equal(t, []lambdafake.ErrorReport{{
		Path: lambdafake.PathInitError, Name: extName, ErrorType: "Extension.ConfigInvalid",
		ErrorMessage: "bad flag --ttl", BodyType: "Extension.ConfigInvalid",
	}}, fake.Errors())
}

// rawAPI is a stand-in for Lambda that answers register with the
// identifier (unless noID) and event/next with the given bodies in turn.
func rawAPI(t *testing.T, noID bool, events ...string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case lambdaext.PathRegister:
			if !noID {
				w.Header().Set(lambdaext.HeaderIdentifier, "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111")
			}
			_, _ = io.WriteString(w, `{"functionName":"helloWorld","functionVersion":"$LATEST","handler":"lambda_function.lambda_handler"}`)
		case lambdaext.PathNextEvent:
			if len(events) == 0 {
				http.Error(w, "no more events", http.StatusInternalServerError)
				return
			}
			_, _ = io.WriteString(w, events[0])
			events = events[1:]
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestNextEventDecodes: the events as the AWS documentation shows them
// decode into Event; an unknown event type passes through, and a body
// that is not an event is an error naming the endpoint.
func TestNextEventDecodes(t *testing.T) {
	addr := rawAPI(t, false,
		`{"eventType":"INVOKE","deadlineMs":676051,"requestId":"3da1f2dc-3222-475e-9205-e2e6c6318895",`+
			`"invokedFunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:ExtensionTest",`+
			`"tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1-5f35ae12-0c0fec141ab77a00bc047aa2;Parent=2be948a625588e32;Sampled=1"}}`,
		`{"eventType":"SHUTDOWN","shutdownReason":"timeout","deadlineMs":1581512138111}`,
		`{"eventType":"RESTORE","deadlineMs":0}`,
		`{"nothing":"here"}`,
		`not json`,
	)
	c := newClient(t, lambdaext.Config{RuntimeAPI: addr, Name: extName})
	reg, err := c.Register(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "helloWorld", reg.FunctionName)

	ev, err := c.NextEvent(t.Context())
	require.NoError(t, err)
	assert.Equal(t, lambdaext.Event{
		Type: lambdaext.Invoke, Deadline: time.UnixMilli(676051),
		RequestID:          "3da1f2dc-3222-475e-9205-e2e6c6318895",
		InvokedFunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:ExtensionTest",
	}, ev)

	ev, err = c.NextEvent(t.Context())
	require.NoError(t, err)
	assert.Equal(t, lambdaext.Event{Type: lambdaext.Shutdown, Deadline: time.UnixMilli(1581512138111), ShutdownReason: lambdaext.ShutdownTimeout}, ev)

	ev, err = c.NextEvent(t.Context())
	require.NoError(t, err)
	assert.Equal(t, lambdaext.Event{Type: "RESTORE"}, ev)

	_, err = c.NextEvent(t.Context())
	assert.EqualError(t, err, "lambdaext: GET /2020-01-01/extension/event/next: decoding the event: no eventType")
	_, err = c.NextEvent(t.Context())
	assert.ErrorContains(t, err, "lambdaext: GET /2020-01-01/extension/event/next: decoding the event: invalid character")
	_, err = c.NextEvent(t.Context())
	assert.ErrorContains(t, err, "lambdaext: GET /2020-01-01/extension/event/next: HTTP 500 Internal Server Error")
}

// TestRegisterWithoutIdentifier: a register answer without the identifier
// header is an error: nothing later could be sent.
func TestRegisterWithoutIdentifier(t *testing.T) {
	c := newClient(t, lambdaext.Config{RuntimeAPI: rawAPI(t, true), Name: extName})
	_, err := c.Register(t.Context())
	assert.EqualError(t, err, "lambdaext: POST /2020-01-01/extension/register: the answer has no Lambda-Extension-Identifier header")
	assert.Empty(t, c.ID())
}

// TestNameDefault: without a Name, the extension registers with the base
// name of os.Args[0], which Lambda requires to be its file name.
func TestNameDefault(t *testing.T) {
	fake := lambdafake.New(t)
	c := newClient(t, lambdaext.Config{RuntimeAPI: fake.Addr()})
	assert.Equal(t, filepath.Base(os.Args[0]), c.Name())
	_, err := c.Register(t.Context())
	require.NoError(t, err)
	assert.Equal(t, filepath.Base(os.Args[0]), fake.Registrations()[0].Name)
}

func TestConfigFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    map[string]string
		want   lambdaext.Config
		wantOK bool
	}{
		{"not in Lambda", map[string]string{}, lambdaext.Config{}, false},
		{"empty runtime API", map[string]string{"AWS_LAMBDA_RUNTIME_API": " "}, lambdaext.Config{}, false},
		{
			"in Lambda", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"},
			lambdaext.Config{RuntimeAPI: "127.0.0.1:9001", Name: filepath.Base(os.Args[0])}, true,
		},
		{
			"name from the wrapper", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "S1CRETS_LAMBDA_EXTENSION_NAME": "secrets-cache"},
			lambdaext.Config{RuntimeAPI: "127.0.0.1:9001", Name: "secrets-cache"}, true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, ok := lambdaext.ConfigFromEnv(func(k string) string { return tc.env[k] })
			assert.Equal(t, tc.wantOK, ok)
			assert.Equal(t, tc.want, cfg)
		})
	}
}
