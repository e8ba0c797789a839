package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/agent"
	"github.com/s1crets/s1crets/internal/lambdaext"
	"github.com/s1crets/s1crets/providers/aws"
	_ "github.com/s1crets/s1crets/redistier" // --redis
)

var serveCmd = &command{
	name:    "serve",
	summary: "serve the cache over HTTP on localhost, with the API of the AWS secrets agent",
	help: `Usage: s1crets serve [FLAGS]

Serves both stores through the cache on 127.0.0.1:2773 with the HTTP API of AWS's
Parameters and Secrets Lambda Extension and Secrets Manager Agent (/secretsmanager/get,
/v1/ID, /systemsmanager/parameters/get, /ping), plus GET /s1crets/get (many secrets by
name=, or below path=, with keyPath=), POST /s1crets/invalidate, /healthz and /metrics.
Requests must carry the token in X-Aws-Parameters-Secrets-Token (or X-Vault-Token),
except /ping, /healthz and /metrics. The README's "s1crets serve" section has the API.
Prints "s1crets serve: listening on ..." to stderr when ready; SIGTERM or SIGINT stops
it gracefully (exit 0). A [VARIABLE] is read when its flag is not given.

Flags:
  --port N              [PARAMETERS_SECRETS_EXTENSION_HTTP_PORT] default 2773; 0: any free port
  --listen HOST[:PORT]  default 127.0.0.1; "none": only --socket
  --allow-non-loopback  allow a --listen address that others can reach, and their requests
  --healthcheck         do not serve: ask the serve these flags describe for /healthz, exit 0 if ok
  --socket PATH         also listen on a Unix socket; its file mode decides who may connect
  --socket-mode MODE    octal mode of the socket file (default 0600: this user only)
  --token-env NAME      token from variable NAME (default: the first set of AWS_TOKEN,
                          AWS_SESSION_TOKEN, AWS_CONTAINER_AUTHORIZATION_TOKEN); a value
                          file://PATH is read from PATH; without a token serve refuses to start
  --token VALUE         the token, or file://PATH (a value shows in the process list)
  --ttl D               cache TTL, a duration or seconds, 0: no cache (default 300s)
                          [SECRETS_MANAGER_TTL, SSM_PARAMETER_STORE_TTL: seconds, per store]
  --cache-size N        [PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE] entries per store (1000);
                          PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED=false: no cache
  --refresh-ahead D     [S1CRETS_REFRESH_AHEAD] refresh in the background a secret read in
                          the last D of its TTL
  --max-stale D         [S1CRETS_MAX_STALE] serve an expired value up to D while the store fails
  --cache-dir DIR       [S1CRETS_CACHE_DIR] also cache on disk in DIR (as the CLI's --cache-dir)
  --redis URL           [S1CRETS_REDIS_URL] shared tier on Redis or Valkey (redis://, rediss://)
  --max-connections N   [PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS] default 800; more: 429
  --request-timeout D   bound of each lookup (default 30s; 504 past it); --timeout bounds each
                          AWS call [SECRETS_MANAGER_TIMEOUT_MILLIS, SSM_PARAMETER_STORE_TIMEOUT_MILLIS]
  --drain D             on SIGTERM, answer /healthz 503 and keep serving for D first
  --log-level L         [PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL] debug, info (default), warn,
                          error or none; to stderr, never a value or the token
S1CRETS_CACHE_KEY (32 bytes, base64) encrypts the disk and Redis tiers (Redis requires it).
--provider does not apply. In Lambda (AWS_LAMBDA_RUNTIME_API set), serve is an extension.
`,
	run: runServe,
}

// serveFlags are serve's own flags.
type serveFlags struct {
	port, listen, socket, socketMode, tokenEnv, token string
	allowNonLoopback, healthcheck                     bool
	ttl, cacheSize, refreshAhead, maxStale            string
	diskCache, redis                                  string
	maxConns, requestTimeout, drain, logLevel         string
}

func (s *serveFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&s.port, "port", "", "")
	fs.StringVar(&s.listen, "listen", "127.0.0.1", "")
	fs.BoolVar(&s.allowNonLoopback, "allow-non-loopback", false, "")
	fs.BoolVar(&s.healthcheck, "healthcheck", false, "")
	fs.StringVar(&s.socket, "socket", "", "")
	fs.StringVar(&s.socketMode, "socket-mode", "0600", "")
	fs.StringVar(&s.tokenEnv, "token-env", "", "")
	fs.StringVar(&s.token, "token", "", "")
	fs.StringVar(&s.ttl, "ttl", "", "")
	fs.StringVar(&s.cacheSize, "cache-size", "", "")
	fs.StringVar(&s.refreshAhead, "refresh-ahead", "", "")
	fs.StringVar(&s.maxStale, "max-stale", "", "")
	fs.StringVar(&s.diskCache, "cache-dir", "", "")
	fs.StringVar(&s.redis, "redis", "", "")
	fs.StringVar(&s.maxConns, "max-connections", "", "")
	fs.StringVar(&s.requestTimeout, "request-timeout", "", "")
	fs.StringVar(&s.drain, "drain", "", "")
	fs.StringVar(&s.logLevel, "log-level", "", "")
}

// The environment variables of serve's own settings (the others are the
// AWS extension's); S1CRETS_CACHE_DIR is the CLI's disk cache directory too.
const (
	envRefreshAhead = "S1CRETS_REFRESH_AHEAD"
	envMaxStale     = "S1CRETS_MAX_STALE"
	envRedisURL     = "S1CRETS_REDIS_URL"
)

// orEnv returns the flag's value, else the environment variable's.
func orEnv(v, env string) string {
	if v != "" {
		return v
	}
	return os.Getenv(env)
}

// serveConfig is what the flags and the environment resolve to.
type serveConfig struct {
	addr        string // "" for no TCP listener
	socket      string
	socketMode  fs.FileMode
	token       string
	smCache     s1crets.CacheConfig
	psCache     s1crets.CacheConfig
	smTimeout   time.Duration // 0: --timeout
	psTimeout   time.Duration
	cfg         agent.Config
	logLevel    slog.Level
	logDisabled bool
}

// resolve checks the flags and reads the environment.
func (s *serveFlags) resolve(set map[string]bool) (*serveConfig, error) {
	c := &serveConfig{}
	port := 2773
	if p := orEnv(s.port, "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			return nil, usagef("--port %q: want a port number, 0 to 65535", p)
		}
		port = n
	}
	switch {
	case s.listen == "none":
		if s.socket == "" {
			return nil, usagef("--listen none needs --socket PATH")
		}
	case s.listen == "":
		return nil, usagef("--listen: empty address")
	default:
		if _, _, err := net.SplitHostPort(s.listen); err == nil {
			c.addr = s.listen
		} else {
			c.addr = net.JoinHostPort(strings.Trim(s.listen, "[]"), strconv.Itoa(port))
		}
	}
	c.socket = s.socket
	mode, err := strconv.ParseUint(s.socketMode, 8, 32)
	if err != nil || mode > 0o777 {
		return nil, usagef("--socket-mode %q: want octal permission bits such as 0600 or 0660", s.socketMode)
	}
	c.socketMode = fs.FileMode(mode)

	if !s.healthcheck { // a probe needs no token: /healthz asks for none
		if c.token, err = s.resolveToken(); err != nil {
			return nil, err
		}
	}

	cache := s1crets.CacheConfig{TTL: 300 * time.Second, CountHits: true}
	if v := orEnv(s.cacheSize, "PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, usagef("--cache-size %q: want a number of entries", v)
		}
		if n == 0 {
			cache.Disabled = true
		}
		cache.Size = n
	}
	if v := os.Getenv("PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return nil, usagef("PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED=%q: want true or false", v)
		}
		cache.Disabled = cache.Disabled || !on
	}
	for _, d := range []struct {
		flag, env, val string
		dst            *time.Duration
	}{{"--refresh-ahead", envRefreshAhead, s.refreshAhead, &cache.RefreshAhead},
		{"--max-stale", envMaxStale, s.maxStale, &cache.MaxStale}} {
		what := d.flag
		if d.val == "" {
			what, d.val = d.env, os.Getenv(d.env)
		}
		if d.val != "" {
			if *d.dst, err = parseSeconds(d.val); err != nil {
				return nil, usagef("%s %q: %v", what, d.val, err)
			}
		}
	}
	cache.RedisURL = orEnv(s.redis, envRedisURL)
	c.smCache, c.psCache = cache, cache
	if disk := orEnv(s.diskCache, envCacheDir); disk != "" {
		dir, err := filepath.Abs(disk)
		if err != nil {
			return nil, usagef("--cache-dir %q: %v", disk, err)
		}
		for _, x := range []struct {
			c   *s1crets.CacheConfig
			sub string
		}{{&c.smCache, "sm"}, {&c.psCache, "ps"}} {
			x.c.OnDisk = true
			x.c.KeyCacheDir = filepath.Join(dir, x.sub, "keys")
			x.c.PathCacheDir = filepath.Join(dir, x.sub, "paths")
		}
	}
	for _, x := range []struct {
		env string
		c   *s1crets.CacheConfig
	}{{"SECRETS_MANAGER_TTL", &c.smCache}, {"SSM_PARAMETER_STORE_TTL", &c.psCache}} {
		v := s.ttl
		what := "--ttl"
		if v == "" {
			v, what = os.Getenv(x.env), x.env
		}
		if v == "" {
			continue
		}
		d, err := parseSeconds(v)
		if err != nil {
			return nil, usagef("%s %q: %v", what, v, err)
		}
		if d == 0 {
			x.c.Disabled = true
		} else {
			x.c.TTL = d
		}
	}
	for _, x := range []struct {
		env string
		dst *time.Duration
	}{{"SECRETS_MANAGER_TIMEOUT_MILLIS", &c.smTimeout}, {"SSM_PARAMETER_STORE_TIMEOUT_MILLIS", &c.psTimeout}} {
		if v := os.Getenv(x.env); v != "" && !set["timeout"] {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, usagef("%s=%q: want milliseconds", x.env, v)
			}
			*x.dst = time.Duration(n) * time.Millisecond // 0: the default
		}
	}

	c.cfg.AllowNonLoopback = s.allowNonLoopback
	if v := orEnv(s.maxConns, "PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, usagef("--max-connections %q: want a positive number", v)
		}
		c.cfg.MaxConnections = n
	}
	for _, d := range []struct {
		flag, val string
		dst       *time.Duration
	}{{"request-timeout", s.requestTimeout, &c.cfg.RequestTimeout}, {"drain", s.drain, &c.cfg.DrainDelay}} {
		if d.val != "" {
			if *d.dst, err = parseSeconds(d.val); err != nil {
				return nil, usagef("--%s %q: %v", d.flag, d.val, err)
			}
		}
	}
	switch l := strings.ToLower(orEnv(s.logLevel, "PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL")); l {
	case "debug":
		c.logLevel = slog.LevelDebug
	case "", "info":
		c.logLevel = slog.LevelInfo
	case "warn":
		c.logLevel = slog.LevelWarn
	case "error":
		c.logLevel = slog.LevelError
	case "none":
		c.logDisabled = true
	default:
		return nil, usagef("--log-level %q: want debug, info, warn, error or none", l)
	}
	return c, nil
}

// tokenEnvs are the variables the AWS services take their token from, in
// their order.
var tokenEnvs = []string{"AWS_TOKEN", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"}

// resolveToken finds the token: --token, --token-env, or the first of
// tokenEnvs that is set; a value file://PATH is read from PATH.
func (s *serveFlags) resolveToken() (string, error) {
	val, from := s.token, "--token"
	switch {
	case val != "":
	case s.tokenEnv != "":
		val, from = os.Getenv(s.tokenEnv), s.tokenEnv
		if val == "" {
			return "", usagef("--token-env %s: the variable is not set", s.tokenEnv)
		}
	default:
		for _, name := range tokenEnvs {
			if v := os.Getenv(name); v != "" {
				val, from = v, name
				break
			}
		}
	}
	if val == "" {
		return "", usagef("no token: set AWS_TOKEN (or AWS_SESSION_TOKEN, AWS_CONTAINER_AUTHORIZATION_TOKEN), " +
			"or pass --token-env NAME or --token file://PATH; every request must carry it in the header X-Aws-Parameters-Secrets-Token")
	}
	path, ok := strings.CutPrefix(val, "file://")
	if !ok {
		return val, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the token named by %s: %w", from, err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("the token file named by %s is empty", from)
	}
	return tok, nil
}

// parseSeconds reads a duration: a Go duration ("5m") or a number of
// seconds ("300"); 0 is allowed.
func parseSeconds(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	if d, err := parseTimeout(s); err == nil {
		return d, nil
	}
	return 0, errors.New("want a duration such as 300s, 5m, or a number of seconds")
}

func runServe(ctx context.Context, e env, args []string) error {
	var f awsFlags
	var sf serveFlags
	fs := newFlagSet("serve", &f)
	sf.bind(fs)
	if _, err := parseCommand(fs, &f, args, 0, 0, "no arguments"); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if set["provider"] {
		return usagef("--provider does not apply: serve serves both stores")
	}
	sc, err := sf.resolve(set)
	if err != nil {
		return err
	}
	if sf.healthcheck {
		return healthcheck(ctx, sc)
	}
	var handler slog.Handler = slog.DiscardHandler
	if !sc.logDisabled {
		handler = slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: sc.logLevel})
	}
	logger := slog.New(handler)

	// Listen first: a port in use or a bad socket path fails before any
	// AWS call. As a Lambda extension, a failure is told to Lambda once
	// registered (Ready); listening before registering leaves no moment in
	// which the function, which starts once every extension has
	// registered, finds the port closed (connections wait in the backlog
	// until serving starts).
	lambda, inLambda := lambdaext.ConfigFromEnv(nil)
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	var where []string
	listen := func() error {
		if sc.addr != "" {
			l, err := agent.ListenTCP(sc.addr, sc.cfg.AllowNonLoopback)
			if err != nil {
				return err
			}
			listeners = append(listeners, l)
			where = append(where, "http://"+l.Addr().String())
		}
		if sc.socket != "" {
			l, err := agent.ListenUnix(sc.socket, sc.socketMode)
			if err != nil {
				return err
			}
			listeners = append(listeners, l)
			where = append(where, "unix:"+sc.socket)
		}
		return nil
	}
	listenErr := listen()
	if listenErr != nil && !inLambda {
		return listenErr
	}

	sm, err := f.openStore(ctx, aws.SecretsManagerName, cmp.Or(sc.smTimeout, time.Duration(f.timeout)), s1crets.Cache(sc.smCache))
	if err != nil {
		return err
	}
	defer sm.Close()
	ps, err := f.openStore(ctx, aws.ParameterStoreName, cmp.Or(sc.psTimeout, time.Duration(f.timeout)), s1crets.Cache(sc.psCache))
	if err != nil {
		return err
	}
	defer ps.Close()

	cfg := sc.cfg
	cfg.SecretsManager, cfg.ParameterStore = sm, ps
	cfg.Token = sc.token
	cfg.Logger = logger
	srv, err := agent.New(cfg)
	if err != nil {
		return err
	}

	sigCtx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	errs := make(chan error, 2)
	serve := func() int {
		for _, l := range listeners {
			go func() { errs <- srv.Serve(l) }()
		}
		fmt.Fprintf(e.stderr, "s1crets serve: listening on %s\n", strings.Join(where, " and "))
		return len(listeners)
	}
	if inLambda {
		return runLambda(sigCtx, lambda, logger, srv, listenErr, serve, errs)
	}
	serve()
	select {
	case <-sigCtx.Done():
	case err := <-errs: // a listener failed
		shutdown(srv, cfg)
		return err
	}
	logger.Info("shutting down")
	if err := shutdown(srv, cfg); err != nil {
		return err
	}
	return served(errs, len(listeners))
}

// served waits for the n Serve calls of a server that was shut down and
// returns the first failure that is not the shutdown itself.
func served(errs <-chan error, n int) error {
	var first error
	for range n {
		if err := <-errs; err != nil && !errors.Is(err, http.ErrServerClosed) && first == nil {
			first = err
		}
	}
	return first
}

// runLambda runs serve as a Lambda extension: it registers with the Lambda
// Extensions API, listens and serves (Ready), and shuts the server down on
// Lambda's SHUTDOWN event, within its deadline, or on SIGTERM.
func runLambda(ctx context.Context, cfg lambdaext.Config, logger *slog.Logger, srv *agent.Server,
	listenErr error, serve func() int, errs <-chan error) error {
	cfg.Logger = logger
	var started int
	err := lambdaext.Run(ctx, cfg, lambdaext.Hooks{
		Ready: func() error {
			if listenErr != nil { // reported to Lambda, which can tell the function's logs
				return listenErr
			}
			started = serve()
			return nil
		},
		Shutdown: func(ctx context.Context) error {
			logger.Info("shutting down")
			return srv.Shutdown(ctx)
		},
	})
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		err = nil // SIGTERM
	}
	if serr := served(errs, started); err == nil {
		err = serr
	}
	return err
}

// healthcheck asks the serve that these flags describe for /healthz, over
// its Unix socket if it has one, else over TCP: for probes that run in
// its container (Kubernetes' httpGet probes come from the node, which
// cannot reach a loopback listener). It fails unless the answer is 200.
func healthcheck(ctx context.Context, sc *serveConfig) error {
	tr := &http.Transport{DisableKeepAlives: true}
	url := "http://" + sc.addr + "/healthz"
	if sc.socket != "" {
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sc.socket)
		}
		url = "http://localhost/healthz"
	} else if strings.HasSuffix(sc.addr, ":0") {
		return usagef("--healthcheck needs the server's port: --port or PARAMETERS_SECRETS_EXTENSION_HTTP_PORT")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return fmt.Errorf("s1crets serve --healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("s1crets serve --healthcheck: %s answered %s", url, resp.Status)
	}
	return nil
}

// shutdown stops srv gracefully: the drain, then up to the request timeout
// plus a margin for the requests in progress.
func shutdown(srv *agent.Server, cfg agent.Config) error {
	rt := cfg.RequestTimeout
	if rt == 0 {
		rt = agent.DefaultRequestTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.DrainDelay+rt+5*time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}
