package main

import (
	"bufio"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// execEnv runs exec with args and, as CMD, the test binary printing its
// environment (printEnvArg); it returns that environment. s1crets itself
// must print nothing: no secret on its stdout or stderr.
func execEnv(t *testing.T, args ...string) map[string]string {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "env")
	r := cli(t, "", append(append([]string{"exec"}, args...), "--", self, printEnvArg, file)...)
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Empty(t, r.stdout, "s1crets prints nothing of its own")
	assert.Empty(t, r.stderr, "s1crets prints nothing of its own")
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	m := map[string]string{}
	for _, kv := range strings.Split(string(b), "\x00") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		_, dup := m[k]
		require.False(t, dup, "%s twice in the environment", k)
		m[k] = v
	}
	return m
}

// without returns m without the names in drop.
func without(m map[string]string, drop ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if !slices.Contains(drop, k) {
			out[k] = v
		}
	}
	return out
}

const dbJSON = `{"user": "u-1", "password": "p=2 'x' $HOME", "port": 5432, "ratio": 1.50, "ok": true, "none": null,
 "list": [1, "a", {"b": null}], "tls": {"cert": "C", "key-file": "K", "deep": {"x": "y"}}, "html": "<&>",
 "pässwort": "pw", "multi": "line1\nline2"}`

func seedExpand(f *awsfake.Server) {
	f.PutSecretString("prod/db", dbJSON)
	f.PutSecretString("prod/plain", "x")
	f.PutSecretString("prod/list", "[1, 2]")
	f.PutSecretString("prod/str", `"just a string"`)
	f.PutSecretString("prod/num", "42")
	f.PutParameter(awsfake.Parameter{Name: "/svc/cfg", Value: `{"host": "h", "port": "1"}`, Type: "SecureString"})
	f.PutParameter(awsfake.Parameter{Name: "/svc/name", Value: "svc"})
}

// dbVars are the variables of dbJSON expanded with prefix.
func dbVars(prefix string) map[string]string {
	return map[string]string{
		prefix + "USER": "u-1", prefix + "PASSWORD": "p=2 'x' $HOME", prefix + "PORT": "5432", prefix + "RATIO": "1.50",
		prefix + "OK": "true", prefix + "NONE": "", prefix + "LIST": `[1,"a",{"b":null}]`, prefix + "TLS_CERT": "C",
		prefix + "TLS_KEY_FILE": "K", prefix + "TLS_DEEP_X": "y", prefix + "HTML": "<&>", prefix + "P_SSWORT": "pw",
		prefix + "MULTI": "line1\nline2",
	}
}

func union(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// TestExecExpand: --expand makes a variable of each member of a JSON
// object secret, named and valued as the help says; other secrets stay one
// variable each. --clean-env keeps the test's own environment out of the
// comparison, which is exact.
func TestExecExpand(t *testing.T) {
	f := newFake(t)
	seedExpand(f)
	t.Setenv("USER", "tester")
	env := func(args ...string) map[string]string {
		return without(execEnv(t, append([]string{"--clean-env"}, args...)...), cleanEnv...)
	}
	assert.Equal(t, dbVars("DB_"), env("--secret", "prod/db", "--expand"))
	assert.Equal(t, dbVars("PG_"), env("--secret", "PG=prod/db", "--expand"))
	assert.Equal(t, dbVars("pg_"), env("--expand", "--secret", "pg=prod/db"), "NAME as given")
	assert.Equal(t, map[string]string{"DB": dbJSON}, env("--secret", "prod/db"), "without --expand: the whole secret")
	assert.Equal(t, map[string]string{"DATABASE": dbJSON}, env("--secret", "DATABASE=prod/db"))

	// Without a prefix; USER is the secret's, not the environment's.
	bare := execEnv(t, "--clean-env", "--secret", "=prod/db", "--expand")
	assert.Equal(t, dbVars(""), without(bare, slices.DeleteFunc(slices.Clone(cleanEnv), func(s string) bool { return s == "USER" })...))

	// Under a path: objects expanded, other secrets (arrays, strings,
	// numbers, text) whole, as stored.
	assert.Equal(t, union(dbVars("DB_"), map[string]string{"PLAIN": "x", "LIST": "[1, 2]", "STR": `"just a string"`, "NUM": "42"}),
		env("--path", "prod/", "--expand"))
	assert.Equal(t, union(dbVars("DB_"), map[string]string{"PLAIN": "x", "NUM": "42", "MAIN": "x"}),
		env("--secret", "prod/db", "--secret", "prod/plain", "--secret", "prod/num", "--secret", "MAIN=prod/plain", "--expand"))
	// The same secret twice is no collision, expanded or not.
	assert.Equal(t, union(dbVars("DB_"), map[string]string{"PLAIN": "x", "LIST": "[1, 2]", "STR": `"just a string"`, "NUM": "42"}),
		env("--path", "prod/", "--secret", "prod/db", "--expand"))

	// Parameter Store.
	assert.Equal(t, map[string]string{"CFG_HOST": "h", "CFG_PORT": "1", "NAME": "svc"},
		env("--provider", "aws.ps", "--path", "/svc", "--expand"))
	assert.Equal(t, map[string]string{"CFG": `{"host": "h", "port": "1"}`, "NAME": "svc"},
		env("--provider", "aws.ps", "--path", "/svc"))
}

// TestExecExpandErrors: members that cannot make distinct, valid variables
// are errors that name the secret and the key, never a value; CMD does not
// run.
func TestExecExpandErrors(t *testing.T) {
	f := newFake(t)
	f.PutSecretString("bad/case", `{"user": "a-val", "USER": "b-val"}`)
	f.PutSecretString("bad/nested", `{"a_b": "v1-val", "a": {"b": "v2-val"}}`)
	f.PutSecretString("bad/empty", `{"": "v-val", "k": "k-val"}`)
	f.PutSecretString("bad/digit", `{"1st": "v-val"}`)
	f.PutSecretString("bad/nul", `{"k": "a\u0000b-val"}`)
	f.PutSecretString("bad/plain", "plain-val")
	f.PutSecretString("bad/db", `{"user": "y-val"}`)
	f.PutSecretString("dup/db_user", "x-val")
	marker := filepath.Join(t.TempDir(), "ran")
	touch := []string{"--", "sh", "-c", `touch "$0"`, marker}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--secret", "bad/case", "--expand"}, []string{`secret "bad/case" member "USER"`, `secret "bad/case" member "user"`, "CASE_USER"}},
		{[]string{"--secret", "bad/nested", "--expand"}, []string{`member "a.b"`, `member "a_b"`, "NESTED_A_B"}},
		{[]string{"--secret", "bad/empty", "--expand"}, []string{`secret "bad/empty" member ""`, "an empty key"}},
		{[]string{"--secret", "=bad/digit", "--expand"}, []string{`member "1st"`, "1ST would start with a digit", "--secret NAME=PATH"}},
		{[]string{"--secret", "bad/nul", "--expand"}, []string{`secret "bad/nul" member "k"`, "NUL byte"}},
		{[]string{"--secret", "=bad/plain", "--expand"}, []string{`secret "bad/plain"`, "needs a JSON object"}},
		{[]string{"--secret", "bad/db", "--path", "dup/", "--expand"}, []string{`secret "bad/db" member "user"`, `secret "dup/db_user"`, "DB_USER"}},
		{[]string{"--secret", "X=bad/plain", "--secret", "X=dup/db_user"}, []string{`secrets "bad/plain" and "dup/db_user"`, "variable X"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			requireSh(t)
			line := fails(t, cli(t, "", append(append([]string{"exec"}, tc.args...), touch...)...), exitError, tc.want...)
			for _, v := range []string{"-val", "a\x00b"} {
				assert.NotContains(t, line, v, "a value in the error")
			}
			assert.NoFileExists(t, marker, "CMD does not run")
		})
	}
	// The digits are fine behind a prefix.
	assert.Equal(t, map[string]string{"DIGIT_1ST": "v-val"}, without(execEnv(t, "--clean-env", "--secret", "bad/digit", "--expand"), cleanEnv...))

	// Usage errors, before any AWS call.
	f.ResetCalls()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--secret", "=bad/db"}, "an empty NAME is for --expand"},
		{[]string{"--secret", "1X=bad/db"}, "want [NAME=]PATH"},
		{[]string{"--secret", "bad/a=b"}, `a PATH with "=" in it needs NAME=`},
		{[]string{"--secret", "X="}, "empty path"},
		{[]string{"--secret", ""}, "empty path"},
		{[]string{"--path", "bad/", "--keep-env", "FOO"}, "--keep-env needs --clean-env"},
		{[]string{"--path", "bad/", "--clean-env", "--keep-env", "BAD-NAME"}, "not a variable name"},
		{[]string{"--clean-env"}, "missing --path or --secret"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			fails(t, cli(t, "", append(append([]string{"exec"}, tc.args...), "true")...), exitUsage, tc.want, "(see s1crets exec --help)")
		})
	}
	assert.Equal(t, 0, f.TotalCalls())
}

// TestExecCleanEnv: with --clean-env, CMD's environment is exactly the
// secrets, the listed variables that are set and the --keep-env ones;
// without it, CMD inherits everything.
func TestExecCleanEnv(t *testing.T) {
	f := newFake(t)
	seedExpand(f)
	f.PutSecretString("ovr/home", "/secret-home")
	diskEnv(t) // S1CRETS_CACHE_KEY among others
	path := os.Getenv("PATH")
	for k, v := range map[string]string{"HOME": "/h", "USER": "someone", "LANG": "C.UTF-8", "TZ": "UTC", "TMPDIR": "/tmp-x",
		"EXTRA": "kept-extra", "OTHER": "dropped", "AWS_SECRET_ACCESS_KEY": "aws-secret-dropped"} {
		t.Setenv(k, v)
	}
	for _, n := range []string{"LOGNAME", "LC_ALL", "TERM", "NOT_SET_X"} {
		t.Setenv(n, "")
		require.NoError(t, os.Unsetenv(n))
	}
	base := map[string]string{"PATH": path, "HOME": "/h", "USER": "someone", "LANG": "C.UTF-8", "TZ": "UTC", "TMPDIR": "/tmp-x"}

	assert.Equal(t, union(base, map[string]string{"PLAIN": "x"}),
		execEnv(t, "--clean-env", "--secret", "prod/plain"))
	assert.Equal(t, union(base, dbVars("DB_"), map[string]string{"EXTRA": "kept-extra"}),
		execEnv(t, "--clean-env", "--keep-env", "EXTRA", "--keep-env", "NOT_SET_X", "--secret", "prod/db", "--expand"))
	// A secret overrides a kept variable.
	assert.Equal(t, union(base, map[string]string{"HOME": "/secret-home"}),
		execEnv(t, "--clean-env", "--secret", "ovr/home"))
	// The disk cache's key stays with s1crets.
	got := execEnv(t, "--clean-env", "--disk-cache", "--secret", "prod/plain")
	assert.Equal(t, union(base, map[string]string{"PLAIN": "x"}), got)

	// Without --clean-env: everything, the secrets over it.
	all := execEnv(t, "--secret", "prod/plain", "--secret", "ovr/home")
	assert.Equal(t, "dropped", all["OTHER"])
	assert.Equal(t, "aws-secret-dropped", all["AWS_SECRET_ACCESS_KEY"])
	assert.Equal(t, "/secret-home", all["HOME"])
	assert.Equal(t, "x", all["PLAIN"])
	assert.NotEmpty(t, all[envCacheKey])
	assert.Len(t, all, len(os.Environ())+1, "the environment, HOME replaced, PLAIN added")
}

// TestChildEnv: the environment exec builds, in order: s1crets's own
// variables (or those kept), then the secrets sorted by name; a secret's
// variable replaces the inherited one.
func TestChildEnv(t *testing.T) {
	environ := []string{"Z=1", "HOME=/h", "PATH=/bin", "KEEP=k", "X=old", "BROKEN"}
	vars := map[string]envVar{"X": {value: "new"}, "A": {value: "a=b"}}
	assert.Equal(t, []string{"Z=1", "HOME=/h", "PATH=/bin", "KEEP=k", "BROKEN", "A=a=b", "X=new"}, childEnv(environ, false, nil, vars))
	assert.Equal(t, []string{"HOME=/h", "PATH=/bin", "A=a=b", "X=new"}, childEnv(environ, true, nil, vars))
	assert.Equal(t, []string{"HOME=/h", "PATH=/bin", "KEEP=k", "A=a=b", "X=new"}, childEnv(environ, true, []string{"KEEP", "NOPE"}, vars))
}
