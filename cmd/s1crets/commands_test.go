package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets/internal/awsfake"
)

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"-help"}, {"help"}} {
		out := ok(t, cli(t, "", args...))
		for _, c := range commands {
			assert.Contains(t, out, "  "+c.name+" ", args)
		}
		for _, want := range []string{"Exit codes:", "0  success", "1  not found", "2  usage error", "3  any other error",
			"126 if it cannot be run", "127 if CMD is not found",
			"--provider P", "--region", "--profile NAME", "--endpoint-url URL", "--role-arn", "--role-session-name",
			"--external-id", "--retry", "--timeout"} {
			assert.Contains(t, out, want, args)
		}
		assert.NotContains(t, out, "--no-cache", "there is no cache to bypass in one run")
	}
	for _, c := range commands {
		for _, args := range [][]string{{c.name, "--help"}, {c.name, "-h"}, {"help", c.name}} {
			out := ok(t, cli(t, "", args...))
			assert.True(t, strings.HasPrefix(out, "Usage: s1crets "+c.name), "%v: %s", args, out)
			if c != versionCmd {
				// The common flags in one sentence, not the block of the
				// top-level help repeated.
				assert.True(t, strings.HasSuffix(out, "\n"+commonFlagsLine), "%v: %s", args, out)
				assert.NotContains(t, out, "Exit codes:", args)
				assert.NotContains(t, out, "--provider P", args)
				assert.Less(t, strings.Count(out, "\n"), 45, "%v: short", args)
			}
		}
	}
	// --help wins wherever it is, even after other arguments.
	assert.Contains(t, ok(t, cli(t, "", "get", "some/path", "--help")), "Usage: s1crets get")
	assert.Contains(t, ok(t, cli(t, "", "get-by-path", "--help")), "--format F")
	assert.Contains(t, ok(t, cli(t, "", "get", "--help")), "--base64")
	for _, cmd := range []string{"get", "exists", "get-by-path", "exec"} {
		assert.Contains(t, ok(t, cli(t, "", cmd, "--help")), "--no-decrypt", cmd)
	}
	for _, cmd := range []string{"get", "exists"} {
		out := ok(t, cli(t, "", cmd, "--help"))
		assert.Contains(t, out, "--version-stage LABEL", cmd)
		assert.Contains(t, out, "--version-id ID", cmd)
	}
	assert.Contains(t, ok(t, cli(t, "", "exec", "--help")), "--path PATH")
	execHelp := ok(t, cli(t, "", "exec", "--help"))
	for _, want := range []string{"--secret [NAME=]PATH", "--expand", "--clean-env", "--keep-env NAME"} {
		assert.Contains(t, execHelp, want)
	}
	// The exact list of --clean-env, as the help says it.
	assert.Contains(t, strings.Join(strings.Fields(execHelp), " "),
		"only "+strings.Join(cleanEnv[:len(cleanEnv)-1], ", ")+" and "+cleanEnv[len(cleanEnv)-1]+" (if set)")

	// The disk cache: its flags where they apply, and a help topic.
	for _, cmd := range []string{"get", "get-by-path", "exec", "update"} {
		out := ok(t, cli(t, "", cmd, "--help"))
		for _, want := range []string{"--disk-cache", "--cache-dir DIR", "--cache-ttl D", "S1CRETS_CACHE_KEY", `"s1crets help cache"`} {
			assert.Contains(t, out, want, cmd)
		}
	}
	assert.NotContains(t, ok(t, cli(t, "", "exists", "--help")), "--disk-cache")
	assert.Contains(t, ok(t, cli(t, "", "--help")), `"s1crets help cache"`)
	out := ok(t, cli(t, "", "help", "cache"))
	for _, want := range []string{"--disk-cache", "S1CRETS_DISK_CACHE=1", "--cache-dir DIR", "S1CRETS_CACHE_DIR=DIR", "--disk-cache=false",
		"--cache-ttl D", "S1CRETS_CACHE_TTL=D", "default 15m", "$XDG_CACHE_HOME/s1crets", "DIR/keys", "DIR/paths",
		"S1CRETS_CACHE_KEY must hold 32 bytes in base64", "head -c32 /dev/urandom | base64", "AES-256-GCM",
		"refuses the disk cache (exit 2)", "never", "0700", "0600", "STS GetCallerIdentity once", "update", "--verbose"} {
		assert.Contains(t, out, want)
	}
	fails(t, cli(t, "", "help", "cachee"), exitUsage, "topic: cache")
}

func TestVersion(t *testing.T) {
	assert.True(t, strings.HasPrefix(ok(t, cli(t, "", "version")), "s1crets "))
	assert.True(t, strings.HasPrefix(ok(t, cli(t, "", "--version")), "s1crets "))
	fails(t, cli(t, "", "version", "x"), exitUsage, "no arguments")
}

func TestUsageErrors(t *testing.T) {
	newFake(t) // nothing may reach it; usage errors are found first
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"get_by_path", "x"}, `did you mean "get-by-path"`},
		{[]string{"help", "nope"}, `unknown command "nope"`},
		{[]string{"get"}, "missing arguments: want PATH [KEY...]"},
		{[]string{"exists"}, "missing arguments"},
		{[]string{"get-by-path"}, "missing arguments: want PATH"},
		{[]string{"get-by-path", "a", "b"}, "too many arguments"},
		{[]string{"update", "a"}, "missing arguments: want PATH VALUE"},
		{[]string{"update", "a", "b", "c"}, "too many arguments"},
		{[]string{"get", "--provider", "aws.xx", "p"}, `--provider "aws.xx": must be aws.sm or aws.ps`},
		{[]string{"get", "p", "--provider"}, "flag needs an argument: --provider"},
		{[]string{"get", "--bogus", "p"}, "flag provided but not defined: --bogus"},
		{[]string{"get", "p", "--retry", "0"}, "--retry 0"},
		{[]string{"get", "p", "--retry", "x"}, "invalid value"},
		{[]string{"get", "p", "--timeout", "abc"}, "invalid value"},
		{[]string{"get", "p", "--timeout", "-1s"}, "must be positive"},
		{[]string{"get", "p", "--region="}, "--region: empty region"},
		{[]string{"get", "p", "--role-arn="}, "empty role ARN"},
		{[]string{"get", "p", "--role-session-name", "s"}, "--role-session-name needs --role-arn"},
		{[]string{"get", "p", "--external-id", "x"}, "--external-id needs --role-arn"},
		{[]string{"get-by-path", "p", "--format", "xml"}, `--format "xml": must be lines, names, json, dotenv or env-file`},
		{[]string{"get", "p", "--no-cache"}, "flag provided but not defined: --no-cache"},
		{[]string{"get", "p", "--profile="}, "--profile: empty profile name"},
		{[]string{"get", "p", "--endpoint-url="}, "--endpoint-url: empty URL"},
		{[]string{"get", "p", "--endpoint-url", "localhost:4566"}, "WithEndpoint"},
		{[]string{"get", "p", "--version-stage="}, "--version-stage: empty value"},
		{[]string{"get", "p", "--version-id="}, "--version-id: empty value"},
		{[]string{"get", "--provider", "aws.ps", "/p", "--version-stage", "AWSPREVIOUS"}, "VersionStage does not apply to Parameter Store"},
		{[]string{"get", "p", "--no-decrypt"}, "Decrypt does not apply to Secrets Manager"},
		{[]string{"get-by-path", "p/", "--version-id", "x"}, "not defined: --version-id"},
		{[]string{"get", ""}, "empty path"},
		{[]string{"exec", "--", "true"}, "missing --path"},
		{[]string{"exec", "--path", "p"}, "missing the command"},
		{[]string{"exec", "--path=", "true"}, "empty path"},
		{[]string{"exec", "--bogus", "p", "true"}, "not defined"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := cli(t, "", tc.args...)
			if tc.args == nil {
				assert.Equal(t, exitUsage, r.code)
				assert.Contains(t, r.stderr, "Usage: s1crets COMMAND")
				return
			}
			line := fails(t, r, exitUsage, tc.want)
			if len(tc.args) > 0 && lookupCommand(tc.args[0]) != nil {
				assert.Contains(t, line, "(see s1crets "+tc.args[0]+" --help)")
			}
		})
	}
}

// A secret that starts with "-" given to update without "--" is an unknown
// flag; the error must not show it.
func TestUsageErrorHidesFlagLikeValue(t *testing.T) {
	line := fails(t, cli(t, "", "update", "p", "-hunter2-secret"), exitUsage, `goes after "--"`)
	assert.NotContains(t, line, "hunter2")
	line = fails(t, cli(t, "", "get", "p", "-x=hunter2!secret"), exitUsage, "-x")
	assert.NotContains(t, line, "hunter2")
}

func seedSM(f *awsfake.Server) {
	f.PutSecretString("app/plain", "hunter2")
	f.PutSecretString("app/json", `{"user": "admin", "port": 5432, "html": "<a&b>", "list": [{"k": 1}, {"k": 2}], "nested": {"deep": {"x": true}}}`)
	f.PutSecretString("app/-dash", "dash-value")
	f.PutSecretBinary("app/bin", []byte{0, 'a', 'b', 0xff, '\n'})
	f.PutSecretString("other/x", "y")
}

func TestGetSecretsManager(t *testing.T) {
	f := newFake(t)
	seedSM(f)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"get", "app/plain"}, "hunter2\n"},
		{[]string{"get", "--provider", "aws.sm", "app/plain"}, "hunter2\n"},
		{[]string{"get", "app/plain", "--provider=aws.sm"}, "hunter2\n"},
		// A whole JSON secret prints as stored.
		{[]string{"get", "app/json"}, `{"user": "admin", "port": 5432, "html": "<a&b>", "list": [{"k": 1}, {"k": 2}], "nested": {"deep": {"x": true}}}` + "\n"},
		{[]string{"get", "app/json", "user"}, "admin\n"},
		{[]string{"get", "app/json", "port"}, "5432\n"},
		{[]string{"get", "app/json", "html"}, "<a&b>\n"},
		{[]string{"get", "app/json", "nested"}, `{"deep":{"x":true}}` + "\n"},
		{[]string{"get", "app/json", "nested", "deep", "x"}, "true\n"},
		{[]string{"get", "app/json", "list", "1"}, `{"k":2}` + "\n"},
		{[]string{"get", "app/json", "list", "k"}, "[1,2]\n"},
		{[]string{"get", "app/json", "--provider", "aws.sm", "nested", "deep"}, `{"x":true}` + "\n"},
		{[]string{"get", "--", "app/-dash"}, "dash-value\n"},
		{[]string{"get", "app/plain", "--base64"}, base64.StdEncoding.EncodeToString([]byte("hunter2")) + "\n"},
		{[]string{"get", "--base64", "app/json", "nested"}, base64.StdEncoding.EncodeToString([]byte(`{"deep":{"x":true}}`)) + "\n"},
		// Binary: raw, no newline; or base64 with one.
		{[]string{"get", "app/bin"}, "\x00ab\xff\n"},
		{[]string{"get", "app/bin", "--base64"}, base64.StdEncoding.EncodeToString([]byte{0, 'a', 'b', 0xff, '\n'}) + "\n"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			assert.Equal(t, tc.want, ok(t, cli(t, "", tc.args...)))
		})
	}
}

func TestGetNotFound(t *testing.T) {
	f := newFake(t)
	seedSM(f)
	f.PutParameter(awsfake.Parameter{Name: "/app/p", Value: "v"})
	for _, args := range [][]string{
		{"get", "app/nope"},
		{"get", "app/json", "missing"},
		{"get", "app/json", "list", "7"},
		{"get", "app/plain", "key"}, // not JSON
		{"get", "--provider", "aws.ps", "/app/nope"},
		{"get", "--provider", "aws.ps", "/app/p", "key"},
		{"get", "--provider", "aws.ps", "/aws/reference/secretsmanager/app/nope"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			line := fails(t, cli(t, "", args...), exitNotFound, "not found")
			assert.NotContains(t, line, "hunter2")
		})
	}
}

func TestGetParameterStore(t *testing.T) {
	f := newFake(t)
	seedSM(f)
	f.PutParameter(awsfake.Parameter{Name: "/app/db/host", Value: "db.internal"})
	f.PutParameter(awsfake.Parameter{Name: "/app/db/password", Value: "s3cr3t", Type: "SecureString"})
	f.PutParameter(awsfake.Parameter{Name: "/app/db/cfg", Value: `{"a": {"b": [1, 2]}, "s": "x<y"}`})
	f.PutParameter(awsfake.Parameter{Name: "/app/list", Value: "a,b", Type: "StringList"})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"get", "--provider", "aws.ps", "/app/db/host"}, "db.internal\n"},
		{[]string{"get", "/app/db/password", "--provider", "aws.ps"}, "s3cr3t\n"},
		{[]string{"get", "--provider", "aws.ps", "/app/list"}, "a,b\n"},
		{[]string{"get", "--provider", "aws.ps", "/app/db/cfg"}, `{"a": {"b": [1, 2]}, "s": "x<y"}` + "\n"},
		// Key paths work for Parameter Store too (the original ignored them).
		{[]string{"get", "--provider", "aws.ps", "/app/db/cfg", "a"}, `{"b":[1,2]}` + "\n"},
		{[]string{"get", "--provider", "aws.ps", "/app/db/cfg", "a", "b", "0"}, "1\n"},
		{[]string{"get", "--provider", "aws.ps", "/app/db/cfg", "s"}, "x<y\n"},
		// Secrets Manager references.
		{[]string{"get", "--provider", "aws.ps", "/aws/reference/secretsmanager/app/plain"}, "hunter2\n"},
		{[]string{"get", "--provider", "aws.ps", "/aws/reference/secretsmanager/app/json/user"}, "admin\n"},
		{[]string{"get", "--provider", "aws.ps", "/aws/reference/secretsmanager/app/json/nested"}, `{"deep":{"x":true}}` + "\n"},
		{[]string{"get", "--provider", "aws.ps", "/aws/reference/secretsmanager/app/json", "html"}, "<a&b>\n"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			assert.Equal(t, tc.want, ok(t, cli(t, "", tc.args...)))
		})
	}
}

func TestExists(t *testing.T) {
	f := newFake(t)
	seedSM(f)
	f.PutParameter(awsfake.Parameter{Name: "/app/db/host", Value: "db.internal"})
	f.PutParameter(awsfake.Parameter{Name: "/app/cfg", Value: `{"a": {"b": 1}}`})
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"exists", "app/plain"}, 0},
		{[]string{"exists", "app/nope"}, 1},
		{[]string{"exists", "app/json", "nested", "deep"}, 0},
		{[]string{"exists", "app/json", "nested", "nope"}, 1},
		{[]string{"exists", "app/plain", "k"}, 1},
		{[]string{"exists", "app/bin"}, 0},
		{[]string{"exists", "--provider", "aws.ps", "/app/db/host"}, 0},
		{[]string{"exists", "--provider", "aws.ps", "/app/db"}, 0},
		{[]string{"exists", "--provider", "aws.ps", "/app/d"}, 1}, // a path ends at a "/"
		{[]string{"exists", "--provider", "aws.ps", "/nope"}, 1},
		{[]string{"exists", "/app/cfg", "a", "b", "--provider", "aws.ps"}, 0},
		{[]string{"exists", "/app/cfg", "a", "c", "--provider", "aws.ps"}, 1},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := cli(t, "", tc.args...)
			assert.Equal(t, tc.code, r.code, r.stderr)
			assert.Empty(t, r.stdout)
			assert.Empty(t, r.stderr)
		})
	}
}

func TestGetByPath(t *testing.T) {
	f := newFake(t)
	seedSM(f)
	f.PutSecretString("app/db-url", "postgres://u:p'w@h/db")
	f.PutParameter(awsfake.Parameter{Name: "/app/db/host", Value: "db.internal"})
	f.PutParameter(awsfake.Parameter{Name: "/app/db/password", Value: "s3cr3t", Type: "SecureString"})
	f.PutParameter(awsfake.Parameter{Name: "/app/db/deep/cfg", Value: "{\n  \"a\": 1\n}"})
	f.PutParameter(awsfake.Parameter{Name: "/other/x", Value: "y"})

	binB64 := base64.StdEncoding.EncodeToString([]byte{0, 'a', 'b', 0xff, '\n'})
	t.Run("lines", func(t *testing.T) {
		assert.Equal(t, "app/-dash dash-value\n"+
			"app/bin "+binB64+"\n"+
			"app/db-url postgres://u:p'w@h/db\n"+
			`app/json {"user": "admin", "port": 5432, "html": "<a&b>", "list": [{"k": 1}, {"k": 2}], "nested": {"deep": {"x": true}}}`+"\n"+
			"app/plain hunter2\n",
			ok(t, cli(t, "", "get-by-path", "app/")))
		assert.Equal(t, "/app/db/deep/cfg {\"a\":1}\n/app/db/host db.internal\n/app/db/password s3cr3t\n",
			ok(t, cli(t, "", "get-by-path", "--provider", "aws.ps", "/app")))
		assert.Equal(t, ok(t, cli(t, "", "get-by-path", "--provider", "aws.ps", "/app")),
			ok(t, cli(t, "", "get-by-path", "/app", "--provider=aws.ps", "--format", "lines")))
	})
	t.Run("json", func(t *testing.T) {
		out := ok(t, cli(t, "", "get-by-path", "app/", "--format", "json"))
		assert.Equal(t, 1, strings.Count(out, "\n"))
		assert.Contains(t, out, `"app/json":{"user":"admin","port":5432,"html":"<a&b>",`) // embedded, in stored order
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &m))
		assert.Equal(t, map[string]any{
			"app/-dash":  "dash-value",
			"app/bin":    binB64,
			"app/db-url": "postgres://u:p'w@h/db",
			"app/json": map[string]any{"user": "admin", "port": 5432.0, "html": "<a&b>",
				"list": []any{map[string]any{"k": 1.0}, map[string]any{"k": 2.0}}, "nested": map[string]any{"deep": map[string]any{"x": true}}},
			"app/plain": "hunter2",
		}, m)
		// A Parameter Store value is a string and stays one.
		out = ok(t, cli(t, "", "get-by-path", "--provider", "aws.ps", "/app", "--format=json"))
		assert.Equal(t, `{"/app/db/deep/cfg":"{\n  \"a\": 1\n}","/app/db/host":"db.internal","/app/db/password":"s3cr3t"}`+"\n", out)
	})
	t.Run("dotenv", func(t *testing.T) {
		assert.Equal(t, "CFG='{\n  \"a\": 1\n}'\nHOST='db.internal'\nPASSWORD='s3cr3t'\n",
			ok(t, cli(t, "", "get-by-path", "--provider", "aws.ps", "/app", "--format", "dotenv")))
		out := ok(t, cli(t, "", "get-by-path", "app/", "--format", "dotenv"))
		assert.Contains(t, out, "BIN='"+binB64+"'\n")
		assert.Contains(t, out, `DB_URL='postgres://u:p'\''w@h/db'`+"\n")
		assert.Contains(t, out, "_DASH='dash-value'\n")
		// The output is valid POSIX shell.
		env := shellEnv(t, out, "DB_URL", "PLAIN", "JSON")
		assert.Equal(t, []string{"postgres://u:p'w@h/db", "hunter2",
			`{"user": "admin", "port": 5432, "html": "<a&b>", "list": [{"k": 1}, {"k": 2}], "nested": {"deep": {"x": true}}}`}, env)
	})
	t.Run("dotenv collision", func(t *testing.T) {
		f.PutSecretString("col/a/KEY", "one-secret-value")
		f.PutSecretString("col/b/key", "two-secret-value")
		line := fails(t, cli(t, "", "get-by-path", "col/", "--format", "dotenv"), exitError, `"col/a/KEY"`, `"col/b/key"`, "KEY")
		assert.NotContains(t, line, "secret-value")
	})
	t.Run("empty", func(t *testing.T) {
		for _, format := range []string{"lines", "dotenv"} {
			assert.Empty(t, ok(t, cli(t, "", "get-by-path", "nothing/here", "--format", format)))
		}
		assert.Equal(t, "{}\n", ok(t, cli(t, "", "get-by-path", "nothing/here", "--format", "json")))
		assert.Empty(t, ok(t, cli(t, "", "get-by-path", "--provider", "aws.ps", "/nothing")))
	})
}

func TestUpdate(t *testing.T) {
	f := newFake(t)
	seedSM(f)
	f.PutParameter(awsfake.Parameter{Name: "/app/pw", Value: "old", Type: "SecureString", KeyId: "alias/custom", Description: "d"})

	assert.Empty(t, ok(t, cli(t, "", "update", "app/plain", "new-value")))
	assert.Equal(t, "new-value\n", ok(t, cli(t, "", "get", "app/plain")))

	assert.Empty(t, ok(t, cli(t, "", "update", "--provider", "aws.ps", "/app/pw", "new-pw")))
	p, _ := f.Parameter("/app/pw")
	assert.Equal(t, awsfake.Parameter{Name: "/app/pw", Value: "new-pw", Type: "SecureString", KeyId: "alias/custom", Description: "d"},
		awsfake.Parameter{Name: p.Name, Value: p.Value, Type: p.Type, KeyId: p.KeyId, Description: p.Description})

	// "-": the value from standard input, less one trailing newline.
	for _, tc := range []struct{ stdin, want string }{
		{"from-stdin\n", "from-stdin"},
		{"crlf\r\n", "crlf"},
		{"no-newline", "no-newline"},
		{"two\n\n", "two\n"},
		{"multi\nline\n", "multi\nline"},
	} {
		assert.Empty(t, ok(t, cli(t, tc.stdin, "update", "app/plain", "-")))
		s, _ := f.Secret("app/plain")
		assert.Equal(t, tc.want, s.SecretString)
	}
	assert.Empty(t, ok(t, cli(t, "pw-from-stdin\n", "update", "/app/pw", "-", "--provider", "aws.ps")))
	p, _ = f.Parameter("/app/pw")
	assert.Equal(t, "pw-from-stdin", p.Value)

	// A value that starts with "-" goes after "--".
	assert.Empty(t, ok(t, cli(t, "", "update", "app/plain", "--", "-dashed")))
	s, _ := f.Secret("app/plain")
	assert.Equal(t, "-dashed", s.SecretString)

	// Binary secrets stay binary.
	assert.Empty(t, ok(t, cli(t, "\x01\x02", "update", "app/bin", "-")))
	s, _ = f.Secret("app/bin")
	assert.Equal(t, []byte{1, 2}, s.SecretBinary)

	fails(t, cli(t, "", "update", "app/nope", "v"), exitNotFound, "not found")
	fails(t, cli(t, "", "update", "--provider", "aws.ps", "/app/nope", "v"), exitNotFound, "not found")
	fails(t, cli(t, strings.Repeat("x", maxStdinValue+1), "update", "app/plain", "-"), exitError, "more than")
}

func TestAWSFlags(t *testing.T) {
	t.Run("region", func(t *testing.T) {
		f := newFake(t)
		f.PutSecretString("s", "v")
		assert.Equal(t, "v\n", ok(t, cli(t, "", "get", "s", "--region", "eu-west-3")))
		reqs := f.Requests()
		require.Len(t, reqs, 1)
		assert.Equal(t, "eu-west-3", reqs[0].Region)
		ok(t, cli(t, "", "get", "s"))
		assert.Equal(t, "us-east-1", f.Requests()[1].Region, "AWS_REGION from the environment")
	})
	t.Run("role", func(t *testing.T) {
		f := newFake(t)
		f.PutSecretString("s", "v")
		const arn = "arn:aws:iam::123456789012:role/reader"
		assert.Equal(t, "v\n", ok(t, cli(t, "", "get", "s", "--role-arn", arn)))
		assert.Equal(t, "v\n", ok(t, cli(t, "", "get", "--role-arn", arn, "--role-session-name", "ci-job", "--external-id", "ext-123", "s")))
		calls := f.AssumeRoleCalls()
		require.Len(t, calls, 2)
		assert.Equal(t, arn, calls[0].RoleArn)
		assert.Equal(t, "s1crets", calls[0].RoleSessionName)
		assert.Empty(t, calls[0].ExternalId)
		assert.Equal(t, "ci-job", calls[1].RoleSessionName)
		assert.Equal(t, "ext-123", calls[1].ExternalId)
		for _, r := range f.Requests() {
			if r.Op == "GetSecretValue" {
				assert.Contains(t, r.AccessKeyID, "ASIAFAKE", "the read uses the role's credentials")
			}
		}
	})
	t.Run("retry", func(t *testing.T) {
		f := newFake(t)
		f.PutSecretString("s", "v")
		f.FailNext("GetSecretValue", 1, awsfake.InternalError)
		fails(t, cli(t, "", "get", "s", "--retry", "1"), exitError, "InternalFailure")
		assert.Equal(t, 1, f.Calls("GetSecretValue"))
		f.ResetCalls()
		f.FailNext("GetSecretValue", 1, awsfake.InternalError)
		assert.Equal(t, "v\n", ok(t, cli(t, "", "get", "s", "--retry", "2")))
		assert.Equal(t, 2, f.Calls("GetSecretValue"))
		f.ResetCalls()
		f.FailNext("GetSecretValue", 3, awsfake.InternalError)
		fails(t, cli(t, "", "get", "s"), exitError)
		assert.Equal(t, 3, f.Calls("GetSecretValue"), "default: 3 attempts")
	})
	t.Run("timeout", func(t *testing.T) {
		f := newFake(t)
		f.PutSecretString("s", "v")
		for _, timeout := range []string{"200ms", "0.2"} {
			// After 10 minutes the answer would be normal: failing shows
			// that the attempt gave up after its timeout.
			f.ResetCalls()
			f.FailNext("GetSecretValue", 1, awsfake.Fault{Delay: 10 * time.Minute})
			fails(t, cli(t, "", "get", "s", "--timeout", timeout, "--retry", "1"), exitError)
			assert.Equal(t, 1, f.Calls("GetSecretValue"), timeout)
		}
		f.FailNext("GetSecretValue", 1, awsfake.Fault{Delay: 100 * time.Millisecond})
		assert.Equal(t, "v\n", ok(t, cli(t, "", "get", "s", "--timeout", "60")))
	})
	t.Run("sdk environment", func(t *testing.T) {
		f := newFake(t)
		f.PutParameter(awsfake.Parameter{Name: "/p", Value: "v"})
		t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
		t.Setenv("AWS_ENDPOINT_URL_SSM", f.URL())
		assert.Equal(t, "v\n", ok(t, cli(t, "", "get", "--provider", "aws.ps", "/p")))
	})
}

func TestOtherErrors(t *testing.T) {
	f := newFake(t)
	seedSM(f)
	f.Deny("GetSecretValue")
	fails(t, cli(t, "", "get", "app/plain"), exitError, "AccessDenied")
	line := fails(t, cli(t, "", "exists", "app/plain"), exitError, "AccessDenied", `s1crets: path-exists aws.sm "app/plain": `)
	assert.NotContains(t, line, "s1crets: get ", "exists errors are labelled as such")
	line = fails(t, cli(t, "", "exists", "app/plain", "k"), exitError, `s1crets: path-exists aws.sm "app/plain": `)
	assert.NotContains(t, line, "s1crets: get ")
	f.Allow("GetSecretValue")
	f.Deny("PutSecretValue")
	fails(t, cli(t, "", "update", "app/plain", "v"), exitError, "AccessDenied")
	f.Deny("ListSecrets")
	f.Deny("BatchGetSecretValue")
	fails(t, cli(t, "", "get-by-path", "app/"), exitError, "AccessDenied")

	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1") // nothing listens
	fails(t, cli(t, "", "get", "app/plain", "--retry", "1"), exitError, "connect")
}

// TestErrorsNeverShowSecrets runs failing commands around secrets with
// recognisable values and checks that no error line holds one, even when
// the store's answer echoes the value and spans several lines.
func TestErrorsNeverShowSecrets(t *testing.T) {
	f := newFake(t)
	f.PutSecretString("leak/plain", "LEAK-plain-7f3a")
	f.PutSecretString("leak/json", `{"pw": "LEAK-json-7f3a", "n": 1}`)
	f.PutSecretString("leak/a/key", "LEAK-col-a-7f3a")
	f.PutSecretString("leak/b/KEY", "LEAK-col-b-7f3a")
	f.PutSecretString("nul/x", "LEAK\x00nul-7f3a")
	f.PutParameter(awsfake.Parameter{Name: "/leak/p", Value: "LEAK-ps-7f3a", AllowedPattern: "^[a-z]+$"})
	f.SetHook(func(r awsfake.Request) *awsfake.Fault {
		if r.Op == "PutSecretValue" {
			return &awsfake.Fault{Code: "ValidationException", Message: "bad value LEAK-new-7f3a\nsecond line LEAK-new-7f3a"}
		}
		return nil
	})
	for _, tc := range []struct {
		stdin string
		args  []string
		code  int
	}{
		{"", []string{"get", "leak/plain", "key"}, exitNotFound},
		{"", []string{"get", "leak/json", "pw", "deeper"}, exitNotFound},
		{"", []string{"get", "leak/json", "n", "x"}, exitNotFound},
		{"", []string{"get", "--provider", "aws.ps", "/leak/p", "k"}, exitNotFound},
		{"", []string{"update", "leak/plain", "LEAK-new-7f3a"}, exitError},
		{"LEAK-new-7f3a\n", []string{"update", "leak/plain", "-"}, exitError},
		{"", []string{"update", "--provider", "aws.ps", "/leak/p", "LEAK-new-7f3a"}, exitError},
		{"", []string{"update", "leak/plain", "-LEAK-new-7f3a"}, exitUsage},
		{"", []string{"get-by-path", "leak/", "--format", "dotenv"}, exitError},
		{"", []string{"exec", "--path", "leak/", "--", "true"}, exitError},
		{"", []string{"exec", "--path", "nul/", "--", "true"}, exitError},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			line := fails(t, cli(t, tc.stdin, tc.args...), tc.code)
			assert.NotContains(t, line, "LEAK", "error line: %s", line)
			assert.NotContains(t, line, "7f3a", "error line: %s", line)
		})
	}
}

// TestUpdateErrorNotEdited: update's error is printed whole, whatever the
// value: no letter or word of it is replaced by a mark (which would tell
// where the value's characters are), and the store's own message, which
// may quote the value, is not shown at all.
func TestUpdateErrorNotEdited(t *testing.T) {
	f := newFake(t)
	f.PutSecretString("app/plain", "old")
	for _, value := range []string{"e", "o", "not", "found", "app", "s1crets"} {
		line := fails(t, cli(t, "", "update", "app/nothere", value), exitNotFound)
		assert.Equal(t, `s1crets: update aws.sm "app/nothere": not found`, line, "value %q", value)
		line = fails(t, cli(t, "", "update", "--provider", "aws.ps", "/app/nothere", value), exitNotFound)
		assert.Equal(t, `s1crets: update aws.ps "/app/nothere": not found`, line, "value %q", value)
	}
	f.FailNext("PutSecretValue", 1, awsfake.Fault{Code: "ValidationException", Message: "Value 'e' failed"})
	line := fails(t, cli(t, "", "update", "app/plain", "e"), exitError)
	assert.Equal(t, `s1crets: update aws.sm "app/plain": the store refused the update (ValidationException); `+
		`its message is withheld because it may quote the value`, line)
}

// TestGetNoHTMLEscaping: objects and arrays found by a key path print with
// <, > and & as they are, for both providers (the library encodes them so;
// the tool has no unescaping of its own).
func TestGetNoHTMLEscaping(t *testing.T) {
	f := newFake(t)
	const doc = `{"obj": {"q": "a<b>&c", "l": ["<&>"]}}`
	f.PutSecretString("html/doc", doc)
	f.PutParameter(awsfake.Parameter{Name: "/html/doc", Value: doc})
	for _, args := range [][]string{
		{"get", "html/doc", "obj"},
		{"get", "--provider", "aws.ps", "/html/doc", "obj"},
		{"get", "--provider", "aws.ps", "/aws/reference/secretsmanager/html/doc/obj"},
	} {
		assert.Equal(t, `{"l":["<&>"],"q":"a<b>&c"}`+"\n", ok(t, cli(t, "", args...)), args)
	}
}

// TestNoRegion: without a region anywhere, the tool says to pass --region
// (not the library's aws.WithRegion), asks no metadata service when
// AWS_EC2_METADATA_DISABLED is true, and prints nothing else.
func TestNoRegion(t *testing.T) {
	newFake(t)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, args := range [][]string{{"get", "p"}, {"exists", "--provider", "aws.ps", "/p"}, {"get-by-path", "p/"}} {
		r := cli(t, "", args...)
		line := fails(t, r, exitError, "no AWS region", "--region REGION", "AWS_REGION", "AWS_EC2_METADATA_DISABLED is true")
		assert.NotContains(t, line, "aws.WithRegion")
	}
	assert.Equal(t, "v\n", func() string {
		f := newFake(t)
		f.PutSecretString("p", "v")
		return ok(t, cli(t, "", "get", "p", "--region", "eu-west-1"))
	}())
}

// TestGetByPathJSONKeepsParameterStrings: Parameter Store values are
// strings, also when they read as JSON ("8080", "true", "null", objects);
// Secrets Manager's JSON secrets are embedded, as the original decodes them.
func TestGetByPathJSONKeepsParameterStrings(t *testing.T) {
	f := newFake(t)
	for name, value := range map[string]string{"/j/port": "8080", "/j/on": "true", "/j/none": "null", "/j/obj": `{"a":1}`, "/j/text": "x"} {
		f.PutParameter(awsfake.Parameter{Name: name, Value: value})
	}
	f.PutSecretString("j/port", "8080")
	f.PutSecretString("j/obj", `{"a":1}`)
	out := ok(t, cli(t, "", "get-by-path", "--provider", "aws.ps", "/j", "--format", "json"))
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &m))
	assert.Equal(t, map[string]any{"/j/port": "8080", "/j/on": "true", "/j/none": "null", "/j/obj": `{"a":1}`, "/j/text": "x"}, m)
	out = ok(t, cli(t, "", "get-by-path", "j/", "--format", "json"))
	assert.Equal(t, `{"j/obj":{"a":1},"j/port":8080}`+"\n", out)
}

func TestGetByPathNames(t *testing.T) {
	f := newFake(t)
	seedSM(f)
	assert.Equal(t, "app/-dash\napp/bin\napp/json\napp/plain\n", ok(t, cli(t, "", "get-by-path", "app/", "--format", "names")))
	assert.Empty(t, ok(t, cli(t, "", "get-by-path", "none/", "--format", "names")))
}

// TestGetByPathEnvFile: --format env-file writes what docker run
// --env-file and systemd's EnvironmentFile= both read back as is, and
// refuses, naming the secret and not the value, what they cannot.
func TestGetByPathEnvFile(t *testing.T) {
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/ef/url", Value: "postgres://u:p'w@h/db?a=1&b=$HOME #x"})
	f.PutParameter(awsfake.Parameter{Name: "/ef/cfg", Value: "{\n  \"a\": 1,\n  \"s\": \"x y\"\n}"})
	f.PutParameter(awsfake.Parameter{Name: "/ef/empty-ish", Value: "a=b"})
	f.PutParameter(awsfake.Parameter{Name: "/ef/inner", Value: `it's "quoted" inside`})
	f.PutSecretBinary("ef/bin", []byte{0, 1, 0xff})
	out := ok(t, cli(t, "", "get-by-path", "--provider", "aws.ps", "/ef", "--format", "env-file"))
	assert.Equal(t, `CFG={"a":1,"s":"x y"}`+"\n"+
		"EMPTY_ISH=a=b\n"+
		`INNER=it's "quoted" inside`+"\n"+
		"URL=postgres://u:p'w@h/db?a=1&b=$HOME #x\n", out)
	// Docker's reading: the rest of the line, literally.
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		name, value, _ := strings.Cut(line, "=")
		assert.NotContains(t, name, " ")
		assert.Equal(t, value, strings.TrimSpace(value), "systemd trims white space")
		assert.NotContains(t, value, `\`, "systemd reads a backslash as an escape")
		assert.False(t, strings.HasPrefix(value, `"`) || strings.HasPrefix(value, "'"), "systemd reads a leading quote as quoting")
	}
	assert.Equal(t, "BIN="+base64.StdEncoding.EncodeToString([]byte{0, 1, 0xff})+"\n",
		ok(t, cli(t, "", "get-by-path", "ef/", "--format", "env-file")))

	for name, tc := range map[string]struct{ value, why string }{
		"multiline": {"LEAK-line1\nline2", "line break"},
		"cr":        {"LEAK-a\rb", "line break"},
		"backslash": {`LEAK-a\nb`, "backslash"},
		"json-esc":  {"{\n\"LEAK\": \"a\\nb\"\n}", "backslash"},
		"quote":     {`"LEAK-quoted"`, "starts with a quote"},
		"squote":    {`'LEAK-quoted'`, "starts with a quote"},
		"space":     {" LEAK-padded", "white space"},
		"trailing":  {"LEAK-padded\t", "white space"},
	} {
		t.Run(name, func(t *testing.T) {
			f.PutParameter(awsfake.Parameter{Name: "/bad/" + name + "/v", Value: tc.value})
			line := fails(t, cli(t, "", "get-by-path", "--provider", "aws.ps", "/bad/"+name, "--format", "env-file"),
				exitError, `secret "/bad/`+name+`/v"`, tc.why, "--format dotenv")
			assert.NotContains(t, line, "LEAK")
		})
	}
}

// TestReadFlags: --no-decrypt, --version-stage and --version-id reach the
// store; --profile and --endpoint-url choose the credentials, region and
// endpoint.
func TestReadFlags(t *testing.T) {
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/rf/pw", Value: "plain-pw", Type: "SecureString"})
	f.PutSecretString("rf/s", "v1")
	f.PutSecretString("rf/s", "v2")
	cipher := awsfake.Ciphertext("/rf/pw")
	assert.Equal(t, "plain-pw\n", ok(t, cli(t, "", "get", "--provider", "aws.ps", "/rf/pw")))
	assert.Equal(t, cipher+"\n", ok(t, cli(t, "", "get", "--provider", "aws.ps", "/rf/pw", "--no-decrypt")))
	assert.Equal(t, "/rf/pw "+cipher+"\n", ok(t, cli(t, "", "get-by-path", "--provider", "aws.ps", "/rf", "--no-decrypt")))
	assert.Equal(t, "v2\n", ok(t, cli(t, "", "get", "rf/s")))
	assert.Equal(t, "v1\n", ok(t, cli(t, "", "get", "rf/s", "--version-stage", "AWSPREVIOUS")))
	fails(t, cli(t, "", "get", "rf/s", "--version-id", "no-such-version"), exitNotFound)
	ok(t, cli(t, "", "exists", "rf/s", "--version-stage", "AWSPREVIOUS"))
	fails(t, cli(t, "", "exists", "rf/s", "--version-stage", "NOPE"), exitNotFound)

	t.Run("profile and endpoint", func(t *testing.T) {
		dir := t.TempDir()
		cfgFile, credFile := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
		require.NoError(t, os.WriteFile(cfgFile, []byte("[profile ci]\nregion = ap-south-1\n"), 0o600))
		require.NoError(t, os.WriteFile(credFile, []byte("[ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = x\n"), 0o600))
		t.Setenv("AWS_CONFIG_FILE", cfgFile)
		t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credFile)
		t.Setenv("AWS_REGION", "")
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")                 // nothing listens
		t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:1") // nor here
		f.ResetCalls()
		assert.Equal(t, "v2\n", ok(t, cli(t, "", "get", "rf/s", "--profile", "ci", "--endpoint-url", f.URL())))
		reqs := f.Requests()
		require.NotEmpty(t, reqs)
		last := reqs[len(reqs)-1]
		assert.Equal(t, "ap-south-1", last.Region)
		assert.Equal(t, "AKIDCI", last.AccessKeyID)
		fails(t, cli(t, "", "get", "rf/s", "--profile", "nosuch", "--endpoint-url", f.URL()), exitError, "nosuch")
	})
}
