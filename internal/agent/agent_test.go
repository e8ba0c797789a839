package agent_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/agent"
	"github.com/s1crets/s1crets/internal/awsfake"
	"github.com/s1crets/s1crets/internal/obstest"
	"github.com/s1crets/s1crets/providers/aws"
	"github.com/s1crets/s1crets/providers/memory"
)

var ctx = context.Background()

const token = "test-token-0123456789"

// The secret values of the fixture: no log line may hold them.
const (
	smValue  = "sm-secret-value-31415"
	smJSON   = `{"user":"admin","pass":"json-secret-pass-27182","nested":{"k":"nested-secret-16180"}}`
	psValue  = "ps-plain-value-14142"
	psSecure = "ps-secure-value-17320"
)

var binValue = []byte{0, 1, 2, 0xfe, 0xff, 'b', 'i', 'n'}

func TestMain(m *testing.M) {
	cleanup, err := awsfake.IsolateEnv() // never reach real AWS
	if err != nil {
		panic(err)
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// fixture is a server over awsfake's two stores, listening on 127.0.0.1.
type fixture struct {
	fake   *awsfake.Server
	sm     *aws.SecretsManager
	ps     *aws.ParameterStore
	srv    *agent.Server
	url    string
	logBuf *obstest.Buffer
}

func seed(f *awsfake.Server) {
	f.PutSecretString("app/db", "old-"+smValue)
	f.PutSecretString("app/db", smValue) // the old one is now AWSPREVIOUS
	f.PutSecretString("app/json", smJSON)
	f.PutSecretBinary("app/bin", binValue)
	f.PutParameter(awsfake.Parameter{Name: "/app/plain", Value: psValue, Type: "String"})
	f.PutParameter(awsfake.Parameter{Name: "/app/secure", Value: psSecure, Type: "SecureString"})
	f.PutParameter(awsfake.Parameter{Name: "/app/deep/x", Value: "deep-value", Type: "String"})
	f.PutParameter(awsfake.Parameter{Name: "/app/json", Value: smJSON, Type: "SecureString"})
}

// newFixture starts a server over a seeded awsfake; change adjusts the
// Config before New, opts the providers.
func newFixture(t testing.TB, change func(*agent.Config), opts ...aws.Option) *fixture {
	t.Helper()
	fx := &fixture{fake: awsfake.New(), logBuf: &obstest.Buffer{}}
	t.Cleanup(fx.fake.Close)
	seed(fx.fake)
	all := append([]aws.Option{aws.WithConfig(fx.fake.Config(ctx))}, opts...)
	var err error
	fx.sm, err = aws.NewSecretsManager(ctx, all...)
	require.NoError(t, err)
	t.Cleanup(func() { fx.sm.Close() })
	fx.ps, err = aws.NewParameterStore(ctx, all...)
	require.NoError(t, err)
	t.Cleanup(func() { fx.ps.Close() })
	cfg := agent.Config{
		SecretsManager: fx.sm,
		ParameterStore: fx.ps,
		Token:          token,
		Logger:         slog.New(slog.NewTextHandler(fx.logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if change != nil {
		change(&cfg)
	}
	fx.srv, fx.url = serve(t, cfg)
	return fx
}

// serve starts a server with cfg on 127.0.0.1 and returns it and its URL.
func serve(t testing.TB, cfg agent.Config) (*agent.Server, string) {
	t.Helper()
	srv, err := agent.New(cfg)
	require.NoError(t, err)
	l, err := agent.ListenTCP("127.0.0.1:0", false)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		assert.NoError(t, srv.Shutdown(sctx))
		assert.ErrorIs(t, <-done, http.ErrServerClosed)
	})
	return srv, "http://" + l.Addr().String()
}

// answer is one HTTP answer.
type answer struct {
	status int
	body   string
	header http.Header
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(a.body), &m), "body %q", a.body)
	return m
}

// get sends GET url+path with the token.
func (fx *fixture) get(t *testing.T, path string) answer {
	t.Helper()
	return send(t, http.MethodGet, fx.url+path, map[string]string{"X-Aws-Parameters-Secrets-Token": token})
}

func send(t *testing.T, method, url string, headers map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{status: resp.StatusCode, body: string(b), header: resp.Header}
}

func TestSecretsManagerGet(t *testing.T) {
	fx := newFixture(t, nil)
	for _, path := range []string{"/secretsmanager/get?secretId=app%2Fdb", "/v1/app/db"} {
		a := fx.get(t, path)
		require.Equal(t, http.StatusOK, a.status, a.body)
		assert.Equal(t, "application/json", a.header.Get("Content-Type"))
		assert.Equal(t, "no-store", a.header.Get("Cache-Control"))
		m := a.json(t)
		assert.Equal(t, "app/db", m["Name"])
		assert.Equal(t, smValue, m["SecretString"])
		assert.NotContains(t, m, "SecretBinary")
	}
	assert.Equal(t, 1, fx.fake.Calls("GetSecretValue"), "the second read is a cache hit")

	a := fx.get(t, "/secretsmanager/get?secretId=app/db&versionStage=AWSPREVIOUS")
	require.Equal(t, http.StatusOK, a.status, a.body)
	assert.Equal(t, "old-"+smValue, a.json(t)["SecretString"])
	a = fx.get(t, "/v1/app/db?versionStage=AWSPREVIOUS")
	assert.Equal(t, "old-"+smValue, a.json(t)["SecretString"])

	a = fx.get(t, "/secretsmanager/get?secretId=app/bin")
	require.Equal(t, http.StatusOK, a.status, a.body)
	m := a.json(t)
	assert.NotContains(t, m, "SecretString")
	b, err := base64.StdEncoding.DecodeString(m["SecretBinary"].(string))
	require.NoError(t, err)
	assert.Equal(t, binValue, b)

	// refreshNow asks the store again; false, 0 and FALSE do not.
	fx.fake.ResetCalls()
	for _, v := range []string{"false", "0", "FALSE"} {
		require.Equal(t, http.StatusOK, fx.get(t, "/secretsmanager/get?secretId=app/db&refreshNow="+v).status)
	}
	assert.Equal(t, 0, fx.fake.Calls("GetSecretValue"))
	for _, v := range []string{"true", "1", "True"} {
		require.Equal(t, http.StatusOK, fx.get(t, "/secretsmanager/get?secretId=app/db&refreshNow="+v).status)
	}
	assert.Equal(t, 3, fx.fake.Calls("GetSecretValue"))
	fx.fake.PutSecretString("app/db", "rotated-"+smValue)
	assert.Equal(t, "rotated-"+smValue, fx.get(t, "/v1/app/db?refreshNow=true").json(t)["SecretString"])
}

func TestSecretsManagerVersionID(t *testing.T) {
	fx := newFixture(t, nil)
	id := fx.fake.PutSecretString("app/v", "v1-value")
	fx.fake.PutSecretString("app/v", "v2-value")
	a := fx.get(t, "/secretsmanager/get?secretId=app/v&versionId="+id)
	require.Equal(t, http.StatusOK, a.status, a.body)
	assert.Equal(t, "v1-value", a.json(t)["SecretString"])
}

func TestParameterGet(t *testing.T) {
	fx := newFixture(t, nil)
	a := fx.get(t, "/systemsmanager/parameters/get?name=%2Fapp%2Fplain")
	require.Equal(t, http.StatusOK, a.status, a.body)
	p := a.json(t)["Parameter"].(map[string]any)
	assert.Equal(t, "/app/plain", p["Name"])
	assert.Equal(t, psValue, p["Value"])

	// withDecryption defaults to false, as in the API.
	p = fx.get(t, "/systemsmanager/parameters/get?name=/app/secure").json(t)["Parameter"].(map[string]any)
	assert.Equal(t, awsfake.Ciphertext("/app/secure"), p["Value"])
	for _, v := range []string{"true", "1", "TRUE"} {
		p = fx.get(t, "/systemsmanager/parameters/get?name=/app/secure&withDecryption="+v).json(t)["Parameter"].(map[string]any)
		assert.Equal(t, psSecure, p["Value"])
	}
	p = fx.get(t, "/systemsmanager/parameters/get?name=/app/secure&withDecryption=false").json(t)["Parameter"].(map[string]any)
	assert.Equal(t, awsfake.Ciphertext("/app/secure"), p["Value"])

	// version and label select a version: name:selector.
	fx.fake.PutParameter(awsfake.Parameter{Name: "/app/plain", Value: "second-" + psValue, Type: "String"})
	require.True(t, fx.fake.LabelParameterVersion("/app/plain", 1, "first"))
	a = fx.get(t, "/systemsmanager/parameters/get?name=/app/plain&version=1")
	require.Equal(t, http.StatusOK, a.status, a.body)
	assert.Equal(t, psValue, a.json(t)["Parameter"].(map[string]any)["Value"])
	a = fx.get(t, "/systemsmanager/parameters/get?name=/app/plain&label=first")
	require.Equal(t, http.StatusOK, a.status, a.body)
	assert.Equal(t, psValue, a.json(t)["Parameter"].(map[string]any)["Value"])
	a = fx.get(t, "/systemsmanager/parameters/get?name=/app/plain&version=9")
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, "ParameterVersionNotFound", a.json(t)["__type"])
	a = fx.get(t, "/systemsmanager/parameters/get?name=/app/plain&refreshNow=true")
	assert.Equal(t, "second-"+psValue, a.json(t)["Parameter"].(map[string]any)["Value"])
}

// TestBadRequests: each bad request is refused with the AWS agent's status
// and message, before any remote call.
func TestBadRequests(t *testing.T) {
	fx := newFixture(t, nil)
	for _, tc := range []struct {
		path   string
		status int
		body   string
	}{
		{"/secretsmanager/get?secretId=app/db&abc=123", 400, "unknown parameter: abc"},
		{"/secretsmanager/get?versionStage=AWSCURRENT", 400, "missing parameter secretId"},
		{"/secretsmanager/get", 400, "missing parameter secretId"},
		{"/secretsmanager/get?secretId=", 400, "missing parameter secretId"},
		{"/secretsmanager/get?secretId=app/db&refreshNow=123", 400, "invalid refreshNow value"},
		{"/secretsmanager/get?secretId=app/db&secretId=other", 400, "duplicate parameter: secretId"},
		{"/secretsmanager/get?secretId=app%zzdb", 400, "invalid query string: bad escape"},
		{"/secretsmanager/get?secretId=app/db;x=1", 400, "invalid query string: \";\" is not a separator"},
		{"/secretsmanager/get?secretId=" + strings.Repeat("a", agent.MaxQueryBytes), 400, "query string too long"},
		{"/v1/", 400, "missing secret ID"},
		{"/v1/app/db?secretId=x", 400, "unknown parameter: secretId"},
		{"/v1/app/db?foo=1", 400, "unknown parameter: foo"},
		{"/systemsmanager/parameters/get", 400, "missing parameter name"},
		{"/systemsmanager/parameters/get?name=/a&secretId=x", 400, "unknown parameter: secretId"},
		{"/systemsmanager/parameters/get?name=/a&withDecryption=yes", 400, "invalid withDecryption value"},
		{"/systemsmanager/parameters/get?name=/a&version=1&label=x", 400, "version and label cannot both be given"},
		{"/systemsmanager/parameters/get?name=/a&version=x", 400, "invalid version value"},
		{"/systemsmanager/parameters/get?name=/a&version=0", 400, "invalid version value"},
		{"/nothing/here", 404, "Not found"},
		{"/s1crets/get?provider=aws.sm", 400, "give either name (one or more) or path"},
		{"/s1crets/get?provider=aws.sm&name=a&path=/b", 400, "give either name (one or more) or path"},
		{"/s1crets/get?name=a", 400, "missing parameter provider (aws.sm or aws.ps)"},
		{"/s1crets/get?provider=aws.xx&name=a", 400, "unknown provider (served: aws.sm, aws.ps)"},
		{"/s1crets/get?provider=aws.sm&name=a&recursive=true", 400, "recursive applies only to path"},
		{"/s1crets/get?provider=aws.sm&name=a&keyPath=a&key=b", 400, "give either keyPath or key, not both"},
		{"/s1crets/get?provider=aws.sm&name=a&keyPath=a..b", 400, "invalid keyPath: empty key (use key= for keys with dots)"},
		{"/s1crets/get?provider=aws.sm&name=a&bogus=1", 400, "unknown parameter: bogus"},
		{"/s1crets/get?provider=aws.sm&name=" + strings.Repeat("a&name=", agent.MaxNames) + "a", 400, "too many names: at most 100"},
	} {
		t.Run(tc.path[:min(len(tc.path), 60)], func(t *testing.T) {
			a := fx.get(t, tc.path)
			assert.Equal(t, tc.status, a.status)
			assert.Equal(t, tc.body, a.body)
		})
	}
	assert.Equal(t, 0, fx.fake.TotalCalls(), "no bad request reached the store")
}

// TestStoreErrors: the store's errors come back with its status, code and
// message, as the AWS agent answers them.
func TestStoreErrors(t *testing.T) {
	fx := newFixture(t, nil, s1crets.Retry(1), s1crets.Timeout(3*time.Second), // ample on a busy machine; the timeout case waits it out
		s1crets.Cache(s1crets.CacheConfig{FailureBackoff: -1}))
	errBody := func(t *testing.T, a answer, status int, code string) map[string]any {
		t.Helper()
		assert.Equal(t, status, a.status, a.body)
		m := a.json(t)
		assert.Equal(t, code, m["__type"])
		return m
	}
	m := errBody(t, fx.get(t, "/secretsmanager/get?secretId=missing"), 400, "ResourceNotFoundException")
	assert.NotEmpty(t, m["message"])
	errBody(t, fx.get(t, "/v1/missing"), 400, "ResourceNotFoundException")
	errBody(t, fx.get(t, "/systemsmanager/parameters/get?name=/missing"), 400, "ParameterNotFound")

	fx.fake.Deny("GetSecretValue")
	m = errBody(t, fx.get(t, "/secretsmanager/get?secretId=app/json"), 400, "AccessDeniedException")
	assert.Contains(t, m["message"], "is not authorized")
	fx.fake.Allow("GetSecretValue")

	fx.fake.FailNext("GetSecretValue", 1, awsfake.Throttling)
	errBody(t, fx.get(t, "/secretsmanager/get?secretId=app/json"), 400, "ThrottlingException")
	fx.fake.FailNext("GetSecretValue", 1, awsfake.InternalError)
	m = errBody(t, fx.get(t, "/secretsmanager/get?secretId=app/json"), 500, "InternalFailure")
	assert.Equal(t, awsfake.InternalError.Message, m["message"])
	fx.fake.FailNext("GetParameter", 1, awsfake.ServiceUnavailable)
	errBody(t, fx.get(t, "/systemsmanager/parameters/get?name=/app/json"), 503, "ServiceUnavailable")

	fx.fake.FailNext("GetSecretValue", 1, awsfake.Fault{Delay: time.Minute})
	m = errBody(t, fx.get(t, "/secretsmanager/get?secretId=app/json"), 504, "TimeoutError")
	assert.Equal(t, "Timeout", m["message"])
	fx.fake.FailNext("GetSecretValue", 1, awsfake.Fault{Drop: true})
	m = errBody(t, fx.get(t, "/secretsmanager/get?secretId=app/json"), 502, "ConnectionError")
	assert.Equal(t, "Read Error", m["message"])

	for _, secret := range []string{smValue, smJSON, psValue, psSecure} {
		assert.NotContains(t, fx.logBuf.String(), secret)
	}
}

// TestMemoryProviderErrors: a store without AWS errors (the memory
// provider) answers ErrNotFound with the not-found code of the store it
// stands in for.
func TestMemoryProviderErrors(t *testing.T) {
	mem, err := memory.New(map[string]string{"/a": "memory-value", "b": "bee"})
	require.NoError(t, err)
	t.Cleanup(func() { mem.Close() })
	_, url := serve(t, agent.Config{SecretsManager: mem, ParameterStore: mem, Token: token, Logger: discard()})
	fx := &fixture{url: url}
	a := fx.get(t, "/secretsmanager/get?secretId=b")
	require.Equal(t, 200, a.status, a.body)
	assert.Equal(t, map[string]any{"Name": "b", "SecretString": "bee"}, a.json(t), "unknown fields are left out")
	a = fx.get(t, "/systemsmanager/parameters/get?name=/a&withDecryption=true")
	require.Equal(t, 200, a.status, a.body)
	assert.Equal(t, map[string]any{"Parameter": map[string]any{"Name": "/a", "Value": "memory-value"}}, a.json(t))

	a = fx.get(t, "/secretsmanager/get?secretId=nope")
	assert.Equal(t, 400, a.status)
	assert.JSONEq(t, `{"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}`, a.body)
	a = fx.get(t, "/systemsmanager/parameters/get?name=/nope")
	assert.Equal(t, 400, a.status)
	assert.JSONEq(t, `{"__type":"ParameterNotFound","message":"Parameter not found."}`, a.body)
	a = fx.get(t, "/secretsmanager/get?secretId=b&versionStage=AWSPREVIOUS") // memory has no versions
	assert.Equal(t, 400, a.status)
	assert.Equal(t, "InvalidParameterException", a.json(t)["__type"])
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestToken: every lookup needs the token; a wrong or missing one, or an
// X-Forwarded-For header, is refused before any remote call.
func TestToken(t *testing.T) {
	fx := newFixture(t, nil)
	u := fx.url + "/secretsmanager/get?secretId=app/db"
	for _, tc := range []struct {
		name    string
		headers map[string]string
		status  int
		body    string
	}{
		{"missing", nil, 403, "Bad Token"},
		{"wrong", map[string]string{"X-Aws-Parameters-Secrets-Token": "nope"}, 403, "Bad Token"},
		{"prefix", map[string]string{"X-Aws-Parameters-Secrets-Token": token[:5]}, 403, "Bad Token"},
		{"longer", map[string]string{"X-Aws-Parameters-Secrets-Token": token + "x"}, 403, "Bad Token"},
		{"empty", map[string]string{"X-Aws-Parameters-Secrets-Token": ""}, 403, "Bad Token"},
		{"other header", map[string]string{"Authorization": token}, 403, "Bad Token"},
		{"forwarded", map[string]string{"X-Aws-Parameters-Secrets-Token": token, "X-Forwarded-For": "127.0.0.1"}, 400, "Forwarded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := send(t, http.MethodGet, u, tc.headers)
			assert.Equal(t, tc.status, a.status)
			assert.Equal(t, tc.body, a.body)
		})
	}
	for _, p := range []string{"/v1/app/db", "/systemsmanager/parameters/get?name=/app/plain", "/s1crets/get?provider=aws.sm&name=app/db", "/nothing"} {
		a := send(t, http.MethodGet, fx.url+p, nil)
		assert.Equal(t, 403, a.status, p)
	}
	a := send(t, http.MethodPost, fx.url+"/s1crets/invalidate?provider=aws.sm&name=app/db", nil)
	assert.Equal(t, 403, a.status)
	assert.Equal(t, 0, fx.fake.TotalCalls(), "no refused request reached the store")

	for _, h := range []string{"X-Aws-Parameters-Secrets-Token", "X-Vault-Token"} {
		a := send(t, http.MethodGet, u, map[string]string{h: token})
		assert.Equal(t, 200, a.status, h)
	}
	// Health checks need no token.
	for p, want := range map[string]string{"/ping": "healthy", "/healthz": "ok"} {
		a := send(t, http.MethodGet, fx.url+p, nil)
		assert.Equal(t, 200, a.status)
		assert.Equal(t, want, a.body)
	}
	assert.Equal(t, 200, send(t, http.MethodGet, fx.url+"/metrics", nil).status)

	_, err := agent.New(agent.Config{SecretsManager: fx.sm})
	assert.ErrorContains(t, err, "no token")
}

func TestMethods(t *testing.T) {
	fx := newFixture(t, nil)
	h := map[string]string{"X-Aws-Parameters-Secrets-Token": token}
	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodPost, "/secretsmanager/get?secretId=app/db", "GET"},
		{http.MethodPut, "/v1/app/db", "GET"},
		{http.MethodDelete, "/systemsmanager/parameters/get?name=/app/plain", "GET"},
		{http.MethodHead, "/s1crets/get?provider=aws.sm&name=app/db", "GET"},
		{http.MethodGet, "/s1crets/invalidate?provider=aws.sm&name=app/db", "POST"},
		{http.MethodPost, "/ping", "GET"},
		{http.MethodPost, "/healthz", "GET"},
		{http.MethodPost, "/metrics", "GET"},
	} {
		a := send(t, tc.method, fx.url+tc.path, h)
		assert.Equal(t, http.StatusMethodNotAllowed, a.status, "%s %s", tc.method, tc.path)
		assert.Equal(t, tc.allow, a.header.Get("Allow"))
		if tc.method != http.MethodHead {
			assert.Equal(t, "Not allowed", a.body)
		}
	}
	assert.Equal(t, 0, fx.fake.TotalCalls())
}

// TestNonLoopbackPeer: a request from another machine is refused, unless
// AllowNonLoopback; a TCP listener on a non-loopback address is refused.
func TestNonLoopbackPeer(t *testing.T) {
	mem, err := memory.New(map[string]string{"a": "memory-value"})
	require.NoError(t, err)
	t.Cleanup(func() { mem.Close() })
	for _, allow := range []bool{false, true} {
		srv, err := agent.New(agent.Config{SecretsManager: mem, Token: token, Logger: discard(), AllowNonLoopback: allow})
		require.NoError(t, err)
		for _, remote := range []string{"192.0.2.1:1234", "[2001:db8::1]:1234", "10.0.0.1:80"} {
			rec := newRecorder()
			req, _ := http.NewRequest(http.MethodGet, "/secretsmanager/get?secretId=a", nil)
			req.RemoteAddr = remote
			req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
			srv.Handler().ServeHTTP(rec, req)
			if allow {
				assert.Equal(t, 200, rec.status, remote)
			} else {
				assert.Equal(t, 403, rec.status, remote)
				assert.Equal(t, "Forbidden", rec.body.String())
			}
		}
		for _, remote := range []string{"127.0.0.1:5", "[::1]:5", "127.8.9.10:5", "[::ffff:127.0.0.1]:5"} {
			rec := newRecorder()
			req, _ := http.NewRequest(http.MethodGet, "/ping", nil)
			req.RemoteAddr = remote
			srv.Handler().ServeHTTP(rec, req)
			assert.Equal(t, 200, rec.status, remote)
		}
	}
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", "192.0.2.1:2773", "example.com:2773"} {
		_, err := agent.ListenTCP(addr, false)
		assert.Error(t, err, addr)
	}
	l, err := agent.ListenTCP("localhost:0", false)
	require.NoError(t, err)
	assert.True(t, l.Addr().(*net.TCPAddr).IP.IsLoopback())
	l.Close()
}

// recorder is a minimal http.ResponseWriter.
type recorder struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder                    { return &recorder{h: http.Header{}} }
func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) WriteHeader(status int)      { r.status = status }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }

// TestHugeHeader: a header past MaxHeaderBytes is 431, and a huge query
// string too; the server stays up.
func TestHugeHeader(t *testing.T) {
	fx := newFixture(t, nil)
	for _, req := range []string{
		"GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("x", 20<<10) + "\r\n\r\n",
		"GET /secretsmanager/get?secretId=" + strings.Repeat("b", 20<<10) + " HTTP/1.1\r\nHost: x\r\n" +
			"X-Aws-Parameters-Secrets-Token: " + token + "\r\n\r\n",
	} {
		c, err := net.Dial("tcp", strings.TrimPrefix(fx.url, "http://"))
		require.NoError(t, err)
		require.NoError(t, c.SetDeadline(time.Now().Add(hangGuard)))
		go io.WriteString(c, req) // the server may answer before it has read it all
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)
		c.Close()
	}
	// net/http's own client reads the answer too: the server half-closes
	// the connection after it.
	a := send(t, http.MethodGet, fx.url+"/ping", map[string]string{"X-Big": strings.Repeat("x", 64<<10)})
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, a.status)
	assert.Equal(t, 200, fx.get(t, "/ping").status)
	assert.Equal(t, 0, fx.fake.TotalCalls())
}

// hangGuard is how long a test waits for something that must happen.
const hangGuard = 60 * time.Second

// TestSlowloris: a client that sends half a header and stalls is
// disconnected by ReadHeaderTimeout.
func TestSlowloris(t *testing.T) {
	fx := newFixture(t, func(c *agent.Config) { c.ReadHeaderTimeout = 200 * time.Millisecond })
	c, err := net.Dial("tcp", strings.TrimPrefix(fx.url, "http://"))
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, "GET /secretsmanager/get?secretId=app/db HTTP/1.1\r\nHost: x\r\nX-Aws-Parameters")
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(hangGuard)))
	_, err = io.Copy(io.Discard, c) // returns at EOF: the server closed it
	require.NoError(t, err, "the server must close the connection before the hang guard")
	assert.Equal(t, 0, fx.fake.TotalCalls())
}

// TestConnectionLimit: past MaxConnections a connection is answered 429
// and closed; once a connection closes, a new one is served.
func TestConnectionLimit(t *testing.T) {
	fx := newFixture(t, func(c *agent.Config) { c.MaxConnections = 2 })
	addr := strings.TrimPrefix(fx.url, "http://")
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		// A request on each, so that both are surely accepted and open.
		_, err = io.WriteString(c, "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
		held = append(held, c)
	}
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(hangGuard)))
	_, _ = io.WriteString(c, "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "Connection limit exceeded", string(body))

	held[0].Close()
	deadline := time.Now().Add(hangGuard)
	for {
		status := rawPing(t, addr)
		if status == 200 {
			break
		}
		require.Equal(t, http.StatusTooManyRequests, status)
		require.True(t, time.Now().Before(deadline), "a place never came free")
		time.Sleep(10 * time.Millisecond)
	}
	var metrics strings.Builder
	require.NoError(t, fx.srv.WriteMetrics(&metrics))
	assert.NotContains(t, metrics.String(), "s1crets_http_rejected_connections_total 0\n")
	assert.Contains(t, metrics.String(), "s1crets_http_rejected_connections_total ")
}

// notifyClose is a listener that closes closed when it is closed.
type notifyClose struct {
	net.Listener
	closed chan struct{}
	once   *sync.Once
}

func (l notifyClose) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// rawPing sends GET /ping on a new connection and returns the status.
func rawPing(t *testing.T, addr string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(hangGuard)))
	_, _ = io.WriteString(c, "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// TestColdStampede: 64 concurrent requests of one uncached secret make one
// remote call.
func TestColdStampede(t *testing.T) {
	fx := newFixture(t, func(c *agent.Config) { c.MaxConnections = 200 })
	// The first call waits, so that the others arrive while it is in flight.
	fx.fake.FailNext("GetSecretValue", 1, awsfake.Fault{Delay: 300 * time.Millisecond})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	start := make(chan struct{})
	results := make([]string, 64)
	for i := range results {
		wg.Go(func() {
			<-start
			req, _ := http.NewRequest(http.MethodGet, fx.url+"/secretsmanager/get?secretId=app/json", nil)
			req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
			resp, err := client.Do(req)
			if err != nil {
				results[i] = err.Error()
				return
			}
			defer resp.Body.Close()
			var m map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
				results[i] = err.Error()
				return
			}
			results[i], _ = m["SecretString"].(string)
		})
	}
	close(start)
	wg.Wait()
	for _, r := range results {
		assert.Equal(t, smJSON, r)
	}
	assert.Equal(t, 1, fx.fake.Calls("GetSecretValue"))
	assert.Equal(t, uint64(1), fx.sm.Stats().Calls.Get)
}

func TestEnabledGate(t *testing.T) {
	fx := newFixture(t, func(c *agent.Config) { c.StartDisabled = true })
	a := fx.get(t, "/secretsmanager/get?secretId=app/db")
	assert.Equal(t, 503, a.status)
	assert.Equal(t, "Serving not enabled", a.body)
	assert.Equal(t, 200, fx.get(t, "/ping").status)
	assert.False(t, fx.srv.Enabled())
	fx.srv.SetEnabled(true)
	assert.Equal(t, 200, fx.get(t, "/secretsmanager/get?secretId=app/db").status)
}

// TestShutdown: /healthz turns 503 at once, requests are still served while
// the drain lasts, then Shutdown returns and nothing listens.
func TestShutdown(t *testing.T) {
	fake := awsfake.New()
	defer fake.Close()
	seed(fake)
	sm, err := aws.NewSecretsManager(ctx, aws.WithConfig(fake.Config(ctx)))
	require.NoError(t, err)
	defer sm.Close()
	srv, err := agent.New(agent.Config{SecretsManager: sm, Token: token, Logger: discard(), DrainDelay: hangGuard})
	require.NoError(t, err)
	l, err := agent.ListenTCP("127.0.0.1:0", false)
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	fx := &fixture{url: "http://" + l.Addr().String()}
	assert.Equal(t, "ok", fx.get(t, "/healthz").body)

	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(sctx) }()
	deadline := time.Now().Add(hangGuard)
	for fx.get(t, "/healthz").status != http.StatusServiceUnavailable {
		require.True(t, time.Now().Before(deadline))
		time.Sleep(5 * time.Millisecond)
	}
	assert.Equal(t, "shutting down", fx.get(t, "/healthz").body)
	assert.Equal(t, 200, fx.get(t, "/secretsmanager/get?secretId=app/db").status, "still serving while draining")
	cancel() // end the drain early
	require.ErrorIs(t, <-done, context.Canceled)
	require.ErrorIs(t, <-served, http.ErrServerClosed)
	http.DefaultClient.CloseIdleConnections()
	_, err = net.Dial("tcp", l.Addr().String())
	assert.Error(t, err, "nothing listens after Shutdown")

	// Without a drain delay, Shutdown waits for the requests in progress:
	// the store holds the request until Shutdown has closed the listener
	// (its first step), so the request is in progress while Shutdown runs.
	srv2, err := agent.New(agent.Config{SecretsManager: sm, Token: token, Logger: discard()})
	require.NoError(t, err)
	l2, err := agent.ListenTCP("127.0.0.1:0", false)
	require.NoError(t, err)
	closed := make(chan struct{})
	served2 := make(chan error, 1)
	go func() { served2 <- srv2.Serve(notifyClose{l2, closed, &sync.Once{}}) }()
	arrived := make(chan struct{})
	fake.SetHook(func(r awsfake.Request) *awsfake.Fault {
		if r.Op == "GetSecretValue" {
			close(arrived)
			<-closed
		}
		return nil
	})
	defer fake.SetHook(nil)
	type result struct {
		status int
		body   []byte
		err    error
	}
	results := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, "http://"+l2.Addr().String()+"/secretsmanager/get?secretId=app/json&refreshNow=true", nil)
		req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			results <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		results <- result{resp.StatusCode, b, err}
	}()
	<-arrived // the request is in progress
	require.NoError(t, srv2.Shutdown(ctx))
	r := <-results
	require.NoError(t, r.err)
	assert.Equal(t, 200, r.status)
	assert.Contains(t, string(r.body), `"SecretString":`)
	require.ErrorIs(t, <-served2, http.ErrServerClosed)
}

// TestNoSecretInLogs: at Debug level, after reads, batches, errors and
// refusals, no log line holds a secret value or the token.
func TestNoSecretInLogs(t *testing.T) {
	fx := newFixture(t, nil, s1crets.Retry(1))
	for _, p := range []string{
		"/secretsmanager/get?secretId=app/db", "/secretsmanager/get?secretId=app/json", "/v1/app/bin",
		"/systemsmanager/parameters/get?name=/app/secure&withDecryption=true", "/systemsmanager/parameters/get?name=/app/plain",
		"/s1crets/get?provider=aws.sm&name=app/json&name=app/db&name=missing&keyPath=pass",
		"/s1crets/get?provider=aws.ps&path=/app&keyPath=nested.k",
		"/secretsmanager/get?secretId=app/json&keyPath=" + smValue, // unknown parameter
	} {
		fx.get(t, p)
	}
	fx.fake.Deny("GetSecretValue")
	fx.get(t, "/secretsmanager/get?secretId=app/json&refreshNow=true")
	send(t, http.MethodGet, fx.url+"/v1/app/db", map[string]string{"X-Aws-Parameters-Secrets-Token": psSecure})
	logs := fx.logBuf.String()
	require.Contains(t, logs, "lookup failed", "the logger was used")
	require.Contains(t, logs, "endpoint=secretsmanager")
	for _, s := range []string{smValue, "json-secret-pass-27182", "nested-secret-16180", psValue, psSecure, token,
		base64.StdEncoding.EncodeToString(binValue)} {
		assert.NotContains(t, logs, s)
	}
}
