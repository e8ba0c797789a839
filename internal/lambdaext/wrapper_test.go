package lambdaext_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets/internal/lambdaext"
)

// wrapperScript is the example layer's extension entry point.
const wrapperScript = "../../examples/serve/lambda/extensions/s1crets"

// TestWrapperScript: the example wrapper is executable, execs
// "/opt/s1crets serve" with its arguments, and hands on its own file name
// as the extension name, which ConfigFromEnv then uses. It runs a copy
// under another name with /opt/s1crets replaced by a stub.
func TestWrapperScript(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("a POSIX sh script")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	info, err := os.Stat(wrapperScript)
	require.NoError(t, err)
	assert.NotZero(t, info.Mode().Perm()&0o111, "Lambda runs only executable files in /opt/extensions")

	src, err := os.ReadFile(wrapperScript)
	require.NoError(t, err)
	require.Contains(t, string(src), `exec /opt/s1crets serve "$@"`)

	dir := t.TempDir()
	stub := filepath.Join(dir, "s1crets-stub")
	require.NoError(t, os.WriteFile(stub, []byte("#!/bin/sh\nprintf '%s|' \"$S1CRETS_LAMBDA_EXTENSION_NAME\" \"$@\"\n"), 0o755))
	script := filepath.Join(dir, "extensions", "secrets-cache")
	require.NoError(t, os.MkdirAll(filepath.Dir(script), 0o755))
	require.NoError(t, os.WriteFile(script, []byte(strings.ReplaceAll(string(src), "/opt/s1crets", stub)), 0o755))

	cmd := exec.Command(sh, script, "--flag")
	cmd.Env = append(os.Environ(), "S1CRETS_LAMBDA_EXTENSION_NAME=")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "secrets-cache|serve|--flag|", string(out))

	cfg, ok := lambdaext.ConfigFromEnv(func(k string) string {
		return map[string]string{lambdaext.EnvRuntimeAPI: "127.0.0.1:9001", lambdaext.EnvName: strings.Split(string(out), "|")[0]}[k]
	})
	require.True(t, ok)
	assert.Equal(t, "secrets-cache", cfg.Name)
}
