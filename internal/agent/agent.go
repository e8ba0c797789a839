// Package agent is the HTTP service of "s1crets serve": the cache of
// package s1crets as a local service for programs in any language.
//
// It answers the API of the AWS Parameters and Secrets Lambda Extension and
// of the AWS Secrets Manager Agent, so that client code written for them
// works unchanged:
//
//	GET /secretsmanager/get?secretId=ID[&versionStage=S|&versionId=V][&refreshNow=true]
//	GET /v1/ID[?versionStage=S|&versionId=V][&refreshNow=true]       (the agent's path style)
//	GET /systemsmanager/parameters/get?name=NAME[&withDecryption=true][&version=N|&label=L]
//	GET /ping                                                       "healthy"
//
// The bodies are the stores' own GetSecretValue and GetParameter answers;
// store errors are answered with the store's HTTP status and a JSON 1.1
// error body ({"__type": code, "message": ...}), as the AWS services do.
//
// It adds what they lack (see Server.Handler for the details):
//
//	GET  /s1crets/get?provider=P&name=N&name=M[&keyPath=a.b|&key=a&key=b]   many secrets at once
//	GET  /s1crets/get?provider=P&path=/a/b[&recursive=false][&keyPath=...]   the secrets below a path
//	POST /s1crets/invalidate?provider=P&name=N                               drop a secret from every cache tier
//	GET  /healthz                                                            "ok"; 503 while shutting down
//	GET  /metrics                                                            Prometheus text format
//
// # Security
//
// Every request except /ping, /healthz and /metrics must carry the
// server's token in the header X-Aws-Parameters-Secrets-Token (or
// X-Vault-Token, which the AWS agent also accepts); a request without it,
// with a wrong one, or with an X-Forwarded-For header is refused before any
// lookup. A TCP listener must be on a loopback address unless
// Config.AllowNonLoopback is set, and then too a request from another
// address is refused unless it is set. Connections are bounded
// (Config.MaxConnections; past it a connection is answered 429 and closed),
// and so are the time to read a request's header (slowloris clients are cut
// off), the header's size (431) and the time of each lookup. No log line and
// no error body holds a secret value.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/s1crets/s1crets"
)

// Store is what the server reads through: a provider of package s1crets.
// *s1crets.Client, and so aws.SecretsManager, aws.ParameterStore and
// memory.Provider, implement it.
type Store interface {
	s1crets.Provider
	GetMany(ctx context.Context, names []string, opts ...s1crets.Option) (s1crets.Many, error)
	Invalidate(ctx context.Context, path string) error
	Stats() s1crets.Stats
}

// The provider names of the API: the provider= parameter of the endpoints of
// this package and the provider label of the metrics.
const (
	SecretsManager = "aws.sm"
	ParameterStore = "aws.ps"
)

// Defaults of Config.
const (
	DefaultMaxConnections    = 800 // as the AWS Secrets Manager Agent
	DefaultRequestTimeout    = 30 * time.Second
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 10 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultMaxHeaderBytes    = 8 << 10
	DefaultPathPrefix        = "/v1/"
	// MaxQueryBytes bounds a request's query string: a longer one is
	// answered 400 before it is parsed.
	MaxQueryBytes = 4 << 10
	// MaxNames bounds the names of one request for many secrets.
	MaxNames = 100
)

// Config configures a Server. SecretsManager or ParameterStore (or both) and
// Token are required; the zero value of every other field means its
// default.
type Config struct {
	// SecretsManager answers /secretsmanager/get, /v1/ and provider=aws.sm;
	// ParameterStore answers /systemsmanager/parameters/get and
	// provider=aws.ps. A nil one answers 404 "Not found". The server does
	// not close them.
	SecretsManager, ParameterStore Store

	// Token is the value that the header X-Aws-Parameters-Secrets-Token
	// (or X-Vault-Token) of every request must hold. Required.
	Token string

	// Logger receives one Debug line per request (method, endpoint, status,
	// duration; never a query, a header or a value) and one Warn line per
	// failed lookup (the error code). Nil means slog.Default().
	Logger *slog.Logger

	// MaxConnections bounds the open connections, summed over the
	// listeners; a connection past it is answered 429 "Connection limit
	// exceeded" and closed. Default DefaultMaxConnections.
	MaxConnections int

	// RequestTimeout bounds each lookup, from the request to the store's
	// answer (504 past it). Default DefaultRequestTimeout.
	RequestTimeout time.Duration

	// The limits of net/http's Server. WriteTimeout defaults to
	// RequestTimeout plus 5 seconds.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	MaxHeaderBytes                                            int

	// AllowNonLoopback lets ListenTCP listen on an address that is not a
	// loopback address, and the server answer requests from other
	// machines. Off by default: only this machine may ask.
	AllowNonLoopback bool

	// PathPrefix is the prefix of the AWS agent's path-style requests
	// (GET /v1/SECRET-ID). Default DefaultPathPrefix.
	PathPrefix string

	// StartDisabled makes the lookup endpoints answer 503 "Serving not
	// enabled" until Server.SetEnabled(true), as the AWS agent does in a
	// Lambda function until its extension is ready. /ping, /healthz and
	// /metrics answer in any case.
	StartDisabled bool

	// DrainDelay is how long Shutdown keeps serving, with /healthz answering
	// 503, before it closes the listeners: the time for a load balancer or
	// Kubernetes to stop sending requests. Default 0.
	DrainDelay time.Duration
}

// Server is the HTTP service. Build it with New, serve with Serve on one
// or more listeners (ListenTCP, ListenUnix), stop it with Shutdown. It is
// safe for concurrent use.
type Server struct {
	cfg     Config
	log     *slog.Logger
	http    *http.Server
	enabled atomic.Bool
	closing atomic.Bool
	conns   connLimit
	metrics serverMetrics
}

// New checks cfg and returns a Server that is not serving yet.
func New(cfg Config) (*Server, error) {
	if cfg.SecretsManager == nil && cfg.ParameterStore == nil {
		return nil, errors.New("agent: no store: set Config.SecretsManager or Config.ParameterStore")
	}
	if cfg.Token == "" {
		return nil, errors.New("agent: no token: every request must carry one, so the server needs one")
	}
	if cfg.MaxConnections < 0 || cfg.RequestTimeout < 0 || cfg.ReadHeaderTimeout < 0 || cfg.ReadTimeout < 0 ||
		cfg.WriteTimeout < 0 || cfg.IdleTimeout < 0 || cfg.MaxHeaderBytes < 0 || cfg.DrainDelay < 0 {
		return nil, errors.New("agent: negative limit in Config")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if cfg.MaxConnections == 0 {
		cfg.MaxConnections = DefaultMaxConnections
	}
	def(&cfg.RequestTimeout, DefaultRequestTimeout)
	def(&cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&cfg.ReadTimeout, DefaultReadTimeout)
	def(&cfg.IdleTimeout, DefaultIdleTimeout)
	def(&cfg.WriteTimeout, cfg.RequestTimeout+5*time.Second)
	if cfg.MaxHeaderBytes == 0 {
		cfg.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if cfg.PathPrefix == "" {
		cfg.PathPrefix = DefaultPathPrefix
	}
	if cfg.PathPrefix[0] != '/' || cfg.PathPrefix[len(cfg.PathPrefix)-1] != '/' {
		return nil, fmt.Errorf("agent: PathPrefix %q must start and end with /", cfg.PathPrefix)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	s.enabled.Store(!cfg.StartDisabled)
	s.conns.max = cfg.MaxConnections
	s.conns.rejected = &s.metrics.rejected
	s.http = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ConnContext:       connContext,
		// net/http's own messages (a TLS handshake on the plain port, a
		// panic) go to the logger at Warn, never to stderr unformatted.
		ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Serve accepts connections on l until Shutdown, applying the connection
// limit, and returns http.ErrServerClosed after Shutdown. It may be called
// for several listeners at once (a TCP port and a Unix socket); the limit is
// shared.
func (s *Server) Serve(l net.Listener) error {
	if tl, ok := l.Addr().(*net.TCPAddr); ok && !s.cfg.AllowNonLoopback && !tl.IP.IsLoopback() {
		return fmt.Errorf("agent: %s is not a loopback address (set AllowNonLoopback to serve other machines)", tl)
	}
	return s.http.Serve(&limitListener{Listener: l, limit: &s.conns})
}

// SetEnabled opens (true) or closes (false) the lookup endpoints; see
// Config.StartDisabled.
func (s *Server) SetEnabled(on bool) { s.enabled.Store(on) }

// Enabled reports whether the lookup endpoints answer.
func (s *Server) Enabled() bool { return s.enabled.Load() }

// Shutdown stops the server gracefully: /healthz answers 503 at once, the
// server keeps serving for Config.DrainDelay, then it stops accepting
// connections and waits for the requests in progress, as
// http.Server.Shutdown does, until ctx is done (then it closes the
// remaining connections and returns ctx's error).
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	if d := s.cfg.DrainDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			s.http.Close()
			return ctx.Err()
		}
	}
	err := s.http.Shutdown(ctx)
	if err != nil {
		s.http.Close()
	}
	return err
}

// connKey marks the connections of a Unix socket in their requests'
// contexts: their peers were let in by the socket file's permissions.
type connKey struct{}

func connContext(ctx context.Context, c net.Conn) context.Context {
	if lc, ok := c.(*limitedConn); ok {
		c = lc.Conn
	}
	_, unix := c.(*net.UnixConn)
	return context.WithValue(ctx, connKey{}, unix)
}

// connLimit counts the open connections of every listener of a Server.
type connLimit struct {
	max      int
	mu       sync.Mutex // guards open
	open     int
	rejected *atomic.Uint64
}

func (c *connLimit) acquire() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open >= c.max {
		return false
	}
	c.open++
	return true
}

func (c *connLimit) release() {
	c.mu.Lock()
	c.open--
	c.mu.Unlock()
}

func (c *connLimit) current() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open
}
