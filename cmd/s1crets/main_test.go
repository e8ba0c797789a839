package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets/internal/awsfake"
)

// runMainEnv makes the test binary act as the s1crets command: the exec
// tests run it as a subprocess, so that they can send it signals.
const runMainEnv = "S1CRETS_CLI_TEST_RUN_MAIN"

// printEnvArg makes the test binary a command for exec that writes its
// environment to the file named next, NUL-separated: it needs no variable
// of its own, so that the exec tests see exactly what exec gave it.
const printEnvArg = "-s1crets-test-print-env"

func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == printEnvArg {
		if err := os.WriteFile(os.Args[2], []byte(strings.Join(os.Environ(), "\x00")), 0o600); err != nil {
			os.Exit(9)
		}
		os.Exit(0)
	}
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	cleanup, err := awsfake.IsolateEnv() // never reach real AWS
	if err != nil {
		panic(err)
	}
	// An endpoint that refuses connections, until a test sets its fake.
	os.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	// No disk cache but the tests' own: a developer's settings would make
	// the tests read and write their real cache.
	for _, k := range []string{envDiskCache, envCacheDir, envCacheTTL, envCacheKey} {
		os.Unsetenv(k)
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// newFake starts an in-process fake of AWS and points the SDK's
// environment at it for the test.
func newFake(t *testing.T) *awsfake.Server {
	t.Helper()
	f := awsfake.New()
	t.Cleanup(f.Close)
	t.Setenv("AWS_ENDPOINT_URL", f.URL())
	return f
}

// result is what one run of the tool did.
type result struct {
	code           int
	stdout, stderr string
}

// cli runs the tool in-process with args and stdin.
func cli(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// ok asserts a successful run and returns its stdout.
func ok(t *testing.T, r result) string {
	t.Helper()
	require.Equal(t, 0, r.code, "exit code; stderr: %s", r.stderr)
	assert.Empty(t, r.stderr)
	return r.stdout
}

// fails asserts a failed run with code and a one-line error on stderr that
// contains each of want; it returns the error line.
func fails(t *testing.T, r result, code int, want ...string) string {
	t.Helper()
	require.Equal(t, code, r.code, "exit code; stdout %q, stderr %q", r.stdout, r.stderr)
	assert.Empty(t, r.stdout)
	if code == 1 && r.stderr == "" {
		return "" // exists answering "no"
	}
	require.True(t, strings.HasSuffix(r.stderr, "\n"), "stderr ends with a newline: %q", r.stderr)
	line := strings.TrimSuffix(r.stderr, "\n")
	assert.NotContains(t, line, "\n", "one line")
	assert.True(t, strings.HasPrefix(line, "s1crets: "), "starts with s1crets: %q", line)
	for _, w := range want {
		assert.Contains(t, line, w)
	}
	return line
}
