package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets/internal/parity/motoenv"
)

// The end-to-end test runs the built binary and the original Python CLI
// (PyPI s1crets 0.0.12) on the same data in a moto server and compares
// their standard output and exit codes. The original's standard error
// holds its INFO log lines and is ignored. The differences it allows are
// the listed ones:
//
//   - JSON instead of Python reprs: values are compared as data (sameValue);
//     None, which the original prints as an empty line, is JSON null.
//   - binary secrets: get writes them without the original's trailing
//     newline; get-by-path prints base64 where the original prints b'...'.
//   - key paths for aws.ps: the original ignores them; we look them up.
//   - aws.ps exists: the original matches any name prefix ("/a/b" exists
//     when only "/a/bc" does); we stop at "/" boundaries (DESIGN.md §4 #6).
//
// It also checks what has no counterpart in the original against the
// original's reads: update from standard input, get-by-path --format json
// and dotenv, and exec.
const (
	motoURLEnv = "S1CRETS_TEST_MOTO_URL" // e.g. http://127.0.0.1:5000
	pyVenvEnv  = "S1CRETS_TEST_PY_VENV"  // a venv with s1crets 0.0.12: bin/s1crets
)

// e2e holds what every case needs: both CLIs and their environment.
type e2e struct {
	ours, original string
	env            []string
	prefix         string
}

// run runs one CLI and returns its stdout and exit code; stderr is kept for
// failure messages only.
func (e *e2e) run(t *testing.T, bin, stdin string, args ...string) (stdout string, code int, stderr string) {
	t.Helper()
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "{P}", e.prefix)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = e.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	return out.String(), cmd.ProcessState.ExitCode(), errOut.String()
}

// both runs the same arguments with each CLI.
func (e *e2e) both(t *testing.T, args ...string) (py, ours string, pyCode, ourCode int) {
	t.Helper()
	py, pyCode, pyErr := e.run(t, e.original, "", append([]string(nil), args...)...)
	ours, ourCode, ourErr := e.run(t, e.ours, "", append([]string(nil), args...)...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("original: rc %d stdout %q stderr (last line) %q", pyCode, py, lastLine(pyErr))
			t.Logf("ours:     rc %d stdout %q stderr %q", ourCode, ours, ourErr)
		}
	})
	return py, ours, pyCode, ourCode
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestEndToEndAgainstOriginal(t *testing.T) {
	motoURL, venv := os.Getenv(motoURLEnv), os.Getenv(pyVenvEnv)
	if motoURL == "" || venv == "" {
		t.Skipf("end-to-end comparison with the original CLI: set %s to a moto server's URL (e.g. http://127.0.0.1:5000) "+
			"and %s to a Python venv holding the original CLI (pip install s1crets==0.0.12 'moto[server]'; bin/s1crets)",
			motoURLEnv, pyVenvEnv)
	}
	original := filepath.Join(venv, "bin", "s1crets")
	require.FileExists(t, original)
	goTool, err := exec.LookPath("go")
	require.NoError(t, err, "go in PATH, to build the binary")
	dir := t.TempDir()
	ours := filepath.Join(dir, "s1crets")
	build := exec.Command(goTool, "build", "-o", ours, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	home := filepath.Join(dir, "home")
	require.NoError(t, os.Mkdir(home, 0o700))
	e := &e2e{ours: ours, original: original, prefix: "s1e2e-" + randomHex(t), env: []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"PYTHONIOENCODING=utf-8",
		"AWS_ENDPOINT_URL=" + motoURL,
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
	}}
	seedMoto(t, motoURL, e.prefix)

	t.Run("same output", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			mode string // exact: same stdout; value: same data (repr vs JSON); binary: ours + "\n"; lines: get-by-path
		}{
			{[]string{"get", "{P}/plain"}, "exact"},
			{[]string{"get", "{P}/unicode"}, "exact"},
			{[]string{"get", "{P}/plain", "--provider", "aws.sm"}, "exact"},
			{[]string{"get", "--provider=aws.sm", "{P}/plain"}, "exact"},
			{[]string{"get", "{P}/json"}, "value"},
			{[]string{"get", "{P}/json", "user"}, "exact"},
			{[]string{"get", "{P}/json", "port"}, "exact"},
			{[]string{"get", "{P}/json", "ratio"}, "exact"},
			{[]string{"get", "{P}/json", "s"}, "exact"},
			{[]string{"get", "{P}/json", "ok"}, "value"},
			{[]string{"get", "{P}/json", "none"}, "value"},
			{[]string{"get", "{P}/json", "nested"}, "value"},
			{[]string{"get", "{P}/json", "nested", "deep", "x"}, "exact"},
			{[]string{"get", "{P}/json", "list", "k"}, "value"},
			{[]string{"get", "{P}/json", "--", "-dash"}, "exact"},
			{[]string{"get", "{P}/num"}, "exact"},
			{[]string{"get", "{P}/bin"}, "binary"},
			{[]string{"get", "{P}/nope"}, "exact"},
			{[]string{"get", "{P}/json", "missing"}, "exact"},
			{[]string{"exists", "{P}/plain"}, "exact"},
			{[]string{"exists", "{P}/nope"}, "exact"},
			{[]string{"exists", "{P}/json", "nested", "deep"}, "exact"},
			{[]string{"exists", "{P}/json", "nested", "nope"}, "exact"},
			{[]string{"get-by-path", "{P}/dir/"}, "lines"},
			{[]string{"get-by-path", "{P}/"}, "lines"},
			{[]string{"get-by-path", "{P}/nothing/"}, "exact"},
			{[]string{"get", "--provider", "aws.ps", "/{P}/app/host"}, "exact"},
			{[]string{"get", "/{P}/app/pw", "--provider", "aws.ps"}, "exact"},
			{[]string{"get", "--provider", "aws.ps", "/{P}/app/list"}, "exact"},
			{[]string{"get", "--provider", "aws.ps", "/{P}/app/cfg"}, "exact"},
			{[]string{"get", "--provider", "aws.ps", "/{P}/nope"}, "exact"},
			{[]string{"get", "--provider", "aws.ps", "/aws/reference/secretsmanager/{P}/plain"}, "exact"},
			{[]string{"get", "--provider", "aws.ps", "/aws/reference/secretsmanager/{P}/json/user"}, "exact"},
			{[]string{"get", "--provider", "aws.ps", "/aws/reference/secretsmanager/{P}/json/nested"}, "value"},
			{[]string{"get", "--provider", "aws.ps", "/aws/reference/secretsmanager/{P}/nope"}, "exact"},
			{[]string{"exists", "--provider", "aws.ps", "/{P}/app/host"}, "exact"},
			{[]string{"exists", "--provider", "aws.ps", "/{P}/app"}, "exact"},
			{[]string{"exists", "--provider", "aws.ps", "/{P}/nope"}, "exact"},
			{[]string{"get-by-path", "--provider", "aws.ps", "/{P}/app"}, "lines"},
			{[]string{"get-by-path", "--provider", "aws.ps", "/{P}/nothing"}, "exact"},
			{[]string{"update", "--provider", "aws.ps", "/{P}/nope", "v"}, "exact"},
			{[]string{"update", "{P}/nope", "v"}, "exact"},
			// Usage errors: both exit 2.
			{[]string{}, "usage"},
			{[]string{"get"}, "usage"},
			{[]string{"get", "--provider", "aws.xx", "{P}/plain"}, "usage"},
			{[]string{"get", "{P}/json", "-dash"}, "usage"},
			{[]string{"update", "{P}/plain"}, "usage"},
			{[]string{"get_by_path", "{P}/"}, "usage"},
		} {
			t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
				t.Parallel()
				py, ours, pyCode, ourCode := e.both(t, tc.args...)
				require.Equal(t, pyCode, ourCode, "exit codes")
				switch tc.mode {
				case "exact":
					assert.Equal(t, py, ours)
				case "usage":
					assert.Equal(t, 2, ourCode)
				case "value":
					assert.True(t, strings.HasSuffix(ours, "\n") && strings.HasSuffix(py, "\n"), "newline")
					assert.True(t, sameValue(strings.TrimSuffix(py, "\n"), strings.TrimSuffix(ours, "\n")), "same value")
				case "binary":
					assert.Equal(t, py, ours+"\n", "raw bytes; the original adds a newline")
				case "lines":
					pyLines, ourLines := splitLines(t, py), splitLines(t, ours)
					require.Equal(t, keys(pyLines), keys(ourLines), "names")
					for name, v := range pyLines {
						assert.True(t, sameValue(v, ourLines[name]), "%s: %q vs %q", name, v, ourLines[name])
					}
					assert.Equal(t, sortedLines(ours), ours, "sorted by name")
				}
			})
		}
	})

	t.Run("listed differences", func(t *testing.T) {
		// aws.ps key paths: the original ignores them.
		py, ours, pyCode, ourCode := e.both(t, "get", "--provider", "aws.ps", "/{P}/app/cfg", "a")
		assert.Equal(t, 0, pyCode)
		assert.Equal(t, 0, ourCode)
		assert.Equal(t, `{"a": {"b": 1}}`+"\n", py, "original: the whole parameter")
		assert.Equal(t, `{"b":1}`+"\n", ours, "ours: the value at the key path")
		_, _, pyCode, ourCode = e.both(t, "exists", "--provider", "aws.ps", "/{P}/app/cfg", "nope")
		assert.Equal(t, 0, pyCode, "original: key path ignored")
		assert.Equal(t, 1, ourCode, "ours: no such key")
		// aws.ps exists: a name prefix is not a path.
		_, _, pyCode, ourCode = e.both(t, "exists", "--provider", "aws.ps", "/{P}/ap")
		assert.Equal(t, 0, pyCode, "original: prefix match")
		assert.Equal(t, 1, ourCode, "ours: path boundary")
	})

	t.Run("update", func(t *testing.T) {
		for _, p := range []struct{ provider, goName, pyName string }{
			{"aws.sm", "{P}/upd/go", "{P}/upd/py"},
			{"aws.ps", "/{P}/upd/go", "/{P}/upd/py"},
		} {
			// Each CLI updates its own secret; the other one reads it.
			out, code, errOut := e.run(t, e.ours, "", "update", "--provider", p.provider, p.goName, "new-go")
			require.Equal(t, 0, code, errOut)
			assert.Empty(t, out)
			out, code, errOut = e.run(t, e.original, "", "update", "--provider", p.provider, p.pyName, "new-py")
			require.Equal(t, 0, code, lastLine(errOut))
			assert.Empty(t, out)
			out, _, _ = e.run(t, e.original, "", "get", "--provider", p.provider, p.goName)
			assert.Equal(t, "new-go\n", out, p.provider)
			out, _, _ = e.run(t, e.ours, "", "get", "--provider", p.provider, p.pyName)
			assert.Equal(t, "new-py\n", out, p.provider)
			// From standard input.
			_, code, errOut = e.run(t, e.ours, "from stdin: 'q' \"qq\"\n", "update", "--provider", p.provider, p.goName, "-")
			require.Equal(t, 0, code, errOut)
			out, _, _ = e.run(t, e.original, "", "get", "--provider", p.provider, p.goName)
			assert.Equal(t, "from stdin: 'q' \"qq\"\n", out, p.provider)
		}
	})

	t.Run("formats and exec", func(t *testing.T) {
		py, code, _ := e.run(t, e.original, "", "get-by-path", "{P}/dir/")
		require.Equal(t, 0, code)
		pyLines := splitLines(t, py)

		out, code, errOut := e.run(t, e.ours, "", "get-by-path", "{P}/dir/", "--format", "json")
		require.Equal(t, 0, code, errOut)
		var obj map[string]json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(out), &obj))
		require.Equal(t, keys(pyLines), keys(obj))
		for name, raw := range obj {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				raw = json.RawMessage(s) // strings (and base64) compare as printed
			}
			assert.True(t, sameValue(pyLines[name], string(raw)), "%s: %q vs %s", name, pyLines[name], raw)
		}

		out, code, errOut = e.run(t, e.ours, "", "get-by-path", "{P}/dir/", "--format", "dotenv")
		require.Equal(t, 0, code, errOut)
		env := shellEnv(t, out, "A", "B_C", "BLOB")
		assert.Equal(t, pyLines[e.prefix+"/dir/a"], env[0])
		assert.True(t, sameValue(pyLines[e.prefix+"/dir/b-c"], env[1]))
		assert.True(t, sameValue(pyLines[e.prefix+"/dir/blob"], env[2]))

		out, code, errOut = e.run(t, e.ours, "", "exec", "--path", "{P}/dir/", "--", "sh", "-c", `printf '%s\n' "$A"; exit 3`)
		assert.Equal(t, 3, code, errOut)
		assert.Equal(t, pyLines[e.prefix+"/dir/a"]+"\n", out)
	})
}

func seedMoto(t *testing.T, url, prefix string) {
	t.Helper()
	ctx := context.Background()
	cfg := awssdk.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: awssdk.String(url),
	}
	sm := secretsmanager.NewFromConfig(cfg)
	for name, v := range map[string]string{
		"plain":   "hunter2",
		"unicode": "pässwörd ✓ 密码",
		"json": `{"user": "admin", "port": 5432, "ratio": 1.5, "ok": true, "none": null, "s": "it's <x> & \"q\"", "-dash": "d",` +
			` "list": [{"k": 1}, {"k": 2}], "nested": {"deep": {"x": "y"}}}`,
		"num":      "42",
		"dir/a":    "value-a",
		"dir/b-c":  `{"z": [1, "two", false]}`,
		"upd/go":   "old",
		"upd/py":   "old",
		"dirx/far": "not below dir/",
	} {
		require.NoError(t, motoenv.CreateSecret(ctx, sm, &secretsmanager.CreateSecretInput{Name: awssdk.String(prefix + "/" + name), SecretString: awssdk.String(v)}))
	}
	for _, name := range []string{"bin", "dir/blob"} {
		require.NoError(t, motoenv.CreateSecret(ctx, sm, &secretsmanager.CreateSecretInput{Name: awssdk.String(prefix + "/" + name), SecretBinary: []byte{0, 'a', 'b', 0xff, '\'', '"'}}))
	}
	ps := ssm.NewFromConfig(cfg)
	for _, p := range []struct{ name, value, typ string }{
		{"app/host", "db.internal", "String"},
		{"app/pw", "s3cr3t", "SecureString"},
		{"app/list", "a,b,c", "StringList"},
		{"app/cfg", `{"a": {"b": 1}}`, "String"},
		{"app/deep/x", "y", "String"},
		{"apq/other", "o", "String"},
		{"upd/go", "old", "SecureString"},
		{"upd/py", "old", "SecureString"},
	} {
		require.NoError(t, motoenv.PutParameter(ctx, ps, &ssm.PutParameterInput{Name: awssdk.String("/" + prefix + "/" + p.name), Value: awssdk.String(p.value),
			Type: ssmtypes.ParameterType(p.typ)}))
	}
}

// splitLines parses get-by-path's "name value" lines.
func splitLines(t *testing.T, out string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		name, value, found := strings.Cut(line, " ")
		require.True(t, found, "line %q", line)
		m[name] = value
	}
	return m
}

func sortedLines(out string) string {
	lines := strings.SplitAfter(out, "\n")
	slices.Sort(lines)
	return strings.Join(lines, "")
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func randomHex(t *testing.T) string {
	b := make([]byte, 6)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}
