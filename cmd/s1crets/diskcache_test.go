package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/awsfake"
)

// newCacheKey returns a fresh S1CRETS_CACHE_KEY value.
func newCacheKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(b)
}

// diskEnv gives the test its own user cache directory and home, a cache
// key, and none of the disk cache's variables; it returns the user cache
// directory ($XDG_CACHE_HOME), where the default disk cache goes.
func diskEnv(t *testing.T) string {
	t.Helper()
	cacheHome := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cacheHome)
	t.Setenv("HOME", t.TempDir())
	t.Setenv(envCacheKey, newCacheKey(t))
	for _, n := range []string{envDiskCache, envCacheDir, envCacheTTL} {
		t.Setenv(n, "")
		require.NoError(t, os.Unsetenv(n))
	}
	return cacheHome
}

// Secret values of the disk cache tests: none may show on disk, on stderr
// or in an error.
const (
	diskPlain = "hunter2-disk-plain"
	diskUser  = "disk-user-5f1e"
	diskPass  = "disk-pass-9a7c"
	diskParam = "disk-param-c3d0"
)

var diskBinary = []byte{0, 0xfe, 'd', 'i', 's', 'k', 0xff}

func seedDisk(f *awsfake.Server) {
	f.PutSecretString("app/plain", diskPlain)
	f.PutSecretString("app/db", `{"user": "`+diskUser+`", "password": "`+diskPass+`"}`)
	f.PutSecretBinary("app/blob", diskBinary)
	f.PutParameter(awsfake.Parameter{Name: "/app/cfg/a", Value: diskParam, Type: "SecureString"})
	f.PutParameter(awsfake.Parameter{Name: "/app/cfg/b", Value: "b-value"})
}

// storeCalls counts the fake's calls other than STS GetCallerIdentity.
func storeCalls(f *awsfake.Server) int { return f.TotalCalls() - f.Calls("GetCallerIdentity") }

// TestDiskCacheCallsAWSOnce is the goal of the disk cache: a script that
// runs s1crets five times for one secret calls AWS for it once. Each run
// also asks STS who it is (GetCallerIdentity), once, to keep identities
// apart on disk: counted exactly.
func TestDiskCacheCallsAWSOnce(t *testing.T) {
	f := newFake(t)
	seedDisk(f)
	for _, tc := range []struct {
		name  string
		flags []string
		env   map[string]string
		dir   func(cacheHome, own string) string // where the entries go
	}{
		{"--disk-cache", []string{"--disk-cache"}, nil, func(h, _ string) string { return filepath.Join(h, "s1crets") }},
		{"S1CRETS_DISK_CACHE=1", nil, map[string]string{envDiskCache: "1"}, func(h, _ string) string { return filepath.Join(h, "s1crets") }},
		{"S1CRETS_DISK_CACHE=true", nil, map[string]string{envDiskCache: "TRUE"}, func(h, _ string) string { return filepath.Join(h, "s1crets") }},
		{"--cache-dir", []string{"--cache-dir", "{DIR}"}, nil, func(_, d string) string { return d }},
		{"--cache-dir=", []string{"--cache-dir={DIR}", "--disk-cache"}, nil, func(_, d string) string { return d }},
		{"S1CRETS_CACHE_DIR", nil, map[string]string{envCacheDir: "{DIR}"}, func(_, d string) string { return d }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cacheHome := diskEnv(t)
			own := filepath.Join(t.TempDir(), "own", "cache")
			for k, v := range tc.env {
				t.Setenv(k, strings.ReplaceAll(v, "{DIR}", own))
			}
			flags := make([]string, len(tc.flags))
			for i, fl := range tc.flags {
				flags[i] = strings.ReplaceAll(fl, "{DIR}", own)
			}
			runs := func(args ...string) []string {
				var outs []string
				for range 5 {
					outs = append(outs, ok(t, cli(t, "", append(append([]string{}, args...), flags...)...)))
				}
				return outs
			}

			f.ResetCalls()
			for _, out := range runs("get", "app/plain") {
				assert.Equal(t, diskPlain+"\n", out)
			}
			assert.Equal(t, 1, f.Calls("GetSecretValue"), "5 runs of get: one GetSecretValue")
			assert.Equal(t, 5, f.Calls("GetCallerIdentity"), "one STS call per run")
			assert.Equal(t, 1, storeCalls(f), "no other call")

			// Key paths: one fetch serves every key of the secret.
			f.ResetCalls()
			for i, out := range runs("get", "app/db", "user") {
				assert.Equal(t, diskUser+"\n", out, i)
			}
			assert.Equal(t, diskPass+"\n", ok(t, cli(t, "", append([]string{"get", "app/db", "password"}, flags...)...)))
			assert.Equal(t, 1, storeCalls(f), "6 runs of get with key paths: one GetSecretValue")

			// Binary secrets come back byte for byte.
			f.ResetCalls()
			for _, out := range runs("get", "app/blob") {
				assert.Equal(t, string(diskBinary), out)
			}
			assert.Equal(t, 1, storeCalls(f))

			// get-by-path: one listing for five runs (Parameter Store).
			f.ResetCalls()
			for _, out := range runs("get-by-path", "--provider", "aws.ps", "/app/cfg") {
				assert.Equal(t, "/app/cfg/a "+diskParam+"\n/app/cfg/b b-value\n", out)
			}
			assert.Equal(t, 1, f.Calls("GetParametersByPath"))
			assert.Equal(t, 1, storeCalls(f))
			assert.Equal(t, 5, f.Calls("GetCallerIdentity"))

			// exec, both ways of naming secrets: what the runs above cached.
			requireSh(t)
			f.ResetCalls()
			for range 5 {
				args := append([]string{"exec", "--secret", "app/plain", "--secret", "app/db", "--expand"}, flags...)
				args = append(args, "--", "sh", "-c", `printf '%s|%s|%s' "$PLAIN" "$DB_USER" "$DB_PASSWORD"`)
				assert.Equal(t, diskPlain+"|"+diskUser+"|"+diskPass, ok(t, cli(t, "", args...)))
				args = append([]string{"exec", "--provider", "aws.ps", "--path", "/app/cfg"}, flags...)
				args = append(args, "--", "sh", "-c", `printf '%s|%s' "$A" "$B"`)
				assert.Equal(t, diskParam+"|b-value", ok(t, cli(t, "", args...)))
			}
			assert.Equal(t, 0, storeCalls(f), "10 runs of exec: all from disk")
			assert.Equal(t, 10, f.Calls("GetCallerIdentity"))

			dir := tc.dir(cacheHome, own)
			assert.DirExists(t, filepath.Join(dir, "keys"))
			assert.DirExists(t, filepath.Join(dir, "paths"))
			if dir == own {
				assert.NoDirExists(t, filepath.Join(cacheHome, "s1crets"), "only the directory named")
			}
			assertSealed(t, dir, diskPlain, diskUser, diskPass, diskParam, string(diskBinary), "app/plain", "/app/cfg")
		})
	}
}

// assertSealed checks every directory and file below dir: private (0700,
// 0600), and none holds any of secrets, as is or in base64.
func assertSealed(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			assert.Equal(t, fs.FileMode(0o700), info.Mode().Perm(), "directory %s", path)
			return nil
		}
		files++
		assert.True(t, info.Mode().IsRegular(), path)
		assert.Equal(t, fs.FileMode(0o600), info.Mode().Perm(), "file %s", path)
		assert.NotContains(t, path, "app", "file names are hashes")
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			assert.False(t, bytes.Contains(b, []byte(s)), "%s holds %q", path, s)
			assert.False(t, bytes.Contains(b, []byte(base64.StdEncoding.EncodeToString([]byte(s)))), "%s holds %q in base64", path, s)
		}
		return nil
	})
	require.NoError(t, err)
	assert.Greater(t, files, 0, "entries were written")
}

// TestDiskCacheOffByDefault: without the flags and variables that turn it
// on, no command touches the disk, even with a key set, and every run
// calls AWS.
func TestDiskCacheOffByDefault(t *testing.T) {
	requireSh(t)
	f := newFake(t)
	seedDisk(f)
	for _, tc := range []struct {
		name string
		env  map[string]string
		flag []string
	}{
		{"nothing set", nil, nil},
		{"S1CRETS_DISK_CACHE=0", map[string]string{envDiskCache: "0"}, nil},
		{"S1CRETS_DISK_CACHE=false", map[string]string{envDiskCache: "false"}, nil},
		{"S1CRETS_DISK_CACHE empty", map[string]string{envDiskCache: ""}, nil},
		{"--disk-cache=false over S1CRETS_DISK_CACHE=1", map[string]string{envDiskCache: "1"}, []string{"--disk-cache=false"}},
		{"--disk-cache=false over S1CRETS_CACHE_DIR", map[string]string{envCacheDir: "{DIR}"}, []string{"--disk-cache=false"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cacheHome := diskEnv(t)
			home := os.Getenv("HOME")
			own := filepath.Join(t.TempDir(), "own")
			for k, v := range tc.env {
				t.Setenv(k, strings.ReplaceAll(v, "{DIR}", own))
			}
			f.ResetCalls()
			for range 5 {
				assert.Equal(t, diskPlain+"\n", ok(t, cli(t, "", append([]string{"get", "app/plain"}, tc.flag...)...)))
			}
			assert.Equal(t, 5, f.Calls("GetSecretValue"), "every run asks AWS")
			assert.Equal(t, 0, f.Calls("GetCallerIdentity"), "no identity needed without the disk cache")
			ok(t, cli(t, "", append([]string{"get-by-path", "--provider", "aws.ps", "/app/cfg"}, tc.flag...)...))
			ok(t, cli(t, "", append([]string{"update", "app/plain", diskPlain}, tc.flag...)...))
			ok(t, cli(t, "", append(append([]string{"exec", "--secret", "app/plain"}, tc.flag...), "true")...))
			ok(t, cli(t, "", "exists", "app/plain"))

			for _, d := range []string{cacheHome, home} {
				entries, err := os.ReadDir(d)
				require.NoError(t, err)
				assert.Empty(t, entries, "%s stays empty", d)
			}
			assert.NoDirExists(t, own)
		})
	}
}

// TestDiskCacheKeyRequired: the disk cache is refused without a key, or
// with a malformed one, before any AWS call and before anything is written;
// the error tells how to make a key and never shows the one given.
func TestDiskCacheKeyRequired(t *testing.T) {
	f := newFake(t)
	seedDisk(f)
	for _, args := range [][]string{
		{"get", "--disk-cache", "app/plain"},
		{"get-by-path", "app/", "--disk-cache"},
		{"update", "--disk-cache", "app/plain", "new"},
		{"exec", "--disk-cache", "--secret", "app/plain", "true"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cacheHome := diskEnv(t)
			f.ResetCalls()
			t.Setenv(envCacheKey, "")
			fails(t, cli(t, "", args...), exitUsage, "needs an encryption key in S1CRETS_CACHE_KEY",
				"head -c32 /dev/urandom | base64", "never written to disk unencrypted")

			for _, bad := range []struct{ key, why string }{
				{"hunter2-is-not/a key!", "not valid base64"},
				{base64.StdEncoding.EncodeToString([]byte("hunter2-sixteen!")), "it decodes to 16 bytes"},
				{base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("hunter2!"), 5)), "it decodes to 40 bytes"},
			} {
				t.Setenv(envCacheKey, bad.key)
				line := fails(t, cli(t, "", args...), exitUsage, "S1CRETS_CACHE_KEY: ", "32 bytes, base64-encoded", bad.why)
				assert.NotContains(t, line, bad.key)
				assert.NotContains(t, line, "hunter2")
			}
			t.Setenv(envDiskCache, "1")
			t.Setenv(envCacheKey, "")
			fails(t, cli(t, "", "get", "app/plain"), exitUsage, "S1CRETS_CACHE_KEY")

			assert.Equal(t, 0, f.TotalCalls(), "refused before any AWS call")
			entries, err := os.ReadDir(cacheHome)
			require.NoError(t, err)
			assert.Empty(t, entries, "nothing written")
		})
	}
}

// TestDiskCacheUsageErrors: the other mistakes with the disk cache's flags
// and variables are usage errors, found before any AWS call.
func TestDiskCacheUsageErrors(t *testing.T) {
	f := newFake(t)
	seedDisk(f)
	diskEnv(t)
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"get", "app/plain", "--cache-ttl", "1m"}, nil, "--cache-ttl needs the disk cache"},
		{[]string{"get", "app/plain", "--disk-cache", "--cache-ttl", "0"}, nil, "must be positive"},
		{[]string{"get", "app/plain", "--disk-cache", "--cache-ttl", "soon"}, nil, "invalid value"},
		{[]string{"get", "app/plain", "--cache-dir="}, nil, "--cache-dir: empty directory"},
		{[]string{"get", "app/plain", "--cache-dir", "/tmp/x", "--disk-cache=false"}, nil, "cannot go with --disk-cache=false"},
		{[]string{"get", "app/plain"}, map[string]string{envDiskCache: "yes-hunter2"}, "S1CRETS_DISK_CACHE: want 1 or true"},
		{[]string{"get", "app/plain"}, map[string]string{envCacheDir: "relative/dir"}, "S1CRETS_CACHE_DIR: the directory must be an absolute path"},
		{[]string{"get", "app/plain", "--disk-cache"}, map[string]string{envCacheTTL: "-5"}, "S1CRETS_CACHE_TTL: the duration must be positive"},
		{[]string{"exists", "app/plain", "--disk-cache"}, nil, "not defined: --disk-cache"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			line := fails(t, cli(t, "", tc.args...), exitUsage, tc.want)
			assert.NotContains(t, line, "hunter2")
		})
	}
	assert.Equal(t, 0, f.TotalCalls())
}

// TestDiskFlagsConfig: what the flags and variables make of the library's
// CacheConfig (the TTL cannot be waited for in a test: it is the
// library's, tested there with a fake clock).
func TestDiskFlagsConfig(t *testing.T) {
	cacheHome := diskEnv(t)
	key := os.Getenv(envCacheKey)
	wd, err := os.Getwd()
	require.NoError(t, err)
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want *s1crets.CacheConfig
	}{
		{nil, nil, nil},
		{nil, map[string]string{envCacheTTL: "1m"}, nil},
		{[]string{"--disk-cache"}, nil, &s1crets.CacheConfig{OnDisk: true, TTL: 15 * time.Minute}},
		{[]string{"--disk-cache", "--cache-ttl", "90"}, nil, &s1crets.CacheConfig{OnDisk: true, TTL: 90 * time.Second}},
		{[]string{"--disk-cache", "--cache-ttl=2h"}, map[string]string{envCacheTTL: "1m"}, &s1crets.CacheConfig{OnDisk: true, TTL: 2 * time.Hour}},
		{nil, map[string]string{envDiskCache: "1", envCacheTTL: "1m"}, &s1crets.CacheConfig{OnDisk: true, TTL: time.Minute}},
		{[]string{"--cache-dir", "rel"}, nil, &s1crets.CacheConfig{OnDisk: true, TTL: 15 * time.Minute,
			KeyCacheDir: filepath.Join(wd, "rel", "keys"), PathCacheDir: filepath.Join(wd, "rel", "paths")}},
		{nil, map[string]string{envCacheDir: "/abs/c"}, &s1crets.CacheConfig{OnDisk: true, TTL: 15 * time.Minute,
			KeyCacheDir: "/abs/c/keys", PathCacheDir: "/abs/c/paths"}},
		{[]string{"--cache-dir", "/flag/c"}, map[string]string{envCacheDir: "/abs/c"}, &s1crets.CacheConfig{OnDisk: true, TTL: 15 * time.Minute,
			KeyCacheDir: "/flag/c/keys", PathCacheDir: "/flag/c/paths"}},
		{[]string{"--disk-cache"}, map[string]string{envCacheDir: "/abs/c"}, &s1crets.CacheConfig{OnDisk: true, TTL: 15 * time.Minute,
			KeyCacheDir: "/abs/c/keys", PathCacheDir: "/abs/c/paths"}},
		{[]string{"--disk-cache=false"}, map[string]string{envDiskCache: "1", envCacheDir: "/abs/c"}, nil},
	} {
		t.Run(strings.Join(tc.args, " ")+" "+strings.Join(keys(tc.env), ","), func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var d diskFlags
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			d.bind(fs)
			require.NoError(t, fs.Parse(tc.args))
			require.NoError(t, d.check(fs))
			if tc.want == nil {
				assert.Nil(t, d.config)
				assert.Empty(t, d.options())
				return
			}
			want := *tc.want
			want.EncryptionKey = s1crets.CacheKey(key)
			require.NotNil(t, d.config)
			assert.Equal(t, want, *d.config)
			require.NoError(t, d.config.Validate())
		})
	}
	entries, err := os.ReadDir(cacheHome)
	require.NoError(t, err)
	assert.Empty(t, entries, "checking the flags writes nothing")
}

// TestDiskCacheUpdate: update with the disk cache on drops the secret's
// entries, so that the next get reads the new value; an update that does
// not use the disk cache leaves the old value there until the TTL ends.
func TestDiskCacheUpdate(t *testing.T) {
	f := newFake(t)
	seedDisk(f)
	diskEnv(t)
	get := func() string { return ok(t, cli(t, "", "get", "--disk-cache", "app/plain")) }
	assert.Equal(t, diskPlain+"\n", get())
	ok(t, cli(t, "", "update", "app/plain", "second-value")) // no disk cache
	f.ResetCalls()
	assert.Equal(t, diskPlain+"\n", get(), "served from disk: this update did not use the cache")
	assert.Equal(t, 0, storeCalls(f))

	ok(t, cli(t, "", "update", "--disk-cache", "app/plain", "third-value"))
	f.ResetCalls()
	assert.Equal(t, "third-value\n", get())
	assert.Equal(t, "third-value\n", get())
	assert.Equal(t, 1, f.Calls("GetSecretValue"), "read again once after the update, then from disk")

	// The listings are dropped too.
	assert.Equal(t, "/app/cfg/a "+diskParam+"\n/app/cfg/b b-value\n",
		ok(t, cli(t, "", "get-by-path", "--provider", "aws.ps", "--disk-cache", "/app/cfg")))
	ok(t, cli(t, "", "update", "--provider", "aws.ps", "--disk-cache", "/app/cfg/b", "b2"))
	assert.Equal(t, "/app/cfg/a "+diskParam+"\n/app/cfg/b b2\n",
		ok(t, cli(t, "", "get-by-path", "--provider", "aws.ps", "--disk-cache", "/app/cfg")))
}

// TestDiskCacheWrongKey: entries written with another key are misses: the
// secret is read from AWS again, never an error or garbage.
func TestDiskCacheWrongKey(t *testing.T) {
	f := newFake(t)
	seedDisk(f)
	diskEnv(t)
	assert.Equal(t, diskPlain+"\n", ok(t, cli(t, "", "get", "--disk-cache", "app/plain")))
	t.Setenv(envCacheKey, newCacheKey(t))
	f.ResetCalls()
	assert.Equal(t, diskPlain+"\n", ok(t, cli(t, "", "get", "--disk-cache", "app/plain")))
	assert.Equal(t, diskPlain+"\n", ok(t, cli(t, "", "get", "--disk-cache", "app/plain")))
	assert.Equal(t, 1, f.Calls("GetSecretValue"), "a miss with the new key, then a hit")
}

// TestDiskCacheVerbose: --verbose tells the disk hits, and never a value.
func TestDiskCacheVerbose(t *testing.T) {
	f := newFake(t)
	seedDisk(f)
	diskEnv(t)
	var sources []string
	for range 3 {
		r := cli(t, "", "get", "--disk-cache", "--verbose", "app/db", "user")
		require.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, diskUser+"\n", r.stdout)
		verbose, other := verboseLines(r.stderr)
		assert.Empty(t, other)
		sources = append(sources, verbose...)
		for _, s := range []string{diskUser, diskPass} {
			assert.NotContains(t, r.stderr, s)
		}
	}
	assert.Equal(t, []string{`get "app/db" from store in Nms (1 attempt)`, `get "app/db" from disk in Nms`, `get "app/db" from disk in Nms`}, sources)
}

// TestDiskCacheUnsafeDir: a cache directory that other users can write to
// is refused with an error that says so; nothing is read or written.
func TestDiskCacheUnsafeDir(t *testing.T) {
	f := newFake(t)
	seedDisk(f)
	diskEnv(t)
	dir := filepath.Join(t.TempDir(), "shared")
	require.NoError(t, os.Mkdir(dir, 0o700))
	require.NoError(t, os.Chmod(dir, 0o777))
	r := cli(t, "", "get", "--cache-dir", dir, "app/plain")
	assert.Equal(t, exitError, r.code)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "chmod go-w "+dir)
	assert.NotContains(t, r.stderr, diskPlain)
	assert.Equal(t, 0, f.Calls("GetSecretValue"))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

// TestDiskCacheBuiltBinary runs the built s1crets binary, as a script
// would, against the in-process fake: five runs of get for one secret, then
// five of exec, make one GetSecretValue call and one STS call per run.
func TestDiskCacheBuiltBinary(t *testing.T) {
	requireSh(t)
	goTool, err := exec.LookPath("go")
	require.NoError(t, err, "go in PATH, to build the binary")
	dir := t.TempDir()
	bin := filepath.Join(dir, "s1crets")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	f := newFake(t)
	seedDisk(f)
	cacheHome := diskEnv(t)
	t.Setenv(envDiskCache, "1") // as a script would export it
	script := filepath.Join(dir, "script.sh")
	require.NoError(t, os.WriteFile(script, []byte(`#!/bin/sh
set -e
for i in 1 2 3 4 5; do
  "$S1CRETS" get app/db user
done
for i in 1 2 3 4 5; do
  "$S1CRETS" exec --secret app/db --expand --clean-env -- sh -c 'echo "$DB_USER $DB_PASSWORD"' > /dev/null
done
`), 0o700))
	cmd := exec.Command(script)
	cmd.Env = append(os.Environ(), "S1CRETS="+bin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "stderr: %s", stderr.String())
	assert.Equal(t, strings.Repeat(diskUser+"\n", 5), stdout.String())
	assert.Empty(t, stderr.String())
	assert.Equal(t, 1, f.Calls("GetSecretValue"), "ten runs: one GetSecretValue")
	assert.Equal(t, 10, f.Calls("GetCallerIdentity"), "one STS call per run")
	assert.Equal(t, 11, f.TotalCalls())
	t.Logf("10 runs of the binary: %d GetSecretValue, %d GetCallerIdentity, %d calls in all",
		f.Calls("GetSecretValue"), f.Calls("GetCallerIdentity"), f.TotalCalls())
	assertSealed(t, filepath.Join(cacheHome, "s1crets"), diskUser, diskPass, "app/db")
}
