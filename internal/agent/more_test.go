package agent_test

import (
	"context"
	"encoding/base64"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets/internal/agent"
	"github.com/s1crets/s1crets/internal/awsfake"
)

func TestManyByNames(t *testing.T) {
	fx := newFixture(t, nil)
	a := fx.get(t, "/s1crets/get?provider=aws.sm&name=app/db&name=app/json&name=app/bin&name=missing")
	require.Equal(t, 200, a.status, a.body)
	m := a.json(t)
	assert.Equal(t, map[string]any{"app/db": smValue, "app/json": smJSON, "app/bin": base64.StdEncoding.EncodeToString(binValue)}, m["values"])
	assert.Equal(t, []any{"app/bin"}, m["binary"])
	assert.Equal(t, map[string]any{"missing": map[string]any{"__type": "ResourceNotFoundException",
		"message": "Secrets Manager can't find the specified secret."}}, m["errors"])
	assert.Equal(t, 1, fx.fake.Calls("BatchGetSecretValue"), "one remote call for four names")
	assert.Equal(t, 0, fx.fake.Calls("GetSecretValue"))

	// Key paths: a string member is the string, anything else its JSON.
	m = fx.get(t, "/s1crets/get?provider=aws.sm&name=app/json&keyPath=nested.k").json(t)
	assert.Equal(t, map[string]any{"app/json": "nested-secret-16180"}, m["values"])
	assert.NotContains(t, m, "errors")
	assert.NotContains(t, m, "binary")
	m = fx.get(t, "/s1crets/get?provider=aws.sm&name=app/json&key=nested&key=k").json(t)
	assert.Equal(t, map[string]any{"app/json": "nested-secret-16180"}, m["values"])
	m = fx.get(t, "/s1crets/get?provider=aws.sm&name=app/json&keyPath=nested").json(t)
	assert.Equal(t, map[string]any{"app/json": `{"k":"nested-secret-16180"}`}, m["values"])
	m = fx.get(t, "/s1crets/get?provider=aws.sm&name=app/json&name=app/db&keyPath=pass").json(t)
	assert.Equal(t, map[string]any{"app/json": "json-secret-pass-27182"}, m["values"])
	assert.Contains(t, m["errors"], "app/db", "app/db is not JSON")
	assert.Equal(t, 1, fx.fake.Calls("BatchGetSecretValue"), "key paths are read from the cache")

	// Parameter Store: decrypted by default in this endpoint; withDecryption=false as asked.
	m = fx.get(t, "/s1crets/get?provider=aws.ps&name=/app/plain&name=/app/secure&name=/nope").json(t)
	assert.Equal(t, map[string]any{"/app/plain": psValue, "/app/secure": psSecure}, m["values"])
	assert.Equal(t, "ParameterNotFound", m["errors"].(map[string]any)["/nope"].(map[string]any)["__type"])
	m = fx.get(t, "/s1crets/get?provider=aws.ps&name=/app/secure&withDecryption=false").json(t)
	assert.Equal(t, map[string]any{"/app/secure": awsfake.Ciphertext("/app/secure")}, m["values"])

	// Per-name failures of the store.
	fx.fake.Deny("GetSecretValue")
	m = fx.get(t, "/s1crets/get?provider=aws.sm&name=app/db&name=app/json&refreshNow=true").json(t)
	assert.Empty(t, m["values"])
	for _, n := range []string{"app/db", "app/json"} {
		assert.Equal(t, "AccessDeniedException", m["errors"].(map[string]any)[n].(map[string]any)["__type"], n)
	}
}

func TestManyByPath(t *testing.T) {
	fx := newFixture(t, nil)
	a := fx.get(t, "/s1crets/get?provider=aws.ps&path=/app")
	require.Equal(t, 200, a.status, a.body)
	assert.Equal(t, map[string]any{"/app/plain": psValue, "/app/secure": psSecure, "/app/deep/x": "deep-value", "/app/json": smJSON},
		a.json(t)["values"])
	m := fx.get(t, "/s1crets/get?provider=aws.ps&path=/app&recursive=false").json(t)
	assert.NotContains(t, m["values"], "/app/deep/x")
	assert.Contains(t, m["values"], "/app/plain")

	m = fx.get(t, "/s1crets/get?provider=aws.ps&path=/app&keyPath=user").json(t)
	assert.Equal(t, map[string]any{"/app/json": "admin"}, m["values"])
	errs := m["errors"].(map[string]any)
	assert.Len(t, errs, 3)
	assert.Equal(t, "KeyPathNotFound", errs["/app/plain"].(map[string]any)["__type"])

	m = fx.get(t, "/s1crets/get?provider=aws.sm&path=app/").json(t)
	assert.Equal(t, map[string]any{"app/db": smValue, "app/json": smJSON, "app/bin": base64.StdEncoding.EncodeToString(binValue)}, m["values"])
	assert.Equal(t, []any{"app/bin"}, m["binary"])

	// A failure of the whole listing is answered as a single lookup's.
	fx.fake.Deny("GetParametersByPath")
	a = fx.get(t, "/s1crets/get?provider=aws.ps&path=/other")
	assert.Equal(t, 400, a.status)
	assert.Equal(t, "AccessDeniedException", a.json(t)["__type"])
}

func TestInvalidate(t *testing.T) {
	fx := newFixture(t, nil)
	h := map[string]string{"X-Aws-Parameters-Secrets-Token": token}
	assert.Equal(t, smValue, fx.get(t, "/v1/app/db").json(t)["SecretString"])
	fx.fake.PutSecretString("app/db", "new-"+smValue)
	assert.Equal(t, smValue, fx.get(t, "/v1/app/db").json(t)["SecretString"], "cached")
	a := send(t, http.MethodPost, fx.url+"/s1crets/invalidate?provider=aws.sm&name=app/db", h)
	require.Equal(t, 200, a.status, a.body)
	assert.JSONEq(t, `{"invalidated":"app/db"}`, a.body)
	assert.Equal(t, "new-"+smValue, fx.get(t, "/v1/app/db").json(t)["SecretString"])
	assert.Equal(t, 2, fx.fake.Calls("GetSecretValue"))

	a = send(t, http.MethodPost, fx.url+"/s1crets/invalidate?provider=aws.sm", h)
	assert.Equal(t, 400, a.status)
	assert.Equal(t, "missing parameter name", a.body)
	a = send(t, http.MethodPost, fx.url+"/s1crets/invalidate?provider=aws.sm&name=x&extra=1", h)
	assert.Equal(t, "unknown parameter: extra", a.body)
}

// parseMetrics parses the Prometheus text format strictly enough for the
// tests: every family has HELP and TYPE before its samples, every sample is
// NAME{LABELS} VALUE with an integer value. It returns the samples by
// their text before the value.
func parseMetrics(t *testing.T, text string) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	typed := map[string]bool{}
	require.True(t, strings.HasSuffix(text, "\n"))
	for line := range strings.SplitSeq(strings.TrimSuffix(text, "\n"), "\n") {
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			f := strings.Fields(rest)
			require.Len(t, f, 2, line)
			require.Contains(t, []string{"counter", "gauge"}, f[1])
			typed[f[0]] = true
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		require.Positive(t, i, line)
		v, err := strconv.ParseUint(line[i+1:], 10, 64)
		require.NoError(t, err, line)
		name, _, _ := strings.Cut(line[:i], "{")
		require.True(t, typed[name], "sample before its TYPE: %s", line)
		_, dup := out[line[:i]]
		require.False(t, dup, "duplicate sample %s", line)
		out[line[:i]] = v
	}
	return out
}

func TestMetrics(t *testing.T) {
	fx := newFixture(t, nil)
	for range 3 {
		fx.get(t, "/secretsmanager/get?secretId=app/db")
	}
	fx.get(t, "/secretsmanager/get?secretId=missing")
	fx.get(t, "/systemsmanager/parameters/get?name=/app/plain")
	fx.get(t, "/s1crets/get?provider=aws.ps&path=/app")
	send(t, http.MethodGet, fx.url+"/v1/app/db", nil) // 403
	a := send(t, http.MethodGet, fx.url+"/metrics", nil)
	require.Equal(t, 200, a.status)
	assert.Equal(t, "text/plain; version=0.0.4; charset=utf-8", a.header.Get("Content-Type"))
	m := parseMetrics(t, a.body)
	sm, ps := fx.sm.Stats(), fx.ps.Stats()
	for _, c := range []struct {
		sample string
		want   uint64
	}{
		{`s1crets_remote_calls_total{provider="aws.sm",op="get"}`, sm.Calls.Get},
		{`s1crets_remote_calls_total{provider="aws.ps",op="get"}`, ps.Calls.Get},
		{`s1crets_remote_calls_total{provider="aws.ps",op="get_by_path"}`, ps.Calls.GetByPath},
		{`s1crets_remote_errors_total{provider="aws.sm",kind="not_found"}`, sm.Errors.NotFound},
		{`s1crets_cache_misses_total{provider="aws.sm",tier="memory"}`, sm.Memory.Misses},
		{`s1crets_cache_hits_total{provider="aws.sm",tier="memory"}`, sm.Memory.Hits},
		{`s1crets_cache_entries{provider="aws.sm",kind="value"}`, uint64(sm.Values)},
		{`s1crets_cache_entries{provider="aws.ps",kind="listing"}`, uint64(ps.Listings)},
		{`s1crets_in_flight_loads{provider="aws.sm"}`, 0},
		{`s1crets_evictions_total{provider="aws.sm"}`, 0},
		{`s1crets_http_requests_total{endpoint="secretsmanager",code="200"}`, 3},
		{`s1crets_http_requests_total{endpoint="secretsmanager",code="400"}`, 1},
		{`s1crets_http_requests_total{endpoint="parameters",code="200"}`, 1},
		{`s1crets_http_requests_total{endpoint="get",code="200"}`, 1},
		{`s1crets_http_requests_total{endpoint="v1",code="403"}`, 1},
		{`s1crets_http_rejected_connections_total`, 0},
	} {
		v, ok := m[c.sample]
		if assert.True(t, ok, "missing %s", c.sample) {
			assert.Equal(t, c.want, v, c.sample)
		}
	}
	assert.Equal(t, uint64(1), sm.Calls.Get+sm.Calls.GetMany-1, "one hit-path read and one miss: calls as counted")
	assert.Equal(t, uint64(2), m[`s1crets_remote_calls_total{provider="aws.sm",op="get"}`], "app/db once, missing once")
	assert.Positive(t, m[`s1crets_http_open_connections`])
}

// TestUnixSocket: the socket file has the mode asked for, serves requests
// (the peer is let in by the file's permissions), replaces a stale socket,
// refuses a live one and anything that is not a socket, never follows a
// symlink, and is removed on close.
func TestUnixSocket(t *testing.T) {
	fx := newFixture(t, nil)
	dir := t.TempDir()
	path := filepath.Join(dir, "s1crets.sock")
	for _, mode := range []fs.FileMode{0o600, 0o660} {
		l, err := agent.ListenUnix(path, mode)
		require.NoError(t, err)
		fi, err := os.Lstat(path)
		require.NoError(t, err)
		assert.Equal(t, fs.ModeSocket, fi.Mode().Type())
		assert.Equal(t, mode, fi.Mode().Perm())
		served := make(chan error, 1)
		go func() { served <- fx.srv.Serve(l) }()
		client := unixClient(path)
		req, _ := http.NewRequest(http.MethodGet, "http://unix/secretsmanager/get?secretId=app/db", nil)
		req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
		resp, err := client.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, 200, resp.StatusCode, "%s", body)
		assert.Contains(t, string(body), smValue)
		client.CloseIdleConnections()

		_, err = agent.ListenUnix(path, mode)
		assert.ErrorContains(t, err, "another server is listening")

		require.NoError(t, l.Close())
		err = <-served
		assert.Error(t, err)
		_, err = os.Lstat(path)
		assert.ErrorIs(t, err, fs.ErrNotExist, "the socket file is removed on close")
	}

	// A stale socket (its server died) is replaced.
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	require.NoError(t, err)
	ul.SetUnlinkOnClose(false)
	ul.Close()
	l, err := agent.ListenUnix(path, 0o600)
	require.NoError(t, err)
	l.Close()

	// Anything else is left alone.
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, []byte("keep"), 0o600))
	_, err = agent.ListenUnix(file, 0o600)
	assert.ErrorContains(t, err, "is not a socket")
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(file, link))
	_, err = agent.ListenUnix(link, 0o600)
	assert.ErrorContains(t, err, "is not a socket")
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, "keep", string(b))
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	assert.Equal(t, fs.ModeSymlink, fi.Mode().Type())
	_, err = agent.ListenUnix(filepath.Join(dir, "s.sock"), 0o1777)
	assert.Error(t, err)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "no temporary directory is left behind")
}

func unixClient(path string) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}}
}

// curl runs curl with args and returns its output: the body, then the
// status code on a line of its own.
func curl(t *testing.T, args ...string) (body string, status int) {
	t.Helper()
	bin, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed")
	}
	out, err := exec.Command(bin, append([]string{"-sS", "--max-time", "60", "-w", "\n%{http_code}"}, args...)...).Output()
	require.NoError(t, err, "curl %.200v", args)
	i := strings.LastIndexByte(string(out), '\n')
	status, err = strconv.Atoi(string(out[i+1:]))
	require.NoError(t, err)
	return string(out[:i]), status
}

// TestCurl: a client the project did not write.
func TestCurl(t *testing.T) {
	fx := newFixture(t, nil)
	hdr := "X-Aws-Parameters-Secrets-Token: " + token
	body, status := curl(t, "-H", hdr, fx.url+"/secretsmanager/get?secretId=app%2Fjson")
	assert.Equal(t, 200, status)
	assert.Contains(t, body, `"SecretString":`)
	assert.Contains(t, body, `"ARN":"arn:aws:secretsmanager:`)
	body, status = curl(t, "-H", "X-Vault-Token: "+token, fx.url+"/v1/app/db")
	assert.Equal(t, 200, status)
	assert.Contains(t, body, smValue)
	body, status = curl(t, "-H", hdr, fx.url+"/systemsmanager/parameters/get?name=/app/secure&withDecryption=true")
	assert.Equal(t, 200, status)
	assert.Contains(t, body, `"Value":"`+psSecure+`"`)
	body, status = curl(t, fx.url+"/secretsmanager/get?secretId=app/db")
	assert.Equal(t, 403, status)
	assert.Equal(t, "Bad Token", body)
	body, status = curl(t, "-H", hdr, "-H", "X-Forwarded-For: 1.2.3.4", fx.url+"/v1/app/db")
	assert.Equal(t, 400, status)
	assert.Equal(t, "Forwarded", body)
	_, status = curl(t, "-H", hdr, "-X", "POST", fx.url+"/v1/app/db")
	assert.Equal(t, 405, status)
	_, status = curl(t, "-H", "X-Big: "+strings.Repeat("x", 16<<10), fx.url+"/ping")
	assert.Equal(t, 431, status)
	body, status = curl(t, "-H", hdr, fx.url+"/secretsmanager/get?secretId=nope")
	assert.Equal(t, 400, status)
	assert.Contains(t, body, `"__type":"ResourceNotFoundException"`)
	body, status = curl(t, "-H", hdr, "-X", "POST", fx.url+"/s1crets/invalidate?provider=aws.sm&name=app/db")
	assert.Equal(t, 200, status, body)
	body, status = curl(t, "-H", hdr, "-G", "--data-urlencode", "name=/app/plain", "--data-urlencode", "name=/app/secure",
		"-d", "provider=aws.ps", fx.url+"/s1crets/get")
	assert.Equal(t, 200, status, body)
	assert.Contains(t, body, psSecure)
	body, status = curl(t, fx.url+"/ping")
	assert.Equal(t, "healthy", body)
	assert.Equal(t, 200, status)
	body, _ = curl(t, fx.url+"/metrics")
	parseMetrics(t, body+"\n"[:max(0, 1-strings.Count(body[len(body)-1:], "\n"))])

	// Over a Unix socket.
	path := filepath.Join(t.TempDir(), "s.sock")
	l, err := agent.ListenUnix(path, 0o600)
	require.NoError(t, err)
	go fx.srv.Serve(l)
	t.Cleanup(func() { l.Close() })
	body, status = curl(t, "--unix-socket", path, "-H", hdr, "http://localhost/secretsmanager/get?secretId=app/db")
	assert.Equal(t, 200, status)
	assert.Contains(t, body, smValue)
}

// TestPython: Python's standard library, called the way the AWS
// documentation's examples call the extension.
func TestPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	fx := newFixture(t, nil)
	port := fx.url[strings.LastIndexByte(fx.url, ':')+1:]
	script := `
import base64, json, os, urllib.error, urllib.parse, urllib.request
port = os.environ['PARAMETERS_SECRETS_EXTENSION_HTTP_PORT']
headers = {"X-Aws-Parameters-Secrets-Token": os.environ['AWS_SESSION_TOKEN']}
def get(path):
    req = urllib.request.Request('http://localhost:' + port + path, headers=headers)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())
print(get('/secretsmanager/get?secretId=' + urllib.parse.quote('app/db'))['SecretString'])
print(json.loads(get('/secretsmanager/get?secretId=app%2Fjson')['SecretString'])['nested']['k'])
print(base64.b64decode(get('/secretsmanager/get?secretId=app/bin')['SecretBinary']).hex())
print(get('/systemsmanager/parameters/get?name=' + urllib.parse.quote('/app/secure') + '&withDecryption=true')['Parameter']['Value'])
try:
    urllib.request.urlopen(urllib.request.Request('http://localhost:' + port + '/secretsmanager/get?secretId=app/db',
                                                  headers={"X-Aws-Parameters-Secrets-Token": "wrong"}))
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
try:
    get('/secretsmanager/get?secretId=missing')
except urllib.error.HTTPError as e:
    print(e.code, json.loads(e.read())['__type'])
`
	cmd := exec.Command(py, "-c", script)
	cmd.Env = append(os.Environ(), "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT="+port, "AWS_SESSION_TOKEN="+token)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	want := strings.Join([]string{smValue, "nested-secret-16180", "000102feff62696e", psSecure, "403 Bad Token",
		"400 ResourceNotFoundException"}, "\n") + "\n"
	assert.Equal(t, want, string(out))
}
