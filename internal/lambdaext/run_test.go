package lambdaext_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/s1crets/s1crets/internal/lambdaext"
	"github.com/s1crets/s1crets/internal/lambdaext/lambdafake"
	"github.com/s1crets/s1crets/internal/obstest"
)

// TestMain fails the run if Run or a Client leaves a goroutine or a
// connection behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const extName = "s1crets"

// hangGuard only keeps a broken test from hanging; no test measures time.
const hangGuard = 60 * time.Second

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(hangGuard):
		t.Fatalf("nothing received within %v", hangGuard)
		panic("unreachable")
	}
}

// recorder records the hook calls in order, and what they saw.
type recorder struct {
	calls chan string

	mu           sync.Mutex // guards the fields below
	readyReqs    []lambdafake.Request
	invokeDL     []time.Time // deadline of each Invoke hook's ctx
	invokeEvents []lambdaext.Event
	shutdownDL   time.Time // deadline of the Shutdown hook's ctx
	shutdownErr  error     // its ctx.Err() when the hook ran
	shutdowns    int
}

func newRecorder() *recorder { return &recorder{calls: make(chan string, 100)} }

// hooks returns Hooks that record into r; fake is read by Ready, to see
// which requests came before it.
func (r *recorder) hooks(fake *lambdafake.Server) lambdaext.Hooks {
	return lambdaext.Hooks{
		Ready: func() error {
			r.mu.Lock()
			r.readyReqs = fake.Requests()
			r.mu.Unlock()
			r.calls <- "ready"
			return nil
		},
		Invoke: func(ctx context.Context, ev lambdaext.Event) error {
			dl, _ := ctx.Deadline()
			r.mu.Lock()
			r.invokeDL = append(r.invokeDL, dl)
			r.invokeEvents = append(r.invokeEvents, ev)
			r.mu.Unlock()
			r.calls <- "invoke " + ev.RequestID
			return nil
		},
		Shutdown: func(ctx context.Context) error {
			dl, _ := ctx.Deadline()
			r.mu.Lock()
			r.shutdownDL, r.shutdownErr = dl, ctx.Err()
			r.shutdowns++
			r.mu.Unlock()
			r.calls <- "shutdown"
			return nil
		},
	}
}

// start runs Run in a goroutine; its error arrives on the channel.
func start(ctx context.Context, cfg lambdaext.Config, hooks lambdaext.Hooks) <-chan error {
	done := make(chan error, 1)
	go func() { done <- lambdaext.Run(ctx, cfg, hooks) }()
	return done
}

// TestRunLifecycle: Run registers with the extension's name for INVOKE
// and SHUTDOWN, calls Ready after register and before the first
// event/next, calls Invoke for each INVOKE in order, and on SHUTDOWN
// calls Shutdown and returns nil; every call after register carries the
// identifier register answered.
func TestRunLifecycle(t *testing.T) {
	fake := lambdafake.New(t)
	rec := newRecorder()
	var logs obstest.Buffer
	cfg := lambdaext.Config{
		RuntimeAPI: fake.Addr(),
		Name:       extName,
		Logger:     slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	done := start(t.Context(), cfg, rec.hooks(fake))

	require.Equal(t, "ready", recv(t, rec.calls))
	const invokes = 3
	for i := range invokes {
		id := fmt.Sprintf("req-%d", i)
		fake.Invoke(id)
		require.Equal(t, "invoke "+id, recv(t, rec.calls))
	}
	fake.Shutdown("spindown", time.Now().Add(time.Hour))
	require.Equal(t, "shutdown", recv(t, rec.calls))
	require.NoError(t, recv(t, done))

	regs := fake.Registrations()
	require.Len(t, regs, 1)
	assert.Equal(t, extName, regs[0].Name)
	assert.Equal(t, []string{"INVOKE", "SHUTDOWN"}, regs[0].Events)
	id := regs[0].Identifier

	want := []lambdafake.Request{{Method: http.MethodPost, Path: lambdafake.PathRegister, Name: extName, Status: http.StatusOK}}
	for range invokes + 1 { // one event/next per INVOKE, and the one that got SHUTDOWN
		want = append(want, lambdafake.Request{Method: http.MethodGet, Path: lambdafake.PathNextEvent, Identifier: id, Status: http.StatusOK})
	}
	assert.Equal(t, want, fake.Requests())
	assert.Empty(t, fake.Errors())

	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Equal(t, want[:1], rec.readyReqs, "Ready runs after register and before the first event/next")
	require.Len(t, rec.invokeEvents, invokes)
	for i, ev := range rec.invokeEvents {
		assert.Equal(t, lambdaext.Invoke, ev.Type)
		assert.Equal(t, fmt.Sprintf("req-%d", i), ev.RequestID)
		assert.Equal(t, lambdafake.FunctionARN, ev.InvokedFunctionARN)
		assert.False(t, ev.Deadline.IsZero())
		assert.True(t, ev.Deadline.Equal(rec.invokeDL[i]), "the Invoke hook's ctx has the invocation's deadline")
	}
	assert.Equal(t, 1, rec.shutdowns)
	assert.Contains(t, logs.String(), "lambda extension registered")
	assert.Contains(t, logs.String(), "function="+lambdafake.FunctionName)
	assert.Contains(t, logs.String(), "reason=spindown")
}

// TestRunWithoutInvokeHook: Invoke is optional; INVOKE events are then
// answered with the next event/next only.
func TestRunWithoutInvokeHook(t *testing.T) {
	fake := lambdafake.New(t)
	rec := newRecorder()
	hooks := rec.hooks(fake)
	hooks.Invoke = nil
	done := start(t.Context(), lambdaext.Config{RuntimeAPI: fake.Addr(), Name: extName}, hooks)
	require.Equal(t, "ready", recv(t, rec.calls))
	fake.Invoke("a")
	fake.Invoke("b")
	fake.Shutdown("spindown", time.Now().Add(time.Hour))
	require.Equal(t, "shutdown", recv(t, rec.calls))
	require.NoError(t, recv(t, done))
	assert.Len(t, fake.Requests(), 4) // register, next (a), next (b), next (SHUTDOWN)
}

// TestRunShutdownDeadline: the Shutdown hook's context has the SHUTDOWN
// event's deadline (Lambda kills the process then), and is not canceled
// when Run's context is.
func TestRunShutdownDeadline(t *testing.T) {
	fake := lambdafake.New(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var (
		mu       sync.Mutex
		gotDL    time.Time
		afterErr error
	)
	hooks := lambdaext.Hooks{
		Ready: func() error { return nil },
		Shutdown: func(sctx context.Context) error {
			cancel() // Run's context ends during the shutdown
			mu.Lock()
			defer mu.Unlock()
			gotDL, _ = sctx.Deadline()
			afterErr = sctx.Err()
			return nil
		},
	}
	done := start(ctx, lambdaext.Config{RuntimeAPI: fake.Addr(), Name: extName}, hooks)
	fake.WaitNext()
	deadline := time.UnixMilli(time.Now().Add(time.Hour).UnixMilli()) // Lambda sends milliseconds
	fake.Shutdown("timeout", deadline)
	require.NoError(t, recv(t, done))

	mu.Lock()
	defer mu.Unlock()
	assert.True(t, gotDL.Equal(deadline), "deadline %v, want %v", gotDL, deadline)
	assert.NoError(t, afterErr, "canceling Run's context does not cut the shutdown short")
}

// TestRunContextCanceledWhileWaiting: Run waits on event/next without a
// timeout, and returns ctx's error when ctx ends; it calls Shutdown with
// a live context bounded by ShutdownTimeout, and reports nothing to
// Lambda: stopping was the caller's choice.
func TestRunContextCanceledWhileWaiting(t *testing.T) {
	fake := lambdafake.New(t)
	rec := newRecorder()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cfg := lambdaext.Config{RuntimeAPI: fake.Addr(), Name: extName, ShutdownTimeout: time.Hour}
	done := start(ctx, cfg, rec.hooks(fake))
	require.Equal(t, "ready", recv(t, rec.calls))
	fake.WaitNext()
	canceledAt := time.Now()
	cancel()
	require.Equal(t, "shutdown", recv(t, rec.calls))
	err := recv(t, done)
	require.ErrorIs(t, err, context.Canceled)

	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Equal(t, 1, rec.shutdowns)
	assert.NoError(t, rec.shutdownErr, "the Shutdown hook's context is live")
	assert.False(t, rec.shutdownDL.Before(canceledAt.Add(time.Hour)), "bounded by ShutdownTimeout from the cancellation on")
	assert.Empty(t, fake.Errors())
	reqs := fake.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, lambdafake.PathNextEvent, reqs[1].Path)
	assert.Zero(t, reqs[1].Status, "the event/next was abandoned, not answered")
}

// TestRunRegisterFails: a register that Lambda answers with 500 is an
// *APIError naming the endpoint and the status. It cannot be reported
// with init/error, which needs the identifier that register did not
// give; Ready and Shutdown are not called.
func TestRunRegisterFails(t *testing.T) {
	fake := lambdafake.New(t)
	fake.Fail(lambdafake.PathRegister, http.StatusInternalServerError)
	rec := newRecorder()
	err := lambdaext.Run(t.Context(), lambdaext.Config{RuntimeAPI: fake.Addr(), Name: extName}, rec.hooks(fake))
	require.Error(t, err)
	assert.Equal(t, "lambdaext: POST /2020-01-01/extension/register: HTTP 500 Internal Server Error: InternalServerError: Internal Server Error", err.Error())
	apiErr, ok := errors.AsType[*lambdaext.APIError](err)
	require.True(t, ok)
	assert.Equal(t, http.StatusInternalServerError, apiErr.StatusCode)
	assert.Equal(t, lambdaext.PathRegister, apiErr.Path)

	assert.Len(t, fake.Requests(), 1)
	assert.Empty(t, fake.Errors())
	assert.Empty(t, rec.calls, "no hook is called")
}

// TestRunRegisterUnreachable: a runtime API that refuses connections is
// an error naming the endpoint.
func TestRunRegisterUnreachable(t *testing.T) {
	fake := lambdafake.New(t)
	addr := fake.Addr()
	fake.Close()
	rec := newRecorder()
	err := lambdaext.Run(t.Context(), lambdaext.Config{RuntimeAPI: addr, Name: extName}, rec.hooks(fake))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lambdaext: POST /2020-01-01/extension/register: ")
	assert.Contains(t, err.Error(), "connection refused")
	assert.Empty(t, rec.calls)
}

// TestRunReadyFails: a Ready that fails (the port is taken, say) is
// reported with init/error, which fails the function's init; Run returns
// the error and does not call Shutdown or event/next.
func TestRunReadyFails(t *testing.T) {
	fake := lambdafake.New(t)
	listenErr := errors.New("listen tcp 127.0.0.1:2773: bind: address already in use")
	shutdowns := 0
	hooks := lambdaext.Hooks{
		Ready:    func() error { return listenErr },
		Shutdown: func(context.Context) error { shutdowns++; return nil },
	}
	err := lambdaext.Run(t.Context(), lambdaext.Config{RuntimeAPI: fake.Addr(), Name: extName}, hooks)
	require.ErrorIs(t, err, listenErr)
	assert.Equal(t, "lambdaext: ready: "+listenErr.Error(), err.Error())
	assert.Zero(t, shutdowns)

	assert.Equal(t, []lambdafake.ErrorReport{{
		Path:         lambdafake.PathInitError,
		Name:         extName,
		ErrorType:    lambdaext.ErrorTypeReady,
		ErrorMessage: "lambdaext: ready: " + listenErr.Error(),
		BodyType:     lambdaext.ErrorTypeReady,
	}}, fake.Errors())
	reqs := fake.Requests()
	require.Len(t, reqs, 2)
	id := fake.Registrations()[0].Identifier
	assert.Equal(t, lambdafake.Request{
		Method: http.MethodPost, Path: lambdafake.PathInitError, Identifier: id,
		ErrorType: lambdaext.ErrorTypeReady, Status: http.StatusAccepted,
	}, reqs[1])
}

// TestRunNextFails: an event/next that Lambda answers with an error ends
// Run: the failure is reported with exit/error, Shutdown is called, and
// the error names the endpoint and the status.
func TestRunNextFails(t *testing.T) {
	fake := lambdafake.New(t)
	rec := newRecorder()
	hooks := rec.hooks(fake)
	ready := hooks.Ready
	hooks.Ready = func() error {
		fake.Fail(lambdafake.PathNextEvent, http.StatusInternalServerError)
		return ready()
	}
	err := recv(t, start(t.Context(), lambdaext.Config{RuntimeAPI: fake.Addr(), Name: extName}, hooks))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lambdaext: GET /2020-01-01/extension/event/next: HTTP 500 Internal Server Error")
	apiErr, ok := errors.AsType[*lambdaext.APIError](err)
	require.True(t, ok)
	assert.Equal(t, lambdaext.PathNextEvent, apiErr.Path)

	require.Equal(t, "ready", recv(t, rec.calls))
	require.Equal(t, "shutdown", recv(t, rec.calls))
	errs := fake.Errors()
	require.Len(t, errs, 1)
	assert.Equal(t, lambdafake.PathExitError, errs[0].Path)
	assert.Equal(t, lambdaext.ErrorTypeEvents, errs[0].ErrorType)
	assert.Contains(t, errs[0].ErrorMessage, "event/next: HTTP 500")
}

// TestRunInvokeFails: an Invoke hook's error is reported with
// exit/error; Shutdown is called; Run returns the error.
func TestRunInvokeFails(t *testing.T) {
	fake := lambdafake.New(t)
	rec := newRecorder()
	hooks := rec.hooks(fake)
	boom := errors.New("boom")
	hooks.Invoke = func(context.Context, lambdaext.Event) error { return boom }
	done := start(t.Context(), lambdaext.Config{RuntimeAPI: fake.Addr(), Name: extName}, hooks)
	require.Equal(t, "ready", recv(t, rec.calls))
	fake.Invoke("req-1")
	require.Equal(t, "shutdown", recv(t, rec.calls))
	err := recv(t, done)
	require.ErrorIs(t, err, boom)
	assert.Equal(t, "lambdaext: invoke req-1: boom", err.Error())
	assert.Equal(t, []lambdafake.ErrorReport{{
		Path: lambdafake.PathExitError, Name: extName, ErrorType: lambdaext.ErrorTypeInvoke,
		ErrorMessage: "lambdaext: invoke req-1: boom", BodyType: lambdaext.ErrorTypeInvoke,
	}}, fake.Errors())
}

// TestRunShutdownHookFails: the Shutdown hook's error on SHUTDOWN is
// Run's, with the reason.
func TestRunShutdownHookFails(t *testing.T) {
	fake := lambdafake.New(t)
	stuck := errors.New("connections still open")
	hooks := lambdaext.Hooks{
		Ready:    func() error { return nil },
		Shutdown: func(context.Context) error { return stuck },
	}
	done := start(t.Context(), lambdaext.Config{RuntimeAPI: fake.Addr(), Name: extName}, hooks)
	fake.WaitNext()
	fake.Shutdown("failure", time.Now().Add(time.Hour))
	err := recv(t, done)
	require.ErrorIs(t, err, stuck)
	assert.Equal(t, "lambdaext: shutdown (failure): connections still open", err.Error())
	assert.Empty(t, fake.Errors(), "after SHUTDOWN there is nobody to report to")
}

// TestRunValidates: missing hooks and a bad configuration are errors
// before any request.
func TestRunValidates(t *testing.T) {
	fake := lambdafake.New(t)
	ok := lambdaext.Hooks{Ready: func() error { return nil }, Shutdown: func(context.Context) error { return nil }}
	for _, tc := range []struct {
		name  string
		cfg   lambdaext.Config
		hooks lambdaext.Hooks
		want  string
	}{
		{"no Ready", lambdaext.Config{RuntimeAPI: fake.Addr()}, lambdaext.Hooks{Shutdown: ok.Shutdown}, "Hooks.Ready and Hooks.Shutdown are required"},
		{"no Shutdown", lambdaext.Config{RuntimeAPI: fake.Addr()}, lambdaext.Hooks{Ready: ok.Ready}, "Hooks.Ready and Hooks.Shutdown are required"},
		{"no runtime API", lambdaext.Config{}, ok, "the runtime API address is empty (AWS_LAMBDA_RUNTIME_API unset?)"},
		{"URL for runtime API", lambdaext.Config{RuntimeAPI: fake.URL()}, ok, "is not host:port"},
		{"negative RequestTimeout", lambdaext.Config{RuntimeAPI: fake.Addr(), RequestTimeout: -1}, ok, "RequestTimeout must not be negative"},
		{"negative ShutdownTimeout", lambdaext.Config{RuntimeAPI: fake.Addr(), ShutdownTimeout: -1}, ok, "ShutdownTimeout must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := lambdaext.Run(t.Context(), tc.cfg, tc.hooks)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	assert.Empty(t, fake.Requests())
}
