package main

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/awsfake"
	"github.com/s1crets/s1crets/internal/lambdaext/lambdafake"
)

// TestServeUsage: serve refuses to start on bad flags, without a token and
// on a non-loopback address, before listening or calling AWS.
func TestServeUsage(t *testing.T) {
	for _, name := range tokenEnvs {
		t.Setenv(name, "")
	}
	fails(t, cli(t, "", "serve", "--port", "0"), exitUsage, "no token", "AWS_TOKEN", "X-Aws-Parameters-Secrets-Token")
	fails(t, cli(t, "", "serve", "--token-env", "S1CRETS_TEST_NO_SUCH_VAR"), exitUsage, "--token-env S1CRETS_TEST_NO_SUCH_VAR: the variable is not set")
	fails(t, cli(t, "", "serve", "--token", "file:///nonexistent/token"), exitError, "reading the token named by --token")
	empty := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))
	fails(t, cli(t, "", "serve", "--token", "file://"+empty), exitError, "is empty")

	t.Setenv("AWS_SESSION_TOKEN", "tok")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--port", "x"}, `--port "x"`},
		{[]string{"--port", "70000"}, `--port "70000"`},
		{[]string{"--listen", "none"}, "--listen none needs --socket PATH"},
		{[]string{"--socket-mode", "999"}, "--socket-mode"},
		{[]string{"--ttl", "soon"}, `--ttl "soon"`},
		{[]string{"--cache-size", "-1"}, "--cache-size"},
		{[]string{"--max-connections", "0"}, "--max-connections"},
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--provider", "aws.ps"}, "--provider does not apply"},
		{[]string{"extra"}, "too many arguments"},
	} {
		fails(t, cli(t, "", append([]string{"serve"}, tc.args...)...), exitUsage, tc.want)
	}
	t.Setenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "abc")
	fails(t, cli(t, "", "serve"), exitUsage, `--port "abc"`)
	t.Setenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "")
	t.Setenv("SSM_PARAMETER_STORE_TTL", "-5")
	fails(t, cli(t, "", "serve"), exitUsage, `SSM_PARAMETER_STORE_TTL "-5"`)
	t.Setenv("SSM_PARAMETER_STORE_TTL", "")

	for _, addr := range []string{"0.0.0.0", "0.0.0.0:0", "[::]:0", "192.0.2.1:2773"} {
		fails(t, cli(t, "", "serve", "--listen", addr), exitError, "not a loopback address")
	}
}

// TestServeResolve: flags over environment variables, the AWS extension's
// variables understood.
func TestServeResolve(t *testing.T) {
	t.Setenv("AWS_TOKEN", "")
	t.Setenv("AWS_SESSION_TOKEN", "session-tok")
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-tok")
	t.Setenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "3001")
	t.Setenv("SECRETS_MANAGER_TTL", "60")
	t.Setenv("SSM_PARAMETER_STORE_TTL", "0")
	t.Setenv("PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE", "50")
	t.Setenv("PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS", "7")
	t.Setenv("SECRETS_MANAGER_TIMEOUT_MILLIS", "1500")
	t.Setenv("PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL", "DEBUG")
	sf := serveFlags{listen: "127.0.0.1", socketMode: "0600"}
	c, err := sf.resolve(map[string]bool{})
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:3001", c.addr)
	assert.Equal(t, "session-tok", c.token, "the first set of AWS_TOKEN, AWS_SESSION_TOKEN, ...")
	assert.Equal(t, time.Minute, c.smCache.TTL)
	assert.False(t, c.smCache.Disabled)
	assert.True(t, c.psCache.Disabled, "TTL 0 turns the cache off")
	assert.Equal(t, 50, c.smCache.Size)
	assert.Equal(t, 7, c.cfg.MaxConnections)
	assert.Equal(t, 1500*time.Millisecond, c.smTimeout)
	assert.Zero(t, c.psTimeout)
	assert.False(t, c.smCache.OnDisk)
	assert.Zero(t, c.smCache.RefreshAhead)

	// serve's own settings have variables too: the tiers, refresh-ahead, MaxStale.
	dir := t.TempDir()
	t.Setenv("S1CRETS_CACHE_DIR", dir)
	t.Setenv("S1CRETS_REDIS_URL", "redis://127.0.0.1:1/0")
	t.Setenv("S1CRETS_REFRESH_AHEAD", "45")
	t.Setenv("S1CRETS_MAX_STALE", "1h")
	c, err = sf.resolve(map[string]bool{})
	require.NoError(t, err)
	for _, cc := range []s1crets.CacheConfig{c.smCache, c.psCache} {
		assert.True(t, cc.OnDisk)
		assert.True(t, strings.HasPrefix(cc.KeyCacheDir, dir), cc.KeyCacheDir)
		assert.Equal(t, "redis://127.0.0.1:1/0", cc.RedisURL)
		assert.Equal(t, 45*time.Second, cc.RefreshAhead)
		assert.Equal(t, time.Hour, cc.MaxStale)
	}
	t.Setenv("S1CRETS_MAX_STALE", "soon")
	_, err = sf.resolve(map[string]bool{})
	assert.ErrorContains(t, err, `S1CRETS_MAX_STALE "soon"`, "the message names what was wrong")
	for _, v := range []string{"S1CRETS_CACHE_DIR", "S1CRETS_REDIS_URL", "S1CRETS_REFRESH_AHEAD", "S1CRETS_MAX_STALE"} {
		t.Setenv(v, "")
	}

	sf = serveFlags{listen: "::1", port: "0", socketMode: "660", ttl: "2m", cacheSize: "9", maxConns: "3",
		tokenEnv: "S1CRETS_TEST_TOKEN", refreshAhead: "30s", maxStale: "600", diskCache: "d", drain: "2"}
	t.Setenv("S1CRETS_TEST_TOKEN", "from-flag-env")
	c, err = sf.resolve(map[string]bool{"timeout": true})
	require.NoError(t, err)
	assert.Equal(t, "[::1]:0", c.addr)
	assert.Equal(t, fs.FileMode(0o660), c.socketMode)
	assert.Equal(t, "from-flag-env", c.token)
	assert.Equal(t, 2*time.Minute, c.smCache.TTL)
	assert.Equal(t, 2*time.Minute, c.psCache.TTL, "--ttl is over both variables")
	assert.False(t, c.psCache.Disabled)
	assert.Equal(t, 9, c.psCache.Size)
	assert.Equal(t, 3, c.cfg.MaxConnections)
	assert.Equal(t, 30*time.Second, c.smCache.RefreshAhead)
	assert.Equal(t, 10*time.Minute, c.smCache.MaxStale)
	assert.Equal(t, 2*time.Second, c.cfg.DrainDelay)
	assert.True(t, c.smCache.OnDisk)
	assert.NotEqual(t, c.smCache.KeyCacheDir, c.psCache.KeyCacheDir)
	assert.Zero(t, c.smTimeout, "--timeout wins over the variables")

	file := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(file, []byte("  file-token\n"), 0o600))
	t.Setenv("AWS_TOKEN", "file://"+file)
	sf = serveFlags{listen: "127.0.0.1", socketMode: "0600"}
	c, err = sf.resolve(map[string]bool{})
	require.NoError(t, err)
	assert.Equal(t, "file-token", c.token, "AWS_TOKEN first, read from its file")
}

// TestServeSubprocess runs the built binary against awsfake as a program
// would: the ready line, curl and Python's standard library as clients, a
// Unix socket, and SIGTERM ending it with exit 0.
func TestServeSubprocess(t *testing.T) {
	fake := awsfake.New()
	defer fake.Close()
	fake.PutSecretString("prod/db", "subprocess-secret-value")
	fake.PutParameter(awsfake.Parameter{Name: "/prod/key", Value: "subprocess-param-value", Type: "SecureString"})

	dir := t.TempDir()
	bin := buildServe(t)
	const tok = "subprocess-token"
	sock := filepath.Join(dir, "serve.sock")
	p := startServe(t, append(serveEnv(dir, fake.URL()), "AWS_SESSION_TOKEN="+tok),
		bin, "serve", "--port", "0", "--socket", sock, "--socket-mode", "0640", "--log-level", "debug", "--endpoint-url", fake.URL())
	where, exited, logs := p.where, p.exited, p.logs
	httpURL, unixPart, found := strings.Cut(where, " and ")
	require.True(t, found, where)
	assert.Equal(t, "unix:"+sock, unixPart)
	require.True(t, strings.HasPrefix(httpURL, "http://127.0.0.1:"), httpURL)
	port := httpURL[strings.LastIndexByte(httpURL, ':')+1:]

	fi, err := os.Lstat(sock)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o640), fi.Mode().Perm())

	if curlBin, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command(curlBin, "-sS", "--max-time", "60", "-H", "X-Aws-Parameters-Secrets-Token: "+tok,
			httpURL+"/secretsmanager/get?secretId=prod/db").Output()
		require.NoError(t, err)
		assert.Contains(t, string(out), `"SecretString":"subprocess-secret-value"`)
		out, err = exec.Command(curlBin, "-sS", "--max-time", "60", "--unix-socket", sock,
			"-H", "X-Aws-Parameters-Secrets-Token: "+tok,
			"http://localhost/systemsmanager/parameters/get?name=/prod/key&withDecryption=true").Output()
		require.NoError(t, err)
		assert.Contains(t, string(out), `"Value":"subprocess-param-value"`)
		out, err = exec.Command(curlBin, "-sS", "--max-time", "60", "-w", "%{http_code}", httpURL+"/secretsmanager/get?secretId=prod/db").Output()
		require.NoError(t, err)
		assert.Equal(t, "Bad Token403", string(out))
	} else {
		t.Log("curl is not installed: its part is skipped")
	}
	if py, err := exec.LookPath("python3"); err == nil {
		script := `
import json, os, urllib.request
headers = {"X-Aws-Parameters-Secrets-Token": os.environ['AWS_SESSION_TOKEN']}
port = os.environ['PARAMETERS_SECRETS_EXTENSION_HTTP_PORT']
url = "http://localhost:" + port + "/secretsmanager/get?secretId=prod%2Fdb"
print(json.loads(urllib.request.urlopen(urllib.request.Request(url, headers=headers)).read())['SecretString'])
url = "http://localhost:" + port + "/systemsmanager/parameters/get?name=%2Fprod%2Fkey&withDecryption=true"
print(json.loads(urllib.request.urlopen(urllib.request.Request(url, headers=headers)).read())['Parameter']['Value'])
`
		pc := exec.Command(py, "-c", script)
		pc.Env = append(os.Environ(), "AWS_SESSION_TOKEN="+tok, "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT="+port)
		out, err := pc.CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Equal(t, "subprocess-secret-value\nsubprocess-param-value\n", string(out))
	} else {
		t.Log("python3 is not installed: its part is skipped")
	}
	resp, err := http.Get(httpURL + "/healthz")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "ok", string(body))
	assert.Equal(t, 1, fake.Calls("GetSecretValue"), "curl and Python read one cached secret")

	// --healthcheck, the probe of a sidecar's container: over TCP and over
	// the socket, without a token.
	probe := func(args ...string) error {
		c := exec.Command(bin, append([]string{"serve", "--healthcheck"}, args...)...)
		c.Env = serveEnv(dir, fake.URL())
		out, err := c.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	}
	require.NoError(t, probe("--port", port))
	require.NoError(t, probe("--listen", "none", "--socket", sock))

	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		require.NoError(t, err, "exit 0 on SIGTERM\n%s", logs())
	case <-time.After(hangGuard):
		t.Fatal("serve did not exit on SIGTERM")
	}
	_, err = os.Lstat(sock)
	assert.ErrorIs(t, err, fs.ErrNotExist, "the socket file is removed")
	assert.Error(t, probe("--port", port), "no server: the probe fails")
	_, err = net.Dial("tcp", strings.TrimPrefix(httpURL, "http://"))
	assert.Error(t, err)
	for _, secret := range []string{"subprocess-secret-value", "subprocess-param-value", tok} {
		assert.NotContains(t, logs(), secret)
	}
	assert.Contains(t, logs(), "level=DEBUG msg=request", "debug logging was on")
}

// buildServe builds the s1crets binary into a temporary directory.
func buildServe(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "s1crets")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// serveEnv is a minimal environment pointing the AWS SDK at the fake.
func serveEnv(home, endpoint string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_ACCESS_KEY_ID=" + awsfake.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + awsfake.SecretAccessKey,
		"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "AWS_ENDPOINT_URL=" + endpoint,
		"AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
	}
}

// serveProc is a running `s1crets serve`.
type serveProc struct {
	cmd    *exec.Cmd
	where  string        // what its ready line says it listens on
	exited <-chan error  // its exit, once
	logs   func() string // its standard error so far
}

// startServe starts bin with args and env and waits for its ready line.
func startServe(t *testing.T, env []string, bin string, args ...string) serveProc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	var mu sync.Mutex
	var logs strings.Builder
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			logs.WriteString(line + "\n")
			mu.Unlock()
			if rest, ok := strings.CutPrefix(line, "s1crets serve: listening on "); ok {
				ready <- rest
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	p := serveProc{cmd: cmd, exited: exited, logs: func() string { mu.Lock(); defer mu.Unlock(); return logs.String() }}
	select {
	case p.where = <-ready:
	case err := <-exited:
		t.Fatalf("serve exited before it was ready: %v\n%s", err, p.logs())
	case <-time.After(hangGuard):
		t.Fatal("serve never printed its ready line")
	}
	return p
}

// hangGuard is how long a test waits for something that must happen.
const hangGuard = 60 * time.Second

// In Lambda (AWS_LAMBDA_RUNTIME_API set), serve registers with the
// Extensions API under the wrapper's name before it listens, answers the
// function's requests between invokes, and exits 0 on SHUTDOWN. A port
// already taken is reported to Lambda as a failed init.
func TestServeLambdaExtension(t *testing.T) {
	fake := awsfake.New()
	defer fake.Close()
	fake.PutSecretString("prod/db", "lambda-secret-value")
	bin := buildServe(t)
	lambda := lambdafake.New(t)
	const tok = "lambda-session-token"
	env := append(serveEnv(t.TempDir(), fake.URL()), "AWS_SESSION_TOKEN="+tok,
		"AWS_LAMBDA_RUNTIME_API="+lambda.Addr(), "S1CRETS_LAMBDA_EXTENSION_NAME=s1crets",
		"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=0")
	p := startServe(t, env, bin, "serve")

	regs := lambda.Registrations()
	require.Len(t, regs, 1, "registered before it listened")
	assert.Equal(t, "s1crets", regs[0].Name)
	assert.ElementsMatch(t, []string{"INVOKE", "SHUTDOWN"}, regs[0].Events)

	lambda.WaitNext() // ready: waiting for the first event
	lambda.Invoke("req-1")
	url := p.where + "/secretsmanager/get?secretId=prod/db"
	for range 2 {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		require.NoError(t, err)
		req.Header.Set("X-Aws-Parameters-Secrets-Token", tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
		assert.Contains(t, string(body), `"SecretString":"lambda-secret-value"`)
	}
	assert.Equal(t, 1, fake.Calls("GetSecretValue"))

	lambda.Shutdown("spindown", time.Now().Add(hangGuard))
	select {
	case err := <-p.exited:
		require.NoError(t, err, "exit 0 on SHUTDOWN\n%s", p.logs())
	case <-time.After(hangGuard):
		t.Fatal("serve did not exit on SHUTDOWN")
	}
	assert.Empty(t, lambda.Errors())
	assert.NotContains(t, p.logs(), "lambda-secret-value")

	// A port in use: Lambda hears of it, and serve fails.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	lambda2 := lambdafake.New(t)
	env = append(serveEnv(t.TempDir(), fake.URL()), "AWS_SESSION_TOKEN="+tok,
		"AWS_LAMBDA_RUNTIME_API="+lambda2.Addr(), "S1CRETS_LAMBDA_EXTENSION_NAME=s1crets",
		"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT="+strconv.Itoa(taken.Addr().(*net.TCPAddr).Port))
	cmd := exec.Command(bin, "serve")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "%s", out)
	reports := lambda2.Errors()
	require.Len(t, reports, 1, "%s", out)
	assert.Equal(t, lambdafake.PathInitError, reports[0].Path)
	assert.Equal(t, "Extension.ReadyFailed", reports[0].ErrorType)
}
