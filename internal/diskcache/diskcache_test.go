package diskcache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

type mode struct {
	name string
	key  []byte
}

var modes = []mode{{"plain", nil}, {"encrypted", testKey(7)}}

func openT(t testing.TB, dir string, o Options) *Cache {
	t.Helper()
	c, err := Open(dir, o)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// entryFiles lists the entry files under dir.
func entryFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, entrySuffix) {
			out = append(out, p)
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

func entryPath(c *Cache, name, variant string) string {
	return filepath.Join(c.Dir(), c.hash(name), c.hash(variant)+entrySuffix)
}

var bg = context.Background()

// put stores data under the current Stamp of name, as a caller that has just
// missed and fetched would.
func put(ctx context.Context, c *Cache, name, variant string, data []byte, ttl time.Duration) error {
	return c.Put(ctx, name, variant, data, ttl, c.Stamp(ctx, name))
}

// get is Get without the Stamp.
func get(ctx context.Context, c *Cache, name, variant string) ([]byte, bool) {
	data, _, ok := c.Get(ctx, name, variant)
	return data, ok
}

func TestRoundTrip(t *testing.T) {
	names := []string{"/prod/db password", "ns\x00/with\x00nul/../x", "", "ünïcode/パス", strings.Repeat("long/", 2000)}
	variants := []string{"", "decrypt=true", "decrypt=false"}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			c := openT(t, t.TempDir(), Options{Key: m.key})
			val := func(n, v string) []byte {
				if n == "" && v == "" {
					return []byte{} // an empty value is a value
				}
				return []byte(fmt.Sprintf("value of %q/%q %s", n, v, strings.Repeat("x", len(n)%97)))
			}
			for _, n := range names {
				for _, v := range variants {
					require.NoError(t, put(bg, c, n, v, val(n, v), time.Hour))
				}
			}
			for _, n := range names {
				for _, v := range variants {
					got, ok := get(bg, c, n, v)
					require.True(t, ok, "%q %q", n, v)
					assert.Equal(t, val(n, v), got)
				}
			}
			_, ok := get(bg, c, "/prod/db password", "other variant")
			assert.False(t, ok)
			_, ok = get(bg, c, "never stored", "")
			assert.False(t, ok)

			big := bytes.Repeat([]byte("0123456789"), 100_000)
			require.NoError(t, put(bg, c, "big", "", big, time.Hour))
			got, ok := get(bg, c, "big", "")
			require.True(t, ok)
			assert.Equal(t, big, got)
		})
	}
}

func TestPutReplaces(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			c := openT(t, t.TempDir(), Options{Key: m.key})
			require.NoError(t, put(bg, c, "n", "v", []byte("first, longer value"), time.Hour))
			require.NoError(t, put(bg, c, "n", "v", []byte("second"), time.Hour))
			got, ok := get(bg, c, "n", "v")
			require.True(t, ok)
			assert.Equal(t, "second", string(got))
			assert.Len(t, entryFiles(t, c.Dir()), 1)
		})
	}
}

// Requirement 1: the expiry is in the file, so another Cache on the same
// directory (another process, or this one after a restart) honours it.
func TestExpiry(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			dir := t.TempDir()
			clk := newClock()
			a := openT(t, dir, Options{Key: m.key, Now: clk.Now})
			require.NoError(t, put(bg, a, "/app/token", "", []byte("tok"), 10*time.Minute))

			clk.Add(10*time.Minute - time.Nanosecond)
			b := openT(t, dir, Options{Key: m.key, Now: clk.Now}) // a "restart"
			got, ok := get(bg, b, "/app/token", "")
			require.True(t, ok)
			assert.Equal(t, "tok", string(got))

			clk.Add(time.Nanosecond)
			c := openT(t, dir, Options{Key: m.key, Now: clk.Now})
			_, ok = get(bg, c, "/app/token", "")
			assert.False(t, ok, "expired entry must be a miss in a new Cache")
			assert.NoFileExists(t, entryPath(c, "/app/token", ""), "expired entry is removed")
			_, ok = get(bg, a, "/app/token", "")
			assert.False(t, ok)

			// A fresh Put makes it live again.
			require.NoError(t, put(bg, c, "/app/token", "", []byte("tok2"), time.Minute))
			got, ok = get(bg, a, "/app/token", "")
			require.True(t, ok)
			assert.Equal(t, "tok2", string(got))
		})
	}
}

func TestTTL(t *testing.T) {
	clk := newClock()
	c := openT(t, t.TempDir(), Options{Now: clk.Now})
	for _, ttl := range []time.Duration{0, -time.Second} {
		err := put(bg, c, "n", "", []byte("v"), ttl)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "ttl must be positive")
	}
	assert.Empty(t, entryFiles(t, c.Dir()))

	// A ttl that overflows the stored nanoseconds saturates instead of
	// wrapping into the past.
	require.NoError(t, put(bg, c, "forever", "", []byte("v"), math.MaxInt64))
	clk.Add(100 * 365 * 24 * time.Hour)
	_, ok := get(bg, c, "forever", "")
	assert.True(t, ok)
}

func TestDelete(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			c := openT(t, t.TempDir(), Options{Key: m.key})
			for _, v := range []string{"", "a", "b"} {
				require.NoError(t, put(bg, c, "/x/y", v, []byte("1"+v), time.Hour))
				require.NoError(t, put(bg, c, "/x/z", v, []byte("2"+v), time.Hour))
			}
			require.NoError(t, c.Delete(bg, "/x/y"))
			for _, v := range []string{"", "a", "b"} {
				_, ok := get(bg, c, "/x/y", v)
				assert.False(t, ok)
				got, ok := get(bg, c, "/x/z", v)
				assert.True(t, ok)
				assert.Equal(t, "2"+v, string(got))
			}
			assert.NoDirExists(t, filepath.Join(c.Dir(), c.hash("/x/y")))
			require.NoError(t, c.Delete(bg, "/never/stored"))
		})
	}
}

func TestPurge(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			c := openT(t, t.TempDir(), Options{Key: m.key})
			for i := range 10 {
				require.NoError(t, put(bg, c, fmt.Sprint("n", i), "v", []byte("x"), time.Hour))
			}
			readme := filepath.Join(c.Dir(), "README")
			require.NoError(t, os.WriteFile(readme, []byte("not an entry"), 0o600))
			require.NoError(t, c.Purge(bg))
			assert.Empty(t, entryFiles(t, c.Dir()))
			for i := range 10 {
				_, ok := get(bg, c, fmt.Sprint("n", i), "v")
				assert.False(t, ok)
			}
			assert.FileExists(t, readme, "Purge leaves foreign files alone")
			require.NoError(t, put(bg, c, "n1", "v", []byte("again"), time.Hour))
			got, ok := get(bg, c, "n1", "v")
			assert.True(t, ok)
			assert.Equal(t, "again", string(got))
		})
	}
}

// Requirement 4: with a key, no file under the directory holds a value, a
// name or a variant in plain text, and no file name does either.
func TestEncryptedAtRest(t *testing.T) {
	secrets := map[string]string{
		"/prod/payments/stripe-api-key": "sk_live_SECRET-VALUE-4242424242",
		"ssm:/prod/db/password":         "correct horse battery staple",
		"sm:prod/oauth-client":          `{"client_secret":"s3cr3t-client-value"}`,
	}
	const variant = "decrypt=true"
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			dir := t.TempDir()
			c := openT(t, dir, Options{Key: m.key})
			for n, v := range secrets {
				require.NoError(t, put(bg, c, n, variant, []byte(v), time.Hour))
			}
			// Generation files too: a deleted name, written again.
			require.NoError(t, c.Delete(bg, "ssm:/prod/db/password"))
			require.NoError(t, put(bg, c, "ssm:/prod/db/password", variant, []byte(secrets["ssm:/prod/db/password"]), time.Hour))
			var needles []string
			for n, v := range secrets {
				needles = append(needles, n, v)
			}
			needles = append(needles, "/prod/db/password", variant)
			found := map[string]bool{}
			files := 0
			err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				require.NoError(t, err)
				rel, _ := filepath.Rel(dir, p)
				for _, s := range needles {
					assert.NotContains(t, rel, s, "file name shows a secret or name")
				}
				if d.IsDir() {
					return nil
				}
				if strings.HasSuffix(p, entrySuffix) {
					files++
				}
				b, err := os.ReadFile(p)
				require.NoError(t, err)
				for _, s := range needles {
					if bytes.Contains(b, []byte(s)) {
						found[s] = true
					}
				}
				if m.key != nil {
					assert.False(t, bytes.Contains(b, m.key), "key on disk")
					assert.False(t, bytes.Contains(b, []byte(magic)), "a sealed file shows nothing but the blob")
				}
				return nil
			})
			require.NoError(t, err)
			assert.Equal(t, len(secrets), files)
			if m.key != nil {
				assert.Empty(t, found, "plain text found in an encrypted cache")
			} else {
				// The check can see plain text: an unencrypted cache holds it.
				assert.Len(t, found, len(needles))
			}
		})
	}
}

// Requirement 4: a wrong key is a miss, the file is removed, and the next Put
// rewrites the entry.
func TestWrongKey(t *testing.T) {
	dir := t.TempDir()
	a := openT(t, dir, Options{Key: testKey(1)})
	b := openT(t, dir, Options{Key: testKey(2)})
	require.NoError(t, put(bg, a, "n", "v", []byte("written with key 1"), time.Hour))

	got, ok := get(bg, b, "n", "v")
	assert.False(t, ok, "another key is a miss: its file names are keyed too")
	assert.Nil(t, got)

	require.NoError(t, put(bg, b, "n", "v", []byte("written with key 2"), time.Hour))
	got, ok = get(bg, b, "n", "v")
	require.True(t, ok)
	assert.Equal(t, "written with key 2", string(got))
	got, ok = get(bg, a, "n", "v")
	require.True(t, ok, "each key reads only its own entries")
	assert.Equal(t, "written with key 1", string(got))

	// An entry sealed with a key moved into another key's place does not
	// open, and is removed.
	pa, pb := entryPath(a, "n", "v"), entryPath(b, "n", "v")
	raw, err := os.ReadFile(pa)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(pb, raw, 0o600))
	_, ok = get(bg, b, "n", "v")
	assert.False(t, ok)
	assert.NoFileExists(t, pb, "an entry that does not open is removed")
}

func TestPlainAndEncryptedDoNotMix(t *testing.T) {
	dir := t.TempDir()
	plain := openT(t, dir, Options{})
	enc := openT(t, dir, Options{Key: testKey(3)})

	require.NoError(t, put(bg, plain, "n", "", []byte("plain value"), time.Hour))
	_, ok := get(bg, enc, "n", "")
	assert.False(t, ok, "a plain entry is not read by an encrypted cache")

	// A plain entry planted where the encrypted cache looks is not trusted.
	raw, err := os.ReadFile(entryPath(plain, "n", ""))
	require.NoError(t, err)
	pe := entryPath(enc, "n", "")
	require.NoError(t, os.MkdirAll(filepath.Dir(pe), 0o700))
	require.NoError(t, os.WriteFile(pe, raw, 0o600))
	_, ok = get(bg, enc, "n", "")
	assert.False(t, ok, "a plain entry is not trusted by an encrypted cache")
	assert.NoFileExists(t, pe)

	require.NoError(t, put(bg, enc, "n", "", []byte("sealed value"), time.Hour))
	got, ok := get(bg, plain, "n", "")
	require.True(t, ok)
	assert.Equal(t, "plain value", string(got), "the plain cache reads only its own entries")
}

// A valid entry file copied to another entry's place is a miss: the name and
// variant inside are checked, and with a key the path is authenticated too.
func TestCopiedEntryDoesNotOpen(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			c := openT(t, t.TempDir(), Options{Key: m.key})
			require.NoError(t, put(bg, c, "/a", "v", []byte("value of a"), time.Hour))
			require.NoError(t, put(bg, c, "/b", "v", []byte("value of b"), time.Hour))
			require.NoError(t, put(bg, c, "/a", "w", []byte("value of a/w"), time.Hour))
			src, err := os.ReadFile(entryPath(c, "/a", "v"))
			require.NoError(t, err)

			for _, dst := range [][2]string{{"/b", "v"}, {"/a", "w"}, {"/c", "v"}} {
				p := entryPath(c, dst[0], dst[1])
				require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
				require.NoError(t, os.WriteFile(p, src, 0o600))
				got, ok := get(bg, c, dst[0], dst[1])
				assert.False(t, ok, "copied file opened as %v: %q", dst, got)
				assert.NoFileExists(t, p)
			}
			got, ok := get(bg, c, "/a", "v")
			assert.True(t, ok)
			assert.Equal(t, "value of a", string(got))
		})
	}
}

// Requirement 5: at most MaxEntries entries, the oldest evicted.
func TestBounded(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			clk := newClock()
			c := openT(t, t.TempDir(), Options{MaxEntries: 5, Key: m.key, Now: clk.Now})
			// Names in an order unrelated to their hashes or spelling.
			order := rand.New(rand.NewPCG(1, 2)).Perm(20)
			for i, k := range order {
				clk.Add(time.Second)
				require.NoError(t, put(bg, c, fmt.Sprintf("/name/%02d", k), "v", []byte(fmt.Sprint(k)), time.Hour))
				assert.LessOrEqual(t, len(entryFiles(t, c.Dir())), 5, "after put %d", i)
			}
			assert.Len(t, entryFiles(t, c.Dir()), 5)
			for i, k := range order {
				got, ok := get(bg, c, fmt.Sprintf("/name/%02d", k), "v")
				if i >= 15 {
					assert.True(t, ok, "recent entry %d evicted", i)
					assert.Equal(t, fmt.Sprint(k), string(got))
				} else {
					assert.False(t, ok, "old entry %d kept", i)
				}
			}
			// Overwriting does not count as a new entry.
			for range 10 {
				clk.Add(time.Second)
				require.NoError(t, put(bg, c, fmt.Sprintf("/name/%02d", order[19]), "v", []byte("x"), time.Hour))
			}
			assert.Len(t, entryFiles(t, c.Dir()), 5)
		})
	}
}

func TestBoundedCountsVariants(t *testing.T) {
	clk := newClock()
	c := openT(t, t.TempDir(), Options{MaxEntries: 5, Now: clk.Now})
	for i := range 12 {
		clk.Add(time.Second)
		require.NoError(t, put(bg, c, "/one/name", fmt.Sprint("variant", i), []byte("x"), time.Hour))
		assert.LessOrEqual(t, len(entryFiles(t, c.Dir())), 5)
	}
}

// A sweep removes expired entries before evicting live ones.
func TestSweepRemovesExpiredFirst(t *testing.T) {
	clk := newClock()
	c := openT(t, t.TempDir(), Options{MaxEntries: 5, Now: clk.Now})
	require.NoError(t, put(bg, c, "oldest but long-lived", "", []byte("x"), time.Hour))
	for i := range 4 {
		clk.Add(time.Second)
		require.NoError(t, put(bg, c, fmt.Sprint("short", i), "", []byte("x"), time.Minute))
	}
	clk.Add(2 * time.Minute)
	require.NoError(t, put(bg, c, "new", "", []byte("x"), time.Hour)) // 6 > 5: sweep
	assert.Len(t, entryFiles(t, c.Dir()), 2)
	_, ok := get(bg, c, "oldest but long-lived", "")
	assert.True(t, ok, "a live entry was evicted while expired ones were there")
	_, ok = get(bg, c, "new", "")
	assert.True(t, ok)
}

// Each Cache starts from what is on disk, so a bound set by one process is
// kept by the next.
func TestBoundedAcrossOpen(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	a := openT(t, dir, Options{MaxEntries: 5, Now: clk.Now})
	for i := range 5 {
		clk.Add(time.Second)
		require.NoError(t, put(bg, a, fmt.Sprint("a", i), "", []byte("x"), time.Hour))
	}
	b := openT(t, dir, Options{MaxEntries: 5, Now: clk.Now})
	clk.Add(time.Second)
	require.NoError(t, put(bg, b, "b", "", []byte("x"), time.Hour))
	assert.Len(t, entryFiles(t, dir), 5)
	_, ok := get(bg, b, "a0", "")
	assert.False(t, ok, "the oldest entry is evicted")
}

func TestSweepRemovesStaleTempFiles(t *testing.T) {
	c := openT(t, t.TempDir(), Options{MaxEntries: 1})
	require.NoError(t, put(bg, c, "n", "", []byte("x"), time.Hour))
	sub := filepath.Join(c.Dir(), c.hash("n"))
	stale := filepath.Join(sub, tempPrefix+"crashed")
	fresh := filepath.Join(sub, tempPrefix+"in-progress")
	require.NoError(t, os.WriteFile(stale, []byte("partial"), 0o600))
	require.NoError(t, os.WriteFile(fresh, []byte("partial"), 0o600))
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(stale, old, old))
	require.NoError(t, put(bg, c, "m", "", []byte("x"), time.Hour)) // 2 > 1: sweep
	assert.NoFileExists(t, stale)
	assert.FileExists(t, fresh, "a temporary file may belong to a write in progress")
}

// Requirement 6: a damaged, empty or foreign file in an entry's place is a
// miss, is removed, and is rewritten by the next Put.
func TestDamage(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			c := openT(t, t.TempDir(), Options{Key: m.key})
			const name, variant = "/prod/damaged", "v"
			value := []byte("the right value, and only this one")
			p := entryPath(c, name, variant)
			require.NoError(t, put(bg, c, name, variant, value, time.Hour))
			good, err := os.ReadFile(p)
			require.NoError(t, err)

			other := openT(t, t.TempDir(), Options{Key: m.key})
			require.NoError(t, put(bg, other, "/other", "", []byte("other"), time.Hour))
			foreignEntry, err := os.ReadFile(entryPath(other, "/other", ""))
			require.NoError(t, err)

			damages := map[string][]byte{
				"empty":         {},
				"text":          []byte("hello, I am not an entry\n"),
				"magic only":    []byte(magic),
				"other entry":   foreignEntry,
				"random":        randBytes(rng, len(good)),
				"random short":  randBytes(rng, 7),
				"random long":   randBytes(rng, 5000),
				"appended":      append(bytes.Clone(good), 0),
				"doubled":       append(bytes.Clone(good), good...),
				"plain payload": encodeEntry(time.Now().UnixNano(), math.MaxInt64, "/", name, variant, []byte("forged")),
			}
			if m.key == nil {
				delete(damages, "plain payload") // a valid plain entry, for a plain cache
			}
			for n := range len(good) {
				damages[fmt.Sprint("truncated to ", n)] = good[:n]
				flipped := bytes.Clone(good)
				flipped[n] ^= byte(1 + rng.IntN(255))
				damages[fmt.Sprint("byte changed at ", n)] = flipped
			}
			for what, bad := range damages {
				require.NoError(t, os.WriteFile(p, bad, 0o600), what)
				var got []byte
				var ok bool
				require.NotPanics(t, func() { got, ok = get(bg, c, name, variant) }, what)
				require.False(t, ok, "%s: got %q", what, got)
				require.NoFileExists(t, p, "%s: not removed", what)
				require.NoError(t, put(bg, c, name, variant, value, time.Hour), what)
				got, ok = get(bg, c, name, variant)
				require.True(t, ok, what)
				require.Equal(t, value, got, what)
			}
		})
	}
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// A directory in an entry's place is a miss, and so is an entry directory
// that is a file; neither panics.
func TestWrongFileTypes(t *testing.T) {
	c := openT(t, t.TempDir(), Options{})
	require.NoError(t, os.MkdirAll(entryPath(c, "dir", ""), 0o700))
	_, ok := get(bg, c, "dir", "")
	assert.False(t, ok)

	require.NoError(t, os.WriteFile(filepath.Join(c.Dir(), c.hash("file")), []byte("x"), 0o600))
	_, ok = get(bg, c, "file", "")
	assert.False(t, ok)
	err := put(bg, c, "file", "", []byte("secret value 1234"), time.Hour)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret value 1234")
	assert.NotContains(t, err.Error(), `"file"`)
}

func TestContextDone(t *testing.T) {
	c := openT(t, t.TempDir(), Options{})
	require.NoError(t, put(bg, c, "n", "", []byte("x"), time.Hour))
	ctx, cancel := context.WithCancel(bg)
	cancel()
	_, ok := get(ctx, c, "n", "")
	assert.False(t, ok)
	assert.ErrorIs(t, put(ctx, c, "n", "", []byte("y"), time.Hour), context.Canceled)
	assert.ErrorIs(t, c.Delete(ctx, "n"), context.Canceled)
	assert.ErrorIs(t, c.Purge(ctx), context.Canceled)
	got, ok := get(bg, c, "n", "")
	assert.True(t, ok)
	assert.Equal(t, "x", string(got))
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Open("", Options{})
	assert.Error(t, err)

	_, err = Open(dir, Options{MaxEntries: -1})
	assert.ErrorContains(t, err, "MaxEntries")

	key := []byte("SECRET-KEY-0123456789")
	_, err = Open(dir, Options{Key: key})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "32 bytes")
	assert.NotContains(t, err.Error(), string(key))

	_, err = Open(dir, Options{Key: []byte{}})
	assert.Error(t, err, "an empty non-nil key must not silently mean plain text")

	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err = Open(file, Options{})
	assert.Error(t, err)
	_, err = Open(filepath.Join(file, "sub"), Options{})
	assert.Error(t, err)

	c := openT(t, dir, Options{})
	assert.Equal(t, dir, c.Dir())
	assert.True(t, filepath.IsAbs(c.Dir()))
	assert.Equal(t, DefaultMaxEntries, c.max)
}

// Requirement 8: errors never carry a value, a name or a key.
func TestErrorsDoNotLeak(t *testing.T) {
	const secret = "SECRET-VALUE-do-not-print"
	const name = "/prod/NAME-do-not-print"
	c := openT(t, t.TempDir(), Options{Key: testKey(9)})
	var errs []error
	errs = append(errs, put(bg, c, name, "", []byte(secret), 0))
	huge := bytes.Repeat([]byte(secret), maxFileSize/len(secret)+1)
	errs = append(errs, put(bg, c, name, "", huge, time.Hour))
	require.NoError(t, os.WriteFile(filepath.Join(c.Dir(), c.hash(name)), nil, 0o600))
	errs = append(errs, put(bg, c, name, "", []byte(secret), time.Hour))
	_, err := Open(c.Dir(), Options{Key: []byte(secret)})
	errs = append(errs, err)
	for i, err := range errs {
		require.Error(t, err, i)
		for _, s := range []string{secret, name, string(testKey(9))} {
			assert.NotContains(t, err.Error(), s, i)
		}
	}
}

func TestDecodeRejectsEveryPrefixAndExtension(t *testing.T) {
	b := encodeEntry(5, 6, "gen", "name", "variant", []byte("data"))
	e, err := decodeEntry(b)
	require.NoError(t, err)
	assert.Equal(t, int64(5), e.written)
	assert.Equal(t, int64(6), e.ttl)
	assert.Equal(t, "gen", string(e.gen))
	assert.Equal(t, "name", string(e.name))
	assert.Equal(t, "variant", string(e.variant))
	assert.Equal(t, "data", string(e.data))
	for n := range len(b) {
		_, err := decodeEntry(b[:n])
		assert.True(t, errors.Is(err, errCorrupt), n)
	}
	_, err = decodeEntry(append(bytes.Clone(b), 'x'))
	assert.ErrorIs(t, err, errCorrupt)
}

// freshRef is fresh in arbitrary precision.
func freshRef(written, ttl, now int64) bool {
	w, n := big.NewInt(written), big.NewInt(now)
	age := new(big.Int).Sub(n, w)
	return ttl > 0 && age.Cmp(big.NewInt(-int64(maxSkew))) >= 0 && age.Cmp(big.NewInt(ttl)) < 0
}

func TestFresh(t *testing.T) {
	const h = int64(time.Hour)
	vals := []int64{math.MinInt64, math.MinInt64 + 1, -h, -1, 0, 1, h, int64(maxSkew), int64(maxSkew) + 1, 1700000000000000000, math.MaxInt64 - 1, math.MaxInt64}
	for _, w := range vals {
		for _, ttl := range vals {
			for _, now := range vals {
				assert.Equal(t, freshRef(w, ttl, now), fresh(w, ttl, now), "fresh(%d, %d, %d)", w, ttl, now)
			}
		}
	}
}

// The size bound holds for several Caches on one directory together (as for
// several processes, which TestBoundAcrossProcesses runs): each creates
// MaxEntries entries at once, and at most MaxEntries are left.
func TestBoundAcrossCaches(t *testing.T) {
	const caches, maxEntries = 8, 200
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			dir := t.TempDir()
			var wg sync.WaitGroup
			errs := make([]error, caches)
			for i := range caches {
				c := openT(t, dir, Options{Key: m.key, MaxEntries: maxEntries})
				wg.Go(func() { errs[i] = fill(bg, c, fmt.Sprint(i), maxEntries) })
			}
			wg.Wait()
			for _, err := range errs {
				require.NoError(t, err)
			}
			n := len(entryFiles(t, dir))
			assert.LessOrEqual(t, n, maxEntries)
			assert.GreaterOrEqual(t, n, maxEntries-maxEntries/16, "evicted more than needed")
		})
	}
}

// Hardening 4: expiry follows the wall clock, which can step back. An entry
// written (by the clock) more than a minute in the future is a miss and is
// removed, instead of being served until its expiry comes round again; a
// small step, within the skew allowed between processes, is tolerated; and
// an entry is never served ttl or more after its write time.
func TestClockStepBack(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			clk := newClock()
			c := openT(t, t.TempDir(), Options{Key: m.key, Now: clk.Now})
			require.NoError(t, put(bg, c, "/token", "", []byte("tok"), 15*time.Minute))

			clk.Add(-30 * time.Second) // within the skew
			got, ok := get(bg, c, "/token", "")
			assert.True(t, ok)
			assert.Equal(t, "tok", string(got))

			clk.Add(-10 * time.Minute) // the entry still "expires" in 25 minutes
			_, ok = get(bg, c, "/token", "")
			assert.False(t, ok, "an entry from 10 minutes in the future was served")
			assert.NoFileExists(t, entryPath(c, "/token", ""), "it is removed")

			// Written now, a day before the clock is set right again.
			require.NoError(t, put(bg, c, "/token", "", []byte("tok2"), 15*time.Minute))
			clk.Add(15*time.Minute - time.Nanosecond)
			_, ok = get(bg, c, "/token", "")
			assert.True(t, ok)
			clk.Add(time.Nanosecond)
			_, ok = get(bg, c, "/token", "")
			assert.False(t, ok, "served ttl after its write time")

			require.NoError(t, put(bg, c, "/token", "", []byte("tok3"), 15*time.Minute))
			clk.Add(-24 * time.Hour)
			_, ok = get(bg, c, "/token", "")
			assert.False(t, ok, "a 15-minute entry served a day early")
		})
	}
}

// A sweep treats entries from the future like expired ones: they go first,
// instead of passing for the newest and never being evicted.
func TestSweepRemovesEntriesFromTheFuture(t *testing.T) {
	clk := newClock()
	c := openT(t, t.TempDir(), Options{MaxEntries: 3, Now: clk.Now})
	require.NoError(t, put(bg, c, "/future", "", []byte("x"), time.Hour))
	clk.Add(-24 * time.Hour)
	for i := range 3 {
		clk.Add(time.Second)
		require.NoError(t, put(bg, c, fmt.Sprint("/now/", i), "", []byte("x"), time.Hour))
	}
	assert.NoFileExists(t, entryPath(c, "/future", ""))
	for i := range 3 {
		_, ok := get(bg, c, fmt.Sprint("/now/", i), "")
		assert.True(t, ok, i)
	}
}

// Hardening 5: Close releases the directory; afterwards reads are misses
// and writes say ErrClosed; nothing panics, and closing again is harmless.
func TestClose(t *testing.T) {
	c, err := Open(t.TempDir(), Options{})
	require.NoError(t, err)
	require.NoError(t, put(bg, c, "/n", "v", []byte("x"), time.Hour))
	st := c.Stamp(bg, "/n")
	require.NoError(t, c.Close())

	_, statErr := c.root.Stat(".")
	assert.Error(t, statErr, "the directory is still open")
	require.NotPanics(t, func() {
		got, st2, hit := c.Get(bg, "/n", "v")
		assert.False(t, hit)
		assert.Nil(t, got)
		assert.False(t, st2.OK)
		assert.False(t, c.Stamp(bg, "/n").OK)
		assert.ErrorIs(t, c.Put(bg, "/n", "v", []byte("y"), time.Hour, st), ErrClosed)
		assert.ErrorIs(t, c.Delete(bg, "/n"), ErrClosed)
		assert.ErrorIs(t, c.Purge(bg), ErrClosed)
		assert.NoError(t, c.Close())
	})
	// The entry is still there for the next Cache.
	got, ok := get(bg, openT(t, c.Dir(), Options{}), "/n", "v")
	assert.True(t, ok)
	assert.Equal(t, "x", string(got))
}

// Close while other goroutines use the Cache: no panic, no race, and every
// call after it a miss or an error.
func TestCloseWhileInUse(t *testing.T) {
	c, err := Open(t.TempDir(), Options{MaxEntries: 4})
	require.NoError(t, err)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				n := fmt.Sprint("/n/", (g*7+i)%10)
				_, st, _ := c.Get(bg, n, "")
				c.Put(bg, n, "", []byte("x"), time.Hour, st)
				if i%5 == 0 {
					c.Delete(bg, n)
				}
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, c.Close())
	close(stop)
	wg.Wait()
	_, _, hit := c.Get(bg, "/n/1", "")
	assert.False(t, hit)
	assert.ErrorIs(t, put(bg, c, "/n/1", "", []byte("x"), time.Hour), ErrClosed)
}
