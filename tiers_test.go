package s1crets_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/providers/memory"
	_ "github.com/s1crets/s1crets/redistier"
)

const diskSecret = "DISK-CANARY-s3cr3t-9f2c"

func newKey(t *testing.T) s1crets.CacheKey {
	t.Helper()
	k := make([]byte, 32)
	_, err := rand.Read(k)
	require.NoError(t, err)
	return s1crets.CacheKey(base64.StdEncoding.EncodeToString(k))
}

func diskConfig(t *testing.T, dir string, key s1crets.CacheKey) s1crets.CacheConfig {
	t.Helper()
	return s1crets.CacheConfig{OnDisk: true, KeyCacheDir: filepath.Join(dir, "keys"),
		PathCacheDir: filepath.Join(dir, "paths"), EncryptionKey: key}
}

// A "process" is a provider with its own memory cache over the same store
// and the same disk directories, as the same principal.
func process(t *testing.T, store map[string]string, cfg s1crets.CacheConfig) *memory.Provider {
	t.Helper()
	p, err := memory.New(store, s1crets.Cache(cfg), memory.WithIdentity("tester"))
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

func grepDir(t *testing.T, dir, needle string) bool {
	t.Helper()
	found := false
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if bytes.Contains([]byte(path), []byte(needle)) {
			found = true
		}
		if !d.IsDir() {
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			if bytes.Contains(b, []byte(needle)) {
				found = true
			}
		}
		return nil
	}))
	return found
}

func TestDiskTierSharedAndEncrypted(t *testing.T) {
	dir := t.TempDir()
	store := map[string]string{"/app/pw": diskSecret, "/app/json": `{"k":"` + diskSecret + `"}`}
	cfg := diskConfig(t, dir, newKey(t))
	p1 := process(t, store, cfg)
	v, err := p1.Get(ctx, "/app/pw")
	require.NoError(t, err)
	require.Equal(t, diskSecret, v.Text())
	_, err = p1.GetByPath(ctx, "/app")
	require.NoError(t, err)
	require.EqualValues(t, 2, p1.Calls())

	p2 := process(t, store, cfg)
	v, err = p2.Get(ctx, "/app/pw")
	require.NoError(t, err)
	assert.Equal(t, diskSecret, v.Text())
	m, err := p2.GetByPath(ctx, "/app")
	require.NoError(t, err)
	assert.Len(t, m, 2)
	j, err := p2.Get(ctx, "/app/json", s1crets.KeyPath("k"))
	require.NoError(t, err)
	assert.Equal(t, diskSecret, j.Text())
	assert.Zero(t, p2.Calls(), "a second process reads the disk, not the store")

	assert.False(t, grepDir(t, dir, diskSecret), "no plaintext in any file of the cache")
	assert.False(t, grepDir(t, dir, "/app/pw"), "no path in any file name or content")

	plain := t.TempDir()
	t.Setenv("S1CRETS_CACHE_KEY", "")
	pp := process(t, store, diskConfig(t, plain, ""))
	_, err = pp.Get(ctx, "/app/pw")
	require.NoError(t, err)
	assert.True(t, grepDir(t, plain, diskSecret), "without a key the disk holds plain text (the check can see it)")
}

func TestDiskTierKeyFromEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("S1CRETS_CACHE_KEY", string(newKey(t)))
	store := map[string]string{"/a": diskSecret}
	p := process(t, store, diskConfig(t, dir, ""))
	_, err := p.Get(ctx, "/a")
	require.NoError(t, err)
	assert.False(t, grepDir(t, dir, diskSecret))
	t.Setenv("S1CRETS_CACHE_KEY", "not-a-key")
	_, err = memory.New(store, s1crets.Cache(diskConfig(t, t.TempDir(), "")))
	require.Error(t, err)
	assert.ErrorContains(t, err, "S1CRETS_CACHE_KEY")
}

func TestDiskTierWrongKeyIsARefetch(t *testing.T) {
	dir := t.TempDir()
	store := map[string]string{"/a": "v"}
	p1 := process(t, store, diskConfig(t, dir, newKey(t)))
	_, err := p1.Get(ctx, "/a")
	require.NoError(t, err)
	p2 := process(t, store, diskConfig(t, dir, newKey(t)))
	v, err := p2.Get(ctx, "/a")
	require.NoError(t, err, "a wrong key is a miss, not an error")
	assert.Equal(t, "v", v.Text())
	assert.EqualValues(t, 1, p2.Calls())
}

func TestDiskTierExpiresAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	store := map[string]string{"/a": "v1"}
	cfg := diskConfig(t, dir, newKey(t))
	cfg.TTL = time.Minute
	p1 := process(t, store, cfg)
	clk := s1crets.NewFakeClock()
	s1crets.SetClock(p1.Client, clk)
	_, err := p1.Get(ctx, "/a")
	require.NoError(t, err)

	p2 := process(t, map[string]string{"/a": "v2"}, cfg) // the store changed since p1 read it
	clk2 := s1crets.NewFakeClock()
	clk2.Advance(30 * time.Second)
	s1crets.SetClock(p2.Client, clk2)
	v, err := p2.Get(ctx, "/a")
	require.NoError(t, err)
	assert.Equal(t, "v1", v.Text(), "within the TTL: from disk")
	clk2.Advance(31 * time.Second)
	v, err = p2.Get(ctx, "/a")
	require.NoError(t, err)
	assert.Equal(t, "v2", v.Text(), "the memory copy of a disk hit expires when the original does")

	p3 := process(t, store, cfg)
	clk3 := s1crets.NewFakeClock()
	clk3.Advance(3 * time.Minute) // past every entry written above
	s1crets.SetClock(p3.Client, clk3)
	_, err = p3.Get(ctx, "/a")
	require.NoError(t, err)
	assert.EqualValues(t, 1, p3.Calls(), "an expired disk entry is a miss, in a later process too")
}

func TestDiskTierUpdateInvalidates(t *testing.T) {
	dir := t.TempDir()
	store := map[string]string{"/app/a": "v1"}
	cfg := diskConfig(t, dir, newKey(t))
	p1 := process(t, store, cfg)
	_, err := p1.Get(ctx, "/app/a")
	require.NoError(t, err)
	_, err = p1.GetByPath(ctx, "/app")
	require.NoError(t, err)
	require.NoError(t, p1.Update(ctx, "/app/a", "v2"))
	v, err := p1.Get(ctx, "/app/a")
	require.NoError(t, err)
	assert.Equal(t, "v2", v.Text())

	// The memory provider's store is per instance: give the next process
	// the updated store, and check that the disk no longer serves v1.
	store["/app/a"] = "v2"
	p2 := process(t, store, cfg)
	v, err = p2.Get(ctx, "/app/a")
	require.NoError(t, err)
	assert.Equal(t, "v2", v.Text())
	m, err := p2.GetByPath(ctx, "/app")
	require.NoError(t, err)
	assert.Equal(t, "v2", m["/app/a"].Text(), "listings on disk were dropped too")
}

func TestDiskTierPrivateDirs(t *testing.T) {
	base := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", base)
	t.Setenv("HOME", base)
	p := process(t, map[string]string{"/a": "v"}, s1crets.CacheConfig{OnDisk: true, EncryptionKey: newKey(t)})
	_, err := p.Get(ctx, "/a")
	require.NoError(t, err)
	ucd, err := os.UserCacheDir()
	require.NoError(t, err)
	for _, d := range []string{"keys", "paths"} {
		fi, err := os.Stat(filepath.Join(ucd, "s1crets", d))
		require.NoError(t, err, "default directories under os.UserCacheDir()/s1crets")
		assert.Equal(t, fs.FileMode(0o700), fi.Mode().Perm())
	}
	require.NoError(t, filepath.WalkDir(filepath.Join(ucd, "s1crets"), func(path string, d fs.DirEntry, err error) error {
		fi, _ := d.Info()
		if d.IsDir() {
			assert.Equal(t, fs.FileMode(0o700), fi.Mode().Perm(), path)
		} else {
			assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm(), path)
		}
		return nil
	}))

	open := filepath.Join(base, "open")
	require.NoError(t, os.Mkdir(open, 0o777))
	require.NoError(t, os.Chmod(open, 0o777))
	_, err = memory.New(nil, s1crets.Cache(s1crets.CacheConfig{OnDisk: true, KeyCacheDir: open, PathCacheDir: open + "2"}))
	require.Error(t, err, "a directory that others can write to is refused")
	assert.Contains(t, err.Error(), "chmod 700")

	_, err = memory.New(nil, s1crets.Cache(s1crets.CacheConfig{KeyCacheDir: base}))
	assert.ErrorIs(t, err, s1crets.ErrInvalid, "directories without OnDisk")
}

func TestCacheKeyRedacted(t *testing.T) {
	cfg := s1crets.CacheConfig{EncryptionKey: "c2VjcmV0LWtleS1tYXRlcmlhbC0xMjM0NTY3ODkwYWI="}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		assert.NotContains(t, sprintf(f, cfg), "c2VjcmV0")
	}
}

func TestRedisTierShared(t *testing.T) {
	mr := miniredis.RunT(t)
	key := newKey(t)
	store := map[string]string{"/r/a": diskSecret}
	cfg := s1crets.CacheConfig{RedisURL: mr.Addr(), EncryptionKey: key}
	p1 := process(t, store, cfg)
	_, err := p1.Get(ctx, "/r/a")
	require.NoError(t, err)
	p2 := process(t, store, cfg)
	v, err := p2.Get(ctx, "/r/a")
	require.NoError(t, err)
	assert.Equal(t, diskSecret, v.Text())
	assert.Zero(t, p2.Calls(), "another process reads Redis, not the store")

	for _, k := range mr.Keys() {
		assert.NotContains(t, k, "/r/a", "no path in Redis keys")
		if mr.Exists(k) {
			val, err := mr.Get(k)
			if err == nil {
				assert.NotContains(t, val, diskSecret, "no plaintext in Redis values")
			}
		}
	}

	// Update drops the shared entry.
	require.NoError(t, p1.Update(ctx, "/r/a", "new"))
	store["/r/a"] = "new"
	p3 := process(t, store, cfg)
	v, err = p3.Get(ctx, "/r/a")
	require.NoError(t, err)
	assert.Equal(t, "new", v.Text())
	assert.EqualValues(t, 1, p3.Calls())
}

func TestRedisTierNeedsKeyOrOptOut(t *testing.T) {
	mr := miniredis.RunT(t)
	t.Setenv("S1CRETS_CACHE_KEY", "")
	_, err := memory.New(nil, s1crets.Cache(s1crets.CacheConfig{RedisURL: mr.Addr()}))
	require.ErrorIs(t, err, s1crets.ErrInvalid)
	assert.Contains(t, err.Error(), "RedisPlaintext")
	p, err := memory.New(map[string]string{"/a": "v"}, s1crets.Cache(s1crets.CacheConfig{RedisURL: mr.Addr(), RedisPlaintext: true}))
	require.NoError(t, err)
	_, err = p.Get(ctx, "/a")
	require.NoError(t, err)
}

func TestRedisTierDegrades(t *testing.T) {
	mr := miniredis.RunT(t)
	store := map[string]string{"/a": "v"}
	// RedisLockWait far above the bound below: a call that waited for the
	// fleet lock of a stopped Redis would not pass it.
	cfg := s1crets.CacheConfig{RedisURL: mr.Addr(), EncryptionKey: newKey(t), RedisTimeout: 100 * time.Millisecond,
		RedisLockWait: time.Hour}
	p1 := process(t, store, cfg)
	_, err := p1.Get(ctx, "/a")
	require.NoError(t, err)

	// Garbage in every key: a miss and a refetch, never a wrong value.
	for _, k := range mr.Keys() {
		_ = mr.Set(k, "garbage")
	}
	p2 := process(t, store, cfg)
	v, err := p2.Get(ctx, "/a")
	require.NoError(t, err)
	assert.Equal(t, "v", v.Text())

	// Redis stopped mid-run: the value comes from the store.
	mr.Close()
	p3 := process(t, store, cfg)
	v, err = p3.Get(ctx, "/a")
	require.NoError(t, err, "a cache problem is never the caller's error")
	assert.Equal(t, "v", v.Text())

	// An Update that cannot reach Redis says so: other processes may read
	// the old value there until its TTL ends.
	err = p3.Update(ctx, "/a", "w")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the store holds the new value")
	v, err = p3.Get(ctx, "/a")
	require.NoError(t, err)
	assert.Equal(t, "w", v.Text(), "this process reads the new value")
}

// tierKinds are the disk and Redis tiers, for the tests that every tier
// passes.
func tierKinds(t *testing.T) map[string]func() s1crets.CacheConfig {
	return map[string]func() s1crets.CacheConfig{
		"disk": func() s1crets.CacheConfig { return diskConfig(t, t.TempDir(), newKey(t)) },
		"redis": func() s1crets.CacheConfig {
			return s1crets.CacheConfig{RedisURL: miniredis.RunT(t).Addr(), EncryptionKey: newKey(t)}
		},
	}
}

// Contract point 1 on the real tiers: two identities on one disk
// directory or one Redis never share an entry.
func TestTiersKeepIdentitiesApart(t *testing.T) {
	for kind, newCfg := range tierKinds(t) {
		t.Run(kind, func(t *testing.T) {
			cfg := newCfg()
			a, err := memory.New(map[string]string{"/db": "secret-of-a"}, s1crets.Cache(cfg), memory.WithIdentity("account-a"))
			require.NoError(t, err)
			t.Cleanup(func() { a.Close() })
			_, err = a.Get(ctx, "/db")
			require.NoError(t, err)

			b, err := memory.New(map[string]string{"/db": "secret-of-b"}, s1crets.Cache(cfg), memory.WithIdentity("account-b"))
			require.NoError(t, err)
			t.Cleanup(func() { b.Close() })
			v, err := b.Get(ctx, "/db")
			require.NoError(t, err)
			assert.Equal(t, "secret-of-b", v.Text())
			assert.EqualValues(t, 1, b.Calls())

			// A store where b's secret does not exist (denied, or another
			// account): still not served a's.
			c, err := memory.New(nil, s1crets.Cache(cfg), memory.WithIdentity("account-c"))
			require.NoError(t, err)
			t.Cleanup(func() { c.Close() })
			_, err = c.Get(ctx, "/db")
			require.ErrorIs(t, err, s1crets.ErrNotFound)
		})
	}
}

// Contract point 2 on the real tiers: a fetch in flight during an Update in
// another process does not put the old value back.
func TestTiersReadYourWritesAcrossProcesses(t *testing.T) {
	for kind, newCfg := range tierKinds(t) {
		t.Run(kind, func(t *testing.T) {
			cfg := newCfg()
			s := newFakeStore(map[string]string{"/db": "old"})
			reader := open(t, s, cfg)
			release := inFlight(t, s, reader, "/db")
			updater := open(t, s, cfg)
			require.NoError(t, updater.Update(ctx, "/db", "new"))
			release()

			fresh := newFakeStore(map[string]string{"/db": "new"})
			v, err := open(t, fresh, cfg).Get(ctx, "/db")
			require.NoError(t, err)
			assert.Equal(t, "new", v.Text())
		})
	}
}

// Contract point 3 on the real tiers: NoCache asks the store and refreshes
// the tier.
func TestTiersNoCache(t *testing.T) {
	for kind, newCfg := range tierKinds(t) {
		t.Run(kind, func(t *testing.T) {
			cfg := newCfg()
			s := newFakeStore(map[string]string{"/db": "v1"})
			_, err := open(t, s, cfg).Get(ctx, "/db")
			require.NoError(t, err)
			s2 := newFakeStore(map[string]string{"/db": "v2"})
			v, err := open(t, s2, cfg).Get(ctx, "/db", s1crets.NoCache())
			require.NoError(t, err)
			assert.Equal(t, "v2", v.Text())
			assert.EqualValues(t, 1, s2.gets.Load())
			v, err = open(t, newFakeStore(nil), cfg).Get(ctx, "/db")
			require.NoError(t, err)
			assert.Equal(t, "v2", v.Text(), "the tier holds the fresh value")
		})
	}
}

// GetMany reads the Redis tier in one round trip for all its names.
func TestRedisTierGetManyOneRoundTrip(t *testing.T) {
	mr := miniredis.RunT(t)
	cfg := s1crets.CacheConfig{RedisURL: mr.Addr(), EncryptionKey: newKey(t)}
	names := make([]string, 50)
	seed := map[string]string{}
	for i := range names {
		names[i] = fmt.Sprintf("/many/%02d", i)
		seed[names[i]] = "v" + names[i]
	}
	p1 := process(t, seed, cfg)
	m, err := p1.GetMany(ctx, names)
	require.NoError(t, err)
	require.Len(t, m.Values, 50)

	p2 := process(t, seed, cfg)
	_, err = p2.Get(ctx, names[0]) // opens the connection (HELLO, CLIENT SETINFO)
	require.NoError(t, err)
	names = names[1:]
	before := mr.CommandCount()
	m, err = p2.GetMany(ctx, names)
	require.NoError(t, err)
	require.Len(t, m.Values, 49)
	assert.Zero(t, p2.Calls())
	// One pipelined GetMany: 2 commands a name and 1 for the tier's
	// generation.
	assert.Equal(t, 2*len(names)+1, mr.CommandCount()-before)
}

func sprintf(format string, a ...any) string { return fmtSprintf(format, a...) }

var fmtSprintf = fmt.Sprintf

// A Redis that accepts connections and never answers, or closes them at
// once: 50 misses cost one attempt of the tier (its timeout once), not 50.
// Measured as the connections the server sees.
func TestRedisTierDownCostsOncePerCoolDown(t *testing.T) {
	for _, mode := range []string{"unresponsive", "refusing"} {
		t.Run(mode, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			var accepted atomic.Int64
			var conns sync.WaitGroup
			done := make(chan struct{})
			go func() {
				for {
					c, err := l.Accept()
					if err != nil {
						return
					}
					accepted.Add(1)
					if mode == "refusing" {
						c.Close()
						continue
					}
					conns.Add(1)
					go func() { defer conns.Done(); <-done; c.Close() }()
				}
			}()
			t.Cleanup(func() { l.Close(); close(done); conns.Wait() })

			seed := map[string]string{}
			for i := range 50 {
				seed[fmt.Sprintf("/down/%d", i)] = "v"
			}
			cfg := s1crets.CacheConfig{RedisURL: l.Addr().String(), EncryptionKey: newKey(t),
				RedisTimeout: 50 * time.Millisecond, TierCoolDown: time.Hour}
			p := process(t, seed, cfg)
			for n := range seed {
				v, err := p.Get(ctx, n)
				require.NoError(t, err, "a tier that is down never fails a read")
				assert.Equal(t, "v", v.Text())
			}
			assert.EqualValues(t, 50, p.Calls())
			// One attempt of the tier: go-redis dials and retries a few
			// times within it; per read it would be at least 50.
			assert.LessOrEqual(t, accepted.Load(), int64(10), "connections seen by the server")
		})
	}
}
