package main

import (
	"bufio"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets/internal/awsfake"
)

func requireSh(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh in PATH")
	}
}

// shellEnv sources a dotenv text in sh and returns the named variables.
func shellEnv(t *testing.T, dotenv string, names ...string) []string {
	t.Helper()
	requireSh(t)
	file := filepath.Join(t.TempDir(), "env")
	require.NoError(t, os.WriteFile(file, []byte(dotenv), 0o600))
	script := `set -a; . "$1"; shift; for n; do eval "printf '%s\0' \"\$$n\""; done`
	out, err := exec.Command("sh", append([]string{"-c", script, "sh", file}, names...)...).Output()
	require.NoError(t, err)
	vals := strings.Split(string(out), "\x00")
	return vals[:len(vals)-1]
}

func seedExec(f *awsfake.Server) {
	f.PutParameter(awsfake.Parameter{Name: "/app/db/password", Value: "s3cr3t", Type: "SecureString"})
	f.PutParameter(awsfake.Parameter{Name: "/app/db/db-url", Value: "postgres://h/db"})
	f.PutParameter(awsfake.Parameter{Name: "/app/api/1st.key", Value: "k1"})
	f.PutParameter(awsfake.Parameter{Name: "/app/api/home", Value: "/secret/home"})
	f.PutParameter(awsfake.Parameter{Name: "/app/cfg", Value: `{"a": 1}`})
	f.PutSecretBinary("bin/blob", []byte{0xff, 0, 1})
	f.PutSecretString("bin/text", "t")
	f.PutParameter(awsfake.Parameter{Name: "/col/a/key", Value: "one"})
	f.PutParameter(awsfake.Parameter{Name: "/col/b/KEY", Value: "two"})
}

func TestExecEnvironment(t *testing.T) {
	requireSh(t)
	f := newFake(t)
	seedExec(f)
	t.Setenv("HOME_KEEP", "kept")
	t.Setenv("HOME", "/original/home")
	show := `printf '%s|' "$PASSWORD" "$DB_URL" "$_1ST_KEY" "$HOME" "$CFG" "$HOME_KEEP"`
	out := ok(t, cli(t, "", "exec", "--provider", "aws.ps", "--path", "/app", "--", "sh", "-c", show))
	assert.Equal(t, `s3cr3t|postgres://h/db|k1|/secret/home|{"a": 1}|kept|`, out, "secrets override the environment")

	// Several paths; flags end at the first non-flag argument, without "--".
	out = ok(t, cli(t, "", "exec", "--provider=aws.ps", "--path", "/app/db", "--path", "/app/api",
		"sh", "-c", `printf '%s|' "$PASSWORD" "$_1ST_KEY" "$CFG" "$1"`, "sh", "--provider"))
	assert.Equal(t, "s3cr3t|k1||--provider|", out)

	// Binary secrets in base64 (Secrets Manager, the default provider).
	out = ok(t, cli(t, "", "exec", "--path", "bin/", "--", "sh", "-c", `printf '%s|%s' "$BLOB" "$TEXT"`))
	assert.Equal(t, base64.StdEncoding.EncodeToString([]byte{0xff, 0, 1})+"|t", out)

	// Standard input reaches the command.
	assert.Equal(t, "piped", ok(t, cli(t, "piped", "exec", "--path", "bin/", "--", "cat")))
}

func TestExecErrors(t *testing.T) {
	requireSh(t)
	f := newFake(t)
	seedExec(f)
	marker := filepath.Join(t.TempDir(), "ran")
	touch := []string{"sh", "-c", `touch "$0"`, marker}

	line := fails(t, cli(t, "", append([]string{"exec", "--provider", "aws.ps", "--path", "/col", "--"}, touch...)...),
		exitError, `"/col/a/key"`, `"/col/b/KEY"`, "KEY")
	assert.NotContains(t, line, "one")
	// The same secret under two paths is no collision.
	ok(t, cli(t, "", "exec", "--provider", "aws.ps", "--path", "/app/db", "--path", "/app", "--", "true"))
	fails(t, cli(t, "", append([]string{"exec", "--provider", "aws.ps", "--path", "/app", "--path", "/nothing", "--"}, touch...)...),
		exitNotFound, `"/nothing"`, "no secrets below")
	assert.NoFileExists(t, marker, "the command does not run after an error")

	// A command that cannot start: the exit codes of shells and env(1).
	fails(t, cli(t, "", "exec", "--path", "bin/", "--", "/no/such/command"), 127, "cannot run /no/such/command")
	fails(t, cli(t, "", "exec", "--path", "bin/", "--", "no-such-command-in-path-7f3a"), 127, "not found")
	notExec := filepath.Join(t.TempDir(), "script")
	require.NoError(t, os.WriteFile(notExec, []byte("#!/bin/sh\ntrue\n"), 0o600))
	fails(t, cli(t, "", "exec", "--path", "bin/", "--", notExec), 126, "cannot run", "permission denied")
	fails(t, cli(t, "", "exec", "--path", "bin/", "--", t.TempDir()), 126, "cannot run")
}

func TestExecExitCode(t *testing.T) {
	requireSh(t)
	f := newFake(t)
	seedExec(f)
	for _, tc := range []struct {
		script string
		code   int
	}{
		{"exit 0", 0},
		{"exit 1", 1},
		{"exit 7", 7},
		{"exit 255", 255},
		{"kill -TERM $$", 128 + int(syscall.SIGTERM)},
		{"kill -KILL $$", 128 + int(syscall.SIGKILL)},
	} {
		t.Run(tc.script, func(t *testing.T) {
			r := cli(t, "", "exec", "--path", "bin/", "--", "sh", "-c", "echo out; echo err >&2; "+tc.script)
			assert.Equal(t, tc.code, r.code)
			assert.Equal(t, "out\n", r.stdout)
			assert.Equal(t, "err\n", r.stderr, "nothing of our own on stderr")
		})
	}
}

// TestExecForwardsSignals runs the tool as a subprocess (the test binary
// acting as main), sends it each forwarded signal while its command runs,
// and checks that the command got it: the command traps the signal and
// exits with a code of its own, which the tool passes through.
func TestExecForwardsSignals(t *testing.T) {
	requireSh(t)
	f := newFake(t)
	seedExec(f)
	for i, tc := range []struct {
		sig  syscall.Signal
		name string
	}{{syscall.SIGTERM, "TERM"}, {syscall.SIGINT, "INT"}, {syscall.SIGHUP, "HUP"}, {syscall.SIGQUIT, "QUIT"}} {
		sig, name := tc.sig, tc.name
		t.Run(name, func(t *testing.T) {
			want := 40 + i
			script := `trap 'echo "got ` + name + `"; exit ` + strconv.Itoa(want) + `' ` + name + `
echo "ready $PASSWORD"
while :; do sleep 0.02; done`
			cmd := exec.Command(os.Args[0], "exec", "--provider", "aws.ps", "--path", "/app/db", "--", "sh", "-c", script)
			cmd.Env = append(os.Environ(), runMainEnv+"=1")
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			lines := bufio.NewScanner(stdout)
			require.True(t, lines.Scan(), "the command starts; stderr: %s", stderr.String())
			require.Equal(t, "ready s3cr3t", lines.Text())

			require.NoError(t, cmd.Process.Signal(sig))
			require.True(t, lines.Scan(), "the command reports the signal")
			assert.Equal(t, "got "+name, lines.Text())
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(time.Minute): // a hang guard, not a bound
				t.Fatal("the tool did not exit after its command did")
			}
			assert.Equal(t, want, cmd.ProcessState.ExitCode())
			assert.Empty(t, stderr.String())
		})
	}
}
