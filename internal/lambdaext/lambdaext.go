// Package lambdaext runs a program as an AWS Lambda external extension:
// a client of the Lambda Extensions API and the lifecycle loop that
// `s1crets serve` follows when AWS_LAMBDA_RUNTIME_API is set.
//
// # Lifecycle
//
// Lambda starts every executable in /opt/extensions before the function's
// runtime, sets AWS_LAMBDA_RUNTIME_API (host:port, no scheme) in their
// environment, and then:
//
//  1. Init. Each extension registers (POST /2020-01-01/extension/register,
//     header Lambda-Extension-Name = its file name, body
//     {"events":["INVOKE","SHUTDOWN"]}) and receives its
//     Lambda-Extension-Identifier, which every later call sends back. The
//     function's own init starts only when every extension has registered
//     and called event/next, so [Run] registers first, then calls
//     [Hooks.Ready] (start answering requests), then waits for the first
//     event. The whole Init phase is limited to 10 s.
//  2. Invoke. Each GET /2020-01-01/extension/event/next blocks until the
//     next event and tells Lambda that the extension is done with the
//     previous one. Between invocations Lambda freezes the whole
//     environment, the extension included; the call may therefore last
//     minutes or hours, and has no client timeout (only its context ends
//     it). Run answers each INVOKE by calling event/next again, after
//     [Hooks.Invoke] if set.
//  3. Shutdown. A SHUTDOWN event (reason spindown, timeout or failure)
//     carries a deadline, at most 2 s away, after which Lambda kills the
//     process. Run calls [Hooks.Shutdown] with a context whose deadline is
//     the event's, and returns.
//
// A failure is reported to Lambda before the extension exits: a failing
// Ready with POST /2020-01-01/extension/init/error (Lambda then fails the
// function's init), a failure after it with /exit/error. Both carry the
// Lambda-Extension-Function-Error-Type header and a JSON body
// {"errorMessage", "errorType"}. A failing register cannot be reported:
// the report needs the identifier that only a successful register
// answers; Run returns the error and the process should exit, which
// Lambda sees as the extension's crash.
//
// Package lambdafake is an in-process fake of the Extensions API for
// tests.
package lambdaext

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"
)

// Environment variables.
const (
	// EnvRuntimeAPI is set by Lambda to the runtime API's host:port; its
	// presence means the process runs in a Lambda execution environment.
	EnvRuntimeAPI = "AWS_LAMBDA_RUNTIME_API"
	// EnvName overrides the extension name, which by default is the base
	// name of os.Args[0]. A wrapper script in /opt/extensions sets it to
	// its own file name, which is the name Lambda expects, before it execs
	// the s1crets binary.
	EnvName = "S1CRETS_LAMBDA_EXTENSION_NAME"
)

// Defaults of Config.
const (
	// DefaultRequestTimeout bounds register, init/error and exit/error.
	// Lambda's whole Init phase has 10 s.
	DefaultRequestTimeout = 5 * time.Second
	// DefaultShutdownTimeout bounds Hooks.Shutdown when Run ends for
	// another reason than a SHUTDOWN event (which has its own deadline):
	// the 2 s that Lambda gives its Shutdown phase.
	DefaultShutdownTimeout = 2 * time.Second
)

// Config configures a Client and Run. The zero value of an optional field
// means its default.
type Config struct {
	// RuntimeAPI is the Extensions API's host:port, the value of
	// AWS_LAMBDA_RUNTIME_API. Required.
	RuntimeAPI string
	// Name is the extension's name, which Lambda requires to be the file
	// name of the extension's executable in /opt/extensions. Default: the
	// base name of os.Args[0].
	Name string
	// RequestTimeout bounds each register, init/error and exit/error
	// call, body included. event/next has no timeout. Default
	// DefaultRequestTimeout.
	RequestTimeout time.Duration
	// ShutdownTimeout bounds Hooks.Shutdown when Run ends without a
	// SHUTDOWN event (its context ended, or the API failed). Default
	// DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// Logger receives a line when the extension registers and when it
	// shuts down, and a debug line per event; nil logs nothing.
	Logger *slog.Logger
}

// ConfigFromEnv returns the Config for the Lambda execution environment
// the process runs in, read with getenv (os.Getenv when nil): RuntimeAPI
// from AWS_LAMBDA_RUNTIME_API, Name from S1CRETS_LAMBDA_EXTENSION_NAME or
// else the base name of os.Args[0]. ok is false when
// AWS_LAMBDA_RUNTIME_API is unset or empty: not in Lambda.
func ConfigFromEnv(getenv func(string) string) (cfg Config, ok bool) {
	if getenv == nil {
		getenv = os.Getenv
	}
	api := strings.TrimSpace(getenv(EnvRuntimeAPI))
	if api == "" {
		return Config{}, false
	}
	name := strings.TrimSpace(getenv(EnvName))
	if name == "" {
		name = defaultName()
	}
	return Config{RuntimeAPI: api, Name: name}, true
}

func (c Config) withDefaults() (Config, error) {
	if c.RuntimeAPI == "" {
		return c, fmt.Errorf("lambdaext: the runtime API address is empty (%s unset?)", EnvRuntimeAPI)
	}
	if strings.Contains(c.RuntimeAPI, "/") {
		return c, fmt.Errorf("lambdaext: the runtime API address %q is not host:port", c.RuntimeAPI)
	}
	if c.Name == "" {
		c.Name = defaultName()
		if c.Name == "" {
			return c, errors.New("lambdaext: the extension name is empty")
		}
	}
	if c.RequestTimeout < 0 {
		return c, fmt.Errorf("lambdaext: RequestTimeout must not be negative, got %v", c.RequestTimeout)
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.ShutdownTimeout < 0 {
		return c, fmt.Errorf("lambdaext: ShutdownTimeout must not be negative, got %v", c.ShutdownTimeout)
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Hooks are what Run calls at the steps of the lifecycle.
type Hooks struct {
	// Ready is called once the extension has registered, before the
	// first event/next. It starts the work (for serve: start answering
	// HTTP requests) and returns; the first invoke waits for it (Lambda's
	// init phase ends when every extension has asked for its next event).
	// The function's own init code starts once every extension has
	// registered and may already call the extension: a server should bind
	// its listener before Run, so that early connections wait in the
	// backlog. An error is reported to Lambda with init/error and Run
	// returns it. Required.
	//
	// The message of an error from Ready or Invoke goes to Lambda, which
	// logs it: it must not hold a secret.
	Ready func() error
	// Invoke, if set, is called for each INVOKE event with a context whose
	// deadline is the invocation's. Lambda freezes the environment when
	// the function and every extension are done, so the extension's next
	// event/next waits for it. An error is reported to Lambda with
	// exit/error, Shutdown is called, and Run returns the error.
	Invoke func(ctx context.Context, ev Event) error
	// Shutdown is called once, after a successful Ready, when Run ends:
	// on a SHUTDOWN event with a context whose deadline is the event's;
	// when Run's context ends or the API fails, with a context bounded by
	// Config.ShutdownTimeout. Its context is not canceled with Run's
	// context. It stops the work (for serve: http.Server.Shutdown).
	// Required.
	Shutdown func(ctx context.Context) error
}

// Error types Run reports to Lambda with init/error and exit/error.
const (
	ErrorTypeReady  = "Extension.ReadyFailed"  // Hooks.Ready failed
	ErrorTypeInvoke = "Extension.InvokeFailed" // Hooks.Invoke failed
	ErrorTypeEvents = "Extension.EventsFailed" // event/next failed
)

// Run is the extension's whole life: it registers with the Extensions API
// at cfg.RuntimeAPI for INVOKE and SHUTDOWN, calls hooks.Ready, then
// follows the events until SHUTDOWN, when it calls hooks.Shutdown and
// returns its error (nil for a clean shutdown). The package doc describes
// the lifecycle.
//
// Run returns early with an error when registering fails (nothing else
// is called), when Ready fails (reported with init/error; Shutdown is not
// called), when event/next or Invoke fails (reported with exit/error;
// Shutdown is called), and when ctx ends while it waits for an event
// (the error is ctx.Err(); Shutdown is called; nothing is reported: the
// caller chose to stop). API errors name the endpoint and the HTTP status
// (*APIError). After an error the process should exit.
func Run(ctx context.Context, cfg Config, hooks Hooks) error {
	if hooks.Ready == nil || hooks.Shutdown == nil {
		return errors.New("lambdaext: Hooks.Ready and Hooks.Shutdown are required")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	c, err := NewClient(cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	log := cfg.Logger

	reg, err := c.Register(ctx, Invoke, Shutdown)
	if err != nil {
		return err
	}
	log.Info("lambda extension registered", "name", c.Name(), "function", reg.FunctionName, "version", reg.FunctionVersion)

	if err := hooks.Ready(); err != nil {
		err = fmt.Errorf("lambdaext: ready: %w", err)
		return errors.Join(err, c.InitError(ctx, ErrorTypeReady, err))
	}

	// stop calls Shutdown when Run ends for another reason than a
	// SHUTDOWN event, and joins its error to err.
	stop := func(err error) error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		if serr := hooks.Shutdown(sctx); serr != nil {
			err = errors.Join(err, fmt.Errorf("lambdaext: shutdown: %w", serr))
		}
		return err
	}

	for {
		ev, err := c.NextEvent(ctx)
		if err != nil {
			if ctx.Err() != nil {
				log.Info("lambda extension stopping", "cause", context.Cause(ctx))
				return stop(ctx.Err())
			}
			return stop(errors.Join(err, c.ExitError(ctx, ErrorTypeEvents, err)))
		}
		switch ev.Type {
		case Invoke:
			log.Debug("lambda invoke", "requestId", ev.RequestID)
			if hooks.Invoke == nil {
				continue
			}
			ictx, cancel := withDeadline(ctx, ev.Deadline)
			err := hooks.Invoke(ictx, ev)
			cancel()
			if err != nil {
				err = fmt.Errorf("lambdaext: invoke %s: %w", ev.RequestID, err)
				return stop(errors.Join(err, c.ExitError(ctx, ErrorTypeInvoke, err)))
			}
		case Shutdown:
			log.Info("lambda shutdown", "reason", ev.ShutdownReason, "deadline", ev.Deadline)
			sctx, cancel := withDeadline(context.WithoutCancel(ctx), ev.Deadline)
			defer cancel()
			if err := hooks.Shutdown(sctx); err != nil {
				return fmt.Errorf("lambdaext: shutdown (%s): %w", ev.ShutdownReason, err)
			}
			return nil
		default:
			// Only INVOKE and SHUTDOWN are registered for; a type a later
			// Lambda sends anyway needs no answer but the next call.
			log.Debug("lambda event ignored", "type", ev.Type)
		}
	}
}

// withDeadline is context.WithDeadline, or a plain cancelable context when
// the event carried no deadline.
func withDeadline(ctx context.Context, d time.Time) (context.Context, context.CancelFunc) {
	if d.IsZero() {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, d)
}
